#include "sealexec/audit/image_archive.h"

#include "sealexec/audit/layer_stream.h"
#include "sealexec/audit/tar_reader.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <linux/openat2.h>
#include <nlohmann/json.hpp>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <map>

namespace sealexec::audit {

namespace {

using nlohmann::json;

// Real manifests, indexes and configs are a few KiB (a config with a long
// history, some 100 KiB).
constexpr std::size_t k_json_limit = 8U << 20;
constexpr int k_json_depth = 64;
constexpr int k_index_depth = 4; // nested image indexes followed
constexpr int k_outer_links = 8; // symbolic links between members of the archive
constexpr std::size_t k_outer_members = 1U << 20;

constexpr std::string_view k_index_types[] = {
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json"};

Error bad_json(const std::string& what, std::string_view why) {
  return make_error(Errc::malformed, what, fmt::format("not a valid image document: {}", why));
}

// nlohmann's parser keeps its own stack, but a deep document is no image
// document: refused before parsing, counting brackets outside strings.
bool nesting_within(std::span<const std::byte> bytes, int limit) {
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (const std::byte b : bytes) {
    const char c = static_cast<char>(b);
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > limit) {
        return false;
      }
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return true;
}

Expected<json> parse_json(std::span<const std::byte> bytes, const std::string& what) {
  if (bytes.size() > k_json_limit) {
    return fail(bad_json(what, fmt::format("larger than {} bytes", k_json_limit)));
  }
  if (!nesting_within(bytes, k_json_depth)) {
    return fail(bad_json(what, "nested too deeply"));
  }
  try {
    const auto* first = reinterpret_cast<const char*>(bytes.data());
    json document = json::parse(first, first + bytes.size(), nullptr, false);
    if (document.is_discarded()) {
      return fail(bad_json(what, "JSON syntax error"));
    }
    return document;
  } catch (const std::exception& error) {
    return fail(bad_json(what, error.what()));
  }
}

const json* member(const json& object, std::string_view key) {
  if (!object.is_object()) {
    return nullptr;
  }
  const auto found = object.find(key);
  return found == object.end() ? nullptr : &*found;
}

std::optional<std::string> string_member(const json& object, std::string_view key) {
  const json* value = member(object, key);
  return value != nullptr && value->is_string() ? std::optional(value->get<std::string>())
                                                : std::nullopt;
}

bool ref_matches(const std::string& name, const std::string& ref) {
  if (name == ref) {
    return true;
  }
  // "sealexec-test:base" for "localhost/sealexec-test:base"; "base" alone.
  if (name.size() > ref.size() && name.ends_with(ref)) {
    const char before = name[name.size() - ref.size() - 1];
    return before == '/' || (before == ':' && ref.find(':') == std::string::npos);
  }
  return false;
}

Expected<Descriptor> parse_descriptor(const json& value, const std::string& what) {
  const auto media_type = string_member(value, "mediaType");
  const auto digest_text = string_member(value, "digest");
  const json* size = member(value, "size");
  if (!digest_text || size == nullptr || !size->is_number_unsigned()) {
    return fail(bad_json(what, "a descriptor without a digest or size"));
  }
  if (!digest_text->starts_with("sha256:")) {
    return fail(make_error(Errc::malformed, what,
                           fmt::format("digest '{}': only sha256 digests are supported",
                                       *digest_text)));
  }
  const auto digest = Sha256Digest::from_hex(std::string_view(*digest_text).substr(7));
  if (!digest) {
    return fail(bad_json(what, fmt::format("digest '{}' is not 64 hex digits", *digest_text)));
  }
  Descriptor descriptor{.media_type = media_type.value_or(""),
                        .digest = *digest,
                        .size = size->get<std::uint64_t>()};
  if (const json* annotations = member(value, "annotations")) {
    descriptor.ref_name = string_member(*annotations, "org.opencontainers.image.ref.name");
  }
  if (const json* platform = member(value, "platform")) {
    descriptor.os = string_member(*platform, "os");
    descriptor.architecture = string_member(*platform, "architecture");
  }
  return descriptor;
}

std::string host_architecture() {
#if defined(__x86_64__)
  return "amd64";
#elif defined(__aarch64__)
  return "arm64";
#elif defined(__i386__)
  return "386";
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  return "ppc64le";
#elif defined(__s390x__)
  return "s390x";
#elif defined(__riscv) && __riscv_xlen == 64
  return "riscv64";
#elif defined(__arm__)
  return "arm";
#else
  return "";
#endif
}

// Where a file of the saved image lies: a member of an archive, or a file
// of a directory.
struct Location {
  std::size_t file = 0;
  std::uint64_t offset = 0;
  std::uint64_t size = 0;
};

// The files of a saved image, by their relative path.
class Store {
public:
  virtual ~Store() = default;
  [[nodiscard]] virtual Expected<std::optional<Location>> find(const std::string& path) = 0;
  std::vector<Fd> files;
  std::string name;

  // A JSON document of the store, read whole (bounded).
  Expected<std::vector<std::byte>> read_small(const Location& location, const std::string& what) {
    if (location.size > k_json_limit) {
      return fail(bad_json(what, fmt::format("larger than {} bytes", k_json_limit)));
    }
    std::vector<std::byte> bytes(static_cast<std::size_t>(location.size));
    std::size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t got = ::pread(files[location.file].get(), bytes.data() + done,
                                  bytes.size() - done, static_cast<off_t>(location.offset + done));
      if (got < 0 && errno == EINTR) {
        continue;
      }
      if (got < 0) {
        return fail(system_error("cannot read", what, "pread"));
      }
      if (got == 0) {
        return fail(make_error(Errc::malformed, what, "is truncated"));
      }
      done += static_cast<std::size_t>(got);
    }
    return bytes;
  }

  Expected<std::optional<std::vector<std::byte>>> read_if_present(const std::string& path) {
    SEALEXEC_TRY_ASSIGN(const auto location, find(path));
    if (!location) {
      return std::nullopt;
    }
    SEALEXEC_TRY_ASSIGN(auto bytes, read_small(*location, fmt::format("{}: {}", name, path)));
    return bytes;
  }

  Expected<std::vector<std::byte>> read_required(const std::string& path) {
    SEALEXEC_TRY_ASSIGN(auto bytes, read_if_present(path));
    if (!bytes) {
      return fail(make_error(Errc::malformed, name,
                             fmt::format("the image names '{}', which it does not hold", path)));
    }
    return std::move(*bytes);
  }
};

// A name inside an archive or layout: "./" and "/" dropped; ".." refused
// (nullopt), so that nothing outside is ever named.
std::optional<std::string> clean_name(std::string_view name) {
  std::string cleaned;
  std::size_t start = 0;
  while (start <= name.size()) {
    const std::size_t slash = std::min(name.find('/', start), name.size());
    const std::string_view part = name.substr(start, slash - start);
    if (part == "..") {
      return std::nullopt;
    }
    if (!part.empty() && part != ".") {
      cleaned += (cleaned.empty() ? "" : "/") + std::string(part);
    }
    start = slash + 1;
  }
  return cleaned;
}

// An uncompressed tar: its members indexed once (headers only, data
// skipped with seeks), then read with pread.
class ArchiveStore final : public Store {
public:
  Expected<void> index() {
    struct stat status {};
    if (::fstat(files[0].get(), &status) != 0) {
      return fail(system_error("cannot inspect", name, "fstat"));
    }
    SEALEXEC_TRY_ASSIGN(auto stream,
                        LayerStream::open(files[0].get(), 0,
                                          static_cast<std::uint64_t>(status.st_size), name, {}));
    if (stream->compression() != Compression::none) {
      return fail(make_error(Errc::invalid_argument, name,
                             "is a compressed archive; decompress it first (podman and docker "
                             "save uncompressed archives)"));
    }
    TarReader reader(*stream, name);
    for (;;) {
      SEALEXEC_TRY_ASSIGN(const auto member, reader.next());
      if (!member) {
        return {};
      }
      const auto cleaned = clean_name(member->name);
      if (!cleaned || m_members.size() + m_links.size() >= k_outer_members) {
        continue; // never looked up: no name the image uses can contain ".."
      }
      if (member->type == TarType::regular && member->data_offset) {
        m_members[*cleaned] = {0, *member->data_offset, member->size};
      } else if (member->type == TarType::symlink || member->type == TarType::hard_link) {
        // Old `docker save` links a layer seen twice to its first copy.
        const std::string base = member->type == TarType::symlink && cleaned->find('/') != std::string::npos
                                     ? cleaned->substr(0, cleaned->rfind('/') + 1)
                                     : std::string();
        m_links[*cleaned] = member->type == TarType::symlink && !member->link_name.starts_with('/')
                                ? base + member->link_name
                                : member->link_name;
      }
    }
  }

  Expected<std::optional<Location>> find(const std::string& path) override {
    auto cleaned = clean_name(path);
    for (int hops = 0; cleaned && hops <= k_outer_links; ++hops) {
      if (const auto found = m_members.find(*cleaned); found != m_members.end()) {
        return found->second;
      }
      const auto link = m_links.find(*cleaned);
      if (link == m_links.end()) {
        break;
      }
      cleaned = clean_name(link->second);
    }
    return std::nullopt;
  }

private:
  std::map<std::string, Location, std::less<>> m_members;
  std::map<std::string, std::string, std::less<>> m_links;
};

// An OCI layout directory: every lookup stays beneath it (openat2
// RESOLVE_BENEATH), and only regular files are read.
class DirectoryStore final : public Store {
public:
  explicit DirectoryStore(Fd directory) : m_directory(std::move(directory)) {}

  Expected<std::optional<Location>> find(const std::string& path) override {
    if (const auto found = m_opened.find(path); found != m_opened.end()) {
      return found->second;
    }
    open_how how{};
    how.flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
    const long fd = ::syscall(SYS_openat2, m_directory.get(), path.c_str(), &how, sizeof how);
    if (fd < 0) {
      if (errno == ENOENT) {
        return std::nullopt;
      }
      return fail(system_error("cannot open", fmt::format("{}/{}", name, path), "openat2"));
    }
    Fd file(static_cast<int>(fd));
    struct stat status {};
    if (::fstat(file.get(), &status) != 0 || !S_ISREG(status.st_mode)) {
      return fail(make_error(Errc::malformed, fmt::format("{}/{}", name, path),
                             "is not a regular file"));
    }
    files.push_back(std::move(file));
    const Location location{files.size() - 1, 0, static_cast<std::uint64_t>(status.st_size)};
    m_opened.emplace(path, location);
    return location;
  }

private:
  Fd m_directory;
  std::map<std::string, Location> m_opened;
};

std::string blob_path(const Sha256Digest& digest) {
  return "blobs/sha256/" + digest.hex();
}

Expected<ImageLayers> oci_layers(Store& store, const std::optional<std::string>& ref) {
  SEALEXEC_TRY_ASSIGN(const auto index_bytes, store.read_required("index.json"));
  SEALEXEC_TRY_ASSIGN(Descriptor chosen,
                      choose_from_index(index_bytes, ref, host_architecture(),
                                        fmt::format("{}: index.json", store.name)));
  for (int depth = 0;; ++depth) {
    const std::string path = blob_path(chosen.digest);
    const std::string what = fmt::format("{}: {}", store.name, path);
    SEALEXEC_TRY_ASSIGN(const auto bytes, store.read_required(path));
    if (sha256(bytes) != chosen.digest || bytes.size() != chosen.size) {
      return fail(make_error(Errc::digest_mismatch, what,
                             "does not have the digest and size its descriptor gives; refused"));
    }
    SEALEXEC_TRY_ASSIGN(const OciManifest manifest, parse_oci_manifest(bytes, what));
    if (manifest.is_index) {
      if (depth >= k_index_depth) {
        return fail(bad_json(what, "image indexes nested too deeply"));
      }
      SEALEXEC_TRY_ASSIGN(chosen, choose_from_index(bytes, std::nullopt, host_architecture(), what));
      continue;
    }
    ImageLayers image;
    for (std::size_t i = 0; i < manifest.layers.size(); ++i) {
      const Descriptor& layer = manifest.layers[i];
      const std::string layer_path = blob_path(layer.digest);
      if (layer.media_type.find("encrypted") != std::string::npos) {
        return fail(make_error(Errc::invalid_argument, store.name,
                               fmt::format("layer {} ({}) is encrypted", i + 1, layer_path)));
      }
      SEALEXEC_TRY_ASSIGN(const auto location, store.find(layer_path));
      if (!location) {
        return fail(make_error(Errc::malformed, store.name,
                               fmt::format("the manifest names layer {} ({}), which the image "
                                           "does not hold",
                                           i + 1, layer_path)));
      }
      if (location->size != layer.size) {
        return fail(make_error(Errc::malformed, store.name,
                               fmt::format("layer {} ({}) has {} bytes, the manifest says {}",
                                           i + 1, layer_path, location->size, layer.size)));
      }
      LayerRange range{.file = location->file,
                       .offset = location->offset,
                       .size = location->size,
                       .name = fmt::format("{}: layer {} ({})", store.name, i + 1, layer_path)};
      range.options.stored_digest = layer.digest;
      image.layers.push_back(std::move(range));
    }
    return image;
  }
}

Expected<ImageLayers> docker_layers(Store& store, std::span<const std::byte> manifest_bytes,
                                    const std::optional<std::string>& ref) {
  SEALEXEC_TRY_ASSIGN(const DockerImage docker,
                      parse_docker_manifest(manifest_bytes, ref,
                                            fmt::format("{}: manifest.json", store.name)));
  SEALEXEC_TRY_ASSIGN(const auto config_bytes, store.read_required(docker.config));
  SEALEXEC_TRY_ASSIGN(const auto diff_ids,
                      parse_docker_diff_ids(config_bytes,
                                            fmt::format("{}: {}", store.name, docker.config)));
  if (diff_ids.size() != docker.layers.size()) {
    return fail(make_error(Errc::malformed, store.name,
                           fmt::format("manifest.json lists {} layers, its config {} diff_ids",
                                       docker.layers.size(), diff_ids.size())));
  }
  ImageLayers image;
  for (std::size_t i = 0; i < docker.layers.size(); ++i) {
    SEALEXEC_TRY_ASSIGN(const auto location, store.find(docker.layers[i]));
    if (!location) {
      return fail(make_error(Errc::malformed, store.name,
                             fmt::format("manifest.json names layer {} ({}), which the archive "
                                         "does not hold",
                                         i + 1, docker.layers[i])));
    }
    LayerRange range{.file = location->file,
                     .offset = location->offset,
                     .size = location->size,
                     .name = fmt::format("{}: layer {} ({})", store.name, i + 1, docker.layers[i])};
    // Not range.options.content_digest = diff_ids[i]: manifest.json gives
    // no digest, and checking the config's diff_id means hashing every byte
    // of every layer (~0.13 s per 200 MB with SHA-NI), ten times the cost
    // of reading the tree from the headers. The diff_ids are still parsed,
    // and their count must match (docs/check-image.md).
    image.layers.push_back(std::move(range));
  }
  return image;
}

Expected<ImageLayers> layers_of(Store& store, const std::optional<std::string>& ref) {
  // A docker-archive's manifest.json first: `docker save` (Moby 25+)
  // writes both it and an OCI layout, and the two agree.
  SEALEXEC_TRY_ASSIGN(const auto docker_manifest, store.read_if_present("manifest.json"));
  if (docker_manifest) {
    return docker_layers(store, *docker_manifest, ref);
  }
  SEALEXEC_TRY_ASSIGN(const auto layout, store.read_if_present("oci-layout"));
  if (layout) {
    return oci_layers(store, ref);
  }
  return fail(make_error(Errc::invalid_argument, store.name,
                         "is not a container image: neither a docker-archive (manifest.json) "
                         "nor an OCI layout (oci-layout, index.json)"));
}

} // namespace

Expected<Descriptor> choose_from_index(std::span<const std::byte> bytes,
                                       const std::optional<std::string>& ref,
                                       const std::string& architecture, const std::string& what) {
  SEALEXEC_TRY_ASSIGN(const json document, parse_json(bytes, what));
  try {
    const json* manifests = member(document, "manifests");
    if (manifests == nullptr || !manifests->is_array() || manifests->empty()) {
      return fail(bad_json(what, "no \"manifests\""));
    }
    std::vector<Descriptor> candidates;
    std::string names;
    for (const json& entry : *manifests) {
      SEALEXEC_TRY_ASSIGN(Descriptor descriptor, parse_descriptor(entry, what));
      if (descriptor.ref_name) {
        names += fmt::format("{}{}", names.empty() ? "" : ", ", *descriptor.ref_name);
      }
      if (!ref || (descriptor.ref_name && ref_matches(*descriptor.ref_name, *ref))) {
        candidates.push_back(std::move(descriptor));
      }
    }
    if (candidates.empty()) {
      return fail(make_error(Errc::invalid_argument, what,
                             fmt::format("holds no image named '{}' (it holds: {})", *ref,
                                         names.empty() ? "no named images" : names)));
    }
    // One image for this machine's platform is taken; several with
    // different names are for FILE:REF to choose between, never guessed.
    std::vector<const Descriptor*> native;
    for (const Descriptor& candidate : candidates) {
      if (candidate.os == "linux" && candidate.architecture == architecture) {
        native.push_back(&candidate);
      }
    }
    if (native.size() == 1) {
      return *native.front();
    }
    if (native.size() > 1) {
      const bool same_name = std::all_of(native.begin(), native.end(), [&](const Descriptor* d) {
        return d->ref_name == native.front()->ref_name;
      });
      if (!same_name) {
        return fail(make_error(
            Errc::invalid_argument, what,
            fmt::format("holds {} images for linux/{}; choose one with FILE:REF (it holds: {})",
                        native.size(), architecture, names.empty() ? "unnamed images" : names)));
      }
      return *native.front(); // one image, listed once per variant: its first
    }
    if (candidates.size() == 1) {
      return candidates.front();
    }
    // Several: either platforms, none of which is this machine's, or
    // images only a name tells apart.
    const bool all_platforms = std::all_of(candidates.begin(), candidates.end(),
                                           [](const Descriptor& d) { return d.architecture; });
    if (all_platforms) {
      return fail(make_error(Errc::invalid_argument, what,
                             fmt::format("has no image for linux/{}", architecture)));
    }
    return fail(make_error(Errc::invalid_argument, what,
                           fmt::format("holds {} images; choose one with FILE:REF (it holds: {})",
                                       candidates.size(), names.empty() ? "unnamed images" : names)));
  } catch (const std::exception& error) {
    return fail(bad_json(what, error.what()));
  }
}

Expected<OciManifest> parse_oci_manifest(std::span<const std::byte> bytes, const std::string& what) {
  SEALEXEC_TRY_ASSIGN(const json document, parse_json(bytes, what));
  try {
    OciManifest manifest;
    const auto media_type = string_member(document, "mediaType");
    if (media_type && std::find(std::begin(k_index_types), std::end(k_index_types), *media_type) !=
                          std::end(k_index_types)) {
      manifest.is_index = true;
      return manifest;
    }
    if (!media_type && member(document, "manifests") != nullptr &&
        member(document, "layers") == nullptr) {
      manifest.is_index = true;
      return manifest;
    }
    const json* layers = member(document, "layers");
    if (layers == nullptr || !layers->is_array()) {
      return fail(bad_json(what, "no \"layers\""));
    }
    for (const json& entry : *layers) {
      SEALEXEC_TRY_ASSIGN(Descriptor descriptor, parse_descriptor(entry, what));
      manifest.layers.push_back(std::move(descriptor));
    }
    return manifest;
  } catch (const std::exception& error) {
    return fail(bad_json(what, error.what()));
  }
}

Expected<DockerImage> parse_docker_manifest(std::span<const std::byte> bytes,
                                            const std::optional<std::string>& ref,
                                            const std::string& what) {
  SEALEXEC_TRY_ASSIGN(const json document, parse_json(bytes, what));
  try {
    if (!document.is_array() || document.empty()) {
      return fail(bad_json(what, "not a list of images"));
    }
    std::vector<const json*> chosen;
    std::string names;
    for (const json& image : document) {
      bool matches = !ref;
      if (const json* tags = member(image, "RepoTags"); tags != nullptr && tags->is_array()) {
        for (const json& tag : *tags) {
          if (!tag.is_string()) {
            continue;
          }
          const std::string text = tag.get<std::string>();
          names += fmt::format("{}{}", names.empty() ? "" : ", ", text);
          matches = matches || ref_matches(text, *ref);
        }
      }
      if (matches) {
        chosen.push_back(&image);
      }
    }
    if (chosen.empty()) {
      return fail(make_error(Errc::invalid_argument, what,
                             fmt::format("holds no image named '{}' (it holds: {})", ref.value_or(""),
                                         names.empty() ? "no tagged images" : names)));
    }
    if (chosen.size() > 1) {
      return fail(make_error(Errc::invalid_argument, what,
                             fmt::format("holds {} images; choose one with FILE:REF (it holds: {})",
                                         chosen.size(), names.empty() ? "untagged" : names)));
    }
    const json& image = *chosen.front();
    DockerImage result;
    const auto config = string_member(image, "Config");
    const json* layers = member(image, "Layers");
    if (!config || layers == nullptr || !layers->is_array()) {
      return fail(bad_json(what, "an image without \"Config\" or \"Layers\""));
    }
    result.config = *config;
    for (const json& layer : *layers) {
      if (!layer.is_string()) {
        return fail(bad_json(what, "a layer that is not a path"));
      }
      result.layers.push_back(layer.get<std::string>());
    }
    return result;
  } catch (const std::exception& error) {
    return fail(bad_json(what, error.what()));
  }
}

Expected<std::vector<Sha256Digest>> parse_docker_diff_ids(std::span<const std::byte> bytes,
                                                          const std::string& what) {
  SEALEXEC_TRY_ASSIGN(const json document, parse_json(bytes, what));
  try {
    const json* rootfs = member(document, "rootfs");
    const json* ids = rootfs != nullptr ? member(*rootfs, "diff_ids") : nullptr;
    if (ids == nullptr || !ids->is_array()) {
      return fail(bad_json(what, "no rootfs.diff_ids"));
    }
    std::vector<Sha256Digest> digests;
    for (const json& id : *ids) {
      const std::string text = id.is_string() ? id.get<std::string>() : std::string();
      const auto digest = text.starts_with("sha256:")
                              ? Sha256Digest::from_hex(std::string_view(text).substr(7))
                              : std::nullopt;
      if (!digest) {
        return fail(bad_json(what, fmt::format("diff_id '{}' is not a sha256 digest", text)));
      }
      digests.push_back(*digest);
    }
    return digests;
  } catch (const std::exception& error) {
    return fail(bad_json(what, error.what()));
  }
}

Expected<ImageLayers> open_image_layers(const std::string& spec) {
  std::string file = spec;
  std::optional<std::string> ref;
  struct stat status {};
  if (::stat(file.c_str(), &status) != 0) {
    // FILE:REF, where REF may hold a colon itself ("name:tag"): the longest
    // prefix that exists is the file.
    const int saved = errno;
    std::size_t colon = spec.size();
    for (;;) {
      colon = colon == 0 ? std::string::npos : spec.rfind(':', colon - 1);
      if (colon == std::string::npos || colon == 0) {
        return fail(system_error("cannot open the image", spec, "stat", saved));
      }
      if (::stat(spec.substr(0, colon).c_str(), &status) == 0) {
        break;
      }
    }
    file = spec.substr(0, colon);
    ref = spec.substr(colon + 1);
  }
  std::unique_ptr<Store> store;
  if (S_ISDIR(status.st_mode)) {
    SEALEXEC_TRY_ASSIGN(Fd directory, open_fd(file.c_str(), O_PATH | O_DIRECTORY));
    store = std::make_unique<DirectoryStore>(std::move(directory));
    store->name = file;
  } else {
    SEALEXEC_TRY_ASSIGN(Fd archive, open_fd(file.c_str(), O_RDONLY | O_NOCTTY | O_NONBLOCK));
    auto archive_store = std::make_unique<ArchiveStore>();
    archive_store->name = file;
    archive_store->files.push_back(std::move(archive));
    SEALEXEC_TRY(archive_store->index());
    store = std::move(archive_store);
  }
  SEALEXEC_TRY_ASSIGN(ImageLayers image, layers_of(*store, ref));
  image.name = file;
  image.files = std::move(store->files);
  return image;
}

} // namespace sealexec::audit
