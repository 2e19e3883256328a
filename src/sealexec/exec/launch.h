// What exec and spawn share: the options that describe the new program, and
// their preparation into C arrays before any fork or exec, so that the child
// side never allocates.
#pragma once

#include "sealexec/exec/origin.h"
#include "sealexec/exec/runnable.h"
#include "sealexec/image/sealed_image.h"
#include "sealexec/util/error.h"

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace sealexec {

struct ExecOptions {
  // The program's arguments, argv[0] first. Empty: { image.source() }.
  std::vector<std::string> argv;
  // "NAME=value" strings. nullopt: the calling process's environment.
  std::optional<std::vector<std::string>> env;
  // The directory that $ORIGIN in the program's RPATH/RUNPATH stands for.
  // nullopt: the image's own origin(), if it has one.
  std::optional<std::filesystem::path> origin;
  // When false, $ORIGIN is left to ld.so (which expands it to "/").
  bool preserve_origin = true;
  // The name the process runs under with exec (not spawn): its comm, which
  // ps, pgrep and killall show, and the last component of a script's $0
  // (exec/name_link.h). Empty: exec by descriptor, so the process is named
  // memfd:… and a script's $0 is /dev/fd/N.
  std::string name;
};

// An array of C strings ending in nullptr that owns its characters.
class CStringArray {
public:
  CStringArray() = default;
  explicit CStringArray(std::vector<std::string> strings);
  CStringArray(const CStringArray&) = delete;
  CStringArray& operator=(const CStringArray&) = delete;
  CStringArray(CStringArray&&) noexcept = default;
  CStringArray& operator=(CStringArray&&) noexcept = default;
  ~CStringArray() = default;

  [[nodiscard]] char* const* data() const { return m_pointers.data(); }
  [[nodiscard]] const std::vector<std::string>& strings() const { return m_strings; }

private:
  std::vector<std::string> m_strings;
  std::vector<char*> m_pointers;
};

// The environment of the calling process, as "NAME=value" strings.
[[nodiscard]] std::vector<std::string> current_environment();

// The value of `name` in `env`, if set.
[[nodiscard]] std::optional<std::string_view> find_variable(const std::vector<std::string>& env,
                                                            std::string_view name);

// Sets `name` to `value` in `env`: where its first definition stands (later
// ones are dropped: getenv takes the first, ld.so the last), or at the end.
void set_variable(std::vector<std::string>& env, std::string_view name, std::string_view value);

struct Launch {
  RunnableProgram program;
  OriginPlan origin;
  CStringArray argv;
  CStringArray envp;
  // A script's interpreter opens /dev/fd/N, so the image's descriptor must
  // survive exec; an ELF file needs no descriptor once it is running.
  bool keep_image_fd = false;
  // ExecOptions::name, when it can be a file name.
  std::string name;
};

// Checks `image` with check_runnable and builds the argv and environment the
// program will get, with the $ORIGIN plan applied.
[[nodiscard]] Expected<Launch> prepare_launch(const SealedImage& image, const ExecOptions& options,
                                              const std::filesystem::path& working_directory = {});

// Whether this process runs under valgrind, which has no execveat and
// re-execs itself (its launcher, then the tool) before it runs a program.
[[nodiscard]] bool running_on_valgrind() noexcept;

// execveat(fd, "", argv, envp, AT_EMPTY_PATH), falling back to
// execve("/proc/self/fd/N") when execveat reports ENOENT or ENOSYS (qemu-user
// under binfmt_misc does). Returns only on failure, with errno set. Uses only
// async-signal-safe calls, so a child created with vfork semantics may call it.
int exec_fd(int fd, char* const* argv, char* const* envp) noexcept;

} // namespace sealexec
