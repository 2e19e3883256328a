// Checking one file through the C API (sealexec.h): the same document as
// `sealexec check --json`.
#include "sealexec/capi/handles.h"

#include "sealexec/cli/check_document.h"

#include <cstdlib>
#include <cstring>

using sealexec::Expected;
using namespace sealexec::capi;

extern "C" {

sealexec_status sealexec_check_file(const char* path, uint32_t flags, char** json,
                                    sealexec_error** error) {
  return guarded(error, [&]() -> Expected<void> {
    if (path == nullptr || *path == '\0' || json == nullptr) {
      return sealexec::fail(bad_argument("sealexec_check_file", "no path, or a NULL result"));
    }
    if ((flags & ~SEALEXEC_CHECK_DEPS) != 0) {
      return sealexec::fail(bad_argument("sealexec_check_file", "unknown flags"));
    }
    SEALEXEC_TRY_ASSIGN(const std::string document,
                        sealexec::cli::check_json_document({path}, (flags & SEALEXEC_CHECK_DEPS) != 0));
    // malloc'd, so that C frees it with sealexec_free (free).
    auto* copy = static_cast<char*>(std::malloc(document.size() + 1));
    if (copy == nullptr) {
      throw std::bad_alloc();
    }
    std::memcpy(copy, document.c_str(), document.size() + 1);
    *json = copy;
    return {};
  });
}

} // extern "C"
