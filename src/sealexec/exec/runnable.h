// What the kernel will think of an image, checked before exec so that a
// failure is one clear sentence rather than a bare errno from execveat.
#pragma once

#include "sealexec/elf/elf_file.h"
#include "sealexec/image/sealed_image.h"
#include "sealexec/image/shebang.h"
#include "sealexec/util/error.h"

#include <filesystem>
#include <optional>
#include <string>

namespace sealexec {

struct RunnableProgram {
  ImageKind kind = ImageKind::other;
  std::optional<elf::FileHeader> elf;       // for ELF images
  std::optional<std::string> elf_interpreter; // PT_INTERP, for dynamic ELF images
  std::optional<Shebang> shebang;          // for scripts
};

// Checks that `image` is an ELF executable for this host whose segments lie
// inside it and whose ELF interpreter exists, or a "#!" script whose
// interpreter exists and is executable. A relative interpreter path is looked
// up from `working_directory` (empty: the current one), as the kernel does.
// Failures are Errc::not_runnable, or Errc::malformed for damaged ELF files.
[[nodiscard]] Expected<RunnableProgram>
check_runnable(const SealedImage& image, const std::filesystem::path& working_directory = {});

} // namespace sealexec
