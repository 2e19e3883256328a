// An ELF file opened from a path for reading its headers.
#pragma once

#include "sealexec/elf/byte_source.h"
#include "sealexec/elf/elf_file.h"
#include "sealexec/util/error.h"
#include "sealexec/util/fd.h"

#include <sys/stat.h>

#include <memory>
#include <optional>
#include <string>

namespace sealexec::elf {

// Owns the descriptor, a source that prefetches the first page, and the
// parsed headers (which point at the source, so this stays put: it lives
// behind a unique_ptr).
class ElfOnDisk {
public:
  // Opens `path` without blocking on a fifo and refuses anything but a
  // regular file (Errc::not_runnable), then reads the headers (Errc::malformed).
  [[nodiscard]] static Expected<std::unique_ptr<ElfOnDisk>> open(const std::string& path);

  ElfOnDisk(const ElfOnDisk&) = delete;
  ElfOnDisk& operator=(const ElfOnDisk&) = delete;
  ~ElfOnDisk() = default;

  [[nodiscard]] const ElfFile& file() const { return *m_file; }
  [[nodiscard]] const struct stat& status() const { return m_status; }

private:
  ElfOnDisk(Fd fd, const struct stat& status, std::string path)
      : m_fd(std::move(fd)), m_status(status),
        m_source(m_fd.get(), static_cast<std::uint64_t>(status.st_size), std::move(path), 4096) {}

  Fd m_fd;
  struct stat m_status;
  FdSource m_source;
  std::optional<ElfFile> m_file;
};

} // namespace sealexec::elf
