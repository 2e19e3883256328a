#include "sealexec/util/mapping.h"

#include <sys/mman.h>

#include <cerrno>

#include <utility>

namespace sealexec {

Mapping::Mapping(Mapping&& other) noexcept
    : m_address(std::exchange(other.m_address, nullptr)),
      m_size(std::exchange(other.m_size, 0)) {}

Mapping& Mapping::operator=(Mapping&& other) noexcept {
  if (this != &other) {
    unmap();
    m_address = std::exchange(other.m_address, nullptr);
    m_size = std::exchange(other.m_size, 0);
  }
  return *this;
}

Mapping::~Mapping() { unmap(); }

void Mapping::unmap() noexcept {
  if (m_address != nullptr) {
    ::munmap(m_address, m_size);
    m_address = nullptr;
    m_size = 0;
  }
}

Expected<Mapping> Mapping::map_with(int fd, std::size_t size, int protection,
                                    std::string_view path_for_errors, Prefault prefault) {
  Mapping mapping;
  if (size == 0) {
    return mapping;
  }
  const int flags = MAP_SHARED | (prefault == Prefault::yes ? MAP_POPULATE : 0);
  void* address = ::mmap(nullptr, size, protection, flags, fd, 0);
  if (address == MAP_FAILED) {
    Error error = system_error("cannot map", path_for_errors, "mmap");
    if ((protection & PROT_EXEC) != 0 && (error.sys_errno == EACCES || error.sys_errno == EPERM)) {
      error.code = Errc::policy;
      error.reason = "the system refuses to map it executable";
    }
    return fail(std::move(error));
  }
  mapping.m_address = address;
  mapping.m_size = size;
  return mapping;
}

Expected<Mapping> Mapping::map_read_only(int fd, std::size_t size,
                                         std::string_view path_for_errors, Prefault prefault) {
  return map_with(fd, size, PROT_READ, path_for_errors, prefault);
}

Expected<Mapping> Mapping::map_read_execute(int fd, std::size_t size,
                                            std::string_view path_for_errors) {
  return map_with(fd, size, PROT_READ | PROT_EXEC, path_for_errors, Prefault::no);
}

} // namespace sealexec
