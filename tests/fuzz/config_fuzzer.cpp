// Feeds arbitrary text to the settings parsers: cache.conf files, and each
// line as a remote setting (the values SEALEXEC_REMOTE and friends carry).
// Whatever is accepted must leave the settings within their bounds.
#include "sealexec/cache/config.h"
#include "sealexec/remote/remote_settings.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace sealexec;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  remote::RemoteSettings settings;
  cache::CacheConfig config;
  // As the CLI reads cache.conf: the remote tier's keys go to its parser.
  const cache::OtherSetting remote_keys = [&](std::string_view key, std::string_view value,
                                              std::string_view where) -> Expected<bool> {
    if (!remote::is_remote_setting(key)) {
      return false;
    }
    SEALEXEC_TRY(remote::apply_remote_setting(settings, key, value, where));
    return true;
  };
  (void)cache::apply_config_file(config, text, "fuzz", remote_keys);

  constexpr std::string_view k_keys[] = {"remote", "signing_key", "trusted_keys",
                                         "insecure_remote", "remote_connect_timeout",
                                         "remote_timeout"};
  const std::size_t newline = text.find('\n');
  const std::string_view value = text.substr(0, newline);
  for (const std::string_view key : k_keys) {
    (void)remote::apply_remote_setting(settings, key, value, "fuzz");
  }
  if (settings.backends.size() > remote::k_max_backends ||
      settings.connect_timeout.count() <= 0 || settings.connect_timeout.count() > 60'000 ||
      settings.operation_timeout.count() <= 0 || settings.operation_timeout.count() > 60'000) {
    std::abort();
  }
  return 0;
}
