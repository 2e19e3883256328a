// Writes tar archives byte by byte for the tar and image tests, including
// what no well-behaved tool writes (bad checksums, base-256 sizes, broken
// pax records), so each edge case is exactly the bytes the test names.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace sealexec::test {

class TarWriter {
public:
  struct Header {
    std::string name;
    char type = '0';
    std::string link;
    std::uint64_t size = 0;
    bool base256_size = false;
    std::string prefix; // ustar prefix field
    bool gnu_magic = false;
    bool break_checksum = false;
    std::string raw_size; // written as is into the size field when set
  };

  void header(const Header& h) {
    std::vector<char> block(512, '\0');
    std::memcpy(block.data(), h.name.data(), std::min<std::size_t>(h.name.size(), 100));
    std::snprintf(block.data() + 100, 8, "%07o", 0644U);
    std::snprintf(block.data() + 108, 8, "%07o", 0U);
    std::snprintf(block.data() + 116, 8, "%07o", 0U);
    if (!h.raw_size.empty()) {
      std::memcpy(block.data() + 124, h.raw_size.data(), std::min<std::size_t>(h.raw_size.size(), 12));
    } else if (h.base256_size) {
      block[124] = static_cast<char>(0x80);
      for (int i = 0; i < 8; ++i) {
        block[static_cast<std::size_t>(135 - i)] = static_cast<char>((h.size >> (8 * i)) & 0xff);
      }
    } else {
      std::snprintf(block.data() + 124, 12, "%011llo", static_cast<unsigned long long>(h.size));
    }
    std::snprintf(block.data() + 136, 12, "%011o", 0U);
    block[156] = h.type;
    std::memcpy(block.data() + 157, h.link.data(), std::min<std::size_t>(h.link.size(), 100));
    if (h.gnu_magic) {
      std::memcpy(block.data() + 257, "ustar  ", 8);
    } else {
      std::memcpy(block.data() + 257, "ustar", 6);
      std::memcpy(block.data() + 263, "00", 2);
    }
    std::memcpy(block.data() + 345, h.prefix.data(), std::min<std::size_t>(h.prefix.size(), 155));
    std::memset(block.data() + 148, ' ', 8);
    unsigned sum = 0;
    for (const char c : block) {
      sum += static_cast<unsigned char>(c);
    }
    std::snprintf(block.data() + 148, 8, "%06o", sum + (h.break_checksum ? 1 : 0));
    block[155] = ' ';
    m_bytes.insert(m_bytes.end(), block.begin(), block.end());
  }

  void data(std::string_view bytes) {
    m_bytes.insert(m_bytes.end(), bytes.begin(), bytes.end());
    m_bytes.resize(m_bytes.size() + (512 - bytes.size() % 512) % 512, '\0');
  }

  void file(const std::string& name, std::string_view content, char type = '0') {
    header({.name = name, .type = type, .size = content.size()});
    data(content);
  }
  void entry(const std::string& name, char type, const std::string& link = "") {
    header({.name = name, .type = type, .link = link});
  }
  // A pax extended header ('x') with these records, for the next member.
  void pax(const std::vector<std::pair<std::string, std::string>>& records, char type = 'x') {
    std::string text;
    for (const auto& [key, value] : records) {
      const std::string body = " " + key + "=" + value + "\n";
      std::size_t length = body.size() + 1;
      while (std::to_string(length).size() + body.size() != length) {
        ++length;
      }
      text += std::to_string(length) + body;
    }
    header({.name = "PaxHeaders/x", .type = type, .size = text.size()});
    data(text);
  }
  void end() { m_bytes.resize(m_bytes.size() + 1024, '\0'); }

  [[nodiscard]] const std::vector<char>& bytes() const { return m_bytes; }
  [[nodiscard]] std::string text() const { return {m_bytes.begin(), m_bytes.end()}; }

private:
  std::vector<char> m_bytes;
};

} // namespace sealexec::test
