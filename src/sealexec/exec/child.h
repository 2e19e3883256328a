// A started child process, reaped by its owner.
#pragma once

#include "sealexec/util/error.h"
#include "sealexec/util/fd.h"

#include <sys/types.h>

#include <optional>
#include <string>

namespace sealexec {

struct ExitStatus {
  enum class How { exited, signaled };
  How how = How::exited;
  int value = 0; // the exit code, or the signal number
  bool core_dumped = false;

  [[nodiscard]] static ExitStatus from_wait_status(int status);
  [[nodiscard]] bool success() const { return how == How::exited && value == 0; }
  // What a shell would put in $?: the code, or 128 + the signal.
  [[nodiscard]] int shell_code() const { return how == How::exited ? value : 128 + value; }
  // "exit code 3", "killed by signal 15 (Terminated)".
  [[nodiscard]] std::string describe() const;
  friend bool operator==(const ExitStatus&, const ExitStatus&) = default;
};

class Child {
public:
  Child() = default;
  // Takes ownership of the child `pid` (and its pidfd, which may be empty).
  Child(pid_t pid, Fd pidfd) : m_pid(pid), m_pidfd(std::move(pidfd)) {}
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  Child(Child&& other) noexcept;
  Child& operator=(Child&& other) noexcept;
  // A child that was never waited for is killed (SIGKILL) and reaped, so
  // neither a zombie nor a stray process outlives its owner.
  ~Child();

  [[nodiscard]] pid_t pid() const { return m_pid; }

  // Waits for the child to end. Calling it again returns the same status.
  [[nodiscard]] Expected<ExitStatus> wait();
  // The status if the child has ended, nullopt if it still runs.
  [[nodiscard]] Expected<std::optional<ExitStatus>> try_wait();
  // Sends `signal`; through the pidfd where there is one, so that a recycled
  // pid can never be hit. With a pidfd (Linux 5.3+) it may be called while
  // another thread is in wait().
  [[nodiscard]] Expected<void> kill(int signal);

  // The parent's ends of the pipes asked for with Stdio::pipe(); empty
  // otherwise. Move them out, or close them, to send EOF.
  Fd stdin_pipe;  // write to the child's standard input
  Fd stdout_pipe; // read the child's standard output
  Fd stderr_pipe; // read the child's standard error

private:
  void reap_or_kill() noexcept;

  pid_t m_pid = -1;
  Fd m_pidfd;
  std::optional<ExitStatus> m_status;
};

} // namespace sealexec
