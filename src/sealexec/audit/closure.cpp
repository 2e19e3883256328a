#include "sealexec/audit/closure.h"

#include "sealexec/elf/elf_file.h"

#include <elf.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>

#include <array>
#include <cerrno>
#include <deque>
#include <filesystem>
#include <unordered_map>
#include <utility>

namespace sealexec::audit {

std::string_view found_via_name(FoundVia via) {
  switch (via) {
  case FoundVia::main_program:
    return "program";
  case FoundVia::interpreter:
    return "interpreter";
  case FoundVia::path_name:
    return "path";
  case FoundVia::rpath:
    return "rpath";
  case FoundVia::ld_library_path:
    return "ld_library_path";
  case FoundVia::runpath:
    return "runpath";
  case FoundVia::cache:
    return "ld.so.cache";
  case FoundVia::default_dirs:
    return "default";
  case FoundVia::not_found:
    break;
  }
  return "not found";
}

namespace {

using FileId = TreeFileId;
struct FileIdHash {
  std::size_t operator()(const FileId& id) const {
    return std::hash<std::uint64_t>()(id.dev * 1000003U ^ id.ino);
  }
};

// What one object of the closure knows that the search needs.
struct Node {
  std::optional<std::string> origin; // directory for $ORIGIN, if known
  elf::DynamicInfo dynamic;
  std::vector<std::string> names; // every name it is known by (l_libname, soname)
};

// A file that ld.so would accept, already analysed.
struct Probed {
  FileId id;
  Expected<FileReport> report;
};

// Opens `path` as ld.so's open_verify would. Passed over (nullopt): a file
// that is absent or may not be opened (ENOENT, EACCES), and one of another
// class or machine. Anything else ends ld.so's search there, and the program
// cannot start: a file that is not valid ELF, or cannot be read, is returned
// with its error. What is accepted is analysed through the same descriptor.
std::string directory_of(const std::string& path, const LoaderConfig& config);

ProbeCache::Entry look_at(const std::string& path, const LoaderConfig& config) {
  ProbeCache::Entry entry;
  auto opened = loader_tree(config).open(path);
  Expected<elf::ElfFile> file = opened ? elf::ElfFile::read((*opened)->bytes())
                                       : Expected<elf::ElfFile>(fail(opened.error()));
  if (!file) {
    const Error& error = file.error();
    if (error.code == Errc::system && (error.sys_errno == ENOENT || error.sys_errno == EACCES)) {
      return entry;
    }
    // ld.so's open_path passes over a directory that does not stat as a
    // directory (a file named in RPATH, a link loop), whatever open said.
    if (error.code == Errc::system &&
        loader_tree(config).kind(directory_of(path, config), true) != TreeKind::directory) {
      return entry;
    }
    Error stop = file.error();
    stop.reason = fmt::format("ld.so stops here and the program cannot start: {}",
                              stop.reason);
    entry.report = fail(std::move(stop));
    return entry;
  }
  entry.id = (*opened)->id();
  entry.elf = true;
  entry.machine = file->header().machine;
  entry.elf_class = file->header().elf_class;
  entry.report = analyze(*file, path);
  return entry;
}

std::optional<Probed> probe(const std::string& path, const LoaderConfig& config,
                            ProbeCache* cache) {
  std::shared_ptr<const ProbeCache::Entry> entry = cache != nullptr ? cache->find(path) : nullptr;
  if (!entry) {
    entry = std::make_shared<const ProbeCache::Entry>(look_at(path, config));
    if (cache != nullptr) {
      cache->remember(path, entry);
    }
  }
  if (!entry->report ||
      (entry->elf && (entry->machine != config.machine || entry->elf_class != config.elf_class))) {
    return std::nullopt;
  }
  return Probed{entry->id, *entry->report};
}

std::string directory_of(const std::string& path, const LoaderConfig& config) {
  const std::string absolute = absolute_path(loader_tree(config), path);
  const std::size_t slash = absolute.rfind('/');
  return slash == 0 ? std::string("/") : absolute.substr(0, slash);
}

class Resolver {
public:
  Resolver(const LoaderConfig& config, ProbeCache* cache) : m_config(config), m_cache(cache) {}

  Expected<Closure> run(const std::string& program) {
    auto probed = probe(program, m_config, m_cache);
    if (!probed) {
      // Let the analysis say what is wrong with the program itself.
      SEALEXEC_TRY_ASSIGN(const auto opened, loader_tree(m_config).open(program));
      SEALEXEC_TRY_ASSIGN(const elf::ElfFile file, elf::ElfFile::read(opened->bytes()));
      (void)file;
      return fail(make_error(Errc::not_runnable, program, "is not a program for this machine"));
    }
    SEALEXEC_TRY_ASSIGN(FileReport report, std::move(probed->report));
    // A program's $ORIGIN is its real directory (/proc/self/exe); a library
    // root's is the directory of the path dlopen() is given, as ld.so takes
    // it from the name it opened.
    const auto real = report.kind == ObjectKind::shared_library
                          ? std::nullopt
                          : canonical_path(loader_tree(m_config), program);
    return run(std::move(report), program, directory_of(real ? *real : program, m_config),
               probed->id);
  }

  Closure run(FileReport program, const std::string& name, std::optional<std::string> origin,
              FileId id) {
    const std::size_t main = add_analysed(name, name, FoundVia::main_program, std::nullopt, 0, id,
                                          std::move(origin), std::move(program));
    add_interpreter(main);
    for (std::size_t next = 0; next < m_order.size(); ++next) {
      load_dependencies(m_order[next]);
    }
    return std::move(m_closure);
  }

private:
  const FileReport* report_of(std::size_t index) const {
    const auto& report = m_closure.objects[index].report;
    return report && *report ? &**report : nullptr;
  }

  std::size_t add_analysed(std::string name, std::string path, FoundVia via,
                           std::optional<std::size_t> loader, std::size_t depth, FileId id,
                           std::optional<std::string> origin, Expected<FileReport> report) {
    const std::size_t index = m_closure.objects.size();
    ClosureObject object{.name = name, .path = path, .depth = depth, .loader = loader, .via = via};
    object.report = std::move(report);
    Node node{.origin = std::move(origin), .names = {std::move(name), path}};
    if (*object.report) {
      node.dynamic = (*object.report)->dynamic;
      if (node.dynamic.soname) {
        node.names.push_back(*node.dynamic.soname);
      }
      m_order.push_back(index); // only readable objects have dependencies
    }
    m_closure.objects.push_back(std::move(object));
    m_nodes.push_back(std::move(node));
    if (id != FileId{}) {
      m_by_file.emplace(id, index);
    }
    return index;
  }

  void add_interpreter(std::size_t main) {
    const FileReport* report = report_of(main);
    if (report == nullptr) {
      return;
    }
    if (!report->interpreter) {
      // A library is loaded by dlopen() (or `ldd`) into a process whose
      // ld.so is already there: a DT_NEEDED on its name is that object, not
      // a second one found through the cache (see preloaded_ldso).
      if (report->kind == ObjectKind::shared_library) {
        m_library_root_ldso = m_config.default_interpreter;
      }
      return;
    }
    const std::string path = *report->interpreter;
    auto probed = probe(path, m_config, m_cache);
    if (!probed) {
      // The kernel opens the interpreter itself: exec fails with ENOENT (or
      // ENOEXEC for one of another machine) before ld.so ever runs.
      probed = Probed{FileId{},
                      fail(make_error(Errc::not_runnable, path,
                                      "the ELF interpreter is missing or not for this machine: "
                                      "exec of the program fails"))};
    }
    add_ldso(main, 1, path, std::move(*probed));
  }

  std::size_t add_ldso(std::size_t loader, std::size_t depth, const std::string& path,
                       Probed probed) {
    const std::size_t index = add_analysed(path, path, FoundVia::interpreter, loader, depth,
                                           probed.id, directory_of(path, m_config),
                                           std::move(probed.report));
    // ld.so is also known by its basename.
    m_nodes[index].names.push_back(std::filesystem::path(path).filename().string());
    return index;
  }

  // For a library root: the ld.so of the process that dlopen()s it, when
  // `name` is ld.so's and the tree has it (nothing is assumed otherwise).
  // Like ldd, it is listed only when something needs it, under its
  // PT_INTERP path.
  std::optional<std::size_t> preloaded_ldso(const std::string& name, std::size_t requester,
                                            std::size_t depth) {
    if (m_library_root_ldso.empty() ||
        std::filesystem::path(m_library_root_ldso).filename().string() != name) {
      return std::nullopt;
    }
    const std::string path = std::exchange(m_library_root_ldso, std::string());
    auto probed = probe(path, m_config, m_cache);
    if (!probed || !probed->report || m_by_file.contains(probed->id)) {
      return std::nullopt;
    }
    return add_ldso(requester, depth, path, std::move(*probed));
  }

  std::optional<std::string_view> origin_of(std::size_t index) const {
    const auto& origin = m_nodes[index].origin;
    return origin ? std::optional<std::string_view>(*origin) : std::nullopt;
  }

  std::optional<std::size_t> already_loaded(const std::string& name) const {
    for (std::size_t i = 0; i < m_nodes.size(); ++i) {
      if (m_closure.objects[i].via == FoundVia::not_found) {
        continue; // ld.so never matches a failed ("faked") entry again
      }
      for (const std::string& known : m_nodes[i].names) {
        if (known == name) {
          return i;
        }
      }
    }
    return std::nullopt;
  }

  struct Hit {
    std::string path;
    Probed probed;
    FoundVia via;
  };

  // Tries `directories` (expanded against `origin`) for `name`.
  std::optional<Hit> search(const std::vector<std::string>& directories,
                            std::optional<std::string_view> origin, const std::string& name,
                            FoundVia via) const {
    for (const std::string& entry : directories) {
      const auto directory = expand_tokens(entry, origin, m_config);
      if (!directory) {
        continue;
      }
      std::string candidate = *directory;
      if (!candidate.ends_with('/')) {
        candidate += '/';
      }
      candidate += name;
      if (auto probed = probe(candidate, m_config, m_cache)) {
        return Hit{std::move(candidate), std::move(*probed), via};
      }
    }
    return std::nullopt;
  }

  // ld.so's search for a name without '/', needed by `requester`.
  std::optional<Hit> find(std::size_t requester, const std::string& name) const {
    const Node& node = m_nodes[requester];
    // DT_RPATH of the requester and of its loaders, unless the requester
    // has DT_RUNPATH; then the main program's, if it was not on that chain.
    if (!node.dynamic.runpath) {
      bool main_seen = false;
      for (std::optional<std::size_t> l = requester; l; l = m_closure.objects[*l].loader) {
        main_seen = main_seen || *l == 0;
        const Node& link = m_nodes[*l];
        if (link.dynamic.rpath && !link.dynamic.runpath) {
          if (auto hit = search(split_search_path(*link.dynamic.rpath, false), origin_of(*l),
                                name, FoundVia::rpath)) {
            return hit;
          }
        }
      }
      const Node& main = m_nodes[0];
      if (!main_seen && main.dynamic.rpath && !main.dynamic.runpath) {
        if (auto hit = search(split_search_path(*main.dynamic.rpath, false), origin_of(0), name,
                              FoundVia::rpath)) {
          return hit;
        }
      }
    }
    if (auto hit = search(m_config.library_path, origin_of(0), name, FoundVia::ld_library_path)) {
      return hit;
    }
    if (node.dynamic.runpath) {
      if (auto hit = search(split_search_path(*node.dynamic.runpath, false), origin_of(requester),
                            name, FoundVia::runpath)) {
        return hit;
      }
    }
    const bool nodeflib = (node.dynamic.flags_1 & DF_1_NODEFLIB) != 0;
    if (m_config.cache != nullptr && m_config.cache_flags) {
      if (const auto cached = m_config.cache->lookup(name, *m_config.cache_flags)) {
        const std::string path(*cached);
        const bool in_system_dir =
            std::ranges::any_of(m_config.default_dirs, [&](const std::string& dir) {
              return path.starts_with(dir + "/") &&
                     path.find('/', dir.size() + 1) == std::string::npos;
            });
        if (!(nodeflib && in_system_dir)) {
          if (auto probed = probe(path, m_config, m_cache)) {
            return Hit{path, std::move(*probed), FoundVia::cache};
          }
        }
      }
    }
    if (!nodeflib) {
      return search(m_config.default_dirs, std::nullopt, name, FoundVia::default_dirs);
    }
    return std::nullopt;
  }

  void load_dependencies(std::size_t requester) {
    const std::vector<std::string> needed = m_nodes[requester].dynamic.needed;
    const std::size_t depth = m_closure.objects[requester].depth + 1;
    for (const std::string& name : needed) {
      std::size_t child = 0;
      if (const auto loaded = already_loaded(name)) {
        child = *loaded;
      } else if (const auto ldso = preloaded_ldso(name, requester, depth)) {
        child = *ldso;
      } else {
        std::optional<Hit> found;
        if (name.find('/') != std::string::npos) {
          // A path: tokens expanded against the requester, then opened as
          // it is (relative to the working directory).
          if (auto path = expand_tokens(name, origin_of(requester), m_config)) {
            if (auto probed = probe(*path, m_config, m_cache)) {
              found = Hit{*path, std::move(*probed), FoundVia::path_name};
            }
          }
        } else {
          found = find(requester, name);
        }
        if (!found) {
          child = m_closure.objects.size();
          m_closure.objects.push_back(ClosureObject{
              .name = name, .depth = depth, .loader = requester, .via = FoundVia::not_found});
          m_nodes.push_back(Node{.names = {}});
        } else if (const auto same = m_by_file.find(found->probed.id); same != m_by_file.end()) {
          // The same file under another name: one object, one more name.
          child = same->second;
          m_nodes[child].names.push_back(name);
        } else {
          const std::string origin = directory_of(found->path, m_config);
          child = add_analysed(name, found->path, found->via, requester, depth, found->probed.id,
                               origin, std::move(found->probed.report));
        }
      }
      m_closure.objects[requester].children.push_back(child);
    }
  }

  const LoaderConfig& m_config;
  ProbeCache* m_cache; // may be null
  Closure m_closure;
  std::vector<Node> m_nodes;       // parallel to m_closure.objects
  std::vector<std::size_t> m_order; // objects whose dependencies are to be loaded, in order
  std::unordered_map<FileId, std::size_t, FileIdHash> m_by_file;
  std::string m_library_root_ldso; // see preloaded_ldso; empty once used
};

} // namespace

std::shared_ptr<const ProbeCache::Entry> ProbeCache::find(const std::string& path) const {
  const std::lock_guard lock(m_mutex);
  const auto found = m_entries.find(path);
  return found != m_entries.end() ? found->second : nullptr;
}

void ProbeCache::remember(const std::string& path, std::shared_ptr<const Entry> entry) {
  const std::lock_guard lock(m_mutex);
  if (m_entries.size() < m_limit) {
    m_entries.emplace(path, std::move(entry));
  }
}

Expected<Closure> resolve_closure(const std::string& path, const LoaderConfig& config,
                                  ProbeCache* cache) {
  return Resolver(config, cache).run(path);
}

Closure resolve_closure(FileReport program, std::string name, std::optional<std::string> origin,
                        const LoaderConfig& config) {
  // An image in memory shares no inode with anything on disk.
  return Resolver(config, nullptr).run(std::move(program), name, std::move(origin), FileId{});
}

} // namespace sealexec::audit
