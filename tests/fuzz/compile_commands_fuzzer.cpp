// Feeds arbitrary bytes as an existing compile_commands.json to the merge
// that `sealexec script --compile-commands` does. It must either refuse, or
// give a database that holds the script's entry exactly once.
#include "sealexec/script/compile_commands.h"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace sealexec::script;
  const std::string_view existing(reinterpret_cast<const char*>(data), size);
  const CompileCommand ours{.directory = "/w", .file = "/w/tool", .arguments = {"cc", "/w/tool"}};
  const auto merged = merge_compile_commands(existing, std::span(&ours, 1), "fuzz");
  if (!merged) {
    return 0;
  }
  const auto database = nlohmann::ordered_json::parse(*merged, nullptr, false);
  if (!database.is_array()) {
    std::abort();
  }
  std::size_t found = 0;
  // Other entries may hold anything (a "file" that is an array, say):
  // only strings are compared.
  const auto is = [](const nlohmann::ordered_json& entry, const char* key, const char* text) {
    const auto value = entry.find(key);
    return value != entry.end() && value->is_string() && value->get<std::string>() == text;
  };
  for (const auto& entry : database) {
    if (entry.is_object() && is(entry, "file", "/w/tool") && is(entry, "directory", "/w")) {
      ++found;
    }
  }
  if (found != 1) {
    std::abort();
  }
  return 0;
}
