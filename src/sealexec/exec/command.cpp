#include "sealexec/exec/command.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <spawn.h>
#include <unistd.h>

#include <array>
#include <cerrno>

extern char** environ;

namespace sealexec {

namespace {

// posix_spawn_file_actions_t with RAII.
class FileActions {
public:
  FileActions() { m_ok = ::posix_spawn_file_actions_init(&m_actions) == 0; }
  FileActions(const FileActions&) = delete;
  FileActions& operator=(const FileActions&) = delete;
  ~FileActions() {
    if (m_ok) {
      ::posix_spawn_file_actions_destroy(&m_actions);
    }
  }
  [[nodiscard]] bool ok() const { return m_ok; }
  posix_spawn_file_actions_t* get() { return &m_actions; }

private:
  posix_spawn_file_actions_t m_actions{};
  bool m_ok = false;
};

// Sets up `target` for `output`; `parent_end` receives the reading end of a
// capture pipe, `child_end` keeps the writing end alive until the spawn.
int route(FileActions& actions, CommandSpec::Output output, int output_fd, int target,
          Fd& parent_end, Fd& child_end) {
  switch (output) {
  case CommandSpec::Output::to_fd:
    return output_fd < 0 ? EBADF
                         : ::posix_spawn_file_actions_adddup2(actions.get(), output_fd, target);
  case CommandSpec::Output::inherit:
    return 0;
  case CommandSpec::Output::to_stderr:
    return target == STDERR_FILENO
               ? 0
               : ::posix_spawn_file_actions_adddup2(actions.get(), STDERR_FILENO, target);
  case CommandSpec::Output::discard:
    return ::posix_spawn_file_actions_addopen(actions.get(), target, "/dev/null", O_WRONLY, 0);
  case CommandSpec::Output::capture: {
    auto pipe = make_pipe();
    if (!pipe) {
      return pipe.error().sys_errno != 0 ? pipe.error().sys_errno : EMFILE;
    }
    parent_end = std::move(pipe->read_end);
    child_end = std::move(pipe->write_end);
    return ::posix_spawn_file_actions_adddup2(actions.get(), child_end.get(), target);
  }
  }
  return 0;
}

std::vector<char*> c_strings(const std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  pointers.reserve(strings.size() + 1);
  for (const std::string& s : strings) {
    pointers.push_back(const_cast<char*>(s.c_str()));
  }
  pointers.push_back(nullptr);
  return pointers;
}

} // namespace

Expected<StartedCommand> start_command(const CommandSpec& spec) {
  const std::string program = spec.program.string();
  if (spec.argv.empty()) {
    return fail(make_error(Errc::invalid_argument, program, "no argv[0] given"));
  }
  FileActions actions;
  if (!actions.ok()) {
    return fail(system_error("cannot prepare to start", program, "posix_spawn_file_actions_init"));
  }
  StartedCommand started;
  Fd out_child;
  Fd err_child;
  int result = 0;
  if (spec.stdio_channel >= 0) {
    result = ::posix_spawn_file_actions_adddup2(actions.get(), spec.stdio_channel, STDIN_FILENO);
    if (result == 0) {
      result =
          ::posix_spawn_file_actions_adddup2(actions.get(), spec.stdio_channel, STDOUT_FILENO);
    }
  } else {
    result = ::posix_spawn_file_actions_addopen(actions.get(), STDIN_FILENO, "/dev/null",
                                                O_RDONLY, 0);
    if (result == 0) {
      result = route(actions, spec.stdout_to, spec.output_fd, STDOUT_FILENO, started.out, out_child);
    }
  }
  if (result == 0) {
    result = route(actions, spec.stderr_to, spec.output_fd, STDERR_FILENO, started.err, err_child);
  }
  const std::string cwd = spec.cwd.string();
  if (result == 0 && !cwd.empty()) {
    result = ::posix_spawn_file_actions_addchdir_np(actions.get(), cwd.c_str());
  }
  if (result != 0) {
    return fail(system_error("cannot prepare to start", program, "posix_spawn_file_actions",
                             result));
  }
  const std::vector<char*> argv = c_strings(spec.argv);
  pid_t pid = -1;
  result = ::posix_spawn(&pid, program.c_str(), actions.get(), nullptr, argv.data(), environ);
  if (result != 0) {
    Error error = system_error("cannot start", program, "posix_spawn", result);
    if (result == ENOENT) {
      error.code = Errc::not_found;
    } else if (result == EACCES || result == ENOEXEC) {
      error.code = Errc::not_runnable;
    }
    return fail(std::move(error));
  }
  started.child = Child(pid, Fd());
  return started;
}

Expected<CommandResult> finish_command(StartedCommand started, std::size_t max_output) {
  CommandResult result;
  std::array<Fd*, 2> fds{&started.out, &started.err};
  std::array<std::string*, 2> sinks{&result.out, &result.err};
  std::array<char, 16 * 1024> buffer{};
  for (;;) {
    std::array<pollfd, 2> polled{};
    nfds_t count = 0;
    std::array<std::size_t, 2> which{};
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if (*fds[i]) {
        polled[count] = {.fd = fds[i]->get(), .events = POLLIN, .revents = 0};
        which[count++] = i;
      }
    }
    if (count == 0) {
      break;
    }
    if (::poll(polled.data(), count, -1) < 0) {
      if (errno == EINTR) {
        continue;
      }
      return fail(system_error("cannot read the output of",
                               fmt::format("pid {}", started.child.pid()), "poll"));
    }
    for (nfds_t p = 0; p < count; ++p) {
      if (polled[p].revents == 0) {
        continue;
      }
      const std::size_t i = which[p];
      const ssize_t got = ::read(fds[i]->get(), buffer.data(), buffer.size());
      if (got < 0 && (errno == EINTR || errno == EAGAIN)) {
        continue;
      }
      if (got <= 0) {
        fds[i]->reset();
        continue;
      }
      std::string& sink = *sinks[i];
      const std::size_t room = max_output - std::min(max_output, sink.size());
      sink.append(buffer.data(), std::min(room, static_cast<std::size_t>(got)));
    }
  }
  SEALEXEC_TRY_ASSIGN(result.status, started.child.wait());
  return result;
}

Expected<CommandResult> run_command(const CommandSpec& spec, std::size_t max_output) {
  SEALEXEC_TRY_ASSIGN(StartedCommand started, start_command(spec));
  return finish_command(std::move(started), max_output);
}

} // namespace sealexec
