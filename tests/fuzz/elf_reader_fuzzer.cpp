// Feeds arbitrary bytes to the ELF reader and to everything built on it that
// sealexec run touches: program headers, loadability, PT_INTERP, the dynamic
// section and its strings, section names, and the $ORIGIN planner.
#include "sealexec/elf/byte_source.h"
#include "sealexec/elf/elf_file.h"
#include "sealexec/elf/machine.h"

#include <cstddef>
#include <cstdint>
#include <span>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace sealexec;
  const SpanSource source(std::as_bytes(std::span(data, size)), "fuzz");
  const auto file = elf::ElfFile::read(source);
  if (!file) {
    return 0;
  }
  (void)elf::runs_on_host(file->header());
  (void)elf::describe_target(file->header());
  (void)file->check_loadable();
  (void)file->interpreter();
  (void)file->has_section(".fpcdata");
  const auto entries = file->dynamic_entries();
  if (entries) {
    for (const auto& entry : *entries) {
      (void)file->dynamic_string(*entries, entry.value);
      (void)file->file_offset_of(entry.value, 16);
    }
  }
  return 0;
}
