#include "sealexec/audit/execstack_fix.h"

#include "sealexec/util/fd.h"
#include "sealexec/util/replacement_file.h"

#include <elf.h>
#include <fcntl.h>
#include <sys/xattr.h>
#include <fmt/format.h>

#include <cstring>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bit>
#include <cerrno>

namespace sealexec::audit {

namespace {

// Offsets inside one program header (Elf32_Phdr / Elf64_Phdr).
std::uint64_t flags_offset(bool is64) { return is64 ? offsetof(Elf64_Phdr, p_flags)
                                                    : offsetof(Elf32_Phdr, p_flags); }

std::vector<std::byte> encode_u32(std::uint32_t value, elf::ByteOrder order) {
  std::vector<std::byte> bytes(4);
  for (std::size_t i = 0; i < 4; ++i) {
    const std::size_t shift = order == elf::ByteOrder::little ? i : 3 - i;
    bytes[i] = static_cast<std::byte>((value >> (8 * shift)) & 0xff);
  }
  return bytes;
}

} // namespace

Expected<ExecstackPlan> plan_clear_execstack(const elf::ElfFile& file) {
  const elf::FileHeader& header = file.header();
  const bool is64 = file.is_64();
  const std::uint64_t entry_size = header.phentsize;
  ExecstackPlan plan;
  // What neither the kernel nor ld.so loads has no stack to decide about
  // (check says the same: stack.fix "none"). An object file's stack comes
  // from its .note.GNU-stack section, which the linker reads.
  if ((header.type != ET_EXEC && header.type != ET_DYN) || header.machine == EM_NONE) {
    plan.description = header.type == ET_REL
                           ? "nothing to change: an object file has no stack of its own (the "
                             "linker reads its .note.GNU-stack section)"
                           : "nothing to change: neither the kernel nor ld.so loads it";
    return plan;
  }

  const auto phdrs = file.program_headers();
  bool has_stack_header = false;
  for (std::size_t i = 0; i < phdrs.size(); ++i) {
    if (phdrs[i].type != PT_GNU_STACK) {
      continue;
    }
    has_stack_header = true;
    if ((phdrs[i].flags & PF_X) != 0) {
      // Every one, not only the last: a later tool that looks at the first
      // must not see PF_X either.
      plan.patches.push_back({header.phoff + i * entry_size + flags_offset(is64),
                              encode_u32(phdrs[i].flags & ~std::uint32_t{PF_X},
                                         header.byte_order)});
    }
  }
  if (has_stack_header) {
    if (!plan.patches.empty()) {
      plan.action = ExecstackPlan::Action::clear_pf_x;
      plan.description = fmt::format("clear PF_X on {} PT_GNU_STACK header{}",
                                     plan.patches.size(), plan.patches.size() == 1 ? "" : "s");
    } else {
      plan.description = "the stack is already non-executable (PT_GNU_STACK without PF_X)";
    }
    return plan;
  }

  for (std::size_t i = 0; i < phdrs.size(); ++i) {
    if (phdrs[i].type != PT_NULL) {
      continue;
    }
    // A whole new header: type PT_GNU_STACK, flags RW, every other field 0.
    std::vector<std::byte> entry(entry_size, std::byte{0});
    const auto type = encode_u32(PT_GNU_STACK, header.byte_order);
    const auto flags = encode_u32(PF_R | PF_W, header.byte_order);
    std::copy(type.begin(), type.end(), entry.begin());
    std::copy(flags.begin(), flags.end(),
              entry.begin() + static_cast<long>(flags_offset(is64)));
    plan.patches.push_back({header.phoff + i * entry_size, std::move(entry)});
    plan.action = ExecstackPlan::Action::use_null_slot;
    plan.description = fmt::format(
        "add a PT_GNU_STACK header (RW) in the unused PT_NULL slot {}", i);
    return plan;
  }
  return fail(make_error(
      Errc::not_runnable, file.source().name(),
      "has no PT_GNU_STACK header and no unused PT_NULL slot to add one; relink it with "
      "-Wl,-z,noexecstack (or give assembly files .section .note.GNU-stack,\"\",@progbits)"));
}

StackFix decide_stack_fix(const elf::ElfFile& file, StackIntent intent, std::string& reason) {
  const auto plan = plan_clear_execstack(file);
  if (!plan) {
    reason = plan.error().reason;
    return StackFix::relink_only;
  }
  if (plan->action == ExecstackPlan::Action::none) {
    return StackFix::not_needed;
  }
  return intent == StackIntent::trampolines ? StackFix::needs_force : StackFix::patch;
}

namespace {

// Bounds on what a file's extended attributes may hold (the kernel's own
// limits are 64 KiB per list and per value).
constexpr std::size_t k_max_xattr_bytes = 64 * 1024;

Expected<std::vector<char>> xattr_value(int fd, const char* name, const std::string& source_name) {
  std::vector<char> value(k_max_xattr_bytes);
  const ssize_t length = ::fgetxattr(fd, name, value.data(), value.size());
  if (length < 0) {
    return fail(system_error(fmt::format("cannot read its extended attribute {}", name),
                             source_name, "fgetxattr"));
  }
  value.resize(static_cast<std::size_t>(length));
  return value;
}

Expected<void> copy_extended_attributes(int from, int to, const std::string& source_name) {
  std::vector<char> names(k_max_xattr_bytes);
  const ssize_t length = ::flistxattr(from, names.data(), names.size());
  if (length < 0) {
    if (errno == ENOTSUP) {
      return {};
    }
    return fail(system_error("cannot list its extended attributes", source_name, "flistxattr"));
  }
  for (std::size_t at = 0; at < static_cast<std::size_t>(length);) {
    const char* name = names.data() + at;
    const std::size_t name_length = ::strnlen(name, static_cast<std::size_t>(length) - at);
    at += name_length + 1;
    if (name_length == 0) {
      continue;
    }
    SEALEXEC_TRY_ASSIGN(const std::vector<char> value, xattr_value(from, name, source_name));
    // The new file may carry it already (an SELinux label from the policy).
    if (auto existing = xattr_value(to, name, source_name); existing && *existing == value) {
      continue;
    }
    if (::fsetxattr(to, name, value.data(), value.size(), 0) != 0) {
      return fail(system_error(
          fmt::format("cannot keep its extended attribute {} in the fixed copy (nothing was "
                      "changed)",
                      name),
          source_name, "fsetxattr"));
    }
  }
  return {};
}

} // namespace

Expected<void> write_patched_copy(const std::filesystem::path& source,
                                  const std::filesystem::path& destination,
                                  const std::vector<Patch>& patches) {
  const std::string source_name = source.string();
  SEALEXEC_TRY_ASSIGN(const Fd in, open_fd(source_name.c_str(), O_RDONLY | O_NOCTTY));
  struct stat st {};
  if (::fstat(in.get(), &st) != 0) {
    return fail(system_error("cannot inspect", source_name, "fstat"));
  }
  if (!S_ISREG(st.st_mode)) {
    return fail(make_error(Errc::not_runnable, source_name, "is not a regular file"));
  }

  // Replace the file a symlink points to, not the symlink.
  std::error_code error;
  std::filesystem::path target = std::filesystem::weakly_canonical(destination, error);
  if (error) {
    target = destination;
  }
  SEALEXEC_TRY_ASSIGN(ReplacementFile out, ReplacementFile::create(target));
  const auto size = static_cast<std::uint64_t>(st.st_size);
  for (std::uint64_t done = 0; done < size;) {
    off_t position = static_cast<off_t>(done);
    const ssize_t sent = ::sendfile(out.fd(), in.get(), &position, size - done);
    if (sent < 0 && errno == EINTR) {
      continue;
    }
    if (sent <= 0) {
      return fail(system_error("cannot copy", source_name, "sendfile"));
    }
    done += static_cast<std::uint64_t>(sent);
  }
  for (const Patch& patch : patches) {
    if (patch.offset + patch.bytes.size() > size ||
        ::pwrite(out.fd(), patch.bytes.data(), patch.bytes.size(),
                 static_cast<off_t>(patch.offset)) != static_cast<ssize_t>(patch.bytes.size())) {
      return fail(system_error("cannot write the fixed copy of", source_name, "pwrite"));
    }
  }
  // Owner first: chown clears the set-id bits, even for root, so the mode
  // comes after it. Only root may give a file away; when the owner cannot be
  // kept, nothing is replaced.
  if ((st.st_uid != ::geteuid() || st.st_gid != ::getegid()) &&
      ::fchown(out.fd(), st.st_uid, st.st_gid) != 0) {
    return fail(system_error(
        fmt::format("cannot keep its owner (uid {}, gid {}) in the fixed copy", st.st_uid,
                    st.st_gid),
        source_name, "fchown"));
  }
  if (::fchmod(out.fd(), st.st_mode & 07777) != 0) {
    return fail(system_error("cannot set the mode of the fixed copy of", source_name, "fchmod"));
  }
  // Last, after chown (which clears file capabilities): every extended
  // attribute, or nothing is replaced (a ping without its capability, or a
  // program without its SELinux label, would break silently).
  SEALEXEC_TRY(copy_extended_attributes(in.get(), out.fd(), source_name));
  return out.commit();
}

} // namespace sealexec::audit
