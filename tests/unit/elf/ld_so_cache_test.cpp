#include "sealexec/elf/ld_so_cache.h"

#include "test_support.h"

#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <sstream>

#include <elf.h>
#include <gtest/gtest.h>

namespace sealexec::elf {
namespace {

// A new-format cache in memory: entries in the order given.
std::vector<std::byte> make_cache(const std::vector<std::tuple<std::int32_t, std::string,
                                                               std::string>>& entries,
                                  bool with_old_header = false) {
  std::vector<std::byte> out;
  auto put = [&out](const void* data, std::size_t size) {
    const auto* p = static_cast<const std::byte*>(data);
    out.insert(out.end(), p, p + size);
  };
  auto put32 = [&put](std::uint32_t v) { put(&v, 4); };
  if (with_old_header) {
    put("ld.so-1.7.0", 11);
    out.push_back(std::byte{0});
    put32(0); // no old entries
    while (out.size() % 8 != 0) {
      out.push_back(std::byte{0});
    }
  }
  const std::size_t base = out.size();
  std::string strings;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> offsets;
  const std::uint32_t strings_at = static_cast<std::uint32_t>(48 + entries.size() * 24);
  for (const auto& [flags, key, value] : entries) {
    const auto key_at = static_cast<std::uint32_t>(strings_at + strings.size());
    strings += key + '\0';
    const auto value_at = static_cast<std::uint32_t>(strings_at + strings.size());
    strings += value + '\0';
    offsets.emplace_back(key_at, value_at);
  }
  put("glibc-ld.so.cache1.1", 20);
  put32(static_cast<std::uint32_t>(entries.size()));
  put32(static_cast<std::uint32_t>(strings.size()));
  const std::uint8_t flags = 2; // little-endian
  put(&flags, 1);
  out.resize(out.size() + 3 + 4 + 12, std::byte{0});
  for (std::size_t i = 0; i < entries.size(); ++i) {
    put32(static_cast<std::uint32_t>(std::get<0>(entries[i])));
    put32(offsets[i].first);
    put32(offsets[i].second);
    put32(0);
    const std::uint64_t hwcap = 0;
    put(&hwcap, 8);
  }
  put(strings.data(), strings.size());
  EXPECT_EQ(out.size() - base, strings_at + strings.size());
  return out;
}

constexpr std::int32_t k_x86_64 = 0x303;

TEST(LdSoCache, LooksUpByBinarySearchInDescendingOrder) {
  // ldconfig's order: descending, numbers compared as numbers.
  const auto bytes = make_cache({{k_x86_64, "libz.so.1", "/lib/libz.so.1"},
                                 {k_x86_64, "libm.so.10", "/lib/libm.so.10"},
                                 {k_x86_64, "libm.so.9", "/lib/libm.so.9"},
                                 {3, "libc.so.6", "/lib32/libc.so.6"},
                                 {k_x86_64, "libc.so.6", "/lib/x86_64/libc.so.6"},
                                 {k_x86_64, "libc.so.6", "/second/libc.so.6"},
                                 {k_x86_64, "liba.so", "/lib/liba.so"}});
  const auto cache = LdSoCache::parse(bytes, "cache");
  ASSERT_OK(cache);
  EXPECT_EQ(cache->size(), 7U);
  EXPECT_EQ(cache->lookup("libz.so.1", k_x86_64), "/lib/libz.so.1");
  EXPECT_EQ(cache->lookup("libm.so.10", k_x86_64), "/lib/libm.so.10");
  EXPECT_EQ(cache->lookup("libm.so.9", k_x86_64), "/lib/libm.so.9");
  // The first acceptable of equal keys wins; other architectures are passed over.
  EXPECT_EQ(cache->lookup("libc.so.6", k_x86_64), "/lib/x86_64/libc.so.6");
  EXPECT_EQ(cache->lookup("libc.so.6", 3), "/lib32/libc.so.6");
  EXPECT_EQ(cache->lookup("liba.so", k_x86_64), "/lib/liba.so");
  EXPECT_EQ(cache->lookup("libq.so", k_x86_64), std::nullopt);
  EXPECT_EQ(cache->lookup("liba.so", 3), std::nullopt);
}

// The libc6,x32 entry is x32's own (0x0803): before, an x32 program found no
// libc.so.6 in the cache at all.
TEST(LdSoCache, EachArchitectureTakesItsOwnEntries) {
  const auto bytes = make_cache({{0x0803, "libc.so.6", "/libx32/libc.so.6"},
                                 {0x0a03, "libc.so.6", "/lib/aarch64-linux-gnu/libc.so.6"},
                                 {k_x86_64, "libc.so.6", "/lib/x86_64-linux-gnu/libc.so.6"},
                                 {0x0903, "libc.so.6", "/lib/arm-linux-gnueabihf/libc.so.6"},
                                 {0x0503, "libc.so.6", "/lib/powerpc64le-linux-gnu/libc.so.6"},
                                 {0x1003, "libc.so.6", "/lib/riscv64-linux-gnu/libc.so.6"},
                                 {3, "libc.so.6", "/lib/i386-linux-gnu/libc.so.6"}});
  const auto cache = LdSoCache::parse(bytes, "cache");
  ASSERT_OK(cache);
  const auto path_for = [&](std::uint16_t machine, bool is64, std::uint32_t e_flags = 0) {
    const auto flags = cache_flags_for(machine, is64, e_flags);
    return flags ? cache->lookup("libc.so.6", *flags) : std::nullopt;
  };
  EXPECT_EQ(path_for(EM_X86_64, false), "/libx32/libc.so.6");
  EXPECT_EQ(path_for(EM_X86_64, true), "/lib/x86_64-linux-gnu/libc.so.6");
  EXPECT_EQ(path_for(EM_AARCH64, true), "/lib/aarch64-linux-gnu/libc.so.6");
  EXPECT_EQ(path_for(EM_ARM, false, 0x400), "/lib/arm-linux-gnueabihf/libc.so.6");
  EXPECT_EQ(path_for(EM_PPC64, true), "/lib/powerpc64le-linux-gnu/libc.so.6");
  EXPECT_EQ(path_for(EM_RISCV, true, 0x4), "/lib/riscv64-linux-gnu/libc.so.6");
  EXPECT_EQ(path_for(EM_386, false), "/lib/i386-linux-gnu/libc.so.6");
}

TEST(LdSoCache, AnOldFormatHeaderMayComeFirst) {
  const auto bytes = make_cache({{k_x86_64, "libx.so", "/x/libx.so"}}, true);
  const auto cache = LdSoCache::parse(bytes, "cache");
  ASSERT_OK(cache);
  EXPECT_EQ(cache->lookup("libx.so", k_x86_64), "/x/libx.so");
}

TEST(LdSoCache, EveryTruncationIsAnErrorOrAMissNeverACrash) {
  const auto bytes = make_cache({{k_x86_64, "libb.so", "/b"}, {k_x86_64, "liba.so", "/a"}});
  for (std::size_t cut = 0; cut < bytes.size(); ++cut) {
    const auto cache = LdSoCache::parse(std::span(bytes).first(cut), "cut");
    if (cache) {
      (void)cache->lookup("liba.so", k_x86_64);
      (void)cache->lookup("libb.so", k_x86_64);
    } else {
      EXPECT_EQ(cache.error().code, Errc::malformed);
    }
  }
  const auto garbage = LdSoCache::parse(test::as_bytes("not a cache at all"), "garbage");
  ASSERT_FALSE(garbage);
  EXPECT_NE(garbage.error().reason.find("glibc-ld.so.cache1.1"), std::string::npos);
}

TEST(LdSoCache, LibraryNamesCompareLikeGlibc) {
  EXPECT_EQ(compare_library_names("libc.so.6", "libc.so.6"), 0);
  EXPECT_LT(compare_library_names("libm.so.9", "libm.so.10"), 0);
  EXPECT_GT(compare_library_names("lib2", "libx"), 0); // a digit sorts after a letter
  EXPECT_LT(compare_library_names("libx", "lib2"), 0);
  EXPECT_LT(compare_library_names("liba", "liba.so"), 0);
  EXPECT_GT(compare_library_names("liba.so", "liba"), 0);
}

TEST(LdSoCache, AgreesWithLdconfigOnThisMachine) {
  const auto cache = LdSoCache::load("/etc/ld.so.cache");
  if (!cache) {
    GTEST_SKIP() << "SKIPPED: no readable /etc/ld.so.cache: " << cache.error().message();
  }
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(::popen("/sbin/ldconfig -p 2>/dev/null", "r"),
                                             ::pclose);
  ASSERT_TRUE(pipe);
  // "\tlibc.so.6 (libc6,x86-64) => /lib/x86_64-linux-gnu/libc.so.6": the first
  // line for a name and architecture is the one ld.so takes.
  std::map<std::string, std::string> expected;
  char line[4096];
  while (std::fgets(line, sizeof line, pipe.get()) != nullptr) {
    std::string text(line);
    if (text.find("(libc6,x86-64") == std::string::npos ||
        text.find("hwcap") != std::string::npos) {
      continue;
    }
    std::istringstream words(text);
    std::string name;
    words >> name;
    const std::size_t arrow = text.find("=> ");
    std::string path = text.substr(arrow + 3);
    path.erase(path.find_last_not_of("\n") + 1);
    expected.try_emplace(name, path);
  }
  ASSERT_GT(expected.size(), 50U);
  for (const auto& [name, path] : expected) {
    EXPECT_EQ(cache->lookup(name, k_x86_64), path) << name;
  }
}

} // namespace
} // namespace sealexec::elf
