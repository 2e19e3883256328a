// Loading a sealed shared object, and its symbols, through the C API
// (sealexec.h).
#include "sealexec/capi/handles.h"

using sealexec::Expected;
using namespace sealexec::capi;

extern "C" {

sealexec_status sealexec_library_load(const sealexec_image* image, int dlopen_flags,
                                      uint32_t flags, sealexec_library** library,
                                      sealexec_error** error) {
  return guarded(error, [&]() -> Expected<void> {
    if (image == nullptr || library == nullptr) {
      return sealexec::fail(bad_argument("sealexec_library_load", "a NULL pointer"));
    }
    if ((flags & ~SEALEXEC_LIBRARY_ALLOW_EXECSTACK) != 0) {
      return sealexec::fail(bad_argument("sealexec_library_load", "unknown flags"));
    }
    SEALEXEC_TRY(require_executable(*image, "sealexec_library_load"));
    sealexec::LibraryOptions options;
    if (dlopen_flags != 0) {
      options.flags = dlopen_flags;
    }
    options.allow_executable_stack = (flags & SEALEXEC_LIBRARY_ALLOW_EXECSTACK) != 0;
    SEALEXEC_TRY_ASSIGN(sealexec::Library loaded, sealexec::load_library(image->image, options));
    *library = new sealexec_library{std::move(loaded)};
    return {};
  });
}

sealexec_status sealexec_library_symbol(const sealexec_library* library, const char* name,
                                        void** address, sealexec_error** error) {
  return guarded(error, [&]() -> Expected<void> {
    if (library == nullptr || name == nullptr || address == nullptr) {
      return sealexec::fail(bad_argument("sealexec_library_symbol", "a NULL pointer"));
    }
    SEALEXEC_TRY_ASSIGN(*address, library->library.symbol(name));
    return {};
  });
}

void sealexec_library_free(sealexec_library* library) { delete library; }

} // extern "C"
