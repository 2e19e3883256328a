// Replacing the calling process with a sealed image.
#pragma once

#include "sealexec/exec/launch.h"
#include "sealexec/image/sealed_image.h"
#include "sealexec/util/error.h"

namespace sealexec {

// Replaces the calling process with `image` through execveat(AT_EMPTY_PATH),
// so its exit status and any death by signal are the caller's own. Returns
// only when the image cannot run; the process is then unchanged, apart from
// errno. A script gets an inheritable duplicate of the image's descriptor for
// its interpreter to open as /dev/fd/N; it exists only from exec on.
[[nodiscard]] Error exec(const SealedImage& image, const ExecOptions& options);

// The same, for a launch already prepared (to show its warnings first).
[[nodiscard]] Error exec(const SealedImage& image, const Launch& launch);

} // namespace sealexec
