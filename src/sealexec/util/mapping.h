// A move-only owner of one memory mapping.
#pragma once

#include "sealexec/util/error.h"

#include <cstddef>
#include <span>

namespace sealexec {

// Prefault::yes maps every page at once (MAP_POPULATE): far cheaper than a
// page fault per 4 KiB when the caller is about to read all of it.
enum class Prefault : bool { no, yes };

class Mapping {
public:
  Mapping() noexcept = default;
  Mapping(const Mapping&) = delete;
  Mapping& operator=(const Mapping&) = delete;
  Mapping(Mapping&& other) noexcept;
  Mapping& operator=(Mapping&& other) noexcept;
  ~Mapping();

  // Maps the first `size` bytes of `fd` read-only and shared. A zero `size`
  // gives an empty mapping. Only map files that cannot shrink underneath
  // (sealed memfds, immutable cache files): a truncated file gives SIGBUS.
  [[nodiscard]] static Expected<Mapping> map_read_only(int fd, std::size_t size,
                                                       std::string_view path_for_errors,
                                                       Prefault prefault = Prefault::no);

  // The same with PROT_READ | PROT_EXEC, for precompiled code in a sealed
  // memfd: never writable, so never writable and executable at once. EACCES
  // or EPERM (a noexec memfd, a noexec mount, a policy) is Errc::policy.
  [[nodiscard]] static Expected<Mapping> map_read_execute(int fd, std::size_t size,
                                                          std::string_view path_for_errors);
  [[nodiscard]] std::span<const std::byte> bytes() const noexcept {
    return {static_cast<const std::byte*>(m_address), m_size};
  }
  [[nodiscard]] std::size_t size() const noexcept { return m_size; }

private:
  [[nodiscard]] static Expected<Mapping> map_with(int fd, std::size_t size, int protection,
                                                  std::string_view path_for_errors,
                                                  Prefault prefault);
  void unmap() noexcept;

  void* m_address = nullptr;
  std::size_t m_size = 0;
};

} // namespace sealexec
