#include "sealexec/audit/loader_config.h"

#include <elf.h>
#include <sys/auxv.h>

#include <cctype>

namespace sealexec::audit {

namespace {

// What a glibc system of one architecture calls its directories, its ld.so
// and its platform (Debian's multiarch triplets; the PT_INTERP paths of
// glibc's sysdeps/*/ldsodefs.h and shlib-versions).
struct ArchLayout {
  std::string_view triplet;
  std::string_view interpreter;
  std::string_view platform;     // AT_PLATFORM of a typical CPU, for $PLATFORM
  std::string_view plain_lib;    // the non-multiarch library directory name
};

std::optional<ArchLayout> layout_of(const elf::FileHeader& header) {
  const bool is64 = header.elf_class == elf::ElfClass::elf64;
  constexpr std::uint32_t k_ef_arm_abi_float_hard = 0x400;
  switch (header.machine) {
  case EM_X86_64:
    return is64 ? ArchLayout{"x86_64-linux-gnu", "/lib64/ld-linux-x86-64.so.2", "x86_64", "lib64"}
                : ArchLayout{"x86_64-linux-gnux32", "/libx32/ld-linux-x32.so.2", "x86_64",
                             "libx32"};
  case EM_386:
    return ArchLayout{"i386-linux-gnu", "/lib/ld-linux.so.2", "i686", "lib"};
  case EM_AARCH64:
    return ArchLayout{"aarch64-linux-gnu", "/lib/ld-linux-aarch64.so.1", "aarch64", "lib64"};
  case EM_ARM:
    return (header.flags & k_ef_arm_abi_float_hard) != 0
               ? ArchLayout{"arm-linux-gnueabihf", "/lib/ld-linux-armhf.so.3", "v7l", "lib"}
               : ArchLayout{"arm-linux-gnueabi", "/lib/ld-linux.so.3", "v5l", "lib"};
  case EM_PPC64:
    return header.byte_order == elf::ByteOrder::little
               ? ArchLayout{"powerpc64le-linux-gnu", "/lib64/ld64.so.2", "power8", "lib64"}
               : ArchLayout{"powerpc64-linux-gnu", "/lib64/ld64.so.1", "power8", "lib64"};
  case EM_S390:
    return ArchLayout{"s390x-linux-gnu", "/lib/ld64.so.1", "z13", "lib64"};
  case EM_RISCV:
    return ArchLayout{"riscv64-linux-gnu", "/lib/ld-linux-riscv64-lp64d.so.1", "", "lib64"};
  default:
    return std::nullopt;
  }
}

bool continues_name(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_'; }

} // namespace

namespace {

// The part both configurations share: directories (Debian multiarch when
// the tree has /usr/lib/<triplet>), tokens, the interpreter and the cache.
LoaderConfig loader_config_for(const FileTree& tree, const elf::FileHeader& main,
                               const elf::LdSoCache* cache) {
  LoaderConfig config;
  config.machine = main.machine;
  config.elf_class = main.elf_class;
  const bool is64 = main.elf_class == elf::ElfClass::elf64;
  const auto layout = layout_of(main);
  const std::string plain = layout ? std::string(layout->plain_lib) : is64 ? "lib64" : "lib";
  if (layout && tree.kind("/usr/lib/" + std::string(layout->triplet), true) ==
                    TreeKind::directory) {
    const std::string triplet(layout->triplet);
    config.default_dirs = {"/lib/" + triplet, "/usr/lib/" + triplet, "/lib", "/usr/lib"};
    config.lib_token = "lib/" + triplet;
  } else {
    config.default_dirs = {"/" + plain, "/usr/" + plain};
    config.lib_token = plain;
  }
  if (layout) {
    config.default_interpreter = layout->interpreter;
    config.platform_token = layout->platform;
  }
  config.cache_flags = elf::cache_flags_for(main.machine, is64, main.flags);
  config.cache = cache;
  config.tree = &tree;
  return config;
}

} // namespace

LoaderConfig system_loader_config(const elf::FileHeader& main, const elf::LdSoCache* cache,
                                  std::optional<std::string_view> ld_library_path) {
  LoaderConfig config = loader_config_for(host_tree(), main, cache);
  config.tree = nullptr;
  // AT_PLATFORM describes the CPU we run on, which is the one that matters
  // for programs of our own architecture.
  const auto* platform = reinterpret_cast<const char*>(::getauxval(AT_PLATFORM));
  config.platform_token = platform != nullptr ? platform : "";
  if (ld_library_path && !ld_library_path->empty()) {
    config.library_path = split_search_path(*ld_library_path, true);
  }
  return config;
}

LoaderConfig tree_loader_config(const FileTree& tree, const elf::FileHeader& main,
                                const elf::LdSoCache* cache) {
  return loader_config_for(tree, main, cache);
}

std::vector<std::string> split_search_path(std::string_view text, bool semicolons) {
  std::vector<std::string> entries;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == ':' || (semicolons && text[i] == ';')) {
      const std::string_view entry = text.substr(start, i - start);
      entries.emplace_back(entry.empty() ? std::string_view(".") : entry);
      start = i + 1;
    }
  }
  return entries;
}

namespace {

// The length of the token `name` at `rest` (the text after a '$'), in
// either form; 0 when it is not there.
std::size_t token_length(std::string_view rest, std::string_view name) {
  if (rest.starts_with("{") && rest.substr(1).starts_with(name) &&
      rest.size() > name.size() + 1 && rest[name.size() + 1] == '}') {
    return name.size() + 2;
  }
  if (rest.starts_with(name) && (rest.size() == name.size() || !continues_name(rest[name.size()]))) {
    return name.size();
  }
  return 0;
}

} // namespace

std::optional<std::string> expand_tokens(std::string_view entry, const TokenValues& values,
                                         MissingToken missing) {
  struct Token {
    std::string_view name;
    std::optional<std::string_view> value;
  };
  const Token tokens[] = {
      {"ORIGIN", values.origin}, {"LIB", values.lib}, {"PLATFORM", values.platform}};
  std::string expanded;
  for (std::size_t i = 0; i < entry.size(); ++i) {
    std::size_t length = 0;
    const Token* found = nullptr;
    if (entry[i] == '$') {
      for (const Token& token : tokens) {
        if ((length = token_length(entry.substr(i + 1), token.name)) > 0) {
          found = &token;
          break;
        }
      }
    }
    if (found == nullptr) {
      expanded += entry[i];
      continue;
    }
    if (!found->value || found->value->empty()) {
      if (missing == MissingToken::drop_entry) {
        return std::nullopt; // ld.so drops an entry it cannot expand
      }
      expanded += entry.substr(i, length + 1);
    } else {
      expanded += *found->value;
    }
    i += length;
  }
  return expanded;
}

std::optional<std::string> expand_tokens(std::string_view entry,
                                         std::optional<std::string_view> origin,
                                         const LoaderConfig& config) {
  return expand_tokens(entry,
                       {.origin = origin, .lib = config.lib_token, .platform = config.platform_token},
                       MissingToken::drop_entry);
}

bool mentions_token(std::string_view entry, std::string_view name) {
  for (std::size_t i = 0; i < entry.size(); ++i) {
    if (entry[i] == '$' && token_length(entry.substr(i + 1), name) > 0) {
      return true;
    }
  }
  return false;
}

} // namespace sealexec::audit
