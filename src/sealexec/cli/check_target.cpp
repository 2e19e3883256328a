#include "sealexec/cli/check_target.h"

#include "sealexec/audit/image_tree.h"

#include <fmt/format.h>

#include <cerrno>
#include <filesystem>
#include <new>

namespace sealexec::cli {

namespace {

constexpr const char* k_cache_path = "/etc/ld.so.cache";
// Larger than any real cache (Debian's with every library: a few MB).
constexpr std::uint64_t k_cache_limit = 256ULL << 20;

} // namespace

Expected<CheckTarget> CheckTarget::host(bool deps) {
  CheckTarget target;
  if (!deps) {
    return target;
  }
  // ld.so carries on without its cache, and so do we (after saying so).
  if (auto loaded = elf::LdSoCache::load(k_cache_path)) {
    target.m_cache = std::move(*loaded);
  } else if (std::filesystem::exists(k_cache_path)) {
    target.m_warnings.push_back(loaded.error().message());
  }
  return target;
}

Expected<CheckTarget> CheckTarget::root(const std::string& directory, bool deps) {
  CheckTarget target;
  SEALEXEC_TRY_ASSIGN(target.m_tree, audit::open_root_tree(directory));
  if (deps) {
    target.load_cache_from_tree(fmt::format("{} in {}", k_cache_path, directory));
  }
  return target;
}

Expected<CheckTarget> CheckTarget::image(const std::string& file, bool deps) {
  CheckTarget target;
  try {
    SEALEXEC_TRY_ASSIGN(target.m_tree, audit::open_image_tree(file));
  } catch (const std::bad_alloc&) {
    // A compressed layer can inflate to gigabytes of ELF-looking bytes (up
    // to the 4 GiB bound); under a memory limit that is one line, not abort.
    return fail(make_error(Errc::too_large, file,
                           "needs more memory than this process may have to hold the ELF files "
                           "of its compressed layers"));
  }
  if (deps) {
    target.load_cache_from_tree(fmt::format("{} in {}", k_cache_path, file));
  }
  return target;
}

void CheckTarget::load_cache_from_tree(const std::string& shown_as) {
  auto bytes = m_tree->read_file(k_cache_path, k_cache_limit);
  if (!bytes) {
    const Error& error = bytes.error();
    if (error.code == Errc::system && error.sys_errno == ENOENT) {
      m_warnings.push_back(fmt::format(
          "{} does not exist: ld.so there searches only its default directories, and so does "
          "check (ldconfig -r ROOT would build it)",
          shown_as));
    } else {
      m_warnings.push_back(fmt::format("{}: {}", shown_as, error.message()));
    }
    return;
  }
  m_cache_bytes = std::move(*bytes);
  auto parsed = elf::LdSoCache::parse(m_cache_bytes, shown_as);
  if (!parsed) {
    m_warnings.push_back(parsed.error().message());
    return;
  }
  m_cache = std::move(*parsed);
}

} // namespace sealexec::cli
