#include "sealexec/cache/stats_file.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <vector>

namespace sealexec::cache {

namespace {

constexpr std::size_t k_chunk = 64 * 1024;

// Feeds `add` the whole lines of the open file in bounded chunks; a last
// line without its newline (a writer mid-write, or damage) is fed alone. A
// line longer than a chunk is no counter line: it is skipped to its end
// rather than held in memory.
void read_lines(int fd, const StatsLines& add) {
  std::vector<char> buffer(k_chunk);
  std::string carry; // a line cut by the chunk boundary
  bool overlong = false;
  for (ssize_t got; (got = ::read(fd, buffer.data(), buffer.size())) > 0;) {
    std::string_view rest(buffer.data(), static_cast<std::size_t>(got));
    if (overlong) {
      const std::size_t end = rest.find('\n');
      if (end == std::string_view::npos) {
        continue;
      }
      rest.remove_prefix(end + 1);
      overlong = false;
    }
    const std::size_t last_newline = rest.rfind('\n');
    if (last_newline == std::string_view::npos) {
      overlong = carry.size() + rest.size() > k_chunk;
      if (overlong) {
        carry.clear();
      } else {
        carry.append(rest);
      }
      continue;
    }
    carry.append(rest.substr(0, last_newline + 1));
    add(carry);
    carry.assign(rest.substr(last_newline + 1));
  }
  if (!carry.empty()) {
    add(carry);
  }
}

bool process_is_gone(int pid) { return ::kill(pid, 0) != 0 && errno == ESRCH; }

} // namespace

std::string StatsFile::path(std::string_view file) const { return fmt::format("stats/{}", file); }

bool StatsFile::is_fold(std::string_view file, int* owner) const {
  if (!file.ends_with(m_folding_suffix)) {
    return false;
  }
  int pid = 0;
  const std::string_view digits = file.substr(0, file.size() - m_folding_suffix.size());
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), pid);
  if (error != std::errc{} || end != digits.data() + digits.size() || pid <= 0) {
    return false;
  }
  if (owner != nullptr) {
    *owner = pid;
  }
  return true;
}

Expected<void> StatsFile::append(std::string_view text, const StatsObserver& observer) const {
  if (text.empty()) {
    return {};
  }
  SEALEXEC_TRY_ASSIGN(const Fd stats_dir, m_dir.subdirectory("stats"));
  (void)stats_dir;
  SEALEXEC_TRY_ASSIGN(const Fd file,
                      m_dir.open_beneath(path(m_name), O_WRONLY | O_APPEND | O_CREAT, 0600));
  if (observer) {
    observer("opened");
  }
  if (::write(file.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
    return fail(system_error("cannot record statistics in", m_dir.describe(path(m_name)),
                             "write"));
  }
  return {};
}

Expected<void> StatsFile::read(const StatsLines& add) const {
  SEALEXEC_TRY_ASSIGN(const Fd stats_dir, m_dir.subdirectory("stats"));
  for (const DirEntry& file : list_directory(stats_dir.get())) {
    if (!S_ISREG(file.st.st_mode) || (file.name != m_name && !is_fold(file.name, nullptr))) {
      continue;
    }
    // Gone meanwhile (a fold finished): its lines are in the file now.
    if (auto opened = m_dir.open_beneath(path(file.name), O_RDONLY | O_NONBLOCK)) {
      read_lines(opened->get(), add);
    }
  }
  return {};
}

Expected<void> StatsFile::fold(const FoldOptions& options, const StatsLines& add,
                               const std::function<std::string()>& summary) const {
  SEALEXEC_TRY_ASSIGN(const Fd stats_dir, m_dir.subdirectory("stats"));
  struct stat st {};
  const bool large = ::fstatat(stats_dir.get(), m_name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                     S_ISREG(st.st_mode) &&
                     static_cast<std::uint64_t>(st.st_size) > options.threshold_bytes;
  const std::string mine = fmt::format("{}{}", ::getpid(), m_folding_suffix);
  if (large && ::renameat(stats_dir.get(), m_name.c_str(), stats_dir.get(), mine.c_str()) != 0 &&
      errno != ENOENT) {
    return fail(system_error("cannot fold", m_dir.describe(path(m_name)), "renameat"));
  }
  const auto step = [&](std::string_view what) {
    if (options.observer) {
      options.observer(what);
    }
  };
  step("renamed");
  // Ours, and those of folds whose process died.
  std::vector<std::string> folded;
  for (const DirEntry& file : list_directory(stats_dir.get())) {
    int owner = 0;
    if (!S_ISREG(file.st.st_mode) || !is_fold(file.name, &owner) ||
        !(owner == ::getpid() || process_is_gone(owner))) {
      continue;
    }
    if (auto opened = m_dir.open_beneath(path(file.name), O_RDONLY | O_NONBLOCK)) {
      read_lines(opened->get(), add);
      folded.push_back(file.name);
      step("read");
    }
  }
  if (folded.empty()) {
    return {};
  }
  SEALEXEC_TRY(append(summary()));
  step("appended");
  for (const std::string& name : folded) {
    ::unlinkat(stats_dir.get(), name.c_str(), 0);
    step("removed");
  }
  return {};
}

} // namespace sealexec::cache
