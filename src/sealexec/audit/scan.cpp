#include "sealexec/audit/scan.h"

#include "sealexec/elf/byte_source.h"
#include "sealexec/elf/elf_file.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace sealexec::audit {

namespace {

struct Task {
  std::string path;
  bool operand = false; // named by the caller, not found while recursing
  std::optional<Error> walk_error; // the walker already knows this one failed
};

// What a worker makes of a task: an item to hand over, or nothing (a non-ELF
// file met while recursing).
using Outcome = std::optional<ScanItem>;

Outcome analyse_file(const Task& task, const FileTree& tree) {
  if (task.walk_error) {
    return ScanItem{task.path, fail(*task.walk_error), std::nullopt};
  }
  auto file = tree.open(task.path);
  if (!file) {
    Error error = std::move(file).error();
    if (error.code == Errc::not_runnable && !task.operand) {
      return std::nullopt; // a FIFO or device met while recursing
    }
    if (error.code == Errc::system) {
      error.reason = "cannot read";
    }
    return ScanItem{task.path, fail(std::move(error)), std::nullopt};
  }
  const ByteSource& source = (*file)->bytes();
  // The cheap test first: most files in a library directory are not ELF.
  std::array<std::byte, 4> magic{};
  if (source.size() < 4 || !source.read(0, magic) || !elf::has_elf_magic(magic)) {
    if (!task.operand) {
      return std::nullopt;
    }
    return ScanItem{task.path, fail(make_error(Errc::malformed, task.path, "is not an ELF file")),
                    std::nullopt};
  }
  auto elf_file = elf::ElfFile::read(source);
  if (!elf_file) {
    return ScanItem{task.path, fail(std::move(elf_file).error()), std::nullopt};
  }
  return ScanItem{task.path, analyze(*elf_file, task.path), std::nullopt};
}

Outcome analyse(const Task& task, const ScanOptions& options) {
  const FileTree& tree = options.tree != nullptr ? *options.tree : host_tree();
  Outcome outcome = analyse_file(task, tree);
  if (!options.deps || !outcome || !outcome->report) {
    return outcome;
  }
  const FileReport& report = *outcome->report;
  if (report.kind == ObjectKind::relocatable || report.kind == ObjectKind::core ||
      report.kind == ObjectKind::other) {
    return outcome;
  }
  const LoaderConfig config =
      options.tree != nullptr
          ? tree_loader_config(tree, report.header, options.cache)
          : system_loader_config(report.header, options.cache,
                                 options.ld_library_path
                                     ? std::optional<std::string_view>(*options.ld_library_path)
                                     : std::nullopt);
  outcome->closure = resolve_closure(task.path, config);
  return outcome;
}

// The tasks of one scan, produced by a walker thread, analysed by workers
// and handed over in order through a ring of `window` slots.
class Pipeline {
public:
  explicit Pipeline(const ScanOptions& options)
      : m_options(options), m_slots(std::max<std::size_t>(options.window, 1)) {}

  // Walker side: waits for a free slot.
  void push(Task task) {
    std::unique_lock lock(m_mutex);
    m_space.wait(lock, [&] { return m_produced - m_handed_over < m_slots.size(); });
    Slot& slot = m_slots[m_produced % m_slots.size()];
    slot = Slot{.task = std::move(task)};
    ++m_produced;
    m_work.notify_one();
  }

  void finish_producing() {
    const std::lock_guard lock(m_mutex);
    m_producing = false;
    m_work.notify_all();
    m_done.notify_all();
  }

  // Worker side: takes tasks until there are no more.
  void work() {
    for (;;) {
      std::unique_lock lock(m_mutex);
      m_work.wait(lock, [&] { return m_taken < m_produced || !m_producing; });
      if (m_taken >= m_produced) {
        return;
      }
      const std::size_t index = m_taken++;
      Task task = std::move(m_slots[index % m_slots.size()].task);
      lock.unlock();
      Outcome outcome = analyse(task, m_options);
      lock.lock();
      Slot& slot = m_slots[index % m_slots.size()];
      slot.outcome = std::move(outcome);
      slot.finished = true;
      m_done.notify_all();
    }
  }

  // Caller side: the next result in order, or false when all are handed over.
  bool next(Outcome& outcome) {
    std::unique_lock lock(m_mutex);
    m_done.wait(lock, [&] {
      return (m_handed_over < m_produced && m_slots[m_handed_over % m_slots.size()].finished) ||
             (!m_producing && m_handed_over == m_produced);
    });
    if (m_handed_over == m_produced) {
      return false;
    }
    Slot& slot = m_slots[m_handed_over % m_slots.size()];
    outcome = std::move(slot.outcome);
    slot = Slot{};
    ++m_handed_over;
    m_space.notify_one();
    return true;
  }

private:
  struct Slot {
    Task task;
    Outcome outcome;
    bool finished = false;
  };
  const ScanOptions& m_options;
  std::mutex m_mutex;
  std::condition_variable m_space; // walker waits for a free slot
  std::condition_variable m_work;  // workers wait for tasks
  std::condition_variable m_done;  // the caller waits for the next result
  std::vector<Slot> m_slots;
  std::size_t m_produced = 0;
  std::size_t m_taken = 0;
  std::size_t m_handed_over = 0;
  bool m_producing = true;
};

// Depth first, entries sorted by name, symbolic links not followed.
void walk_directory(const FileTree& tree, const std::string& directory, Pipeline& pipeline) {
  auto entries = tree.list(directory);
  if (!entries) {
    pipeline.push(Task{.path = directory, .walk_error = std::move(entries).error()});
    return;
  }
  std::ranges::sort(*entries, {}, &TreeEntry::name);
  const std::string prefix = directory.ends_with('/') ? directory : directory + "/";
  for (TreeEntry& entry : *entries) {
    std::string path = prefix + entry.name;
    if (entry.kind == TreeKind::directory) {
      walk_directory(tree, path, pipeline);
    } else if (entry.kind == TreeKind::regular) {
      pipeline.push(Task{.path = std::move(path)});
    }
  }
}

void walk(std::span<const std::string> paths, const ScanOptions& options, Pipeline& pipeline) {
  const FileTree& tree = options.tree != nullptr ? *options.tree : host_tree();
  for (const std::string& path : paths) {
    if (tree.kind(path, true) == TreeKind::directory) {
      if (options.recursive) {
        walk_directory(tree, path, pipeline);
      } else {
        pipeline.push(Task{.path = path,
                           .operand = true,
                           .walk_error = make_error(Errc::invalid_argument, path,
                                                    "is a directory (use -R to scan it)")});
      }
      continue;
    }
    pipeline.push(Task{.path = path, .operand = true});
  }
}

} // namespace

void scan(std::span<const std::string> paths, const ScanOptions& options,
          const std::function<void(ScanItem&&)>& on_item,
          const std::function<void(std::size_t)>& on_progress) {
  Pipeline pipeline(options);
  const unsigned threads =
      options.threads != 0 ? options.threads : std::max(1U, std::thread::hardware_concurrency());
  std::vector<std::jthread> workers;
  workers.reserve(threads);
  for (unsigned i = 0; i < threads; ++i) {
    workers.emplace_back([&pipeline] { pipeline.work(); });
  }
  std::jthread walker([&] {
    walk(paths, options, pipeline);
    pipeline.finish_producing();
  });
  std::size_t looked_at = 0;
  for (Outcome outcome; pipeline.next(outcome);) {
    ++looked_at;
    if (outcome) {
      on_item(std::move(*outcome));
    }
    if (on_progress) {
      on_progress(looked_at);
    }
  }
}

} // namespace sealexec::audit
