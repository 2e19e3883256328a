// Remembered digests of large files, so that a file copied again is read
// once instead of twice.
//
// A memfd's name carries the digest of its bytes and cannot be changed, so a
// file is hashed before its copy begins (sealing.h): two reads. When the
// digest of a file with the same identity (device, inode, size, mtime,
// ctime) is remembered, the copy is made at once and hashed as it is made;
// should the bytes differ from the hint (a hint is never trusted), that copy
// is thrown away and the file copied the ordinary way. Hints live in
// <private runtime directory>/digests/, one small file per file (named for
// its device and inode, holding its whole stamp, replaced when it changes;
// beyond 1,024 files the least recently written go, down to 768),
// written only for files that had not changed for a clock tick before
// their copy began (util/file_time.h), so that a change within the same
// tick cannot share an identity with what was copied.
#pragma once

#include "sealexec/image/file_stamp.h"
#include "sealexec/util/digest.h"

#include <cstdint>
#include <optional>

namespace sealexec {

// Files smaller than this are read once anyway (k_copy_buffer_size); hints
// are kept for larger ones only.
inline constexpr std::uint64_t k_digest_hint_min_size = std::uint64_t{1} << 20;

[[nodiscard]] std::optional<Xxh3Digest> recall_digest(const FileStamp& stamp);
// Failures are ignored: a hint only saves work.
void remember_digest(const FileStamp& stamp, const Xxh3Digest& digest);
void forget_digest(const FileStamp& stamp);

} // namespace sealexec
