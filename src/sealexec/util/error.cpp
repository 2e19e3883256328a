#include "sealexec/util/error.h"

#include <cerrno>
#include <cstring>

namespace sealexec {

std::string Error::message() const {
  std::string text;
  auto append = [&text](std::string_view part) {
    if (part.empty()) {
      return;
    }
    if (!text.empty()) {
      text += ": ";
    }
    text += part;
  };
  append(path);
  append(reason);
  append(operation);
  if (sys_errno != 0) {
    append(std::strerror(sys_errno));
  }
  return text;
}

Error system_error(std::string_view reason, std::string_view path, std::string_view operation) {
  return system_error(reason, path, operation, errno);
}

Error system_error(std::string_view reason, std::string_view path, std::string_view operation,
                   int sys_errno) {
  return Error{.code = Errc::system,
               .path = std::string(path),
               .reason = std::string(reason),
               .operation = std::string(operation),
               .sys_errno = sys_errno};
}

Error make_error(Errc code, std::string_view path, std::string_view reason) {
  return Error{.code = code,
               .path = std::string(path),
               .reason = std::string(reason),
               .operation = {},
               .sys_errno = 0};
}

} // namespace sealexec
