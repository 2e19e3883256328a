#include "sealexec/util/terminal_text.h"

#include <cstddef>

namespace sealexec {

namespace {

constexpr char k_hex_digits[] = "0123456789abcdef";

bool is_plain_ascii(unsigned char byte) { return byte >= 0x20 && byte < 0x7f && byte != '\\'; }

// One UTF-8 sequence at the start of `text`; length 0 when it is not
// well-formed (RFC 3629, table 3-7 of the Unicode standard).
struct Utf8Sequence {
  std::size_t length = 0;
  char32_t code_point = 0;
};

Utf8Sequence decode_utf8(std::string_view text) {
  const auto lead = static_cast<unsigned char>(text[0]);
  std::size_t length = 0;
  char32_t code_point = 0;
  if (lead >= 0xc2 && lead <= 0xdf) { // 0xc0 and 0xc1 could only start overlong forms
    length = 2;
    code_point = lead & 0x1fU;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3;
    code_point = lead & 0x0fU;
  } else if (lead >= 0xf0 && lead <= 0xf4) { // above 0xf4 is beyond U+10FFFF
    length = 4;
    code_point = lead & 0x07U;
  } else {
    return {};
  }
  if (text.size() < length) {
    return {};
  }
  for (std::size_t i = 1; i < length; ++i) {
    const auto next = static_cast<unsigned char>(text[i]);
    if ((next & 0xc0U) != 0x80U) {
      return {};
    }
    code_point = (code_point << 6U) | (next & 0x3fU);
  }
  const bool overlong =
      (length == 3 && code_point < 0x800) || (length == 4 && code_point < 0x10000);
  const bool surrogate = code_point >= 0xd800 && code_point <= 0xdfff;
  if (overlong || surrogate || code_point > 0x10ffff) {
    return {};
  }
  return {.length = length, .code_point = code_point};
}

// Well-formed, but a terminal would act on it rather than show it.
bool is_hidden_control(char32_t code_point) {
  return (code_point >= 0x80 && code_point <= 0x9f) ||   // C1: CSI, OSC, NEL...
         code_point == 0x061c ||                          // ARABIC LETTER MARK
         code_point == 0x200e || code_point == 0x200f ||  // LRM, RLM
         (code_point >= 0x2028 && code_point <= 0x202e) || // LS, PS, LRE..RLO
         (code_point >= 0x2066 && code_point <= 0x2069);   // LRI..PDI
}

// How many bytes at the start of `text` are copied unchanged.
std::size_t plain_prefix(std::string_view text) {
  std::size_t at = 0;
  while (at < text.size()) {
    const auto byte = static_cast<unsigned char>(text[at]);
    if (is_plain_ascii(byte)) {
      ++at;
      continue;
    }
    if (byte < 0x80) {
      break;
    }
    const Utf8Sequence sequence = decode_utf8(text.substr(at));
    if (sequence.length == 0 || is_hidden_control(sequence.code_point)) {
      break;
    }
    at += sequence.length;
  }
  return at;
}

void append_byte_escape(std::string& out, unsigned char byte) {
  switch (byte) {
  case '\\':
    out += "\\\\";
    return;
  case '\t':
    out += "\\t";
    return;
  case '\n':
    out += "\\n";
    return;
  case '\r':
    out += "\\r";
    return;
  case 0x1b:
    out += "\\e";
    return;
  default:
    break;
  }
  const char escaped[] = {'\\', 'x', k_hex_digits[byte >> 4U], k_hex_digits[byte & 0xfU]};
  out.append(escaped, sizeof escaped);
}

void append_code_point_escape(std::string& out, char32_t code_point) {
  // Every code point escaped this way is below U+10000.
  const char escaped[] = {'\\',
                          'u',
                          k_hex_digits[(code_point >> 12U) & 0xfU],
                          k_hex_digits[(code_point >> 8U) & 0xfU],
                          k_hex_digits[(code_point >> 4U) & 0xfU],
                          k_hex_digits[code_point & 0xfU]};
  out.append(escaped, sizeof escaped);
}

} // namespace

bool needs_terminal_escape(std::string_view text) { return plain_prefix(text) != text.size(); }

void append_terminal_text(std::string& out, std::string_view text) {
  while (!text.empty()) {
    const std::size_t plain = plain_prefix(text);
    out.append(text.data(), plain);
    text.remove_prefix(plain);
    if (text.empty()) {
      return;
    }
    // plain_prefix stopped here: an ASCII byte to escape, a byte that is not
    // well-formed UTF-8, or a hidden control.
    const auto byte = static_cast<unsigned char>(text[0]);
    const Utf8Sequence sequence = byte < 0x80 ? Utf8Sequence{} : decode_utf8(text);
    if (sequence.length == 0) {
      append_byte_escape(out, byte);
      text.remove_prefix(1);
    } else {
      append_code_point_escape(out, sequence.code_point);
      text.remove_prefix(sequence.length);
    }
  }
}

std::string terminal_text(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  append_terminal_text(out, text);
  return out;
}

std::string replace_terminal_controls(std::string_view text, char replacement) {
  std::string out;
  out.reserve(text.size());
  while (!text.empty()) {
    const std::size_t plain = plain_prefix(text);
    out.append(text.data(), plain);
    text.remove_prefix(plain);
    if (text.empty()) {
      break;
    }
    const auto byte = static_cast<unsigned char>(text[0]);
    if (byte == '\\') {
      out += '\\';
      text.remove_prefix(1);
      continue;
    }
    const Utf8Sequence sequence = byte < 0x80 ? Utf8Sequence{} : decode_utf8(text);
    out += replacement;
    text.remove_prefix(sequence.length == 0 ? 1 : sequence.length);
  }
  return out;
}

} // namespace sealexec
