// Errors, versions and memory of the C API (sealexec.h).
#include "sealexec/capi/handles.h"

#include "sealexec/version.h"

#include <cstdlib>
#include <limits>

namespace sealexec::capi {

namespace {

// What *error gets when even the error cannot be allocated; freeing it does
// nothing.
sealexec_error g_out_of_memory{SEALEXEC_E_NO_MEMORY, "out of memory", "", ENOMEM};

} // namespace

sealexec_status status_of(Errc code) noexcept {
  switch (code) {
  case Errc::system: return SEALEXEC_E_SYSTEM;
  case Errc::invalid_argument: return SEALEXEC_E_INVALID_ARGUMENT;
  case Errc::not_found: return SEALEXEC_E_NOT_FOUND;
  case Errc::not_runnable: return SEALEXEC_E_NOT_RUNNABLE;
  case Errc::digest_mismatch: return SEALEXEC_E_DIGEST_MISMATCH;
  case Errc::policy: return SEALEXEC_E_POLICY;
  case Errc::changed: return SEALEXEC_E_CHANGED;
  case Errc::malformed: return SEALEXEC_E_MALFORMED;
  case Errc::too_large: return SEALEXEC_E_TOO_LARGE;
  case Errc::timed_out: return SEALEXEC_E_TIMED_OUT;
  // Neither comes out of what the C API calls: a script compile or a stop
  // callback. An exception lands here too.
  case Errc::compile_failed:
  case Errc::cancelled: return SEALEXEC_E_INTERNAL;
  }
  return SEALEXEC_E_INTERNAL;
}

sealexec_status report(sealexec_error** out, const Error& error) noexcept {
  return report(out, error, status_of(error.code));
}

sealexec_status report(sealexec_error** out, const Error& error, sealexec_status code) noexcept {
  if (out == nullptr) {
    return code;
  }
  try {
    *out = new sealexec_error{code, error.message(), error.path, error.sys_errno};
  } catch (...) {
    *out = &g_out_of_memory;
  }
  return code;
}

Expected<void> require_executable(const sealexec_image& image, std::string_view function) {
  if (!image.executable) {
    return fail(make_error(Errc::policy, image.image.source(),
                           std::string(function) + ": the image was made SEALEXEC_IMAGE_NOEXEC"));
  }
  return {};
}

Error bad_argument(std::string_view function, std::string_view what) {
  return make_error(Errc::invalid_argument, "", std::string(function) + ": " + std::string(what));
}

std::optional<std::string> optional_text(const char* text) {
  return text != nullptr ? std::optional<std::string>(text) : std::nullopt;
}

Expected<std::vector<std::string>> string_list(const char* const* list,
                                               std::string_view function) {
  if (list == nullptr) {
    return fail(bad_argument(function, "the list is NULL"));
  }
  std::vector<std::string> strings;
  for (; *list != nullptr; ++list) {
    strings.emplace_back(*list);
  }
  return strings;
}

} // namespace sealexec::capi

using sealexec::capi::g_out_of_memory;

extern "C" {

sealexec_status sealexec_error_code(const sealexec_error* error) {
  return error != nullptr ? error->code : SEALEXEC_E_INVALID_ARGUMENT;
}

const char* sealexec_error_message(const sealexec_error* error) {
  return error != nullptr ? error->message.c_str() : "";
}

const char* sealexec_error_path(const sealexec_error* error) {
  return error != nullptr ? error->path.c_str() : "";
}

int sealexec_error_errno(const sealexec_error* error) {
  return error != nullptr ? error->sys_errno : 0;
}

void sealexec_error_free(sealexec_error* error) {
  if (error != &g_out_of_memory) {
    delete error;
  }
}

const char* sealexec_status_name(sealexec_status status) {
  switch (status) {
  case SEALEXEC_OK: return "SEALEXEC_OK";
  case SEALEXEC_E_SYSTEM: return "SEALEXEC_E_SYSTEM";
  case SEALEXEC_E_INVALID_ARGUMENT: return "SEALEXEC_E_INVALID_ARGUMENT";
  case SEALEXEC_E_NOT_FOUND: return "SEALEXEC_E_NOT_FOUND";
  case SEALEXEC_E_NOT_RUNNABLE: return "SEALEXEC_E_NOT_RUNNABLE";
  case SEALEXEC_E_DIGEST_MISMATCH: return "SEALEXEC_E_DIGEST_MISMATCH";
  case SEALEXEC_E_POLICY: return "SEALEXEC_E_POLICY";
  case SEALEXEC_E_CHANGED: return "SEALEXEC_E_CHANGED";
  case SEALEXEC_E_MALFORMED: return "SEALEXEC_E_MALFORMED";
  case SEALEXEC_E_TOO_LARGE: return "SEALEXEC_E_TOO_LARGE";
  case SEALEXEC_E_TIMED_OUT: return "SEALEXEC_E_TIMED_OUT";
  case SEALEXEC_E_NO_MEMORY: return "SEALEXEC_E_NO_MEMORY";
  case SEALEXEC_E_INTERNAL: return "SEALEXEC_E_INTERNAL";
  case SEALEXEC_STATUS_RESERVED_: break;
  }
  return "SEALEXEC_E_UNKNOWN";
}

void sealexec_free(void* pointer) { std::free(pointer); }

int sealexec_api_version(void) { return SEALEXEC_API_VERSION; }

const char* sealexec_version(void) { return sealexec::k_version; }

} // extern "C"
