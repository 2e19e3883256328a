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
