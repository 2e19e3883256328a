// How much memory this process may use, for the default limit on a program
// read from a stream (which has to be held in memory whole before it runs).
#pragma once

#include <cstdint>
#include <optional>

namespace sealexec::cli {

// The least of the memory limits of this process's cgroups and all their
// ancestors (cgroup v2 memory.max, v1 memory.limit_in_bytes) and the
// machine's MemTotal; nullopt when none of them can be read.
[[nodiscard]] std::optional<std::uint64_t> memory_available();

// The default of `run --max-size` for a program read from a pipe or socket:
// a quarter of memory_available(), so that `yes | sealexec run -` stops with a
// message well before a memory cgroup's OOM killer would end it, and at most
// 1 GiB, which is larger than nearly every real program (node is ~100 MB, the
// largest Go and Rust binaries a few hundred). 1 GiB when nothing is known.
[[nodiscard]] std::uint64_t default_stream_limit();

// The default of `run --max-size` for a program in a file (also one on
// standard input): three quarters of memory_available(), at most 4 GiB. Its
// copy in a memfd is memory the process's cgroup is charged for and cannot
// reclaim (without swap), so a larger file would get the process
// OOM-killed before the program ran; refused, it gets one line instead.
[[nodiscard]] std::uint64_t default_file_limit();

} // namespace sealexec::cli
