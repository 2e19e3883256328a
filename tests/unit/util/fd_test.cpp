#include "sealexec/util/fd.h"

#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

namespace sealexec {
namespace {

bool is_open(int fd) { return ::fcntl(fd, F_GETFD) >= 0; }

TEST(Fd, ClosesOnDestructionAndMovesOwnership) {
  auto pipe = make_pipe();
  ASSERT_TRUE(pipe);
  const int raw = pipe->read_end.get();
  {
    Fd moved = std::move(pipe->read_end);
    EXPECT_FALSE(pipe->read_end);
    EXPECT_TRUE(is_open(raw));
  }
  EXPECT_FALSE(is_open(raw));
}

TEST(Fd, ReleaseGivesUpOwnership) {
  auto pipe = make_pipe();
  ASSERT_TRUE(pipe);
  const int raw = pipe->write_end.release();
  pipe->write_end.reset();
  EXPECT_TRUE(is_open(raw));
  ::close(raw);
}

TEST(Fd, EverythingWeOpenIsCloseOnExec) {
  auto pipe = make_pipe();
  ASSERT_TRUE(pipe);
  EXPECT_TRUE(::fcntl(pipe->read_end.get(), F_GETFD) & FD_CLOEXEC);
  EXPECT_TRUE(::fcntl(pipe->write_end.get(), F_GETFD) & FD_CLOEXEC);
  auto file = open_fd("/dev/null", O_RDONLY);
  ASSERT_TRUE(file);
  EXPECT_TRUE(::fcntl(file->get(), F_GETFD) & FD_CLOEXEC);
}

TEST(Fd, OpenReportsPathAndErrno) {
  auto missing = open_fd("/nonexistent/file", O_RDONLY);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().path, "/nonexistent/file");
  EXPECT_EQ(missing.error().sys_errno, ENOENT);
}

} // namespace
} // namespace sealexec
