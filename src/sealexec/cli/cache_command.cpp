#include "sealexec/cli/cache_command.h"

#include "sealexec/cache/cache.h"
#include "sealexec/cache/configured_cache.h"
#include "sealexec/cli/exit_codes.h"
#include "sealexec/cli/memory_tier_setting.h"
#include "sealexec/cli/output.h"
#include "sealexec/cli/remote_options.h"
#include "sealexec/exec/exec.h"
#include "sealexec/image/copy.h"
#include "sealexec/remote/remote_stats.h"
#include "sealexec/remote/signing.h"
#include "sealexec/util/replacement_file.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <optional>
#include <vector>

namespace sealexec::cli {

namespace {

using cache::Cache;

constexpr int k_miss = 1;

constexpr std::array<OptionSpec, 7> k_cache_options{{
    {"--dir", "", "DIR", "The cache directory (default: $SEALEXEC_CACHE_DIR, "
                         "$XDG_CACHE_HOME/sealexec or ~/.cache/sealexec)"},
    {"--fingerprint", "", "STR",
     "What produced the entry (engine, version, flags, target); part of the key"},
    {"--max-size", "", "SIZE", "Keep at most this much content (e.g. 5G)"},
    {"--max-entries", "", "N", "Keep at most this many entries"},
    {"--output", "-o", "OUT", "get: write the entry to OUT instead of standard output"},
    {"--json", "", "", "stats, ls: print JSON"},
    {"--listed", "", "", "rm: KEY is a key as `cache ls` prints it (at least 8 hex digits)"},
}};
constexpr auto k_common = join_options(k_cache_options, k_remote_options);

cache::Fingerprint fingerprint_of(const ParsedOptions& options) {
  return cache::Fingerprint::opaque(options.value("--fingerprint").value_or(""));
}

Sha256Digest key_of(const ParsedOptions& options, const std::string& key) {
  const std::string_view inputs[] = {key};
  return cache::make_key(fingerprint_of(options), inputs);
}

int usage(std::string_view what) {
  report(make_error(Errc::invalid_argument, "cache", fmt::format("{} (see sealexec cache --help)", what)));
  return k_exit_check_error;
}

void print(std::string_view text) { std::fwrite(text.data(), 1, text.size(), stdout); }

int put(Cache& cache, const ParsedOptions& options, const std::vector<std::string>& args) {
  if (args.size() != 2) {
    return usage("put takes KEY FILE (or - for standard input)");
  }
  const std::string& file = args[1];
  Fd opened;
  std::string description = "<stdin>";
  if (file != "-") {
    auto fd = open_fd(file.c_str(), O_RDONLY);
    if (!fd) {
      report(fd.error());
      return k_exit_check_error;
    }
    opened = std::move(*fd);
    std::error_code error;
    const auto real = std::filesystem::canonical(file, error);
    description = error ? file : real.string();
  }
  const auto done = cache.put_fd(key_of(options, args[0]), fingerprint_of(options),
                                 file == "-" ? STDIN_FILENO : opened.get(), description);
  if (!done) {
    report(done.error());
    return k_exit_check_error;
  }
  return k_exit_ok;
}

// Writes an entry's bytes to a descriptor.
using EntryWriter = std::function<Expected<void>(int fd, std::string_view name)>;

// Under an address-space limit (ulimit -v) a large blob cannot be mapped
// whole: it is then copied into a sealed memfd (verified on the way, as
// every hit is) and streamed from there. Otherwise it is mapped, which costs
// no copy and leaves its pages reclaimable.
bool address_space_limited() {
  struct rlimit limit {};
  return ::getrlimit(RLIMIT_AS, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY;
}

int write_entry_to_output(const ParsedOptions& options, const EntryWriter& write_to) {
  if (const auto output = options.value("--output")) {
    // A new file renamed into place, like everything sealexec writes. Cached
    // entries are mostly compiled code, so OUT is executable (0755 less the
    // umask), as a linker's output would be.
    const mode_t umask = ::umask(0);
    ::umask(umask);
    auto written = [&]() -> Expected<void> {
      // A device, fifo or socket (/dev/null, /dev/stdout, a pipe) is written
      // into, as cp and tee do; renaming a file over it would replace it --
      // as root, /dev/null itself.
      struct stat st {};
      if (::stat(output->c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
        if (S_ISDIR(st.st_mode)) {
          return fail(make_error(Errc::invalid_argument, *output, "is a directory"));
        }
        SEALEXEC_TRY_ASSIGN(const Fd out, open_fd(output->c_str(), O_WRONLY | O_NOCTTY));
        return write_to(out.get(), *output);
      }
      SEALEXEC_TRY_ASSIGN(ReplacementFile out, ReplacementFile::create(*output));
      SEALEXEC_TRY(write_to(out.fd(), *output));
      if (::fchmod(out.fd(), 0755 & ~umask) != 0) {
        return fail(system_error("cannot set the mode of", *output, "fchmod"));
      }
      return out.commit();
    }();
    if (!written) {
      report(written.error());
      return k_exit_check_error;
    }
    return k_exit_ok;
  }
  if (const auto written = write_to(STDOUT_FILENO, "standard output"); !written) {
    report(written.error());
    return k_exit_check_error;
  }
  return k_exit_ok;
}

int get(Cache& cache, const ParsedOptions& options, const std::vector<std::string>& args) {
  if (args.size() != 1) {
    return usage("get takes one KEY");
  }
  if (address_space_limited()) {
    const auto image = cache.load_image(key_of(options, args[0]), fingerprint_of(options));
    if (!image) {
      report(image.error());
      return k_exit_check_error;
    }
    if (!*image) {
      return k_miss;
    }
    const SealedImage& sealed = **image;
    return write_entry_to_output(options, [&](int fd, std::string_view name) {
      return copy_range(sealed.fd(), 0, sealed.size(), fd, name);
    });
  }
  const auto hit = cache.load_mapping(key_of(options, args[0]), fingerprint_of(options));
  if (!hit) {
    report(hit.error());
    return k_exit_check_error;
  }
  if (!*hit) {
    return k_miss;
  }
  const auto bytes = (*hit)->mapping.bytes();
  return write_entry_to_output(options, [&](int fd, std::string_view name) {
    return write_all(fd, bytes, name);
  });
}

int exec_entry(Cache& cache, const ParsedOptions& options, const std::vector<std::string>& args) {
  if (args.empty()) {
    report(make_error(Errc::invalid_argument, "cache exec", "needs a KEY"));
    return k_exit_failed;
  }
  ImageOptions image_options;
  image_options.name = std::filesystem::path(args[0]).filename().string();
  auto memory_tier = memory_tier_from_environment();
  image_options.memory_tier = memory_tier ? &*memory_tier : nullptr;
  auto image = cache.load_image(key_of(options, args[0]), fingerprint_of(options), image_options);
  if (!image) {
    report(image.error()); // the cache, not the program: sealexec's own failure
    return k_exit_failed;
  }
  if (!*image) {
    return report(make_error(Errc::not_found, args[0], "no such entry in the cache"));
  }
  ExecOptions exec_options;
  exec_options.argv.assign(args.begin(), args.end());
  exec_options.name = image_options.name;
  cache.prepare_for_exec(); // exec replaces us: no destructor will run
  Error error = exec(**image, exec_options);
  if (error.path == (*image)->source()) {
    error.path = fmt::format("cache entry {}", args[0]); // not "<fd 3>"
  }
  return report(error);
}

int stats(Cache& cache, const ParsedOptions& options) {
  const auto counters = cache.statistics();
  const auto entries = cache.list();
  if (!counters || !entries) {
    report(!counters ? counters.error() : entries.error());
    return k_exit_check_error;
  }
  std::uint64_t bytes = 0;
  for (const auto& listed : *entries) {
    bytes += listed.entry ? listed.entry->size : 0;
  }
  const auto backends = remote::read_backend_counters(cache.directory());
  if (!backends) {
    report(backends.error());
    return k_exit_check_error;
  }
  nlohmann::json remote_json = nlohmann::json::array();
  std::string remote_text;
  for (const auto& [backend, c] : *backends) {
    remote_json.push_back({{"backend", backend},
                           {"hits", c.hits},
                           {"misses", c.misses},
                           {"errors", c.errors},
                           {"timeouts", c.timeouts},
                           {"rejected", c.rejected},
                           {"puts", c.puts}});
    remote_text += fmt::format("remote {}\n  hits {}  misses {}  errors {}  timeouts {}  "
                               "rejected {}  puts {}\n",
                               shown(backend), c.hits, c.misses, c.errors, c.timeouts, c.rejected,
                               c.puts);
  }
  if (options.has("--json")) {
    print(json_text({{"directory", cache.directory().path().string()},
                         {"entries", entries->size()},
                         {"bytes", bytes},
                         {"max_size", cache.config().max_size},
                         {"max_entries", cache.config().max_entries},
                         {"hits", counters->hits},
                         {"misses", counters->misses},
                         {"puts", counters->puts},
                         {"corrupt", counters->corrupt},
                         {"evicted", counters->evicted},
                         {"gc_runs", counters->gc_runs},
                         {"remote", remote_json}}) +
          "\n");
    return k_exit_ok;
  }
  print(fmt::format("cache directory  {}\n"
                    "entries          {} (limit {})\n"
                    "content          {} bytes (limit {})\n"
                    "hits             {}\nmisses           {}\nputs             {}\n"
                    "corrupt          {} (quarantined)\nevicted          {}\ngc runs          {}\n",
                    shown(cache.directory().path().string()), entries->size(),
                    cache.config().max_entries, bytes, cache.config().max_size, counters->hits,
                    counters->misses, counters->puts, counters->corrupt, counters->evicted,
                    counters->gc_runs));
  print(remote_text);
  return k_exit_ok;
}

int list(Cache& cache, const ParsedOptions& options) {
  const auto entries = cache.list();
  if (!entries) {
    report(entries.error());
    return k_exit_check_error;
  }
  nlohmann::json json = nlohmann::json::array();
  for (const auto& listed : *entries) {
    if (options.has("--json")) {
      json.push_back({{"key", listed.key.hex()},
                      {"damaged", !listed.entry},
                      {"size", listed.entry ? listed.entry->size : 0},
                      {"last_used", listed.last_used_unix_s},
                      {"description", listed.entry ? listed.entry->description : ""},
                      {"blob", listed.entry ? listed.entry->blob_sha256.hex() : ""}});
      continue;
    }
    char when[32] = "-";
    const std::time_t t = listed.last_used_unix_s;
    std::tm tm {};
    if (::localtime_r(&t, &tm) != nullptr) {
      std::strftime(when, sizeof when, "%Y-%m-%d %H:%M", &tm);
    }
    print(fmt::format("{}  {:>10}  {}  {}\n", listed.key.hex().substr(0, 16),
                      listed.entry ? fmt::format("{}", listed.entry->size) : "damaged", when,
                      shown(listed.entry ? listed.entry->description : "")));
  }
  if (options.has("--json")) {
    print(json_text(std::move(json)) + "\n");
  }
  return k_exit_ok;
}

// The one entry whose hashed key starts with `prefix`, as `cache ls` shows
// keys (entries put with another fingerprint, or by scripts, have no KEY a
// user could type).
int remove_listed(Cache& cache, std::string_view prefix) {
  constexpr std::size_t k_min_prefix = 8;
  if (prefix.size() < k_min_prefix || prefix.size() > 64 ||
      !std::all_of(prefix.begin(), prefix.end(),
                   [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); })) {
    return usage("rm --listed takes a key as `cache ls` prints it: 8 to 64 lowercase hex digits");
  }
  const auto entries = cache.list();
  if (!entries) {
    report(entries.error());
    return k_exit_check_error;
  }
  std::optional<Sha256Digest> found;
  for (const auto& listed : *entries) {
    if (listed.key.hex().starts_with(prefix)) {
      if (found) {
        return usage(fmt::format("rm --listed {} names more than one entry; give more digits",
                                 prefix));
      }
      found = listed.key;
    }
  }
  if (!found) {
    return k_miss;
  }
  const auto removed = cache.remove(*found);
  if (!removed) {
    report(removed.error());
    return k_exit_check_error;
  }
  return *removed ? k_exit_ok : k_miss;
}

int remove_entry(Cache& cache, const ParsedOptions& options,
                 const std::vector<std::string>& args) {
  if (args.size() != 1) {
    return usage("rm takes one KEY");
  }
  if (options.has("--listed")) {
    return remove_listed(cache, args[0]);
  }
  const auto removed = cache.remove(key_of(options, args[0]));
  if (!removed) {
    report(removed.error());
    return k_exit_check_error;
  }
  return *removed ? k_exit_ok : k_miss;
}

int cache_main(const ParsedOptions& before_word) {
  const auto& raw = before_word.operands();
  if (raw.empty()) {
    return usage("no command given: put, get, exec, stats, ls, verify, gc, rm, clear or keygen");
  }
  const std::string what = raw.front();
  // Options may also follow the command word; for exec, everything after
  // KEY is the program's.
  std::vector<std::string> rest_text(raw.begin() + 1, raw.end());
  std::vector<char*> rest;
  for (std::string& arg : rest_text) {
    rest.push_back(arg.data());
  }
  auto after_word =
      parse_options(k_common, rest, what == "exec" ? Operands::program : Operands::files);
  if (!after_word) {
    return usage(after_word.error().reason);
  }
  const ParsedOptions options = after_word->after(before_word);
  std::vector<std::string> args = options.operands();
  if (what == "keygen") { // needs no cache
    if (args.size() != 1) {
      return usage("keygen takes one NAME (it writes NAME.key and NAME.pub)");
    }
    const auto written = remote::write_key_pair(args[0]);
    if (!written) {
      report(written.error());
      return k_exit_check_error;
    }
    print(fmt::format("wrote {0}.key (private, mode 0600: for the machines that write to a shared "
                      "cache) and {0}.pub (public: for the machines that trust what they read)\n",
                      shown(args[0])));
    return k_exit_ok;
  }
  const bool uses_entries = what == "put" || what == "get" || what == "exec";
  auto opened = open_cache(options, uses_entries ? RemoteUse::entries : RemoteUse::none);
  if (!opened) {
    report(opened.error());
    return what == "exec" ? k_exit_failed : k_exit_check_error;
  }
  Cache& cache = *opened;
  if (what == "put") {
    return put(cache, options, args);
  }
  if (what == "get") {
    return get(cache, options, args);
  }
  if (what == "exec") {
    // Everything after KEY (and an optional "--") is the program's.
    if (args.size() > 1 && args[1] == "--") {
      args.erase(args.begin() + 1);
    }
    return exec_entry(cache, options, args);
  }
  if (what == "stats") {
    return stats(cache, options);
  }
  if (what == "ls") {
    return list(cache, options);
  }
  if (what == "verify") {
    const auto verified = cache.verify();
    if (!verified) {
      report(verified.error());
      return k_exit_check_error;
    }
    print(fmt::format("{} entries, {} blobs checked: {} damaged entries, {} damaged blobs "
                      "(quarantined), {} entries missing their blob\n",
                      verified->entries, verified->blobs, verified->corrupt_entries,
                      verified->corrupt_blobs, verified->missing_blobs));
    return verified->corrupt_entries + verified->corrupt_blobs > 0 ? k_miss : k_exit_ok;
  }
  if (what == "gc") {
    const auto collected = cache.gc();
    if (!collected) {
      report(collected.error());
      return k_exit_check_error;
    }
    print(fmt::format("evicted {} entries, removed {} blobs and {} stale temporary files; "
                      "{} entries, {} bytes left\n",
                      collected->entries_evicted, collected->blobs_removed,
                      collected->temp_files_removed, collected->entries_after,
                      collected->bytes_after));
    return k_exit_ok;
  }
  if (what == "rm") {
    return remove_entry(cache, options, args);
  }
  if (what == "clear") {
    const auto cleared = cache.clear();
    if (!cleared) {
      report(cleared.error());
      return k_exit_check_error;
    }
    return k_exit_ok;
  }
  return usage(fmt::format("unknown cache command '{}'", what));
}

} // namespace

Expected<cache::Cache> open_cache(const ParsedOptions& options, RemoteUse remote) {
  std::optional<std::filesystem::path> directory;
  if (const auto dir = options.value("--dir")) {
    directory = *dir;
  }
  remote::RemoteSettings remote_settings;
  SEALEXEC_TRY_ASSIGN(Cache opened,
                      cache::open_configured_cache(
                          directory, remote::collect_remote_settings(remote_settings)));
  cache::CacheConfig config = opened.config();
  if (const auto size = options.value("--max-size")) {
    SEALEXEC_TRY(cache::apply_setting(config, "max_size", *size, "--max-size"));
  }
  if (const auto count = options.value("--max-entries")) {
    SEALEXEC_TRY(cache::apply_setting(config, "max_entries", *count, "--max-entries"));
  }
  opened.set_config(config);
  if (remote == RemoteUse::entries) {
    SEALEXEC_TRY(attach_remote(opened, std::move(remote_settings), options));
  }
  return opened;
}

const Command k_cache_command{
    .name = "cache",
    .summary = "Store and run compiled code in a crash-safe cache that never changes under a "
               "reader.",
    .usage = "sealexec cache put [--fingerprint STR] KEY FILE|-\n"
             "       sealexec cache get [--fingerprint STR] KEY [-o OUT]\n"
             "       sealexec cache exec [--fingerprint STR] KEY [-- ARGS...]\n"
             "       sealexec cache stats [--json] | ls [--json] | verify | gc | clear\n"
             "       sealexec cache rm [--fingerprint STR] KEY | rm --listed HEX\n"
             "       sealexec cache keygen NAME",
    .details =
        "Options may come before or after the command word. Settings come from\n"
        "<dir>/cache.conf, then SEALEXEC_CACHE_MAX_SIZE, SEALEXEC_CACHE_MAX_ENTRIES,\n"
        "SEALEXEC_CACHE_COMPRESSION and SEALEXEC_LOCK_TIMEOUT, then --max-size and\n"
        "--max-entries (docs/cache.md). DIR must be empty, new, or a sealexec cache.\n"
        "Exit codes: 0 done; 1 a miss (get, rm) or damage found (verify); 2 bad usage or a\n"
        "cache that cannot be used. cache exec replaces itself with the entry, so the program's\n"
        "status passes through; its own failures are 125, 126 and 127 (no such entry).\n"
        "keygen writes an Ed25519 key pair for signing entries shared through a remote\n"
        "tier: NAME.key (private, 0600) and NAME.pub; it never replaces a file (docs/remote.md).",
    .options = k_common,
    .operands = Operands::program,
    .usage_exit_code = k_exit_check_error,
    .run = cache_main,
};

} // namespace sealexec::cli
