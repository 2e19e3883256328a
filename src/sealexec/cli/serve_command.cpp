#include "sealexec/cli/serve_command.h"

#include "sealexec/cache/config.h"
#include "sealexec/cli/exit_codes.h"
#include "sealexec/cli/output.h"
#include "sealexec/image/memory_tier.h"
#include "sealexec/serve/tier_server.h"

#include <fmt/format.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <cstdlib>

namespace sealexec::cli {

namespace {

constexpr OptionSpec k_serve_options[] = {
    {"--memory-limit", "", "SIZE",
     "Hold at most SIZE bytes of images (like 512M or 2G; default: an eighth of the memory)"},
    {"--idle-timeout", "", "SECONDS",
     "Exit after SECONDS without a client (default 600; 0: never)"},
    {"--status", "", "", "Print the running server's status line and exit (1: none runs)"},
    {"--on-demand", "", "",
     "Serve the socket and lock passed as descriptors 3 and 4 (how clients start it)"},
};

constexpr int k_exit_not_running = 1;

// A descriptor of a kind fstat confirms, for the inherited ones.
bool is_socket(int fd) {
  struct stat st {};
  return ::fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode);
}

// The listening socket systemd passed (socket activation: LISTEN_PID is
// us, LISTEN_FDS is 1, the socket is descriptor 3).
std::optional<Fd> systemd_socket() {
  const char* pid = std::getenv("LISTEN_PID");
  const char* count = std::getenv("LISTEN_FDS");
  if (pid == nullptr || count == nullptr || std::string_view(count) != "1") {
    return std::nullopt;
  }
  long value = 0;
  const std::string_view text(pid);
  if (std::from_chars(text.data(), text.data() + text.size(), value).ec != std::errc() ||
      value != ::getpid() || !is_socket(3)) {
    return std::nullopt;
  }
  ::unsetenv("LISTEN_PID");
  ::unsetenv("LISTEN_FDS");
  ::fcntl(3, F_SETFD, FD_CLOEXEC);
  return Fd(3);
}

// Raises the soft descriptor limit to the hard one: every image held is a
// descriptor.
void raise_descriptor_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }
}

int serve(const ParsedOptions& options) {
  TierServerOptions settings;
  if (const auto limit = options.value("--memory-limit")) {
    const auto size = cache::parse_size(*limit);
    if (!size || *size == 0) {
      report(make_error(Errc::invalid_argument, "--memory-limit",
                        fmt::format("'{}' is not a size (like 512M or 2G)", *limit)));
      return k_exit_check_error;
    }
    settings.memory_limit = *size;
  }
  if (const auto idle = options.value("--idle-timeout")) {
    unsigned seconds = 0;
    const auto [end, error] = std::from_chars(idle->data(), idle->data() + idle->size(), seconds);
    if (error != std::errc() || end != idle->data() + idle->size() || seconds > 86400 * 365) {
      report(make_error(Errc::invalid_argument, "--idle-timeout",
                        fmt::format("'{}' is not a number of seconds", *idle)));
      return k_exit_check_error;
    }
    settings.idle_timeout = std::chrono::seconds(seconds);
  }
  if (!options.operands().empty()) {
    report(make_error(Errc::invalid_argument, options.operands().front(),
                      "unexpected argument (see sealexec serve --help)"));
    return k_exit_check_error;
  }
  auto socket_path = default_tier_socket_path();
  if (options.has("--status")) {
    MemoryTier tier(MemoryTierOptions{.socket_path = socket_path.value_or("")});
    const auto status = socket_path ? tier.status() : std::nullopt;
    if (!status) {
      report(make_error(Errc::not_found, socket_path.value_or(""), "no memory-tier server answers"));
      return k_exit_not_running;
    }
    std::fputs(fmt::format("{}\n", shown(*status)).c_str(), stdout);
    return k_exit_ok;
  }

  Fd listener;
  Fd lock;
  if (auto activated = systemd_socket()) {
    // systemd owns the socket and starts us again on the next connection;
    // we still leave when the socket at our path is removed or replaced.
    listener = std::move(*activated);
    settings.watched_socket = socket_path.value_or("");
  } else if (options.has("--on-demand")) {
    if (!is_socket(3)) {
      report(make_error(Errc::invalid_argument, "--on-demand",
                        "descriptor 3 is not a socket (clients start the server this way)"));
      return k_exit_check_error;
    }
    listener = Fd(3);
    lock = Fd(4);
    ::fcntl(3, F_SETFD, FD_CLOEXEC);
    ::fcntl(4, F_SETFD, FD_CLOEXEC);
    settings.watched_socket = socket_path.value_or("");
    settings.remove_socket_on_exit = socket_path.has_value();
  } else {
    if (!socket_path) {
      report(socket_path.error());
      return k_exit_check_error;
    }
    auto claimed = claim_tier_socket(*socket_path);
    if (!claimed) {
      report(claimed.error());
      return k_exit_check_error;
    }
    if (!*claimed) {
      report(make_error(Errc::invalid_argument, *socket_path,
                        "a memory-tier server already serves it (sealexec serve --status)"));
      return k_exit_not_running;
    }
    listener = std::move((*claimed)->listener);
    lock = std::move((*claimed)->lock);
    settings.watched_socket = *socket_path;
    settings.remove_socket_on_exit = true;
  }
  raise_descriptor_limit();
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGHUP);
  ::sigprocmask(SIG_BLOCK, &stop_signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
  const Fd stop(::signalfd(-1, &stop_signals, SFD_CLOEXEC | SFD_NONBLOCK));
  TierServer server(std::move(listener), stop.get(), settings);
  if (auto served = server.run(); !served) {
    report(served.error());
    return k_exit_check_error;
  }
  return k_exit_ok;
}

} // namespace

const Command k_serve_command{
    .name = "serve",
    .summary = "Keep sealed programs in memory for this user's later runs (the memory tier).",
    .usage = "sealexec serve [OPTIONS]",
    .details =
        "Serves sealed images on $XDG_RUNTIME_DIR/sealexec/tier.sock to processes of this\n"
        "user only. run, cache exec and scripts ask it first for programs of 1 MiB or more\n"
        "that they copied before, and offer it what they copy; clients start it on demand,\n"
        "and it exits when idle. A file changed on disk is a new key. Set\n"
        "SEALEXEC_MEMORY_TIER=off to stop clients using it. See docs/serve.md.\n"
        "\n"
        "Exit status: 0 when stopped (SIGTERM, SIGINT) or idle; 1 when another server\n"
        "runs (or, with --status, none does); 2 on errors.",
    .options = k_serve_options,
    .operands = Operands::files,
    .usage_exit_code = k_exit_check_error,
    .run = serve,
};

} // namespace sealexec::cli
