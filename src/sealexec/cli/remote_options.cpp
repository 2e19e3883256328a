#include "sealexec/cli/remote_options.h"

#include "sealexec/cli/output.h"
#include "sealexec/remote/http_client.h"
#include "sealexec/remote/remote_tier.h"

#include <algorithm>
#include <cstdlib>
#include <memory>

namespace sealexec::cli {

Expected<void> attach_remote(cache::Cache& cache, remote::RemoteSettings settings,
                             const ParsedOptions& options) {
  SEALEXEC_TRY(remote::apply_remote_environment(settings, std::getenv));
  const std::pair<std::string_view, std::string_view> k_flags[] = {
      {"--remote", "remote"}, {"--signing-key", "signing_key"}, {"--trusted-keys", "trusted_keys"}};
  for (const auto& [flag, key] : k_flags) {
    if (const auto value = options.value(flag)) {
      SEALEXEC_TRY(remote::apply_remote_setting(settings, key, *value, flag));
    }
  }
  if (options.has("--insecure-remote")) {
    settings.insecure = true;
  }
  if (settings.backends.empty()) {
    return {};
  }
  // Missing or unprotected key files are errors now; reading and checking
  // their content waits for the first remote operation (remote_settings.h).
  SEALEXEC_TRY(remote::check_trust_files(settings));
  if (const std::string warning = remote::trust_warning(settings); !warning.empty()) {
    warn(warning);
  }
  remote::TierOptions tier{
      .backends = settings.backends,
      .trust = {},
      .load_trust = [settings] { return remote::load_trust(settings); },
      .timeouts = {.connect = settings.connect_timeout, .operation = settings.operation_timeout},
      // Looked for only when some backend speaks HTTP: no readlink/access
      // calls on the runs of a Redis-only team.
      .http_helper = std::ranges::any_of(settings.backends,
                                         [](const remote::BackendUrl& url) {
                                           return url.scheme == remote::BackendUrl::Scheme::http ||
                                                  url.scheme == remote::BackendUrl::Scheme::https;
                                         })
                         ? remote::locate_http_helper(std::getenv("SEALEXEC_REMOTE_HTTP_HELPER"))
                         : std::nullopt,
      .warn = [](const std::string& text) { warn(text); }};
  cache.set_shared_tier(std::make_unique<remote::RemoteTier>(std::move(tier)));
  return {};
}

} // namespace sealexec::cli
