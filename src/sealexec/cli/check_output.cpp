#include "sealexec/cli/check_output.h"

#include "sealexec/cli/json_writer.h"
#include "sealexec/cli/output.h"
#include "sealexec/elf/machine.h"
#include "sealexec/util/shell_word.h"

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
    return fmt::format("run sealexec fix --clear-execstack {}, or relink it with "
                       "-Wl,-z,noexecstack",
                       shell_word(report.path));
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

std::string_view program_stack_name(audit::Glibc241Case::ProgramStack state) {
  using State = audit::Glibc241Case::ProgramStack;
  return state == State::executable       ? "executable"
         : state == State::not_executable ? "not-executable"
                                          : "no-gnu-stack";
}

// Keys in sorted order everywhere below: the order nlohmann::json (a
// std::map) printed them in, kept so that the output stays the same.
void write_glibc_2_41(JsonWriter& json, const std::vector<audit::Glibc241Case>& cases) {
  json.begin_array();
  for (const audit::Glibc241Case& c : cases) {
    json.begin_object();
    json.key("loaded").string(c.loaded == audit::Glibc241Case::Loaded::startup ? "startup"
                                                                              : "dlopen");
    json.key("outcome").string(c.refused ? "refused" : "allowed");
    json.key("program_stack");
    c.program_stack ? json.string(program_stack_name(*c.program_stack)) : json.null();
    json.key("stack");
    c.stack_executable ? json.string(*c.stack_executable ? "executable" : "not-executable")
                       : json.null();
    json.key("tunable").number(std::int64_t{c.tunable});
    json.end_object();
  }
  json.end_array();
}

void write_findings(JsonWriter& json, const FileReport& report) {
  json.begin_array();
  for (const Finding finding : report.findings()) {
    json.string(audit::finding_name(finding));
  }
  json.end_array();
}

void write_culprit(JsonWriter& json, const audit::Closure& closure, const audit::Culprit& culprit) {
  json.begin_object();
  json.key("execstack").boolean(culprit.execstack);
  if (culprit.execstack) {
    json.key("glibc_2_41");
    write_glibc_2_41(json, culprit.glibc_2_41);
    json.key("intent").string(stack_intent_name(culprit.intent));
  }
  json.key("object").number(std::uint64_t{culprit.object});
  json.key("path").string(closure.objects[culprit.object].path);
  json.key("predictions").begin_array();
  for (const audit::Prediction& prediction : culprit.predictions) {
    json.begin_object();
    json.key("outcome").string(prediction.outcome);
    json.key("system").string(prediction.system);
    json.end_object();
  }
  json.end_array();
  json.key("problem").string(culprit.problem);
  json.key("remedy").string(culprit.remedy);
  json.key("unloadable").boolean(culprit.unloadable);
  if (culprit.execstack) {
    json.key("warning");
    culprit.warning.empty() ? json.null() : json.string(culprit.warning);
  }
  json.key("wx").boolean(culprit.wx);
  json.end_object();
}

void write_closure(JsonWriter& json, const audit::Closure& closure) {
  json.begin_object();
  json.key("culprits").begin_array();
  for (const audit::Culprit& culprit : audit::find_culprits(closure)) {
    write_culprit(json, closure, culprit);
  }
  json.end_array();
  json.key("objects").begin_array();
  for (const audit::ClosureObject& object : closure.objects) {
    const bool readable = object.report && *object.report;
    json.begin_object();
    json.key("depth").number(std::uint64_t{object.depth});
    if (object.report && !*object.report) {
      json.key("error").string(object.report->error().message());
    }
    if (readable) {
      json.key("findings");
      write_findings(json, **object.report);
    }
    json.key("found_via").string(audit::found_via_name(object.via));
    if (readable) {
      json.key("ldso_executable_stack").boolean((*object.report)->ldso_exec_stack);
    }
    json.key("loader");
    object.loader ? json.number(std::uint64_t{*object.loader}) : json.null();
    json.key("name").string(object.name);
    json.key("needs").numbers(object.children);
    json.key("path");
    object.via == audit::FoundVia::not_found ? json.null() : json.string(object.path);
    json.end_object();
  }
  json.end_array();
  json.end_object();
}

} // namespace

void append_report_json(std::string& out, const FileReport& report,
                        const audit::Closure* closure) {
  JsonWriter json(out);
  json.begin_object();
  json.key("bind_now").boolean(report.dynamic.bind_now());
  json.key("byte_order").string(report.header.byte_order == elf::ByteOrder::little ? "little"
                                                                                    : "big");
  json.key("class").number(std::int64_t{report.header.elf_class == elf::ElfClass::elf64 ? 64 : 32});
  if (closure != nullptr) {
    json.key("closure");
    write_closure(json, *closure);
  }
  json.key("findings");
  write_findings(json, report);
  json.key("machine").string(elf::machine_name(report.header.machine));
  json.key("needed").strings(report.dynamic.needed);
  json.key("path").string(report.path);
  json.key("pie").boolean(report.kind == ObjectKind::pie_executable);
  json.key("properties").begin_object();
  json.key("bti").boolean(report.properties.bti());
  json.key("ibt").boolean(report.properties.ibt());
  json.key("pac").boolean(report.properties.pac());
  json.key("shstk").boolean(report.properties.shstk());
  json.end_object();
  json.key("relro").string(relro_name(report.relro));
  json.key("soname").optional_string(report.dynamic.soname);
  json.key("stack").begin_object();
  json.key("fix").string(stack_fix_name(report.stack_fix));
  json.key("gnu_stack_flags");
  report.gnu_stack_flags ? json.number(std::uint64_t{*report.gnu_stack_flags}) : json.null();
  json.key("gnu_stack_headers").number(std::int64_t{report.gnu_stack_count});
  json.key("intent").string(stack_intent_name(report.stack_intent));
  json.key("kernel_executable");
  report.kernel_exec_stack ? json.boolean(*report.kernel_exec_stack) : json.null();
  json.key("ldso_executable").boolean(report.ldso_exec_stack);
  json.key("reason").string(report.stack_reason);
  json.key("trampoline_offset");
  report.trampoline_offset ? json.number(std::uint64_t{*report.trampoline_offset}) : json.null();
  json.end_object();
  json.key("textrel").boolean(report.dynamic.textrel());
  json.key("type").string(kind_name(report.kind));
  json.key("warnings").strings(report.warnings);
  json.key("wx_segments").numbers(report.wx_segments);
  json.end_object();
}

} // namespace sealexec::cli
