// One layer of a container image read front to back: a byte range of a
// file (a blob, or a member of an archive), stored raw, gzip- or
// zstd-compressed (told by its magic bytes, not by the media type the
// manifest claims), optionally checked against a SHA-256 digest. What it
// decompresses to is bounded, so a small hostile blob cannot make sealexec
// inflate gigabytes.
#pragma once

#include "sealexec/audit/tar_reader.h"
#include "sealexec/util/digest.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace sealexec::audit {

enum class Compression { none, gzip, zstd };

struct LayerStreamOptions {
  // SHA-256 of the stored bytes (an OCI blob's digest), of the decompressed
  // bytes (a docker-archive's diff_id), when known.
  std::optional<Sha256Digest> stored_digest;
  std::optional<Sha256Digest> content_digest;
  // At most this many decompressed bytes (raw layers are their own bound).
  std::uint64_t decompressed_limit = 0;
};

// Where one layer lies: a byte range of one of an image's open files.
struct LayerRange {
  std::size_t file = 0; // index into the image's files
  std::uint64_t offset = 0;
  std::uint64_t size = 0;
  std::string name; // for errors: "IMAGE: layer 2 (blobs/sha256/...)"
  LayerStreamOptions options;
};

// What a compressed layer of `stored` bytes may decompress to: real layers
// compress a few times; a bomb, a thousand.
[[nodiscard]] std::uint64_t default_decompressed_limit(std::uint64_t stored);

class LayerStream final : public InputStream {
public:
  // Reads [`offset`, `offset` + `length`) of `fd`, which must stay open
  // while the stream is used. `name` names the layer in errors.
  [[nodiscard]] static Expected<std::unique_ptr<LayerStream>>
  open(int fd, std::uint64_t offset, std::uint64_t length, std::string name,
       LayerStreamOptions options);
  LayerStream(const LayerStream&) = delete;
  LayerStream& operator=(const LayerStream&) = delete;
  ~LayerStream() override;

  [[nodiscard]] Expected<std::size_t> read(std::span<std::byte> destination) override;
  [[nodiscard]] Expected<void> skip(std::uint64_t length) override;
  [[nodiscard]] std::optional<std::uint64_t> file_offset() const override;
  [[nodiscard]] Compression compression() const { return m_compression; }

  // Reads what is left (tar's end padding, the compressed stream's end),
  // then compares the digests: Errc::digest_mismatch when one differs,
  // Errc::malformed when the compressed stream is cut short.
  [[nodiscard]] Expected<void> finish();

private:
  struct Decoder;
  LayerStream(int fd, std::uint64_t offset, std::uint64_t length, std::string name,
              LayerStreamOptions options);
  [[nodiscard]] Expected<void> fill_input();
  [[nodiscard]] Expected<std::size_t> read_raw(std::span<std::byte> destination);
  [[nodiscard]] Expected<std::size_t> read_decoded(std::span<std::byte> destination);

  int m_fd;
  std::uint64_t m_offset; // the next stored byte to fetch into m_input
  std::uint64_t m_end;
  std::string m_name;
  LayerStreamOptions m_options;
  Compression m_compression = Compression::none;
  std::vector<std::byte> m_input;
  std::size_t m_input_start = 0; // unread bytes are [m_input_start, m_input_end)
  std::size_t m_input_end = 0;
  std::uint64_t m_decoded = 0; // bytes handed out by a decompressor
  bool m_decoder_done = false;
  bool m_seeked = false; // a raw layer's data has been passed over with a seek
  std::unique_ptr<Decoder> m_decoder;
  std::optional<Sha256Hasher> m_stored_hash;
  std::optional<Sha256Hasher> m_content_hash;
};

} // namespace sealexec::audit
