// The Redis client against hostile servers: a real TCP socket on 127.0.0.1
// that answers each command with a scripted reply (a fault a real
// redis-server cannot be made to produce; the integration tests use one).
#include "sealexec/remote/redis_client.h"

#include "sealexec/util/terminal_text.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <thread>

namespace sealexec::remote {
namespace {

using namespace std::chrono_literals;

// Accepts one connection and, for each command it reads, runs `answer`.
class ScriptedServer {
public:
  explicit ScriptedServer(std::function<void(int)> answer) : m_answer(std::move(answer)) {
    m_listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    EXPECT_EQ(::bind(m_listener, reinterpret_cast<sockaddr*>(&address), length), 0);
    EXPECT_EQ(::listen(m_listener, 1), 0);
    EXPECT_EQ(::getsockname(m_listener, reinterpret_cast<sockaddr*>(&address), &length), 0);
    m_port = ntohs(address.sin_port);
    m_thread = std::thread([this] {
      const int client = ::accept4(m_listener, nullptr, nullptr, SOCK_CLOEXEC);
      char buffer[4096];
      while (client >= 0 && ::read(client, buffer, sizeof buffer) > 0) {
        m_answer(client);
      }
      if (client >= 0) {
        ::close(client);
      }
    });
  }
  ScriptedServer(const ScriptedServer&) = delete;
  ScriptedServer& operator=(const ScriptedServer&) = delete;
  ~ScriptedServer() {
    ::shutdown(m_listener, SHUT_RDWR);
    m_thread.join();
    ::close(m_listener);
  }
  [[nodiscard]] std::uint16_t port() const { return m_port; }

private:
  std::function<void(int)> m_answer;
  int m_listener = -1;
  std::uint16_t m_port = 0;
  std::thread m_thread;
};

void send_text(int fd, std::string_view text) {
  (void)::send(fd, text.data(), text.size(), MSG_NOSIGNAL);
}

std::unique_ptr<RedisClient> connect_to(const ScriptedServer& server,
                                        Timeouts timeouts = {.connect = 500ms,
                                                             .operation = 500ms}) {
  auto url = parse_backend_url("redis://127.0.0.1:" + std::to_string(server.port()));
  EXPECT_TRUE(url);
  auto client = RedisClient::connect(*url, timeouts);
  EXPECT_TRUE(client) << client.error().message();
  return client ? std::move(*client) : nullptr;
}

const Sha256Digest k_name{};

TEST(RedisClient, ReadsValuesAndAbsence) {
  int call = 0;
  ScriptedServer server([&](int fd) { send_text(fd, call++ == 0 ? "$5\r\nhello\r\n" : "$-1\r\n"); });
  auto client = connect_to(server);
  ASSERT_TRUE(client);
  const auto value = client->get(Namespace::cas, k_name, 100);
  ASSERT_TRUE(value && *value);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>((*value)->data()), (*value)->size()),
            "hello");
  const auto absent = client->get(Namespace::cas, k_name, 100);
  ASSERT_TRUE(absent);
  EXPECT_FALSE(*absent);
}

TEST(RedisClient, RefusesAHugeValueWhileItArrives) {
  ScriptedServer server([](int fd) {
    send_text(fd, "$100000000\r\n");
    const std::string chunk(64 * 1024, 'x');
    for (int i = 0; i < 8; ++i) {
      send_text(fd, chunk);
    }
  });
  auto client = connect_to(server);
  ASSERT_TRUE(client);
  const auto value = client->get(Namespace::cas, k_name, 4096);
  ASSERT_FALSE(value);
  EXPECT_EQ(value.error().code, Errc::too_large);
}

TEST(RedisClient, RefusesAggregateRepliesAndServerErrors) {
  ScriptedServer server([](int fd) { send_text(fd, "*2147483647\r\n"); });
  auto client = connect_to(server);
  ASSERT_TRUE(client);
  const auto value = client->get(Namespace::ac, k_name, 4096);
  ASSERT_FALSE(value);
  EXPECT_EQ(value.error().code, Errc::malformed);

  ScriptedServer failing([](int fd) { send_text(fd, "-ERR boom\r\n"); });
  auto other = connect_to(failing);
  ASSERT_TRUE(other);
  const auto failed = other->get(Namespace::ac, k_name, 4096);
  ASSERT_FALSE(failed);
  EXPECT_NE(failed.error().message().find("boom"), std::string::npos);

  // A server's words reach the terminal in the documented escaped form
  // (README: \e, \xHH), not mangled into '?'.
  ScriptedServer hostile([](int fd) { send_text(fd, "-ERR \x1b[2J\x7f" "boom\r\n"); });
  auto third = connect_to(hostile);
  ASSERT_TRUE(third);
  const auto refused = third->get(Namespace::ac, k_name, 4096);
  ASSERT_FALSE(refused);
  EXPECT_NE(terminal_text(refused.error().message()).find("ERR \\e[2J\\x7fboom"),
            std::string::npos)
      << terminal_text(refused.error().message());
}

TEST(RedisClient, ATricklingServerIsCutOffAtTheOperationTimeout) {
  ScriptedServer server([](int fd) {
    send_text(fd, "$10\r\n");
    for (int i = 0; i < 10; ++i) {
      std::this_thread::sleep_for(100ms);
      send_text(fd, "x");
    }
  });
  auto client = connect_to(server, {.connect = 500ms, .operation = 300ms});
  ASSERT_TRUE(client);
  const auto start = std::chrono::steady_clock::now();
  const auto value = client->get(Namespace::cas, k_name, 100);
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(value);
  EXPECT_EQ(value.error().code, Errc::timed_out);
  // Bounded by the operation's deadline, not by each read's.
  EXPECT_LT(took, 900ms);
}

TEST(RedisClient, AClosedConnectionIsAnError) {
  ScriptedServer server([](int fd) { ::shutdown(fd, SHUT_RDWR); });
  auto client = connect_to(server);
  ASSERT_TRUE(client);
  const auto value = client->get(Namespace::cas, k_name, 100);
  ASSERT_FALSE(value);
  EXPECT_NE(value.error().message().find("closed"), std::string::npos);
}

// A value is read by us, not hiredis (resp_bulk.h), straight into its
// buffer; the observer sees every byte once, in order, however the server
// cuts the reply up, the header included.
TEST(RedisClient, AValueInPiecesIsObservedInOrderAsItArrives) {
  std::string value(300 * 1024, '\0');
  for (std::size_t i = 0; i < value.size(); ++i) {
    value[i] = static_cast<char>('a' + i % 23);
  }
  const std::string reply = "$" + std::to_string(value.size()) + "\r\n" + value + "\r\n";
  ScriptedServer server([&](int fd) {
    std::size_t sent = 0;
    for (const std::size_t cut : {std::size_t{2}, std::size_t{7}, std::size_t{100'000},
                                  std::size_t{250'000}, reply.size() - 1}) {
      send_text(fd, std::string_view(reply).substr(sent, cut - sent));
      sent = cut;
      std::this_thread::sleep_for(5ms);
    }
    send_text(fd, std::string_view(reply).substr(reply.size() - 1));
  });
  auto client = connect_to(server);
  ASSERT_TRUE(client);
  std::string observed;
  int pieces = 0;
  const auto got = client->get(Namespace::cas, k_name, value.size(),
                               [&](std::span<const std::byte> piece) {
                                 observed.append(reinterpret_cast<const char*>(piece.data()),
                                                 piece.size());
                                 ++pieces;
                               });
  ASSERT_TRUE(got) << got.error().message();
  ASSERT_TRUE(*got);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>((*got)->data()), (*got)->size()), value);
  EXPECT_EQ(observed, value);
  EXPECT_GT(pieces, 1) << "observed only at the end";
}

TEST(RedisClient, RefusesBadValueRepliesOfEveryShape) {
  for (const char* reply : {"$5x\r\nhello\r\n", "$\r\nhello\r\n", "$5\rhello\r\n",
                            "$5\r\nhelloXY", "$5\r\nhello\r\n$1\r\nx\r\n", "$-1\r\nextra",
                            "$000000000000000000000000000005\r\nhello\r\n", "+OK\r\n"}) {
    ScriptedServer server([&](int fd) { send_text(fd, reply); });
    auto client = connect_to(server);
    ASSERT_TRUE(client);
    const auto got = client->get(Namespace::cas, k_name, 100);
    EXPECT_FALSE(got) << reply;
    if (!got) {
      EXPECT_EQ(got.error().code, Errc::malformed) << reply << ": " << got.error().message();
    }
  }
  // Cut off inside the value: an error, not a short value.
  ScriptedServer cut([](int fd) {
    send_text(fd, "$10\r\nhello");
    ::shutdown(fd, SHUT_RDWR);
  });
  auto client = connect_to(cut);
  ASSERT_TRUE(client);
  const auto got = client->get(Namespace::cas, k_name, 100);
  ASSERT_FALSE(got);
  EXPECT_NE(got.error().message().find("closed"), std::string::npos);
}

TEST(RedisClient, NobodyListeningFailsToConnect) {
  std::uint16_t port = 0;
  {
    ScriptedServer gone([](int) {});
    port = gone.port();
  }
  auto url = parse_backend_url("redis://127.0.0.1:" + std::to_string(port));
  ASSERT_TRUE(url);
  const auto client = RedisClient::connect(*url, {.connect = 200ms, .operation = 200ms});
  ASSERT_FALSE(client);
  EXPECT_NE(client.error().message().find("cannot connect"), std::string::npos);
}

} // namespace
} // namespace sealexec::remote
