// Processes for the statistics tests: an append or a fold run in a child
// that dies by SIGKILL (a real death, its locks released by the kernel) or
// stops at an exact step, through the observer StatsFile calls at each step;
// optionally in a new PID namespace, under a chosen pid.
#pragma once

#include "sealexec/cache/stats_file.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace sealexec::test {

using StatsWork = std::function<Expected<void>(const cache::StatsObserver& observer)>;

enum class ChildEnd { killed, finished, failed };

namespace stats_detail {

constexpr int k_exit_killed = 137;   // how a namespace's init reports a SIGKILL'd worker
constexpr int k_exit_no_namespace = 77;

// The end of a child from its wait status.
inline ChildEnd child_end(int status) {
  if ((WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) ||
      (WIFEXITED(status) && WEXITSTATUS(status) == k_exit_killed)) {
    return ChildEnd::killed;
  }
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? ChildEnd::finished : ChildEnd::failed;
}

inline int wait_for(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

// In the child: runs `body` (which never returns), in a new PID namespace
// under `pid_in_namespace` when one is given. The namespace's init (pid 1)
// waits for it and passes its end on, since init itself cannot be killed
// from inside.
[[noreturn]] inline void run_child(const std::function<void()>& body,
                                   std::optional<pid_t> pid_in_namespace) {
  if (!pid_in_namespace) {
    body();
  }
  if (::unshare(CLONE_NEWPID) != 0) {
    ::_exit(k_exit_no_namespace);
  }
  const pid_t init = ::fork();
  if (init == 0) {
    if (*pid_in_namespace > 2) {
      // The next pid this namespace hands out (the file applies to the
      // writer's own namespace).
      const int fd = ::open("/proc/sys/kernel/ns_last_pid", O_WRONLY | O_CLOEXEC);
      const std::string last = std::to_string(*pid_in_namespace - 1);
      if (fd < 0 || ::write(fd, last.data(), last.size()) != static_cast<ssize_t>(last.size())) {
        ::_exit(k_exit_no_namespace);
      }
      ::close(fd);
    }
    const pid_t worker = ::fork();
    if (worker == 0) {
      if (::getpid() != *pid_in_namespace) {
        ::_exit(k_exit_no_namespace);
      }
      body();
    }
    const int status = wait_for(worker);
    ::_exit(child_end(status) == ChildEnd::killed ? k_exit_killed
            : WIFEXITED(status)                   ? WEXITSTATUS(status)
                                                  : 1);
  }
  const int status = wait_for(init);
  ::_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 1);
}

[[noreturn]] inline void finish(const Expected<void>& result) {
  if (!result) {
    std::fprintf(stderr, "child: %s\n", result.error().message().c_str());
  }
  ::_exit(result ? 0 : 1);
}

} // namespace stats_detail

// Runs `work` in a child that kills itself with SIGKILL right after the step
// numbered `kill_at` (from 0): `killed`, or `finished` when `work` had fewer
// steps (`failed` when it returned an error). GTEST_SKIP-worthy when the
// namespace could not be made: nullopt.
inline std::optional<ChildEnd> run_killed_at(int kill_at, const StatsWork& work,
                                             std::optional<pid_t> pid_in_namespace = {}) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    stats_detail::run_child(
        [&] {
          int seen = 0;
          stats_detail::finish(work([&](std::string_view) {
            if (seen++ == kill_at) {
              ::raise(SIGKILL);
            }
          }));
        },
        pid_in_namespace);
  }
  const int status = stats_detail::wait_for(pid);
  if (WIFEXITED(status) && WEXITSTATUS(status) == stats_detail::k_exit_no_namespace) {
    return std::nullopt;
  }
  return stats_detail::child_end(status);
}

// A child that runs `work` and stops at the first step named `stop_at`
// until it is resumed or killed.
class StoppedChild {
public:
  StoppedChild(std::string_view stop_at, const StatsWork& work,
               std::optional<pid_t> pid_in_namespace = {}) {
    int to_parent[2];
    int to_child[2];
    if (::pipe2(to_parent, O_CLOEXEC) != 0 || ::pipe2(to_child, O_CLOEXEC) != 0) {
      return;
    }
    m_pid = ::fork();
    if (m_pid == 0) {
      // A group of its own, so that kill() also reaches a namespace's
      // processes below it.
      ::setpgid(0, 0);
      ::close(to_parent[0]);
      ::close(to_child[1]);
      stats_detail::run_child(
          [&] {
            bool stopped = false;
            stats_detail::finish(work([&](std::string_view step) {
              if (!stopped && step == stop_at) {
                stopped = true;
                char byte = 's';
                char reply = 0;
                if (::write(to_parent[1], &byte, 1) != 1 || ::read(to_child[0], &reply, 1) != 1) {
                  ::_exit(1);
                }
              }
            }));
          },
          pid_in_namespace);
    }
    ::setpgid(m_pid, m_pid);
    ::close(to_parent[1]);
    ::close(to_child[0]);
    m_resume = to_child[1];
    char byte = 0;
    // EOF: the child ended without reaching the step.
    m_stopped = ::read(to_parent[0], &byte, 1) == 1;
    ::close(to_parent[0]);
  }
  StoppedChild(const StoppedChild&) = delete;
  StoppedChild& operator=(const StoppedChild&) = delete;
  ~StoppedChild() {
    if (m_pid > 0) {
      (void)kill();
    }
  }

  [[nodiscard]] bool stopped() const { return m_stopped; }

  // Lets it go on and waits for its end.
  ChildEnd resume() {
    const char byte = 'r';
    (void)!::write(m_resume, &byte, 1);
    return wait();
  }
  // SIGKILL, at the step where it stands.
  ChildEnd kill() {
    ::kill(-m_pid, SIGKILL);
    return wait();
  }

private:
  ChildEnd wait() {
    const int status = stats_detail::wait_for(m_pid);
    m_pid = -1;
    ::close(m_resume);
    return stats_detail::child_end(status);
  }

  pid_t m_pid = -1;
  int m_resume = -1;
  bool m_stopped = false;
};

// A pid that no process has in this namespace now (from the top: low ones
// are the kernel's threads), for a folder in another namespace to have.
inline pid_t unused_pid() {
  for (pid_t pid = 30000; pid > 300; --pid) {
    if (::kill(pid, 0) != 0 && errno == ESRCH) {
      return pid;
    }
  }
  return 0;
}

} // namespace sealexec::test
