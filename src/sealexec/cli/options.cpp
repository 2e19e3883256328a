#include "sealexec/cli/options.h"

#include <fmt/format.h>

#include <algorithm>

namespace sealexec::cli {

namespace {

const OptionSpec* find_spec(std::span<const OptionSpec> specs, std::string_view name) {
  const auto found = std::ranges::find_if(specs, [name](const OptionSpec& spec) {
    return spec.long_name == name || (!spec.short_name.empty() && spec.short_name == name);
  });
  return found == specs.end() ? nullptr : &*found;
}

Error usage_error(std::string reason) {
  return make_error(Errc::invalid_argument, "", std::move(reason));
}

} // namespace

bool ParsedOptions::has(std::string_view long_name) const {
  return std::ranges::any_of(m_given, [long_name](const auto& g) { return g.first == long_name; });
}

std::optional<std::string> ParsedOptions::value(std::string_view long_name) const {
  for (auto it = m_given.rbegin(); it != m_given.rend(); ++it) {
    if (it->first == long_name) {
      return it->second;
    }
  }
  return std::nullopt;
}

std::vector<std::string> ParsedOptions::values(std::string_view long_name) const {
  std::vector<std::string> found;
  for (const auto& [name, value] : m_given) {
    if (name == long_name) {
      found.push_back(value);
    }
  }
  return found;
}

bool is_known_option(std::span<const OptionSpec> specs, std::string_view arg) {
  const std::size_t equals = arg.starts_with("--") ? arg.find('=') : std::string_view::npos;
  return find_spec(specs, arg.substr(0, equals)) != nullptr;
}

ParsedOptions ParsedOptions::after(const ParsedOptions& earlier) const {
  ParsedOptions combined = earlier;
  combined.m_given.insert(combined.m_given.end(), m_given.begin(), m_given.end());
  combined.m_operands = m_operands;
  return combined;
}

Expected<ParsedOptions> parse_options(std::span<const OptionSpec> specs,
                                      std::span<char* const> args, Operands operands) {
  ParsedOptions parsed;
  bool options_ended = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view arg = args[i];
    const bool looks_like_option = !options_ended && arg.size() > 1 && arg[0] == '-';
    if (!looks_like_option) {
      parsed.m_operands.emplace_back(arg);
      if (operands == Operands::program) {
        // The rest belongs to the program, options and "--" included.
        parsed.m_operands.insert(parsed.m_operands.end(), args.begin() + static_cast<long>(i) + 1,
                                 args.end());
        break;
      }
      continue;
    }
    if (arg == "--") {
      options_ended = true;
      continue;
    }
    const std::size_t equals = arg.starts_with("--") ? arg.find('=') : std::string_view::npos;
    const std::string_view name = arg.substr(0, equals);
    const OptionSpec* spec = find_spec(specs, name);
    if (spec == nullptr) {
      return fail(usage_error(fmt::format("unknown option {}", name)));
    }
    if (!spec->takes_value()) {
      if (equals != std::string_view::npos) {
        return fail(usage_error(fmt::format("{} takes no value", spec->long_name)));
      }
      parsed.m_given.emplace_back(spec->long_name, std::string());
      continue;
    }
    if (equals != std::string_view::npos) {
      parsed.m_given.emplace_back(spec->long_name, std::string(arg.substr(equals + 1)));
    } else if (i + 1 < args.size()) {
      parsed.m_given.emplace_back(spec->long_name, std::string(args[++i]));
    } else {
      return fail(usage_error(fmt::format("{} needs a value ({})", spec->long_name,
                                          spec->value_name)));
    }
  }
  return parsed;
}

std::string format_options(std::span<const OptionSpec> specs) {
  std::vector<std::string> left;
  std::size_t width = 0;
  for (const OptionSpec& spec : specs) {
    std::string text = spec.short_name.empty()
                           ? fmt::format("    {}", spec.long_name)
                           : fmt::format("{}, {}", spec.short_name, spec.long_name);
    if (spec.takes_value()) {
      text += fmt::format(" {}", spec.value_name);
    }
    width = std::max(width, text.size());
    left.push_back(std::move(text));
  }
  std::string out = "Options:\n";
  for (std::size_t i = 0; i < specs.size(); ++i) {
    out += fmt::format("  {:<{}}  {}\n", left[i], width, specs[i].help);
  }
  return out;
}

} // namespace sealexec::cli
