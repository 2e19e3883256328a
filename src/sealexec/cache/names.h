// The names sealexec gives files in a cache, recognised exactly: whatever
// else is found there is not sealexec's, and is never removed or moved.
#pragma once

#include "sealexec/util/digest.h"

#include <optional>
#include <string>
#include <string_view>

namespace sealexec::cache {

// Only '0'-'9' and 'a'-'f', and at least one of them.
[[nodiscard]] bool is_lower_hex(std::string_view text);

// A shard directory of ac/ or cas/: two lowercase hex digits.
[[nodiscard]] bool is_shard_name(std::string_view name);

// The key an entry file is named by: exactly 64 lowercase hex digits.
[[nodiscard]] std::optional<Sha256Digest> entry_name_digest(std::string_view name);

// The digest a blob is named by: "<64 hex>" or, compressed, "<64 hex>.zst".
[[nodiscard]] std::optional<Sha256Digest> blob_name_digest(std::string_view name);

// The files in <cache>/tmp.
enum class TempName {
  not_ours,
  writing, // "put-<16 hex>.tmp": being written; its writer holds an flock on it
  moving,  // "moving-<16 hex>.tmp": being moved out by maintenance (judged_file.h)
  legacy,  // "<pid>.<16 hex>.tmp": written by a sealexec from before these names
};
[[nodiscard]] TempName classify_temp_name(std::string_view name);
// "<prefix>-<16 random hex digits>.tmp"; `prefix` is "put" or "moving".
[[nodiscard]] std::string unique_temp_name(std::string_view prefix);

} // namespace sealexec::cache
