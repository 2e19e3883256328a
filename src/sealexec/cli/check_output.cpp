#include "sealexec/cli/check_output.h"

#include "sealexec/cli/output.h"
#include "sealexec/elf/machine.h"

#include <fmt/format.h>

namespace sealexec::cli {

namespace {

using audit::Finding;
using audit::FileReport;
using audit::ObjectKind;
using audit::Relro;

std::string_view kind_name(ObjectKind kind) {
  switch (kind) {
  case ObjectKind::executable:
    return "exec";
  case ObjectKind::pie_executable:
    return "pie";
  case ObjectKind::shared_library:
    return "lib";
  case ObjectKind::relocatable:
    return "obj";
  case ObjectKind::core:
    return "core";
  case ObjectKind::other:
    break;
  }
  return "other";
}

std::string_view relro_name(Relro relro) {
  switch (relro) {
  case Relro::full:
    return "full";
  case Relro::partial:
    return "partial";
  case Relro::none:
    break;
  }
  return "none";
}

// Who makes the stack executable: "no", "ld.so", "kernel", "kernel+ld.so".
std::string execstack_cell(const FileReport& report) {
  const bool kernel = report.kernel_exec_stack.value_or(false);
  if (kernel && report.ldso_exec_stack) {
    return "kernel+ld.so";
  }
  if (kernel) {
    return "kernel";
  }
  return report.ldso_exec_stack ? "ld.so" : "no";
}

std::string cet_cell(const FileReport& report) {
  std::vector<std::string_view> parts;
  if (report.properties.ibt()) {
    parts.push_back("IBT");
  }
  if (report.properties.shstk()) {
    parts.push_back("SHSTK");
  }
  if (report.properties.bti()) {
    parts.push_back("BTI");
  }
  if (report.properties.pac()) {
    parts.push_back("PAC");
  }
  return parts.empty() ? "-" : fmt::format("{}", fmt::join(parts, ","));
}

// Pads to `width` first, so that colour codes do not break the alignment.
std::string cell(std::string_view text, std::size_t width, bool bad, bool colour) {
  std::string padded = fmt::format("{:<{}}", text, width);
  if (!colour || !bad) {
    return padded;
  }
  const std::size_t end = text.size();
  return fmt::format("\033[1;31m{}\033[0m{}", padded.substr(0, end), padded.substr(end));
}

constexpr std::size_t k_type = 6;
constexpr std::size_t k_stack = 14;
constexpr std::size_t k_flag = 9;
constexpr std::size_t k_relro = 9;
constexpr std::size_t k_cet = 11;

} // namespace

std::string text_header() {
  return fmt::format("{:<{}}{:<{}}{:<{}}{:<{}}{:<{}}{:<{}}{}", "TYPE", k_type, "EXECSTACK",
                     k_stack, "W^X", k_flag, "TEXTREL", k_flag, "RELRO", k_relro, "CET/BTI",
                     k_cet, "FILE");
}

std::string text_row(const FileReport& report, bool colour) {
  return fmt::format(
      "{}{}{}{}{}{}{}", cell(kind_name(report.kind), k_type, report.has(Finding::no_pie), colour),
      cell(execstack_cell(report), k_stack, report.has(Finding::execstack), colour),
      cell(report.has(Finding::wx) ? "yes" : "no", k_flag, report.has(Finding::wx), colour),
      cell(report.has(Finding::textrel) ? "yes" : "no", k_flag, report.has(Finding::textrel),
           colour),
      cell(relro_name(report.relro), k_relro,
           report.has(Finding::no_relro) || report.has(Finding::partial_relro), colour),
      cell(cet_cell(report), k_cet, false, colour), shown(report.path));
}

std::string execstack_remedy(const FileReport& report) {
  // The same decision fix acts on (report.stack_fix); only the wording of
  // the plain case differs from the culprit's, being a command to run.
  if (report.stack_fix == audit::StackFix::patch) {
    return fmt::format("run 'sealexec fix --clear-execstack {}', or relink it with "
                       "-Wl,-z,noexecstack",
                       report.path);
  }
  return audit::execstack_remedy(report, report.path);
}

namespace {

std::string_view stack_intent_name(audit::StackIntent intent) {
  switch (intent) {
  case audit::StackIntent::explicit_flag:
    return "pf_x";
  case audit::StackIntent::trampolines:
    return "trampolines";
  case audit::StackIntent::none:
    break;
  }
  return "none";
}

std::string_view stack_fix_name(audit::StackFix fix) {
  switch (fix) {
  case audit::StackFix::patch:
    return "fix";
  case audit::StackFix::needs_force:
    return "force";
  case audit::StackFix::relink_only:
    return "relink";
  case audit::StackFix::not_needed:
    break;
  }
  return "none";
}

} // namespace

std::vector<std::string> text_notes(const FileReport& report) {
  std::vector<std::string> notes;
  if (report.has(Finding::execstack)) {
    notes.push_back(fmt::format("  executable stack: {}", report.stack_reason));
    notes.push_back(fmt::format("  remedy: {}", execstack_remedy(report)));
  }
  for (const std::size_t index : report.wx_segments) {
    notes.push_back(fmt::format("  W^X: program header {} is a writable and executable PT_LOAD",
                                index));
  }
  for (const std::string& warning : report.warnings) {
    notes.push_back(fmt::format("  warning: {}", warning));
  }
  // The reason, the remedy and the warnings name files.
  for (std::string& note : notes) {
    note = shown(note);
  }
  return notes;
}

namespace {

std::string describe_object(const audit::ClosureObject& object) {
  if (object.via == audit::FoundVia::not_found) {
    return fmt::format("{} => not found", object.name);
  }
  if (object.name == object.path) {
    return object.path;
  }
  return fmt::format("{} => {}", object.name, object.path);
}

void tree_lines(const audit::Closure& closure, std::size_t index, const std::string& prefix,
                std::vector<bool>& expanded, std::vector<std::string>& lines) {
  const auto& children = closure.objects[index].children;
  for (std::size_t i = 0; i < children.size(); ++i) {
    const bool last = i + 1 == children.size();
    const std::size_t child = children[i];
    const auto& object = closure.objects[child];
    // The same name can reach an object loaded elsewhere; show it there.
    const bool loaded_here = object.loader == index && !expanded[child];
    std::string line = fmt::format("{}{}{}", prefix, last ? "└─ " : "├─ ", describe_object(object));
    if (!loaded_here && object.via != audit::FoundVia::not_found) {
      // ld.so loads breadth first, so by the time this object asks for it,
      // it has been loaded for the object it is shown under.
      line += " (already loaded)";
    } else if (object.report && !*object.report) {
      line += " (cannot be loaded)";
    }
    lines.push_back(shown(line)); // names from DT_NEEDED and the paths they led to
    if (loaded_here) {
      expanded[child] = true;
      tree_lines(closure, child, prefix + (last ? "   " : "│  "), expanded, lines);
    }
  }
}

} // namespace

std::vector<std::string> text_closure(const audit::Closure& closure, bool colour) {
  std::vector<std::string> lines;
  lines.push_back("  dependencies, as ld.so resolves them:");
  std::vector<bool> expanded(closure.objects.size(), false);
  expanded[0] = true;
  for (std::size_t i = 0; i < closure.objects.size(); ++i) {
    if (closure.objects[i].via == audit::FoundVia::interpreter) {
      const auto& report = closure.objects[i].report;
      lines.push_back(shown(fmt::format("  interpreter: {}{}", closure.objects[i].path,
                                        report && !*report ? " (cannot be used)" : "")));
      expanded[i] = true;
    }
  }
  tree_lines(closure, 0, "  ", expanded, lines);
  const auto culprits = audit::find_culprits(closure);
  if (culprits.empty()) {
    lines.push_back("  no object in the closure needs an executable stack or breaks W^X");
    return lines;
  }
  for (const audit::Culprit& culprit : culprits) {
    const auto& object = closure.objects[culprit.object];
    // Escaped before the colour is added: the colour's escape sequences are ours.
    lines.push_back(fmt::format("  {}culprit{}{}", colour ? "\033[1;31m" : "",
                                colour ? "\033[0m" : "",
                                shown(fmt::format(": {} {}", describe_object(object),
                                                  culprit.problem))));
    for (const audit::Prediction& prediction : culprit.predictions) {
      lines.push_back(shown(fmt::format("    {}: {}", prediction.system, prediction.outcome)));
    }
    if (!culprit.warning.empty()) {
      lines.push_back(shown(fmt::format("    warning: {}", culprit.warning)));
    }
    lines.push_back(shown(fmt::format("    remedy: {}", culprit.remedy)));
  }
  return lines;
}

namespace {

nlohmann::json glibc_2_41_json(const std::vector<audit::Glibc241Case>& cases) {
  const auto stack = [](std::optional<bool> executable) {
    return executable ? nlohmann::json(*executable ? "executable" : "not-executable")
                      : nlohmann::json();
  };
  const auto program_stack = [](std::optional<audit::Glibc241Case::ProgramStack> state) {
    using State = audit::Glibc241Case::ProgramStack;
    return !state                           ? nlohmann::json()
           : *state == State::executable     ? nlohmann::json("executable")
           : *state == State::not_executable ? nlohmann::json("not-executable")
                                             : nlohmann::json("no-gnu-stack");
  };
  nlohmann::json list = nlohmann::json::array();
  for (const audit::Glibc241Case& c : cases) {
    list.push_back({{"loaded", c.loaded == audit::Glibc241Case::Loaded::startup ? "startup"
                                                                               : "dlopen"},
                    {"program_stack", program_stack(c.program_stack)},
                    {"tunable", c.tunable},
                    {"outcome", c.refused ? "refused" : "allowed"},
                    {"stack", stack(c.stack_executable)}});
  }
  return list;
}

} // namespace

nlohmann::json closure_json(const audit::Closure& closure) {
  nlohmann::json objects = nlohmann::json::array();
  for (const audit::ClosureObject& object : closure.objects) {
    nlohmann::json entry = {
        {"name", object.name},
        {"path", object.via == audit::FoundVia::not_found ? nlohmann::json()
                                                           : nlohmann::json(object.path)},
        {"found_via", audit::found_via_name(object.via)},
        {"depth", object.depth},
        {"loader", object.loader ? nlohmann::json(*object.loader) : nlohmann::json()},
        {"needs", object.children},
    };
    if (object.report && *object.report) {
      nlohmann::json findings = nlohmann::json::array();
      for (const audit::Finding finding : (*object.report)->findings()) {
        findings.push_back(std::string(audit::finding_name(finding)));
      }
      entry["findings"] = findings;
      entry["ldso_executable_stack"] = (*object.report)->ldso_exec_stack;
    } else if (object.report) {
      entry["error"] = object.report->error().message();
    }
    objects.push_back(std::move(entry));
  }
  nlohmann::json culprits = nlohmann::json::array();
  for (const audit::Culprit& culprit : audit::find_culprits(closure)) {
    nlohmann::json predictions = nlohmann::json::array();
    for (const audit::Prediction& prediction : culprit.predictions) {
      predictions.push_back({{"system", prediction.system}, {"outcome", prediction.outcome}});
    }
    nlohmann::json entry = {{"object", culprit.object},
                            {"path", closure.objects[culprit.object].path},
                            {"execstack", culprit.execstack},
                            {"wx", culprit.wx},
                            {"unloadable", culprit.unloadable},
                            {"problem", culprit.problem},
                            {"predictions", predictions},
                            {"remedy", culprit.remedy}};
    if (culprit.execstack) {
      entry["glibc_2_41"] = glibc_2_41_json(culprit.glibc_2_41);
      entry["intent"] = stack_intent_name(culprit.intent);
      entry["warning"] = culprit.warning.empty() ? nlohmann::json() : nlohmann::json(culprit.warning);
    }
    culprits.push_back(std::move(entry));
  }
  return {{"objects", objects}, {"culprits", culprits}};
}

nlohmann::json report_json(const FileReport& report) {
  nlohmann::json findings = nlohmann::json::array();
  for (const Finding finding : report.findings()) {
    findings.push_back(std::string(audit::finding_name(finding)));
  }
  nlohmann::json stack = {
      {"gnu_stack_headers", report.gnu_stack_count},
      {"gnu_stack_flags",
       report.gnu_stack_flags ? nlohmann::json(*report.gnu_stack_flags) : nlohmann::json()},
      {"kernel_executable",
       report.kernel_exec_stack ? nlohmann::json(*report.kernel_exec_stack) : nlohmann::json()},
      {"ldso_executable", report.ldso_exec_stack},
      {"reason", report.stack_reason},
      {"intent", stack_intent_name(report.stack_intent)},
      {"trampoline_offset",
       report.trampoline_offset ? nlohmann::json(*report.trampoline_offset) : nlohmann::json()},
      {"fix", stack_fix_name(report.stack_fix)},
  };
  return {
      {"path", report.path},
      {"type", kind_name(report.kind)},
      {"machine", elf::machine_name(report.header.machine)},
      {"class", report.header.elf_class == elf::ElfClass::elf64 ? 64 : 32},
      {"byte_order", report.header.byte_order == elf::ByteOrder::little ? "little" : "big"},
      {"stack", stack},
      {"wx_segments", report.wx_segments},
      {"textrel", report.dynamic.textrel()},
      {"relro", relro_name(report.relro)},
      {"bind_now", report.dynamic.bind_now()},
      {"pie", report.kind == ObjectKind::pie_executable},
      {"properties",
       {{"ibt", report.properties.ibt()},
        {"shstk", report.properties.shstk()},
        {"bti", report.properties.bti()},
        {"pac", report.properties.pac()}}},
      {"soname", report.dynamic.soname ? nlohmann::json(*report.dynamic.soname)
                                       : nlohmann::json()},
      {"needed", report.dynamic.needed},
      {"findings", findings},
      {"warnings", report.warnings},
  };
}

} // namespace sealexec::cli
