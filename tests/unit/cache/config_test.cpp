#include "sealexec/cache/config.h"

#include "sealexec/cache/cache_dir.h"

#include <gtest/gtest.h>

namespace sealexec::cache {
namespace {

TEST(CacheConfig, SizesWithSuffixes) {
  EXPECT_EQ(parse_size("1000"), 1000U);
  EXPECT_EQ(parse_size("64K"), 65536U);
  EXPECT_EQ(parse_size("1.5G"), 1610612736U);
  EXPECT_EQ(parse_size(" 512m "), 536870912U);
  EXPECT_FALSE(parse_size(""));
  EXPECT_FALSE(parse_size("-1"));
  EXPECT_FALSE(parse_size("5X"));
  EXPECT_FALSE(parse_size("1e30"));
}

TEST(CacheConfig, FileWithCommentsAndErrorsNamingTheLine) {
  CacheConfig config;
  ASSERT_TRUE(apply_config_file(config,
                                "# limits\nmax_size = 2G\n\nmax_entries=10 # few\n"
                                "gc_every = 0\ncompression = zstd\n",
                                "cache.conf"));
  EXPECT_EQ(config.max_size, std::uint64_t{2} << 30);
  EXPECT_EQ(config.max_entries, 10U);
  EXPECT_EQ(config.gc_every, 0U);
  EXPECT_TRUE(config.compress);

  const auto bad = apply_config_file(config, "max_size = 1G\nmax_sise = 2G\n", "cache.conf");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().path, "cache.conf:2");
  EXPECT_NE(bad.error().reason.find("unknown setting 'max_sise'"), std::string::npos);
  EXPECT_EQ(apply_config_file(config, "max_entries = lots", "c").error().path, "c:1");
  EXPECT_FALSE(apply_config_file(config, "just words", "c"));
}

TEST(CacheConfig, Durations) {
  using std::chrono::milliseconds;
  constexpr milliseconds k_limit{3'600'000};
  EXPECT_EQ(parse_duration("250ms", k_limit), milliseconds(250));
  EXPECT_EQ(parse_duration(" 30s ", k_limit), milliseconds(30'000));
  EXPECT_EQ(parse_duration("0", k_limit), milliseconds(0));
  EXPECT_EQ(parse_duration("0s", k_limit), milliseconds(0));
  EXPECT_EQ(parse_duration("3600s", k_limit), k_limit);
  EXPECT_FALSE(parse_duration("3601s", k_limit));
  EXPECT_FALSE(parse_duration("99999999s", k_limit)); // no overflow either
  EXPECT_FALSE(parse_duration("30", k_limit));        // seconds or milliseconds?
  EXPECT_FALSE(parse_duration("", k_limit));
  EXPECT_FALSE(parse_duration("ms", k_limit));
  EXPECT_FALSE(parse_duration("-5s", k_limit));
  EXPECT_FALSE(parse_duration("1.5s", k_limit));
  EXPECT_FALSE(parse_duration("5 s", k_limit));
  EXPECT_FALSE(parse_duration("5m", k_limit));
}

TEST(CacheConfig, LockTimeout) {
  CacheConfig config;
  EXPECT_EQ(config.lock_timeout, CacheConfig::k_default_lock_timeout);
  ASSERT_TRUE(apply_config_file(config, "lock_timeout = 500ms\n", "cache.conf"));
  EXPECT_EQ(config.lock_timeout, std::chrono::milliseconds(500));
  ASSERT_TRUE(apply_setting(config, "lock_timeout", "0", "SEALEXEC_LOCK_TIMEOUT"));
  EXPECT_EQ(config.lock_timeout.count(), 0);
  const auto bad = apply_setting(config, "lock_timeout", "forever", "SEALEXEC_LOCK_TIMEOUT");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().path, "SEALEXEC_LOCK_TIMEOUT");
  EXPECT_NE(bad.error().reason.find("lock_timeout"), std::string::npos);
  EXPECT_EQ(config.lock_timeout.count(), 0); // a bad value changes nothing
}

TEST(CacheConfig, DefaultDirectoryFollowsXdg) {
  EXPECT_EQ(default_cache_dir("/o", "/x", "/h"), std::filesystem::path("/o"));
  EXPECT_EQ(default_cache_dir("", "/x", "/h"), std::filesystem::path("/x/sealexec"));
  EXPECT_EQ(default_cache_dir("", "relative", "/h"), std::filesystem::path("/h/.cache/sealexec"));
  EXPECT_EQ(default_cache_dir("", "", "/h"), std::filesystem::path("/h/.cache/sealexec"));
  EXPECT_FALSE(default_cache_dir("", "", ""));
}

} // namespace
} // namespace sealexec::cache
