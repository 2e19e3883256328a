#include "sealexec/audit/layer_stream.h"

#include <fmt/format.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

namespace sealexec::audit {

namespace {

constexpr std::size_t k_input_buffer = 256U << 10;
// A raw layer nobody hashes is read for its headers only, with a seek over
// each member's data: a small read then, so that the 512-byte header after a
// large file does not cost a full buffer.
constexpr std::size_t k_header_read = 16U << 10;
// Output handed to a decompressor in one call (its unsigned int counters).
constexpr std::size_t k_max_chunk = 1U << 30;

constexpr std::array<std::byte, 2> k_gzip_magic{std::byte{0x1f}, std::byte{0x8b}};
constexpr std::array<std::byte, 4> k_zstd_magic{std::byte{0x28}, std::byte{0xb5}, std::byte{0x2f},
                                                std::byte{0xfd}};

bool starts_with(std::span<const std::byte> bytes, std::span<const std::byte> magic) {
  return bytes.size() >= magic.size() && std::equal(magic.begin(), magic.end(), bytes.begin());
}

} // namespace

std::uint64_t default_decompressed_limit(std::uint64_t stored) {
  // 64 times the stored size, at least 1 GiB, at most 32 GiB: a layer of
  // mostly zeros still fits, a gzip bomb (1000:1) is stopped early.
  constexpr std::uint64_t k_floor = 1ULL << 30;
  constexpr std::uint64_t k_ceiling = 32ULL << 30;
  const std::uint64_t scaled = stored > k_ceiling / 64 ? k_ceiling : stored * 64;
  return std::clamp(scaled, k_floor, k_ceiling);
}

struct LayerStream::Decoder {
  z_stream zlib{};
  bool zlib_ready = false;
  ZSTD_DStream* zstd = nullptr;
  std::size_t zstd_last = 0; // ZSTD_decompressStream's last hint: 0 after a whole frame

  Decoder() = default;
  Decoder(const Decoder&) = delete;
  Decoder& operator=(const Decoder&) = delete;
  ~Decoder() {
    if (zlib_ready) {
      inflateEnd(&zlib);
    }
    ZSTD_freeDStream(zstd);
  }
};

LayerStream::LayerStream(int fd, std::uint64_t offset, std::uint64_t length, std::string name,
                         LayerStreamOptions options)
    : m_fd(fd), m_offset(offset), m_end(offset + length), m_name(std::move(name)),
      m_options(std::move(options)) {}

LayerStream::~LayerStream() = default;

Expected<std::unique_ptr<LayerStream>> LayerStream::open(int fd, std::uint64_t offset,
                                                         std::uint64_t length, std::string name,
                                                         LayerStreamOptions options) {
  if (offset > UINT64_MAX - length) {
    return fail(make_error(Errc::malformed, name, "lies beyond any file"));
  }
  std::unique_ptr<LayerStream> stream(
      new LayerStream(fd, offset, length, std::move(name), std::move(options)));
  stream->m_input.resize(k_input_buffer);
  if (stream->m_options.stored_digest) {
    stream->m_stored_hash.emplace();
  }
  SEALEXEC_TRY(stream->fill_input());
  const std::span<const std::byte> head(stream->m_input.data() + stream->m_input_start,
                                        stream->m_input_end - stream->m_input_start);
  if (starts_with(head, k_gzip_magic)) {
    stream->m_compression = Compression::gzip;
  } else if (starts_with(head, k_zstd_magic)) {
    stream->m_compression = Compression::zstd;
  }
  if (stream->m_options.content_digest) {
    stream->m_content_hash.emplace();
    if (stream->m_compression == Compression::none) {
      // Stored and decompressed bytes are the same: hashed as they are fetched.
      stream->m_content_hash->update(head);
    }
  }
  if (stream->m_compression == Compression::none) {
    return stream;
  }
  stream->m_decoder = std::make_unique<Decoder>();
  if (stream->m_compression == Compression::gzip) {
    // 16 + MAX_WBITS: a gzip wrapper only, never raw deflate or zlib.
    if (inflateInit2(&stream->m_decoder->zlib, 16 + MAX_WBITS) != Z_OK) {
      return fail(make_error(Errc::system, stream->m_name, "cannot start gzip decompression"));
    }
    stream->m_decoder->zlib_ready = true;
  } else {
    stream->m_decoder->zstd = ZSTD_createDStream();
    if (stream->m_decoder->zstd == nullptr) {
      return fail(make_error(Errc::system, stream->m_name, "cannot start zstd decompression"));
    }
    // A frame may ask for a window up to 2^27 (zstd's default cap); more
    // is refused by the library, which bounds memory per layer.
  }
  return stream;
}

Expected<void> LayerStream::fill_input() {
  if (m_input_start < m_input_end) {
    return {};
  }
  m_input_start = 0;
  m_input_end = 0;
  const bool headers_only = m_seeked; // only ever set for raw, unhashed layers
  const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(
      headers_only ? k_header_read : m_input.size(), m_end - m_offset));
  while (m_input_end < want) {
    const ssize_t got = ::pread(m_fd, m_input.data() + m_input_end, want - m_input_end,
                                static_cast<off_t>(m_offset));
    if (got < 0) {
      if (errno == EINTR) {
        continue;
      }
      return fail(system_error("cannot read", m_name, "pread"));
    }
    if (got == 0) {
      return fail(make_error(Errc::malformed, m_name,
                             "is truncated: the file ends before the layer's last byte"));
    }
    const std::span<const std::byte> fetched(m_input.data() + m_input_end,
                                             static_cast<std::size_t>(got));
    if (m_stored_hash) {
      m_stored_hash->update(fetched);
    }
    m_input_end += static_cast<std::size_t>(got);
    m_offset += static_cast<std::uint64_t>(got);
  }
  return {};
}

Expected<std::size_t> LayerStream::read(std::span<std::byte> destination) {
  destination = destination.first(std::min(destination.size(), k_max_chunk));
  return m_compression == Compression::none ? read_raw(destination) : read_decoded(destination);
}

Expected<std::size_t> LayerStream::read_raw(std::span<std::byte> destination) {
  if (m_input_start == m_input_end) {
    if (m_offset == m_end) {
      return std::size_t{0};
    }
    SEALEXEC_TRY(fill_input());
    if (m_content_hash) {
      m_content_hash->update(std::span(m_input).subspan(0, m_input_end));
    }
  }
  const std::size_t count = std::min(destination.size(), m_input_end - m_input_start);
  std::memcpy(destination.data(), m_input.data() + m_input_start, count);
  m_input_start += count;
  return count;
}

Expected<void> LayerStream::skip(std::uint64_t length) {
  // Raw bytes nobody needs to hash are passed over with a seek: what makes a
  // layer inside an uncompressed archive cost its headers only.
  if (m_compression == Compression::none && !m_stored_hash && !m_content_hash) {
    const std::uint64_t buffered = m_input_end - m_input_start;
    if (length <= buffered) {
      m_input_start += static_cast<std::size_t>(length);
      return {};
    }
    length -= buffered;
    m_input_start = m_input_end;
    if (length > m_end - m_offset) {
      m_offset = m_end;
      return fail(make_error(Errc::malformed, "", "ends early"));
    }
    m_offset += length;
    m_seeked = true;
    return {};
  }
  return InputStream::skip(length);
}

std::optional<std::uint64_t> LayerStream::file_offset() const {
  if (m_compression != Compression::none) {
    return std::nullopt;
  }
  return m_offset - (m_input_end - m_input_start);
}

Expected<std::size_t> LayerStream::read_decoded(std::span<std::byte> destination) {
  Decoder& decoder = *m_decoder;
  int stalls = 0; // calls that neither took input nor gave output
  while (!destination.empty()) {
    if (m_decoder_done) {
      return std::size_t{0};
    }
    if (m_input_start == m_input_end && m_offset < m_end) {
      SEALEXEC_TRY(fill_input());
    }
    const std::size_t available = m_input_end - m_input_start;
    std::size_t produced = 0;
    std::size_t consumed = 0;
    if (m_compression == Compression::gzip) {
      z_stream& z = decoder.zlib;
      z.next_in = reinterpret_cast<Bytef*>(m_input.data() + m_input_start);
      z.avail_in = static_cast<uInt>(available);
      z.next_out = reinterpret_cast<Bytef*>(destination.data());
      z.avail_out = static_cast<uInt>(destination.size());
      const int rc = inflate(&z, Z_NO_FLUSH);
      consumed = available - z.avail_in;
      produced = destination.size() - z.avail_out;
      if (rc == Z_STREAM_END) {
        // Concatenated gzip members form one stream (gzip(1) reads them so);
        // anything else after the end is ignored, as gzip -d does with zeros.
        m_input_start += consumed;
        consumed = 0;
        SEALEXEC_TRY(fill_input());
        const std::span<const std::byte> rest(m_input.data() + m_input_start,
                                              m_input_end - m_input_start);
        if (starts_with(rest, k_gzip_magic)) {
          inflateReset(&z);
        } else {
          m_decoder_done = true;
        }
      } else if (rc != Z_OK && !(rc == Z_BUF_ERROR && available == 0)) {
        return fail(make_error(Errc::malformed, m_name,
                               fmt::format("corrupt gzip data: {}",
                                           z.msg != nullptr ? z.msg : "inflate failed")));
      }
    } else {
      ZSTD_inBuffer in{m_input.data() + m_input_start, available, 0};
      ZSTD_outBuffer out{destination.data(), destination.size(), 0};
      const std::size_t hint = ZSTD_decompressStream(decoder.zstd, &out, &in);
      if (ZSTD_isError(hint) != 0U) {
        return fail(make_error(Errc::malformed, m_name,
                               fmt::format("corrupt zstd data: {}", ZSTD_getErrorName(hint))));
      }
      decoder.zstd_last = hint;
      consumed = in.pos;
      produced = out.pos;
      if (hint == 0 && in.pos == in.size && m_offset == m_end) {
        m_decoder_done = true;
      }
    }
    m_input_start += consumed;
    if (produced > 0) {
      m_decoded += produced;
      if (m_decoded > m_options.decompressed_limit) {
        return fail(make_error(Errc::too_large, m_name,
                               fmt::format("decompresses to more than {} bytes (a decompression "
                                           "bomb?); not read",
                                           m_options.decompressed_limit)));
      }
      if (m_content_hash) {
        m_content_hash->update(destination.first(produced));
      }
      return produced;
    }
    if (consumed == 0 && available > 0 && !m_decoder_done && ++stalls > 2) {
      return fail(make_error(Errc::malformed, m_name, "corrupt compressed data: no progress"));
    }
    if (consumed == 0 && m_input_start == m_input_end && m_offset == m_end && !m_decoder_done) {
      const bool between_frames = m_compression == Compression::zstd && decoder.zstd_last == 0;
      if (between_frames) {
        m_decoder_done = true;
        return std::size_t{0};
      }
      return fail(make_error(Errc::malformed, m_name,
                             "is truncated: the compressed stream stops before its end"));
    }
  }
  return std::size_t{0};
}

Expected<void> LayerStream::finish() {
  std::vector<std::byte> scratch(64U << 10);
  for (;;) {
    SEALEXEC_TRY_ASSIGN(const std::size_t got, read(scratch));
    if (got == 0) {
      break;
    }
  }
  // Bytes after a compressed stream's end still belong to the blob.
  while (m_offset < m_end) {
    m_input_start = m_input_end;
    SEALEXEC_TRY(fill_input());
  }
  const auto check = [&](const std::optional<Sha256Hasher>& hasher,
                         const std::optional<Sha256Digest>& expected,
                         std::string_view what) -> Expected<void> {
    if (!hasher || !expected) {
      return {};
    }
    const Sha256Digest actual = hasher->digest();
    if (actual != *expected) {
      return fail(make_error(Errc::digest_mismatch, m_name,
                             fmt::format("{} has digest sha256:{}, but the manifest says "
                                         "sha256:{}; refused",
                                         what, actual.hex(), expected->hex())));
    }
    return {};
  };
  SEALEXEC_TRY(check(m_stored_hash, m_options.stored_digest, "the layer"));
  SEALEXEC_TRY(check(m_content_hash, m_options.content_digest, "the uncompressed layer"));
  return {};
}

} // namespace sealexec::audit
