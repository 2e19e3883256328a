#include "sealexec/util/file_time.h"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <thread>

namespace sealexec {

namespace {

constexpr std::int64_t k_second = 1'000'000'000;

std::int64_t read_clock(clockid_t clock) {
  struct timespec now {};
  ::clock_gettime(clock, &now);
  return static_cast<std::int64_t>(now.tv_sec) * k_second + now.tv_nsec;
}

std::int64_t floor_mod(std::int64_t value, std::int64_t step) {
  const std::int64_t rest = value % step;
  return rest < 0 ? rest + step : rest;
}

// The coarsest granularity that could have written `stamp_ns`: the largest
// of 1 ns, 10 ns, ..., 1 s and 2 s (FAT) that divides it. Each of these
// divides the next, and the real granularity divides the stamp, so the
// real one divides this one.
std::int64_t possible_granularity(std::int64_t stamp_ns) {
  if (floor_mod(stamp_ns, 2 * k_second) == 0) {
    return 2 * k_second;
  }
  std::int64_t granularity = k_second;
  while (granularity > 1 && floor_mod(stamp_ns, granularity) != 0) {
    granularity /= 10;
  }
  return granularity;
}

} // namespace

std::int64_t fine_now_ns() {
  return read_clock(CLOCK_REALTIME);
}

std::int64_t coarse_now_ns() {
  return read_clock(CLOCK_REALTIME_COARSE);
}

std::int64_t coarse_clock_after(std::int64_t instant_ns) {
  using std::chrono::microseconds;
  const std::int64_t give_up = fine_now_ns() + 50'000'000;
  for (;;) {
    const std::int64_t coarse = coarse_now_ns();
    if (coarse > instant_ns || fine_now_ns() >= give_up) {
      return coarse;
    }
    // The coarse clock moves one tick at a time: look again soon.
    const std::int64_t gap_us = (instant_ns - coarse) / 1000;
    std::this_thread::sleep_for(microseconds(std::clamp<std::int64_t>(gap_us, 200, 1000)));
  }
}

bool stamped_before(std::int64_t stamp_ns, std::int64_t moment_ns) {
  const std::int64_t granularity = possible_granularity(stamp_ns);
  return stamp_ns < moment_ns - floor_mod(moment_ns, granularity);
}

} // namespace sealexec
