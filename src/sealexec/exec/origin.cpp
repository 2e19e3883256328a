#include "sealexec/exec/origin.h"

#include "sealexec/elf/byte_source.h"
#include "sealexec/elf/elf_file.h"

#include <elf.h>
#include <fmt/format.h>

#include <cctype>

namespace sealexec {

namespace {

// The length of an ORIGIN token at `text`, which starts right after a '$':
// "ORIGIN" not followed by an identifier character, or "{ORIGIN}". 0 if none.
std::size_t origin_token_length(std::string_view text) {
  constexpr std::string_view k_plain = "ORIGIN";
  constexpr std::string_view k_braced = "{ORIGIN}";
  if (text.starts_with(k_braced)) {
    return k_braced.size();
  }
  if (text.starts_with(k_plain)) {
    const bool continues = text.size() > k_plain.size() &&
                           (std::isalnum(static_cast<unsigned char>(text[k_plain.size()])) != 0 ||
                            text[k_plain.size()] == '_');
    return continues ? 0 : k_plain.size();
  }
  return 0;
}

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  for (;;) {
    const std::size_t at = text.find(separator);
    parts.push_back(text.substr(0, at));
    if (at == std::string_view::npos) {
      return parts;
    }
    text.remove_prefix(at + 1);
  }
}

} // namespace

std::string expand_origin(std::string_view entry, std::string_view origin) {
  std::string expanded;
  for (std::size_t i = 0; i < entry.size(); ++i) {
    if (entry[i] == '$') {
      if (const std::size_t length = origin_token_length(entry.substr(i + 1)); length > 0) {
        expanded += origin;
        i += length;
        continue;
      }
    }
    expanded += entry[i];
  }
  return expanded;
}

bool mentions_origin(std::string_view entry) {
  for (std::size_t i = 0; i < entry.size(); ++i) {
    if (entry[i] == '$' && origin_token_length(entry.substr(i + 1)) > 0) {
      return true;
    }
  }
  return false;
}

Expected<OriginPlan> plan_origin(const SealedImage& image,
                                 const std::optional<std::filesystem::path>& origin,
                                 std::optional<std::string_view> current_library_path) {
  OriginPlan plan;
  if (image.kind() != ImageKind::elf) {
    return plan;
  }
  const SpanSource source(image.bytes(), image.source());
  SEALEXEC_TRY_ASSIGN(const elf::ElfFile file, elf::ElfFile::read(source));
  SEALEXEC_TRY_ASSIGN(const std::vector<elf::DynamicEntry> entries, file.dynamic_entries());

  // ld.so ignores DT_RPATH when DT_RUNPATH is present.
  std::optional<std::uint64_t> runpath;
  std::optional<std::uint64_t> rpath;
  for (const elf::DynamicEntry& entry : entries) {
    if (entry.tag == DT_RUNPATH) {
      runpath = entry.value;
    } else if (entry.tag == DT_RPATH) {
      rpath = entry.value;
    }
  }
  const bool is_runpath = runpath.has_value();
  const std::optional<std::uint64_t> string_offset = is_runpath ? runpath : rpath;
  if (!string_offset) {
    return plan;
  }
  SEALEXEC_TRY_ASSIGN(plan.search_path, file.dynamic_string(entries, *string_offset));
  plan.uses_origin = mentions_origin(plan.search_path);
  if (!plan.uses_origin) {
    return plan;
  }
  const char* tag = is_runpath ? "RUNPATH" : "RPATH";
  if (!origin) {
    plan.warnings.push_back(fmt::format(
        "its {} '{}' uses $ORIGIN, but a program that does not come from a file has no origin, "
        "so ld.so will expand $ORIGIN to /; pass --origin DIR",
        tag, plan.search_path));
    return plan;
  }
  const std::string origin_text = origin->string();
  if (origin_text.find_first_of(":;") != std::string::npos) {
    plan.warnings.push_back(fmt::format(
        "its {} uses $ORIGIN, but its directory '{}' contains ':' or ';', which LD_LIBRARY_PATH "
        "cannot express; $ORIGIN will expand to /",
        tag, origin_text));
    return plan;
  }

  // Every entry is copied, not only the $ORIGIN ones, so that their relative
  // order stays what the file asked for.
  std::string added;
  for (const std::string_view entry : split(plan.search_path, ':')) {
    if (entry.empty()) {
      continue;
    }
    added += added.empty() ? "" : ":";
    added += expand_origin(entry, origin_text);
  }
  const std::string_view current = current_library_path.value_or("");
  if (current.empty()) {
    plan.library_path = added;
  } else if (is_runpath) {
    plan.library_path = fmt::format("{}:{}", current, added);
  } else {
    plan.library_path = fmt::format("{}:{}", added, current);
  }
  return plan;
}

} // namespace sealexec
