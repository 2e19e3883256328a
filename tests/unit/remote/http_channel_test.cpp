#include "sealexec/remote/http_channel.h"

#include <gtest/gtest.h>

namespace sealexec::remote {
namespace {

Sha256Digest some_name() {
  Sha256Digest name;
  for (std::size_t i = 0; i < name.bytes.size(); ++i) {
    name.bytes[i] = static_cast<std::uint8_t>(i * 7);
  }
  return name;
}

TEST(HttpChannel, RequestsRoundTrip) {
  const HelperRequest put{.method = HelperRequest::Method::put,
                          .space = Namespace::cas,
                          .name = some_name(),
                          .max_size = 0,
                          .body_size = 1 << 20};
  const auto decoded = decode_request(encode(put));
  ASSERT_TRUE(decoded) << decoded.error().message();
  EXPECT_EQ(decoded->method, put.method);
  EXPECT_EQ(decoded->space, Namespace::cas);
  EXPECT_EQ(decoded->name, put.name);
  EXPECT_EQ(decoded->body_size, put.body_size);

  const HelperRequest get{.method = HelperRequest::Method::get,
                          .space = Namespace::ac,
                          .name = some_name(),
                          .max_size = 4096};
  const auto got = decode_request(encode(get));
  ASSERT_TRUE(got);
  EXPECT_EQ(got->space, Namespace::ac);
  EXPECT_EQ(got->max_size, 4096U);
}

TEST(HttpChannel, ResponsesRoundTrip) {
  const HelperResponse found{
      .outcome = HelperResponse::Outcome::found, .message_size = 0, .body_size = 12345};
  const auto decoded = decode_response(encode(found));
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->outcome, HelperResponse::Outcome::found);
  EXPECT_EQ(decoded->body_size, 12345U);
  const HelperResponse timed_out{
      .outcome = HelperResponse::Outcome::timed_out, .message_size = 40, .body_size = 0};
  EXPECT_EQ(decode_response(encode(timed_out))->message_size, 40U);
}

TEST(HttpChannel, RefusesHeadersThatAreNotOursOrOverTheirLimits) {
  auto header = encode(HelperRequest{.method = HelperRequest::Method::get, .max_size = 10});
  header[0] = std::byte{'X'};
  EXPECT_EQ(decode_request(header).error().code, Errc::malformed);

  // A body on a GET, a transfer over the limit, an unknown method.
  EXPECT_FALSE(decode_request(encode(HelperRequest{.method = HelperRequest::Method::get,
                                                   .body_size = 1})));
  EXPECT_FALSE(decode_request(encode(HelperRequest{.method = HelperRequest::Method::get,
                                                   .max_size = k_max_transfer_size + 1})));
  auto unknown = encode(HelperRequest{});
  unknown[4] = std::byte{9};
  EXPECT_FALSE(decode_request(unknown));
  EXPECT_FALSE(decode_request(std::span(unknown).first(10)));

  // A body with a failure, a message too long to be one, an unknown outcome.
  EXPECT_FALSE(decode_response(encode(HelperResponse{
      .outcome = HelperResponse::Outcome::failed, .message_size = 0, .body_size = 1})));
  EXPECT_FALSE(decode_response(encode(HelperResponse{
      .outcome = HelperResponse::Outcome::failed,
      .message_size = static_cast<std::uint32_t>(k_max_helper_message + 1)})));
  auto odd = encode(HelperResponse{});
  odd[4] = std::byte{5};
  EXPECT_FALSE(decode_response(odd));
}

} // namespace
} // namespace sealexec::remote
