// What sealing.cpp promises about a regular file that changes while it is
// copied, with the kernel made to change it at exactly the wrong moment:
// fanotify holds each of our reads until the test has rewritten the file, and
// userfaultfd holds a write(2) half-way through its bytes.
#include "sealexec/image/sealing.h"

#include "sealexec/image/copy.h"
#include "sealexec/image/sealed_image.h"
#include "test_support.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/fanotify.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <fstream>
#include <functional>
#include <string>
#include <thread>

#include <gtest/gtest.h>

namespace sealexec {
namespace {

using test::as_bytes;
using test::TempDir;

std::string bytes_of(const SealedImage& image) {
  std::string text(static_cast<std::size_t>(image.size()), '\0');
  EXPECT_EQ(::pread(image.fd(), text.data(), text.size(), 0),
            static_cast<ssize_t>(text.size()));
  return text;
}

// Calls `before_read` whenever a process reads `path`, while that read waits
// (fanotify FAN_ACCESS_PERM), and lets the read go on once it returns.
class ReadHook {
public:
  ReadHook(const std::filesystem::path& path, std::function<void()> before_read)
      : m_before_read(std::move(before_read)) {
    m_fanotify.reset(::fanotify_init(FAN_CLASS_CONTENT | FAN_CLOEXEC, O_RDONLY | O_CLOEXEC));
    m_stop.reset(::eventfd(0, EFD_CLOEXEC));
    if (!m_fanotify || !m_stop ||
        ::fanotify_mark(m_fanotify.get(), FAN_MARK_ADD, FAN_ACCESS_PERM, AT_FDCWD,
                        path.c_str()) != 0) {
      m_error = std::strerror(errno);
      return;
    }
    m_thread = std::thread([this] { serve(); });
  }
  ReadHook(const ReadHook&) = delete;
  ReadHook& operator=(const ReadHook&) = delete;
  ~ReadHook() {
    if (m_thread.joinable()) {
      const std::uint64_t one = 1;
      (void)::write(m_stop.get(), &one, sizeof one);
      m_thread.join();
    }
  }
  // Empty when the hook works; why not otherwise (fanotify needs root).
  [[nodiscard]] const std::string& error() const { return m_error; }
  [[nodiscard]] int reads() const { return m_reads; }

private:
  void serve() {
    alignas(fanotify_event_metadata) char buffer[4096];
    for (;;) {
      pollfd fds[2] = {{m_fanotify.get(), POLLIN, 0}, {m_stop.get(), POLLIN, 0}};
      if (::poll(fds, 2, -1) < 0 || (fds[1].revents & POLLIN) != 0) {
        return;
      }
      const ssize_t got = ::read(m_fanotify.get(), buffer, sizeof buffer);
      if (got <= 0) {
        return;
      }
      auto* event = reinterpret_cast<fanotify_event_metadata*>(buffer);
      for (ssize_t left = got; FAN_EVENT_OK(event, left); event = FAN_EVENT_NEXT(event, left)) {
        if ((event->mask & FAN_ACCESS_PERM) != 0) {
          ++m_reads;
          m_before_read();
          const fanotify_response allow{.fd = event->fd, .response = FAN_ALLOW};
          (void)::write(m_fanotify.get(), &allow, sizeof allow);
        }
        ::close(event->fd);
      }
    }
  }

  std::function<void()> m_before_read;
  Fd m_fanotify;
  Fd m_stop;
  std::string m_error;
  std::atomic<int> m_reads{0};
  std::thread m_thread;
};

// Takes `capability` out of this thread's effective set while it lives (it
// stays permitted, and comes back): the thread then does what a user
// without it does, while the rest of the test process keeps its rights.
class WithoutCapability {
public:
  explicit WithoutCapability(unsigned capability) {
    if (::syscall(SYS_capget, &m_header, m_saved) != 0) {
      return;
    }
    __user_cap_data_struct reduced[2] = {m_saved[0], m_saved[1]};
    reduced[capability / 32].effective &= ~(1U << (capability % 32));
    m_dropped = ::syscall(SYS_capset, &m_header, reduced) == 0;
  }
  WithoutCapability(const WithoutCapability&) = delete;
  WithoutCapability& operator=(const WithoutCapability&) = delete;
  ~WithoutCapability() {
    if (m_dropped) {
      (void)::syscall(SYS_capset, &m_header, m_saved);
    }
  }
  [[nodiscard]] bool dropped() const { return m_dropped; }

private:
  __user_cap_header_struct m_header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct m_saved[2]{};
  bool m_dropped = false;
};

// Makes `path` someone else's file that this thread cannot lease: sealexec
// then has only the file's stamps and digests to go by (read_lease.h), the
// case of a user running a program another user owns.
[[nodiscard]] bool unleasable(const std::filesystem::path& path) {
  return ::chown(path.c_str(), 65534, 65534) == 0;
}

void rewrite(const std::filesystem::path& path, std::string_view text) {
  const auto fd = open_fd(path.c_str(), O_WRONLY);
  ASSERT_OK(fd);
  ASSERT_EQ(::pwrite(fd->get(), text.data(), text.size(), 0), static_cast<ssize_t>(text.size()));
}

TEST(Sealing, AFileRewrittenDuringEveryCopyIsRefusedAfterThreeAttempts) {
  if (!test::is_root()) {
    GTEST_SKIP() << "SKIPPED: fanotify permission events need root";
  }
  // Rewritten with the very same bytes before every read: no comparison of
  // contents can see it, only the ctime that every write moves.
  TempDir dir;
  const std::string text = "#!/bin/sh\necho version 1\n";
  test::write_file(dir / "app", text, 0755);
  ReadHook hook(dir / "app", [&] { rewrite(dir / "app", text); });
  ASSERT_EQ(hook.error(), "");
  ASSERT_TRUE(unleasable(dir / "app"));
  const WithoutCapability no_lease(CAP_LEASE);
  ASSERT_TRUE(no_lease.dropped());
  const auto image = SealedImage::from_path(dir / "app");
  ASSERT_FALSE(image);
  EXPECT_EQ(image.error().code, Errc::changed);
  EXPECT_EQ(image.error().message(),
            (dir / "app").string() +
                ": kept changing while it was being copied (3 attempts), so no copy holds one "
                "whole version of it; replace it by rename instead of rewriting it in place");
  // A file this small is read once per attempt.
  EXPECT_EQ(hook.reads(), k_copy_attempts);
}

TEST(Sealing, AFileRewrittenDuringTheFirstCopyIsCopiedAgain) {
  if (!test::is_root()) {
    GTEST_SKIP() << "SKIPPED: fanotify permission events need root";
  }
  TempDir dir;
  // Larger than the bounce buffer, so that it is read twice per attempt.
  const std::string old_text(3 * k_copy_buffer_size, 'o');
  const std::string new_text(3 * k_copy_buffer_size, 'n');
  test::write_file(dir / "app", old_text, 0755);
  std::atomic<bool> rewritten{false};
  ReadHook hook(dir / "app", [&] {
    if (!rewritten.exchange(true)) {
      rewrite(dir / "app", new_text);
    }
  });
  ASSERT_EQ(hook.error(), "");
  ASSERT_TRUE(unleasable(dir / "app"));
  const WithoutCapability no_lease(CAP_LEASE);
  ASSERT_TRUE(no_lease.dropped());
  const auto image = SealedImage::from_path(dir / "app");
  ASSERT_OK(image);
  EXPECT_EQ(bytes_of(*image), new_text);
  EXPECT_EQ(image->digest(), xxh3_128(as_bytes(new_text)));
  // Both reads of the first attempt saw the new bytes, yet the attempt was
  // thrown away: the file changed after its stamp was taken. Three chunks to
  // hash and three to copy, twice.
  EXPECT_EQ(hook.reads(), 12);
}

// A userfaultfd whose missing pages the test fills when it chooses. Needs
// the right to catch faults taken inside the kernel (root, or
// vm.unprivileged_userfaultfd = 1).
class StalledBuffer {
public:
  explicit StalledBuffer(std::size_t size) : m_size(size) {
    m_uffd.reset(static_cast<int>(::syscall(SYS_userfaultfd, O_CLOEXEC)));
    uffdio_api api{.api = UFFD_API, .features = 0, .ioctls = 0};
    if (!m_uffd || ::ioctl(m_uffd.get(), UFFDIO_API, &api) != 0) {
      return;
    }
    void* memory = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
                          0);
    if (memory == MAP_FAILED) {
      return;
    }
    m_memory = static_cast<char*>(memory);
  }
  StalledBuffer(const StalledBuffer&) = delete;
  StalledBuffer& operator=(const StalledBuffer&) = delete;
  ~StalledBuffer() {
    if (m_memory != nullptr) {
      ::munmap(m_memory, m_size);
    }
  }
  [[nodiscard]] bool usable() const { return m_memory != nullptr; }
  [[nodiscard]] char* data() const { return m_memory; }
  // From now on, touching [offset, end) waits for fill().
  [[nodiscard]] bool stall_from(std::size_t offset) {
    m_stalled = offset;
    uffdio_register range{
        .range = {.start = reinterpret_cast<std::uintptr_t>(m_memory) + offset,
                  .len = m_size - offset},
        .mode = UFFDIO_REGISTER_MODE_MISSING,
        .ioctls = 0};
    return ::ioctl(m_uffd.get(), UFFDIO_REGISTER, &range) == 0;
  }
  // Waits until something touches the stalled part.
  [[nodiscard]] bool wait_for_fault() const {
    pollfd fd{m_uffd.get(), POLLIN, 0};
    uffd_msg message{};
    return ::poll(&fd, 1, 10'000) == 1 &&
           ::read(m_uffd.get(), &message, sizeof message) == sizeof message;
  }
  // Fills the stalled part with `c`, which wakes whoever waits on it.
  void fill(char c) {
    const auto page_size = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    std::string page(page_size, c);
    for (std::size_t offset = m_stalled; offset < m_size; offset += page_size) {
      uffdio_copy copy{.dst = reinterpret_cast<std::uintptr_t>(m_memory) + offset,
                       .src = reinterpret_cast<std::uintptr_t>(page.data()),
                       .len = page_size,
                       .mode = 0,
                       .copy = 0};
      (void)::ioctl(m_uffd.get(), UFFDIO_COPY, &copy);
    }
  }

private:
  std::size_t m_size;
  std::size_t m_stalled = 0;
  Fd m_uffd;
  char* m_memory = nullptr;
};

// The state letter of thread `tid` of this process ('R', 'S', 'D'...).
char thread_state(pid_t tid) {
  std::ifstream stat("/proc/self/task/" + std::to_string(tid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  const std::size_t paren = text.rfind(')');
  return paren == std::string::npos || paren + 2 >= text.size() ? '?' : text[paren + 2];
}

TEST(Sealing, AWriteStillInProgressWhenTheCopyStartsIsWaitedFor) {
  // One pwrite of a new version, stopped half-way: the first half of the
  // file is new, the second still old, ctime has already moved (the kernel
  // sets it when a write starts), and it will not move again. Stamps taken
  // now and after a copy agree, and both reads of a copy agree, so only the
  // barrier keeps the copy from being that mix.
  constexpr std::size_t k_half = 1 << 20;
  TempDir dir;
  test::write_file(dir / "app", std::string(2 * k_half, 'o'), 0755);
  StalledBuffer buffer(2 * k_half);
  if (!buffer.usable()) {
    GTEST_SKIP() << "SKIPPED: userfaultfd for kernel faults needs root: " << std::strerror(errno);
  }
  std::memset(buffer.data(), 'n', k_half);
  ASSERT_TRUE(buffer.stall_from(k_half));

  // Before the write: it holds the inode's lock, which chown takes too.
  ASSERT_TRUE(unleasable(dir / "app"));
  const auto target = open_fd((dir / "app").c_str(), O_WRONLY);
  ASSERT_OK(target);
  std::thread writer([&] { (void)::pwrite(target->get(), buffer.data(), 2 * k_half, 0); });
  ASSERT_TRUE(buffer.wait_for_fault()) << "the write never reached its second half";

  std::atomic<pid_t> sealer_tid{0};
  std::atomic<bool> sealed{false};
  Expected<SealedImage> image = fail(make_error(Errc::system, "", "not run"));
  std::thread sealer([&] {
    sealer_tid = static_cast<pid_t>(::gettid());
    // Without a lease, which the open writer would refuse: only the wait
    // for the write under way keeps the copy whole.
    const WithoutCapability no_lease(CAP_LEASE);
    image = SealedImage::from_path(dir / "app");
    sealed = true;
  });
  // Let the write finish once the copy is blocked behind it (or, without the
  // barrier, once the copy is done).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!sealed && (sealer_tid == 0 || thread_state(sealer_tid) != 'D') &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  buffer.fill('n');
  sealer.join();
  writer.join();

  ASSERT_OK(image);
  const std::string bytes = bytes_of(*image);
  EXPECT_EQ(bytes.find('o'), std::string::npos)
      << "the copy mixes the old and new versions: the first 'o' is at offset "
      << bytes.find('o');
  EXPECT_EQ(bytes, std::string(2 * k_half, 'n'));
}

TEST(Sealing, AFileSomeoneHoldsOpenForWritingIsWaitedForThenRefused) {
  // A writer in the middle of a rewrite of many writes leaves the file mixed
  // between them, with no write under way: only "open for writing" tells.
  TempDir dir;
  test::write_file(dir / "app", "#!/bin/sh\necho version 1\n", 0755);
  const auto writer = open_fd((dir / "app").c_str(), O_WRONLY);
  ASSERT_OK(writer);
  const auto started = std::chrono::steady_clock::now();
  const auto image = SealedImage::from_path(dir / "app");
  const auto waited = std::chrono::steady_clock::now() - started;
  ASSERT_FALSE(image);
  EXPECT_EQ(image.error().code, Errc::changed);
  EXPECT_EQ(image.error().message(),
            (dir / "app").string() +
                ": is open for writing by another process, so it may be in the middle of a "
                "rewrite; waited 256 ms for it to be closed (replace it by rename instead of "
                "rewriting it in place)");
  EXPECT_GE(waited, k_writer_wait) << "refused without waiting for the writer";
}

TEST(Sealing, AWriterThatFinishesSoonIsWaitedForAndItsVersionCopiedWhole) {
  TempDir dir;
  const std::string old_text(3 * k_copy_buffer_size, 'o');
  const std::string new_text(3 * k_copy_buffer_size, 'n');
  test::write_file(dir / "app", old_text, 0755);
  // Half of the new version, a pause, the other half, close: the file is
  // mixed for 20 ms and no write is under way then.
  const auto writer = open_fd((dir / "app").c_str(), O_WRONLY);
  ASSERT_OK(writer);
  ASSERT_EQ(::pwrite(writer->get(), new_text.data(), new_text.size() / 2, 0),
            static_cast<ssize_t>(new_text.size() / 2));
  std::thread finish([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    (void)::pwrite(writer->get(), new_text.data() + new_text.size() / 2, new_text.size() / 2,
                   static_cast<off_t>(new_text.size() / 2));
    (void)::close(const_cast<Fd&>(*writer).release());
  });
  const auto image = SealedImage::from_path(dir / "app");
  finish.join();
  ASSERT_OK(image);
  EXPECT_EQ(bytes_of(*image), new_text);
}

} // namespace
} // namespace sealexec
