#include "sealexec/util/error.h"

#include <cerrno>

#include <gtest/gtest.h>

namespace sealexec {
namespace {

TEST(Error, MessageJoinsPathReasonOperationAndErrno) {
  const Error error = system_error("cannot seal", "/tmp/app", "fcntl(F_ADD_SEALS)", EBUSY);
  EXPECT_EQ(error.message(),
            "/tmp/app: cannot seal: fcntl(F_ADD_SEALS): Device or resource busy");
  EXPECT_EQ(error.code, Errc::system);
}

TEST(Error, MessageLeavesOutEmptyParts) {
  EXPECT_EQ(make_error(Errc::not_found, "/x", "not found").message(), "/x: not found");
  EXPECT_EQ(make_error(Errc::invalid_argument, "", "no program").message(), "no program");
}

Expected<int> half(int value) {
  if (value % 2 != 0) {
    return fail(make_error(Errc::invalid_argument, "", "odd"));
  }
  return value / 2;
}

Expected<int> quarter(int value) {
  SEALEXEC_TRY_ASSIGN(const int h, half(value));
  SEALEXEC_TRY_ASSIGN(const int q, half(h));
  return q;
}

TEST(Error, TryAssignForwardsTheFirstError) {
  EXPECT_EQ(quarter(8), 2);
  ASSERT_FALSE(quarter(6));
  EXPECT_EQ(quarter(6).error().reason, "odd");
}

} // namespace
} // namespace sealexec
