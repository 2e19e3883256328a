#include "sealexec/remote/resp_bulk.h"

#include <gtest/gtest.h>

#include <string_view>

namespace sealexec::remote {
namespace {

BulkHeader parsed(std::string_view text) {
  return parse_bulk_header(std::as_bytes(std::span(text.data(), text.size())));
}

TEST(RespBulk, ReadsLengthsNilAndWaitsForMore) {
  using Kind = BulkHeader::Kind;
  const BulkHeader value = parsed("$1048576\r\nabc");
  EXPECT_EQ(value.kind, Kind::value);
  EXPECT_EQ(value.length, 1048576U);
  EXPECT_EQ(value.header_size, 10U);
  EXPECT_EQ(parsed("$0\r\n").length, 0U);
  EXPECT_EQ(parsed("$-1\r\n").kind, Kind::nil);
  EXPECT_EQ(parsed("$-1\r\n").header_size, 5U);
  for (const char* partial : {"", "$", "$12", "$12\r"}) {
    EXPECT_EQ(parsed(partial).kind, Kind::incomplete) << partial;
  }
  EXPECT_EQ(parsed("-ERR x\r\n").kind, Kind::other);
  EXPECT_EQ(parsed("*1\r\n").kind, Kind::other);
  EXPECT_EQ(parsed("$18446744073709551615\r\n").kind, Kind::value);
  for (const char* bad :
       {"$\r\n", "$-2\r\n", "$+5\r\n", "$5 \r\n", "$5\rx", "$18446744073709551616\r\n",
        "$123456789012345678901234567890123\r\n", "$1234567890123456789012345678901"}) {
    EXPECT_EQ(parsed(bad).kind, Kind::malformed) << bad;
  }
}

} // namespace
} // namespace sealexec::remote
