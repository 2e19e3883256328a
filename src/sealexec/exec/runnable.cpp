#include "sealexec/exec/runnable.h"

#include "sealexec/elf/machine.h"
#include "sealexec/image/image_source.h"

#include <elf.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>

namespace sealexec {

namespace {

Error not_runnable(const SealedImage& image, std::string reason) {
  return make_error(Errc::not_runnable, image.source(), reason);
}

// The kernel opens interpreters with execute permission, relative to the
// working directory of the process that execs.
Expected<void> check_interpreter(const SealedImage& image, const std::string& interpreter,
                                 const std::filesystem::path& working_directory,
                                 std::string_view what) {
  std::filesystem::path resolved(interpreter);
  if (resolved.is_relative() && !working_directory.empty()) {
    resolved = working_directory / resolved;
  }
  if (::faccessat(AT_FDCWD, resolved.c_str(), X_OK, AT_EACCESS) != 0) {
    const int err = errno;
    Error error = not_runnable(image, fmt::format("bad {} {}", what, interpreter));
    error.sys_errno = err;
    return fail(std::move(error));
  }
  return {};
}

Expected<RunnableProgram> check_elf(const SealedImage& image,
                                    const std::filesystem::path& working_directory) {
  const ImageSource source(image);
  SEALEXEC_TRY_ASSIGN(const elf::ElfFile file, elf::ElfFile::read(source));
  const elf::FileHeader& header = file.header();
  if (header.type != ET_EXEC && header.type != ET_DYN) {
    return fail(not_runnable(image, header.type == ET_REL
                                        ? "is a relocatable object file (.o), not an executable"
                                        : fmt::format("is an ELF file of type {}, not an "
                                                      "executable",
                                                      header.type)));
  }
  if (!elf::runs_on_host(header)) {
    return fail(not_runnable(
        image, fmt::format("is an ELF executable for {}, but this machine runs {}",
                           elf::describe_target(header),
                           elf::machine_name(elf::host_machine().machine))));
  }
  SEALEXEC_TRY(file.check_loadable());
  RunnableProgram program{.kind = ImageKind::elf, .elf = header};
  SEALEXEC_TRY_ASSIGN(program.elf_interpreter, file.interpreter());
  if (program.elf_interpreter) {
    SEALEXEC_TRY(
        check_interpreter(image, *program.elf_interpreter, working_directory, "ELF interpreter"));
  }
  return program;
}

} // namespace

Expected<RunnableProgram> check_runnable(const SealedImage& image,
                                         const std::filesystem::path& working_directory) {
  if (image.size() == 0) {
    return fail(not_runnable(image, "is empty"));
  }
  switch (image.kind()) {
  case ImageKind::elf:
    return check_elf(image, working_directory);
  case ImageKind::script: {
    SEALEXEC_TRY_ASSIGN(Shebang shebang, parse_shebang(image.head(), image.source()));
    SEALEXEC_TRY(check_interpreter(image, shebang.interpreter, working_directory, "interpreter"));
    return RunnableProgram{.kind = ImageKind::script, .shebang = std::move(shebang)};
  }
  case ImageKind::other:
    break;
  }
  return fail(not_runnable(image, "is neither an ELF executable nor a #! script"));
}

} // namespace sealexec
