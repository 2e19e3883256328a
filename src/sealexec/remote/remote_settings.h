// How the shared tier is configured (docs/remote.md): settings from
// cache.conf keys or the environment, and the keys they name, loaded and
// checked. Reading from a remote requires a trusted key unless the user
// opts out explicitly, and then is told what that means.
#pragma once

#include "sealexec/cache/config.h"
#include "sealexec/remote/backend_url.h"
#include "sealexec/remote/signing.h"
#include "sealexec/util/error.h"

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sealexec::remote {

struct RemoteSettings {
  std::vector<BackendUrl> backends;
  std::optional<std::filesystem::path> signing_key; // signs what this machine writes
  std::vector<std::filesystem::path> trusted_keys;  // whose entries are accepted
  bool insecure = false;                            // accept entries without a signature check
  std::chrono::milliseconds connect_timeout{100};
  std::chrono::milliseconds operation_timeout{2000};
};

// Whether `key` is one of the settings below.
[[nodiscard]] bool is_remote_setting(std::string_view key);

// One setting, as a cache.conf key: remote (URL[,URL...], or "none" to turn
// off a remote set at a lower level), signing_key
// (FILE), trusted_keys (FILE[:FILE...]), insecure_remote (true/false/1/0),
// remote_connect_timeout and remote_timeout ("100ms", "2s", or a number of
// milliseconds, at most 60 s). Errc::invalid_argument naming `source`.
[[nodiscard]] Expected<void> apply_remote_setting(RemoteSettings& settings, std::string_view key,
                                                  std::string_view value,
                                                  std::string_view source);

// cache.conf's hook for the settings of this layer (cache::OtherSetting):
// applies the remote keys to `settings`, and says the others are not ours.
[[nodiscard]] cache::OtherSetting collect_remote_settings(RemoteSettings& settings);

// SEALEXEC_REMOTE, SEALEXEC_SIGNING_KEY, SEALEXEC_TRUSTED_KEYS and
// SEALEXEC_INSECURE_REMOTE, through `lookup` (getenv, or a map in tests);
// unset or empty variables leave the setting alone.
[[nodiscard]] Expected<void> apply_remote_environment(
    RemoteSettings& settings, const std::function<const char*(const char*)>& lookup);

struct RemoteTrust {
  std::optional<SigningKey> signer;
  std::vector<PublicKey> trusted;
  // Whether entries may be read from the remotes at all.
  bool reads_allowed = false;
  // For the user, when reads are refused or allowed insecurely.
  std::string warning;
};

// Loads the keys the settings name. A key file that cannot be used is an
// error (a typo must not silently turn signing off).
[[nodiscard]] Expected<RemoteTrust> load_trust(const RemoteSettings& settings);

// The cheap part of load_trust, for every run: the key files exist and the
// private one is private (check_key_file), and what load_trust's warning
// will say. Parsing and libsodium wait for the first remote operation, so
// that runs served by the local cache do not pay for them.
[[nodiscard]] Expected<void> check_trust_files(const RemoteSettings& settings);
[[nodiscard]] std::string trust_warning(const RemoteSettings& settings);

} // namespace sealexec::remote
