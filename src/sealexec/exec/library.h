// Loading a shared object from a sealed image into the calling process, the
// way a plugin host or a JIT engine loads precompiled code.
#pragma once

#include "sealexec/image/sealed_image.h"
#include "sealexec/util/error.h"
#include "sealexec/util/fd.h"

#include <dlfcn.h>

namespace sealexec {

struct LibraryOptions {
  // dlopen's flags.
  int flags = RTLD_NOW | RTLD_LOCAL;
  // An object that requires an executable stack is refused unless this is
  // set: glibc >= 2.41 refuses to dlopen it anyway, and older glibc makes
  // the stack of every thread in the process executable to load it.
  bool allow_executable_stack = false;
};

// A dlopen handle, closed with dlclose when the last owner goes.
class Library {
public:
  Library(const Library&) = delete;
  Library& operator=(const Library&) = delete;
  Library(Library&& other) noexcept;
  Library& operator=(Library&& other) noexcept;
  ~Library();

  // The address of `name`, or Errc::not_found naming the symbol.
  [[nodiscard]] Expected<void*> symbol(const char* name) const;
  [[nodiscard]] void* handle() const { return m_handle; }
  // The path ld.so knows this object by ("/proc/self/fd/N").
  [[nodiscard]] const std::string& path() const { return m_path; }

private:
  friend Expected<Library> load_library(const SealedImage&, const LibraryOptions&);
  Library(void* handle, Fd name_fd, std::string path, std::string source)
      : m_handle(handle), m_name_fd(std::move(name_fd)), m_path(std::move(path)),
        m_source(std::move(source)) {}
  void close() noexcept;

  void* m_handle = nullptr;
  // Keeps the descriptor number in the path taken while the library is
  // loaded: ld.so matches already-loaded objects by path name first, so a
  // second image at a reused "/proc/self/fd/N" would get the first one back.
  Fd m_name_fd;
  std::string m_path;
  std::string m_source;
};

// dlopens `image`, which must be an ELF shared object for this host. glibc
// has no fdlopen, so this opens "/proc/self/fd/N" and fails with a clear
// error when /proc is not mounted. An object that requires an executable
// stack (ld.so's view: PT_GNU_STACK with PF_X, or none on x86) is refused
// with Errc::policy unless `options` allow it; only the object itself is
// checked, not the libraries ld.so loads for it from disk. $ORIGIN in the
// object's own RUNPATH means /proc/self/fd.
[[nodiscard]] Expected<Library> load_library(const SealedImage& image,
                                             const LibraryOptions& options = {});

} // namespace sealexec
