#include "sealexec/audit/loader_config.h"

#include <elf.h>
#include <sys/auxv.h>
#include <sys/stat.h>

#include <cctype>

namespace sealexec::audit {

namespace {

// Debian's multiarch triplets.
std::optional<std::string_view> triplet(std::uint16_t machine, bool is64) {
  switch (machine) {
  case EM_X86_64:
    return is64 ? std::optional<std::string_view>("x86_64-linux-gnu") : std::nullopt;
  case EM_386:
    return "i386-linux-gnu";
  case EM_AARCH64:
    return "aarch64-linux-gnu";
  case EM_ARM:
    return "arm-linux-gnueabihf";
  case EM_PPC64:
    return "powerpc64le-linux-gnu";
  case EM_S390:
    return "s390x-linux-gnu";
  case EM_RISCV:
    return "riscv64-linux-gnu";
  default:
    return std::nullopt;
  }
}

bool is_directory(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool continues_name(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_'; }

} // namespace

LoaderConfig system_loader_config(const elf::FileHeader& main, const elf::LdSoCache* cache,
                                  std::optional<std::string_view> ld_library_path) {
  LoaderConfig config;
  config.machine = main.machine;
  config.elf_class = main.elf_class;
  const bool is64 = main.elf_class == elf::ElfClass::elf64;
  const auto multiarch = triplet(main.machine, is64);
  if (multiarch && is_directory("/usr/lib/" + std::string(*multiarch))) {
    config.default_dirs = {"/lib/" + std::string(*multiarch),
                           "/usr/lib/" + std::string(*multiarch), "/lib", "/usr/lib"};
    config.lib_token = "lib/" + std::string(*multiarch);
  } else if (is64) {
    config.default_dirs = {"/lib64", "/usr/lib64"};
    config.lib_token = "lib64";
  } else {
    config.default_dirs = {"/lib", "/usr/lib"};
    config.lib_token = "lib";
  }
  // AT_PLATFORM describes the CPU we run on, which is the one that matters
  // for programs of our own architecture.
  const auto* platform = reinterpret_cast<const char*>(::getauxval(AT_PLATFORM));
  config.platform_token = platform != nullptr ? platform : "";
  config.cache_flags = elf::cache_flags_for(main.machine, is64);
  config.cache = cache;
  if (ld_library_path && !ld_library_path->empty()) {
    config.library_path = split_search_path(*ld_library_path, true);
  }
  return config;
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

std::optional<std::string> expand_tokens(std::string_view entry,
                                         std::optional<std::string_view> origin,
                                         const LoaderConfig& config) {
  std::string expanded;
  for (std::size_t i = 0; i < entry.size(); ++i) {
    if (entry[i] != '$') {
      expanded += entry[i];
      continue;
    }
    const std::string_view rest = entry.substr(i + 1);
    struct Token {
      std::string_view name;
      std::optional<std::string_view> value;
    };
    const Token tokens[] = {{"ORIGIN", origin},
                            {"LIB", std::string_view(config.lib_token)},
                            {"PLATFORM", std::string_view(config.platform_token)}};
    bool matched = false;
    for (const Token& token : tokens) {
      std::size_t length = 0;
      if (rest.starts_with("{") && rest.substr(1).starts_with(token.name) &&
          rest.size() > token.name.size() + 1 && rest[token.name.size() + 1] == '}') {
        length = token.name.size() + 2;
      } else if (rest.starts_with(token.name) &&
                 (rest.size() == token.name.size() || !continues_name(rest[token.name.size()]))) {
        length = token.name.size();
      }
      if (length == 0) {
        continue;
      }
      if (!token.value || token.value->empty()) {
        return std::nullopt; // ld.so drops an entry it cannot expand
      }
      expanded += *token.value;
      i += length;
      matched = true;
      break;
    }
    if (!matched) {
      expanded += '$';
    }
  }
  return expanded;
}

} // namespace sealexec::audit
