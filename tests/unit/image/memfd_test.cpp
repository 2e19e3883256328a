#include "sealexec/image/memfd.h"

#include "test_support.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>

#include <gtest/gtest.h>

namespace sealexec {
namespace {


TEST(Memfd, IsCloseOnExecExecutableAndNamed) {
  const auto fd = create_memfd("sealexec:test:0123456789ab", Executable::yes);
  ASSERT_OK(fd);
  EXPECT_TRUE(::fcntl(fd->get(), F_GETFD) & FD_CLOEXEC);
  struct stat st {};
  ASSERT_EQ(::fstat(fd->get(), &st), 0);
  EXPECT_NE(st.st_mode & 0111, 0U);
  EXPECT_EQ(test::link_target(fd->get()), "/memfd:sealexec:test:0123456789ab (deleted)");
}

TEST(Memfd, LongNamesAreCutToTheKernelLimit) {
  const auto fd = create_memfd(std::string(400, 'n'), Executable::yes);
  ASSERT_OK(fd);
  EXPECT_EQ(test::link_target(fd->get()), "/memfd:" + std::string(k_memfd_name_max, 'n') + " (deleted)");
}

TEST(Memfd, SealedFileCannotBeWrittenResizedOrUnsealed) {
  auto fd = create_memfd("seal-test", Executable::yes);
  ASSERT_OK(fd);
  ASSERT_EQ(::write(fd->get(), "abcd", 4), 4);
  const auto seals = seal_memfd(fd->get(), "seal-test");
  ASSERT_OK(seals);
  EXPECT_EQ(*seals & base_seals(), base_seals());
  EXPECT_TRUE(has_base_seals(fd->get()));

  EXPECT_EQ(::pwrite(fd->get(), "x", 1, 0), -1);
  EXPECT_EQ(errno, EPERM);
  EXPECT_NE(::ftruncate(fd->get(), 0), 0);
  EXPECT_NE(::ftruncate(fd->get(), 100), 0);
  EXPECT_EQ(::mmap(nullptr, 4, PROT_READ | PROT_WRITE, MAP_SHARED, fd->get(), 0), MAP_FAILED);
  EXPECT_NE(::fcntl(fd->get(), F_ADD_SEALS, F_SEAL_FUTURE_WRITE), 0); // F_SEAL_SEAL
  char buffer[4] = {};
  ASSERT_EQ(::pread(fd->get(), buffer, 4, 0), 4);
  EXPECT_EQ(std::string(buffer, 4), "abcd");
}

TEST(Memfd, ReopensReadOnlyAsTheSameFile) {
  auto fd = create_memfd("reopen", Executable::yes);
  ASSERT_OK(fd);
  ASSERT_EQ(::write(fd->get(), "data", 4), 4);
  ASSERT_OK(seal_memfd(fd->get(), "reopen"));
  const auto read_only = reopen_read_only(fd->get(), "reopen");
  ASSERT_OK(read_only);
  EXPECT_EQ(::fcntl(read_only->get(), F_GETFL) & O_ACCMODE, O_RDONLY);
  EXPECT_TRUE(::fcntl(read_only->get(), F_GETFD) & FD_CLOEXEC);
  struct stat a {};
  struct stat b {};
  ASSERT_EQ(::fstat(fd->get(), &a), 0);
  ASSERT_EQ(::fstat(read_only->get(), &b), 0);
  EXPECT_EQ(a.st_ino, b.st_ino);
}

TEST(Memfd, SealsOnAPlainTmpfsFileDoNotCountAsSealed) {
  // F_GET_SEALS on an ordinary shmem file reports F_SEAL_SEAL alone; a
  // naive "seals != 0" check would call it sealed (runc 18e286261).
  const auto fd = open_fd("/dev/shm", O_TMPFILE | O_RDWR, 0600);
  if (!fd) {
    GTEST_SKIP() << "SKIPPED: /dev/shm does not support O_TMPFILE here";
  }
  EXPECT_EQ(::fcntl(fd->get(), F_GET_SEALS), F_SEAL_SEAL);
  EXPECT_FALSE(has_base_seals(fd->get()));
}

TEST(Memfd, NonExecutableMemfdHasNoExecuteBitsWhereTheKernelSupportsIt) {
  const auto fd = create_memfd("data", Executable::no);
  ASSERT_OK(fd);
  struct stat st {};
  ASSERT_EQ(::fstat(fd->get(), &st), 0);
  // Kernels before 6.3 ignore the request and make every memfd executable.
  if ((st.st_mode & 0111) != 0) {
    GTEST_SKIP() << "SKIPPED: this kernel has no MFD_NOEXEC_SEAL";
  }
  EXPECT_EQ(st.st_mode & 0111, 0U);
}

TEST(Memfd, ReadsTheNoexecSysctl) {
  const auto setting = memfd_noexec_setting();
  if (!std::ifstream("/proc/sys/vm/memfd_noexec")) {
    EXPECT_FALSE(setting);
    return;
  }
  ASSERT_TRUE(setting);
  EXPECT_GE(*setting, 0);
  EXPECT_LE(*setting, 2);
}

} // namespace
} // namespace sealexec
