#include "sealexec/exec/env_restore.h"

#include "sealexec/elf/machine.h"
#include "sealexec/exec/launch.h"
#include "sealexec/util/companion.h"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

namespace sealexec {

namespace {

constexpr std::string_view k_restorer_name = "sealexec-restore-env.so";

// Loaded into programs: nobody but root or we may be able to change it.
bool trusted_file(const std::filesystem::path& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
         (st.st_uid == 0 || st.st_uid == ::geteuid()) && (st.st_mode & (S_IWGRP | S_IWOTH)) == 0;
}

std::optional<std::string> find_restorer() {
  for (const auto& candidate : companion_candidates(k_restorer_name)) {
    // ld.so splits LD_PRELOAD at spaces and colons.
    if (candidate.string().find_first_of(" \t:") != std::string::npos) {
      continue;
    }
    if (trusted_file(candidate)) {
      return candidate.string();
    }
  }
  return std::nullopt;
}

// "+value" for a variable that is set, "-" for one that is not.
std::string saved_value(const std::vector<std::string>& env, std::string_view name) {
  const auto value = find_variable(env, name);
  return value ? fmt::format("+{}", *value) : std::string("-");
}

} // namespace

const std::optional<std::string>& env_restorer() {
  static const std::optional<std::string> restorer = find_restorer();
  return restorer;
}

bool can_preload_restorer(const RunnableProgram& program) {
  if (program.kind != ImageKind::elf || !program.elf || !program.elf_interpreter) {
    return false;
  }
  const elf::MachineId host = elf::host_machine();
  const std::string_view interpreter = *program.elf_interpreter;
  const std::string_view basename = interpreter.substr(interpreter.rfind('/') + 1);
  return program.elf->elf_class == host.elf_class && program.elf->byte_order == host.byte_order &&
         program.elf->machine == host.machine && basename.starts_with("ld-linux");
}

void set_library_path_for_program_only(std::vector<std::string>& env,
                                       std::string_view library_path,
                                       std::string_view restorer) {
  const std::string saved_library_path = saved_value(env, "LD_LIBRARY_PATH");
  const std::string saved_preload = saved_value(env, "LD_PRELOAD");
  const auto preload = find_variable(env, "LD_PRELOAD");
  const std::string new_preload = preload && !preload->empty()
                                      ? fmt::format("{}:{}", restorer, *preload)
                                      : std::string(restorer);
  set_variable(env, "LD_LIBRARY_PATH", library_path);
  set_variable(env, "LD_PRELOAD", new_preload);
  set_variable(env, "SEALEXEC_RESTORE_LD_LIBRARY_PATH", saved_library_path);
  set_variable(env, "SEALEXEC_RESTORE_LD_PRELOAD", saved_preload);
}

} // namespace sealexec
