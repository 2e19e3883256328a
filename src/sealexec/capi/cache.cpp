// The cache through the C API (sealexec.h): the CLI's keys and fingerprints,
// so that both see the same entries.
#include "sealexec/capi/handles.h"

#include "sealexec/cache/configured_cache.h"
#include "sealexec/cache/fingerprint.h"
#include "sealexec/exec/exec.h"
#include "sealexec/remote/remote_settings.h"

#include <cstring>
#include <filesystem>

using sealexec::Expected;
using sealexec::cache::Cache;
using namespace sealexec::capi;

namespace {

// What the C API takes is what `sealexec cache` takes: KEY and --fingerprint.
struct EntryName {
  sealexec::Sha256Digest key;
  sealexec::cache::Fingerprint fingerprint;
};

Expected<EntryName> entry_name(sealexec_cache* cache, const char* key, const char* fingerprint,
                               std::string_view function) {
  if (cache == nullptr || key == nullptr || *key == '\0') {
    return sealexec::fail(bad_argument(function, "a NULL cache, or no key"));
  }
  auto made = sealexec::cache::Fingerprint::opaque(fingerprint != nullptr ? fingerprint : "");
  const std::string_view inputs[] = {key};
  return EntryName{sealexec::cache::make_key(made, inputs), std::move(made)};
}

// The image name of an entry's key: its last '/'-separated part, as
// `sealexec cache exec` names it.
std::string image_name(const char* key) {
  return std::filesystem::path(key).filename().string();
}

Expected<std::optional<sealexec::SealedImage>> load(sealexec_cache* cache, const char* key,
                                                    const char* fingerprint, std::uint32_t flags,
                                                    std::string_view function) {
  SEALEXEC_TRY_ASSIGN(const EntryName name, entry_name(cache, key, fingerprint, function));
  if ((flags & ~SEALEXEC_IMAGE_NOEXEC) != 0) {
    return sealexec::fail(bad_argument(function, "unknown flags"));
  }
  sealexec::ImageOptions options;
  options.name = image_name(key);
  if ((flags & SEALEXEC_IMAGE_NOEXEC) != 0) {
    options.executable = sealexec::Executable::no;
  }
  return cache->cache->load_image(name.key, name.fingerprint, options);
}

} // namespace

extern "C" {

sealexec_status sealexec_cache_open(const char* directory, sealexec_cache** cache,
                                    sealexec_error** error) {
  return guarded(error, [&]() -> Expected<void> {
    if (cache == nullptr || (directory != nullptr && *directory == '\0')) {
      return sealexec::fail(bad_argument("sealexec_cache_open", "a NULL cache or an empty path"));
    }
    std::optional<std::filesystem::path> where;
    if (directory != nullptr) {
      where = directory;
    }
    // The shared tier's settings in cache.conf are checked as the CLI checks
    // them (a bad one is the same error), and not used here.
    sealexec::remote::RemoteSettings unused;
    SEALEXEC_TRY_ASSIGN(Cache opened,
                        sealexec::cache::open_configured_cache(
                            where, sealexec::remote::collect_remote_settings(unused)));
    *cache = new sealexec_cache{std::make_unique<Cache>(std::move(opened))};
    return {};
  });
}

const char* sealexec_cache_directory(const sealexec_cache* cache) {
  return cache != nullptr ? cache->cache->directory().path().c_str() : "";
}

void sealexec_cache_free(sealexec_cache* cache) { delete cache; }

sealexec_status sealexec_cache_put(sealexec_cache* cache, const char* key, const char* fingerprint,
                                   const void* data, size_t size, sealexec_error** error) {
  return guarded(error, [&]() -> Expected<void> {
    SEALEXEC_TRY_ASSIGN(const EntryName name,
                        entry_name(cache, key, fingerprint, "sealexec_cache_put"));
    if (data == nullptr && size > 0) {
      return sealexec::fail(bad_argument("sealexec_cache_put", "NULL data"));
    }
    const std::span<const std::byte> bytes(static_cast<const std::byte*>(data), size);
    return cache->cache->put(name.key, name.fingerprint, bytes, key);
  });
}

sealexec_status sealexec_cache_put_fd(sealexec_cache* cache, const char* key,
                                      const char* fingerprint, int fd, sealexec_error** error) {
  return guarded(error, [&]() -> Expected<void> {
    SEALEXEC_TRY_ASSIGN(const EntryName name,
                        entry_name(cache, key, fingerprint, "sealexec_cache_put_fd"));
    if (fd < 0) {
      return sealexec::fail(bad_argument("sealexec_cache_put_fd", "a negative fd"));
    }
    return cache->cache->put_fd(name.key, name.fingerprint, fd, key);
  });
}

sealexec_status sealexec_cache_get(sealexec_cache* cache, const char* key, const char* fingerprint,
                                   uint32_t flags, sealexec_image** image,
                                   sealexec_error** error) {
  return guarded(error, [&]() -> Expected<void> {
    if (image == nullptr) {
      return sealexec::fail(bad_argument("sealexec_cache_get", "a NULL image"));
    }
    SEALEXEC_TRY_ASSIGN(auto loaded, load(cache, key, fingerprint, flags, "sealexec_cache_get"));
    *image = loaded ? new sealexec_image{std::move(*loaded), (flags & SEALEXEC_IMAGE_NOEXEC) == 0}
                    : nullptr;
    return {};
  });
}

sealexec_status sealexec_cache_map(sealexec_cache* cache, const char* key, const char* fingerprint,
                                   sealexec_mapping** mapping, sealexec_error** error) {
  return guarded(error, [&]() -> Expected<void> {
    if (mapping == nullptr) {
      return sealexec::fail(bad_argument("sealexec_cache_map", "a NULL mapping"));
    }
    SEALEXEC_TRY_ASSIGN(const EntryName name,
                        entry_name(cache, key, fingerprint, "sealexec_cache_map"));
    SEALEXEC_TRY_ASSIGN(auto hit, cache->cache->load_mapping(name.key, name.fingerprint));
    // The mapping outlives the descriptor it was made from.
    *mapping = hit ? new sealexec_mapping{std::move(hit->mapping)} : nullptr;
    return {};
  });
}

sealexec_status sealexec_cache_exec(sealexec_cache* cache, const char* key, const char* fingerprint,
                                    const sealexec_command* command, sealexec_error** error) {
  return guarded(error, [&]() -> Expected<void> {
    SEALEXEC_TRY_ASSIGN(auto loaded, load(cache, key, fingerprint, 0, "sealexec_cache_exec"));
    if (!loaded) {
      return sealexec::fail(
          sealexec::make_error(sealexec::Errc::not_found, key, "no such entry in the cache"));
    }
    sealexec::ExecOptions options;
    if (command != nullptr) {
      options = command->options;
    }
    if (options.argv.empty()) {
      options.argv.emplace_back(key);
    }
    if (options.name.empty()) {
      options.name = image_name(key);
    }
    cache->cache->prepare_for_exec(); // no destructor runs once exec succeeds
    sealexec::Error failed = sealexec::exec(*loaded, options);
    if (failed.path == loaded->source()) {
      failed.path = std::string("cache entry ") + key; // not "<fd 3>"
    }
    return sealexec::fail(std::move(failed));
  });
}

sealexec_status sealexec_cache_remove(sealexec_cache* cache, const char* key,
                                      const char* fingerprint, int* removed,
                                      sealexec_error** error) {
  return guarded(error, [&]() -> Expected<void> {
    SEALEXEC_TRY_ASSIGN(const EntryName name,
                        entry_name(cache, key, fingerprint, "sealexec_cache_remove"));
    SEALEXEC_TRY_ASSIGN(const bool was_there, cache->cache->remove(name.key));
    if (removed != nullptr) {
      *removed = was_there ? 1 : 0;
    }
    return {};
  });
}

} // extern "C"
