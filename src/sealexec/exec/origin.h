// Keeping $ORIGIN working for a program that runs from a memfd.
//
// ld.so expands $ORIGIN from readlink("/proc/self/exe"), which for a memfd is
// "/memfd:NAME (deleted)", so $ORIGIN becomes "/" and a RUNPATH such as
// $ORIGIN/../lib silently searches /lib instead of the program's own
// directory. sealexec cannot change that link, and rewriting the sealed bytes
// would break the promise that what runs is exactly what was sealed. It
// therefore expands the main program's RPATH/RUNPATH itself against the
// directory the file came from, and hands the result to ld.so through
// LD_LIBRARY_PATH, placed where ld.so's search order already puts that
// object's own path: after the caller's LD_LIBRARY_PATH for DT_RUNPATH
// (searched after it), before it for DT_RPATH (searched before it).
// docs/origin.md lists what this covers and what it does not.
#pragma once

#include "sealexec/image/sealed_image.h"
#include "sealexec/util/error.h"

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sealexec {

struct OriginPlan {
  // True when the program's DT_RPATH or DT_RUNPATH mentions $ORIGIN.
  bool uses_origin = false;
  // The DT_RUNPATH or DT_RPATH string as stored in the file.
  std::string search_path;
  // The LD_LIBRARY_PATH to run the program with; nullopt to leave it alone.
  std::optional<std::string> library_path;
  // Why the plan is incomplete, for the caller to show (no origin known, a
  // directory that LD_LIBRARY_PATH cannot express...).
  std::vector<std::string> warnings;
};

// Plans how `image` finds its $ORIGIN-relative libraries when its origin is
// `origin` (the directory the program file is in). `current_library_path` is
// the LD_LIBRARY_PATH the program would otherwise get. Not an ELF file, or no
// $ORIGIN: an empty plan.
[[nodiscard]] Expected<OriginPlan>
plan_origin(const SealedImage& image, const std::optional<std::filesystem::path>& origin,
            std::optional<std::string_view> current_library_path);

} // namespace sealexec
