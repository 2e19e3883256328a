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
// `mov $imm32, %r11d`: what GCC writes instead of the movabs when the nested
// function's address fits in 32 bits (-no-pie).
constexpr std::byte k_rex_b{0x41};
constexpr std::byte k_movabs_r11{0xbb};
constexpr std::byte k_movabs_r10{0xba};
constexpr std::byte k_mov_imm32{0xc7};
// How far before the tail's store the two movabs halves may be written.
// GCC -O2 loads them into registers at the top of the function (66 bytes
// before the store in the test program); 256 leaves room for larger frames.
constexpr std::size_t k_window = 256;
constexpr std::size_t k_chunk = 1U << 20;

bool has_pair(std::span<const std::byte> bytes, std::byte second, bool short_form) {
  for (std::size_t i = 0; i + 1 < bytes.size(); ++i) {
    if ((bytes[i] == k_rex_wb || (short_form && bytes[i] == k_rex_b)) && bytes[i + 1] == second) {
      return true;
    }
  }
  return false;
}

// Whether `lea disp(%rbp|%rsp), %reg` (48 8d, ModRM reg = `reg`) comes in the
// window before `op`: at -O0 GCC first computes the trampoline's address on
// the stack into a register, then stores through that register.
bool loads_stack_address(std::span<const std::byte> bytes, std::size_t op, unsigned reg) {
  const std::size_t start = op > k_window ? op - k_window : 0;
  for (std::size_t i = start; i + 3 < op; ++i) {
    if (bytes[i] != std::byte{0x48} || bytes[i + 1] != std::byte{0x8d}) {
      continue;
    }
    const auto modrm = std::to_integer<unsigned>(bytes[i + 2]);
    const unsigned mod = modrm >> 6U;
    const unsigned rm = modrm & 7U;
    if (((modrm >> 3U) & 7U) != reg || mod == 0 || mod == 3) {
      continue;
    }
    if (rm == 5 || (rm == 4 && (std::to_integer<unsigned>(bytes[i + 3]) & 7U) == 4)) {
      return true;
    }
  }
  return false;
}

// Whether the `movl $imm32, mem` whose opcode is at `op` writes to the stack
// (its base is %rsp or %rbp, not r12/r13, or a register just loaded with an
// address on the stack) and its immediate starts at `at`:
// c7, a ModRM byte, an optional SIB and a displacement of 0, 1 or 4 bytes.
bool stores_to_stack(std::span<const std::byte> bytes, std::size_t op, std::size_t at) {
  if (op + 1 >= bytes.size()) {
    return false;
  }
  if (op > 0) {
    const auto prefix = std::to_integer<unsigned>(bytes[op - 1]);
    if ((prefix & 0xf0U) == 0x40U && (prefix & 0x1U) != 0) {
      return false; // REX.B: the base is r8-r15
    }
  }
  const auto modrm = std::to_integer<unsigned>(bytes[op + 1]);
  const unsigned mod = modrm >> 6U;
  const unsigned rm = modrm & 7U;
  if (mod == 3 || ((modrm >> 3U) & 7U) != 0) {
    return false; // a register, or not the /0 form of c7
  }
  std::size_t length = 2;
  unsigned base = rm;
  if (rm == 4) {
    if (op + 2 >= bytes.size()) {
      return false;
    }
    base = std::to_integer<unsigned>(bytes[op + 2]) & 7U;
    length += 1;
  }
  const bool on_stack = base == 4 || (base == 5 && mod != 0) ||
                        (rm != 4 && !(base == 5 && mod == 0) && loads_stack_address(bytes, op, base));
  length += mod == 1 ? 1 : mod == 2 ? 4 : 0;
  return on_stack && op + length == at;
}

// Whether `at` (the start of the tail in `bytes`) is the immediate of a
// `movl $imm32, mem` into the stack, 2 to 7 bytes after its opcode.
bool is_store_immediate(std::span<const std::byte> bytes, std::size_t at) {
  for (std::size_t back = 2; back <= 7 && back <= at; ++back) {
    if (bytes[at - back] == k_mov_imm32 && stores_to_stack(bytes, at - back, at)) {
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
    if (is_store_immediate(bytes, at) && has_pair(before, k_movabs_r11, true) &&
        has_pair(before, k_movabs_r10, false)) {
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
