// Commands, exec, spawn and children of the C API (sealexec.h).
#include "sealexec/capi/handles.h"

#include "sealexec/exec/exec.h"
#include "sealexec/exec/name_link.h"

#include <csignal>

#include <algorithm>

using sealexec::Expected;
using sealexec::Stdio;
using namespace sealexec::capi;

namespace {

// A command without a handle: a fresh one.
const sealexec::SpawnOptions& options_of(const sealexec_command* command) {
  static const sealexec::SpawnOptions k_fresh = [] {
    sealexec::SpawnOptions fresh;
    fresh.close_other_fds = true;
    return fresh;
  }();
  return command != nullptr ? command->options : k_fresh;
}

// The wait(2) encoding: code << 8, or the signal with 0x80 for a core.
int wait_status_of(const sealexec::ExitStatus& status) {
  return status.how == sealexec::ExitStatus::How::exited
             ? (status.value & 0xff) << 8
             : (status.value & 0x7f) | (status.core_dumped ? 0x80 : 0);
}

Expected<void> need(bool present, std::string_view function) {
  if (!present) {
    return sealexec::fail(bad_argument(function, "a NULL handle or pointer"));
  }
  return {};
}

} // namespace

extern "C" {

sealexec_command* sealexec_command_new(void) {
  try {
    auto* command = new sealexec_command{};
    command->options.close_other_fds = true;
    return command;
  } catch (...) {
    return nullptr;
  }
}

void sealexec_command_free(sealexec_command* command) { delete command; }

sealexec_status sealexec_command_set_argv(sealexec_command* command, const char* const* argv,
                                          sealexec_error** error) {
  return guarded(error, [&]() -> Expected<void> {
    SEALEXEC_TRY(need(command != nullptr, "sealexec_command_set_argv"));
    SEALEXEC_TRY_ASSIGN(auto strings, string_list(argv, "sealexec_command_set_argv"));
    if (strings.empty()) {
      return sealexec::fail(bad_argument("sealexec_command_set_argv", "argv needs argv[0]"));
    }
    command->options.argv = std::move(strings);
    return {};
  });
}

sealexec_status sealexec_command_set_env(sealexec_command* command, const char* const* envp,
                                         sealexec_error** error) {
  return guarded(error, [&]() -> Expected<void> {
    SEALEXEC_TRY(need(command != nullptr, "sealexec_command_set_env"));
    if (envp == nullptr) {
      command->options.env.reset();
      return {};
    }
    SEALEXEC_TRY_ASSIGN(auto strings, string_list(envp, "sealexec_command_set_env"));
    for (const std::string& entry : strings) {
      if (entry.find('=') == std::string::npos || entry.front() == '=') {
        return sealexec::fail(bad_argument("sealexec_command_set_env",
                                           "'" + entry + "' is not NAME=value"));
      }
    }
    command->options.env = std::move(strings);
    return {};
  });
}

sealexec_status sealexec_command_set_cwd(sealexec_command* command, const char* directory,
                                         sealexec_error** error) {
  return guarded(error, [&]() -> Expected<void> {
    SEALEXEC_TRY(need(command != nullptr, "sealexec_command_set_cwd"));
    command->options.cwd = directory != nullptr ? directory : "";
    return {};
  });
}

sealexec_status sealexec_command_set_name(sealexec_command* command, const char* name,
                                          sealexec_error** error) {
  return guarded(error, [&]() -> Expected<void> {
    SEALEXEC_TRY(need(command != nullptr, "sealexec_command_set_name"));
    if (name != nullptr && *name != '\0' && !sealexec::is_usable_name(name)) {
      return sealexec::fail(bad_argument(
          "sealexec_command_set_name",
          std::string("'") + name + "' cannot be a file name (no '/', not . or .., at most 255 bytes)"));
    }
    command->options.name = name != nullptr ? name : "";
    return {};
  });
}

sealexec_status sealexec_command_set_origin(sealexec_command* command, const char* directory,
                                            sealexec_error** error) {
  return guarded(error, [&]() -> Expected<void> {
    SEALEXEC_TRY(need(command != nullptr, "sealexec_command_set_origin"));
    if (directory != nullptr && directory[0] != '/') {
      return sealexec::fail(
          bad_argument("sealexec_command_set_origin", "the directory must be an absolute path"));
    }
    if (directory == nullptr) {
      command->options.origin.reset();
    } else {
      command->options.origin = std::filesystem::path(directory);
    }
    return {};
  });
}

sealexec_status sealexec_command_set_stdio(sealexec_command* command, int stream,
                                           sealexec_stdio mode, int fd, sealexec_error** error) {
  return guarded(error, [&]() -> Expected<void> {
    SEALEXEC_TRY(need(command != nullptr, "sealexec_command_set_stdio"));
    Stdio chosen = Stdio::inherit();
    switch (mode) {
    case SEALEXEC_STDIO_INHERIT: chosen = Stdio::inherit(); break;
    case SEALEXEC_STDIO_NULL: chosen = Stdio::null(); break;
    case SEALEXEC_STDIO_PIPE: chosen = Stdio::pipe(); break;
    case SEALEXEC_STDIO_FD:
      if (fd < 0) {
        return sealexec::fail(bad_argument("sealexec_command_set_stdio", "a negative fd"));
      }
      chosen = Stdio::fd(fd);
      break;
    default:
      return sealexec::fail(bad_argument("sealexec_command_set_stdio", "an unknown mode"));
    }
    switch (stream) {
    case SEALEXEC_STDIN: command->options.stdin_stream = chosen; break;
    case SEALEXEC_STDOUT: command->options.stdout_stream = chosen; break;
    case SEALEXEC_STDERR: command->options.stderr_stream = chosen; break;
    default:
      return sealexec::fail(bad_argument("sealexec_command_set_stdio",
                                         "the stream is not 0, 1 or 2"));
    }
    return {};
  });
}

sealexec_status sealexec_exec(const sealexec_image* image, const sealexec_command* command,
                              sealexec_error** error) {
  return guarded(error, [&]() -> Expected<void> {
    SEALEXEC_TRY(need(image != nullptr, "sealexec_exec"));
    SEALEXEC_TRY(require_executable(*image, "sealexec_exec"));
    // Only ExecOptions apply: exec keeps the caller's streams and directory.
    const sealexec::ExecOptions& options = options_of(command);
    return sealexec::fail(sealexec::exec(image->image, options));
  });
}

sealexec_status sealexec_spawn(const sealexec_image* image, const sealexec_command* command,
                               sealexec_child** child, sealexec_error** error) {
  return guarded(error, [&]() -> Expected<void> {
    SEALEXEC_TRY(need(image != nullptr && child != nullptr, "sealexec_spawn"));
    SEALEXEC_TRY(require_executable(*image, "sealexec_spawn"));
    SEALEXEC_TRY_ASSIGN(sealexec::Child started,
                        sealexec::spawn(image->image, options_of(command)));
    *child = new sealexec_child{std::move(started)};
    return {};
  });
}

pid_t sealexec_child_pid(const sealexec_child* child) {
  return child != nullptr ? child->child.pid() : -1;
}

sealexec_status sealexec_child_wait(sealexec_child* child, int* wait_status,
                                    sealexec_error** error) {
  return guarded(error, [&]() -> Expected<void> {
    SEALEXEC_TRY(need(child != nullptr && wait_status != nullptr, "sealexec_child_wait"));
    SEALEXEC_TRY_ASSIGN(const sealexec::ExitStatus status, child->child.wait());
    *wait_status = wait_status_of(status);
    return {};
  });
}

sealexec_status sealexec_child_try_wait(sealexec_child* child, int* wait_status, int* ended,
                                        sealexec_error** error) {
  return guarded(error, [&]() -> Expected<void> {
    SEALEXEC_TRY(need(child != nullptr && wait_status != nullptr && ended != nullptr,
                      "sealexec_child_try_wait"));
    SEALEXEC_TRY_ASSIGN(const std::optional<sealexec::ExitStatus> status, child->child.try_wait());
    *ended = status ? 1 : 0;
    *wait_status = status ? wait_status_of(*status) : 0;
    return {};
  });
}

sealexec_status sealexec_child_kill(sealexec_child* child, int signal, sealexec_error** error) {
  return guarded(error, [&]() -> Expected<void> {
    SEALEXEC_TRY(need(child != nullptr, "sealexec_child_kill"));
    if (signal < 0 || signal >= NSIG) {
      return sealexec::fail(bad_argument("sealexec_child_kill", "no such signal"));
    }
    return child->child.kill(signal);
  });
}

int sealexec_child_take_pipe(sealexec_child* child, int stream) {
  if (child == nullptr) {
    return -1;
  }
  switch (stream) {
  case SEALEXEC_STDIN: return child->child.stdin_pipe.release();
  case SEALEXEC_STDOUT: return child->child.stdout_pipe.release();
  case SEALEXEC_STDERR: return child->child.stderr_pipe.release();
  default: return -1;
  }
}

void sealexec_child_free(sealexec_child* child) { delete child; }

} // extern "C"
