#include "sealexec/cache/key_lock.h"

#include "test_support.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

namespace sealexec::cache {
namespace {

using namespace std::chrono_literals;

class KeyLockTest : public ::testing::Test {
protected:
  void SetUp() override {
    auto dir = CacheDir::open(m_scratch.path() / "cache");
    ASSERT_TRUE(dir) << dir.error().message();
    m_dir.emplace(std::move(*dir));
    m_key.bytes[0] = 0x42;
  }
  std::optional<KeyLock> acquire(std::chrono::milliseconds timeout) {
    auto lock = KeyLock::acquire(*m_dir, m_key, timeout);
    EXPECT_TRUE(lock) << lock.error().message();
    return lock ? std::move(*lock) : std::nullopt;
  }
  std::filesystem::path lock_file() const {
    return m_scratch.path() / "cache/locks" / m_key.hex();
  }
  // How many of this process's descriptors have the lock file open.
  int descriptors_on_lock_file() const {
    struct stat file {};
    if (::stat(lock_file().c_str(), &file) != 0) {
      return 0;
    }
    int count = 0;
    for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
      struct stat st {};
      if (::stat(entry.path().c_str(), &st) == 0 && st.st_dev == file.st_dev &&
          st.st_ino == file.st_ino) {
        ++count;
      }
    }
    return count;
  }

  test::TempDir m_scratch;
  std::optional<CacheDir> m_dir;
  Sha256Digest m_key;
};

TEST_F(KeyLockTest, FreeLockIsTakenAtOnceAndFileRemovedAfter) {
  {
    auto lock = acquire(0ms);
    ASSERT_TRUE(lock);
    EXPECT_TRUE(std::filesystem::exists(lock_file()));
  }
  EXPECT_FALSE(std::filesystem::exists(lock_file()));
}

// A holder that never lets go (stopped, say) delays a waiter by the timeout,
// not for ever.
TEST_F(KeyLockTest, WaitEndsAfterTheTimeout) {
  auto holder = acquire(0ms);
  ASSERT_TRUE(holder);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(acquire(150ms)) << "two holders at once";
  EXPECT_GE(std::chrono::steady_clock::now() - start, 150ms);
  EXPECT_FALSE(acquire(0ms));
}

TEST_F(KeyLockTest, WaiterGetsTheLockWhenTheHolderLetsGo) {
  auto holder = acquire(0ms);
  ASSERT_TRUE(holder);
  std::thread release([&] {
    std::this_thread::sleep_for(50ms);
    holder.reset();
  });
  EXPECT_TRUE(acquire(60'000ms));
  release.join();
}

// The holder unlinks the file, then lets go. A waiter that had it open gets
// the lock on the unlinked file, which excludes no one: it must lock the
// file the name holds now instead, or a newcomer (who makes a new file)
// would hold the lock at the same time.
TEST_F(KeyLockTest, WaiterOnARemovedFileLocksTheNameAgain) {
  auto holder = acquire(0ms);
  ASSERT_TRUE(holder);
  std::optional<KeyLock> waiter;
  std::thread waiting([&] { waiter = acquire(60'000ms); });
  // Until the waiter has the holder's file open too.
  while (descriptors_on_lock_file() < 2) {
    std::this_thread::sleep_for(1ms);
  }
  holder.reset();
  waiting.join();
  ASSERT_TRUE(waiter);
  EXPECT_TRUE(std::filesystem::exists(lock_file()));
  EXPECT_FALSE(acquire(0ms)) << "a newcomer took the lock the waiter holds";
}

// gc removes old lock files, held or not; a newcomer then makes a new one.
// The first holder must not remove the newcomer's file when it lets go.
TEST_F(KeyLockTest, HolderLeavesANewcomersFileAlone) {
  auto first = acquire(0ms);
  ASSERT_TRUE(first);
  std::filesystem::remove(lock_file()); // gc
  auto second = acquire(0ms);
  ASSERT_TRUE(second);
  first.reset();
  EXPECT_TRUE(std::filesystem::exists(lock_file()));
  EXPECT_FALSE(acquire(0ms));
}

} // namespace
} // namespace sealexec::cache
