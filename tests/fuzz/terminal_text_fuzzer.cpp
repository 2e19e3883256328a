// Feeds arbitrary bytes to terminal_text, which every message and every name
// sealexec prints goes through. What comes out must never steer a terminal
// (no C0, DEL or C1 control, raw or as UTF-8, no line or bidirectional
// control, no byte that is not well-formed UTF-8), and must decode back to
// exactly the input (the form is unambiguous).
#include "sealexec/util/terminal_text.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  std::abort(); // only lowercase digits are ever written
}

void append_utf8(std::string& out, std::uint32_t c) {
  if (c < 0x800) {
    out += static_cast<char>(0xc0 | (c >> 6));
  } else {
    out += static_cast<char>(0xe0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3f));
  }
  out += static_cast<char>(0x80 | (c & 0x3f));
}

// The decoder of the form documented in terminal_text.h; aborts on anything
// else.
std::string decode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\') {
      out += text[i];
      continue;
    }
    if (++i == text.size()) {
      std::abort();
    }
    const char kind = text[i];
    const std::size_t digits = kind == 'x' ? 2 : kind == 'u' ? 4 : 0;
    if (digits == 0) {
      const std::string_view named = "\\\\t\tn\nr\re\x1b";
      const std::size_t at = named.find(kind);
      if (at == std::string_view::npos || at % 2 != 0) {
        std::abort();
      }
      out += named[at + 1];
      continue;
    }
    if (text.size() - i - 1 < digits) {
      std::abort();
    }
    std::uint32_t value = 0;
    for (std::size_t k = 1; k <= digits; ++k) {
      value = value * 16 + static_cast<std::uint32_t>(hex_digit(text[i + k]));
    }
    i += digits;
    if (kind == 'x') {
      out += static_cast<char>(value);
    } else {
      append_utf8(out, value);
    }
  }
  return out;
}

// Printable ASCII and well-formed UTF-8 of code points a terminal shows.
void check_printable(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte < 0x80) {
      if (byte < 0x20 || byte == 0x7f) {
        std::abort();
      }
      ++i;
      continue;
    }
    const std::size_t length = byte >= 0xf8   ? 0
                               : byte >= 0xf0 ? 4
                               : byte >= 0xe0 ? 3
                               : byte >= 0xc2 ? 2
                                              : 0;
    if (length == 0 || text.size() - i < length) {
      std::abort();
    }
    std::uint32_t c = byte & (0x7fU >> length);
    for (std::size_t k = 1; k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xc0) != 0x80) {
        std::abort();
      }
      c = (c << 6) | (next & 0x3fU);
    }
    const bool overlong = (length == 3 && c < 0x800) || (length == 4 && c < 0x10000);
    const bool hidden = c <= 0x9f || c == 0x061c || c == 0x200e || c == 0x200f ||
                        (c >= 0x2028 && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069);
    if (overlong || hidden || (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff) {
      std::abort();
    }
    i += length;
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::string shown = sealexec::terminal_text(input);
  check_printable(shown);
  if (decode(shown) != input || sealexec::needs_terminal_escape(input) != (shown != input)) {
    std::abort();
  }
  return 0;
}
