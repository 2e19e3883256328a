#include "sealexec/cli/fd_headroom.h"

#include <algorithm>

namespace sealexec::cli {

namespace {
// More than sealexec ever holds open at once, with room for the C library.
constexpr rlim_t k_descriptors_needed = 64;
} // namespace

FdHeadroom::FdHeadroom() {
  if (::getrlimit(RLIMIT_NOFILE, &m_original) != 0 || m_original.rlim_cur >= k_descriptors_needed) {
    return;
  }
  rlimit raised = m_original;
  raised.rlim_cur = std::min(k_descriptors_needed, m_original.rlim_max);
  m_raised = raised.rlim_cur > m_original.rlim_cur && ::setrlimit(RLIMIT_NOFILE, &raised) == 0;
}

void FdHeadroom::restore() noexcept {
  if (m_raised) {
    ::setrlimit(RLIMIT_NOFILE, &m_original);
    m_raised = false;
  }
}

} // namespace sealexec::cli
