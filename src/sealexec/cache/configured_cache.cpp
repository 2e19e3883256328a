#include "sealexec/cache/configured_cache.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

namespace sealexec::cache {

namespace {

const char* env(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : "";
}

// cache.conf's text, read through the opened directory; "" when absent.
Expected<void> apply_cache_conf(Cache& opened, CacheConfig& config, const OtherSetting& other) {
  auto conf = opened.directory().open_beneath("cache.conf", O_RDONLY | O_NONBLOCK);
  if (!conf) {
    return {};
  }
  const std::string name = opened.directory().describe("cache.conf");
  constexpr std::size_t k_max_config_size = 64 * 1024;
  std::string text(k_max_config_size + 1, '\0');
  std::size_t used = 0;
  for (ssize_t got; used < text.size() &&
                    (got = ::read(conf->get(), text.data() + used, text.size() - used)) > 0;) {
    used += static_cast<std::size_t>(got);
  }
  if (used > k_max_config_size) {
    return fail(make_error(Errc::malformed, name, "is larger than 64 KiB; not a cache.conf"));
  }
  text.resize(used);
  return apply_config_file(config, text, name, other);
}

} // namespace

Expected<Cache> open_configured_cache(const std::optional<std::filesystem::path>& directory,
                                      const OtherSetting& other) {
  std::filesystem::path where;
  if (directory) {
    where = *directory;
  } else {
    SEALEXEC_TRY_ASSIGN(where, default_cache_dir(env("SEALEXEC_CACHE_DIR"), env("XDG_CACHE_HOME"),
                                                 env("HOME")));
  }
  // $HOME itself is never a cache, even an empty one.
  std::vector<std::filesystem::path> refused;
  if (*env("HOME") != '\0') {
    refused.emplace_back(env("HOME"));
  }
  CacheConfig config;
  SEALEXEC_TRY_ASSIGN(Cache opened, Cache::open(where, config, refused));
  SEALEXEC_TRY(apply_cache_conf(opened, config, other));
  const std::pair<const char*, const char*> from_env[] = {
      {"SEALEXEC_CACHE_MAX_SIZE", "max_size"},
      {"SEALEXEC_CACHE_MAX_ENTRIES", "max_entries"},
      {"SEALEXEC_CACHE_COMPRESSION", "compression"},
      {"SEALEXEC_LOCK_TIMEOUT", "lock_timeout"}};
  for (const auto& [variable, key] : from_env) {
    if (*env(variable) != '\0') {
      SEALEXEC_TRY(apply_setting(config, key, env(variable), variable));
    }
  }
  opened.set_config(config);
  return opened;
}

} // namespace sealexec::cache
