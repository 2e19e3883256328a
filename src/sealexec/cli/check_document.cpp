#include "sealexec/cli/check_document.h"

#include "sealexec/audit/glibc_version.h"
#include "sealexec/cli/check_output.h"
#include "sealexec/cli/check_target.h"
#include "sealexec/cli/output.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cstdlib>

namespace sealexec::cli {

std::vector<audit::Culprit> CheckTally::add(const audit::ScanItem& item) {
  if (!item.report) {
    ++m_errors;
    return {};
  }
  ++m_checked;
  for (const audit::Finding finding : item.report->findings()) {
    ++m_counts[finding];
  }
  if (!item.closure) {
    return {};
  }
  if (!*item.closure) {
    ++m_errors;
    return {};
  }
  std::vector<audit::Culprit> culprits = audit::find_culprits(**item.closure);
  m_closure_culprits += culprits.size();
  return culprits;
}

std::string CheckTally::json_end(const std::optional<std::optional<std::string>>& glibc) const {
  nlohmann::json totals = nlohmann::json::object();
  for (const audit::Finding finding : audit::all_findings()) {
    const auto found = m_counts.find(finding);
    totals[std::string(audit::finding_name(finding))] = found != m_counts.end() ? found->second : 0;
  }
  nlohmann::json summary = {{"checked", m_checked},
                            {"errors", m_errors},
                            {"findings", totals},
                            {"closure_culprits", m_closure_culprits}};
  if (glibc) {
    summary["glibc"] = *glibc ? nlohmann::json(**glibc) : nlohmann::json();
  }
  return fmt::format("\n],\"summary\":{}}}\n", json_text(std::move(summary)));
}

std::string json_entry(const audit::ScanItem& item, bool first) {
  std::string entry(first ? "\n" : ",\n");
  if (!item.report) {
    entry += json_text({{"path", item.path}, {"error", item.report.error().message()}});
    return entry;
  }
  append_report_json(entry, *item.report,
                     item.closure && *item.closure ? &**item.closure : nullptr);
  return entry;
}

Expected<std::string> check_json_document(const std::vector<std::string>& paths, bool deps) {
  audit::ScanOptions options;
  options.deps = deps;
  SEALEXEC_TRY_ASSIGN(const CheckTarget target, CheckTarget::host(deps));
  options.tree = target.tree();
  options.cache = target.cache();
  std::string document(k_check_json_begin);
  CheckTally tally;
  bool first = true;
  if (const char* library_path = std::getenv("LD_LIBRARY_PATH")) {
    options.ld_library_path = library_path;
  }
  audit::scan(paths, options, [&](audit::ScanItem&& item) {
    tally.add(item);
    document += json_entry(item, first);
    first = false;
  });
  std::optional<std::optional<std::string>> glibc;
  if (deps) {
    glibc.emplace(audit::glibc_version(options.tree != nullptr ? *options.tree : audit::host_tree()));
  }
  document += tally.json_end(glibc);
  return document;
}

} // namespace sealexec::cli
