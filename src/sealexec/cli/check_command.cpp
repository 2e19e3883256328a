#include "sealexec/cli/check_command.h"

#include "sealexec/audit/glibc_version.h"
#include "sealexec/audit/scan.h"
#include "sealexec/cli/check_document.h"
#include "sealexec/cli/check_output.h"
#include "sealexec/cli/check_sarif.h"
#include "sealexec/cli/check_target.h"
#include "sealexec/cli/exit_codes.h"
#include "sealexec/cli/output.h"

#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <cstdio>
#include <map>
#include <set>

namespace sealexec::cli {

namespace {

constexpr OptionSpec k_check_options[] = {
    {"--recursive", "-R", "", "Scan directories; non-ELF files are skipped, links not followed"},
    {"--deps", "", "",
     "Resolve each program's dependencies as ld.so would and name the culprits"},
    {"--json", "", "", "Print one JSON document (keys in docs/check-json.md)"},
    {"--sarif", "", "", "Print one SARIF 2.1.0 log for code scanning (docs/check-sarif.md)"},
    {"--root", "", "DIR",
     "Check the system in DIR: PATHs inside it, its ld.so.cache and directories; nothing is run"},
    {"--image", "", "FILE",
     "Check a container image (docker-archive, OCI archive or layout; FILE:REF picks one) "
     "read from its archive: PATHs inside it; nothing is unpacked or run"},
    {"--fail-on", "", "LIST",
     "Exit 1 when any of these findings is present, e.g. execstack,wx,textrel"},
};

Expected<std::set<audit::Finding>> parse_fail_on(const std::optional<std::string>& list) {
  std::set<audit::Finding> findings;
  if (!list) {
    return findings;
  }
  std::string_view rest = *list;
  while (!rest.empty()) {
    const std::size_t comma = rest.find(',');
    const std::string_view name = rest.substr(0, comma);
    const auto finding = audit::parse_finding(name);
    if (!finding) {
      std::string known;
      for (const audit::Finding f : audit::all_findings()) {
        known += fmt::format("{}{}", known.empty() ? "" : ", ", audit::finding_name(f));
      }
      return fail(make_error(Errc::invalid_argument, "--fail-on",
                             fmt::format("unknown finding '{}' (known: {})", name, known)));
    }
    findings.insert(*finding);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
  }
  return findings;
}

void print(const std::string& text) {
  std::fwrite(text.data(), 1, text.size(), stdout);
}

// A progress line on a terminal, only once a scan has taken a second.
class Progress {
public:
  Progress() : m_enabled(::isatty(STDERR_FILENO) != 0) {}
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;
  ~Progress() {
    if (m_shown) {
      std::fputs("\r\033[K", stderr);
    }
  }
  void update(std::size_t files) {
    if (!m_enabled) {
      return;
    }
    const auto now = std::chrono::steady_clock::now();
    if (now - m_start < std::chrono::seconds(1) || now - m_last < std::chrono::milliseconds(200)) {
      return;
    }
    m_last = now;
    m_shown = true;
    std::fprintf(stderr, "\rsealexec: checked %zu files...", files);
  }

private:
  bool m_enabled;
  bool m_shown = false;
  std::chrono::steady_clock::time_point m_start = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point m_last{};
};

int check(const ParsedOptions& options) {
  auto fail_on = parse_fail_on(options.value("--fail-on"));
  if (!fail_on) {
    report(fail_on.error());
    return k_exit_check_error;
  }
  if (options.operands().empty()) {
    report(make_error(Errc::invalid_argument, "check", "no PATH given (see sealexec check --help)"));
    return k_exit_check_error;
  }
  const bool json = options.has("--json");
  if (json && options.has("--sarif")) {
    report(make_error(Errc::invalid_argument, "check", "--sarif and --json cannot be combined"));
    return k_exit_check_error;
  }
  // SARIF wraps the results in rules and the invocation: built, printed at the end.
  std::optional<SarifLog> sarif;
  if (options.has("--sarif")) {
    std::error_code ec;
    const auto cwd = std::filesystem::current_path(ec);
    sarif.emplace(ec ? std::nullopt : std::optional<std::string>(cwd.string()));
    if (const auto root = options.value("--root")) {
      const auto absolute = std::filesystem::absolute(*root, ec);
      sarif->set_system_root(ec ? std::nullopt : std::optional<std::string>(absolute.string()),
                             "The root file system checked (--root): paths are inside it.");
    } else if (const auto image = options.value("--image")) {
      sarif->set_system_root(std::nullopt,
                             "The container image checked (--image): paths are inside it.");
    }
  }
  const bool colour = !json && ::isatty(STDOUT_FILENO) != 0 && std::getenv("NO_COLOR") == nullptr;

  CheckTally tally;
  bool gate_tripped = false;
  bool first = true;
  Progress progress;

  audit::ScanOptions scan_options;
  scan_options.recursive = options.has("--recursive");
  scan_options.deps = options.has("--deps");
  const auto root = options.value("--root");
  const auto image = options.value("--image");
  if (root && image) {
    report(make_error(Errc::invalid_argument, "check", "--root and --image cannot be combined"));
    return k_exit_check_error;
  }
  auto target = root    ? CheckTarget::root(*root, scan_options.deps)
                : image ? CheckTarget::image(*image, scan_options.deps)
                        : CheckTarget::host(scan_options.deps);
  if (!target) {
    report(target.error());
    return k_exit_check_error;
  }
  for (const std::string& warning : target->warnings()) {
    warn(warning);
  }
  // After the target: an image that cannot be read is one line on stderr,
  // with nothing half-printed on stdout.
  if (json) {
    print(std::string(k_check_json_begin));
  } else if (!sarif) {
    print(text_header() + "\n");
  }
  scan_options.tree = target->tree();
  scan_options.cache = target->cache();
  // Another system's ld.so never sees this shell's LD_LIBRARY_PATH.
  if (const char* library_path = std::getenv("LD_LIBRARY_PATH");
      library_path && !root && !image) {
    scan_options.ld_library_path = library_path;
  }
  // Inside a root or an image every name is the system's own, from its "/".
  std::vector<std::string> operands(options.operands().begin(), options.operands().end());
  if (scan_options.tree != nullptr) {
    for (std::string& operand : operands) {
      operand = audit::absolute_path(*scan_options.tree, operand);
    }
  }
  audit::scan(
      operands, scan_options,
      [&](audit::ScanItem&& item) {
        const std::vector<audit::Culprit> culprits = tally.add(item);
        if (!item.report) {
          // Errors go to stderr in both modes, and into the JSON too.
          report(item.report.error());
          if (sarif) {
            sarif->add_error(item.path, item.report.error());
          }
          if (json) {
            print(json_entry(item, first));
            first = false;
          }
          return;
        }
        for (const audit::Finding finding : item.report->findings()) {
          gate_tripped = gate_tripped || fail_on->contains(finding);
        }
        // A culprit anywhere in the closure trips the gate for its finding.
        for (const audit::Culprit& culprit : culprits) {
          gate_tripped = gate_tripped ||
                         (culprit.execstack && fail_on->contains(audit::Finding::execstack)) ||
                         (culprit.wx && fail_on->contains(audit::Finding::wx));
        }
        if (item.closure && !*item.closure) {
          report(item.closure->error());
          if (sarif) {
            sarif->add_error(item.path, item.closure->error());
          }
        }
        if (sarif) {
          sarif->add_report(*item.report);
          if (item.closure && *item.closure) {
            sarif->add_closure(**item.closure);
          }
          return;
        }
        if (json) {
          print(json_entry(item, first));
          first = false;
          return;
        }
        print(text_row(*item.report, colour) + "\n");
        for (const std::string& note : text_notes(*item.report)) {
          print(note + "\n");
        }
        if (item.closure && *item.closure) {
          for (const std::string& line : text_closure(**item.closure, colour)) {
            print(line + "\n");
          }
        }
      },
      [&](std::size_t files) { progress.update(files); });

  // Which of the predictions apply: they differ between glibc <= 2.40 and 2.41.
  std::optional<std::string> glibc;
  if (scan_options.deps) {
    glibc = audit::glibc_version(scan_options.tree != nullptr ? *scan_options.tree
                                                              : audit::host_tree());
  }
  if (sarif) {
    print(json_text(sarif->document()) + "\n");
  } else if (json) {
    print(tally.json_end(scan_options.deps ? std::optional<std::optional<std::string>>(
                                                   std::in_place, glibc)
                                             : std::nullopt));
  } else {
    const std::size_t checked = tally.checked();
    std::string summary = fmt::format("{} ELF file{} checked", checked, checked == 1 ? "" : "s");
    for (const auto& [finding, count] : tally.counts()) {
      summary += fmt::format(", {} {}", count, audit::finding_name(finding));
    }
    if (options.has("--deps")) {
      summary += fmt::format(", {} culprit{} in dependency closures", tally.closure_culprits(),
                             tally.closure_culprits() == 1 ? "" : "s");
      summary += glibc ? fmt::format(" (the checked system has glibc {})", shown(*glibc))
                       : std::string(" (no glibc found in the checked system)");
    }
    if (tally.errors() > 0) {
      summary += fmt::format(", {} could not be checked", tally.errors());
    }
    print(summary + "\n");
  }
  std::fflush(stdout);
  if (tally.errors() > 0) {
    return k_exit_check_error;
  }
  return gate_tripped ? k_exit_findings : k_exit_ok;
}

} // namespace

const Command k_check_command{
    .name = "check",
    .summary = "Find which objects need an executable stack or break W^X, and say why.",
    .usage = "sealexec check [-R] [--deps] [--root DIR|--image FILE] [--json|--sarif] [--fail-on LIST] "
             "PATH...",
    .details = "Findings (for --fail-on): execstack, wx, textrel, no-relro, partial-relro, no-pie,\n"
               "no-ibt, no-shstk, no-bti, duplicate-gnu-stack.\n"
               "With --deps, a culprit anywhere in a program's closure counts for execstack and wx.\n"
               "--sarif: one result per finding and per culprit, errors as notifications\n"
               "(rules, levels and locations in docs/check-sarif.md).\n"
               "Exit codes: 0 checked (and no --fail-on finding present); 1 a --fail-on finding\n"
               "is present; 2 bad usage, or a file could not be read or is not valid ELF.",
    .options = k_check_options,
    .operands = Operands::files,
    .usage_exit_code = k_exit_check_error,
    .run = check,
};

} // namespace sealexec::cli
