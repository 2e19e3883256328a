// What a script's compile read, for every translation unit: the compiler
// runs with -MD -MF -, so each unit (the script, and any source file the
// flags name) writes its make rule to the compiler's standard output, one
// after the other. A depfile (-MF FILE) would hold only the last unit's:
// gcc-12 and clang-19 both overwrite it.
#pragma once

#include "sealexec/exec/command.h"
#include "sealexec/script/depfile.h"
#include "sealexec/util/error.h"

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sealexec::script {

// The arguments that make the compiler write its dependency list on
// standard output. They go last, so that no flag before them redirects it.
inline constexpr std::string_view k_dependency_flags[] = {"-MD", "-MF", "-"};

// A flag with which that list would not be the whole story: one that
// changes it or sends it elsewhere (-M..., --write-dependencies and the
// like, -Wp,-M..., -Xpreprocessor), or an @FILE of options that could hold
// one. nullopt when there is none.
[[nodiscard]] std::optional<std::string> flag_hiding_dependencies(
    const std::vector<std::string>& flags);

// The compile's standard output as its dependency list: rules whose target
// is `output` (the -o file), and nothing else. Errc::malformed otherwise
// (something else printed there: a wrapper's banner, a linker's --verbose).
[[nodiscard]] Expected<Depfile> own_dependency_list(std::string_view text,
                                                    const std::filesystem::path& output);

// Reads the compiler's standard output (started with Output::capture) until
// it ends, or until the compiler has exited and what it wrote is read: a
// process it left behind (a server it started, say) may hold the pipe open
// for ever. Keeps at most `limit` bytes; then reaps the compiler.
[[nodiscard]] Expected<CommandResult> finish_compile(StartedCommand started, std::size_t limit);

} // namespace sealexec::script
