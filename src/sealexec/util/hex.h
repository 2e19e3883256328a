// Lower-case hexadecimal text for byte strings.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sealexec {

[[nodiscard]] std::string to_hex(std::span<const std::uint8_t> bytes);

// Parses `text` (either case) into bytes; nullopt when it is not an even
// number of hex digits.
[[nodiscard]] std::optional<std::vector<std::uint8_t>> from_hex(std::string_view text);

} // namespace sealexec
