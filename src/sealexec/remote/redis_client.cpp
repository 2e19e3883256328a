#include "sealexec/remote/redis_client.h"

#include "sealexec/remote/deadline_io.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <hiredis/hiredis.h>
#include <sys/time.h>

#include <array>
#include <cstring>

namespace sealexec::remote {

namespace {

// The reply to a GET of `max_size` bytes is those bytes plus "$<len>\r\n"
// and "\r\n"; anything larger is not a reply we asked for.
constexpr std::size_t k_reply_overhead = 64;
constexpr std::size_t k_small_reply = 64 * 1024;
constexpr std::size_t k_receive_chunk = 256 * 1024;

timeval to_timeval(std::chrono::milliseconds ms) {
  return timeval{.tv_sec = static_cast<time_t>(ms.count() / 1000),
                 .tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000)};
}

std::string key_of(Namespace space, const Sha256Digest& name) {
  return fmt::format("sealexec:{}:{}", namespace_name(space), name.hex());
}

std::span<const std::byte> bytes_of(std::string_view text) {
  return std::as_bytes(std::span(text.data(), text.size()));
}

std::string text_of(std::span<const std::byte> bytes) {
  std::string text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  // Server text goes into messages: keep it one printable line.
  for (char& c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      c = '?';
    }
  }
  return text.substr(0, 200);
}

struct ReplyDeleter {
  void operator()(void* reply) const { freeReplyObject(reply); }
};

} // namespace

Expected<std::unique_ptr<RedisClient>> RedisClient::connect(const BackendUrl& url,
                                                            Timeouts timeouts) {
  const std::string peer = url.display();
  redisContext* context =
      url.scheme == BackendUrl::Scheme::redis_unix
          ? redisConnectUnixWithTimeout(url.socket.c_str(), to_timeval(timeouts.connect))
          : redisConnectWithTimeout(url.host.c_str(), url.port, to_timeval(timeouts.connect));
  if (context == nullptr) {
    return fail(make_error(Errc::system, peer, "cannot connect: out of memory"));
  }
  if (context->err != 0) {
    const std::string reason = context->errstr;
    redisFree(context);
    const bool timed_out = reason.find("timed out") != std::string::npos ||
                           reason.find("temporarily unavailable") != std::string::npos;
    return fail(make_error(timed_out ? Errc::timed_out : Errc::system, peer,
                           "cannot connect: " + reason));
  }
  // hiredis makes its socket without close-on-exec: no program we run may
  // inherit it. Non-blocking, so that every wait goes through a deadline.
  ::fcntl(context->fd, F_SETFD, FD_CLOEXEC);
  ::fcntl(context->fd, F_SETFL, ::fcntl(context->fd, F_GETFL) | O_NONBLOCK);
  std::unique_ptr<RedisClient> client(new RedisClient(context, peer, timeouts));
  if (!url.password.empty()) {
    SEALEXEC_TRY_ASSIGN(const Reply reply,
                        url.user.empty()
                            ? client->command({"AUTH", url.password})
                            : client->command({"AUTH", url.user, url.password}));
    if (reply.type != Reply::Type::status) {
      return fail(make_error(Errc::policy, peer, "authentication refused: " + text_of(reply.bytes)));
    }
  }
  if (url.db != 0) {
    const std::string db = std::to_string(url.db);
    SEALEXEC_TRY_ASSIGN(const Reply reply, client->command({"SELECT", db}));
    if (reply.type != Reply::Type::status) {
      return fail(make_error(Errc::invalid_argument, peer,
                             "cannot select database " + db + ": " + text_of(reply.bytes)));
    }
  }
  return client;
}

RedisClient::~RedisClient() { redisFree(m_context); }

Expected<RedisClient::Reply> RedisClient::command(std::initializer_list<std::string_view> args) {
  std::vector<std::span<const std::byte>> spans;
  for (const std::string_view arg : args) {
    spans.push_back(bytes_of(arg));
  }
  return command(spans, k_small_reply);
}

Expected<RedisClient::Reply> RedisClient::command(
    std::span<const std::span<const std::byte>> args, std::size_t max_reply) {
  const Deadline deadline = Deadline::after(m_timeouts.operation);
  std::vector<const char*> argv;
  std::vector<std::size_t> lengths;
  for (const auto& arg : args) {
    argv.push_back(reinterpret_cast<const char*>(arg.data()));
    lengths.push_back(arg.size());
  }
  char* formatted = nullptr;
  const int length = redisFormatCommandArgv(&formatted, static_cast<int>(argv.size()),
                                            argv.data(), lengths.data());
  if (length < 0 || formatted == nullptr) {
    return fail(make_error(Errc::system, m_peer, "cannot format a command: out of memory"));
  }
  const std::unique_ptr<char, void (*)(char*)> owned(formatted, redisFreeCommand);
  SEALEXEC_TRY(write_all_by(m_context->fd,
                            std::as_bytes(std::span(formatted, static_cast<std::size_t>(length))),
                            deadline, m_peer));

  redisReader* reader = m_context->reader;
  // One buffer per client, allocated once and never zero-filled: it only
  // ever holds bytes just received.
  if (!m_buffer) {
    m_buffer.reset(new std::byte[k_receive_chunk]);
  }
  const std::span<std::byte> chunk(m_buffer.get(),
                                   std::min(k_receive_chunk, max_reply + k_reply_overhead));
  std::size_t received = 0;
  for (;;) {
    void* raw = nullptr;
    if (redisReaderGetReply(reader, &raw) != REDIS_OK) {
      return fail(make_error(Errc::malformed, m_peer,
                             fmt::format("not a Redis reply: {}", reader->errstr)));
    }
    if (raw != nullptr) {
      const std::unique_ptr<void, ReplyDeleter> owned_reply(raw);
      const auto* reply = static_cast<const redisReply*>(raw);
      Reply result;
      switch (reply->type) {
      case REDIS_REPLY_STRING:
      case REDIS_REPLY_STATUS:
      case REDIS_REPLY_ERROR:
        result.type = reply->type == REDIS_REPLY_STRING   ? Reply::Type::string
                      : reply->type == REDIS_REPLY_STATUS ? Reply::Type::status
                                                          : Reply::Type::error;
        result.bytes.resize(reply->len);
        if (reply->len > 0) {
          std::memcpy(result.bytes.data(), reply->str, reply->len);
        }
        return result;
      case REDIS_REPLY_INTEGER:
        result.type = Reply::Type::integer;
        result.integer = reply->integer;
        return result;
      case REDIS_REPLY_NIL:
        result.type = Reply::Type::nil;
        return result;
      default:
        return fail(make_error(Errc::malformed, m_peer, "unexpected kind of Redis reply"));
      }
    }
    SEALEXEC_TRY_ASSIGN(const std::size_t got, read_some_by(m_context->fd, chunk, deadline, m_peer));
    if (got == 0) {
      return fail(make_error(Errc::system, m_peer, "the server closed the connection"));
    }
    // None of our commands has an aggregate reply; refusing them before
    // hiredis sees the header spares it allocating for a hostile count.
    if (received == 0) {
      const char kind = static_cast<char>(chunk[0]);
      if (kind != '$' && kind != '+' && kind != '-' && kind != ':') {
        return fail(make_error(Errc::malformed, m_peer, "unexpected kind of Redis reply"));
      }
    }
    received += got;
    if (received > max_reply + k_reply_overhead) {
      return fail(make_error(Errc::too_large, m_peer,
                             fmt::format("reply larger than the {} bytes expected", max_reply)));
    }
    if (redisReaderFeed(reader, reinterpret_cast<const char*>(chunk.data()), got) != REDIS_OK) {
      return fail(make_error(Errc::system, m_peer, "cannot buffer a reply: out of memory"));
    }
  }
}

Expected<std::optional<std::vector<std::byte>>> RedisClient::get(Namespace space,
                                                                 const Sha256Digest& name,
                                                                 std::size_t max_size) {
  const std::string key = key_of(space, name);
  const std::array<std::span<const std::byte>, 2> args{bytes_of("GET"), bytes_of(key)};
  SEALEXEC_TRY_ASSIGN(Reply reply, command(args, max_size));
  switch (reply.type) {
  case Reply::Type::string:
    if (reply.bytes.size() > max_size) {
      return fail(make_error(Errc::too_large, m_peer, "value larger than expected"));
    }
    return std::optional<std::vector<std::byte>>(std::move(reply.bytes));
  case Reply::Type::nil:
    return std::optional<std::vector<std::byte>>();
  default:
    return fail(make_error(Errc::malformed, m_peer, "GET failed: " + text_of(reply.bytes)));
  }
}

Expected<bool> RedisClient::contains(Namespace space, const Sha256Digest& name) {
  const std::string key = key_of(space, name);
  SEALEXEC_TRY_ASSIGN(const Reply reply, command({"EXISTS", key}));
  if (reply.type != Reply::Type::integer) {
    return fail(make_error(Errc::malformed, m_peer, "EXISTS failed: " + text_of(reply.bytes)));
  }
  return reply.integer > 0;
}

Expected<void> RedisClient::put(Namespace space, const Sha256Digest& name,
                                std::span<const std::byte> content) {
  const std::string key = key_of(space, name);
  const std::array<std::span<const std::byte>, 3> args{bytes_of("SET"), bytes_of(key), content};
  SEALEXEC_TRY_ASSIGN(const Reply reply, command(args, k_small_reply));
  if (reply.type != Reply::Type::status) {
    return fail(make_error(Errc::system, m_peer, "SET failed: " + text_of(reply.bytes)));
  }
  return {};
}

} // namespace sealexec::remote
