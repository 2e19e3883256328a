// The tag that marks a directory as a sealexec cache: a CACHEDIR.TAG as the
// Cache Directory Tagging convention defines it (https://bford.info/cachedir/;
// backup tools such as tar --exclude-caches, restic and borg skip the
// directory), with a line naming sealexec and the layout version.
//
// sealexec touches nothing in a directory before it has recognised it as its
// own: a cache that carries this tag, an empty directory (which it tags), or a
// cache made before tags existed (which it adopts). Anything else is refused,
// so a typo in SEALEXEC_CACHE_DIR can never make gc or clear delete a user's
// files.
#pragma once

#include "sealexec/util/error.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sealexec::cache {

inline constexpr std::string_view k_cache_tag_name = "CACHEDIR.TAG";
// The first bytes of every tag, as the convention defines them.
inline constexpr std::string_view k_cache_tag_signature = "Signature: 8a477f597d28d172789f06886806bc55";
// The layout this sealexec writes. 1 was the untagged layout before tags; 2
// binds each action entry to its key (docs/cache.md).
inline constexpr std::uint32_t k_cache_layout = 2;
// A tag is a few lines; anything longer is not one of ours.
inline constexpr std::size_t k_max_cache_tag_size = 4096;

// The text of a tag for layout `layout`.
[[nodiscard]] std::string cache_tag_text(std::uint32_t layout = k_cache_layout);

// What a CACHEDIR.TAG says.
struct CacheTag {
  // The convention's signature is there: some program's cache.
  bool is_cache_tag = false;
  // sealexec's layout line, when there is one: sealexec's cache.
  std::optional<std::uint32_t> sealexec_layout;
};

// Reads a tag's bytes. Hostile input: never fails, never reads past `text`;
// what it cannot recognise is simply not a tag, or not sealexec's.
[[nodiscard]] CacheTag parse_cache_tag(std::string_view text);

} // namespace sealexec::cache
