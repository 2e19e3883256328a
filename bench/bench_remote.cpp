// Remote-tier benchmarks (bench/run-remote.sh starts the servers and passes
// them in the environment):
//   BENCH_REDIS_URL    redis://127.0.0.1:PORT   (redis-server, loopback)
//   BENCH_HTTP_URL     http://127.0.0.1:PORT/cache  (nginx WebDAV)
//   BENCH_HTTP_HELPER  sealexec-remote-http [the one built with this tree]
//
// For 4 KiB and 1 MiB entries on each backend:
//   BM_RemoteFetch          RemoteTier::fetch: GET the signed entry, check
//                           its signature, GET the blob, check its SHA-256
//                           and XXH3: the pure remote hit
//   BM_RemoteHitThroughCache  Cache::load_mapping after the local entry and
//                           blob were removed: the fetch plus the local
//                           publish (temp file, fsync, rename) and mapping;
//                           what a program sees on a remote hit
//   BM_RawGet, BM_RawTwoGets  the same keys read by a bare client in this
//                           process (hiredis GET; libcurl GET, keep-alive),
//                           no checks: the blob alone, and the entry plus the
//                           blob (the same work on the wire as a fetch)
//   BM_FetchVsRawGets       the three alternated in one loop; the Redis
//                           target (fetch <= 2x two raw GETs) uses its ratio
// and the fetch's sub-steps: the sealexec client's own GETs (and a bare GET
// of the entry), the signature check, SHA-256, XXH3-128 and a local publish.
#include "sealexec/cache/cache.h"
#include "sealexec/remote/http_client.h"
#include "sealexec/remote/redis_client.h"
#include "sealexec/remote/remote_tier.h"
#include "sealexec/remote/signing.h"

#include <benchmark/benchmark.h>
#include <curl/curl.h>
#include <hiredis/hiredis.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

using namespace sealexec;
using namespace sealexec::cache;
using namespace sealexec::remote;

namespace {

using Clock = std::chrono::steady_clock;

const Fingerprint k_fp = Fingerprint::of({{"engine", "bench-remote"}});
constexpr std::size_t k_sizes[] = {4 << 10, 1 << 20};

enum class Kind { redis, http };

const char* kind_name(Kind kind) { return kind == Kind::redis ? "redis" : "http"; }

const char* url_variable(Kind kind) {
  return kind == Kind::redis ? "BENCH_REDIS_URL" : "BENCH_HTTP_URL";
}

std::vector<std::byte> content_of(std::size_t size, unsigned seed) {
  std::vector<std::byte> content(size);
  std::mt19937 random(seed);
  for (auto& b : content) {
    b = static_cast<std::byte>(random());
  }
  return content;
}

double micros(Clock::duration d) { return std::chrono::duration<double, std::micro>(d).count(); }

// A scratch directory removed at exit (as in bench_cache).
const std::filesystem::path& scratch() {
  static const std::filesystem::path* const dir = [] {
    const char* tmpdir = std::getenv("TMPDIR");
    std::string pattern = std::string(tmpdir ? tmpdir : "/tmp") + "/sealexec-bench-remote.XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) {
      std::abort();
    }
    return new std::filesystem::path(pattern);
  }();
  static const bool removed_at_exit =
      std::atexit([] { std::filesystem::remove_all(*dir); }) == 0;
  (void)removed_at_exit;
  return *dir;
}

// The one key pair of this run: entries are signed with it and trusted by it.
const SigningKey& signing_key() {
  static const SigningKey* const key = [] {
    auto made = SigningKey::generate("bench");
    if (!made) {
      std::abort();
    }
    return new SigningKey(std::move(*made));
  }();
  return *key;
}

std::optional<std::filesystem::path> http_helper() {
  if (const char* given = std::getenv("BENCH_HTTP_HELPER"); given != nullptr && *given != 0) {
    return std::filesystem::path(given);
  }
  return std::filesystem::path(SEALEXEC_BENCH_HTTP_HELPER);
}

// A tier on the one backend `url`; a writer signs, a reader only trusts.
// Messages about failed backends go to `warnings`.
std::unique_ptr<RemoteTier> make_tier(const BackendUrl& url, bool writer,
                                      std::shared_ptr<std::string> warnings) {
  RemoteTrust trust;
  trust.trusted.push_back(signing_key().public_key());
  trust.reads_allowed = true;
  if (writer) {
    auto copy = SigningKey::from_file_text(signing_key().to_file_text(), "bench key");
    if (!copy) {
      std::abort();
    }
    trust.signer.emplace(std::move(*copy));
  }
  return std::make_unique<RemoteTier>(TierOptions{
      .backends = {url},
      .trust = std::move(trust),
      .timeouts = {},
      .http_helper = http_helper(),
      .warn = [warnings](const std::string& text) { *warnings += text + "; "; }});
}

Expected<std::unique_ptr<BackendClient>> make_client(Kind kind, const BackendUrl& url) {
  if (kind == Kind::redis) {
    SEALEXEC_TRY_ASSIGN(auto client, RedisClient::connect(url, Timeouts{}));
    return std::unique_ptr<BackendClient>(std::move(client));
  }
  const auto helper = http_helper();
  return std::unique_ptr<BackendClient>(std::make_unique<HttpClient>(url, Timeouts{}, *helper));
}

Cache open_cache(const std::string& name) {
  CacheConfig config;
  config.gc_every = 0;
  auto cache = Cache::open(scratch() / name, config);
  if (!cache) {
    std::abort();
  }
  return std::move(*cache);
}

// A bare client, no checks: what any program reading the same keys from the
// same server must do at least.
class RawClient {
public:
  virtual ~RawClient() = default;
  // GETs `path` ("ac/<hex>" or "cas/<hex>"); false unless exactly `size`
  // bytes came back.
  virtual bool get(const std::string& path, std::size_t size) = 0;
};

class RawRedis final : public RawClient {
public:
  explicit RawRedis(const BackendUrl& url)
      : m_context(redisConnect(url.host.c_str(), url.port)) {}
  ~RawRedis() override { redisFree(m_context); }
  RawRedis(const RawRedis&) = delete;
  RawRedis& operator=(const RawRedis&) = delete;
  [[nodiscard]] bool ok() const { return m_context != nullptr && m_context->err == 0; }

  bool get(const std::string& path, std::size_t size) override {
    // The keys sealexec writes (redis_client.h): sealexec:ac:<hex>, sealexec:cas:<hex>.
    std::string key = "sealexec:" + path;
    key[key.find('/')] = ':';
    auto* reply = static_cast<redisReply*>(redisCommand(m_context, "GET %s", key.c_str()));
    const bool got = reply != nullptr && reply->type == REDIS_REPLY_STRING && reply->len == size;
    if (reply != nullptr) {
      freeReplyObject(reply);
    }
    return got;
  }

private:
  redisContext* m_context;
};

class RawHttp final : public RawClient {
public:
  explicit RawHttp(const BackendUrl& url) : m_base(url.display()), m_curl(curl_easy_init()) {
    curl_easy_setopt(m_curl, CURLOPT_WRITEFUNCTION, &RawHttp::append);
    curl_easy_setopt(m_curl, CURLOPT_NOSIGNAL, 1L);
  }
  ~RawHttp() override { curl_easy_cleanup(m_curl); }
  RawHttp(const RawHttp&) = delete;
  RawHttp& operator=(const RawHttp&) = delete;

  bool get(const std::string& path, std::size_t size) override {
    std::vector<std::byte> body; // a new buffer for each reply, as a client returns it
    const std::string url = m_base + "/" + path;
    curl_easy_setopt(m_curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(m_curl, CURLOPT_WRITEDATA, &body);
    long status = 0;
    return curl_easy_perform(m_curl) == CURLE_OK &&
           curl_easy_getinfo(m_curl, CURLINFO_RESPONSE_CODE, &status) == CURLE_OK &&
           status == 200 && body.size() == size;
  }

private:
  static std::size_t append(char* data, std::size_t size, std::size_t count, void* out) {
    auto& body = *static_cast<std::vector<std::byte>*>(out);
    const auto* bytes = reinterpret_cast<const std::byte*>(data);
    body.insert(body.end(), bytes, bytes + size * count);
    return size * count;
  }
  std::string m_base;
  CURL* m_curl;
};

// One entry of `size` random bytes, put through a writer cache whose tier
// wrote it to the backend; a reader tier and a reader cache (each with its
// own connection) on the same backend; a bare client.
struct Fixture {
  Kind kind = Kind::redis;
  std::size_t size = 0;
  BackendUrl url;
  Sha256Digest key;
  Sha256Digest blob;
  std::size_t envelope_size = 0;
  std::vector<std::byte> envelope; // as stored, for the signature check alone
  std::shared_ptr<std::string> warnings = std::make_shared<std::string>();
  std::unique_ptr<RemoteTier> reader;
  std::optional<Cache> cache;
  std::unique_ptr<BackendClient> client; // sealexec's own client, alone
  std::unique_ptr<RawClient> raw;

  [[nodiscard]] std::string entry_path() const { return "ac/" + key.hex(); }
  [[nodiscard]] std::string blob_path() const { return "cas/" + blob.hex(); }
};

Fixture* fixture(Kind kind, std::size_t size, std::string& error) {
  (void)scratch(); // before the map below, so that it is removed after it
  static std::map<std::pair<Kind, std::size_t>, std::unique_ptr<Fixture>> fixtures;
  auto& slot = fixtures[{kind, size}];
  if (slot) {
    return slot.get();
  }
  const char* text = std::getenv(url_variable(kind));
  if (text == nullptr || *text == 0) {
    error = std::string(url_variable(kind)) + " is not set (bench/run-remote.sh sets it)";
    return nullptr;
  }
  auto url = parse_backend_url(text);
  if (!url) {
    error = url.error().message();
    return nullptr;
  }
  auto made = std::make_unique<Fixture>();
  made->kind = kind;
  made->size = size;
  made->url = *url;
  const std::string name = std::string(kind_name(kind)) + "-" + std::to_string(size);
  // A new key each run: a server left over from another run cannot serve it.
  const std::string nonce = std::to_string(::getpid()) + "-" +
                            std::to_string(Clock::now().time_since_epoch().count());
  const std::string_view inputs[] = {name, nonce};
  made->key = make_key(k_fp, inputs);
  const auto content =
      content_of(size, static_cast<unsigned>(size) + (kind == Kind::http ? 1U : 0U));
  made->blob = sealexec::sha256(content);

  {
    Cache writer = open_cache("writer-" + name);
    auto tier = make_tier(made->url, /*writer=*/true, made->warnings);
    RemoteTier* const writer_tier = tier.get();
    writer.set_shared_tier(std::move(tier));
    if (!writer.put(made->key, k_fp, content, "bench_remote " + name)) {
      error = "local put failed";
      return nullptr;
    }
    const auto counters = writer_tier->counters();
    if (counters.empty() || counters.front().second.puts != 1) {
      error = "the writer could not store the entry on " + made->url.display() + ": " +
              *made->warnings;
      return nullptr;
    }
  }

  auto client = make_client(kind, made->url);
  if (!client) {
    error = client.error().message();
    return nullptr;
  }
  made->client = std::move(*client);
  auto envelope = made->client->get(Namespace::ac, made->key, 1 << 20);
  if (!envelope || !*envelope) {
    error = "the entry is not on " + made->url.display() + " after the put";
    return nullptr;
  }
  made->envelope = std::move(**envelope);
  made->envelope_size = made->envelope.size();

  made->reader = make_tier(made->url, /*writer=*/false, made->warnings);
  made->cache.emplace(open_cache("reader-" + name));
  made->cache->set_shared_tier(make_tier(made->url, /*writer=*/false, made->warnings));
  if (kind == Kind::redis) {
    auto raw = std::make_unique<RawRedis>(made->url);
    if (!raw->ok()) {
      error = "hiredis cannot connect to " + made->url.display();
      return nullptr;
    }
    made->raw = std::move(raw);
  } else {
    made->raw = std::make_unique<RawHttp>(made->url);
  }
  if (!made->raw->get(made->entry_path(), made->envelope_size) ||
      !made->raw->get(made->blob_path(), size)) {
    error = "the bare client cannot read the entry and blob back";
    return nullptr;
  }
  slot = std::move(made);
  return slot.get();
}

// SkipWithError keeps the pointer: the text lives in a static.
const char* keep(std::string text) {
  static std::string kept;
  kept = std::move(text);
  return kept.c_str();
}

const char* fetch_once(Fixture& f) {
  const auto fetched = f.reader->fetch(f.cache->directory(), f.key, k_fp.canonical(), CacheConfig{}.max_size);
  if (!fetched || fetched->content.size() != f.size) {
    return keep("remote fetch missed: " + *f.warnings);
  }
  benchmark::DoNotOptimize(fetched->content.data());
  return nullptr;
}

const char* raw_once(Fixture& f, bool with_entry) {
  if (with_entry && !f.raw->get(f.entry_path(), f.envelope_size)) {
    return "raw GET of the entry failed";
  }
  return f.raw->get(f.blob_path(), f.size) ? nullptr : "raw GET of the blob failed";
}

void set_rates(benchmark::State& state, std::size_t size) {
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(size));
}

// The fixture, or nullptr after skipping the benchmark with the reason.
Fixture* setup(benchmark::State& state, Kind kind, std::size_t size) {
  std::string error;
  Fixture* const f = fixture(kind, size, error);
  if (f == nullptr) {
    state.SkipWithError(keep(error));
  }
  return f;
}

void BM_RemoteFetch(benchmark::State& state, Kind kind, std::size_t size) {
  Fixture* const f = setup(state, kind, size);
  if (f == nullptr) {
    return;
  }
  for (auto _ : state) {
    if (const char* failed = fetch_once(*f)) {
      state.SkipWithError(failed);
      return;
    }
  }
  state.counters["envelope_bytes"] = static_cast<double>(f->envelope_size);
  set_rates(state, size);
}

// Per iteration, the local entry and its blob are removed (not timed), so
// that load_mapping misses locally, fetches, publishes and maps.
void BM_RemoteHitThroughCache(benchmark::State& state, Kind kind, std::size_t size) {
  Fixture* const f = setup(state, kind, size);
  if (f == nullptr) {
    return;
  }
  Cache& cache = *f->cache;
  const auto blob_file = cache.directory().path() / cache::blob_path(f->blob);
  for (auto _ : state) {
    (void)cache.remove(f->key);
    std::error_code ignored;
    std::filesystem::remove(blob_file, ignored);
    const auto start = Clock::now();
    auto mapped = cache.load_mapping(f->key, k_fp);
    const auto elapsed = Clock::now() - start;
    if (!mapped || !*mapped || (*mapped)->mapping.size() != size) {
      state.SkipWithError(keep(mapped ? "remote hit through the cache missed: " + *f->warnings
                                      : "load_mapping failed: " + mapped.error().message()));
      return;
    }
    state.SetIterationTime(std::chrono::duration<double>(elapsed).count());
  }
  set_rates(state, size);
}

void BM_RawGet(benchmark::State& state, Kind kind, std::size_t size) {
  Fixture* const f = setup(state, kind, size);
  if (f == nullptr) {
    return;
  }
  for (auto _ : state) {
    if (const char* failed = raw_once(*f, false)) {
      state.SkipWithError(failed);
      return;
    }
  }
  set_rates(state, size);
}

void BM_RawTwoGets(benchmark::State& state, Kind kind, std::size_t size) {
  Fixture* const f = setup(state, kind, size);
  if (f == nullptr) {
    return;
  }
  for (auto _ : state) {
    if (const char* failed = raw_once(*f, true)) {
      state.SkipWithError(failed);
      return;
    }
  }
  state.counters["envelope_bytes"] = static_cast<double>(f->envelope_size);
  set_rates(state, size);
}

// The fetch, two raw GETs and one raw GET alternated in one loop, the order
// rotating, so that all three see the same machine state; the target uses
// `ratio` (fetch / two GETs).
void BM_FetchVsRawGets(benchmark::State& state, Kind kind, std::size_t size) {
  Fixture* const f = setup(state, kind, size);
  if (f == nullptr) {
    return;
  }
  Clock::duration totals[3]{};
  int first = 0;
  for (auto _ : state) {
    for (int turn = 0; turn < 3; ++turn) {
      const int which = (first + turn) % 3;
      const auto start = Clock::now();
      const char* failed = which == 0 ? fetch_once(*f) : raw_once(*f, which == 1);
      totals[which] += Clock::now() - start;
      if (failed != nullptr) {
        state.SkipWithError(failed);
        return;
      }
    }
    first = (first + 1) % 3;
  }
  const auto n = static_cast<double>(state.iterations());
  const double fetch_us = micros(totals[0]) / n;
  const double two_us = micros(totals[1]) / n;
  const double one_us = micros(totals[2]) / n;
  state.counters["fetch_us"] = fetch_us;
  state.counters["two_gets_us"] = two_us;
  state.counters["one_get_us"] = one_us;
  state.counters["ratio"] = two_us > 0 ? fetch_us / two_us : 0.0;
  state.counters["ratio_one_get"] = one_us > 0 ? fetch_us / one_us : 0.0;
  state.counters["envelope_bytes"] = static_cast<double>(f->envelope_size);
  state.SetLabel("ratio = fetch / (raw GET entry + raw GET blob)");
}

// Sub-steps of a fetch.

void BM_ClientGet(benchmark::State& state, Kind kind, std::size_t size) {
  Fixture* const f = setup(state, kind, size);
  if (f == nullptr) {
    return;
  }
  for (auto _ : state) {
    auto got = f->client->get(Namespace::cas, f->blob, size);
    if (!got || !*got || (*got)->size() != size) {
      state.SkipWithError("the sealexec client's GET failed");
      return;
    }
  }
  set_rates(state, size);
}

void BM_ClientGetEntry(benchmark::State& state, Kind kind) {
  Fixture* const f = setup(state, kind, k_sizes[0]);
  if (f == nullptr) {
    return;
  }
  for (auto _ : state) {
    auto got = f->client->get(Namespace::ac, f->key, 1 << 20);
    if (!got || !*got) {
      state.SkipWithError("the sealexec client's GET failed");
      return;
    }
  }
  state.counters["envelope_bytes"] = static_cast<double>(f->envelope_size);
  set_rates(state, f->envelope_size);
}

// The bare client's GET of the same entry, for comparison.
void BM_RawGetEntry(benchmark::State& state, Kind kind) {
  Fixture* const f = setup(state, kind, k_sizes[0]);
  if (f == nullptr) {
    return;
  }
  for (auto _ : state) {
    if (!f->raw->get(f->entry_path(), f->envelope_size)) {
      state.SkipWithError("raw GET of the entry failed");
      return;
    }
  }
  set_rates(state, f->envelope_size);
}

// Ed25519 verification and the entry's parse: what lies between the GETs.
void BM_OpenSignedEntry(benchmark::State& state) {
  Fixture* const f = setup(state, Kind::redis, k_sizes[0]);
  if (f == nullptr) {
    return;
  }
  const PublicKey trusted[] = {signing_key().public_key()};
  for (auto _ : state) {
    auto opened = open_signed_entry(f->key, f->envelope, trusted, "bench");
    if (!opened) {
      state.SkipWithError("the signature does not verify");
      return;
    }
    auto entry = parse_action_entry(*opened, "bench");
    benchmark::DoNotOptimize(entry);
  }
  set_rates(state, f->envelope_size);
}

void BM_Sha256(benchmark::State& state, std::size_t size) {
  const auto content = content_of(size, 7);
  for (auto _ : state) {
    benchmark::DoNotOptimize(sealexec::sha256(content));
  }
  set_rates(state, size);
}

void BM_Xxh3(benchmark::State& state, std::size_t size) {
  const auto content = content_of(size, 7);
  for (auto _ : state) {
    benchmark::DoNotOptimize(xxh3_128(content));
  }
  set_rates(state, size);
}

// What a remote hit adds locally: the same put the cache makes of a fetched
// entry (blob and entry written, fsynced and renamed into place), after
// removing both (not timed).
void BM_LocalPublish(benchmark::State& state, std::size_t size) {
  Cache cache = open_cache("publish-" + std::to_string(size));
  const auto content = content_of(size, 9);
  const std::string_view inputs[] = {"publish"};
  const auto key = make_key(k_fp, inputs);
  const auto blob_file = cache.directory().path() / cache::blob_path(sealexec::sha256(content));
  for (auto _ : state) {
    (void)cache.remove(key);
    std::error_code ignored;
    std::filesystem::remove(blob_file, ignored);
    const auto start = Clock::now();
    const bool put =
        cache.put(key, k_fp, content, "bench_remote publish", Reach::local_only).has_value();
    const auto elapsed = Clock::now() - start;
    if (!put) {
      state.SkipWithError("put failed");
      return;
    }
    state.SetIterationTime(std::chrono::duration<double>(elapsed).count());
  }
  set_rates(state, size);
}

void register_all() {
  using benchmark::RegisterBenchmark;
  for (const Kind kind : {Kind::redis, Kind::http}) {
    const std::string k = kind_name(kind);
    for (const std::size_t size : k_sizes) {
      const std::string suffix = "/" + k + "/" + std::to_string(size);
      RegisterBenchmark(("BM_RemoteFetch" + suffix).c_str(), BM_RemoteFetch, kind, size)
          ->UseRealTime();
      RegisterBenchmark(("BM_RemoteHitThroughCache" + suffix).c_str(), BM_RemoteHitThroughCache,
                        kind, size)
          ->UseManualTime();
      RegisterBenchmark(("BM_RawGet" + suffix).c_str(), BM_RawGet, kind, size)->UseRealTime();
      RegisterBenchmark(("BM_RawTwoGets" + suffix).c_str(), BM_RawTwoGets, kind, size)
          ->UseRealTime();
      RegisterBenchmark(("BM_FetchVsRawGets" + suffix).c_str(), BM_FetchVsRawGets, kind, size)
          ->UseRealTime();
      RegisterBenchmark(("BM_ClientGet" + suffix).c_str(), BM_ClientGet, kind, size)
          ->UseRealTime();
    }
    RegisterBenchmark(("BM_ClientGetEntry/" + k).c_str(), BM_ClientGetEntry, kind)
        ->UseRealTime();
    RegisterBenchmark(("BM_RawGetEntry/" + k).c_str(), BM_RawGetEntry, kind)->UseRealTime();
  }
  RegisterBenchmark("BM_OpenSignedEntry", BM_OpenSignedEntry)->UseRealTime();
  for (const std::size_t size : k_sizes) {
    const std::string suffix = "/" + std::to_string(size);
    RegisterBenchmark(("BM_Sha256" + suffix).c_str(), BM_Sha256, size)->UseRealTime();
    RegisterBenchmark(("BM_Xxh3" + suffix).c_str(), BM_Xxh3, size)->UseRealTime();
    RegisterBenchmark(("BM_LocalPublish" + suffix).c_str(), BM_LocalPublish, size)
        ->UseManualTime();
  }
}

} // namespace

int main(int argc, char** argv) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  register_all();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) {
    return 1;
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
