// What the C API's opaque handles hold, and the one place where C++ errors
// and exceptions become sealexec_status codes and sealexec_error objects.
// Internal: only capi/*.cpp include it; sealexec.h is the public surface.
#pragma once

#include "sealexec/capi/sealexec.h"
#include "sealexec/exec/child.h"
#include "sealexec/exec/library.h"
#include "sealexec/exec/spawn.h"
#include "sealexec/image/sealed_image.h"
#include "sealexec/util/error.h"
#include "sealexec/util/mapping.h"

#include <memory>
#include <new>
#include <optional>
#include <string>
#include <vector>

namespace sealexec::cache {
class Cache;
}

struct sealexec_error {
  sealexec_status code;
  std::string message;
  std::string path;
  int sys_errno;
};

struct sealexec_image {
  sealexec::SealedImage image;
  // False for SEALEXEC_IMAGE_NOEXEC: refused by every exec, spawn, load and
  // executable mapping here, also on kernels without MFD_NOEXEC_SEAL.
  bool executable = true;
};

struct sealexec_mapping {
  sealexec::Mapping mapping;
};

struct sealexec_command {
  sealexec::SpawnOptions options;
};

struct sealexec_child {
  sealexec::Child child;
};

struct sealexec_library {
  sealexec::Library library;
};

struct sealexec_cache {
  std::unique_ptr<sealexec::cache::Cache> cache;
};

namespace sealexec::capi {

[[nodiscard]] sealexec_status status_of(Errc code) noexcept;

// Stores `error` in *out (when out is not null) and returns its code.
sealexec_status report(sealexec_error** out, const Error& error) noexcept;
// The same with another code than the one `error` maps to.
sealexec_status report(sealexec_error** out, const Error& error, sealexec_status code) noexcept;

// Runs `body` (returning Expected<void>) and turns what it returns, or
// throws, into a status: the C API's only error boundary. No exception ever
// crosses into C.
template <typename Body>
sealexec_status guarded(sealexec_error** out, Body&& body) noexcept {
  try {
    const Expected<void> result = body();
    return result ? SEALEXEC_OK : report(out, result.error());
  } catch (const std::bad_alloc&) {
    return report(out, make_error(Errc::system, "", "out of memory"), SEALEXEC_E_NO_MEMORY);
  } catch (const std::exception& exception) {
    return report(out, make_error(Errc::cancelled, "", exception.what()));
  } catch (...) {
    return report(out, make_error(Errc::cancelled, "", "unknown exception"));
  }
}

// Errc::policy unless `image` may run (it was not made SEALEXEC_IMAGE_NOEXEC).
[[nodiscard]] Expected<void> require_executable(const sealexec_image& image,
                                                std::string_view function);

// An Error for a null or unusable argument of `function`.
[[nodiscard]] Error bad_argument(std::string_view function, std::string_view what);

// The optional C string `text` (null: nullopt).
[[nodiscard]] std::optional<std::string> optional_text(const char* text);

// A NUL-terminated array of C strings, copied; `function` names errors.
[[nodiscard]] Expected<std::vector<std::string>> string_list(const char* const* list,
                                                             std::string_view function);

} // namespace sealexec::capi
