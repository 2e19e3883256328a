#include "sealexec/cli/json_writer.h"

#include "sealexec/util/terminal_text.h"

#include <fmt/format.h>

#include <iterator>

namespace sealexec::cli {

namespace {

void append_json_escaped(std::string& out, std::string_view text) {
  for (const char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      // terminal_text leaves none; kept so the output is JSON whatever comes in.
      fmt::format_to(std::back_inserter(out), "\\u{:04x}", static_cast<unsigned>(c));
    } else {
      out += c;
    }
  }
}

void append_string(std::string& out, std::string_view text) {
  out += '"';
  if (needs_terminal_escape(text)) {
    std::string escaped;
    append_terminal_text(escaped, text);
    append_json_escaped(out, escaped);
  } else {
    append_json_escaped(out, text);
  }
  out += '"';
}

} // namespace

void JsonWriter::before_value() {
  if (m_after_key) {
    m_after_key = false;
    return;
  }
  if (!m_has_value.empty()) {
    if (m_has_value.back()) {
      m_out += ',';
    }
    m_has_value.back() = true;
  }
}

JsonWriter& JsonWriter::begin_object() {
  before_value();
  m_out += '{';
  m_has_value.push_back(false);
  return *this;
}

JsonWriter& JsonWriter::end_object() {
  m_out += '}';
  m_has_value.pop_back();
  return *this;
}

JsonWriter& JsonWriter::begin_array() {
  before_value();
  m_out += '[';
  m_has_value.push_back(false);
  return *this;
}

JsonWriter& JsonWriter::end_array() {
  m_out += ']';
  m_has_value.pop_back();
  return *this;
}

JsonWriter& JsonWriter::key(std::string_view name) {
  before_value();
  m_out += '"';
  m_out += name;
  m_out += "\":";
  m_after_key = true;
  return *this;
}

JsonWriter& JsonWriter::string(std::string_view text) {
  before_value();
  append_string(m_out, text);
  return *this;
}

JsonWriter& JsonWriter::number(std::uint64_t value) {
  before_value();
  fmt::format_to(std::back_inserter(m_out), "{}", value);
  return *this;
}

JsonWriter& JsonWriter::number(std::int64_t value) {
  before_value();
  fmt::format_to(std::back_inserter(m_out), "{}", value);
  return *this;
}

JsonWriter& JsonWriter::boolean(bool value) {
  before_value();
  m_out += value ? "true" : "false";
  return *this;
}

JsonWriter& JsonWriter::null() {
  before_value();
  m_out += "null";
  return *this;
}

JsonWriter& JsonWriter::optional_string(const std::optional<std::string>& text) {
  return text ? string(*text) : null();
}

JsonWriter& JsonWriter::strings(std::span<const std::string> texts) {
  begin_array();
  for (const std::string& text : texts) {
    string(text);
  }
  return end_array();
}

JsonWriter& JsonWriter::numbers(std::span<const std::size_t> values) {
  begin_array();
  for (const std::size_t value : values) {
    number(std::uint64_t{value});
  }
  return end_array();
}

std::string json_string(std::string_view text) {
  std::string out;
  append_string(out, text);
  return out;
}

} // namespace sealexec::cli
