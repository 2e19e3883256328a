#include "sealexec/elf/dynamic.h"

#include <elf.h>

namespace sealexec::elf {

bool DynamicInfo::textrel() const { return has_textrel_tag || (flags & DF_TEXTREL) != 0; }

bool DynamicInfo::bind_now() const {
  return has_bind_now_tag || (flags & DF_BIND_NOW) != 0 || (flags_1 & DF_1_NOW) != 0;
}

Expected<DynamicInfo> read_dynamic(const ElfFile& file) {
  DynamicInfo info;
  for (const ProgramHeader& p : file.program_headers()) {
    info.present = info.present || p.type == PT_DYNAMIC;
  }
  if (!info.present) {
    return info;
  }
  SEALEXEC_TRY_ASSIGN(const std::vector<DynamicEntry> entries, file.dynamic_entries());
  for (const DynamicEntry& entry : entries) {
    switch (entry.tag) {
    case DT_NEEDED: {
      SEALEXEC_TRY_ASSIGN(std::string name, file.dynamic_string(entries, entry.value));
      info.needed.push_back(std::move(name));
      break;
    }
    case DT_SONAME: {
      SEALEXEC_TRY_ASSIGN(info.soname, file.dynamic_string(entries, entry.value));
      break;
    }
    case DT_RPATH: {
      SEALEXEC_TRY_ASSIGN(info.rpath, file.dynamic_string(entries, entry.value));
      break;
    }
    case DT_RUNPATH: {
      SEALEXEC_TRY_ASSIGN(info.runpath, file.dynamic_string(entries, entry.value));
      break;
    }
    case DT_FLAGS:
      info.flags = entry.value;
      break;
    case DT_FLAGS_1:
      info.flags_1 = entry.value;
      break;
    case DT_TEXTREL:
      info.has_textrel_tag = true;
      break;
    case DT_BIND_NOW:
      info.has_bind_now_tag = true;
      break;
    default:
      break;
    }
  }
  return info;
}

} // namespace sealexec::elf
