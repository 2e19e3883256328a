// The client side of the memory tier (docs/serve.md): a per-user server,
// `sealexec serve`, holds sealed memfds and hands them out over a unix socket
// in the private runtime directory, so that a program or cache blob loaded
// again is not copied again.
//
// Every failure here is a miss, never an error: no server, a dead, stopped,
// slow or hostile one, a socket directory that cannot be trusted. A find
// waits at most `timeout` for the reply. What it receives is checked before
// use: exactly one descriptor, a regular file of the key's size carrying
// the image seals, with the mode the key asks for, named for the digest the
// server claims (so what runs is named for what it is), and a server of our
// own uid (SO_PEERCRED). The server itself hashes every image offered to it
// before it hands it out.
#pragma once

#include "sealexec/image/tier_protocol.h"
#include "sealexec/util/error.h"
#include "sealexec/util/fd.h"

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace sealexec {

struct MemoryTierOptions {
  // The server's socket; empty: default_tier_socket_path().
  std::string socket_path;
  // How long a find waits for the server's reply before running without it.
  std::chrono::milliseconds timeout{5};
  // When set, an offer that finds no server starts the program it returns
  // as `PROGRAM serve --on-demand` (detached, in its own session), which
  // exits when idle. Asked only then, so that finding the path costs the
  // runs that never start a server nothing.
  std::function<std::string()> server_program;
  // Images smaller than this are neither asked for nor offered: copying
  // them costs less than the round trip (docs/benchmarks.md).
  std::uint64_t min_size = std::uint64_t{1} << 20;
};

struct TierImage {
  Fd fd;
  Xxh3Digest digest;
  std::string memfd_name;
};

// A find whose reply has not been read yet: the client asks, goes on
// copying, and looks for the answer between chunks (sealed_image.cpp), so
// that a miss or a slow server costs the copy nothing.
class PendingFind {
public:
  // The image, once a reply has arrived within `wait` and the descriptor
  // fits the key (checked as the header says); nullopt while none has, and
  // for good once one was read or the connection failed (settled()).
  [[nodiscard]] std::optional<TierImage> ready(std::chrono::microseconds wait);
  // Whether nothing more can come: answered, refused or failed.
  [[nodiscard]] bool settled() const { return !m_socket; }

private:
  friend class MemoryTier;
  PendingFind(Fd socket, TierKey key) : m_socket(std::move(socket)), m_key(std::move(key)) {}
  Fd m_socket;
  TierKey m_key;
};

class MemoryTier {
public:
  explicit MemoryTier(MemoryTierOptions options = {});

  // Whether an image of `size` bytes is worth a round trip.
  [[nodiscard]] bool wants(std::uint64_t size) const { return size >= m_options.min_size; }
  // The image the server holds for `key`, checked as the header says, or
  // nullopt; waits at most `timeout`.
  [[nodiscard]] std::optional<TierImage> find(const TierKey& key);
  // Sends a find and returns without waiting; nullopt when no server could
  // be asked.
  [[nodiscard]] std::optional<PendingFind> ask(const TierKey& key);
  // Hands the sealed memfd `fd`, which holds key.size bytes whose XXH3-128 is
  // `digest`, to the server (which verifies it before serving it). Starts a
  // server when none answers and server_program is set. Never waits for
  // the server.
  void offer(const TierKey& key, int fd, const Xxh3Digest& digest);
  // The server's status line, or nullopt when none answers.
  [[nodiscard]] std::optional<std::string> status();

  [[nodiscard]] const MemoryTierOptions& options() const { return m_options; }

private:
  [[nodiscard]] Expected<Fd> connect_to_server();
  void start_server();

  MemoryTierOptions m_options;
  bool m_started = false; // one start attempt per process
};

// <private runtime directory>/tier.sock, and tier.lock beside it, which a
// live server holds (flock) for as long as it serves that socket.
[[nodiscard]] Expected<std::string> default_tier_socket_path();
[[nodiscard]] std::string tier_lock_path(const std::string& socket_path);

struct ClaimedSocket {
  Fd listener; // bound and listening, close-on-exec
  Fd lock;     // tier.lock, held (flock LOCK_EX)
};

// Takes the server's lock and binds a fresh listening socket at `path`
// (replacing a stale one). nullopt when another server holds the lock.
[[nodiscard]] Expected<std::optional<ClaimedSocket>> claim_tier_socket(const std::string& path);

// Whether the process at the other end of the unix socket runs as our
// effective uid (SO_PEERCRED): both ends of the tier trust only that.
[[nodiscard]] bool peer_is_same_user(int socket);

// One datagram and the descriptors that came with it (closed with it).
// `ok` is false when nothing could be read or the message or its
// descriptors were cut short (too large to be one of ours).
struct ReceivedMessage {
  bool ok = true;
  bool would_block = false; // nothing had arrived yet
  std::vector<std::byte> bytes;
  std::vector<Fd> fds;
};
[[nodiscard]] ReceivedMessage receive_message(int socket);
// Sends one datagram, with `fd` as SCM_RIGHTS when it is >= 0, without
// waiting; false when it was not sent whole.
[[nodiscard]] bool send_tier_message(int socket, std::span<const std::byte> message, int fd);

// Whether the file open as `fd` may be known to the
// tier by its identity, and if so the id of its mount (TierKey::mount_id).
// Refused: file systems whose ctime can repeat or be set (FAT, network and
// FUSE file systems: only local ones that stamp ctime themselves are
// trusted); kernels before 6.8, whose mount ids are reused; and a file
// someone may be changing through a writable shared mapping, which moves no
// ctime after its first write. Nobody writes a file while a read lease on
// it can be had (which takes owning it, or CAP_LEASE), and nobody can write
// squashfs or EROFS; any other file is not asked for.
[[nodiscard]] std::optional<std::uint64_t> identity_mount(int fd, bool lease_is_ours);

// The name /proc/self/fd/N shows for a memfd named `memfd_name`.
[[nodiscard]] std::string memfd_link_text(const std::string& memfd_name);

// Whether `fd` is a sealed memfd fit to stand for `key` with content
// `digest`: a regular file of key.size bytes, with the image seals, the mode
// key.executable asks for, and named image_memfd_name(key.name, digest).
// Used by the client on what it receives and by the server on what it is
// offered (the server also hashes it).
[[nodiscard]] bool fits_key(int fd, const TierKey& key, const Xxh3Digest& digest);

} // namespace sealexec
