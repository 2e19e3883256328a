#include "sealexec/cache/stats_file.h"

#include "cache/stats_processes.h"
#include "test_support.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <climits>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace sealexec::cache {
namespace {

namespace fs = std::filesystem;

// Lines of the file here are numbers; a fold's summary is their sum.
std::uint64_t sum_of(std::string_view text) {
  std::uint64_t total = 0;
  while (!text.empty()) {
    const std::size_t newline = text.find('\n');
    const std::string_view line = text.substr(0, newline);
    text = newline == std::string_view::npos ? std::string_view() : text.substr(newline + 1);
    std::uint64_t value = 0;
    if (std::from_chars(line.data(), line.data() + line.size(), value).ec == std::errc{}) {
      total += value;
    }
  }
  return total;
}

// A scratch directory in memory (/dev/shm) where there is one: for the test
// that folds a few hundred times, whose fsyncs would cost seconds on a disk
// and prove nothing more there. Elsewhere, $TMPDIR's.
class MemoryScratch {
public:
  MemoryScratch() {
    std::string pattern = "/dev/shm/sealexec-unit.XXXXXX";
    if (::mkdtemp(pattern.data()) != nullptr) {
      m_path = pattern;
    } else {
      m_fallback.emplace();
      m_path = m_fallback->path();
    }
  }
  MemoryScratch(const MemoryScratch&) = delete;
  MemoryScratch& operator=(const MemoryScratch&) = delete;
  ~MemoryScratch() {
    if (!m_fallback) {
      std::error_code ignored;
      fs::remove_all(m_path, ignored);
    }
  }
  [[nodiscard]] const fs::path& path() const { return m_path; }

private:
  std::optional<test::TempDir> m_fallback;
  fs::path m_path;
};

class StatsFileTest : public ::testing::Test {
protected:
  void SetUp() override { open(m_scratch.path()); }

  void open(const fs::path& root) {
    m_root = root;
    auto dir = CacheDir::open(root / "cache");
    ASSERT_TRUE(dir) << dir.error().message();
    m_dir.emplace(std::move(*dir));
    ASSERT_TRUE(m_dir->subdirectory("stats")); // creates it
  }

  [[nodiscard]] StatsFile file() const { return StatsFile(*m_dir, "lines", ".lines-folding"); }
  [[nodiscard]] fs::path stats() const { return m_root / "cache/stats"; }

  // The non-empty lines a reader is given.
  [[nodiscard]] std::vector<std::string> read_lines() const {
    std::vector<std::string> lines;
    EXPECT_TRUE(file().read([&](std::string_view text) {
      while (!text.empty()) {
        const std::size_t newline = text.find('\n');
        if (newline != 0) {
          lines.emplace_back(text.substr(0, newline));
        }
        text = newline == std::string_view::npos ? std::string_view() : text.substr(newline + 1);
      }
    }));
    return lines;
  }

  [[nodiscard]] std::uint64_t total() const {
    std::uint64_t sum = 0;
    const auto read = file().read([&](std::string_view text) { sum += sum_of(text); });
    EXPECT_TRUE(read) << read.error().message();
    return sum;
  }

  [[nodiscard]] Expected<void> fold(FoldOptions options) const {
    std::uint64_t sum = 0;
    return file().fold(
        options, [&](std::string_view text) { sum += sum_of(text); },
        [&] { return std::to_string(sum) + "\n"; });
  }

  // A complete fold of everything, legacy files included.
  void fold_all() const { ASSERT_OK(fold({.threshold_bytes = 0, .legacy_grace = std::chrono::seconds{0}})); }

  [[nodiscard]] std::set<std::string> names() const {
    std::set<std::string> found;
    for (const auto& entry : fs::directory_iterator(stats())) {
      found.insert(entry.path().filename().string());
    }
    return found;
  }

  // After a complete fold: the total, the lock and nothing else of ours.
  void expect_only_a_base() const {
    const auto found = names();
    EXPECT_EQ(found.size(), 2U) << ::testing::PrintToString(found);
    EXPECT_TRUE(found.contains("lines.lock"));
    EXPECT_EQ(std::count_if(found.begin(), found.end(),
                            [](const std::string& name) { return name.starts_with("lines.base."); }),
              1);
  }

  test::TempDir m_scratch;
  fs::path m_root;
  std::optional<CacheDir> m_dir;
};

class StatsFileInMemoryTest : public StatsFileTest {
protected:
  void SetUp() override { open(m_memory.path()); }

  MemoryScratch m_memory;
};

TEST_F(StatsFileTest, NamesAreRecognisedExactly) {
  const auto kind = [](std::string_view name) {
    return classify_stats_file(name, "lines", ".lines-folding").kind;
  };
  EXPECT_EQ(kind("lines"), StatsFileKind::live);
  EXPECT_EQ(kind("lines.lock"), StatsFileKind::lock);
  EXPECT_EQ(kind("lines.fold.7"), StatsFileKind::fold);
  EXPECT_EQ(classify_stats_file("lines.base.42", "lines", "x").generation, 42U);
  EXPECT_EQ(kind("lines.base.1000000000000000000"), StatsFileKind::base);
  EXPECT_EQ(kind("lines.tmp.0123456789abcdef"), StatsFileKind::temp);
  EXPECT_EQ(kind("123.lines-folding"), StatsFileKind::legacy);
  EXPECT_EQ(kind("2147483647.lines-folding"), StatsFileKind::legacy);
  for (const std::string_view other :
       {"lines.", "lines.fold.", "lines.fold.0", "lines.fold.07", "lines.fold.+7", "lines.fold.7 ",
        "lines.base.1000000000000000001", "lines.base.99999999999999999999", "lines.base.-1",
        "lines.tmp.0123456789ABCDEF", "lines.tmp.0123456789abcde", "lines.tmp.0123456789abcdef0",
        "lines.lock.1", "lines2", "xlines", ".lines-folding", "0.lines-folding",
        "0123.lines-folding", "-1.lines-folding", "2147483648.lines-folding",
        "x.lines-folding", "1.lines-folding.", "lines.fold.3.lines-folding"}) {
    EXPECT_EQ(kind(other), StatsFileKind::other) << other;
  }
}

TEST_F(StatsFileTest, ReadsWhatCountsAndNothingElse) {
  ASSERT_OK(file().append("1\n"));
  ASSERT_OK(file().append("2\n"));
  test::write_file(stats() / "lines.base.3", "10\n", 0600);
  test::write_file(stats() / "lines.base.2", "100\n", 0600);  // older than base.3
  test::write_file(stats() / "lines.fold.3", "1000\n", 0600); // covered by base.3
  test::write_file(stats() / "lines.fold.4", "5\n", 0600);    // a fold in progress
  test::write_file(stats() / "lines.tmp.0123456789abcdef", "7\n", 0600);
  test::write_file(stats() / "999999.lines-folding", "20\n", 0600); // an older sealexec's
  test::write_file(stats() / "x.lines-folding", "300\n", 0600);
  test::write_file(stats() / "0999.lines-folding", "300\n", 0600);
  test::write_file(stats() / "lines.fold.05", "300\n", 0600);
  test::write_file(stats() / "other", "300\n", 0600);
  fs::create_directory(stats() / "lines.base.9"); // not a file: not ours
  fs::create_symlink("lines.base.3", stats() / "lines.base.8");
  EXPECT_EQ(total(), 1U + 2 + 10 + 5 + 20);
}

TEST_F(StatsFileTest, ALineLongerThanAChunkIsSkippedToItsEnd) {
  // The tail of the long line looks like a line of its own; it must not be
  // taken for one.
  test::write_file(stats() / "lines", "a\n" + std::string(200'000, 'x') + "tail\nb\n", 0600);
  EXPECT_EQ(read_lines(), (std::vector<std::string>{"a", "b"}));
}

TEST_F(StatsFileTest, ALineCutShortByAKilledWriterDoesNotSwallowTheNext) {
  // kill -9 can stop a write between two pages of the file.
  test::write_file(stats() / "lines", "1\n4", 0600);
  ASSERT_OK(file().append("20\n"));
  EXPECT_EQ(read_lines(), (std::vector<std::string>{"1", "4", "20"}));
}

TEST_F(StatsFileTest, AFoldKeepsEveryLineAndRemovesWhatItCovered) {
  for (int i = 0; i < 100; ++i) {
    ASSERT_OK(file().append("1\n"));
  }
  test::write_file(stats() / "999999.lines-folding", "5\n", 0600);

  // Small, and the older sealexec's fold too recent to be taken in: nothing.
  const auto before = names();
  ASSERT_OK(fold({.threshold_bytes = 1'000}));
  EXPECT_EQ(names(), before);
  EXPECT_EQ(total(), 105U);

  // Large: the lines become a base; the recent legacy fold is left alone.
  ASSERT_OK(fold({.threshold_bytes = 100}));
  EXPECT_EQ(read_lines(), (std::vector<std::string>{"100", "5"}));
  EXPECT_EQ(names(), (std::set<std::string>{"999999.lines-folding", "lines.base.2", "lines.lock"}));

  // Once old enough, it is taken in too.
  ASSERT_OK(fold({.threshold_bytes = 100, .legacy_grace = std::chrono::seconds{0}}));
  EXPECT_EQ(read_lines(), std::vector<std::string>{"105"});
  expect_only_a_base();
  ASSERT_OK(file().append("1\n"));
  EXPECT_EQ(total(), 106U);
}

// A dead folder's work, as kill -9 leaves it at any step, is finished by the
// next fold, which may die at any step too.
TEST_F(StatsFileInMemoryTest, AFoldKilledAtEveryStepLosesAndDoublesNothing) {
  const auto fold_step = [&](const StatsObserver& observer) {
    return fold({.threshold_bytes = 0, .legacy_grace = std::chrono::seconds{0}, .observer = observer});
  };
  int steps_seen = 0;
  for (int first = 0;; ++first) {
    bool first_finished = false;
    for (int second = 0;; ++second) {
      SCOPED_TRACE(::testing::Message() << "first fold killed at step " << first
                                        << ", the next at step " << second);
      fs::remove_all(stats());
      ASSERT_OK(m_dir->subdirectory("stats"));
      // A total from an earlier fold, lines since, an older sealexec's
      // fold, a dead folder's temporary file.
      ASSERT_OK(file().append("1\n"));
      fold_all();
      ASSERT_OK(file().append("10\n"));
      ASSERT_OK(file().append("100\n"));
      test::write_file(stats() / "42.lines-folding", "1000\n", 0600);
      test::write_file(stats() / "lines.tmp.00000000000000ff", "10000\n", 0600);
      std::uint64_t expected = 1111;
      ASSERT_EQ(total(), expected);

      const auto end = test::run_killed_at(first, fold_step);
      ASSERT_TRUE(end && *end != test::ChildEnd::failed);
      first_finished = *end == test::ChildEnd::finished;
      EXPECT_EQ(total(), expected);
      ASSERT_OK(file().append("20000\n")); // a writer after the crash
      expected += 20000;
      EXPECT_EQ(total(), expected);

      const auto next = test::run_killed_at(second, fold_step);
      ASSERT_TRUE(next && *next != test::ChildEnd::failed);
      EXPECT_EQ(total(), expected);
      ASSERT_OK(file().append("300000\n"));
      expected += 300000;

      fold_all();
      EXPECT_EQ(total(), expected);
      expect_only_a_base();
      ++steps_seen;
      if (*next == test::ChildEnd::finished || first_finished) {
        break; // the second fold had fewer steps than `second`
      }
    }
    if (first_finished) {
      break;
    }
  }
  EXPECT_GT(steps_seen, 50); // every step of both, each a real death
}

// A writer that opened the file just before a fold renamed it, and writes
// after the fold read it, must not write into the folded file.
TEST_F(StatsFileTest, AWriterThatOpenedTheFileBeforeAFoldWritesIntoTheNewOne) {
  ASSERT_OK(file().append("1\n"));
  test::StoppedChild writer("opened", [&](const StatsObserver& observer) {
    return file().append("10\n", observer);
  });
  ASSERT_TRUE(writer.stopped());
  fold_all();
  ASSERT_OK(file().append("100\n"));
  fold_all();
  ASSERT_OK(file().append("1000\n")); // the file exists again, a new one
  EXPECT_EQ(writer.resume(), test::ChildEnd::finished);
  EXPECT_EQ(total(), 1111U);
  fold_all();
  EXPECT_EQ(total(), 1111U);
}

// A writer stopped between its check and its write holds up no fold for
// long, and its line still counts once.
TEST_F(StatsFileTest, AFoldDoesNotReadAFileAWriterIsAboutToWriteTo) {
  ASSERT_OK(file().append("1\n"));
  test::StoppedChild writer("checked", [&](const StatsObserver& observer) {
    return file().append("10\n", observer);
  });
  ASSERT_TRUE(writer.stopped());
  fold_all(); // cannot lock the renamed file: leaves it counted as it is
  EXPECT_EQ(total(), 1U);
  EXPECT_EQ(writer.resume(), test::ChildEnd::finished);
  EXPECT_EQ(total(), 11U);
  fold_all();
  EXPECT_EQ(total(), 11U);
  expect_only_a_base();
}

// A fold that moves lines between the files a reader has opened and those
// it has not yet: the reader starts over rather than miss or double them.
TEST_F(StatsFileTest, AReaderStartsOverWhenAFoldMovesWhatItReads) {
  ASSERT_OK(file().append("1\n"));
  fold_all();
  ASSERT_OK(file().append("10\n"));
  // Stopped with the base open, before the file.
  test::StoppedChild reader("opened", [&](const StatsObserver& observer) -> Expected<void> {
    std::uint64_t sum = 0;
    SEALEXEC_TRY(file().read([&](std::string_view text) { sum += sum_of(text); }, observer));
    if (sum != 111) {
      return fail(make_error(Errc::changed, "", "read " + std::to_string(sum) + ", not 111"));
    }
    return {};
  });
  ASSERT_TRUE(reader.stopped());
  fold_all();
  ASSERT_OK(file().append("100\n"));
  EXPECT_EQ(reader.resume(), test::ChildEnd::finished);
}

// Only one process folds at a time; the others skip, and find nothing
// changed.
TEST_F(StatsFileTest, AFoldInProgressIsLeftToItsFolder) {
  ASSERT_OK(file().append("1\n"));
  ASSERT_OK(file().append("10\n"));
  test::StoppedChild folder("read", [&](const StatsObserver& observer) {
    return fold({.threshold_bytes = 0, .legacy_grace = std::chrono::seconds{0}, .observer = observer});
  });
  ASSERT_TRUE(folder.stopped());
  ASSERT_OK(file().append("100\n"));
  const auto during = names();
  fold_all();
  EXPECT_EQ(names(), during);
  EXPECT_EQ(total(), 111U);
  EXPECT_EQ(folder.resume(), test::ChildEnd::finished);
  EXPECT_EQ(total(), 111U);
  fold_all();
  EXPECT_EQ(total(), 111U);
  expect_only_a_base();
}

// Liveness is the lock's, which the kernel drops when its holder dies: a
// folder in another PID namespace is pid 2 there, an alive kernel thread
// here. Killed at each step, its fold is still finished here.
TEST_F(StatsFileTest, AFoldThatDiedInAnotherPidNamespaceIsFinished) {
  if (!test::is_root()) {
    GTEST_SKIP() << "needs root for a PID namespace";
  }
  for (int kill_at = 0;; ++kill_at) {
    SCOPED_TRACE(::testing::Message() << "killed at step " << kill_at);
    fs::remove_all(stats());
    ASSERT_OK(m_dir->subdirectory("stats"));
    ASSERT_OK(file().append("1\n"));
    ASSERT_OK(file().append("10\n"));
    const auto end = test::run_killed_at(
        kill_at,
        [&](const StatsObserver& observer) {
          return fold({.threshold_bytes = 0, .legacy_grace = std::chrono::seconds{0}, .observer = observer});
        },
        2);
    if (!end) {
      GTEST_SKIP() << "cannot make a PID namespace here";
    }
    ASSERT_NE(*end, test::ChildEnd::failed);
    EXPECT_EQ(total(), 11U);
    fold_all();
    EXPECT_EQ(total(), 11U);
    expect_only_a_base();
    if (*end == test::ChildEnd::finished) {
      break;
    }
  }
}

// And a live folder whose pid is nobody's here is not taken for dead.
TEST_F(StatsFileTest, ALiveFolderInAnotherPidNamespaceIsLeftAlone) {
  if (!test::is_root()) {
    GTEST_SKIP() << "needs root for a PID namespace";
  }
  ASSERT_OK(file().append("1\n"));
  ASSERT_OK(file().append("10\n"));
  const pid_t pid = test::unused_pid();
  ASSERT_NE(pid, 0);
  test::StoppedChild folder(
      "read",
      [&](const StatsObserver& observer) {
        return fold({.threshold_bytes = 0, .legacy_grace = std::chrono::seconds{0}, .observer = observer});
      },
      pid);
  if (!folder.stopped()) {
    GTEST_SKIP() << "cannot make a PID namespace here";
  }
  ASSERT_EQ(::kill(pid, 0), -1); // nobody here
  ASSERT_OK(file().append("100\n"));
  fold_all();
  EXPECT_EQ(total(), 111U);
  EXPECT_EQ(folder.resume(), test::ChildEnd::finished);
  EXPECT_EQ(total(), 111U);
  fold_all();
  EXPECT_EQ(total(), 111U);
}

// Writers append and fold (dying at random steps of their folds), folders
// are killed from outside at random moments, and a reader checks each total
// it reads against what had been appended before and after it read. In the
// end the total is exactly what the writers appended, plus the legacy file.
// 150 lines per writer; for SEALEXEC_STATS_STRESS_SECONDS when that is set
// (make stress).
TEST_F(StatsFileTest, FoldsAtOnceWithKilledFoldersLoseAndDoubleNothing) {
  constexpr int k_writers = 4;
  constexpr int k_folders = 2;
  const char* stress = std::getenv("SEALEXEC_STATS_STRESS_SECONDS");
  const auto seconds = std::chrono::seconds(stress != nullptr ? std::atoi(stress) : 0);
  const std::uint64_t lines_each = seconds.count() > 0 ? UINT64_MAX : 150;
  const auto deadline = std::chrono::steady_clock::now() + seconds;
  struct Shared {
    std::atomic<std::uint64_t> started[k_writers];
    std::atomic<std::uint64_t> done[k_writers];
    std::atomic<bool> stop_writers;
    std::atomic<bool> stop;
    std::atomic<std::uint64_t> reads;
    std::atomic<std::uint64_t> bad_reads;
    std::atomic<std::uint64_t> bad_read_total, bad_read_low, bad_read_high;
  };
  void* memory = ::mmap(nullptr, sizeof(Shared), PROT_READ | PROT_WRITE,
                        MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(memory, MAP_FAILED);
  auto* shared = new (memory) Shared{};
  test::write_file(stats() / "42.lines-folding", "1000000\n", 0600);
  const auto sum = [&](std::atomic<std::uint64_t>* counts) {
    std::uint64_t total = 0;
    for (int i = 0; i < k_writers; ++i) {
      total += counts[i].load();
    }
    return total;
  };

  const auto start_writer = [&](int slot, unsigned seed) {
    const pid_t pid = ::fork();
    if (pid == 0) {
      std::mt19937 random(seed);
      const StatsObserver maybe_die = [&](std::string_view) {
        if (random() % 16 == 0) {
          ::raise(SIGKILL);
        }
      };
      while (shared->done[slot] < lines_each && !shared->stop_writers) {
        // Killed only inside a fold: each line is known to be written or not.
        ++shared->started[slot];
        if (!file().append("1\n")) {
          ::_exit(1);
        }
        ++shared->done[slot];
        if (!fold({.threshold_bytes = 64, .legacy_grace = std::chrono::seconds{0}, .observer = maybe_die})) {
          ::_exit(1);
        }
      }
      ::_exit(0);
    }
    return pid;
  };
  const auto start_folder = [&] {
    const pid_t pid = ::fork();
    if (pid == 0) {
      while (!shared->stop) {
        if (!fold({.threshold_bytes = 0, .legacy_grace = std::chrono::seconds{0}})) {
          ::_exit(1);
        }
      }
      ::_exit(0);
    }
    return pid;
  };
  std::vector<pid_t> writers(k_writers, -1);
  std::vector<pid_t> folders(k_folders, -1);
  // Whatever fails, no child is left running.
  struct Reaper {
    std::function<void()> reap;
    ~Reaper() { reap(); }
  } reaper{[&] {
    shared->stop = true;
    for (const pid_t pid : writers) {
      if (pid > 0) {
        ::kill(pid, SIGKILL);
      }
    }
    while (::waitpid(-1, nullptr, 0) > 0) {
    }
    ::munmap(memory, sizeof(Shared));
  }};
  const pid_t reader = ::fork();
  if (reader == 0) {
    while (!shared->stop) {
      const std::uint64_t low = sum(shared->done) + 1'000'000;
      std::uint64_t read = 0;
      if (!file().read([&](std::string_view text) { read += sum_of(text); })) {
        ::_exit(1);
      }
      const std::uint64_t high = sum(shared->started) + 1'000'000;
      ++shared->reads;
      if (read < low || read > high) {
        ++shared->bad_reads;
        shared->bad_read_total = read;
        shared->bad_read_low = low;
        shared->bad_read_high = high;
      }
    }
    ::_exit(0);
  }

  for (int slot = 0; slot < k_writers; ++slot) {
    writers[slot] = start_writer(slot, static_cast<unsigned>(slot));
  }
  for (pid_t& folder : folders) {
    folder = start_folder();
  }
  std::mt19937 random(7);
  int writer_deaths = 0;
  int folder_kills = 0;
  for (int running = k_writers; running > 0;) {
    // Kill a folder wherever it is, now and then.
    const timespec pause{.tv_sec = 0, .tv_nsec = static_cast<long>(random() % 3'000'000)};
    ::nanosleep(&pause, nullptr);
    pid_t& victim = folders[random() % k_folders];
    ::kill(victim, SIGKILL);
    ::waitpid(victim, nullptr, 0);
    victim = start_folder();
    ++folder_kills;
    if (seconds.count() > 0 && std::chrono::steady_clock::now() > deadline) {
      shared->stop_writers = true;
    }
    int status = 0;
    for (pid_t ended; (ended = ::waitpid(-1, &status, WNOHANG)) > 0;) {
      const auto slot = std::find(writers.begin(), writers.end(), ended) - writers.begin();
      ASSERT_LT(slot, k_writers) << "a folder or the reader failed";
      if (WIFSIGNALED(status)) {
        ++writer_deaths;
        writers[slot] = start_writer(static_cast<int>(slot), random());
      } else {
        ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "a writer failed";
        writers[slot] = -1;
        --running;
      }
    }
  }
  shared->stop = true;
  for (const pid_t folder : folders) {
    int status = 0;
    ::waitpid(folder, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  int status = 0;
  ::waitpid(reader, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);

  // Writers die only inside a fold of their own, which the two folders
  // usually beat them to: in about one run of a hundred none does. The
  // folders are killed every round, so kills always happen.
  RecordProperty("writer_deaths", writer_deaths);
  EXPECT_GT(folder_kills, 0);
  EXPECT_GT(shared->reads, 0U);
  EXPECT_EQ(shared->bad_reads, 0U) << "read " << shared->bad_read_total << ", between "
                                   << shared->bad_read_low << " and " << shared->bad_read_high;
  if (seconds.count() == 0) {
    EXPECT_EQ(sum(shared->done), k_writers * lines_each);
  }
  const std::uint64_t expected = sum(shared->done) + 1'000'000;
  EXPECT_EQ(total(), expected);
  fold_all();
  EXPECT_EQ(total(), expected);
  expect_only_a_base();
}

} // namespace
} // namespace sealexec::cache
