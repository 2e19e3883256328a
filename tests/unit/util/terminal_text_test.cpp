#include "sealexec/util/terminal_text.h"

#include <cstdint>
#include <cstdio>
#include <optional>
#include <random>
#include <string>

#include <gtest/gtest.h>

namespace sealexec {
namespace {

using namespace std::string_literals;

// UTF-8 for a code point, without checking it (tests build bad ones on purpose).
std::string utf8(char32_t c) {
  std::string out;
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xc0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3f));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xe0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (c & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (c & 0x3f));
  }
  return out;
}

// The decoder the header's grammar describes: nullopt when `text` is not in
// the escaped form.
std::optional<std::string> unescape(std::string_view text) {
  auto hex = [](std::string_view digits) -> std::optional<std::uint32_t> {
    std::uint32_t value = 0;
    for (const char d : digits) {
      if (d >= '0' && d <= '9') {
        value = value * 16 + static_cast<std::uint32_t>(d - '0');
      } else if (d >= 'a' && d <= 'f') {
        value = value * 16 + static_cast<std::uint32_t>(d - 'a' + 10);
      } else {
        return std::nullopt;
      }
    }
    return value;
  };
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\') {
      out += text[i];
      continue;
    }
    if (++i == text.size()) {
      return std::nullopt;
    }
    switch (text[i]) {
    case '\\':
      out += '\\';
      break;
    case 't':
      out += '\t';
      break;
    case 'n':
      out += '\n';
      break;
    case 'r':
      out += '\r';
      break;
    case 'e':
      out += '\x1b';
      break;
    case 'x': {
      const auto value = hex(text.substr(i + 1, 2));
      if (i + 2 >= text.size() || !value) {
        return std::nullopt;
      }
      out += static_cast<char>(*value);
      i += 2;
      break;
    }
    case 'u': {
      const auto value = hex(text.substr(i + 1, 4));
      if (i + 4 >= text.size() || !value) {
        return std::nullopt;
      }
      out += utf8(*value);
      i += 4;
      break;
    }
    default:
      return std::nullopt;
    }
  }
  return out;
}

// What a terminal may receive: printable ASCII, and well-formed UTF-8 for a
// code point that is neither C1 nor a bidirectional or line control.
::testing::AssertionResult only_printable(std::string_view text) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte < 0x20 || byte == 0x7f) {
      return ::testing::AssertionFailure() << "control byte " << int(byte) << " at " << i;
    }
    if (byte < 0x80) {
      continue;
    }
    // Decoded with the standard library's rules, not the code under test's.
    const std::size_t length = byte >= 0xf8   ? 0
                               : byte >= 0xf0 ? 4
                               : byte >= 0xe0 ? 3
                               : byte >= 0xc0 ? 2
                                              : 0;
    if (length == 0 || i + length > text.size()) {
      return ::testing::AssertionFailure() << "bad UTF-8 at " << i;
    }
    char32_t c = byte & (0x7f >> length);
    for (std::size_t k = 1; k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xc0) != 0x80) {
        return ::testing::AssertionFailure() << "bad UTF-8 at " << i;
      }
      c = (c << 6) | (next & 0x3f);
    }
    if (utf8(c).size() != length || (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff) {
      return ::testing::AssertionFailure() << "overlong or invalid UTF-8 at " << i;
    }
    if (c <= 0x9f || c == 0x061c || c == 0x200e || c == 0x200f || (c >= 0x2028 && c <= 0x202e) ||
        (c >= 0x2066 && c <= 0x2069)) {
      return ::testing::AssertionFailure() << "control U+" << std::hex << std::uint32_t(c);
    }
    i += length - 1;
  }
  return ::testing::AssertionSuccess();
}

TEST(TerminalText, KeepsPrintableAsciiAndUtf8) {
  for (const std::string& plain :
       {"/usr/lib/x86_64-linux-gnu/libc.so.6"s, ""s, "a b ~ ' \" { } %"s, "café"s,
        "日本語のファイル"s, "emoji 🙂 and 𝄞"s, "\u00a0nbsp \u00ff \u0100 \u07ff \u0800 \uffff"s,
        utf8(0x10ffff), "zero\u200bwidth"s}) {
    EXPECT_EQ(terminal_text(plain), plain);
    EXPECT_FALSE(needs_terminal_escape(plain)) << plain;
  }
}

TEST(TerminalText, EscapesC0DelAndBackslash) {
  EXPECT_EQ(terminal_text("./x\x1b[2J"), "./x\\e[2J");
  EXPECT_EQ(terminal_text("a\nb\tc\rd"), "a\\nb\\tc\\rd");
  EXPECT_EQ(terminal_text("nul\0bel\abs\b"s), "nul\\x00bel\\x07bs\\x08");
  EXPECT_EQ(terminal_text("\x7f\x1f\x0b\x0c"), "\\x7f\\x1f\\x0b\\x0c");
  EXPECT_EQ(terminal_text("C:\\dir\\x1b"), "C:\\\\dir\\\\x1b");
  EXPECT_TRUE(needs_terminal_escape("\\"));
  EXPECT_TRUE(needs_terminal_escape("ok\n"));
}

TEST(TerminalText, EscapesC1RawAndEncoded) {
  // A raw 0x9b is CSI to a terminal in 8-bit mode; as UTF-8 it is not well-formed.
  EXPECT_EQ(terminal_text("x\x9b" "2J"), "x\\x9b2J");
  // U+009B and U+0085 (NEL), well-formed UTF-8 (c2 9b, c2 85).
  EXPECT_EQ(terminal_text("x\xc2\x9b" "2J\xc2\x85"), "x\\u009b2J\\u0085");
  EXPECT_EQ(terminal_text(utf8(0x80) + utf8(0x9f) + utf8(0xa0)), "\\u0080\\u009f\u00a0");
}

TEST(TerminalText, EscapesBidiControlsAndLineSeparators) {
  // Trojan Source: RLO makes "txt.exe" look like "exe.txt".
  EXPECT_EQ(terminal_text("name\u202etxt.exe"), "name\\u202etxt.exe");
  for (const char32_t c : {0x061cU, 0x200eU, 0x200fU, 0x2028U, 0x2029U, 0x202aU, 0x202bU,
                           0x202cU, 0x202dU, 0x202eU, 0x2066U, 0x2067U, 0x2068U, 0x2069U}) {
    char expected[8];
    std::snprintf(expected, sizeof expected, "\\u%04x", static_cast<unsigned>(c));
    EXPECT_EQ(terminal_text(utf8(c)), expected);
  }
  EXPECT_EQ(terminal_text(utf8(0x2027) + utf8(0x202f) + utf8(0x2065) + utf8(0x206a)),
            utf8(0x2027) + utf8(0x202f) + utf8(0x2065) + utf8(0x206a));
}

TEST(TerminalText, EscapesMalformedUtf8ByteByByte) {
  // Overlong "/" and overlong NUL, surrogate, beyond U+10FFFF, truncated
  // sequences, a lone continuation byte, and the bytes that never occur.
  EXPECT_EQ(terminal_text("\xc0\xaf"), "\\xc0\\xaf");
  EXPECT_EQ(terminal_text("\xc0\x80"), "\\xc0\\x80");
  EXPECT_EQ(terminal_text("\xe0\x80\xaf"), "\\xe0\\x80\\xaf");
  EXPECT_EQ(terminal_text("\xf0\x8f\xbf\xbf"), "\\xf0\\x8f\\xbf\\xbf");
  EXPECT_EQ(terminal_text("\xed\xa0\x80"), "\\xed\\xa0\\x80");
  EXPECT_EQ(terminal_text("\xf4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80");
  EXPECT_EQ(terminal_text("caf\xc3"), "caf\\xc3");
  EXPECT_EQ(terminal_text("\xe6\x97"), "\\xe6\\x97");
  EXPECT_EQ(terminal_text("\x80x\xfe\xff"), "\\x80x\\xfe\\xff");
  // A bad lead does not swallow the good sequence after it.
  EXPECT_EQ(terminal_text("\xe6" "caf\xc3\xa9"), "\\xe6caf\xc3\xa9");
  EXPECT_EQ(terminal_text("\xc3\xc3\xa9"), "\\xc3\xc3\xa9");
}

TEST(TerminalText, EveryByteIsEscapedOrKeptAndDecodesBack) {
  for (int first = 0; first < 256; ++first) {
    for (int second = 0; second < 256; ++second) {
      const std::string raw{static_cast<char>(first), static_cast<char>(second)};
      const std::string shown = terminal_text(raw);
      ASSERT_TRUE(only_printable(shown)) << first << " " << second;
      ASSERT_EQ(unescape(shown), raw) << first << " " << second;
      ASSERT_EQ(needs_terminal_escape(raw), shown != raw);
    }
  }
}

TEST(TerminalText, EveryCodePointIsEscapedOrKeptAndDecodesBack) {
  for (char32_t c = 0; c <= 0x10ffff; ++c) {
    const std::string raw = utf8(c);
    const std::string shown = terminal_text(raw);
    ASSERT_TRUE(only_printable(shown)) << std::hex << std::uint32_t(c);
    ASSERT_EQ(unescape(shown), raw) << std::hex << std::uint32_t(c);
  }
}

TEST(TerminalText, RandomBytesDecodeBack) {
  std::mt19937 random(10);
  std::uniform_int_distribution<int> byte(0, 255);
  for (int round = 0; round < 20000; ++round) {
    std::string raw(static_cast<std::size_t>(round % 24), '\0');
    for (char& c : raw) {
      // Bias towards the interesting bytes: controls, backslash, UTF-8 leads.
      const int b = byte(random);
      c = static_cast<char>(b < 64 ? "\\\x1b\x9b\xc2\xe2\x80\xed\xf4"[b % 8] : b);
    }
    const std::string shown = terminal_text(raw);
    ASSERT_TRUE(only_printable(shown));
    ASSERT_EQ(unescape(shown), raw);
  }
}

TEST(TerminalText, AppendsAfterWhatIsThere) {
  std::string out = "sealexec: ";
  append_terminal_text(out, "a\x1b");
  EXPECT_EQ(out, "sealexec: a\\e");
}

} // namespace
} // namespace sealexec
