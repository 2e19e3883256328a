// The clocks file times come from, and comparing a file time with a moment
// whatever the granularity of the file system that wrote it.
//
// The kernel stamps files from its coarse clock (one tick, 4 ms here), or,
// once someone has looked at a file's ctime, from the fine clock (multigrain
// timestamps, Linux 6.13), never earlier than the coarse clock. A moment read
// from CLOCK_REALTIME_COARSE is therefore never later than the stamp of a
// change made after it. A file system may keep coarser times (1 s, 2 s on
// FAT), rounded down: a stamp is a multiple of its file system's
// granularity, so the coarsest granularity that could have produced it is
// known from its trailing zeros, and the moment is rounded down to that
// before comparing.
#pragma once

#include <cstdint>

namespace sealexec {

// CLOCK_REALTIME, in nanoseconds.
[[nodiscard]] std::int64_t fine_now_ns();
// CLOCK_REALTIME_COARSE, the clock file times come from.
[[nodiscard]] std::int64_t coarse_now_ns();

// Waits until CLOCK_REALTIME_COARSE reads later than `instant_ns` (a
// fine_now_ns() reading) and returns that reading: a moment after which
// every change gets a later stamp, and before which every change made before
// `instant_ns` is stamped. Waiting costs at most about two ticks of the
// coarse clock, and never more than 50 ms, should the clock be set back
// meanwhile.
[[nodiscard]] std::int64_t coarse_clock_after(std::int64_t instant_ns);

// Whether the file time `stamp_ns` shows that the change it records came
// before `moment_ns` (a CLOCK_REALTIME_COARSE reading), whatever the
// granularity of the file system that wrote it.
[[nodiscard]] bool stamped_before(std::int64_t stamp_ns, std::int64_t moment_ns);

} // namespace sealexec
