// Clearing the executable-stack request of an ELF file, without ever writing
// the file in place.
#pragma once

#include "sealexec/audit/file_report.h"
#include "sealexec/elf/elf_file.h"
#include "sealexec/util/error.h"

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace sealexec::audit {

// A change to a few bytes of the file.
struct Patch {
  std::uint64_t offset = 0;
  std::vector<std::byte> bytes;
};

struct ExecstackPlan {
  enum class Action {
    none,          // the stack is already non-executable; nothing to do
    clear_pf_x,    // clear PF_X on every PT_GNU_STACK
    use_null_slot, // no PT_GNU_STACK: turn an unused PT_NULL header into one (RW)
  };
  Action action = Action::none;
  std::vector<Patch> patches;
  std::string description; // what will change, in words
};

// Works out how to give `file` a non-executable stack. Fails (Errc::not_runnable)
// when the file has no PT_GNU_STACK and no PT_NULL slot to put one in: adding
// a program header would mean moving the table, so the message names the
// alternative, relinking with -z noexecstack.
[[nodiscard]] Expected<ExecstackPlan> plan_clear_execstack(const elf::ElfFile& file);

// What `sealexec fix --clear-execstack` does with `file`, whose stack one
// view says is executable and whose intent signs are `intent`: refuse
// (relink_only, with plan_clear_execstack's reason in `reason`), refuse
// without --force (trampolines), or patch. `check` describes this same
// decision as the remedy, so the two never disagree.
[[nodiscard]] StackFix decide_stack_fix(const elf::ElfFile& file, StackIntent intent,
                                        std::string& reason);

// Writes a copy of `source` with `patches` applied to `destination`, never
// touching `source`: the copy goes to a unique temporary file next to
// `destination`, gets `source`'s mode (and owner, where we may set it), is
// fsynced, and renamed into place; then the directory is fsynced. A process
// that has the old file mapped keeps its bytes. `destination` may equal
// `source`; a symbolic link is followed, so the link stays a link.
[[nodiscard]] Expected<void> write_patched_copy(const std::filesystem::path& source,
                                                const std::filesystem::path& destination,
                                                const std::vector<Patch>& patches);

} // namespace sealexec::audit
