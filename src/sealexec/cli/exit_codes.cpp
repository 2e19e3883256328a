#include "sealexec/cli/exit_codes.h"

namespace sealexec::cli {

int exit_code_for(Errc code) {
  switch (code) {
  case Errc::not_found:
    return k_exit_not_found;
  case Errc::not_runnable:
  case Errc::digest_mismatch:
  case Errc::policy:
  case Errc::malformed:
  // A program that kept changing while it was copied: no copy of one whole
  // version could be made, so it cannot run (and a retry later may work).
  case Errc::changed:
    return k_exit_cannot_run;
  case Errc::compile_failed:
    return k_exit_compile_failed;
  case Errc::system:
  case Errc::invalid_argument:
  case Errc::too_large:
  case Errc::timed_out:
  case Errc::cancelled:
    break;
  }
  return k_exit_failed;
}

} // namespace sealexec::cli
