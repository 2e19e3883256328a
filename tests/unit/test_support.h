// Helpers shared by the unit tests.
#pragma once

#include "sealexec/exec/child.h"
#include "sealexec/util/error.h"

#include <gtest/gtest.h>

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sealexec::test {

// A fresh directory under $TMPDIR, removed with everything in it.
class TempDir {
public:
  TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();
  [[nodiscard]] const std::filesystem::path& path() const { return m_path; }
  [[nodiscard]] std::filesystem::path operator/(std::string_view name) const {
    return m_path / name;
  }

private:
  std::filesystem::path m_path;
};

void write_file(const std::filesystem::path& path, std::string_view content, unsigned mode = 0644);
[[nodiscard]] std::string read_file(const std::filesystem::path& path);
[[nodiscard]] std::vector<std::byte> read_bytes(const std::filesystem::path& path);
[[nodiscard]] std::span<const std::byte> as_bytes(std::string_view text);

[[nodiscard]] std::filesystem::path example(std::string_view name);
[[nodiscard]] std::filesystem::path fixture(std::string_view name);

// Where /proc/self/fd/`fd` points: "/memfd:NAME (deleted)" for a memfd.
[[nodiscard]] std::string link_target(int fd);

// Reads `fd` to its end.
[[nodiscard]] std::string read_all(int fd);

// The descriptors of this process that are open and not close-on-exec.
[[nodiscard]] std::vector<int> inheritable_fds();

// Waits for the child `pid` at most `limit`; kills it (SIGKILL) and returns
// nullopt when it is still running then, so that a test of "never waits for
// ever" fails instead of hanging. Otherwise its wait status.
[[nodiscard]] std::optional<int> wait_within(pid_t pid, std::chrono::milliseconds limit);

// True when the process runs as root (some tests need it and skip loudly).
[[nodiscard]] bool is_root();

// True in a build with AddressSanitizer, whose shadow memory cannot live
// under an address-space limit (ulimit -v), so such tests skip loudly.
[[nodiscard]] constexpr bool under_address_sanitizer() {
#if defined(__SANITIZE_ADDRESS__)
  return true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
  return true;
#else
  return false;
#endif
#else
  return false;
#endif
}

} // namespace sealexec::test

// Fails the test with the error's message when `expected_` holds an error.
#define ASSERT_OK(expected_)                                                       \
  do {                                                                             \
    const auto& sealexec_ok_ = (expected_);                                        \
    ASSERT_TRUE(sealexec_ok_.has_value()) << sealexec_ok_.error().message();       \
  } while (false)
