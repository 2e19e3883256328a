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

TEST(CacheConfig, DefaultDirectoryFollowsXdg) {
  EXPECT_EQ(default_cache_dir("/o", "/x", "/h"), std::filesystem::path("/o"));
  EXPECT_EQ(default_cache_dir("", "/x", "/h"), std::filesystem::path("/x/sealexec"));
  EXPECT_EQ(default_cache_dir("", "relative", "/h"), std::filesystem::path("/h/.cache/sealexec"));
  EXPECT_EQ(default_cache_dir("", "", "/h"), std::filesystem::path("/h/.cache/sealexec"));
  EXPECT_FALSE(default_cache_dir("", "", ""));
}

} // namespace
} // namespace sealexec::cache
