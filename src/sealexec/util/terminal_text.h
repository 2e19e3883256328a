// Text that is safe to show on a terminal. Names (paths, arguments, cache
// descriptions, what a remote server sent) can hold any byte, and a terminal
// obeys the control characters among them: ESC and CSI (0x9b) start escape
// sequences that clear the screen, move the cursor, retitle the window or,
// on some terminals, answer back into the shell's input; a newline forges a
// second message; bidirectional overrides reorder what the reader sees
// ("Trojan Source", CVE-2021-42574).
//
// The escaped form is plain printable text that can be decoded exactly:
//
//   \\          a backslash (so that every other backslash starts an escape)
//   \t \n \r \e TAB, LF, CR, ESC
//   \xHH        any other byte in 0x00-0x1f, 0x7f, and every byte that is
//               not part of well-formed UTF-8 (e.g. a raw 0x9b): that byte
//   \uHHHH      these code points, well-formed in UTF-8: the C1 controls
//               U+0080-U+009F, the Unicode line and paragraph separators
//               U+2028 and U+2029, and Bidi_Control (U+061C, U+200E, U+200F,
//               U+202A-U+202E, U+2066-U+2069): that code point, as UTF-8
//
// H is a lowercase hex digit, always exactly two or four of them. Everything
// else (printable ASCII, and well-formed UTF-8 such as "café" or "日本") is
// copied unchanged. "Well-formed" is RFC 3629's: no overlong forms, no
// surrogates, nothing above U+10FFFF; a bad sequence is escaped one byte at a
// time, so what follows it is read afresh.
#pragma once

#include <string>
#include <string_view>

namespace sealexec {

// Whether terminal_text(`text`) differs from `text`. Cheap: one pass that
// stops at the first byte that is not printable ASCII.
[[nodiscard]] bool needs_terminal_escape(std::string_view text);

// Appends `text` to `out` in the escaped form above.
void append_terminal_text(std::string& out, std::string_view text);

// `text` in the escaped form above.
[[nodiscard]] std::string terminal_text(std::string_view text);

// `text` with every character that terminal_text would escape, but the
// backslash, replaced by `replacement` (one per byte that is not well-formed
// UTF-8, one per code point otherwise): for names that other programs show
// raw, such as a memfd's in /proc/PID/exe and ps, which cannot be escaped
// where they are shown.
[[nodiscard]] std::string replace_terminal_controls(std::string_view text, char replacement);

} // namespace sealexec
