#include "sealexec/exec/library.h"

#include "sealexec/audit/file_report.h"
#include "sealexec/elf/elf_file.h"
#include "sealexec/elf/machine.h"
#include "sealexec/image/image_source.h"

#include <elf.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>

#include <utility>

namespace sealexec {

Library::Library(Library&& other) noexcept
    : m_handle(std::exchange(other.m_handle, nullptr)),
      m_name_fd(std::move(other.m_name_fd)),
      m_path(std::move(other.m_path)),
      m_source(std::move(other.m_source)) {}

Library& Library::operator=(Library&& other) noexcept {
  if (this != &other) {
    close();
    m_handle = std::exchange(other.m_handle, nullptr);
    m_name_fd = std::move(other.m_name_fd);
    m_path = std::move(other.m_path);
    m_source = std::move(other.m_source);
  }
  return *this;
}

Library::~Library() { close(); }

void Library::close() noexcept {
  if (m_handle != nullptr) {
    ::dlclose(m_handle);
    m_handle = nullptr;
  }
  m_name_fd.reset();
}

Expected<void*> Library::symbol(const char* name) const {
  ::dlerror();
  void* address = ::dlsym(m_handle, name);
  if (const char* problem = ::dlerror(); problem != nullptr) {
    return fail(make_error(Errc::not_found, m_source,
                           fmt::format("has no symbol {}: {}", name, problem)));
  }
  return address;
}

Expected<Library> load_library(const SealedImage& image, const LibraryOptions& options) {
  if (image.kind() != ImageKind::elf) {
    return fail(make_error(Errc::not_runnable, image.source(), "is not an ELF shared object"));
  }
  const ImageSource source(image);
  SEALEXEC_TRY_ASSIGN(const elf::ElfFile file, elf::ElfFile::read(source));
  if (file.header().type != ET_DYN) {
    return fail(make_error(Errc::not_runnable, image.source(),
                           "is not a shared object (ELF type ET_DYN)"));
  }
  if (!elf::runs_on_host(file.header())) {
    return fail(make_error(Errc::not_runnable, image.source(),
                           fmt::format("is a shared object for {}, which this process cannot load",
                                       elf::describe_target(file.header()))));
  }
  SEALEXEC_TRY(file.check_loadable());
  if (!options.allow_executable_stack) {
    SEALEXEC_TRY_ASSIGN(const audit::FileReport report, audit::analyze(file, image.source()));
    if (report.ldso_exec_stack) {
      return fail(make_error(
          Errc::policy, image.source(),
          fmt::format("requires an executable stack ({}): glibc >= 2.41 refuses to dlopen it, and "
                      "older glibc would make every thread stack of this process executable; "
                      "run 'sealexec fix --clear-execstack' on it or relink it with "
                      "-Wl,-z,noexecstack (LibraryOptions::allow_executable_stack loads it anyway)",
                      report.stack_reason)));
    }
  }

  Fd name_fd(::fcntl(image.fd(), F_DUPFD_CLOEXEC, 3));
  if (!name_fd) {
    return fail(system_error("cannot duplicate the descriptor of", image.source(),
                             "fcntl(F_DUPFD_CLOEXEC)"));
  }
  std::string path = fmt::format("/proc/self/fd/{}", name_fd.get());
  struct stat through_proc {};
  struct stat through_fd {};
  if (::stat(path.c_str(), &through_proc) != 0 || ::fstat(name_fd.get(), &through_fd) != 0 ||
      through_proc.st_ino != through_fd.st_ino || through_proc.st_dev != through_fd.st_dev) {
    return fail(make_error(Errc::not_runnable, image.source(),
                           "cannot be loaded from memory without /proc: glibc has no fdlopen, so "
                           "sealexec dlopens /proc/self/fd/N; mount /proc"));
  }
  ::dlerror();
  void* handle = ::dlopen(path.c_str(), options.flags);
  if (handle == nullptr) {
    const char* problem = ::dlerror();
    return fail(make_error(Errc::not_runnable, image.source(),
                           fmt::format("dlopen failed: {}", problem ? problem : "unknown error")));
  }
  return Library(handle, std::move(name_fd), std::move(path), image.source());
}

} // namespace sealexec
