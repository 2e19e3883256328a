#include "sealexec/util/replacement_file.h"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <utility>

namespace sealexec {

namespace {

std::filesystem::path directory_of(const std::filesystem::path& path) {
  return path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
}

} // namespace

Expected<ReplacementFile> ReplacementFile::create(const std::filesystem::path& destination) {
  std::string temporary =
      (directory_of(destination) / ("." + destination.filename().string() + ".sealexec-XXXXXX"))
          .string();
  const int fd = ::mkostemp(temporary.data(), O_CLOEXEC);
  if (fd < 0) {
    return fail(system_error("cannot create a temporary file next to", destination.string(),
                             "mkostemp"));
  }
  return ReplacementFile(destination, std::move(temporary), Fd(fd));
}

ReplacementFile::ReplacementFile(ReplacementFile&& other) noexcept
    : m_destination(std::move(other.m_destination)),
      m_temporary(std::exchange(other.m_temporary, std::string())),
      m_fd(std::move(other.m_fd)) {}

ReplacementFile::~ReplacementFile() {
  if (!m_temporary.empty()) {
    ::unlink(m_temporary.c_str());
  }
}

Expected<void> ReplacementFile::commit() {
  const std::string name = m_destination.string();
  if (::fsync(m_fd.get()) != 0) {
    return fail(system_error("cannot flush the new copy of", name, "fsync"));
  }
  SEALEXEC_TRY(m_fd.close());
  if (::rename(m_temporary.c_str(), name.c_str()) != 0) {
    return fail(system_error("cannot replace", name, "rename"));
  }
  m_temporary.clear();
  if (auto dir = open_fd(directory_of(m_destination).c_str(), O_RDONLY | O_DIRECTORY)) {
    ::fsync(dir->get());
  }
  return {};
}

} // namespace sealexec
