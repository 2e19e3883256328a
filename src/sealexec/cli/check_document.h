// The pieces of `sealexec check --json`'s document (docs/check-json.md) that
// the CLI streams out as the scan goes and that the C API's
// sealexec_check_file returns whole: the entry of each scanned file, and the
// summary that counts them.
#pragma once

#include "sealexec/audit/culprits.h"
#include "sealexec/audit/file_report.h"
#include "sealexec/audit/scan.h"

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sealexec::cli {

// What comes before the first entry, and between entries.
inline constexpr std::string_view k_check_json_begin = "{\"sealexec_check\":1,\"files\":[";

// The counts a check run ends with.
class CheckTally {
public:
  // Counts `item` and returns the culprits of its closure (none without one).
  std::vector<audit::Culprit> add(const audit::ScanItem& item);

  [[nodiscard]] std::size_t checked() const { return m_checked; }
  [[nodiscard]] std::size_t errors() const { return m_errors; }
  [[nodiscard]] std::size_t closure_culprits() const { return m_closure_culprits; }
  [[nodiscard]] const std::map<audit::Finding, std::size_t>& counts() const { return m_counts; }

  // The document's end: "\n],"summary":{...}}\n". `glibc` is given with
  // --deps (and only then): the checked system's glibc, if one was found.
  [[nodiscard]] std::string json_end(const std::optional<std::optional<std::string>>& glibc) const;

private:
  std::size_t m_checked = 0;
  std::size_t m_errors = 0;
  std::size_t m_closure_culprits = 0;
  std::map<audit::Finding, std::size_t> m_counts;
};

// The JSON entry of `item` (its report with its closure, or its error), with
// the separator that goes before it ("\n" first, ",\n" after).
[[nodiscard]] std::string json_entry(const audit::ScanItem& item, bool first);

// The whole document of `sealexec check --json [--deps] PATHS...` on this
// machine, as one string; an error only when the machine's own loader
// configuration cannot be read (what makes the CLI exit 2 before any output).
[[nodiscard]] Expected<std::string> check_json_document(const std::vector<std::string>& paths, bool deps);

} // namespace sealexec::cli
