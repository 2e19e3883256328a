// Room for sealexec's own descriptors under a tiny RLIMIT_NOFILE.
//
// Sealing needs a few descriptors at once (the source, its lease, the memfd,
// the linker cache) that the program itself never sees. A program that runs
// directly under `ulimit -n 4` must run through sealexec too, so the soft
// limit is raised as far as the hard limit allows while sealexec works, and
// put back just before exec, so that the program gets the caller's limit.
#pragma once

#include <sys/resource.h>

namespace sealexec::cli {

class FdHeadroom {
public:
  FdHeadroom();
  FdHeadroom(const FdHeadroom&) = delete;
  FdHeadroom& operator=(const FdHeadroom&) = delete;
  ~FdHeadroom() { restore(); }

  // Puts the caller's soft limit back (idempotent).
  void restore() noexcept;

private:
  rlimit m_original{};
  bool m_raised = false;
};

} // namespace sealexec::cli
