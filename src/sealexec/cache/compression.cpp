#include "sealexec/cache/compression.h"

#include "sealexec/image/copy.h"

#include <fmt/format.h>
#include <unistd.h>
#include <zstd.h>

#include <cerrno>
#include <memory>

namespace sealexec::cache {

namespace {
struct FreeCStream {
  void operator()(ZSTD_CStream* s) const { ZSTD_freeCStream(s); }
};
struct FreeDStream {
  void operator()(ZSTD_DStream* s) const { ZSTD_freeDStream(s); }
};
} // namespace

Error too_large_to_store(std::string_view name, std::uint64_t max_size) {
  return make_error(Errc::too_large, name,
                    fmt::format("is larger than the cache keeps (max_size is {} bytes; raise it "
                                "with --max-size or max_size in cache.conf)",
                                max_size));
}

Expected<CompressedCopy> compress_stream(int source, int destination, std::string_view name,
                                         std::uint64_t max_size) {
  const std::unique_ptr<ZSTD_CStream, FreeCStream> stream(ZSTD_createCStream());
  if (!stream || ZSTD_isError(ZSTD_CCtx_setParameter(stream.get(), ZSTD_c_compressionLevel,
                                                     k_zstd_level))) {
    return fail(make_error(Errc::system, name, "cannot start zstd compression"));
  }
  std::vector<std::byte> in(ZSTD_CStreamInSize());
  std::vector<std::byte> out(ZSTD_CStreamOutSize());
  Sha256Hasher sha;
  Xxh3Hasher xxh;
  CompressedCopy copy;
  for (bool last = false; !last;) {
    ssize_t got = 0;
    do {
      got = ::read(source, in.data(), in.size());
    } while (got < 0 && errno == EINTR);
    if (got < 0) {
      return fail(system_error("cannot read what to store", name, "read"));
    }
    last = got == 0;
    const auto chunk = std::span(in).first(static_cast<std::size_t>(got));
    sha.update(chunk);
    xxh.update(chunk);
    copy.size += static_cast<std::uint64_t>(got);
    if (copy.size > max_size) {
      return fail(too_large_to_store(name, max_size));
    }
    ZSTD_inBuffer input{chunk.data(), chunk.size(), 0};
    for (bool done = false; !done;) {
      ZSTD_outBuffer output{out.data(), out.size(), 0};
      const std::size_t remaining =
          ZSTD_compressStream2(stream.get(), &output, &input, last ? ZSTD_e_end : ZSTD_e_continue);
      if (ZSTD_isError(remaining)) {
        return fail(make_error(Errc::system, name,
                               fmt::format("zstd: {}", ZSTD_getErrorName(remaining))));
      }
      SEALEXEC_TRY(write_all(destination, std::span(out).first(output.pos), name));
      done = last ? remaining == 0 : input.pos == input.size;
    }
  }
  copy.sha256 = sha.digest();
  copy.xxh3 = xxh.digest();
  return copy;
}

Expected<std::vector<std::byte>> decompress_file(int fd, std::uint64_t expected_size,
                                                 std::string_view name) {
  auto damaged = [name](std::string_view why) {
    return fail(make_error(Errc::malformed, name, fmt::format("damaged cache blob: {}", why)));
  };
  const std::unique_ptr<ZSTD_DStream, FreeDStream> stream(ZSTD_createDStream());
  if (!stream) {
    return fail(make_error(Errc::system, name, "cannot start zstd decompression"));
  }
  std::vector<std::byte> content(static_cast<std::size_t>(expected_size));
  std::vector<std::byte> in(ZSTD_DStreamInSize());
  std::size_t produced = 0;
  std::size_t last_result = 1;
  for (;;) {
    ssize_t got = 0;
    do {
      got = ::read(fd, in.data(), in.size());
    } while (got < 0 && errno == EINTR);
    if (got < 0) {
      return fail(system_error("cannot read", name, "read"));
    }
    if (got == 0) {
      break;
    }
    ZSTD_inBuffer input{in.data(), static_cast<std::size_t>(got), 0};
    while (input.pos < input.size) {
      // One spare byte beyond the expected size shows a frame that is too long.
      std::byte spare{};
      ZSTD_outBuffer output = produced < content.size()
                                  ? ZSTD_outBuffer{content.data() + produced,
                                                   content.size() - produced, 0}
                                  : ZSTD_outBuffer{&spare, 1, 0};
      last_result = ZSTD_decompressStream(stream.get(), &output, &input);
      if (ZSTD_isError(last_result)) {
        return damaged(ZSTD_getErrorName(last_result));
      }
      if (produced >= content.size() && output.pos > 0) {
        return damaged("more data than the entry recorded");
      }
      produced += output.pos;
      if (output.pos == 0 && input.pos < input.size && last_result == 0) {
        return damaged("bytes after the end of the frame");
      }
    }
  }
  if (last_result != 0 || produced != content.size()) {
    return damaged("truncated");
  }
  return content;
}

Expected<Sha256Digest> decompressed_sha256(int fd, std::uint64_t limit, std::string_view name) {
  const std::unique_ptr<ZSTD_DStream, FreeDStream> stream(ZSTD_createDStream());
  if (!stream) {
    return fail(make_error(Errc::system, name, "cannot start zstd decompression"));
  }
  std::vector<std::byte> in(ZSTD_DStreamInSize());
  std::vector<std::byte> out(ZSTD_DStreamOutSize());
  Sha256Hasher hasher;
  std::uint64_t produced = 0;
  std::size_t last_result = 1;
  for (ssize_t got; (got = ::read(fd, in.data(), in.size())) != 0;) {
    if (got < 0) {
      if (errno == EINTR) {
        continue;
      }
      return fail(system_error("cannot read", name, "read"));
    }
    ZSTD_inBuffer input{in.data(), static_cast<std::size_t>(got), 0};
    while (input.pos < input.size) {
      ZSTD_outBuffer output{out.data(), out.size(), 0};
      last_result = ZSTD_decompressStream(stream.get(), &output, &input);
      if (ZSTD_isError(last_result)) {
        return fail(make_error(Errc::malformed, name,
                               fmt::format("damaged cache blob: {}", ZSTD_getErrorName(last_result))));
      }
      produced += output.pos;
      if (produced > limit) {
        return fail(make_error(Errc::malformed, name, "damaged cache blob: expands past the limit"));
      }
      hasher.update(std::span(out).first(output.pos));
    }
  }
  if (last_result != 0) {
    return fail(make_error(Errc::malformed, name, "damaged cache blob: truncated"));
  }
  return hasher.digest();
}

} // namespace sealexec::cache
