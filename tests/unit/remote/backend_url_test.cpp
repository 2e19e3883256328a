#include "sealexec/remote/backend_url.h"

#include <gtest/gtest.h>

#include <array>
#include <map>

namespace sealexec::remote {
namespace {

BackendUrl parsed(std::string_view text) {
  auto url = parse_backend_url(text);
  EXPECT_TRUE(url) << text << ": " << (url ? "" : url.error().message());
  return url ? *url : BackendUrl{};
}

TEST(BackendUrl, RedisDefaultsAndCredentials) {
  const BackendUrl plain = parsed("redis://cache.example.com");
  EXPECT_EQ(plain.scheme, BackendUrl::Scheme::redis);
  EXPECT_EQ(plain.host, "cache.example.com");
  EXPECT_EQ(plain.port, 6379);
  EXPECT_EQ(plain.db, 0U);

  const BackendUrl full = parsed("redis://ci:s%40cret@10.0.0.5:7000/3");
  EXPECT_EQ(full.user, "ci");
  EXPECT_EQ(full.password, "s@cret");
  EXPECT_EQ(full.port, 7000);
  EXPECT_EQ(full.db, 3U);
  EXPECT_EQ(full.display(), "redis://ci:***@10.0.0.5:7000/3");
  EXPECT_EQ(full.display().find("cret"), std::string::npos);

  const BackendUrl v6 = parsed("redis://[::1]:6380");
  EXPECT_EQ(v6.host, "::1");
  EXPECT_EQ(v6.display(), "redis://[::1]:6380/0");
}

TEST(BackendUrl, RedisUnixSocket) {
  const BackendUrl url = parsed("redis+unix:///run/redis/redis.sock?db=2");
  EXPECT_EQ(url.scheme, BackendUrl::Scheme::redis_unix);
  EXPECT_EQ(url.socket, "/run/redis/redis.sock");
  EXPECT_EQ(url.db, 2U);
}

TEST(BackendUrl, HttpLayoutPrefix) {
  const BackendUrl url = parsed("https://bazel-remote.internal:9092/team/cache/");
  EXPECT_EQ(url.scheme, BackendUrl::Scheme::https);
  EXPECT_EQ(url.port, 9092);
  EXPECT_EQ(url.prefix, "/team/cache");
  EXPECT_EQ(parsed("http://127.0.0.1").port, 80);
  EXPECT_EQ(parsed("http://127.0.0.1/").prefix, "");
}

TEST(BackendUrl, BadUrlsAreRefusedWithoutShowingThePassword) {
  for (const char* text :
       {"", "cache:6379", "ftp://x", "redis://", "redis://:6379", "redis://h:0", "redis://h:65536",
        "redis://h:12x", "redis://h/db", "redis://h?x=1", "redis://h%zz", "redis://u:%4@h",
        "redis+unix://relative.sock", "redis+unix:///s?db=x", "http://u:p@h/", "http://h/a/../b",
        "http://h//a", "http://h/a?b", "http://h/a#b", "http://h/a b", "http://[::1",
        "https://h:/x", "redis://[zz]:1"}) {
    const auto url = parse_backend_url(text);
    ASSERT_FALSE(url) << text;
    EXPECT_EQ(url.error().code, Errc::invalid_argument) << text;
  }
  const auto secret = parse_backend_url("redis://user:hunter2@bad host");
  ASSERT_FALSE(secret);
  EXPECT_EQ(secret.error().message().find("hunter2"), std::string::npos)
      << secret.error().message();
}

// Found by the fuzzer: URLs that parsed but whose display form did not parse
// back to the same backend.
TEST(BackendUrl, EveryDisplayFormParsesBack) {
  // Not IPv6 literals: "[1.2]" printed as a host name, and a long bracketed
  // run of hex digits printed as a host name over 253 bytes.
  EXPECT_FALSE(parse_backend_url("redis://[1.2]:1"));
  EXPECT_FALSE(parse_backend_url("http://[" + std::string(300, 'a') + "]"));
  EXPECT_EQ(parsed("http://[fe80::1:2]:8080/x").display(), "http://[fe80::1:2]:8080/x");
  // A user name that %-escapes to more than the URL size limit.
  const auto long_user = parse_backend_url("redis://" + std::string(1400, '!') + "@h");
  ASSERT_FALSE(long_user);
  EXPECT_NE(long_user.error().message().find("longer than 256"), std::string::npos);
  // A path prefix that fits the size limit only without the explicit port.
  std::string long_path = "http://team";
  while (long_path.size() < k_max_url_size - 2) {
    long_path += "/ab";
  }
  EXPECT_FALSE(parse_backend_url(long_path));
  for (const char* text : {"redis://!$&'()*+;=@h:1/2", "redis://[::ffff:1.2.3.4]",
                           "redis+unix:///a,b?db=0", "https://h/a//"}) {
    const BackendUrl url = parsed(text);
    EXPECT_EQ(parsed(url.display()).identity(), url.identity()) << text;
  }
}

TEST(BackendUrl, ListsAndDuplicates) {
  const auto list = parse_backend_list(" redis://a:1 , http://b/x ,,");
  ASSERT_TRUE(list) << list.error().message();
  ASSERT_EQ(list->size(), 2U);
  EXPECT_EQ((*list)[1].prefix, "/x");
  // The same backend, spelled with another password, is still the same.
  EXPECT_FALSE(parse_backend_list("redis://u:a@h:1,redis://u:b@h:1"));
  EXPECT_TRUE(parse_backend_list("")->empty());
}

TEST(Rendezvous, SpreadsKeysAndMovesFewWhenABackendIsAdded) {
  const auto three = *parse_backend_list("redis://a,redis://b,http://c");
  const auto four = *parse_backend_list("redis://a,redis://b,http://c,https://d");
  std::map<std::size_t, int> counts;
  int moved = 0;
  constexpr int k_keys = 3000;
  for (int i = 0; i < k_keys; ++i) {
    Sha256Digest key;
    key.bytes.fill(0);
    key.bytes[0] = static_cast<std::uint8_t>(i & 0xff);
    key.bytes[1] = static_cast<std::uint8_t>(i >> 8);
    const std::size_t before = pick_backend(key, three);
    const std::size_t after = pick_backend(key, four);
    ++counts[before];
    // A key either stays where it was or moves to the new backend.
    EXPECT_TRUE(after == before || after == 3) << i;
    moved += after != before ? 1 : 0;
  }
  for (const auto& [backend, count] : counts) {
    EXPECT_GT(count, k_keys / 3 - 250) << backend;
    EXPECT_LT(count, k_keys / 3 + 250) << backend;
  }
  EXPECT_GT(moved, k_keys / 4 - 250);
  EXPECT_LT(moved, k_keys / 4 + 250);
}

TEST(Rendezvous, PasswordsDoNotChangePlacement) {
  const auto one = *parse_backend_list("redis://u:one@a,redis://b");
  const auto two = *parse_backend_list("redis://u:two@a,redis://b");
  for (int i = 0; i < 100; ++i) {
    Sha256Digest key;
    key.bytes.fill(static_cast<std::uint8_t>(i));
    EXPECT_EQ(pick_backend(key, one), pick_backend(key, two));
  }
}

} // namespace
} // namespace sealexec::remote
