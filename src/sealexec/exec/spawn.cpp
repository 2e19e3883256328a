#include "sealexec/exec/spawn.h"

#include "sealexec/image/memfd.h"
#include <fcntl.h>
#include <fmt/format.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>

namespace sealexec {

namespace {

struct Redirect {
  int source; // a descriptor of the parent
  int target; // the number the child should see it under
};

// Everything the child needs, prepared by the parent: the child shares the
// parent's memory (CLONE_VM) and must not allocate, lock or throw.
struct ChildPlan {
  int image_fd = -1;
  bool keep_image_fd = false;
  bool close_other_fds = false;
  int lowest_free_fd = 3; // above every target descriptor
  const Redirect* redirects = nullptr;
  std::size_t redirect_count = 0;
  int* moved = nullptr; // scratch, one per redirect
  const char* cwd = nullptr;
  char* const* argv = nullptr;
  char* const* envp = nullptr;
  sigset_t parent_mask{};
  // Written by the child when it fails before exec.
  int error_errno = 0;
  const char* error_operation = nullptr;
};

[[noreturn]] void child_fails(ChildPlan& plan, const char* operation) noexcept {
  plan.error_errno = errno;
  plan.error_operation = operation;
  ::_exit(127);
}

// Marks every descriptor from 3 up close-on-exec, then clears the mark on
// the targets and on a script's image: the program gets those and nothing
// else the parent left inheritable. Async-signal-safe.
void close_other_fds(ChildPlan& plan, int image_fd) noexcept {
  if (::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) != 0) {
    // Before Linux 5.11: one fcntl per possible descriptor.
    struct rlimit limit {};
    const rlim_t highest = ::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY
                               ? limit.rlim_cur
                               : 65536;
    for (rlim_t fd = 3; fd < highest; ++fd) {
      ::fcntl(static_cast<int>(fd), F_SETFD, FD_CLOEXEC);
    }
  }
  for (std::size_t i = 0; i < plan.redirect_count; ++i) {
    if (plan.redirects[i].target >= 3 && ::fcntl(plan.redirects[i].target, F_SETFD, 0) != 0) {
      child_fails(plan, "fcntl(F_SETFD)");
    }
  }
  if (plan.keep_image_fd && ::fcntl(image_fd, F_SETFD, 0) != 0) {
    child_fails(plan, "fcntl(F_SETFD) of the image");
  }
}

// Runs in the child, on its own stack, while the parent thread waits
// (CLONE_VFORK). Only async-signal-safe calls from here on.
int child_main(void* argument) noexcept {
  auto& plan = *static_cast<ChildPlan*>(argument);

  // Handlers installed by the parent would run parent code in the child's
  // shared address space; the child gets default dispositions instead (what
  // exec would give it anyway). Ignored signals stay ignored, as POSIX wants.
  for (int signal = 1; signal < NSIG; ++signal) {
    struct sigaction action {};
    if (::sigaction(signal, nullptr, &action) == 0 && action.sa_handler != SIG_IGN &&
        action.sa_handler != SIG_DFL) {
      action.sa_handler = SIG_DFL;
      action.sa_flags = 0;
      ::sigaction(signal, &action, nullptr);
    }
  }

  // First lift the image and every source above all targets, so that no
  // dup2 into a target can close a descriptor still needed.
  const int image_fd = ::fcntl(plan.image_fd, plan.keep_image_fd ? F_DUPFD : F_DUPFD_CLOEXEC,
                               plan.lowest_free_fd);
  if (image_fd < 0) {
    child_fails(plan, "fcntl(F_DUPFD) of the image");
  }
  for (std::size_t i = 0; i < plan.redirect_count; ++i) {
    plan.moved[i] = ::fcntl(plan.redirects[i].source, F_DUPFD_CLOEXEC, plan.lowest_free_fd);
    if (plan.moved[i] < 0) {
      child_fails(plan, "fcntl(F_DUPFD_CLOEXEC)");
    }
  }
  // dup2 clears close-on-exec on the target; the lifted copies keep it and
  // vanish at exec.
  for (std::size_t i = 0; i < plan.redirect_count; ++i) {
    if (::dup2(plan.moved[i], plan.redirects[i].target) < 0) {
      child_fails(plan, "dup2");
    }
  }
  if (plan.close_other_fds) {
    close_other_fds(plan, image_fd);
  }
  if (plan.cwd != nullptr && ::chdir(plan.cwd) != 0) {
    child_fails(plan, "chdir");
  }
  ::sigprocmask(SIG_SETMASK, &plan.parent_mask, nullptr);
  exec_fd(image_fd, plan.argv, plan.envp);
  child_fails(plan, "execveat");
}

// Blocks every signal for its lifetime, so that no handler runs in the
// child before it resets them.
class BlockAllSignals {
public:
  BlockAllSignals() {
    sigset_t all;
    ::sigfillset(&all);
    ::pthread_sigmask(SIG_SETMASK, &all, &m_previous);
  }
  BlockAllSignals(const BlockAllSignals&) = delete;
  BlockAllSignals& operator=(const BlockAllSignals&) = delete;
  ~BlockAllSignals() { ::pthread_sigmask(SIG_SETMASK, &m_previous, nullptr); }
  [[nodiscard]] const sigset_t& previous() const { return m_previous; }

private:
  sigset_t m_previous{};
};

// The child's stack. It is mapped fresh each time, lazily: only the pages
// the child touches cost anything.
constexpr std::size_t k_child_stack_size = 256 * 1024;

class ChildStack {
public:
  ChildStack() {
    m_base = ::mmap(nullptr, k_child_stack_size, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK | MAP_NORESERVE, -1, 0);
  }
  ChildStack(const ChildStack&) = delete;
  ChildStack& operator=(const ChildStack&) = delete;
  ~ChildStack() {
    if (m_base != MAP_FAILED) {
      ::munmap(m_base, k_child_stack_size);
    }
  }
  [[nodiscard]] bool ok() const { return m_base != MAP_FAILED; }
  // Stacks grow down on every architecture we build for.
  [[nodiscard]] void* top() const { return static_cast<char*>(m_base) + k_child_stack_size; }

private:
  void* m_base = MAP_FAILED;
};

struct StreamSetup {
  std::vector<Redirect> redirects;
  std::vector<Fd> child_ends; // closed in the parent once the child has them
  Fd null_fd;
};

Expected<void> add_stream(StreamSetup& setup, const Stdio& stdio, int target, Fd& parent_end,
                          std::string_view source) {
  switch (stdio.mode()) {
  case Stdio::Mode::inherit:
    return {};
  case Stdio::Mode::null:
    if (!setup.null_fd) {
      SEALEXEC_TRY_ASSIGN(setup.null_fd, open_fd("/dev/null", O_RDWR));
    }
    setup.redirects.push_back({setup.null_fd.get(), target});
    return {};
  case Stdio::Mode::fd:
    if (stdio.descriptor() < 0) {
      return fail(make_error(Errc::invalid_argument, source,
                             fmt::format("invalid descriptor for child fd {}", target)));
    }
    setup.redirects.push_back({stdio.descriptor(), target});
    return {};
  case Stdio::Mode::pipe: {
    SEALEXEC_TRY_ASSIGN(Pipe pipe, make_pipe());
    const bool child_reads = target == STDIN_FILENO;
    Fd& child_end = child_reads ? pipe.read_end : pipe.write_end;
    parent_end = std::move(child_reads ? pipe.write_end : pipe.read_end);
    setup.redirects.push_back({child_end.get(), target});
    setup.child_ends.push_back(std::move(child_end));
    return {};
  }
  }
  return {};
}

int clone_child(ChildPlan& plan, void* stack_top, int& pidfd) {
  constexpr int k_flags = CLONE_VM | CLONE_VFORK | SIGCHLD;
  int pid = ::clone(child_main, stack_top, k_flags | CLONE_PIDFD, &plan, &pidfd);
  if (pid < 0 && errno == EINVAL) {
    // Kernels before 5.2 have no CLONE_PIDFD.
    pidfd = -1;
    pid = ::clone(child_main, stack_top, k_flags, &plan, nullptr);
  }
  return pid;
}

} // namespace

Expected<Child> spawn(const SealedImage& image, const SpawnOptions& options) {
  ExecOptions exec_options = options;
  if (options.argv0) {
    if (exec_options.argv.empty()) {
      exec_options.argv.push_back(*options.argv0);
    } else {
      exec_options.argv.front() = *options.argv0;
    }
  }
  SEALEXEC_TRY_ASSIGN(const Launch launch, prepare_launch(image, exec_options, options.cwd));

  StreamSetup setup;
  Fd stdin_pipe;
  Fd stdout_pipe;
  Fd stderr_pipe;
  SEALEXEC_TRY(add_stream(setup, options.stdin_stream, STDIN_FILENO, stdin_pipe, image.source()));
  SEALEXEC_TRY(
      add_stream(setup, options.stdout_stream, STDOUT_FILENO, stdout_pipe, image.source()));
  SEALEXEC_TRY(
      add_stream(setup, options.stderr_stream, STDERR_FILENO, stderr_pipe, image.source()));
  int highest_target = STDERR_FILENO;
  for (const ExtraFd& extra : options.extra_fds) {
    if (extra.child_fd < 0 || extra.parent_fd < 0) {
      return fail(make_error(Errc::invalid_argument, image.source(),
                             fmt::format("invalid extra descriptor {} -> {}", extra.parent_fd,
                                         extra.child_fd)));
    }
    setup.redirects.push_back({extra.parent_fd, extra.child_fd});
    highest_target = std::max(highest_target, extra.child_fd);
  }

  // A script's interpreter inherits the image's descriptor; it gets a
  // read-only one. The parent's copy stays close-on-exec.
  Fd script_fd;
  if (launch.keep_image_fd) {
    SEALEXEC_TRY_ASSIGN(script_fd, reopen_read_only(image.fd(), image.source()));
  }

  std::vector<int> moved(setup.redirects.size(), -1);
  const std::string cwd = options.cwd.string();
  ChildPlan plan;
  plan.image_fd = script_fd ? script_fd.get() : image.fd();
  plan.keep_image_fd = launch.keep_image_fd;
  plan.close_other_fds = options.close_other_fds;
  plan.lowest_free_fd = highest_target + 1;
  plan.redirects = setup.redirects.data();
  plan.redirect_count = setup.redirects.size();
  plan.moved = moved.data();
  plan.cwd = cwd.empty() ? nullptr : cwd.c_str();
  plan.argv = launch.argv.data();
  plan.envp = launch.envp.data();

  const ChildStack stack;
  if (!stack.ok()) {
    return fail(system_error("cannot allocate a stack for the child", image.source(), "mmap"));
  }
  int pidfd = -1;
  int pid = -1;
  {
    const BlockAllSignals blocked;
    plan.parent_mask = blocked.previous();
    const int saved_errno = errno;
    pid = clone_child(plan, stack.top(), pidfd);
    if (pid < 0) {
      return fail(system_error("cannot start a child for", image.source(), "clone"));
    }
    errno = saved_errno;
  }
  Child started(pid, Fd(pidfd));
  if (plan.error_errno != 0) {
    (void)started.wait();
    Error error = system_error("cannot start", image.source(),
                               plan.error_operation, plan.error_errno);
    if (std::string_view(plan.error_operation) == "execveat") {
      error.code = Errc::not_runnable;
    } else if (std::string_view(plan.error_operation) == "chdir") {
      // "/missing: cannot start <memory> in this directory: chdir: No such...".
      error.path = cwd;
      error.reason = fmt::format("cannot start {} in this directory", image.source());
      error.code = plan.error_errno == ENOENT ? Errc::not_found : Errc::invalid_argument;
    }
    return fail(std::move(error));
  }
  started.stdin_pipe = std::move(stdin_pipe);
  started.stdout_pipe = std::move(stdout_pipe);
  started.stderr_pipe = std::move(stderr_pipe);
  return started;
}

} // namespace sealexec
