#include "sealexec/audit/file_report.h"

#include <elf.h>

#include <algorithm>
#include <array>

namespace sealexec::audit {

namespace {

struct FindingName {
  Finding finding;
  std::string_view name;
};

constexpr std::array k_finding_names{
    FindingName{Finding::execstack, "execstack"},
    FindingName{Finding::wx, "wx"},
    FindingName{Finding::textrel, "textrel"},
    FindingName{Finding::no_relro, "no-relro"},
    FindingName{Finding::partial_relro, "partial-relro"},
    FindingName{Finding::no_pie, "no-pie"},
    FindingName{Finding::no_ibt, "no-ibt"},
    FindingName{Finding::no_shstk, "no-shstk"},
    FindingName{Finding::no_bti, "no-bti"},
    FindingName{Finding::duplicate_gnu_stack, "duplicate-gnu-stack"},
};

constexpr std::array k_all_findings = [] {
  std::array<Finding, k_finding_names.size()> all{};
  for (std::size_t i = 0; i < all.size(); ++i) {
    all[i] = k_finding_names[i].finding;
  }
  return all;
}();

// Loaded by the kernel or ld.so, so RELRO and CET/BTI matter. EM_NONE
// files (Guile's .go) are ET_DYN that neither ever loads.
bool is_dynamic_object(const FileReport& report) {
  return report.kind != ObjectKind::relocatable && report.kind != ObjectKind::core &&
         report.kind != ObjectKind::other && report.header.machine != EM_NONE;
}

} // namespace

std::string_view finding_name(Finding finding) {
  const auto* found = std::ranges::find(k_finding_names, finding, &FindingName::finding);
  return found == k_finding_names.end() ? "unknown" : found->name;
}

std::optional<Finding> parse_finding(std::string_view name) {
  const auto* found = std::ranges::find(k_finding_names, name, &FindingName::name);
  if (found == k_finding_names.end()) {
    return std::nullopt;
  }
  return found->finding;
}

std::span<const Finding> all_findings() { return k_all_findings; }

bool FileReport::has(Finding finding) const {
  const bool x86 = header.machine == EM_X86_64 || header.machine == EM_386;
  switch (finding) {
  case Finding::execstack:
    return ldso_exec_stack || kernel_exec_stack.value_or(false);
  case Finding::wx:
    return !wx_segments.empty();
  case Finding::textrel:
    return dynamic.textrel();
  case Finding::no_relro:
    return is_dynamic_object(*this) && relro == Relro::none;
  case Finding::partial_relro:
    return is_dynamic_object(*this) && relro == Relro::partial;
  case Finding::no_pie:
    return kind == ObjectKind::executable;
  case Finding::no_ibt:
    return x86 && is_dynamic_object(*this) && !properties.ibt();
  case Finding::no_shstk:
    return x86 && is_dynamic_object(*this) && !properties.shstk();
  case Finding::no_bti:
    return header.machine == EM_AARCH64 && is_dynamic_object(*this) && !properties.bti();
  case Finding::duplicate_gnu_stack:
    return gnu_stack_count > 1;
  }
  return false;
}

std::vector<Finding> FileReport::findings() const {
  std::vector<Finding> present;
  std::ranges::copy_if(k_all_findings, std::back_inserter(present),
                       [this](Finding f) { return has(f); });
  return present;
}

} // namespace sealexec::audit
