// The messages between memory-tier clients and `sealexec serve`
// (docs/serve.md): one request per connection, one reply, each a single
// SOCK_SEQPACKET datagram in RecordWriter's checksummed format, a sealed
// memfd travelling beside it as SCM_RIGHTS. Both sides treat the other's
// bytes as hostile: every field is bounds-checked, and a message that does
// not parse into exactly what a writer could have written is dropped.
#pragma once

#include "sealexec/image/file_stamp.h"
#include "sealexec/image/memfd.h"
#include "sealexec/util/digest.h"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sealexec {

// What an image in the tier is known by. Everything that decides which bytes
// run and what the program sees of them is in it: a file by its identity
// (device, inode, size, mtime, ctime; a changed file is a new key), a cache
// blob by its content digest, and for both the memfd's basename and whether
// it may be executed, since /proc/self/exe shows the one and the mode the
// other.
struct TierKey {
  enum class Kind : std::uint8_t { file = 1, blob = 2 };
  Kind kind = Kind::file;
  FileStamp file;     // Kind::file
  // Kind::file: the mount's id (statx STATX_MNT_ID_UNIQUE, which no later
  // mount reuses, where the kernel has it): the same identity on a file
  // system mounted again, such as a reproducible image, is a new key.
  std::uint64_t mount_id = 0;
  Xxh3Digest digest;  // Kind::blob (zero for a file)
  std::uint64_t size = 0;
  Executable executable = Executable::yes;
  std::string name; // the memfd's basename

  // The key as the server stores it: the fields in a fixed order.
  [[nodiscard]] std::string bytes() const;
  friend bool operator==(const TierKey&, const TierKey&) = default;
};

enum class TierOp : std::uint32_t {
  find = 1,  // reply: TierReply, with the memfd when found
  offer = 2, // carries a sealed memfd holding bytes with `digest`; no reply
  status = 3, // reply: TierReply whose `status` line describes the server
};

struct TierRequest {
  TierOp op = TierOp::find;
  TierKey key;
  Xxh3Digest digest; // offer: the content digest of the memfd sent with it
};

struct TierReply {
  bool found = false;
  Xxh3Digest digest; // found: the content digest of the memfd sent with it
  std::string status; // status: one line for `sealexec serve --status`
};

// A datagram larger than this is not a message of ours.
inline constexpr std::size_t k_tier_message_max = 1024;

[[nodiscard]] std::vector<std::byte> encode(const TierRequest& request);
[[nodiscard]] std::vector<std::byte> encode(const TierReply& reply);
// nullopt for anything a writer of this version could not have written.
[[nodiscard]] std::optional<TierRequest> decode_request(std::span<const std::byte> message);
[[nodiscard]] std::optional<TierReply> decode_reply(std::span<const std::byte> message);

} // namespace sealexec
