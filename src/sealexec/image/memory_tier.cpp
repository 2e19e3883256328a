#include "sealexec/image/memory_tier.h"

#include "sealexec/image/memfd.h"
#include "sealexec/image/read_lease.h"
#include "sealexec/image/sealed_image.h"
#include "sealexec/util/runtime_dir.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/statfs.h>
#include <fmt/format.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <signal.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <vector>

extern char** environ;

namespace sealexec {

namespace {

// Newer than Debian 12's headers: a mount id no later mount reuses (Linux
// 6.8), and ZFS's magic, which is not in <linux/magic.h>.
constexpr unsigned k_statx_mnt_id_unique = 0x4000U;
constexpr unsigned long k_zfs_magic = 0x2fc12fc1UL;

// Room for a few descriptors: a hostile server may send more than one, and
// every one received must be closed.
constexpr std::size_t k_max_received_fds = 8;

Expected<sockaddr_un> socket_address(const std::string& path) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(address.sun_path)) {
    return fail(make_error(Errc::invalid_argument, path, "is too long for a unix socket path"));
  }
  std::memcpy(address.sun_path, path.data(), path.size());
  return address;
}

// Sends `message` with `fd` (when >= 0) as SCM_RIGHTS, without waiting.
bool send_message(int socket, std::span<const std::byte> message, int fd) {
  iovec part{const_cast<std::byte*>(message.data()), message.size()};
  msghdr header{};
  header.msg_iov = &part;
  header.msg_iovlen = 1;
  alignas(cmsghdr) std::array<char, CMSG_SPACE(sizeof(int))> control{};
  if (fd >= 0) {
    header.msg_control = control.data();
    header.msg_controllen = control.size();
    cmsghdr* rights = CMSG_FIRSTHDR(&header);
    rights->cmsg_level = SOL_SOCKET;
    rights->cmsg_type = SCM_RIGHTS;
    rights->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(rights), &fd, sizeof(int));
  }
  ssize_t sent = 0;
  do {
    sent = ::sendmsg(socket, &header, MSG_NOSIGNAL | MSG_DONTWAIT);
  } while (sent < 0 && errno == EINTR);
  return sent == static_cast<ssize_t>(message.size());
}

} // namespace

bool peer_is_same_user(int socket) {
  ucred credentials{};
  socklen_t length = sizeof(credentials);
  return ::getsockopt(socket, SOL_SOCKET, SO_PEERCRED, &credentials, &length) == 0 &&
         length == sizeof(credentials) && credentials.uid == ::geteuid();
}

ReceivedMessage receive_message(int socket) {
  ReceivedMessage received;
  received.bytes.resize(k_tier_message_max + 1);
  iovec part{received.bytes.data(), received.bytes.size()};
  msghdr header{};
  header.msg_iov = &part;
  header.msg_iovlen = 1;
  alignas(cmsghdr) std::array<char, CMSG_SPACE(sizeof(int) * k_max_received_fds)> control{};
  header.msg_control = control.data();
  header.msg_controllen = control.size();
  ssize_t got = 0;
  do {
    got = ::recvmsg(socket, &header, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
  } while (got < 0 && errno == EINTR);
  if (got <= 0) {
    received.would_block = got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
    received.bytes.clear();
    received.ok = false;
    return received;
  }
  for (cmsghdr* part_header = CMSG_FIRSTHDR(&header); part_header != nullptr;
       part_header = CMSG_NXTHDR(&header, part_header)) {
    if (part_header->cmsg_level != SOL_SOCKET || part_header->cmsg_type != SCM_RIGHTS) {
      continue;
    }
    const std::size_t count = (part_header->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (std::size_t i = 0; i < count; ++i) {
      int fd = -1;
      std::memcpy(&fd, CMSG_DATA(part_header) + i * sizeof(int), sizeof(int));
      received.fds.emplace_back(fd);
    }
  }
  received.bytes.resize(static_cast<std::size_t>(got));
  received.ok = (header.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) == 0 &&
                received.bytes.size() <= k_tier_message_max;
  return received;
}

bool send_tier_message(int socket, std::span<const std::byte> message, int fd) {
  return send_message(socket, message, fd);
}

std::optional<std::uint64_t> identity_mount(int fd, bool lease_is_ours) {
  struct statfs fs {};
  if (::fstatfs(fd, &fs) != 0) {
    return std::nullopt;
  }
  // Image file systems cannot be written at all; the others stamp ctime
  // themselves. A mount's read-only flag proves nothing: the same file may
  // be writable through another mount of the same file system (a bind).
  bool writable = true;
  switch (static_cast<unsigned long>(fs.f_type)) {
  case SQUASHFS_MAGIC:
  case EROFS_SUPER_MAGIC_V1:
    writable = false;
    break;
  case EXT4_SUPER_MAGIC: // also ext2 and ext3
  case XFS_SUPER_MAGIC:
  case BTRFS_SUPER_MAGIC:
  case TMPFS_MAGIC:
  case F2FS_SUPER_MAGIC:
  case OVERLAYFS_SUPER_MAGIC:
  case k_zfs_magic:
    break;
  default:
    return std::nullopt;
  }
  if (writable) {
    // Only a lease proves that nobody has the file open for writing; who
    // may write it now says nothing about who opened it earlier.
    const ReadLease lease =
        ReadLease::take(fd, lease_is_ours ? ReadLease::Descriptor::ours
                                          : ReadLease::Descriptor::shared);
    if (lease.state() != ReadLease::State::held) {
      return std::nullopt;
    }
  }
  // Only the unique id (Linux 6.8): the plain one is handed to the next
  // mount, so an image mounted again would get its predecessor's.
  struct statx extended {};
  if (::statx(fd, "", AT_EMPTY_PATH, k_statx_mnt_id_unique, &extended) != 0 ||
      (extended.stx_mask & k_statx_mnt_id_unique) == 0) {
    return std::nullopt;
  }
  return extended.stx_mnt_id;
}

std::string memfd_link_text(const std::string& memfd_name) {
  return fmt::format("/memfd:{} (deleted)", memfd_name);
}

bool fits_key(int fd, const TierKey& key, const Xxh3Digest& digest) {
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
      static_cast<std::uint64_t>(st.st_size) != key.size || !has_base_seals(fd)) {
    return false;
  }
  const bool executable = (st.st_mode & 0111) != 0;
  if (executable != (key.executable == Executable::yes)) {
    return false;
  }
  if (key.kind == TierKey::Kind::blob && digest != key.digest) {
    return false;
  }
  std::array<char, 512> link{};
  const std::string proc = fmt::format("/proc/self/fd/{}", fd);
  const ssize_t length = ::readlink(proc.c_str(), link.data(), link.size());
  return length > 0 && static_cast<std::size_t>(length) < link.size() &&
         std::string_view(link.data(), static_cast<std::size_t>(length)) ==
             memfd_link_text(image_memfd_name(key.name, digest));
}

Expected<std::string> default_tier_socket_path() {
  SEALEXEC_TRY_ASSIGN(const std::string directory, private_runtime_dir());
  return directory + "/tier.sock";
}

std::string tier_lock_path(const std::string& socket_path) {
  const std::size_t slash = socket_path.rfind('/');
  return (slash == std::string::npos ? std::string() : socket_path.substr(0, slash + 1)) +
         "tier.lock";
}

Expected<std::optional<ClaimedSocket>> claim_tier_socket(const std::string& path) {
  SEALEXEC_TRY_ASSIGN(const sockaddr_un address, socket_address(path));
  const std::string lock_path = tier_lock_path(path);
  SEALEXEC_TRY_ASSIGN(Fd lock, open_fd(lock_path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW, 0600));
  if (::flock(lock.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      return std::optional<ClaimedSocket>();
    }
    return fail(system_error("cannot lock", lock_path, "flock"));
  }
  // Only a live server of ours holds the lock, but systemd may be listening
  // on the socket for one it starts on demand (docs/serve.md): a socket that
  // accepts a connection is served. Anything else at `path` is stale.
  {
    const Fd probe(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (probe &&
        ::connect(probe.get(), reinterpret_cast<const sockaddr*>(&address), sizeof(address)) ==
            0) {
      return std::optional<ClaimedSocket>();
    }
  }
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return fail(system_error("cannot remove the stale socket", path, "unlink"));
  }
  Fd listener(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!listener) {
    return fail(system_error("cannot create a socket for", path, "socket"));
  }
  if (::bind(listener.get(), reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
    return fail(system_error("cannot bind", path, "bind"));
  }
  if (::listen(listener.get(), 64) != 0) {
    return fail(system_error("cannot listen on", path, "listen"));
  }
  return std::optional<ClaimedSocket>(
      ClaimedSocket{.listener = std::move(listener), .lock = std::move(lock)});
}

MemoryTier::MemoryTier(MemoryTierOptions options) : m_options(std::move(options)) {}

Expected<Fd> MemoryTier::connect_to_server() {
  if (m_options.socket_path.empty()) {
    SEALEXEC_TRY_ASSIGN(m_options.socket_path, default_tier_socket_path());
  }
  SEALEXEC_TRY_ASSIGN(const sockaddr_un address, socket_address(m_options.socket_path));
  Fd socket(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!socket) {
    return fail(system_error("cannot create a socket", m_options.socket_path, "socket"));
  }
  if (::connect(socket.get(), reinterpret_cast<const sockaddr*>(&address), sizeof(address)) !=
      0) {
    return fail(system_error("cannot connect to", m_options.socket_path, "connect"));
  }
  if (!peer_is_same_user(socket.get())) {
    return fail(make_error(Errc::policy, m_options.socket_path, "is served by another user"));
  }
  return socket;
}

std::optional<PendingFind> MemoryTier::ask(const TierKey& key) {
  auto socket = connect_to_server();
  if (!socket ||
      !send_message(socket->get(), encode(TierRequest{.op = TierOp::find, .key = key}), -1)) {
    return std::nullopt;
  }
  return PendingFind(std::move(*socket), key);
}

std::optional<TierImage> MemoryTier::find(const TierKey& key) {
  auto pending = ask(key);
  if (!pending) {
    return std::nullopt;
  }
  return pending->ready(m_options.timeout);
}

std::optional<TierImage> PendingFind::ready(std::chrono::microseconds wait) {
  if (!m_socket) {
    return std::nullopt;
  }
  pollfd waiting{.fd = m_socket.get(), .events = POLLIN, .revents = 0};
  const timespec limit{.tv_sec = static_cast<time_t>(wait.count() / 1'000'000),
                       .tv_nsec = static_cast<long>(wait.count() % 1'000'000 * 1000)};
  int polled = 0;
  do {
    polled = ::ppoll(&waiting, 1, &limit, nullptr);
  } while (polled < 0 && errno == EINTR);
  if (polled == 0) {
    return std::nullopt; // not yet
  }
  const Fd socket = std::move(m_socket); // one reply, whatever it is
  if (polled < 0 || (waiting.revents & POLLIN) == 0) {
    return std::nullopt;
  }
  ReceivedMessage received = receive_message(socket.get());
  const auto reply = received.ok ? decode_reply(received.bytes) : std::nullopt;
  if (!reply || !reply->found || received.fds.size() != 1 ||
      !fits_key(received.fds.front().get(), m_key, reply->digest)) {
    return std::nullopt; // every descriptor received is closed with `received`
  }
  return TierImage{.fd = std::move(received.fds.front()),
                   .digest = reply->digest,
                   .memfd_name = image_memfd_name(m_key.name, reply->digest)};
}

void MemoryTier::offer(const TierKey& key, int fd, const Xxh3Digest& digest) {
  auto socket = connect_to_server();
  if (!socket) {
    const int error = socket.error().sys_errno;
    if (error == ENOENT || error == ECONNREFUSED) {
      start_server();
      socket = connect_to_server();
    }
    if (!socket) {
      return;
    }
  }
  // A full socket buffer (a server that does not read) just loses the offer.
  (void)send_message(socket->get(),
                     encode(TierRequest{.op = TierOp::offer, .key = key, .digest = digest}), fd);
}

std::optional<std::string> MemoryTier::status() {
  auto socket = connect_to_server();
  if (!socket || !send_message(socket->get(), encode(TierRequest{.op = TierOp::status}), -1)) {
    return std::nullopt;
  }
  pollfd ready{.fd = socket->get(), .events = POLLIN, .revents = 0};
  if (::poll(&ready, 1, 1000) <= 0) {
    return std::nullopt;
  }
  ReceivedMessage received = receive_message(socket->get());
  const auto reply = received.ok ? decode_reply(received.bytes) : std::nullopt;
  if (!reply) {
    return std::nullopt;
  }
  return reply->status;
}

namespace {

struct ServerStart {
  const char* program;
  int listener;
  int lock;
};

// In the server's process, just before exec: only what the server needs
// (stdio on /dev/null, the socket as 3, the lock as 4), default signal
// handling and mask, no directory kept busy. Async-signal-safe calls only.
[[noreturn]] void become_server(const ServerStart& start) {
  // Above 0-4 first: with the caller's stdio closed, the socket or the lock
  // may be one of those numbers.
  const int listener = ::fcntl(start.listener, F_DUPFD, 10);
  const int lock = ::fcntl(start.lock, F_DUPFD, 10);
  const int null = ::open("/dev/null", O_RDWR);
  if (listener < 0 || lock < 0 || null < 0 || ::dup2(null, 0) < 0 || ::dup2(null, 1) < 0 ||
      ::dup2(null, 2) < 0 || ::dup2(listener, 3) < 0 || ::dup2(lock, 4) < 0 ||
      ::chdir("/") != 0) {
    ::_exit(127);
  }
  // Whatever else the caller had open without FD_CLOEXEC (a pipe its shell
  // waits on, a lock) is not the server's to keep for its idle time.
  if (::syscall(SYS_close_range, 5U, ~0U, 0U) != 0) {
    for (int fd = 5; fd < 4096; ++fd) {
      ::close(fd);
    }
  }
  sigset_t none;
  ::sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  for (int signal = 1; signal < NSIG; ++signal) {
    ::signal(signal, SIG_DFL); // SIGKILL and SIGSTOP just fail
  }
  ::umask(077);
  const std::array<const char*, 4> argv{start.program, "serve", "--on-demand", nullptr};
  ::execve(start.program, const_cast<char* const*>(argv.data()), environ);
  ::_exit(127);
}

// A new process, like fork(2) but through the raw system call: glibc's
// fork would run its atfork handlers and take malloc's locks, which another
// thread of an embedding program may hold, and only async-signal-safe calls
// follow in the child. With `exit_signal` 0 the parent is not signalled when
// it ends.
pid_t raw_fork(int exit_signal) {
  return static_cast<pid_t>(::syscall(SYS_clone, static_cast<unsigned long>(exit_signal), nullptr,
                                      nullptr, nullptr, 0UL));
}

// Whether an orphan of ours would come back to us: PID 1 of a PID namespace
// (a container without an init) or a child subreaper. The server would then
// be the child of the program we go on to exec.
bool orphans_come_back() {
  int subreaper = 0;
  return ::getpid() == 1 ||
         (::prctl(PR_GET_CHILD_SUBREAPER, &subreaper) == 0 && subreaper != 0);
}

} // namespace

void MemoryTier::start_server() {
  if (m_started || !m_options.server_program || m_options.socket_path.empty() ||
      orphans_come_back()) {
    return;
  }
  m_started = true;
  const std::string server_program = m_options.server_program();
  if (server_program.empty()) {
    return;
  }
  auto claimed = claim_tier_socket(m_options.socket_path);
  if (!claimed || !*claimed) {
    return; // another server holds the lock, or serves the socket
  }
  ServerStart start{.program = server_program.c_str(),
                    .listener = (*claimed)->listener.get(),
                    .lock = (*claimed)->lock.get()};
  // Two processes, so that the server is nobody's child: the process that
  // starts it goes on to exec a program, which must not inherit a child it
  // did not make (it would see its SIGCHLD, and wait(2) could reap it). The
  // first is cloned with no exit signal at all, so that no SIGCHLD is left
  // pending for that program when the caller blocks the signal.
  const pid_t first = raw_fork(0);
  if (first < 0) {
    return;
  }
  if (first == 0) {
    // A session of its own, then the server as its child, which becomes
    // nobody's once this one exits.
    ::setsid();
    if (raw_fork(SIGCHLD) == 0) {
      become_server(start);
    }
    ::_exit(0);
  }
  int status = 0;
  while (::waitpid(first, &status, __WALL) < 0 && errno == EINTR) {
  }
}

} // namespace sealexec
