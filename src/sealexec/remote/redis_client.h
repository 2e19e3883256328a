// A Redis backend through hiredis (docs/remote.md): keys "sealexec:ac:<hex>"
// and "sealexec:cas:<hex>", one connection, one command at a time.
//
// hiredis connects and parses replies; the socket I/O is ours, so that each
// command has one deadline for all of it and a reply larger than asked for
// is refused while it arrives, not after it has been buffered. A GET's
// value is the exception: we parse its header (resp_bulk.h) and read it
// straight into place, which saves two copies of every blob and lets the
// caller hash it as it arrives.
#pragma once

#include "sealexec/remote/backend_client.h"
#include "sealexec/remote/backend_url.h"
#include "sealexec/remote/deadline_io.h"

#include <memory>
#include <string>

struct redisContext;

namespace sealexec::remote {

class RedisClient final : public BackendClient {
public:
  // Connects (within timeouts.connect), authenticates and selects the
  // database the URL names.
  [[nodiscard]] static Expected<std::unique_ptr<RedisClient>> connect(const BackendUrl& url,
                                                                      Timeouts timeouts);
  ~RedisClient() override;

  using BackendClient::get;
  // The value is read straight into its buffer (resp_bulk.h), and `observe`
  // sees each piece as it arrives.
  [[nodiscard]] Expected<std::optional<std::vector<std::byte>>> get(
      Namespace space, const Sha256Digest& name, std::size_t max_size,
      const BodyObserver& observe) override;
  [[nodiscard]] Expected<bool> contains(Namespace space, const Sha256Digest& name) override;
  [[nodiscard]] Expected<void> put(Namespace space, const Sha256Digest& name,
                                   std::span<const std::byte> content) override;

  // One reply, as far as we use them.
  struct Reply {
    enum class Type { string, nil, status, integer, error };
    Type type = Type::nil;
    std::vector<std::byte> bytes; // string, status, error text
    long long integer = 0;
  };

private:
  RedisClient(redisContext* context, std::string peer, Timeouts timeouts)
      : m_context(context), m_peer(std::move(peer)), m_timeouts(timeouts) {}

  // Sends one command and reads its reply, within the operation timeout.
  [[nodiscard]] Expected<Reply> command(std::span<const std::span<const std::byte>> args,
                                        std::size_t max_reply);
  [[nodiscard]] Expected<Reply> command(std::initializer_list<std::string_view> args);
  [[nodiscard]] Expected<void> send_command(std::span<const std::span<const std::byte>> args,
                                            Deadline deadline);
  // Reads a reply through hiredis; `received` bytes of it were fed already.
  [[nodiscard]] Expected<Reply> receive_reply(std::size_t max_reply, Deadline deadline,
                                              std::size_t received);
  // Gives hiredis the next bytes of a reply, refusing aggregates and more
  // than `max_reply` in all.
  [[nodiscard]] Expected<void> feed_reader(std::span<const std::byte> bytes,
                                           std::size_t& received, std::size_t max_reply);
  [[nodiscard]] std::span<std::byte> receive_buffer();

  redisContext* m_context;
  std::unique_ptr<std::byte[]> m_buffer; // receive buffer, see command()
  std::string m_peer; // the URL without its password
  Timeouts m_timeouts;
};

} // namespace sealexec::remote
