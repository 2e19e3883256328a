#include "sealexec/remote/redis_client.h"

#include "sealexec/remote/deadline_io.h"
#include "sealexec/remote/resp_bulk.h"

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

// Server text for a message, cut short. Not escaped here: every message is
// escaped where it is printed (cli/output, util/terminal_text), in the one
// documented form that decodes back to the server's exact bytes.
std::string text_of(std::span<const std::byte> bytes) {
  return std::string(reinterpret_cast<const char*>(bytes.data()),
                     std::min<std::size_t>(bytes.size(), 200));
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

Expected<void> RedisClient::send_command(std::span<const std::span<const std::byte>> args,
                                         Deadline deadline) {
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
  return write_all_by(m_context->fd,
                      std::as_bytes(std::span(formatted, static_cast<std::size_t>(length))),
                      deadline, m_peer);
}

std::span<std::byte> RedisClient::receive_buffer() {
  // One buffer per client, allocated once and never zero-filled: it only
  // ever holds bytes just received.
  if (!m_buffer) {
    m_buffer.reset(new std::byte[k_receive_chunk]);
  }
  return {m_buffer.get(), k_receive_chunk};
}

Expected<RedisClient::Reply> RedisClient::command(
    std::span<const std::span<const std::byte>> args, std::size_t max_reply) {
  const Deadline deadline = Deadline::after(m_timeouts.operation);
  SEALEXEC_TRY(send_command(args, deadline));
  return receive_reply(max_reply, deadline, 0);
}

Expected<RedisClient::Reply> RedisClient::receive_reply(std::size_t max_reply, Deadline deadline,
                                                        std::size_t received) {
  redisReader* reader = m_context->reader;
  const std::span<std::byte> chunk =
      receive_buffer().first(std::min(k_receive_chunk, max_reply + k_reply_overhead));
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
    SEALEXEC_TRY(feed_reader(chunk.first(got), received, max_reply));
  }
}

Expected<void> RedisClient::feed_reader(std::span<const std::byte> bytes, std::size_t& received,
                                        std::size_t max_reply) {
  // None of our commands has an aggregate reply; refusing them before
  // hiredis sees the header spares it allocating for a hostile count.
  if (received == 0 && !bytes.empty()) {
    const char kind = static_cast<char>(bytes[0]);
    if (kind != '$' && kind != '+' && kind != '-' && kind != ':') {
      return fail(make_error(Errc::malformed, m_peer, "unexpected kind of Redis reply"));
    }
  }
  received += bytes.size();
  if (received > max_reply + k_reply_overhead) {
    return fail(make_error(Errc::too_large, m_peer,
                           fmt::format("reply larger than the {} bytes expected", max_reply)));
  }
  if (redisReaderFeed(m_context->reader, reinterpret_cast<const char*>(bytes.data()),
                      bytes.size()) != REDIS_OK) {
    return fail(make_error(Errc::system, m_peer, "cannot buffer a reply: out of memory"));
  }
  return {};
}

Expected<std::optional<std::vector<std::byte>>> RedisClient::get(
    Namespace space, const Sha256Digest& name, std::size_t max_size, const BodyObserver& observe) {
  using Value = std::optional<std::vector<std::byte>>;
  const Deadline deadline = Deadline::after(m_timeouts.operation);
  const std::string key = key_of(space, name);
  const std::array<std::span<const std::byte>, 2> args{bytes_of("GET"), bytes_of(key)};
  SEALEXEC_TRY(send_command(args, deadline));

  // The header, read by us: a value then goes straight into its buffer.
  const std::span<std::byte> buffer = receive_buffer();
  std::size_t have = 0;
  BulkHeader header;
  while ((header = parse_bulk_header(buffer.first(have))).kind == BulkHeader::Kind::incomplete) {
    SEALEXEC_TRY_ASSIGN(const std::size_t got,
                        read_some_by(m_context->fd, buffer.subspan(have), deadline, m_peer));
    if (got == 0) {
      return fail(make_error(Errc::system, m_peer, "the server closed the connection"));
    }
    have += got;
  }
  switch (header.kind) {
  case BulkHeader::Kind::other: { // an error reply, most likely: hiredis reads it
    std::size_t received = 0;
    SEALEXEC_TRY(feed_reader(buffer.first(have), received, k_small_reply));
    SEALEXEC_TRY_ASSIGN(const Reply reply, receive_reply(k_small_reply, deadline, received));
    return fail(make_error(Errc::malformed, m_peer, "GET failed: " + text_of(reply.bytes)));
  }
  case BulkHeader::Kind::malformed:
    return fail(make_error(Errc::malformed, m_peer, "not a Redis reply to GET"));
  case BulkHeader::Kind::nil:
    if (have != header.header_size) {
      return fail(make_error(Errc::malformed, m_peer, "bytes after the reply to GET"));
    }
    return Value();
  case BulkHeader::Kind::value:
  case BulkHeader::Kind::incomplete:
    break;
  }
  if (header.length > max_size) {
    return fail(make_error(Errc::too_large, m_peer,
                           fmt::format("value of {} bytes, larger than the {} expected",
                                       header.length, max_size)));
  }
  const auto length = static_cast<std::size_t>(header.length);
  std::vector<std::byte> value(length);
  // What came with the header: value bytes, then the start of "\r\n".
  const std::span<const std::byte> early =
      buffer.subspan(header.header_size, have - header.header_size);
  std::size_t filled = std::min(early.size(), length);
  std::copy_n(early.begin(), filled, value.begin());
  std::array<std::byte, 3> trailer{};
  std::size_t trailer_have = std::min(early.size() - filled, trailer.size());
  std::copy_n(early.begin() + static_cast<std::ptrdiff_t>(filled), trailer_have, trailer.begin());
  if (observe && filled > 0) {
    observe(std::span(value).first(filled));
  }
  while (filled < length) {
    const std::span<std::byte> rest = std::span(value).subspan(filled);
    SEALEXEC_TRY_ASSIGN(const std::size_t got,
                        read_some_by(m_context->fd, rest, deadline, m_peer));
    if (got == 0) {
      return fail(make_error(Errc::system, m_peer, "the server closed the connection"));
    }
    if (observe) {
      observe(rest.first(got));
    }
    filled += got;
  }
  // "\r\n", and nothing after it: one command, one reply. (A third byte
  // is looked for only among what has already arrived.)
  while (trailer_have < 2) {
    const std::span<std::byte> missing = std::span(trailer).subspan(trailer_have, 2 - trailer_have);
    SEALEXEC_TRY_ASSIGN(const std::size_t got,
                        read_some_by(m_context->fd, missing, deadline, m_peer));
    if (got == 0) {
      return fail(make_error(Errc::system, m_peer, "the server closed the connection"));
    }
    trailer_have += got;
  }
  if (trailer_have != 2 || trailer[0] != std::byte{'\r'} || trailer[1] != std::byte{'\n'}) {
    return fail(make_error(Errc::malformed, m_peer, "a GET reply that does not end its value"));
  }
  return Value(std::move(value));
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
