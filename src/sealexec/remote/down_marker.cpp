#include "sealexec/remote/down_marker.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>

#include <string>

namespace sealexec::remote {

namespace {

// By the backend's identity (no password in it), hashed: a URL is no file
// name.
std::string marker_path(const BackendUrl& backend) {
  const std::string& identity = backend.identity();
  return "remote/" + xxh3_128(std::as_bytes(std::span(identity.data(), identity.size()))).hex() +
         ".down";
}

} // namespace

bool recently_down(const cache::CacheDir& dir, const BackendUrl& backend) {
  const auto marker = dir.open_beneath(marker_path(backend), O_RDONLY | O_NONBLOCK);
  struct stat st {};
  if (!marker || ::fstat(marker->get(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return false;
  }
  timespec now {};
  ::clock_gettime(CLOCK_REALTIME, &now);
  const auto age = now.tv_sec - st.st_mtim.tv_sec;
  // A mark from the future (a clock set back) counts as old.
  return age >= 0 && age < k_down_for.count();
}

void mark_down(const cache::CacheDir& dir, const BackendUrl& backend) {
  if (!dir.subdirectory("remote")) {
    return;
  }
  if (const auto marker = dir.open_beneath(marker_path(backend), O_WRONLY | O_CREAT, 0600)) {
    ::futimens(marker->get(), nullptr); // now, also when it existed
  }
}

} // namespace sealexec::remote
