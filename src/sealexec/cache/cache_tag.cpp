#include "sealexec/cache/cache_tag.h"

#include <fmt/format.h>

#include <charconv>

namespace sealexec::cache {

namespace {

constexpr std::string_view k_layout_prefix = "# sealexec cache layout ";

} // namespace

std::string cache_tag_text(std::uint32_t layout) {
  return fmt::format("{}\n"
                     "# This file is a cache directory tag created by sealexec.\n"
                     "# For information about cache directory tags, see https://bford.info/cachedir/\n"
                     "{}{}\n",
                     k_cache_tag_signature, k_layout_prefix, layout);
}

CacheTag parse_cache_tag(std::string_view text) {
  CacheTag tag;
  if (!text.starts_with(k_cache_tag_signature)) {
    return tag;
  }
  tag.is_cache_tag = true;
  // Only whole lines after the signature's; the first layout line counts.
  std::size_t at = text.find('\n');
  while (at != std::string_view::npos && at + 1 < text.size()) {
    const std::size_t start = at + 1;
    at = text.find('\n', start);
    const std::string_view line =
        text.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start);
    if (!line.starts_with(k_layout_prefix)) {
      continue;
    }
    const std::string_view digits = line.substr(k_layout_prefix.size());
    std::uint32_t layout = 0;
    const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), layout);
    if (error == std::errc{} && end == digits.data() + digits.size() && !digits.empty() &&
        layout >= 1) {
      tag.sealexec_layout = layout;
    }
    break;
  }
  return tag;
}

} // namespace sealexec::cache
