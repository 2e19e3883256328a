#include "sealexec/serve/tier_server.h"

#include "sealexec/image/copy.h"
#include "sealexec/image/memory_tier.h"
#include "sealexec/image/tier_protocol.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <deque>
#include <fstream>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

namespace sealexec {

namespace {

using Clock = std::chrono::steady_clock;

// Open connections beyond this are closed at once: a client sends its one
// request right after connecting.
constexpr std::size_t k_max_connections = 64;
constexpr auto k_connection_deadline = std::chrono::seconds(1);
// Offers waiting for verification beyond this are dropped.
constexpr std::size_t k_max_pending_offers = 8;

struct Held {
  Fd fd;
  std::uint64_t size = 0;
  Xxh3Digest digest;
  std::uint64_t last_used = 0;
};

struct Offer {
  TierKey key;
  Xxh3Digest digest;
  Fd fd;
};

struct Connection {
  Fd socket;
  Clock::time_point accepted;
};

std::optional<ino_t> inode_at(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0 || !S_ISSOCK(st.st_mode)) {
    return std::nullopt;
  }
  return st.st_ino;
}

} // namespace

std::uint64_t default_tier_memory_limit() {
  std::ifstream meminfo("/proc/meminfo");
  std::string label;
  std::uint64_t kib = 0;
  while (meminfo >> label >> kib) {
    if (label == "MemTotal:") {
      return kib * 1024 / 8;
    }
    meminfo.ignore(64, '\n');
  }
  return std::uint64_t{512} << 20;
}

struct TierServer::State {
  Fd listener;
  int stop = -1;
  TierServerOptions options;
  std::vector<Connection> connections;
  Clock::time_point last_activity = Clock::now();
  std::optional<ino_t> socket_inode;

  // The store, shared with the verifying thread.
  std::mutex store_mutex;
  std::unordered_map<std::string, Held> images;
  std::uint64_t used = 0;
  std::uint64_t clock = 0;
  std::uint64_t hits = 0;
  std::uint64_t misses = 0;
  std::uint64_t accepted_offers = 0;
  std::uint64_t refused_offers = 0;
  std::uint64_t refused_peers = 0;

  std::mutex queue_mutex;
  std::condition_variable queue_changed;
  std::deque<Offer> queue;
  bool verifying = false;
  bool stopping = false;
  std::thread verifier;

  void verify_offers() {
    // Hashing an offer is work nobody waits for: at the lowest priority it
    // takes what CPU others leave, so it does not slow the program the
    // offering client goes on to run (measured in docs/benchmarks.md). Not
    // SCHED_IDLE: on a machine that is never idle it would never finish.
    (void)::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), 19);
    for (;;) {
      Offer offer;
      {
        std::unique_lock lock(queue_mutex);
        queue_changed.wait(lock, [&] { return stopping || !queue.empty(); });
        if (stopping) {
          return;
        }
        offer = std::move(queue.front());
        queue.pop_front();
        verifying = true;
      }
      const auto hashed = hash_file_range(offer.fd.get(), 0, offer.key.size, "offer");
      const bool good = hashed && *hashed == offer.digest;
      {
        const std::lock_guard lock(store_mutex);
        if (good) {
          ++accepted_offers;
          store(std::move(offer));
        } else {
          ++refused_offers;
        }
      }
      const std::lock_guard lock(queue_mutex);
      verifying = false;
    }
  }

  // Adds a verified offer and evicts the least recently used images beyond
  // the limits. Called with store_mutex held.
  void store(Offer offer) {
    std::string key = offer.key.bytes();
    if (images.contains(key) || offer.key.size > options.memory_limit) {
      return;
    }
    used += offer.key.size;
    images.emplace(std::move(key), Held{.fd = std::move(offer.fd),
                                        .size = offer.key.size,
                                        .digest = offer.digest,
                                        .last_used = ++clock});
    while (used > options.memory_limit || images.size() > options.max_images) {
      const auto oldest = std::ranges::min_element(
          images, [](const auto& a, const auto& b) { return a.second.last_used < b.second.last_used; });
      used -= oldest->second.size;
      images.erase(oldest);
    }
  }

  void answer(int socket, const TierRequest& request, std::vector<Fd>& fds) {
    if (request.op == TierOp::offer) {
      if (fds.size() != 1 || !fits_key(fds.front().get(), request.key, request.digest)) {
        const std::lock_guard lock(store_mutex);
        ++refused_offers;
        return;
      }
      {
        // Held already, or larger than all the memory there is: not worth
        // hashing.
        const std::lock_guard lock(store_mutex);
        if (request.key.size > options.memory_limit || images.contains(request.key.bytes())) {
          return;
        }
      }
      const std::lock_guard lock(queue_mutex);
      if (queue.size() < k_max_pending_offers) {
        queue.push_back(Offer{.key = request.key, .digest = request.digest,
                              .fd = std::move(fds.front())});
        queue_changed.notify_one();
      }
      return;
    }
    TierReply reply;
    int fd = -1;
    {
      const std::lock_guard lock(store_mutex);
      if (request.op == TierOp::status) {
        reply.status = fmt::format(
            "{} images, {} of {} bytes; {} hits, {} misses; {} offers kept, {} refused; "
            "{} connections from other users refused",
            images.size(), used, options.memory_limit, hits, misses, accepted_offers,
            refused_offers, refused_peers);
      } else if (const auto found = images.find(request.key.bytes()); found != images.end()) {
        found->second.last_used = ++clock;
        reply.found = true;
        reply.digest = found->second.digest;
        fd = found->second.fd.get();
        ++hits;
      } else {
        ++misses;
      }
      // Sent under the lock, so the descriptor cannot be evicted meanwhile.
      (void)send_tier_message(socket, encode(reply), fd);
    }
  }

  // Reads and answers the request waiting on `socket`; false when none has
  // arrived yet.
  bool serve_request(int socket) {
    ReceivedMessage received = receive_message(socket);
    if (!received.ok && received.bytes.empty() && received.would_block) {
      return false;
    }
    if (received.ok) {
      if (const auto request = decode_request(received.bytes)) {
        answer(socket, *request, received.fds);
      }
    }
    return true; // answered, or not worth an answer: either way, done
  }

  void accept_all() {
    for (;;) {
      Fd socket(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
      if (!socket) {
        return;
      }
      last_activity = Clock::now();
      if (!peer_is_same_user(socket.get())) {
        const std::lock_guard lock(store_mutex);
        ++refused_peers;
        continue;
      }
      // A client sends its request right after connecting, so it is
      // usually here already: answering now saves the client a round of
      // this loop.
      if (serve_request(socket.get())) {
        continue;
      }
      if (connections.size() >= k_max_connections) {
        continue;
      }
      connections.push_back(Connection{.socket = std::move(socket), .accepted = Clock::now()});
    }
  }

  bool idle() {
    if (options.idle_timeout.count() == 0 || Clock::now() - last_activity < options.idle_timeout) {
      return false;
    }
    const std::lock_guard lock(queue_mutex);
    return queue.empty() && !verifying;
  }

  bool socket_still_ours() const {
    return options.watched_socket.empty() || inode_at(options.watched_socket) == socket_inode;
  }
};

TierServer::TierServer(Fd listener, int stop, TierServerOptions options)
    : m_state(std::make_unique<State>()) {
  m_state->listener = std::move(listener);
  // One inherited from systemd is blocking, and accept_all takes every
  // pending connection until there is none.
  const int flags = ::fcntl(m_state->listener.get(), F_GETFL);
  if (flags >= 0) {
    ::fcntl(m_state->listener.get(), F_SETFL, flags | O_NONBLOCK);
  }
  m_state->stop = stop;
  if (options.memory_limit == 0) {
    options.memory_limit = default_tier_memory_limit();
  }
  // Every image held is a descriptor: stay well inside the descriptor limit.
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY) {
    const auto room = limit.rlim_cur > 128 ? limit.rlim_cur - 128 : 0;
    options.max_images = std::min<std::size_t>(options.max_images, room);
  }
  m_state->options = std::move(options);
  if (!m_state->options.watched_socket.empty()) {
    m_state->socket_inode = inode_at(m_state->options.watched_socket);
  }
}

TierServer::TierServer(TierServer&&) noexcept = default;

TierServer::~TierServer() {
  if (!m_state) {
    return;
  }
  if (m_state->verifier.joinable()) {
    {
      const std::lock_guard lock(m_state->queue_mutex);
      m_state->stopping = true;
    }
    m_state->queue_changed.notify_one();
    m_state->verifier.join();
  }
}

Expected<void> TierServer::run() {
  State& state = *m_state;
  state.verifier = std::thread([&state] { state.verify_offers(); });
  const auto leave = [&state] {
    if (state.options.remove_socket_on_exit && state.socket_still_ours()) {
      ::unlink(state.options.watched_socket.c_str());
    }
  };
  for (;;) {
    std::vector<pollfd> watched;
    watched.push_back({.fd = state.listener.get(), .events = POLLIN, .revents = 0});
    watched.push_back({.fd = state.stop, .events = POLLIN, .revents = 0});
    for (const Connection& connection : state.connections) {
      watched.push_back({.fd = connection.socket.get(), .events = POLLIN, .revents = 0});
    }
    const int ready = ::poll(watched.data(), watched.size(), 1000);
    if (ready < 0 && errno != EINTR) {
      leave();
      return fail(system_error("cannot wait for clients", state.options.watched_socket, "poll"));
    }
    if (watched[1].revents != 0) {
      leave();
      return {};
    }
    if ((watched[0].revents & (POLLERR | POLLNVAL)) != 0) {
      leave();
      return fail(make_error(Errc::system, state.options.watched_socket,
                             "the listening socket failed"));
    }
    // Requests first: they are waiting, and their clients time out.
    std::vector<Connection> still_open;
    for (std::size_t i = 0; i < state.connections.size(); ++i) {
      Connection& connection = state.connections[i];
      const short events = watched[i + 2].revents;
      if (events == 0) {
        if (Clock::now() - connection.accepted < k_connection_deadline) {
          still_open.push_back(std::move(connection));
        }
        continue;
      }
      // One request per connection: closing it is the end of the exchange.
      (void)state.serve_request(connection.socket.get());
    }
    state.connections = std::move(still_open);
    if ((watched[0].revents & POLLIN) != 0) {
      state.accept_all();
    }
    if (state.idle() || !state.socket_still_ours()) {
      leave();
      return {};
    }
  }
}

} // namespace sealexec
