// flock(2) with a bound on the wait. A blocking flock waits for as long as
// its holder holds the lock, and a holder can be stopped (SIGSTOP, a
// debugger, a frozen container) for ever; nothing sealexec does may then
// hang. Polled with LOCK_NB and short, growing sleeps, since a blocking
// flock cannot be bounded without a signal handler.
#pragma once

#include "sealexec/util/error.h"

#include <chrono>
#include <string_view>

namespace sealexec {

// Takes `operation` (LOCK_EX or LOCK_SH) on `fd` within `limit`: true when
// it is held, false when the wait ran out. Errors other than a lock held
// elsewhere name `path`.
[[nodiscard]] Expected<bool> flock_within(int fd, int operation, std::chrono::milliseconds limit,
                                          std::string_view path);

} // namespace sealexec
