// A file written next to its destination under a unique name and renamed
// over it only when complete, so that readers see the old file or the new
// one, never a part, and concurrent writers never share a temporary file.
#pragma once

#include "sealexec/util/error.h"
#include "sealexec/util/fd.h"

#include <filesystem>
#include <string>

namespace sealexec {

class ReplacementFile {
public:
  // Creates ".<name>.sealexec-XXXXXX" (mode 0600, O_EXCL: never an existing
  // file or symlink) in the directory of `destination`.
  [[nodiscard]] static Expected<ReplacementFile> create(const std::filesystem::path& destination);
  ReplacementFile(ReplacementFile&& other) noexcept;
  ReplacementFile& operator=(ReplacementFile&&) = delete;
  ReplacementFile(const ReplacementFile&) = delete;
  ReplacementFile& operator=(const ReplacementFile&) = delete;
  // Removes the temporary file unless it was committed.
  ~ReplacementFile();

  [[nodiscard]] int fd() const { return m_fd.get(); }

  // fsync, close, rename over the destination (replacing a symlink there,
  // not its target), then fsync the directory so that the rename survives a
  // crash.
  [[nodiscard]] Expected<void> commit();

private:
  ReplacementFile(std::filesystem::path destination, std::string temporary, Fd fd)
      : m_destination(std::move(destination)), m_temporary(std::move(temporary)),
        m_fd(std::move(fd)) {}

  std::filesystem::path m_destination;
  std::string m_temporary; // empty once committed or moved from
  Fd m_fd;
};

} // namespace sealexec
