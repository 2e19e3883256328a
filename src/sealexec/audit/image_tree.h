// A container image as a FileTree (check --image): its layers applied in
// order, in memory, as a container runtime would stack them (whiteouts,
// opaque directories, hard links), without writing anything to disk.
//
// A regular file's bytes are a byte range of the archive, read with pread
// when the layer is stored uncompressed (nothing copied); a compressed
// layer cannot be read at random, so only what a check reads is kept: whole
// ELF files and /etc/ld.so.cache, and the first 4 bytes of everything else
// (enough to tell that it is not ELF; reading further is an error).
#pragma once

#include "sealexec/audit/file_tree.h"
#include "sealexec/audit/layer_stream.h"
#include "sealexec/util/fd.h"

#include <memory>
#include <string>
#include <vector>

namespace sealexec::audit {

// An image's layers, bottom first, and the files they lie in.
struct ImageLayers {
  std::string name; // the image as the user named it, for errors
  std::vector<Fd> files;
  std::vector<LayerRange> layers;
};

// Applies every layer of `image` and returns the resulting tree, which owns
// the files. Errors: Errc::malformed for a damaged or hostile layer (a name
// with "..", a hard link to a missing path, a truncated tar...), naming the
// layer and the member; Errc::digest_mismatch; Errc::too_large for a layer
// that decompresses beyond its bound or content beyond the tree's.
[[nodiscard]] Expected<std::unique_ptr<FileTree>> build_image_tree(ImageLayers image);

// The image in `spec` (FILE or FILE:REF, see image_archive.h), built.
[[nodiscard]] Expected<std::unique_ptr<FileTree>> open_image_tree(const std::string& spec);

} // namespace sealexec::audit
