#include "sealexec/audit/trampolines.h"

#include <elf.h>

#include <algorithm>
#include <array>
#include <span>
#include <vector>

namespace sealexec::audit {

namespace {

constexpr std::array k_tail{std::byte{0x49}, std::byte{0xff}, std::byte{0xe3}, std::byte{0x90}};
constexpr std::byte k_rex_wb{0x49};
constexpr std::byte k_movabs_r11{0xbb};
constexpr std::byte k_movabs_r10{0xba};
constexpr std::byte k_mov_imm32{0xc7};
// How far before the tail's store the two movabs halves may be written.
// GCC -O2 loads them into registers at the top of the function (66 bytes
// before the store in the test program); 256 leaves room for larger frames.
constexpr std::size_t k_window = 256;
constexpr std::size_t k_chunk = 1U << 20;

bool has_pair(std::span<const std::byte> bytes, std::byte second) {
  for (std::size_t i = 0; i + 1 < bytes.size(); ++i) {
    if (bytes[i] == k_rex_wb && bytes[i + 1] == second) {
      return true;
    }
  }
  return false;
}

// Whether `at` (the start of the tail in `bytes`) is the immediate of a
// `movl $imm32, mem`: c7, a ModRM byte, an optional SIB and a displacement
// of 0, 1 or 4 bytes put the opcode 2 to 7 bytes before it.
bool is_store_immediate(std::span<const std::byte> bytes, std::size_t at) {
  for (std::size_t back = 2; back <= 7 && back <= at; ++back) {
    if (bytes[at - back] == k_mov_imm32) {
      return true;
    }
  }
  return false;
}

std::optional<std::size_t> find_in(std::span<const std::byte> bytes, std::size_t from) {
  for (auto it = std::search(bytes.begin() + static_cast<std::ptrdiff_t>(from), bytes.end(),
                             k_tail.begin(), k_tail.end());
       it != bytes.end(); it = std::search(it + 1, bytes.end(), k_tail.begin(), k_tail.end())) {
    const auto at = static_cast<std::size_t>(it - bytes.begin());
    const std::size_t start = at > k_window ? at - k_window : 0;
    const auto before = bytes.subspan(start, at - start);
    if (is_store_immediate(bytes, at) && has_pair(before, k_movabs_r11) &&
        has_pair(before, k_movabs_r10)) {
      return at;
    }
  }
  return std::nullopt;
}

} // namespace

Expected<std::optional<std::uint64_t>> find_stack_trampoline(const elf::ElfFile& file) {
  if (file.header().machine != EM_X86_64) {
    return std::optional<std::uint64_t>();
  }
  const std::uint64_t file_size = file.source().size();
  std::uint64_t budget = k_max_trampoline_scan;
  std::vector<std::byte> buffer;
  for (const elf::ProgramHeader& p : file.program_headers()) {
    if (p.type != PT_LOAD || (p.flags & PF_X) == 0 || budget == 0) {
      continue;
    }
    // Only what the file holds: a damaged header must not make us read
    // past its end (the loader would refuse the file anyway).
    if (p.offset >= file_size) {
      continue;
    }
    const std::uint64_t end = p.offset + std::min({p.filesz, file_size - p.offset, budget});
    budget -= end - p.offset;
    // Chunks overlap by the window, so a trampoline across a boundary is
    // still seen whole; `from` skips what the previous chunk searched.
    for (std::uint64_t at = p.offset; at < end;) {
      const std::uint64_t keep = at == p.offset ? 0 : std::min<std::uint64_t>(k_window + 8, at - p.offset);
      const std::uint64_t start = at - keep;
      const std::uint64_t length = std::min<std::uint64_t>(k_chunk, end - start);
      buffer.resize(length);
      SEALEXEC_TRY(file.source().read(start, buffer));
      // Tails starting in the overlap were searched already, except the
      // last few bytes that could not hold a whole tail then.
      const std::size_t from = keep > k_tail.size() ? keep - k_tail.size() : 0;
      if (const auto found = find_in(buffer, from)) {
        return std::optional<std::uint64_t>(start + *found);
      }
      if (start + length >= end) {
        break;
      }
      at = start + length;
    }
  }
  return std::optional<std::uint64_t>();
}

} // namespace sealexec::audit
