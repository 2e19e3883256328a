// Everything `sealexec check` says about one ELF file.
#pragma once

#include "sealexec/elf/dynamic.h"
#include "sealexec/elf/elf_file.h"
#include "sealexec/elf/properties.h"
#include "sealexec/util/error.h"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sealexec::audit {

enum class ObjectKind { executable, pie_executable, shared_library, relocatable, core, other };
enum class Relro { none, partial, full };

// Signs that an executable stack is wanted on purpose, strongest last.
enum class StackIntent {
  none,
  // PT_GNU_STACK carries PF_X (not merely missing). Also what an assembly
  // file without .note.GNU-stack gives, so only a hint.
  explicit_flag,
  // The code writes GCC nested-function trampolines onto the stack
  // (trampolines.h): with a non-executable stack it crashes when one runs.
  trampolines,
};

// What `sealexec fix --clear-execstack` does with the file: the decision fix
// itself acts on (execstack_fix.h), so that check's remedy never promises
// what fix then refuses.
enum class StackFix {
  not_needed,  // neither view says the stack is executable
  patch,       // fix clears it (PF_X cleared, or a PT_NULL slot used)
  needs_force, // fix could, but refuses without --force: trampolines need it
  relink_only, // no PT_GNU_STACK and no PT_NULL slot: fix cannot
};

// A finding that --fail-on can name.
enum class Finding {
  execstack,           // the kernel or ld.so will make the stack executable
  wx,                  // a PT_LOAD segment is both writable and executable
  textrel,             // text relocations
  no_relro,            // no PT_GNU_RELRO
  partial_relro,       // PT_GNU_RELRO without immediate binding
  no_pie,              // an ET_EXEC main program
  no_ibt,              // x86: not built for indirect branch tracking
  no_shstk,            // x86: not built for shadow stacks
  no_bti,              // aarch64: not built for branch target identification
  duplicate_gnu_stack, // more than one PT_GNU_STACK: only the last counts
};

// "execstack", "no-relro"... (the names --fail-on and --json use).
[[nodiscard]] std::string_view finding_name(Finding finding);
// Parses one name; nullopt when unknown.
[[nodiscard]] std::optional<Finding> parse_finding(std::string_view name);
// Every finding, in declaration order.
[[nodiscard]] std::span<const Finding> all_findings();

struct FileReport {
  std::string path;
  elf::FileHeader header;
  ObjectKind kind = ObjectKind::other;
  elf::DynamicInfo dynamic;
  elf::GnuProperties properties;
  std::optional<std::string> interpreter; // PT_INTERP

  int gnu_stack_count = 0;
  std::optional<std::uint32_t> gnu_stack_flags; // of the last PT_GNU_STACK
  // The kernel's view, for main executables only (nullopt for libraries):
  // whether exec gives the process an executable stack.
  std::optional<bool> kernel_exec_stack;
  // ld.so's view, for every object it loads: whether loading this object
  // requires (and, before glibc 2.41, makes) an executable stack.
  bool ldso_exec_stack = false;
  // Why each view says what it says, for people.
  std::string stack_reason;
  // Looked at only when a view says the stack is executable.
  StackIntent stack_intent = StackIntent::none;
  std::optional<std::uint64_t> trampoline_offset; // file offset of the first store found
  StackFix stack_fix = StackFix::not_needed;
  // Why fix cannot clear the stack (StackFix::relink_only), in fix's words.
  std::string unfixable_reason;

  std::vector<std::size_t> wx_segments; // indices of W+X PT_LOAD headers
  Relro relro = Relro::none;
  std::vector<std::string> warnings;

  [[nodiscard]] bool is_main_program() const {
    return kind == ObjectKind::executable || kind == ObjectKind::pie_executable;
  }
  [[nodiscard]] bool has(Finding finding) const;
  [[nodiscard]] std::vector<Finding> findings() const;
};

// The warning for a stack wanted on purpose (report.stack_intent), or empty.
// analyze() adds it to the report's warnings.
[[nodiscard]] std::string stack_intent_warning(const FileReport& report);

// Analyses an ELF file already read.
[[nodiscard]] Expected<FileReport> analyze(const elf::ElfFile& file, std::string path);

// Opens `path` (without following it if it is a FIFO or device), reads
// only the headers it needs with pread, and analyses it. Errc::malformed for
// damaged files; Errc::not_runnable for files that are not ELF at all.
[[nodiscard]] Expected<FileReport> analyze_path(const std::filesystem::path& path);

} // namespace sealexec::audit
