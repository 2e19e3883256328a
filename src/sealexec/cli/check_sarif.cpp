#include "sealexec/cli/check_sarif.h"

#include "sealexec/audit/culprits.h"
#include "sealexec/cli/check_output.h"
#include "sealexec/version.h"

#include <fmt/format.h>

#include <array>
#include <utility>
#include <vector>

namespace sealexec::cli {

namespace {

using audit::Finding;

// The base id GitHub code scanning and CodeQL use for the checkout root: a
// relative URI is resolved against it (docs/check-sarif.md).
constexpr std::string_view k_srcroot = "%SRCROOT%";
constexpr std::string_view k_rootfs = "ROOTFS";

// The sources' docs; there is no web site to point helpUri at, and SARIF
// forbids a relative helpUri, so help.text names them instead.
constexpr std::string_view k_docs =
    "Documentation: docs/check.md and docs/check-sarif.md in the sealexec sources.";

struct RuleText {
  std::string_view id;
  std::string_view name; // PascalCase, as SARIF viewers show rule names
  std::string_view level;
  std::string_view security_severity; // GitHub's 0.0-10.0 scale
  std::string_view short_description;
  std::string_view full_description;
  std::string_view remedy;
};

// Levels: error for what makes a hardened system refuse the program or hands
// an attacker writable code (execstack, wx, every culprit); warning for the
// hardening that is missing but commonly on (TEXTREL, RELRO, PIE) and for a
// header that hides what the file asks for; note for what is opt-in today
// (lazy binding, CET, BTI).
constexpr std::array k_finding_rules{
    RuleText{"execstack", "ExecutableStack", "error", "7.0",
             "The process gets an executable stack.",
             "The kernel (for a program) or ld.so (for any object it loads) makes the stack "
             "executable because of this file's PT_GNU_STACK header, or because it has none. "
             "Code injected on the stack can then run; SELinux (execstack denied) and "
             "glibc >= 2.41's dlopen refuse such objects.",
             "Run 'sealexec fix --clear-execstack FILE', or relink with -Wl,-z,noexecstack "
             "(assembly sources need a .note.GNU-stack section)."},
    RuleText{"wx", "WritableExecutableSegment", "error", "7.0",
             "A PT_LOAD segment is both writable and executable.",
             "A segment mapped writable and executable breaks W^X: anything that can write to "
             "it can write code. SELinux (execmod/execmem) and other hardened systems refuse "
             "to map it.",
             "Relink so that code and data are in separate segments: drop -N/--omagic and "
             "linker scripts that merge .text and .data."},
    RuleText{"textrel", "TextRelocations", "warning", "5.0",
             "The object has text relocations.",
             "DT_TEXTREL or DF_TEXTREL: ld.so must make code pages writable to relocate them, "
             "which breaks W^X while it does, and SELinux denies it (execmod).",
             "Rebuild every object linked into it with -fPIC (or -fPIE for programs)."},
    RuleText{"no-relro", "NoRelro", "warning", "4.0", "The object has no RELRO.",
             "Without PT_GNU_RELRO the GOT and other data ld.so only writes at start-up stay "
             "writable for the life of the process.",
             "Link with -Wl,-z,relro,-z,now."},
    RuleText{"partial-relro", "PartialRelro", "note", "2.0",
             "The object has only partial RELRO (lazy binding).",
             "PT_GNU_RELRO without immediate binding: the part of the GOT used for lazy "
             "binding stays writable.",
             "Link with -Wl,-z,now as well as -Wl,-z,relro."},
    RuleText{"no-pie", "NotPositionIndependent", "warning", "4.0",
             "The program is not position-independent.",
             "An ET_EXEC program is loaded at a fixed address, so ASLR cannot move its code "
             "and data.",
             "Build it with -fPIE and link with -pie."},
    RuleText{"no-ibt", "NoIndirectBranchTracking", "note", "2.0",
             "The object is not built for x86 indirect branch tracking (CET IBT).",
             "Its GNU_PROPERTY_X86_FEATURE_1_AND lacks IBT, so a process that loads it cannot "
             "enforce indirect branch tracking.",
             "Build every object in it with -fcf-protection=full (or =branch)."},
    RuleText{"no-shstk", "NoShadowStack", "note", "2.0",
             "The object is not built for x86 shadow stacks (CET SHSTK).",
             "Its GNU_PROPERTY_X86_FEATURE_1_AND lacks SHSTK, so a process that loads it cannot "
             "enable shadow stacks.",
             "Build every object in it with -fcf-protection=full (or =return)."},
    RuleText{"no-bti", "NoBranchTargetIdentification", "note", "2.0",
             "The object is not built for AArch64 branch target identification.",
             "Its GNU_PROPERTY_AARCH64_FEATURE_1_AND lacks BTI, so its pages cannot be mapped "
             "as guarded.",
             "Build every object in it with -mbranch-protection=standard."},
    RuleText{"duplicate-gnu-stack", "DuplicateGnuStack", "warning", "3.0",
             "The object has more than one PT_GNU_STACK header.",
             "The kernel and ld.so obey only the last PT_GNU_STACK header; tools that read the "
             "first one report a stack other than the one the process gets.",
             "Relink it, or fix the tool that added a second header."},
};

constexpr std::array k_culprit_rules{
    RuleText{"culprit-execstack", "CulpritExecutableStack", "error", "7.0",
             "An object in a program's dependency closure needs an executable stack.",
             "ld.so loads this object for the program and, because of its PT_GNU_STACK "
             "header (or its lack of one), makes the whole process's stack executable, or "
             "fails to load it where that is denied (SELinux, glibc >= 2.41's dlopen).",
             "Run 'sealexec fix --clear-execstack FILE' on the object, or relink it with "
             "-Wl,-z,noexecstack."},
    RuleText{"culprit-wx", "CulpritWritableExecutableSegment", "error", "7.0",
             "An object in a program's dependency closure has a writable and executable "
             "segment.",
             "ld.so maps a segment of this object writable and executable for the program, "
             "which breaks W^X for the whole process; hardened systems refuse to map it.",
             "Relink the object so that no segment is both writable and executable."},
    RuleText{"culprit-unloadable", "CulpritUnloadable", "error", "",
             "An object in a program's dependency closure cannot be loaded.",
             "ld.so finds a file for one of the program's dependencies (or its interpreter) "
             "that it cannot load: not ELF, damaged, for another machine, or unreadable. The "
             "program does not start anywhere.",
             "Replace the file with a valid ELF object for this machine, or remove it so that "
             "ld.so finds the right one."},
};

// For a finding added to audit later and not described here yet.
RuleText generic_rule(std::string_view id) {
  return RuleText{id, "", "warning", "", "A finding of sealexec check.",
                  "A finding of sealexec check (see docs/check.md).", "See docs/check.md."};
}

nlohmann::json rule_json(const RuleText& rule) {
  nlohmann::json properties = {{"tags", nlohmann::json::array({"security"})}};
  if (!rule.security_severity.empty()) {
    properties["security-severity"] = rule.security_severity;
  }
  nlohmann::json json = {
      {"id", rule.id},
      {"shortDescription", {{"text", rule.short_description}}},
      {"fullDescription", {{"text", rule.full_description}}},
      {"help", {{"text", fmt::format("{} Remedy: {} {}", rule.full_description, rule.remedy,
                                     k_docs)}}},
      {"defaultConfiguration", {{"level", rule.level}}},
      {"properties", std::move(properties)},
  };
  if (!rule.name.empty()) {
    json["name"] = rule.name;
  }
  return json;
}

// The rules in the order of driver.rules, so a rule's index is its ruleIndex:
// the findings in audit::all_findings() order, then the culprit rules.
const std::vector<RuleText>& rules() {
  static const std::vector<RuleText> all = [] {
    std::vector<RuleText> list;
    for (const Finding finding : audit::all_findings()) {
      const std::string_view id = audit::finding_name(finding);
      RuleText text = generic_rule(id);
      for (const RuleText& known : k_finding_rules) {
        if (known.id == id) {
          text = known;
        }
      }
      list.push_back(text);
    }
    list.insert(list.end(), k_culprit_rules.begin(), k_culprit_rules.end());
    return list;
  }();
  return all;
}

std::size_t rule_index(std::string_view id) {
  const auto& list = rules();
  for (std::size_t i = 0; i < list.size(); ++i) {
    if (list[i].id == id) {
      return i;
    }
  }
  return 0; // unreachable: every id asked for is in the list
}

bool is_unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
         c == '-' || c == '.' || c == '_' || c == '~';
}

std::string percent_encoded(std::string_view path) {
  static constexpr char k_hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(path.size());
  for (const char byte : path) {
    const auto c = static_cast<unsigned char>(byte);
    if (is_unreserved(c) || c == '/') {
      out += byte;
    } else {
      out += '%';
      out += k_hex[c >> 4];
      out += k_hex[c & 0xf];
    }
  }
  return out;
}

// The sentence a result of `finding` says about `report`.
std::string finding_message(Finding finding, const audit::FileReport& report) {
  const RuleText& rule = rules()[rule_index(audit::finding_name(finding))];
  switch (finding) {
  case Finding::execstack:
    // The remedy fix would really carry out on this file (or why not).
    return fmt::format("{} gets an executable stack: {}. Remedy: {}", report.path,
                       report.stack_reason, cli::execstack_remedy(report));
  case Finding::wx:
    return fmt::format("{}: program header{} {} {} writable and executable PT_LOAD. Remedy: {}",
                       report.path, report.wx_segments.size() == 1 ? "" : "s",
                       fmt::join(report.wx_segments, ", "),
                       report.wx_segments.size() == 1 ? "is a" : "are", rule.remedy);
  case Finding::duplicate_gnu_stack:
    return fmt::format("{} has {} PT_GNU_STACK headers; only the last counts. Remedy: {}",
                       report.path, report.gnu_stack_count, rule.remedy);
  default:
    break;
  }
  return fmt::format("{}: {} Remedy: {}", report.path, rule.short_description, rule.remedy);
}

std::string describe(const audit::ClosureObject& object) {
  return object.name == object.path ? object.path
                                    : fmt::format("{} => {}", object.name, object.path);
}

} // namespace

std::string sarif_uri(std::string_view path) {
  if (path.starts_with('/')) {
    return "file://" + percent_encoded(path);
  }
  return percent_encoded(path);
}

SarifLog::SarifLog(std::optional<std::string> working_directory)
    : m_working_directory(std::move(working_directory)) {}

void SarifLog::set_system_root(std::optional<std::string> root_directory,
                               std::string description) {
  m_system = true;
  m_system_root = std::move(root_directory);
  m_system_description = std::move(description);
}

nlohmann::json SarifLog::location(std::string_view path) const {
  if (m_system) {
    // "/usr/bin/ls" inside the system: "usr/bin/ls" against ROOTFS.
    while (path.starts_with('/')) {
      path.remove_prefix(1);
    }
    nlohmann::json artifact = {{"uri", sarif_uri(path)}, {"uriBaseId", k_rootfs}};
    return {{"physicalLocation", {{"artifactLocation", std::move(artifact)}}}};
  }
  nlohmann::json artifact = {{"uri", sarif_uri(path)}};
  // A uriBaseId is only allowed on a relative reference.
  if (!path.starts_with('/') && m_working_directory) {
    artifact["uriBaseId"] = k_srcroot;
  }
  return {{"physicalLocation", {{"artifactLocation", std::move(artifact)}}}};
}

void SarifLog::add_result(std::size_t rule, std::string_view path, std::string message,
                          nlohmann::json extra) {
  nlohmann::json result = {
      {"ruleId", rules()[rule].id},
      {"ruleIndex", rule},
      {"level", rules()[rule].level},
      {"message", {{"text", std::move(message)}}},
      {"locations", nlohmann::json::array({location(path)})},
  };
  if (extra.is_object()) {
    result.update(extra);
  }
  m_results.push_back(std::move(result));
}

void SarifLog::add_report(const audit::FileReport& report) {
  for (const Finding finding : report.findings()) {
    add_result(rule_index(audit::finding_name(finding)), report.path,
               finding_message(finding, report), nullptr);
  }
}

void SarifLog::add_closure(const audit::Closure& closure) {
  if (closure.objects.empty()) {
    return;
  }
  const audit::ClosureObject& program = closure.objects[0];
  for (const audit::Culprit& culprit : audit::find_culprits(closure)) {
    if (culprit.object >= closure.objects.size()) {
      continue;
    }
    const audit::ClosureObject& object = closure.objects[culprit.object];
    // An unloadable interpreter that is missing has no path: the program
    // is where the problem shows.
    const std::string& path = object.path.empty() ? program.path : object.path;

    // program -> ... -> culprit, following who first loaded each object.
    // The loader links form a tree rooted at the program; the bound keeps a
    // damaged closure from looping.
    std::vector<std::size_t> chain{culprit.object};
    while (chain.size() <= closure.objects.size()) {
      const auto& loader = closure.objects[chain.back()].loader;
      if (!loader || *loader >= closure.objects.size()) {
        break;
      }
      chain.push_back(*loader);
    }
    std::vector<std::string> names;
    nlohmann::json flow = nlohmann::json::array();
    for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
      const audit::ClosureObject& link = closure.objects[*it];
      names.push_back(link.name);
      nlohmann::json step = location(link.path.empty() ? program.path : link.path);
      step["message"] = {{"text", *it == 0 ? fmt::format("the program {}", link.path)
                                           : fmt::format("loads {}", describe(link))}};
      flow.push_back({{"location", std::move(step)}, {"nestingLevel", flow.size()}});
    }

    std::string message = fmt::format("{} {}, in the closure of {} ({}).", describe(object),
                                      culprit.problem, program.path,
                                      fmt::join(names, " -> "));
    nlohmann::json predictions = nlohmann::json::array();
    for (const audit::Prediction& prediction : culprit.predictions) {
      message += fmt::format(" {}: {}.", prediction.system, prediction.outcome);
      predictions.push_back({{"system", prediction.system}, {"outcome", prediction.outcome}});
    }
    message += fmt::format(" Remedy: {}.", culprit.remedy);

    nlohmann::json related = location(program.path);
    related["id"] = 1;
    related["message"] = {{"text", fmt::format("the program {}", program.path)}};
    nlohmann::json extra = {
        {"codeFlows",
         nlohmann::json::array(
             {{{"message", {{"text", fmt::format("how ld.so comes to load {} for {}",
                                                 object.name, program.path)}}},
               {"threadFlows", nlohmann::json::array({{{"locations", std::move(flow)}}})}}})},
        {"relatedLocations", nlohmann::json::array({std::move(related)})},
        {"properties",
         {{"program", program.path},
          {"chain", names},
          {"execstack", culprit.execstack},
          {"wx", culprit.wx},
          {"unloadable", culprit.unloadable},
          {"predictions", std::move(predictions)},
          {"remedy", culprit.remedy}}},
    };
    const std::string_view rule = culprit.unloadable ? "culprit-unloadable"
                                  : culprit.execstack ? "culprit-execstack"
                                                      : "culprit-wx";
    add_result(rule_index(rule), path, std::move(message), std::move(extra));
  }
}

void SarifLog::add_error(std::string_view path, const Error& error) {
  m_notifications.push_back({
      {"level", "error"},
      {"message", {{"text", error.message()}}},
      {"locations", nlohmann::json::array({location(path)})},
  });
}

nlohmann::json SarifLog::document() const {
  nlohmann::json rule_list = nlohmann::json::array();
  for (const RuleText& rule : rules()) {
    rule_list.push_back(rule_json(rule));
  }
  nlohmann::json invocation = {
      {"executionSuccessful", m_notifications.empty()},
      {"toolExecutionNotifications", m_notifications},
  };
  nlohmann::json run = {
      {"tool",
       {{"driver",
         {{"name", "sealexec"},
          {"version", k_version},
          {"semanticVersion", k_version},
          {"rules", std::move(rule_list)}}}}},
      {"invocations", nlohmann::json::array({std::move(invocation)})},
      {"results", m_results},
      {"columnKind", "unicodeCodePoints"},
  };
  if (m_working_directory) {
    // A base URI must end with '/'.
    std::string base = sarif_uri(*m_working_directory);
    if (!base.ends_with('/')) {
      base += '/';
    }
    run["originalUriBaseIds"] = {
        {k_srcroot,
         {{"uri", base},
          {"description", {{"text", "The directory sealexec check ran in."}}}}}};
    run["invocations"][0]["workingDirectory"] = {{"uri", base}};
  }
  if (m_system) {
    nlohmann::json rootfs = {{"description", {{"text", m_system_description}}}};
    if (m_system_root) {
      std::string base = sarif_uri(*m_system_root);
      if (!base.ends_with('/')) {
        base += '/';
      }
      rootfs["uri"] = base;
    }
    if (!run.contains("originalUriBaseIds")) {
      run["originalUriBaseIds"] = nlohmann::json::object();
    }
    run["originalUriBaseIds"][k_rootfs] = std::move(rootfs);
  }
  return {
      {"$schema", "https://json.schemastore.org/sarif-2.1.0.json"},
      {"version", "2.1.0"},
      {"runs", nlohmann::json::array({std::move(run)})},
  };
}

} // namespace sealexec::cli
