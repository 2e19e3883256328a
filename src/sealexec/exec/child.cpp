#include "sealexec/exec/child.h"

#include <fmt/format.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <utility>

namespace sealexec {

ExitStatus ExitStatus::from_wait_status(int status) {
  if (WIFSIGNALED(status)) {
    return {.how = How::signaled, .value = WTERMSIG(status), .core_dumped = WCOREDUMP(status) != 0};
  }
  return {.how = How::exited, .value = WEXITSTATUS(status)};
}

std::string ExitStatus::describe() const {
  if (how == How::exited) {
    return fmt::format("exit code {}", value);
  }
  return fmt::format("killed by signal {} ({}){}", value, ::strsignal(value),
                     core_dumped ? ", core dumped" : "");
}

Child::Child(Child&& other) noexcept
    : stdin_pipe(std::move(other.stdin_pipe)),
      stdout_pipe(std::move(other.stdout_pipe)),
      stderr_pipe(std::move(other.stderr_pipe)),
      m_pid(std::exchange(other.m_pid, -1)),
      m_pidfd(std::move(other.m_pidfd)),
      m_status(std::exchange(other.m_status, std::nullopt)) {}

Child& Child::operator=(Child&& other) noexcept {
  if (this != &other) {
    reap_or_kill();
    stdin_pipe = std::move(other.stdin_pipe);
    stdout_pipe = std::move(other.stdout_pipe);
    stderr_pipe = std::move(other.stderr_pipe);
    m_pid = std::exchange(other.m_pid, -1);
    m_pidfd = std::move(other.m_pidfd);
    m_status = std::exchange(other.m_status, std::nullopt);
  }
  return *this;
}

Child::~Child() { reap_or_kill(); }

void Child::reap_or_kill() noexcept {
  if (m_pid > 0 && !m_status) {
    (void)kill(SIGKILL);
    (void)wait();
  }
  m_pid = -1;
}

Expected<ExitStatus> Child::wait() {
  if (m_status) {
    return *m_status;
  }
  if (m_pid <= 0) {
    return fail(make_error(Errc::invalid_argument, "", "there is no child to wait for"));
  }
  int status = 0;
  pid_t got = -1;
  do {
    got = ::waitpid(m_pid, &status, 0);
  } while (got < 0 && errno == EINTR);
  if (got < 0) {
    return fail(system_error("cannot wait for child", fmt::format("pid {}", m_pid), "waitpid"));
  }
  // The pidfd stays open until the Child goes: a kill() from another thread
  // then signals a reaped process (ESRCH), never a recycled pid.
  m_status = ExitStatus::from_wait_status(status);
  return *m_status;
}

Expected<std::optional<ExitStatus>> Child::try_wait() {
  if (m_status) {
    return m_status;
  }
  int status = 0;
  const pid_t got = ::waitpid(m_pid, &status, WNOHANG);
  if (got < 0) {
    return fail(system_error("cannot wait for child", fmt::format("pid {}", m_pid), "waitpid"));
  }
  if (got == 0) {
    return std::optional<ExitStatus>();
  }
  m_status = ExitStatus::from_wait_status(status);
  return m_status;
}

Expected<void> Child::kill(int signal) {
  int result = -1;
  if (m_pidfd) {
    // Safe while another thread waits: the pidfd outlives the reaping, and
    // a reaped process answers ESRCH.
    result = static_cast<int>(::syscall(SYS_pidfd_send_signal, m_pidfd.get(), signal, nullptr, 0));
  } else {
    // No pidfd (Linux before 5.3): the pid is ours until it is reaped.
    if (m_status || m_pid <= 0) {
      return {}; // already reaped: nothing left to signal
    }
    result = ::kill(m_pid, signal);
  }
  if (result != 0 && errno != ESRCH) {
    return fail(system_error("cannot signal child", fmt::format("pid {}", m_pid), "kill"));
  }
  return {};
}

} // namespace sealexec
