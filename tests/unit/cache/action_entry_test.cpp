#include "sealexec/cache/action_entry.h"

#include "test_support.h"

#include <gtest/gtest.h>

namespace sealexec::cache {
namespace {

ActionEntry sample() {
  return ActionEntry{.fingerprint = "fields;6:engine3:g++",
                     .description = "/home/me/hello.cpp",
                     .blob_sha256 = sha256(test::as_bytes("blob")),
                     .blob_xxh3 = xxh3_128(test::as_bytes("blob")),
                     .size = 4,
                     .created_unix_ns = 1'700'000'000'000'000'000ULL};
}

TEST(ActionEntry, RoundTrips) {
  const auto bytes = serialize(sample());
  const auto parsed = parse_action_entry(bytes, "entry");
  ASSERT_OK(parsed);
  EXPECT_EQ(*parsed, sample());
}

TEST(ActionEntry, EveryTruncationAndEveryBitFlipIsDetected) {
  const auto bytes = serialize(sample());
  for (std::size_t cut = 0; cut < bytes.size(); ++cut) {
    EXPECT_FALSE(parse_action_entry(std::span(bytes).first(cut), "cut")) << cut;
  }
  for (std::size_t at = 0; at < bytes.size(); ++at) {
    for (const int bit : {0, 7}) {
      auto damaged = bytes;
      damaged[at] ^= static_cast<std::byte>(1 << bit);
      const auto parsed = parse_action_entry(damaged, "flip");
      ASSERT_FALSE(parsed) << "byte " << at << " bit " << bit;
      EXPECT_EQ(parsed.error().code, Errc::malformed);
    }
  }
  auto longer = bytes;
  longer.push_back(std::byte{0});
  EXPECT_FALSE(parse_action_entry(longer, "longer"));
}

} // namespace
} // namespace sealexec::cache
