// The shared tier (docs/remote.md): one or more backends below the local
// cache, keys spread over them by rendezvous hashing. Everything a backend
// returns is untrusted: an action entry must be signed by a trusted key
// (unless the user opted out; even then it must be bound to its key), its
// fingerprint must be the one asked for, it must be no older than the
// newest entry this cache has accepted from or written to a remote for the
// key (high_water.h), and its blob must match the entry's size, SHA-256 and
// XXH3-128 before the cache sees a byte of it. Any failure is a miss; a
// backend that fails or times out is not asked again by this process, nor
// for a short while by others using the same cache (down_marker.h).
#pragma once

#include "sealexec/cache/shared_tier.h"
#include "sealexec/remote/backend_client.h"
#include "sealexec/remote/backend_url.h"
#include "sealexec/remote/remote_settings.h"
#include "sealexec/remote/remote_stats.h"

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace sealexec::remote {

struct TierOptions {
  std::vector<BackendUrl> backends;
  RemoteTrust trust;
  // When set, replaces `trust` on the first remote operation (runs served
  // by the local cache never load keys). If it fails, the tier is off for
  // the process, and `warn` says why.
  std::function<Expected<RemoteTrust>()> load_trust;
  Timeouts timeouts;
  // sealexec-remote-http, for HTTP backends (locate_http_helper); without
  // it they fail on first use like an unreachable server.
  std::optional<std::filesystem::path> http_helper;
  // Told, once per backend, why it is no longer used in this process.
  std::function<void(const std::string&)> warn;
};

class RemoteTier final : public cache::SharedTier {
public:
  explicit RemoteTier(TierOptions options);
  ~RemoteTier() override;

  [[nodiscard]] std::optional<cache::SharedEntry> fetch(const cache::CacheDir& dir,
                                                        const Sha256Digest& key,
                                                        std::string_view fingerprint,
                                                        std::uint64_t max_size) override;
  void store(const cache::CacheDir& dir, const Sha256Digest& key,
             const cache::ActionEntry& entry, std::span<const std::byte> content) override;
  void flush_statistics(const cache::CacheDir& dir) override;
  void disconnect() override;

  // This process's counts so far, per backend, in configuration order.
  [[nodiscard]] BackendTotals counters() const;

private:
  struct Backend {
    BackendUrl url;
    std::unique_ptr<BackendClient> client;
    bool failed = false;
    BackendCounters counters;
  };
  // The backend for `key`, connected; nullptr when it has failed, in this
  // process or recently in another one using `dir`.
  [[nodiscard]] Backend* backend_for(const cache::CacheDir& dir, const Sha256Digest& key);
  // Stops using the backend, with one warning; `remember` tells other
  // processes too (not for faults of this process's own setup).
  void mark_failed(const cache::CacheDir& dir, Backend& backend, const Error& error,
                   bool remember = true);
  // The trust settings, loaded on first use; nullptr if they cannot be.
  [[nodiscard]] const RemoteTrust* trust();
  // Opens the envelope as the trust settings say; nullopt (counted) when
  // it is rejected.
  [[nodiscard]] std::optional<std::vector<std::byte>> open_envelope(
      Backend& backend, const Sha256Digest& key, std::span<const std::byte> envelope);

  std::vector<Backend> m_backends;
  std::vector<BackendUrl> m_urls; // for pick_backend
  TierOptions m_options;
  bool m_trust_unusable = false;
};

} // namespace sealexec::remote
