// A JSON document written straight into a string, for output that can be
// large (check -R --deps of a whole system: megabytes), where building a
// tree of nlohmann::json values first costs more than the scan itself.
//
// Strings are escaped exactly as json_text (cli/output.h) escapes them:
// terminal_text first (no control character, no bidirectional override, no
// byte that is not UTF-8 survives), then JSON's own escapes for '"' and
// '\'. Keys are the caller's own ASCII names and are written as they are.
// The caller writes keys in the order it wants them (check keeps nlohmann's
// sorted order, so the output does not change with the writer).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sealexec::cli {

class JsonWriter {
public:
  explicit JsonWriter(std::string& out) : m_out(out) {}

  JsonWriter& begin_object();
  JsonWriter& end_object();
  JsonWriter& begin_array();
  JsonWriter& end_array();
  // The key of the next value in the current object.
  JsonWriter& key(std::string_view name);

  JsonWriter& string(std::string_view text);
  JsonWriter& number(std::uint64_t value);
  JsonWriter& number(std::int64_t value);
  JsonWriter& boolean(bool value);
  JsonWriter& null();

  JsonWriter& optional_string(const std::optional<std::string>& text);
  JsonWriter& strings(std::span<const std::string> texts);
  JsonWriter& numbers(std::span<const std::size_t> values);

private:
  void before_value();

  std::string& m_out;
  // One flag per open object or array: whether a value was written in it.
  std::vector<bool> m_has_value;
  bool m_after_key = false;
};

// `text` as a JSON string literal, escaped as above (for fuzzing and tests).
[[nodiscard]] std::string json_string(std::string_view text);

} // namespace sealexec::cli
