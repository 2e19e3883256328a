#include "sealexec/audit/tar_reader.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <string_view>

namespace sealexec::audit {

namespace {

constexpr std::size_t k_block = 512;
// A pax or GNU long-name record larger than this is no name: real ones are
// at most PATH_MAX plus a few keys.
constexpr std::uint64_t k_extension_limit = 1U << 20;
constexpr std::size_t k_name_limit = 64U << 10;

// ustar header field offsets and lengths (POSIX.1-2001 pax "ustar Interchange Format").
struct Field {
  std::size_t offset;
  std::size_t length;
};
constexpr Field k_name{0, 100};
constexpr Field k_mode{100, 8};
constexpr Field k_size{124, 12};
constexpr Field k_checksum{148, 8};
constexpr std::size_t k_typeflag = 156;
constexpr Field k_linkname{157, 100};
constexpr Field k_magic{257, 6};
constexpr Field k_prefix{345, 155};

using Block = std::array<std::byte, k_block>;

std::string_view field_bytes(const Block& block, Field field) {
  return {reinterpret_cast<const char*>(block.data()) + field.offset, field.length};
}

// A NUL-terminated string in a fixed field (it may fill the field).
std::string field_string(const Block& block, Field field) {
  const std::string_view bytes = field_bytes(block, field);
  return std::string(bytes.substr(0, std::min(bytes.find('\0'), bytes.size())));
}

// A number as tar writers store it: octal digits with optional leading
// spaces and a NUL or space terminator, or GNU's base-256 for values that do
// not fit (first byte 0x80; 0xff, a negative number, is refused).
std::optional<std::uint64_t> field_number(const Block& block, Field field) {
  const std::string_view bytes = field_bytes(block, field);
  const auto first = static_cast<unsigned char>(bytes[0]);
  std::uint64_t value = 0;
  if ((first & 0x80U) != 0) {
    if (first != 0x80) {
      return std::nullopt;
    }
    for (const char c : bytes.substr(1)) {
      if (value > (UINT64_MAX >> 8)) {
        return std::nullopt;
      }
      value = (value << 8) | static_cast<unsigned char>(c);
    }
    return value;
  }
  std::size_t i = 0;
  while (i < bytes.size() && bytes[i] == ' ') {
    ++i;
  }
  bool digits = false;
  for (; i < bytes.size() && bytes[i] >= '0' && bytes[i] <= '7'; ++i) {
    if (value > (UINT64_MAX >> 3)) {
      return std::nullopt;
    }
    value = (value << 3) | static_cast<std::uint64_t>(bytes[i] - '0');
    digits = true;
  }
  for (; i < bytes.size(); ++i) { // only terminators may follow
    if (bytes[i] != ' ' && bytes[i] != '\0') {
      return std::nullopt;
    }
  }
  if (!digits && bytes.find_first_not_of(std::string_view("\0 ", 2)) != std::string_view::npos) {
    return std::nullopt;
  }
  return value;
}

bool checksum_matches(const Block& block) {
  const auto stored = field_number(block, k_checksum);
  if (!stored) {
    return false;
  }
  // The checksum field counts as eight spaces. Some old writers summed
  // signed chars; both sums are accepted, as GNU tar does.
  std::uint64_t unsigned_sum = 0;
  std::int64_t signed_sum = 0;
  for (std::size_t i = 0; i < k_block; ++i) {
    const bool in_field = i >= k_checksum.offset && i < k_checksum.offset + k_checksum.length;
    const auto byte = in_field ? std::byte{' '} : block[i];
    unsigned_sum += static_cast<unsigned char>(byte);
    signed_sum += static_cast<signed char>(byte);
  }
  return *stored == unsigned_sum || static_cast<std::int64_t>(*stored) == signed_sum;
}

bool all_zero(const Block& block) {
  return std::all_of(block.begin(), block.end(), [](std::byte b) { return b == std::byte{0}; });
}

std::uint64_t padding_after(std::uint64_t size) {
  return (k_block - size % k_block) % k_block;
}

struct PaxValues {
  std::optional<std::string> path;
  std::optional<std::string> linkpath;
  std::optional<std::uint64_t> size;
  bool sparse = false; // GNU.sparse.* records: the real name and data are elsewhere
};

// Pax records: "LENGTH KEY=VALUE\n", LENGTH counting the whole record.
std::optional<PaxValues> parse_pax(std::string_view text) {
  PaxValues values;
  while (!text.empty()) {
    std::size_t length = 0;
    std::size_t i = 0;
    for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
      if (length > k_extension_limit) {
        return std::nullopt;
      }
      length = length * 10 + static_cast<std::size_t>(text[i] - '0');
    }
    if (i == 0 || i >= text.size() || text[i] != ' ' || length <= i + 1 || length > text.size() ||
        text[length - 1] != '\n') {
      return std::nullopt;
    }
    const std::string_view record = text.substr(i + 1, length - i - 2);
    const std::size_t equals = record.find('=');
    if (equals == std::string_view::npos) {
      return std::nullopt;
    }
    const std::string_view key = record.substr(0, equals);
    const std::string_view value = record.substr(equals + 1);
    if (key.starts_with("GNU.sparse.")) {
      values.sparse = true;
    } else if (key == "path") {
      values.path = std::string(value);
    } else if (key == "linkpath") {
      values.linkpath = std::string(value);
    } else if (key == "size") {
      std::uint64_t size = 0;
      if (value.empty() || value.size() > 19 ||
          value.find_first_not_of("0123456789") != std::string_view::npos) {
        return std::nullopt;
      }
      for (const char c : value) {
        size = size * 10 + static_cast<std::uint64_t>(c - '0');
      }
      values.size = size;
    }
    text.remove_prefix(length);
  }
  return values;
}

} // namespace

Expected<void> InputStream::skip(std::uint64_t length) {
  std::array<std::byte, 64 * 1024> buffer{};
  while (length > 0) {
    const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(length, buffer.size()));
    SEALEXEC_TRY_ASSIGN(const std::size_t got, read(std::span(buffer).first(want)));
    if (got == 0) {
      return fail(make_error(Errc::malformed, "", "ends early"));
    }
    length -= got;
  }
  return {};
}

Expected<std::size_t> read_fully(InputStream& stream, std::span<std::byte> destination) {
  std::size_t done = 0;
  while (done < destination.size()) {
    SEALEXEC_TRY_ASSIGN(const std::size_t got, stream.read(destination.subspan(done)));
    if (got == 0) {
      break;
    }
    done += got;
  }
  return done;
}

Expected<std::size_t> MemoryStream::read(std::span<std::byte> destination) {
  const std::size_t count = std::min(destination.size(), m_bytes.size() - m_position);
  if (count > 0) {
    std::memcpy(destination.data(), m_bytes.data() + m_position, count);
  }
  m_position += count;
  return count;
}

TarReader::TarReader(InputStream& stream, std::string archive)
    : m_stream(stream), m_archive(std::move(archive)) {}

Error TarReader::damaged(const std::string& member, const std::string& why) const {
  const std::string where = member.empty() ? fmt::format("tar header {}", m_members + 1)
                                           : fmt::format("member '{}'", member);
  return make_error(Errc::malformed, m_archive, fmt::format("damaged archive: {}: {}", where, why));
}

Expected<void> TarReader::finish_member() {
  const std::uint64_t rest = m_data_left + m_padding;
  m_data_left = 0;
  m_padding = 0;
  if (rest == 0) {
    return {};
  }
  if (auto skipped = m_stream.skip(rest); !skipped) {
    if (skipped.error().code == Errc::malformed && skipped.error().path.empty()) {
      return fail(damaged(m_current, "the archive is truncated inside its data"));
    }
    return skipped;
  }
  return {};
}

Expected<std::string> TarReader::read_extension(std::uint64_t size, const std::string& member,
                                                std::uint64_t limit) {
  if (size > limit) {
    return fail(damaged(member, fmt::format("an extended header of {} bytes", size)));
  }
  std::string text(static_cast<std::size_t>(size), '\0');
  SEALEXEC_TRY_ASSIGN(const std::size_t got,
                      read_fully(m_stream, std::as_writable_bytes(std::span(text))));
  if (got != text.size()) {
    return fail(damaged(member, "the archive is truncated"));
  }
  m_padding = padding_after(size);
  return text;
}

Expected<std::optional<TarMember>> TarReader::next() {
  if (m_ended) {
    return std::nullopt;
  }
  SEALEXEC_TRY(finish_member());
  std::optional<std::string> long_name;
  std::optional<std::string> long_link;
  PaxValues pax;
  for (;;) {
    Block block{};
    SEALEXEC_TRY_ASSIGN(const std::size_t got, read_fully(m_stream, block));
    if (got != block.size()) {
      return fail(damaged(got == 0 ? "" : m_current,
                          got == 0 ? "the archive is truncated (no end-of-archive marker)"
                                   : "the archive is truncated inside a header"));
    }
    if (all_zero(block)) {
      // The end: two zero blocks, though one is enough to know; a stream
      // that stops after the first is accepted, as GNU tar does.
      m_ended = true;
      if (long_name || long_link || pax.path || pax.size) {
        return fail(damaged("", "an extended header with no member after it"));
      }
      return std::nullopt;
    }
    std::string name = long_name ? *long_name : field_string(block, k_name);
    if (!checksum_matches(block)) {
      return fail(damaged(name, "header checksum mismatch"));
    }
    const auto size = field_number(block, k_size);
    const auto mode = field_number(block, k_mode);
    if (!size || !mode) {
      return fail(damaged(name, "a size or mode that is not a number"));
    }
    const char type = static_cast<char>(block[k_typeflag]);
    // Extensions describe the member that follows them.
    if (type == 'L' || type == 'K' || type == 'x' || type == 'g') {
      SEALEXEC_TRY_ASSIGN(std::string text, read_extension(*size, name, k_extension_limit));
      SEALEXEC_TRY(finish_member());
      if (type == 'L' || type == 'K') {
        text.resize(std::min(text.find('\0'), text.size()));
        (type == 'L' ? long_name : long_link) = std::move(text);
      } else if (type == 'x') {
        auto values = parse_pax(text);
        if (!values) {
          return fail(damaged(name, "a malformed pax extended header"));
        }
        pax.path = values->path ? values->path : pax.path;
        pax.linkpath = values->linkpath ? values->linkpath : pax.linkpath;
        pax.size = values->size ? values->size : pax.size;
        pax.sparse = pax.sparse || values->sparse;
      } // 'g': global pax values (times, charset) change nothing here
      continue;
    }
    ++m_members;
    TarMember member;
    if (pax.path) {
      name = *pax.path;
    } else if (!long_name && field_bytes(block, k_magic) == std::string_view("ustar\0", 6)) {
      // POSIX ustar splits long names into prefix/name; GNU's "ustar  "
      // uses those bytes for other things.
      if (std::string prefix = field_string(block, k_prefix); !prefix.empty()) {
        name = prefix + "/" + name;
      }
    }
    member.link_name = pax.linkpath ? *pax.linkpath
                       : long_link  ? *long_link
                                    : field_string(block, k_linkname);
    if (name.empty() || name.size() > k_name_limit || member.link_name.size() > k_name_limit ||
        name.find('\0') != std::string::npos ||
        member.link_name.find('\0') != std::string::npos) {
      return fail(damaged(name, "an empty, overlong or NUL-bearing name"));
    }
    member.name = std::move(name);
    member.mode = static_cast<std::uint32_t>(*mode & 07777);
    member.size = pax.size ? *pax.size : *size;
    switch (type) {
    case '0':
    case '\0':
    case '7':
      // Old (v7) archives mark a directory only by the '/' ending its name.
      member.type = member.name.ends_with('/') ? TarType::directory : TarType::regular;
      break;
    case '1':
      member.type = TarType::hard_link;
      break;
    case '2':
      member.type = TarType::symlink;
      break;
    case '5':
      member.type = TarType::directory;
      break;
    case '3': // devices and FIFOs: header only, as for links
    case '4':
    case '6':
      member.type = TarType::other;
      member.size = 0;
      break;
    case 'S':
      member.sparse = true;
      member.type = TarType::other;
      break;
    default:
      member.type = TarType::other;
      break;
    }
    // A sparse file's name and bytes are not what its header says: reading
    // it as a plain file would name or judge the wrong thing.
    if (member.sparse || pax.sparse) {
      return fail(damaged(member.name, "is a GNU sparse file, which check --image does not read"));
    }
    // Links and directories carry no data, whatever their size field says
    // (a hard link's size may repeat its target's, and is not followed by it).
    if (member.type == TarType::hard_link || member.type == TarType::symlink ||
        member.type == TarType::directory) {
      member.size = 0;
    }
    m_current = member.name;
    m_data_left = member.size;
    m_padding = padding_after(member.size);
    member.data_offset = m_stream.file_offset();
    return member;
  }
}

Expected<std::size_t> TarReader::read_data(std::span<std::byte> destination) {
  const std::size_t want =
      static_cast<std::size_t>(std::min<std::uint64_t>(destination.size(), m_data_left));
  if (want == 0) {
    return std::size_t{0};
  }
  SEALEXEC_TRY_ASSIGN(const std::size_t got, m_stream.read(destination.first(want)));
  if (got == 0) {
    return fail(damaged(m_current, "the archive is truncated inside its data"));
  }
  m_data_left -= got;
  return got;
}

} // namespace sealexec::audit
