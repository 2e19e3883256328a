#include "sealexec/exec/origin.h"

#include "sealexec/audit/loader_config.h"
#include "sealexec/elf/elf_file.h"
#include "sealexec/image/image_source.h"

#include <elf.h>
#include <fmt/format.h>


namespace sealexec {

namespace {

// The non-empty ':'-separated entries of a DT_RPATH/DT_RUNPATH value. (Empty
// ones mean "." to ld.so; they stay in the program's own search path.)
std::vector<std::string_view> split_entries(std::string_view text) {
  std::vector<std::string_view> entries;
  while (!text.empty()) {
    const std::size_t colon = text.find(':');
    if (const std::string_view entry = text.substr(0, colon); !entry.empty()) {
      entries.push_back(entry);
    }
    text = colon == std::string_view::npos ? std::string_view() : text.substr(colon + 1);
  }
  return entries;
}

} // namespace

Expected<OriginPlan> plan_origin(const SealedImage& image,
                                 const std::optional<std::filesystem::path>& origin,
                                 std::optional<std::string_view> current_library_path) {
  OriginPlan plan;
  if (image.kind() != ImageKind::elf) {
    return plan;
  }
  const ImageSource source(image);
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
  plan.uses_origin = audit::mentions_token(plan.search_path, "ORIGIN");
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
  // $LIB and $PLATFORM stay for ld.so, which expands them in
  // LD_LIBRARY_PATH too.
  std::string added;
  for (const std::string_view entry : split_entries(plan.search_path)) {
    added += added.empty() ? "" : ":";
    added += *audit::expand_tokens(entry, {.origin = origin_text}, audit::MissingToken::keep);
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
