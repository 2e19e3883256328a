#include "sealexec/cache/legacy_layout.h"

#include "sealexec/cache/cache_dir.h"
#include "sealexec/cache/names.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <string_view>

namespace sealexec::cache {

namespace {

// How many names the check looks at before it decides on what it has seen.
constexpr int k_budget = 512;

struct Survey {
  int seen = 0;
  bool foreign = false; // a name no earlier sealexec gave
  bool evidence = false; // something only sealexec writes
  [[nodiscard]] bool done() const { return foreign || seen >= k_budget; }
};

Fd open_directory(int parent, const std::string& name) {
  return Fd(::openat(parent, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
}

// Whether the file `name` in `dir` begins with `prefix`.
bool starts_with_bytes(int dir, const std::string& name, std::string_view prefix) {
  const Fd file(::openat(dir, name.c_str(), O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC));
  std::array<char, 16> head{};
  return file && prefix.size() <= head.size() &&
         ::pread(file.get(), head.data(), prefix.size(), 0) ==
             static_cast<ssize_t>(prefix.size()) &&
         std::memcmp(head.data(), prefix.data(), prefix.size()) == 0;
}

bool all_digits(std::string_view text) {
  return !text.empty() && std::ranges::all_of(text, [](char c) { return c >= '0' && c <= '9'; });
}

// ac/ and cas/: shards of entries (whose first bytes are checked) or blobs.
void survey_store(int store, bool entries, Survey& survey) {
  for (const DirEntry& shard : list_directory(store)) {
    if (survey.done()) {
      return;
    }
    ++survey.seen;
    if (!is_shard_name(shard.name) || !S_ISDIR(shard.st.st_mode)) {
      survey.foreign = true;
      return;
    }
    const Fd fd = open_directory(store, shard.name);
    for (const DirEntry& file : list_directory(fd.get())) {
      if (survey.done()) {
        return;
      }
      ++survey.seen;
      const bool named = entries ? entry_name_digest(file.name).has_value()
                                 : blob_name_digest(file.name).has_value();
      if (!named || !S_ISREG(file.st.st_mode)) {
        survey.foreign = true;
        return;
      }
      if (entries) {
        if (!starts_with_bytes(fd.get(), file.name, "SEALXAC\n")) {
          survey.foreign = true;
          return;
        }
        survey.evidence = true;
      }
    }
  }
}

// The names of the other directories, each in its exact forms.
bool is_legacy_name(std::string_view directory, std::string_view name) {
  if (directory == "tmp") {
    return classify_temp_name(name) == TempName::legacy;
  }
  if (directory == "locks") {
    return entry_name_digest(name).has_value();
  }
  if (directory == "stats") {
    for (const std::string_view suffix : {".folding", ".remote-folding"}) {
      if (name.ends_with(suffix) && all_digits(name.substr(0, name.size() - suffix.size()))) {
        return true;
      }
    }
    return name == "counters" || name == "remote";
  }
  if (directory == "quarantine") {
    // "<entry or blob name>.<8 hex>"
    const std::size_t dot = name.rfind('.');
    return dot != std::string_view::npos && name.size() - dot - 1 == 8 &&
           is_lower_hex(name.substr(dot + 1)) && blob_name_digest(name.substr(0, dot));
  }
  if (directory == "remote") {
    return name.size() == 32 + 5 && name.ends_with(".down") && is_lower_hex(name.substr(0, 32));
  }
  return false;
}

void survey_files(int dir, std::string_view directory, Survey& survey) {
  for (const DirEntry& file : list_directory(dir)) {
    if (survey.done()) {
      return;
    }
    ++survey.seen;
    if (!S_ISREG(file.st.st_mode) || !is_legacy_name(directory, file.name)) {
      survey.foreign = true;
      return;
    }
    if (directory == "stats" && file.name == "counters" &&
        starts_with_bytes(dir, file.name, "v1 ")) {
      survey.evidence = true;
    }
  }
}

} // namespace

bool made_by_earlier_sealexec(int dir) {
  Survey survey;
  for (const DirEntry& entry : list_directory(dir)) {
    if (survey.done()) {
      break;
    }
    if (entry.name == "cache.conf" || entry.name == "lost+found") {
      continue;
    }
    if (!S_ISDIR(entry.st.st_mode)) {
      return false;
    }
    const Fd sub = open_directory(dir, entry.name);
    if (!sub) {
      return false;
    }
    if (entry.name == "ac" || entry.name == "cas") {
      survey_store(sub.get(), entry.name == "ac", survey);
    } else if (entry.name == "tmp" || entry.name == "locks" || entry.name == "stats" ||
               entry.name == "quarantine" || entry.name == "remote") {
      survey_files(sub.get(), entry.name, survey);
    } else {
      return false;
    }
  }
  return !survey.foreign && survey.evidence;
}

} // namespace sealexec::cache
