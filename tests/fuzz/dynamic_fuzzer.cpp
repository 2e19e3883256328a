// Feeds arbitrary bytes through everything `sealexec check` does with one
// file: the dynamic-section walker (needed libraries, soname, RPATH/RUNPATH,
// flags), the GNU property notes, and the per-file findings.
#include "sealexec/audit/file_report.h"
#include "sealexec/elf/byte_source.h"
#include "sealexec/elf/dynamic.h"
#include "sealexec/elf/properties.h"

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
  (void)elf::read_dynamic(*file);
  (void)elf::read_gnu_properties(*file);
  if (const auto report = audit::analyze(*file, "fuzz")) {
    (void)report->findings();
  }
  return 0;
}
