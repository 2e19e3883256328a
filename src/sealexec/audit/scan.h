// Walking files and directory trees and analysing every ELF file in them, on
// all cores, in a fixed order, with bounded memory.
#pragma once

#include "sealexec/audit/closure.h"
#include "sealexec/audit/file_report.h"
#include "sealexec/audit/file_tree.h"
#include "sealexec/elf/ld_so_cache.h"
#include "sealexec/util/error.h"

#include <cstddef>
#include <functional>
#include <span>
#include <optional>
#include <string>

namespace sealexec::audit {

struct ScanOptions {
  // Descend into directories. Without it a directory operand is an error.
  bool recursive = false;
  // Worker threads; 0 means one per CPU.
  unsigned threads = 0;
  // How many files may be in flight (read, analysed, waiting to be handed
  // over in order). This bounds memory whatever the size of the tree.
  std::size_t window = 512;
  // Also resolve the dependency closure of every program and shared library.
  bool deps = false;
  const elf::LdSoCache* cache = nullptr;          // for deps; may be null
  std::optional<std::string> ld_library_path;     // for deps (this machine only)
  // Where the paths are (a root or an image), resolved with that system's
  // loader rules; null: this machine's own files.
  const FileTree* tree = nullptr;
};

struct ScanItem {
  std::string path;
  Expected<FileReport> report; // an error for unreadable or damaged files
  // With ScanOptions::deps, for programs and shared libraries.
  std::optional<Expected<Closure>> closure;
};

// Analyses `paths` and hands each result to `on_item`, always from the
// calling thread and in a fixed order: operands as given, directories depth
// first with entries sorted by name. While recursing, files that are not ELF
// are skipped after reading their first four bytes, and symbolic links are
// not followed (so loops cannot hang the scan; each file is seen under its
// own name). An operand that is a symbolic link is followed, and one that is
// not an ELF file is an error item. A directory that cannot be read is an
// error item and the scan goes on. `on_progress`, if set, is called from the
// calling thread with the number of files looked at so far.
void scan(std::span<const std::string> paths, const ScanOptions& options,
          const std::function<void(ScanItem&&)>& on_item,
          const std::function<void(std::size_t)>& on_progress = {});

} // namespace sealexec::audit
