#include "sealexec/cache/config.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>

namespace sealexec::cache {

namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())) != 0) {
    text.remove_prefix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())) != 0) {
    text.remove_suffix(1);
  }
  return text;
}

std::optional<std::uint64_t> parse_count(std::string_view text) {
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return value;
}

} // namespace

std::optional<std::uint64_t> parse_size(std::string_view text) {
  text = trim(text);
  if (text.empty()) {
    return std::nullopt;
  }
  double multiplier = 1;
  switch (std::toupper(static_cast<unsigned char>(text.back()))) {
  case 'K':
    multiplier = 1024.0;
    break;
  case 'M':
    multiplier = 1024.0 * 1024;
    break;
  case 'G':
    multiplier = 1024.0 * 1024 * 1024;
    break;
  case 'T':
    multiplier = 1024.0 * 1024 * 1024 * 1024;
    break;
  default:
    break;
  }
  if (multiplier != 1) {
    text.remove_suffix(1);
  }
  double number = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (error != std::errc{} || end != text.data() + text.size() || !std::isfinite(number) ||
      number < 0 || number * multiplier > 1.8e19) {
    return std::nullopt;
  }
  return static_cast<std::uint64_t>(number * multiplier);
}

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text,
                                                        std::chrono::milliseconds limit) {
  text = trim(text);
  std::uint64_t scale = 1;
  if (text.ends_with("ms")) {
    text.remove_suffix(2);
  } else if (text.ends_with('s')) {
    text.remove_suffix(1);
    scale = 1000;
  } else if (text != "0") {
    return std::nullopt; // a unit is required: is "30" seconds or milliseconds?
  }
  // Eight digits at most: no overflow below, whatever the scale.
  if (text.empty() || text.size() > 8 ||
      !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  const auto count = parse_count(text);
  if (!count || *count * scale > static_cast<std::uint64_t>(limit.count())) {
    return std::nullopt;
  }
  return std::chrono::milliseconds(static_cast<std::int64_t>(*count * scale));
}

Expected<void> apply_setting(CacheConfig& config, std::string_view key, std::string_view value,
                             std::string_view source) {
  auto bad = [&](std::string_view what) {
    return fail(make_error(Errc::invalid_argument, source,
                           fmt::format("{} for {}: '{}'", what, key, value)));
  };
  if (key == "max_size") {
    const auto size = parse_size(value);
    if (!size) {
      return bad("not a size (like 512M or 5G)");
    }
    config.max_size = *size;
  } else if (key == "max_entries" || key == "gc_every") {
    const auto count = parse_count(trim(value));
    if (!count) {
      return bad("not a whole number");
    }
    (key == "max_entries" ? config.max_entries : config.gc_every) = *count;
  } else if (key == "compression") {
    const std::string_view v = trim(value);
    if (v != "none" && v != "zstd") {
      return bad("not none or zstd");
    }
    config.compress = v == "zstd";
  } else if (key == "lock_timeout") {
    const auto duration = parse_duration(value, CacheConfig::k_max_lock_timeout);
    if (!duration) {
      return bad("not a duration such as 500ms or 30s (at most 3600s)");
    }
    config.lock_timeout = *duration;
  } else {
    return fail(make_error(
        Errc::invalid_argument, source,
        fmt::format("unknown setting '{}' (known: max_size, max_entries, gc_every, compression, "
                    "lock_timeout)",
                    key)));
  }
  return {};
}

Expected<void> apply_config_file(CacheConfig& config, std::string_view text,
                                 std::string_view source, const OtherSetting& other) {
  std::size_t number = 0;
  while (!text.empty()) {
    ++number;
    const std::size_t newline = text.find('\n');
    std::string_view line = text.substr(0, newline);
    text = newline == std::string_view::npos ? std::string_view() : text.substr(newline + 1);
    if (const std::size_t hash = line.find('#'); hash != std::string_view::npos) {
      line = line.substr(0, hash);
    }
    line = trim(line);
    if (line.empty()) {
      continue;
    }
    const std::size_t equals = line.find('=');
    const std::string where = fmt::format("{}:{}", source, number);
    if (equals == std::string_view::npos) {
      return fail(make_error(Errc::invalid_argument, where,
                             fmt::format("expected 'key = value', got '{}'", line)));
    }
    const std::string_view key = trim(line.substr(0, equals));
    const std::string_view value = trim(line.substr(equals + 1));
    if (other) {
      SEALEXEC_TRY_ASSIGN(const bool taken, other(key, value, where));
      if (taken) {
        continue;
      }
    }
    SEALEXEC_TRY(apply_setting(config, key, value, where));
  }
  return {};
}

} // namespace sealexec::cache
