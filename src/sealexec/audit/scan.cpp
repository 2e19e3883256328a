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

Outcome analyse(const Task& task, const ScanOptions& options, ProbeCache* cache) {
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
  outcome->closure = resolve_closure(task.path, config, cache);
  return outcome;
}

// The tasks of one scan, produced by a walker thread, analysed by workers
// and handed over in order through a ring of `window` slots.
//
// Most files take a few microseconds, so the threads meet rarely: the
// walker hands over tasks in batches, a worker takes several at once and
// publishes their results together, the caller takes every finished result
// in a row at once, and each side is woken only when someone waits for
// exactly what it provides.
class Pipeline {
public:
  Pipeline(const ScanOptions& options, unsigned threads, ProbeCache* cache)
      : m_options(options), m_cache(cache), m_threads(std::max(1U, threads)),
        m_slots(std::max<std::size_t>(options.window, 1)) {}

  // Walker side: queues `task`, handing over a batch when it is full.
  void push(Task task) {
    m_batch.push_back(std::move(task));
    if (m_batch.size() >= k_walker_batch) {
      flush();
    }
  }

  void finish_producing() {
    flush();
    const std::lock_guard lock(m_mutex);
    m_producing = false;
    m_work.notify_all();
    m_done.notify_all();
  }

  // Worker side: takes tasks until there are no more.
  void work() {
    std::vector<std::pair<std::size_t, Task>> taken;
    std::vector<std::pair<std::size_t, Outcome>> results;
    std::unique_lock lock(m_mutex);
    for (;;) {
      bool next_finished = false;
      for (auto& [index, outcome] : results) {
        Slot& slot = slot_of(index);
        slot.outcome = std::move(outcome);
        slot.finished = true;
        next_finished = next_finished || index == m_handed_over;
      }
      results.clear();
      if (next_finished && m_caller_waiting) {
        m_done.notify_one();
      }
      while (m_taken >= m_produced && m_producing) {
        ++m_idle_workers;
        m_work.wait(lock);
        --m_idle_workers;
      }
      if (m_taken >= m_produced) {
        return;
      }
      // A fair share of what is queued, so the other workers get some.
      const std::size_t queued = m_produced - m_taken;
      const std::size_t count = std::clamp<std::size_t>(queued / m_threads, 1, k_worker_batch);
      for (std::size_t i = 0; i < count; ++i) {
        taken.emplace_back(m_taken, std::move(slot_of(m_taken).task));
        ++m_taken;
      }
      lock.unlock();
      for (auto& [index, task] : taken) {
        results.emplace_back(index, analyse(task, m_options, m_cache));
      }
      taken.clear();
      lock.lock();
    }
  }

  // Caller side: the next result in order, or false when all are handed over.
  bool next(Outcome& outcome) {
    if (m_ready_next < m_ready.size()) {
      outcome = std::move(m_ready[m_ready_next++]);
      return true;
    }
    m_ready.clear();
    m_ready_next = 0;
    std::unique_lock lock(m_mutex);
    m_caller_waiting = true;
    m_done.wait(lock, [&] {
      return (m_handed_over < m_produced && slot_of(m_handed_over).finished) ||
             (!m_producing && m_handed_over == m_produced);
    });
    m_caller_waiting = false;
    if (m_handed_over == m_produced) {
      return false;
    }
    while (m_handed_over < m_produced && slot_of(m_handed_over).finished) {
      Slot& slot = slot_of(m_handed_over);
      m_ready.push_back(std::move(slot.outcome));
      slot = Slot{};
      ++m_handed_over;
    }
    if (m_walker_waiting) {
      m_space.notify_one();
    }
    lock.unlock();
    outcome = std::move(m_ready[m_ready_next++]);
    return true;
  }

private:
  static constexpr std::size_t k_walker_batch = 32;
  static constexpr std::size_t k_worker_batch = 8;

  struct Slot {
    Task task;
    Outcome outcome;
    bool finished = false;
  };

  Slot& slot_of(std::size_t index) { return m_slots[index % m_slots.size()]; }

  void flush() {
    if (m_batch.empty()) {
      return;
    }
    std::unique_lock lock(m_mutex);
    for (Task& task : m_batch) {
      if (m_produced - m_handed_over >= m_slots.size()) {
        // The window is full: let the workers at what is queued, then wait.
        if (m_idle_workers > 0) {
          m_work.notify_all();
        }
        m_walker_waiting = true;
        m_space.wait(lock, [&] { return m_produced - m_handed_over < m_slots.size(); });
        m_walker_waiting = false;
      }
      slot_of(m_produced) = Slot{.task = std::move(task)};
      ++m_produced;
    }
    m_batch.clear();
    if (m_idle_workers > 0) {
      m_work.notify_all();
    }
  }

  const ScanOptions& m_options;
  ProbeCache* m_cache; // shared by every closure of the scan; null without --deps
  const unsigned m_threads;
  std::mutex m_mutex;
  std::condition_variable m_space; // the walker waits for a free slot
  std::condition_variable m_work;  // workers wait for tasks
  std::condition_variable m_done;  // the caller waits for the next result
  std::vector<Slot> m_slots;
  std::size_t m_produced = 0;
  std::size_t m_taken = 0;
  std::size_t m_handed_over = 0;
  bool m_producing = true;
  unsigned m_idle_workers = 0;
  bool m_walker_waiting = false;
  bool m_caller_waiting = false;
  std::vector<Task> m_batch;      // the walker's, not yet handed over
  std::vector<Outcome> m_ready;   // the caller's, taken from the ring
  std::size_t m_ready_next = 0;
};

// Deeper than any real tree (a whole Debian system nests under 30): a
// hostile image can nest thousands of directories in one member name, and
// each level costs a stack frame here.
constexpr std::size_t k_max_depth = 256;

// Depth first, entries sorted by name, symbolic links not followed.
void walk_directory(const FileTree& tree, const std::string& directory, Pipeline& pipeline,
                    std::size_t depth = 0) {
  if (depth > k_max_depth) {
    pipeline.push(Task{.path = directory,
                       .walk_error = make_error(Errc::malformed, directory,
                                                fmt::format("is nested more than {} directories "
                                                            "deep; not descended",
                                                            k_max_depth))});
    return;
  }
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
      walk_directory(tree, path, pipeline, depth + 1);
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
  const unsigned threads =
      options.threads != 0 ? options.threads : std::max(1U, std::thread::hardware_concurrency());
  // Each library is judged once, however many programs need it.
  std::optional<ProbeCache> probes;
  if (options.deps) {
    probes.emplace();
  }
  Pipeline pipeline(options, threads, probes ? &*probes : nullptr);
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
