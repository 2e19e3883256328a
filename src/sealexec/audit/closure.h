// The dependency closure of a program, resolved the way glibc's ld.so
// resolves it (elf/dl-load.c, _dl_map_object), without running anything.
#pragma once

#include "sealexec/audit/file_report.h"
#include "sealexec/audit/loader_config.h"
#include "sealexec/util/error.h"

#include <cstddef>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <optional>
#include <string>
#include <vector>

namespace sealexec::audit {

// Where ld.so found an object.
enum class FoundVia {
  main_program, interpreter, path_name, rpath, ld_library_path, runpath, cache, default_dirs,
  not_found,
};

[[nodiscard]] std::string_view found_via_name(FoundVia via);

struct ClosureObject {
  std::string name; // the DT_NEEDED string it was first loaded under, or its path
  std::string path; // what ld.so opened (its l_name); empty when not found
  std::size_t depth = 0;
  std::optional<std::size_t> loader; // the object that first needed it
  FoundVia via = FoundVia::not_found;
  std::vector<std::size_t> children; // what it needs, in DT_NEEDED order
  // The analysis of the object, or why it could not be read.
  std::optional<Expected<FileReport>> report;
};

struct Closure {
  // In load order: the program, its interpreter, then breadth first. A name
  // that is not found appears once per object that needs it, as in ldd.
  std::vector<ClosureObject> objects;
};

// What ld.so would find at each path, shared by the closures of one scan so
// that every object is opened and judged once, however many programs need
// it. A scan takes paths to stay as they were while it runs (as every
// checker must). Thread-safe; holds at most `limit` paths, then stops
// remembering more.
class ProbeCache {
public:
  // What one path holds. `report` is nullopt when ld.so passes the path over
  // (absent, or may not be opened); an error when the file stops ld.so's
  // search (not valid ELF, unreadable).
  struct Entry {
    TreeFileId id;
    bool elf = false; // the headers were read: machine and class are known
    std::uint16_t machine = 0;
    elf::ElfClass elf_class = elf::ElfClass::elf64;
    std::optional<Expected<FileReport>> report;
  };

  explicit ProbeCache(std::size_t limit = 1U << 16) : m_limit(limit) {}
  [[nodiscard]] std::shared_ptr<const Entry> find(const std::string& path) const;
  void remember(const std::string& path, std::shared_ptr<const Entry> entry);

private:
  std::size_t m_limit;
  mutable std::mutex m_mutex;
  std::unordered_map<std::string, std::shared_ptr<const Entry>> m_entries;
};

// Resolves the closure of the program at `path` under `config`. $ORIGIN of
// the program is its real directory (what /proc/self/exe gives when it runs;
// ldd instead uses the path as given); for libraries it is the directory of
// the path they were found under. Errc when the program itself cannot be
// read; problems with dependencies are recorded in their objects.
[[nodiscard]] Expected<Closure> resolve_closure(const std::string& path,
                                                const LoaderConfig& config,
                                                ProbeCache* cache = nullptr);

// The same for a program already analysed, such as a sealed image: `name`
// names it, and `origin` is what $ORIGIN stands for in its RPATH/RUNPATH
// (nullopt: entries using it are dropped, as ld.so does).
[[nodiscard]] Closure resolve_closure(FileReport program, std::string name,
                                      std::optional<std::string> origin,
                                      const LoaderConfig& config);

} // namespace sealexec::audit
