// Finding PROGRAM the way env(1) and execvp(3) do.
#pragma once

#include "sealexec/util/error.h"

#include <optional>
#include <string>
#include <string_view>

namespace sealexec {

// A `name` containing '/' is a path and is returned as it is. A bare name is
// looked up in each directory of `search_path` (PATH; an empty entry means
// the current directory; nullopt means the system default from
// confstr(_CS_PATH)), and the first executable regular file wins. Errc::not_found
// when there is none; Errc::not_runnable when only non-executable ones exist.
[[nodiscard]] Expected<std::string> find_program(std::string_view name,
                                                 std::optional<std::string_view> search_path);

} // namespace sealexec
