// What the dynamic section says about an object: what it needs, where it
// looks, and the flags that matter to the loader.
#pragma once

#include "sealexec/elf/elf_file.h"
#include "sealexec/util/error.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sealexec::elf {

struct DynamicInfo {
  bool present = false; // the file has a PT_DYNAMIC segment
  std::vector<std::string> needed; // DT_NEEDED, in order
  std::optional<std::string> soname;
  std::optional<std::string> rpath;   // DT_RPATH
  std::optional<std::string> runpath; // DT_RUNPATH
  std::uint64_t flags = 0;   // DT_FLAGS
  std::uint64_t flags_1 = 0; // DT_FLAGS_1
  bool has_textrel_tag = false;  // DT_TEXTREL
  bool has_bind_now_tag = false; // DT_BIND_NOW

  // Text relocations: DT_TEXTREL or DF_TEXTREL.
  [[nodiscard]] bool textrel() const;
  // Immediate binding: DT_BIND_NOW, DF_BIND_NOW or DF_1_NOW.
  [[nodiscard]] bool bind_now() const;
};

// Reads the dynamic section and the strings it names. Entries are capped
// (k_max_dynamic_entries); strings that cannot be read are errors naming
// the file, since a loader would fail on them too.
[[nodiscard]] Expected<DynamicInfo> read_dynamic(const ElfFile& file);

} // namespace sealexec::elf
