#include "sealexec/remote/remote_settings.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

namespace sealexec::remote {

namespace {

constexpr std::chrono::milliseconds k_max_timeout{60'000};

Error bad(std::string_view source, std::string_view key, std::string_view why) {
  return make_error(Errc::invalid_argument, source, fmt::format("{}: {}", key, why));
}

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  std::uint64_t scale = 1;
  if (text.ends_with("ms")) {
    text.remove_suffix(2);
  } else if (text.ends_with('s')) {
    text.remove_suffix(1);
    scale = 1000;
  }
  if (text.empty() || text.size() > 6 ||
      !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  std::uint64_t value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  const std::chrono::milliseconds duration(static_cast<std::int64_t>(value * scale));
  if (duration.count() == 0 || duration > k_max_timeout) {
    return std::nullopt;
  }
  return duration;
}

std::optional<bool> parse_bool(std::string_view text) {
  if (text == "1" || text == "true" || text == "yes") {
    return true;
  }
  if (text == "0" || text == "false" || text == "no") {
    return false;
  }
  return std::nullopt;
}

std::vector<std::filesystem::path> split_paths(std::string_view text) {
  std::vector<std::filesystem::path> paths;
  while (!text.empty()) {
    const std::size_t colon = text.find(':');
    if (colon != 0) {
      paths.emplace_back(text.substr(0, colon));
    }
    text = colon == std::string_view::npos ? std::string_view() : text.substr(colon + 1);
  }
  return paths;
}

} // namespace

bool is_remote_setting(std::string_view key) {
  return key == "remote" || key == "signing_key" || key == "trusted_keys" ||
         key == "insecure_remote" || key == "remote_connect_timeout" || key == "remote_timeout";
}

cache::OtherSetting collect_remote_settings(RemoteSettings& settings) {
  return [&settings](std::string_view key, std::string_view value,
                     std::string_view source) -> Expected<bool> {
    if (!is_remote_setting(key)) {
      return false;
    }
    SEALEXEC_TRY(apply_remote_setting(settings, key, value, source));
    return true;
  };
}

Expected<void> apply_remote_setting(RemoteSettings& settings, std::string_view key,
                                    std::string_view value, std::string_view source) {
  if (key == "remote") {
    if (value == "none") {
      settings.backends.clear(); // turns off a remote configured at a lower level
    } else {
      auto backends = parse_backend_list(value);
      if (!backends) {
        Error error = std::move(backends).error();
        error.path = fmt::format("{}: {}", source, error.path); // which setting said it
        return fail(std::move(error));
      }
      settings.backends = std::move(*backends);
    }
  } else if (key == "signing_key") {
    if (value.empty()) {
      return fail(bad(source, key, "expected a file name"));
    }
    settings.signing_key = std::filesystem::path(value);
  } else if (key == "trusted_keys") {
    settings.trusted_keys = split_paths(value);
    if (settings.trusted_keys.empty()) {
      return fail(bad(source, key, "expected FILE[:FILE...]"));
    }
  } else if (key == "insecure_remote") {
    const auto flag = parse_bool(value);
    if (!flag) {
      return fail(bad(source, key, fmt::format("'{}' is not true or false", value.substr(0, 64))));
    }
    settings.insecure = *flag;
  } else if (key == "remote_connect_timeout" || key == "remote_timeout") {
    const auto duration = parse_duration(value);
    if (!duration) {
      return fail(bad(source, key,
                      fmt::format("'{}' is not a duration such as 100ms or 2s (at most 60 s)",
                                  value.substr(0, 64))));
    }
    (key == "remote_timeout" ? settings.operation_timeout : settings.connect_timeout) = *duration;
  } else {
    return fail(bad(source, key, "unknown remote setting"));
  }
  return {};
}

Expected<void> apply_remote_environment(RemoteSettings& settings,
                                        const std::function<const char*(const char*)>& lookup) {
  constexpr std::pair<const char*, std::string_view> k_variables[] = {
      {"SEALEXEC_REMOTE", "remote"},
      {"SEALEXEC_SIGNING_KEY", "signing_key"},
      {"SEALEXEC_TRUSTED_KEYS", "trusted_keys"},
      {"SEALEXEC_INSECURE_REMOTE", "insecure_remote"}};
  for (const auto& [variable, key] : k_variables) {
    const char* value = lookup(variable);
    if (value != nullptr && *value != '\0') {
      SEALEXEC_TRY(apply_remote_setting(settings, key, value, variable));
    }
  }
  return {};
}

Expected<RemoteTrust> load_trust(const RemoteSettings& settings) {
  RemoteTrust trust;
  if (settings.signing_key) {
    SEALEXEC_TRY_ASSIGN(SigningKey key, load_signing_key(*settings.signing_key));
    trust.signer.emplace(std::move(key));
  }
  for (const std::filesystem::path& file : settings.trusted_keys) {
    SEALEXEC_TRY_ASSIGN(PublicKey key, load_public_key(file));
    trust.trusted.push_back(std::move(key));
  }
  if (settings.backends.empty()) {
    return trust;
  }
  trust.reads_allowed = !trust.trusted.empty() || settings.insecure;
  trust.warning = trust_warning(settings);
  return trust;
}

std::string trust_warning(const RemoteSettings& settings) {
  if (settings.backends.empty() || !settings.trusted_keys.empty()) {
    return {};
  }
  if (settings.insecure) {
    return "--insecure-remote: entries read from the remote cache are used without checking any "
           "signature, so whoever can write to it can run code on this machine";
  }
  return "the remote cache is used for writing only: reading needs a trusted key "
         "(SEALEXEC_TRUSTED_KEYS=FILE.pub) or --insecure-remote";
}

Expected<void> check_trust_files(const RemoteSettings& settings) {
  if (settings.signing_key) {
    SEALEXEC_TRY(check_key_file(*settings.signing_key, /*secret=*/true));
  }
  for (const std::filesystem::path& file : settings.trusted_keys) {
    SEALEXEC_TRY(check_key_file(file, /*secret=*/false));
  }
  return {};
}

} // namespace sealexec::remote
