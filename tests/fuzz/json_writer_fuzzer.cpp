// Feeds arbitrary bytes to check's JSON writer as a name (a value, inside
// an array, as the path of a report would be). What comes out must parse as
// JSON, hold only well-formed UTF-8, and give back exactly what terminal_text
// makes of the name (which its own fuzzer proves decodes to the input), so
// any byte sequence in a file name yields a valid document.
#include "sealexec/cli/json_writer.h"
#include "sealexec/util/terminal_text.h"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view name(reinterpret_cast<const char*>(data), size);
  std::string out;
  sealexec::cli::JsonWriter json(out);
  json.begin_object();
  json.key("path").string(name);
  json.key("needed").begin_array().string(name).string("libc.so.6").null().end_array();
  json.key("depth").number(std::uint64_t{size});
  json.end_object();

  nlohmann::json parsed;
  try {
    parsed = nlohmann::json::parse(out); // throws on invalid UTF-8 too
  } catch (const nlohmann::json::exception&) {
    std::abort();
  }
  const std::string expected = sealexec::terminal_text(name);
  if (parsed.at("path").get<std::string>() != expected ||
      parsed.at("needed").at(0).get<std::string>() != expected ||
      parsed.at("needed").at(1).get<std::string>() != "libc.so.6" ||
      !parsed.at("needed").at(2).is_null() || parsed.at("depth").get<std::size_t>() != size) {
    std::abort();
  }
  // And exactly as json_text's nlohmann path would have written it.
  if (sealexec::cli::json_string(name) != nlohmann::json(expected).dump()) {
    std::abort();
  }
  return 0;
}
