// Executable stacks and running from memory: what a sealed program's closure
// needs, and clearing the request in the sealed copy itself.
#pragma once

#include "sealexec/audit/closure.h"
#include "sealexec/elf/ld_so_cache.h"
#include "sealexec/image/sealed_image.h"
#include "sealexec/util/error.h"

#include <filesystem>
#include <optional>
#include <string_view>

namespace sealexec {

// The dependency closure of the ELF program in `image` as ld.so will load it
// when it runs with `ld_library_path` and its $ORIGIN standing for `origin`
// (the program is analysed from the sealed bytes; its libraries from disk).
[[nodiscard]] Expected<audit::Closure>
image_closure(const SealedImage& image, const std::optional<std::filesystem::path>& origin,
              std::optional<std::string_view> ld_library_path, const elf::LdSoCache* cache);

// A new image of `image` whose PT_GNU_STACK no longer asks for an executable
// stack (the same change as `sealexec fix --clear-execstack`, made in memory
// before sealing). It keeps the name, origin and source (which errors name);
// its digest is that of the new bytes. nullopt when there is nothing to clear. This covers the program
// only: the libraries ld.so loads from disk are not changed.
[[nodiscard]] Expected<std::optional<SealedImage>> clear_execstack(const SealedImage& image,
                                                                   std::string_view name);

} // namespace sealexec
