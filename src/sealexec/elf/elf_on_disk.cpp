#include "sealexec/elf/elf_on_disk.h"

#include <fcntl.h>

namespace sealexec::elf {

Expected<std::unique_ptr<ElfOnDisk>> ElfOnDisk::open(const std::string& path) {
  SEALEXEC_TRY_ASSIGN(Fd fd, open_fd(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY));
  struct stat status {};
  if (::fstat(fd.get(), &status) != 0) {
    return fail(system_error("cannot inspect", path, "fstat"));
  }
  if (!S_ISREG(status.st_mode)) {
    return fail(make_error(Errc::not_runnable, path, "is not a regular file"));
  }
  std::unique_ptr<ElfOnDisk> opened(new ElfOnDisk(std::move(fd), status, path));
  SEALEXEC_TRY_ASSIGN(opened->m_file, ElfFile::read(opened->m_source));
  return opened;
}

} // namespace sealexec::elf
