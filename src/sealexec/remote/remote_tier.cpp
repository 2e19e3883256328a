#include "sealexec/remote/remote_tier.h"

#include "sealexec/remote/down_marker.h"
#include "sealexec/remote/high_water.h"
#include "sealexec/remote/http_client.h"
#include "sealexec/remote/redis_client.h"
#include "sealexec/remote/signing.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>

namespace sealexec::remote {

namespace {

// A signed envelope is the entry plus 100 bytes and a record header.
constexpr std::size_t k_max_envelope_size = cache::k_max_action_entry_size + 256;

std::unique_ptr<BackendClient> make_client(const BackendUrl& url, const TierOptions& options,
                                           Error& error) {
  switch (url.scheme) {
  case BackendUrl::Scheme::redis:
  case BackendUrl::Scheme::redis_unix: {
    auto client = RedisClient::connect(url, options.timeouts);
    if (!client) {
      error = std::move(client).error();
      return nullptr;
    }
    return std::move(*client);
  }
  case BackendUrl::Scheme::http:
  case BackendUrl::Scheme::https:
    if (!options.http_helper) {
      error = make_error(Errc::not_found, url.display(),
                         "cannot use an HTTP backend: its helper sealexec-remote-http is not "
                         "installed next to sealexec or in libexec/sealexec");
      return nullptr;
    }
    return std::make_unique<HttpClient>(url, options.timeouts, *options.http_helper);
  }
  return nullptr;
}

std::uint64_t now_unix_ns() {
  const auto now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  return static_cast<std::uint64_t>(std::max<std::int64_t>(now, 0));
}

} // namespace

RemoteTier::RemoteTier(TierOptions options)
    : m_urls(options.backends), m_options(std::move(options)) {
  for (const BackendUrl& url : m_options.backends) {
    m_backends.push_back(Backend{.url = url});
  }
}

RemoteTier::~RemoteTier() = default;

RemoteTier::Backend* RemoteTier::backend_for(const cache::CacheDir& dir,
                                             const Sha256Digest& key) {
  if (m_backends.empty()) {
    return nullptr;
  }
  Backend& backend = m_backends[pick_backend(key, m_urls)];
  if (backend.failed) {
    return nullptr;
  }
  if (!backend.client) {
    // Another process has just found it failing and said so.
    if (recently_down(dir, backend.url)) {
      backend.failed = true;
      return nullptr;
    }
    Error error;
    backend.client = make_client(backend.url, m_options, error);
    if (!backend.client) {
      // A missing HTTP helper is this installation's fault, not the server's.
      const bool helper_missing = !m_options.http_helper &&
                                  (backend.url.scheme == BackendUrl::Scheme::http ||
                                   backend.url.scheme == BackendUrl::Scheme::https);
      mark_failed(dir, backend, error, /*remember=*/!helper_missing);
      return nullptr;
    }
  }
  return &backend;
}

void RemoteTier::mark_failed(const cache::CacheDir& dir, Backend& backend, const Error& error,
                             bool remember) {
  if (remember) {
    mark_down(dir, backend.url);
  }
  if (error.code == Errc::timed_out) {
    ++backend.counters.timeouts;
  } else {
    ++backend.counters.errors;
  }
  backend.failed = true;
  backend.client.reset();
  if (m_options.warn) {
    m_options.warn(fmt::format(
        "remote cache {} is not used for the rest of this run{}: {}", backend.url.display(),
        remember ? fmt::format(" (nor for {} s by other runs on this cache)", k_down_for.count())
                 : "",
        error.message()));
  }
}

const RemoteTrust* RemoteTier::trust() {
  if (m_trust_unusable) {
    return nullptr;
  }
  if (m_options.load_trust) {
    auto loaded = m_options.load_trust();
    m_options.load_trust = nullptr;
    if (!loaded) {
      m_trust_unusable = true;
      if (m_options.warn) {
        m_options.warn(fmt::format("the remote cache is not used in this run: {}",
                                   loaded.error().message()));
      }
      return nullptr;
    }
    // SigningKey moves but does not assign (it wipes its secret on the way).
    RemoteTrust& trust = m_options.trust;
    trust.signer.reset();
    if (loaded->signer) {
      trust.signer.emplace(std::move(*loaded->signer));
    }
    trust.trusted = std::move(loaded->trusted);
    trust.reads_allowed = loaded->reads_allowed;
    trust.warning = std::move(loaded->warning);
  }
  return &m_options.trust;
}

std::optional<std::vector<std::byte>> RemoteTier::open_envelope(
    Backend& backend, const Sha256Digest& key, std::span<const std::byte> envelope) {
  const std::string name = fmt::format("{}/ac/{}", backend.url.display(), key.hex());
  auto opened = m_options.trust.trusted.empty() // only when reading insecurely (fetch)
                    ? open_unverified_entry(key, envelope, name)
                    : open_signed_entry(key, envelope, m_options.trust.trusted, name);
  if (!opened) {
    ++backend.counters.rejected;
    return std::nullopt;
  }
  return std::move(*opened);
}

std::optional<cache::SharedEntry> RemoteTier::fetch(const cache::CacheDir& dir,
                                                    const Sha256Digest& key,
                                                    std::string_view fingerprint,
                                                    std::uint64_t max_size) {
  const RemoteTrust* trusted = trust();
  if (trusted == nullptr || !trusted->reads_allowed) {
    return std::nullopt;
  }
  const auto picked = pick_backend(key, m_urls);
  Backend* backend = backend_for(dir, key);
  if (backend == nullptr) {
    ++m_backends[picked].counters.misses;
    return std::nullopt;
  }
  auto miss = [backend]() -> std::optional<cache::SharedEntry> {
    ++backend->counters.misses;
    return std::nullopt;
  };
  auto reject = [backend]() -> std::optional<cache::SharedEntry> {
    ++backend->counters.rejected;
    return std::nullopt;
  };
  auto envelope = backend->client->get(Namespace::ac, key, k_max_envelope_size);
  if (!envelope) {
    mark_failed(dir, *backend, envelope.error());
    return std::nullopt;
  }
  if (!*envelope) {
    return miss();
  }
  const auto entry_bytes = open_envelope(*backend, key, **envelope);
  if (!entry_bytes) {
    return std::nullopt;
  }
  auto entry = cache::parse_action_entry(*entry_bytes, "remote entry");
  // The fingerprint is in the key, so a signed entry for this key with
  // another fingerprint was made by a broken or malicious writer.
  if (!entry || entry->fingerprint != fingerprint) {
    return reject();
  }
  // Older than an entry this cache has accepted from, or written to, a
  // remote for this key: an old entry written back (a rollback), or one
  // from a writer whose clock is behind. Judged before the blob is fetched.
  if (const auto newest = high_water(dir, key); newest && entry->created_unix_ns < *newest) {
    return reject();
  }
  if (entry->size > max_size || entry->size > k_max_transfer_size) {
    return miss(); // larger than this cache keeps
  }
  // Hashed as it arrives: most of the SHA-256, the larger cost of a hit
  // on a fast network, is done while the rest of the blob is in transit.
  Sha256Hasher sha;
  Xxh3Hasher xxh3;
  auto content = backend->client->get(
      Namespace::cas, entry->blob_sha256, static_cast<std::size_t>(entry->size),
      [&](std::span<const std::byte> piece) {
        sha.update(piece);
        xxh3.update(piece);
      });
  if (!content) {
    if (content.error().code == Errc::too_large) {
      return reject(); // more bytes than the signed entry says
    }
    mark_failed(dir, *backend, content.error());
    return std::nullopt;
  }
  if (!*content) {
    return miss(); // the blob was evicted from the backend
  }
  const auto& bytes = **content;
  if (bytes.size() != entry->size || sha.digest() != entry->blob_sha256 ||
      xxh3.digest() != entry->blob_xxh3) {
    return reject();
  }
  // Remembered beyond the local entry, which may go. Best effort: failing
  // to remember weakens a later check, it does not make this entry wrong.
  (void)raise_high_water(dir, key, mark_for(entry->created_unix_ns, now_unix_ns()));
  ++backend->counters.hits;
  return cache::SharedEntry{.entry = std::move(*entry), .content = std::move(**content)};
}

void RemoteTier::store(const cache::CacheDir& dir, const Sha256Digest& key,
                       const cache::ActionEntry& entry, std::span<const std::byte> content) {
  const RemoteTrust* loaded = trust();
  if (loaded == nullptr) {
    return;
  }
  const RemoteTrust& trust = *loaded;
  // Unsigned entries are only worth writing for readers that accept them:
  // none when we trust keys ourselves, or cannot read at all.
  if (!trust.signer && (!trust.reads_allowed || !trust.trusted.empty())) {
    return;
  }
  if (content.size() > k_max_transfer_size) {
    return;
  }
  Backend* backend = backend_for(dir, key);
  if (backend == nullptr) {
    return;
  }
  // The blob before the entry that names it, as in the local store.
  auto present = backend->client->contains(Namespace::cas, entry.blob_sha256);
  if (present && !*present) {
    auto stored = backend->client->put(Namespace::cas, entry.blob_sha256, content);
    if (!stored) {
      mark_failed(dir, *backend, stored.error());
      return;
    }
  } else if (!present) {
    mark_failed(dir, *backend, present.error());
    return;
  }
  const auto bytes = cache::serialize(entry);
  const auto envelope =
      trust.signer ? sign_entry(key, bytes, *trust.signer) : unsigned_entry(key, bytes);
  auto stored = backend->client->put(Namespace::ac, key, envelope);
  if (!stored) {
    mark_failed(dir, *backend, stored.error());
    return;
  }
  // What this machine wrote is as new as what it would accept for the key.
  (void)raise_high_water(dir, key, mark_for(entry.created_unix_ns, now_unix_ns()));
  ++backend->counters.puts;
}

void RemoteTier::flush_statistics(const cache::CacheDir& dir) {
  bool wrote = false;
  for (Backend& backend : m_backends) {
    if (!backend.counters.empty() &&
        append_backend_counters(dir, backend.url.identity(), backend.counters)) {
      backend.counters = BackendCounters{};
      wrote = true;
    }
  }
  // Only a writer folds, so that a warm run pays nothing; statistics are
  // not worth failing for.
  if (wrote) {
    (void)fold_backend_counters(dir);
  }
}

void RemoteTier::disconnect() {
  for (Backend& backend : m_backends) {
    backend.client.reset();
  }
}

BackendTotals RemoteTier::counters() const {
  BackendTotals totals;
  for (const Backend& backend : m_backends) {
    totals.emplace_back(backend.url.identity(), backend.counters);
  }
  return totals;
}

} // namespace sealexec::remote
