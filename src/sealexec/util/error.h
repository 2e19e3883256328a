// Errors travel inside sealexec as std::expected<T, Error>. An Error carries
// what was being done, to which file, and the errno, so that the one place
// that prints it (the CLI) can say "cannot seal /tmp/app: fcntl(F_ADD_SEALS):
// Device or resource busy" instead of "error 16".
#pragma once

#include <expected>
#include <string>
#include <string_view>

namespace sealexec {

// What kind of failure this is, so that callers can react without parsing
// text. The CLI maps these to env(1)-style exit codes.
enum class Errc {
  system,           // an operating-system call failed unexpectedly
  invalid_argument, // the caller passed something unusable
  not_found,        // the program (or another named file) does not exist
  not_runnable,     // found, but it cannot run: wrong format, machine, interpreter...
  digest_mismatch,  // the bytes do not have the expected digest
  policy,           // refused by a system or sealexec policy
  changed,          // the source kept changing while it was being read
  malformed,        // hostile or damaged input that a parser rejected
  too_large,        // over a configured size limit
  compile_failed,   // a script did not compile; the compiler has said why
  timed_out,        // a bounded wait ran out (a remote cache backend)
  cancelled,        // the caller's stop callback ended the work (never shown:
                    // the caller that asked for it handles it)
};

struct Error {
  Errc code = Errc::system;
  std::string path;      // the file concerned, empty when none
  std::string reason;    // a human sentence fragment: "cannot seal"
  std::string operation; // the failing call, e.g. "fcntl(F_ADD_SEALS)"
  int sys_errno = 0;     // 0 when no system call failed

  // One line: "<path>: <reason>: <operation>: <strerror(errno)>", leaving out
  // the parts that are empty.
  [[nodiscard]] std::string message() const;
};

template <typename T>
using Expected = std::expected<T, Error>;

// An Error for a failed system call; reads errno now, so call it right after
// the failing call.
[[nodiscard]] Error system_error(std::string_view reason, std::string_view path,
                                 std::string_view operation);
[[nodiscard]] Error system_error(std::string_view reason, std::string_view path,
                                 std::string_view operation, int sys_errno);

// An Error that did not come from a system call.
[[nodiscard]] Error make_error(Errc code, std::string_view path, std::string_view reason);

[[nodiscard]] inline std::unexpected<Error> fail(Error error) {
  return std::unexpected<Error>(std::move(error));
}

} // namespace sealexec

// Forward the error of an Expected expression, ccache's TRY.
#define SEALEXEC_TRY(expression_)                                                  \
  do {                                                                             \
    auto&& sealexec_try_result_ = (expression_);                                   \
    if (!sealexec_try_result_) {                                                   \
      return ::std::unexpected(::std::move(sealexec_try_result_).error());         \
    }                                                                              \
  } while (false)

#define SEALEXEC_CONCAT_INNER_(a_, b_) a_##b_
#define SEALEXEC_CONCAT_(a_, b_) SEALEXEC_CONCAT_INNER_(a_, b_)

// Declare `declaration_` from the value of an Expected expression, or forward
// its error.
#define SEALEXEC_TRY_ASSIGN(declaration_, expression_)                             \
  SEALEXEC_TRY_ASSIGN_IMPL_(SEALEXEC_CONCAT_(sealexec_try_, __LINE__), declaration_, \
                            expression_)
#define SEALEXEC_TRY_ASSIGN_IMPL_(tmp_, declaration_, expression_)                 \
  auto tmp_ = (expression_);                                                       \
  if (!tmp_) {                                                                     \
    return ::std::unexpected(::std::move(tmp_).error());                           \
  }                                                                                \
  declaration_ = ::std::move(*tmp_)
