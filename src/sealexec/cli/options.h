// A small declarative command-line parser. sealexec used CLI11 first, but
// every program that includes CLI11 pays for <iostream>'s static
// initialisation and for building CLI11's option objects at start-up: about
// 0.15 ms, more than a tenth of a whole `sealexec run hello` (ARCHITECTURE.md).
#pragma once

#include "sealexec/util/error.h"

#include <array>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sealexec::cli {

struct OptionSpec {
  std::string_view long_name;  // "--sha256"
  std::string_view short_name; // "-v", or empty
  std::string_view value_name; // "HEX"; empty for a flag
  std::string_view help;
  [[nodiscard]] bool takes_value() const { return !value_name.empty(); }
};

// Two option tables as one, for options several commands share.
template <std::size_t N, std::size_t M>
[[nodiscard]] constexpr std::array<OptionSpec, N + M> join_options(
    const std::array<OptionSpec, N>& first, const std::array<OptionSpec, M>& second) {
  std::array<OptionSpec, N + M> joined{};
  for (std::size_t i = 0; i < N; ++i) {
    joined[i] = first[i];
  }
  for (std::size_t i = 0; i < M; ++i) {
    joined[N + i] = second[i];
  }
  return joined;
}

// Whether the command runs another program: then everything from the first
// non-option argument on (or after "--") is that program's, never ours.
enum class Operands { files, program };

class ParsedOptions {
public:
  [[nodiscard]] bool has(std::string_view long_name) const;
  // The value of an option that takes one; the last one given wins.
  [[nodiscard]] std::optional<std::string> value(std::string_view long_name) const;
  // Every value of an option given more than once, in order.
  [[nodiscard]] std::vector<std::string> values(std::string_view long_name) const;
  // Non-option arguments: files, or PROGRAM and its arguments.
  [[nodiscard]] const std::vector<std::string>& operands() const { return m_operands; }

  // Options of `earlier` and then of this (which win), with this object's
  // operands: for commands whose options may come before and after a word.
  [[nodiscard]] ParsedOptions after(const ParsedOptions& earlier) const;

private:
  friend Expected<ParsedOptions> parse_options(std::span<const OptionSpec>,
                                               std::span<char* const>, Operands);
  std::vector<std::pair<std::string_view, std::string>> m_given; // long name, value
  std::vector<std::string> m_operands;
};

// Parses `args` (without the command name) against `specs`. Accepts
// "--name value", "--name=value", "-v" and "--". Errors (Errc::invalid_argument)
// name the offending argument.
[[nodiscard]] Expected<ParsedOptions> parse_options(std::span<const OptionSpec> specs,
                                                    std::span<char* const> args,
                                                    Operands operands);

// Whether `arg` ("--lang", "--lang=c", "-v") names one of `specs`.
[[nodiscard]] bool is_known_option(std::span<const OptionSpec> specs, std::string_view arg);

// The "Options:" block of a help text, aligned.
[[nodiscard]] std::string format_options(std::span<const OptionSpec> specs);

} // namespace sealexec::cli
