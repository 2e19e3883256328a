#include "sealexec/audit/closure.h"

#include "sealexec/elf/byte_source.h"
#include "sealexec/elf/elf_file.h"
#include "sealexec/util/fd.h"

#include <elf.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>

#include <array>
#include <deque>
#include <filesystem>
#include <unordered_map>

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

struct FileId {
  dev_t dev;
  ino_t ino;
  bool operator==(const FileId&) const = default;
};
struct FileIdHash {
  std::size_t operator()(const FileId& id) const {
    return std::hash<std::uint64_t>()(static_cast<std::uint64_t>(id.dev) * 1000003U ^
                                      static_cast<std::uint64_t>(id.ino));
  }
};

// What one object of the closure knows that the search needs.
struct Node {
  std::string origin; // directory for $ORIGIN
  elf::DynamicInfo dynamic;
  std::vector<std::string> names; // every name it is known by (l_libname, soname)
};

enum class Probe { found, absent, wrong_machine };

// Opens `path` as ld.so's open_verify would: absent files and files of
// another class or machine are passed over.
Probe probe(const std::string& path, const LoaderConfig& config, FileId& id) {
  auto fd = open_fd(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY);
  if (!fd) {
    return Probe::absent;
  }
  struct stat st {};
  if (::fstat(fd->get(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return Probe::absent;
  }
  const FdSource source(fd->get(), static_cast<std::uint64_t>(st.st_size), path);
  const auto file = elf::ElfFile::read(source);
  if (!file || file->header().machine != config.machine ||
      file->header().elf_class != config.elf_class) {
    return Probe::wrong_machine;
  }
  id = FileId{st.st_dev, st.st_ino};
  return Probe::found;
}

std::string directory_of(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  if (slash == std::string::npos) {
    return std::filesystem::current_path().string();
  }
  const std::string directory = slash == 0 ? std::string("/") : path.substr(0, slash);
  if (directory.starts_with('/')) {
    return directory;
  }
  return (std::filesystem::current_path() / directory).string();
}

class Resolver {
public:
  explicit Resolver(const LoaderConfig& config) : m_config(config) {}

  Expected<Closure> run(const std::string& program) {
    FileId id{};
    if (probe(program, m_config, id) != Probe::found) {
      // Let the analysis say what is wrong with the program itself.
      SEALEXEC_TRY_ASSIGN(const FileReport report, analyze_path(program));
      (void)report;
      return fail(make_error(Errc::not_runnable, program, "is not a program for this machine"));
    }
    std::error_code error;
    const auto real = std::filesystem::canonical(program, error);
    const std::size_t main = add(program, program, FoundVia::main_program, std::nullopt, 0, id,
                                 error ? directory_of(program) : real.parent_path().string());
    if (report_of(main) == nullptr) {
      return fail(m_closure.objects[main].report->error());
    }
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

  std::size_t add(std::string name, std::string path, FoundVia via,
                  std::optional<std::size_t> loader, std::size_t depth, FileId id,
                  std::string origin) {
    const std::size_t index = m_closure.objects.size();
    ClosureObject object{.name = name, .path = path, .depth = depth, .loader = loader, .via = via};
    object.report = analyze_path(path);
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
    m_by_file.emplace(id, index);
    return index;
  }

  void add_interpreter(std::size_t main) {
    const FileReport* report = report_of(main);
    if (report == nullptr || !report->interpreter) {
      return;
    }
    const std::string& path = *report->interpreter;
    FileId id{};
    if (probe(path, m_config, id) != Probe::found) {
      return;
    }
    const std::size_t index =
        add(path, path, FoundVia::interpreter, main, 1, id, directory_of(path));
    // ld.so is also known by its basename.
    m_nodes[index].names.push_back(std::filesystem::path(path).filename().string());
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

  // Tries `directories` (expanded against `origin`) for `name`.
  std::optional<std::pair<std::string, FileId>> search(const std::vector<std::string>& directories,
                                                       std::optional<std::string_view> origin,
                                                       const std::string& name) const {
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
      FileId id{};
      if (probe(candidate, m_config, id) == Probe::found) {
        return std::pair{candidate, id};
      }
    }
    return std::nullopt;
  }

  // ld.so's search for a name without '/', needed by `requester`.
  std::optional<std::tuple<std::string, FileId, FoundVia>> find(std::size_t requester,
                                                                const std::string& name) const {
    const Node& node = m_nodes[requester];
    // DT_RPATH of the requester and of its loaders, unless the requester
    // has DT_RUNPATH; then the main program's, if it was not on that chain.
    if (!node.dynamic.runpath) {
      bool main_seen = false;
      for (std::optional<std::size_t> l = requester; l; l = m_closure.objects[*l].loader) {
        main_seen = main_seen || *l == 0;
        const Node& link = m_nodes[*l];
        if (link.dynamic.rpath && !link.dynamic.runpath) {
          if (auto hit = search(split_search_path(*link.dynamic.rpath, false), link.origin, name)) {
            return std::tuple{hit->first, hit->second, FoundVia::rpath};
          }
        }
      }
      const Node& main = m_nodes[0];
      if (!main_seen && main.dynamic.rpath && !main.dynamic.runpath) {
        if (auto hit = search(split_search_path(*main.dynamic.rpath, false), main.origin, name)) {
          return std::tuple{hit->first, hit->second, FoundVia::rpath};
        }
      }
    }
    if (auto hit = search(m_config.library_path, m_nodes[0].origin, name)) {
      return std::tuple{hit->first, hit->second, FoundVia::ld_library_path};
    }
    if (node.dynamic.runpath) {
      if (auto hit = search(split_search_path(*node.dynamic.runpath, false), node.origin, name)) {
        return std::tuple{hit->first, hit->second, FoundVia::runpath};
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
        FileId id{};
        if (!(nodeflib && in_system_dir) && probe(path, m_config, id) == Probe::found) {
          return std::tuple{path, id, FoundVia::cache};
        }
      }
    }
    if (!nodeflib) {
      if (auto hit = search(m_config.default_dirs, std::nullopt, name)) {
        return std::tuple{hit->first, hit->second, FoundVia::default_dirs};
      }
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
      } else {
        std::optional<std::tuple<std::string, FileId, FoundVia>> found;
        if (name.find('/') != std::string::npos) {
          // A path: tokens expanded against the requester, then opened as
          // it is (relative to the working directory).
          if (auto path = expand_tokens(name, m_nodes[requester].origin, m_config)) {
            FileId id{};
            if (probe(*path, m_config, id) == Probe::found) {
              found = std::tuple{*path, id, FoundVia::path_name};
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
        } else if (const auto same = m_by_file.find(std::get<1>(*found)); same != m_by_file.end()) {
          // The same file under another name: one object, one more name.
          child = same->second;
          m_nodes[child].names.push_back(name);
        } else {
          const std::string& path = std::get<0>(*found);
          child = add(name, path, std::get<2>(*found), requester, depth, std::get<1>(*found),
                      directory_of(path));
        }
      }
      m_closure.objects[requester].children.push_back(child);
    }
  }

  const LoaderConfig& m_config;
  Closure m_closure;
  std::vector<Node> m_nodes;       // parallel to m_closure.objects
  std::vector<std::size_t> m_order; // objects whose dependencies are to be loaded, in order
  std::unordered_map<FileId, std::size_t, FileIdHash> m_by_file;
};

} // namespace

Expected<Closure> resolve_closure(const std::string& path, const LoaderConfig& config) {
  return Resolver(config).run(path);
}

} // namespace sealexec::audit
