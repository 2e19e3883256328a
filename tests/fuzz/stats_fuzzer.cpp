// Feeds arbitrary bytes to what reads the statistics files: a name found in
// stats/ (classify_stats_file, for both files' names), and a file's bytes
// through the chunked line reader into both line parsers (the cache's
// counters and the remote tier's per-backend ones). The first line is the
// name; the whole input is the file.
#include "sealexec/cache/stats.h"
#include "sealexec/cache/stats_file.h"
#include "sealexec/remote/remote_stats.h"

#include <fmt/format.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

namespace {

using namespace sealexec;

void check_name(std::string_view file, std::string_view name, std::string_view suffix) {
  const cache::StatsFileName what = cache::classify_stats_file(file, name, suffix);
  // Only the exact names the code makes are recognised.
  bool exact = true;
  switch (what.kind) {
  case cache::StatsFileKind::live:
    exact = file == name;
    break;
  case cache::StatsFileKind::lock:
    exact = file == fmt::format("{}.lock", name);
    break;
  case cache::StatsFileKind::fold:
    exact = file == fmt::format("{}.fold.{}", name, what.generation);
    break;
  case cache::StatsFileKind::base:
    exact = file == fmt::format("{}.base.{}", name, what.generation);
    break;
  case cache::StatsFileKind::temp:
    exact = file.size() == name.size() + 5 + 16 && file.starts_with(name);
    break;
  case cache::StatsFileKind::legacy:
    exact = file.ends_with(suffix) && file.size() > suffix.size() && file.front() != '0';
    break;
  case cache::StatsFileKind::other:
    exact = what.generation == 0;
    break;
  }
  if (!exact || what.generation > cache::k_max_stats_generation) {
    std::abort();
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::string_view first_line = text.substr(0, text.find('\n'));
  check_name(first_line, "counters", ".folding");
  check_name(first_line, "remote", ".remote-folding");

  const int fd = ::memfd_create("stats", MFD_CLOEXEC);
  if (fd < 0 || ::write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size()) ||
      ::lseek(fd, 0, SEEK_SET) != 0) {
    std::abort();
  }
  std::size_t fed = 0;
  remote::BackendTotals totals;
  cache::read_stats_lines(fd, [&](std::string_view lines) {
    fed += lines.size();
    if (lines.empty() || fed > size) {
      std::abort();
    }
    (void)cache::parse_counters(lines);
    remote::add_backend_counters(totals, lines);
  });
  ::close(fd);
  if (totals.size() > 256) {
    std::abort();
  }
  return 0;
}
