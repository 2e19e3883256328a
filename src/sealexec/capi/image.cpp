// Sealed images and read-only mappings of the C API (sealexec.h).
#include "sealexec/capi/handles.h"

#include <cstring>
#include <span>

using sealexec::Expected;
using sealexec::ImageOptions;
using sealexec::SealedImage;
using namespace sealexec::capi;

namespace {

constexpr std::uint32_t k_known_image_flags = SEALEXEC_IMAGE_NOEXEC;

Expected<ImageOptions> image_options(const char* function, const char* name,
                                     const std::uint8_t* sha256, std::uint32_t flags) {
  if ((flags & ~k_known_image_flags) != 0) {
    return sealexec::fail(bad_argument(function, "unknown flags"));
  }
  ImageOptions options;
  if (name != nullptr) {
    options.name = name;
  }
  if (sha256 != nullptr) {
    sealexec::Sha256Digest pin;
    std::memcpy(pin.bytes.data(), sha256, pin.bytes.size());
    options.expected_sha256 = pin;
  }
  if ((flags & SEALEXEC_IMAGE_NOEXEC) != 0) {
    options.executable = sealexec::Executable::no;
  }
  return options;
}

// Hands a finished image to the caller.
Expected<void> give(Expected<SealedImage> made, std::uint32_t flags, sealexec_image** image) {
  SEALEXEC_TRY(made);
  *image = new sealexec_image{std::move(*made), (flags & SEALEXEC_IMAGE_NOEXEC) == 0};
  return {};
}

} // namespace

extern "C" {

sealexec_status sealexec_image_from_bytes(const void* data, size_t size, const char* name,
                                          const uint8_t* sha256, uint32_t flags,
                                          sealexec_image** image, sealexec_error** error) {
  return guarded(error, [&]() -> Expected<void> {
    if (image == nullptr || (data == nullptr && size > 0)) {
      return sealexec::fail(bad_argument("sealexec_image_from_bytes", "a NULL pointer"));
    }
    SEALEXEC_TRY_ASSIGN(ImageOptions options,
                        image_options("sealexec_image_from_bytes", name, sha256, flags));
    const std::span<const std::byte> bytes(static_cast<const std::byte*>(data), size);
    return give(SealedImage::from_bytes(bytes, options), flags, image);
  });
}

sealexec_status sealexec_image_from_fd(int fd, const char* name, const uint8_t* sha256,
                                       uint32_t flags, sealexec_image** image,
                                       sealexec_error** error) {
  return guarded(error, [&]() -> Expected<void> {
    if (image == nullptr || fd < 0) {
      return sealexec::fail(bad_argument("sealexec_image_from_fd", "a NULL image or a negative fd"));
    }
    SEALEXEC_TRY_ASSIGN(ImageOptions options,
                        image_options("sealexec_image_from_fd", name,
                                      sha256, flags));
    return give(SealedImage::from_fd(fd, options), flags, image);
  });
}

sealexec_status sealexec_image_from_path(const char* path, const char* name,
                                         const uint8_t* sha256, uint32_t flags,
                                         sealexec_image** image, sealexec_error** error) {
  return guarded(error, [&]() -> Expected<void> {
    if (image == nullptr || path == nullptr || *path == '\0') {
      return sealexec::fail(bad_argument("sealexec_image_from_path", "no path"));
    }
    SEALEXEC_TRY_ASSIGN(ImageOptions options,
                        image_options("sealexec_image_from_path", name, sha256, flags));
    return give(SealedImage::from_path(path, options), flags, image);
  });
}

void sealexec_image_free(sealexec_image* image) { delete image; }

int sealexec_image_fd(const sealexec_image* image) {
  return image != nullptr ? image->image.fd() : -1;
}

uint64_t sealexec_image_size(const sealexec_image* image) {
  return image != nullptr ? image->image.size() : 0;
}

const char* sealexec_image_memfd_name(const sealexec_image* image) {
  return image != nullptr ? image->image.memfd_name().c_str() : "";
}

sealexec_status sealexec_image_sha256(const sealexec_image* image, uint8_t digest[32],
                                      sealexec_error** error) {
  return guarded(error, [&]() -> Expected<void> {
    if (image == nullptr || digest == nullptr) {
      return sealexec::fail(bad_argument("sealexec_image_sha256", "a NULL pointer"));
    }
    SEALEXEC_TRY_ASSIGN(const sealexec::Sha256Digest sha, image->image.sha256());
    std::memcpy(digest, sha.bytes.data(), sha.bytes.size());
    return {};
  });
}

sealexec_status sealexec_image_map(const sealexec_image* image, uint32_t flags,
                                   sealexec_mapping** mapping, sealexec_error** error) {
  return guarded(error, [&]() -> Expected<void> {
    if (image == nullptr || mapping == nullptr) {
      return sealexec::fail(bad_argument("sealexec_image_map", "a NULL pointer"));
    }
    if ((flags & ~SEALEXEC_MAP_EXEC) != 0) {
      return sealexec::fail(bad_argument("sealexec_image_map", "unknown flags"));
    }
    if ((flags & SEALEXEC_MAP_EXEC) != 0) {
      SEALEXEC_TRY(require_executable(*image, "sealexec_image_map"));
    }
    SEALEXEC_TRY_ASSIGN(sealexec::Mapping mapped,
                        image->image.map_separately((flags & SEALEXEC_MAP_EXEC) != 0
                                                        ? sealexec::Executable::yes
                                                        : sealexec::Executable::no));
    *mapping = new sealexec_mapping{std::move(mapped)};
    return {};
  });
}

const void* sealexec_mapping_data(const sealexec_mapping* mapping) {
  return mapping != nullptr ? mapping->mapping.bytes().data() : nullptr;
}

size_t sealexec_mapping_size(const sealexec_mapping* mapping) {
  return mapping != nullptr ? mapping->mapping.size() : 0;
}

void sealexec_mapping_free(sealexec_mapping* mapping) { delete mapping; }

} // extern "C"
