#include "sealexec/image/shebang.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>

namespace sealexec {

namespace {

bool is_blank(char c) { return c == ' ' || c == '\t'; }
bool ends_word(char c) { return is_blank(c) || c == '\0'; }

// First index in [from, to] (inclusive, like the kernel's scan) whose
// character satisfies `predicate`; nullopt when none does.
template <typename Predicate>
std::optional<std::size_t> find_in(const std::array<char, k_binprm_buf_size>& buffer,
                                   std::size_t from, std::size_t to, Predicate predicate) {
  for (std::size_t i = from; i <= to && i < buffer.size(); ++i) {
    if (predicate(buffer[i])) {
      return i;
    }
  }
  return std::nullopt;
}

// The C string starting at `from`: the kernel NUL-terminates the line and
// copies strings up to their first NUL.
std::string c_string(const std::array<char, k_binprm_buf_size>& buffer, std::size_t from,
                     std::size_t end) {
  std::string text;
  for (std::size_t i = from; i < end && buffer[i] != '\0'; ++i) {
    text.push_back(buffer[i]);
  }
  return text;
}

} // namespace

Expected<Shebang> parse_shebang(std::span<const std::byte> head, std::string_view path) {
  // Like the kernel's buffer: the file's first bytes, NUL-padded when the file
  // is shorter.
  std::array<char, k_binprm_buf_size> buffer{};
  const std::size_t used = std::min(head.size(), buffer.size());
  std::ranges::transform(head.first(used), buffer.begin(),
                         [](std::byte b) { return static_cast<char>(b); });
  if (used < 2 || buffer[0] != '#' || buffer[1] != '!') {
    return fail(make_error(Errc::not_runnable, path, "does not start with #!"));
  }

  // The last byte is kept for the terminating NUL, so a line without a
  // newline is looked at up to index 254.
  constexpr std::size_t k_last = k_binprm_buf_size - 1;
  std::size_t line_end = 0;
  if (const auto newline = find_in(buffer, 0, k_last, [](char c) { return c == '\n'; })) {
    line_end = *newline;
  } else {
    const auto start = find_in(buffer, 2, k_last, [](char c) { return !is_blank(c); });
    if (!start) {
      return fail(make_error(Errc::malformed, path, "the #! line names no interpreter"));
    }
    // Without a newline the kernel accepts the line only if the interpreter
    // path visibly ends inside the buffer; otherwise it may be truncated.
    if (!find_in(buffer, *start, k_last, ends_word)) {
      return fail(make_error(
          Errc::malformed, path,
          fmt::format("the #! line is too long: Linux looks at only the first {} bytes of a "
                      "script, and they cut off the interpreter path",
                      k_binprm_buf_size)));
    }
    line_end = k_last;
  }
  while (line_end > 2 && is_blank(buffer[line_end - 1])) {
    --line_end;
  }

  const auto name_start = find_in(buffer, 2, line_end, [](char c) { return !is_blank(c); });
  if (!name_start || *name_start == line_end) {
    return fail(make_error(Errc::malformed, path, "the #! line names no interpreter"));
  }

  Shebang shebang;
  const auto separator = find_in(buffer, *name_start, line_end, ends_word);
  const std::size_t name_end = separator ? *separator : line_end;
  shebang.interpreter = c_string(buffer, *name_start, name_end);
  if (shebang.interpreter.empty()) {
    // "#!" then NUL: the kernel would try to open "" and fail with ENOENT.
    return fail(make_error(Errc::malformed, path, "the #! line names no interpreter"));
  }
  if (separator && buffer[*separator] != '\0') {
    if (const auto arg_start =
            find_in(buffer, *separator, line_end, [](char c) { return !is_blank(c); });
        arg_start && *arg_start < line_end) {
      shebang.argument = c_string(buffer, *arg_start, line_end);
    }
  }
  return shebang;
}

} // namespace sealexec
