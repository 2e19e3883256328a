// `sealexec check --sarif`: the scan as one SARIF 2.1.0 log, the format CI
// code-scanning systems (GitHub code scanning among them) read. The mapping of
// findings to rules, levels and locations is in docs/check-sarif.md.
//
// The log is built in memory while the scan streams, and printed once at the
// end: SARIF puts the rules and the invocation (with its errors) around the
// results, so nothing can be printed before the scan is over.
#pragma once

#include "sealexec/audit/closure.h"
#include "sealexec/audit/file_report.h"
#include "sealexec/util/error.h"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace sealexec::cli {

// `path` as a URI reference that decodes to exactly its bytes: every byte but
// the unreserved ones (RFC 3986: ALPHA DIGIT - . _ ~) and '/' is
// percent-encoded (so a ':' in a first segment cannot pass for a scheme, and
// '%', '#', '?', spaces, newlines and bytes that are not UTF-8 all survive).
// An absolute path becomes a file:// URI; a relative one stays relative.
[[nodiscard]] std::string sarif_uri(std::string_view path);

class SarifLog {
public:
  // `working_directory` is what relative paths are relative to (nullopt when
  // it could not be found; relative URIs then carry no base).
  explicit SarifLog(std::optional<std::string> working_directory);

  // The files checked are another system's (check --root, --image): every
  // path is absolute inside it, so it becomes a reference relative to the
  // base id "ROOTFS", whose URI is `root_directory` (the --root directory on
  // this machine) or, for an image that has no place on disk, left out.
  void set_system_root(std::optional<std::string> root_directory, std::string description);

  // One result per finding of `report`.
  void add_report(const audit::FileReport& report);
  // One result per culprit of `closure` (the closure of the program at
  // `closure.objects[0]`), at the culprit's path, with the chain of objects
  // that loaded it.
  void add_closure(const audit::Closure& closure);
  // A file that could not be checked: a toolExecutionNotification (and the
  // run is then not successful).
  void add_error(std::string_view path, const Error& error);

  // The whole log. Strings are raw here; print it with json_text (output.h),
  // which makes every message valid UTF-8 the way the JSON output is.
  [[nodiscard]] nlohmann::json document() const;

private:
  // A physicalLocation for `path`.
  [[nodiscard]] nlohmann::json location(std::string_view path) const;
  void add_result(std::size_t rule, std::string_view path, std::string message,
                  nlohmann::json extra);

  std::optional<std::string> m_working_directory;
  bool m_system = false;                     // paths are inside another system
  std::optional<std::string> m_system_root;  // where that system lies here, if anywhere
  std::string m_system_description;
  nlohmann::json m_results = nlohmann::json::array();
  nlohmann::json m_notifications = nlohmann::json::array();
};

} // namespace sealexec::cli
