// The CLI's exit codes, following env(1) and the shells: a program's own
// status passes through unchanged, and sealexec's own failures use the codes
// above 124 that env reserves.
#pragma once

#include "sealexec/util/error.h"

namespace sealexec::cli {

inline constexpr int k_exit_ok = 0;
inline constexpr int k_exit_findings = 1;      // check --fail-on: a listed finding is present
inline constexpr int k_exit_check_error = 2;   // check/fix: usage error, or a file could not be read
inline constexpr int k_exit_compile_failed = 124; // a script did not compile
inline constexpr int k_exit_failed = 125;      // sealexec itself failed, or bad usage
inline constexpr int k_exit_cannot_run = 126;  // found, but cannot run
inline constexpr int k_exit_not_found = 127;   // the program does not exist

// The exit code for an error of kind `code`.
[[nodiscard]] int exit_code_for(Errc code);

} // namespace sealexec::cli
