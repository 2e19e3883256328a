#include "sealexec/image/memfd.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <string>

namespace sealexec {

namespace {

Error noexec_policy_error(std::string_view name, std::optional<int> setting) {
  return make_error(
      Errc::policy, name,
      fmt::format("the kernel forbids executable memory files (sysctl vm.memfd_noexec = {}); "
                  "running from sealed memory needs vm.memfd_noexec = 0 or 1",
                  setting ? std::to_string(*setting) : std::string("2")));
}

int raw_memfd_create(const std::string& name, unsigned flags) {
  return static_cast<int>(::memfd_create(name.c_str(), flags));
}

} // namespace

std::optional<int> memfd_noexec_setting() {
  auto file = open_fd("/proc/sys/vm/memfd_noexec", O_RDONLY);
  if (!file) {
    return std::nullopt;
  }
  std::array<char, 16> text{};
  const ssize_t got = ::read(file->get(), text.data(), text.size() - 1);
  if (got <= 0) {
    return std::nullopt;
  }
  int value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + got, value);
  if (error != std::errc{}) {
    return std::nullopt;
  }
  return value;
}

Expected<Fd> create_memfd(std::string_view name, Executable executable, std::string_view source) {
  const std::string cut(name.substr(0, k_memfd_name_max));
  const std::string_view subject = source.empty() ? std::string_view(cut) : source;
  const unsigned base = MFD_CLOEXEC | MFD_ALLOW_SEALING;
  const unsigned wanted = base | (executable == Executable::yes ? k_mfd_exec : k_mfd_noexec_seal);

  int fd = raw_memfd_create(cut, wanted);
  if (fd < 0 && errno == EINVAL) {
    // Kernels before 6.3 reject the MFD_EXEC/MFD_NOEXEC_SEAL bits; every
    // memfd they make is executable.
    fd = raw_memfd_create(cut, base);
  }
  if (fd < 0) {
    if (errno == EACCES && executable == Executable::yes) {
      return fail(noexec_policy_error(subject, memfd_noexec_setting()));
    }
    return fail(system_error("cannot create a memory file to copy it into", subject, "memfd_create"));
  }
  Fd owned(fd);

  if (executable == Executable::yes) {
    // A kernel that applied MFD_NOEXEC_SEAL behind our back (vm.memfd_noexec
    // on some 6.x versions) leaves the file without execute bits; exec would
    // then fail with a confusing EACCES much later.
    struct stat st {};
    if (::fstat(owned.get(), &st) != 0) {
      return fail(system_error("cannot inspect the memory file it is copied into", subject, "fstat"));
    }
    if ((st.st_mode & 0111) == 0) {
      return fail(noexec_policy_error(subject, memfd_noexec_setting()));
    }
  }
  return owned;
}

int base_seals() { return F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL; }

Expected<int> seal_memfd(int fd, std::string_view name) {
  int wanted = base_seals() | k_f_seal_exec;
  int result = ::fcntl(fd, F_ADD_SEALS, wanted);
  if (result != 0 && errno == EINVAL) {
    // F_SEAL_EXEC arrived in 6.3; older kernels reject the unknown bit.
    wanted = base_seals();
    result = ::fcntl(fd, F_ADD_SEALS, wanted);
  }
  if (result != 0) {
    return fail(system_error("cannot seal", name, "fcntl(F_ADD_SEALS)"));
  }
  const int seals = ::fcntl(fd, F_GET_SEALS);
  if (seals < 0) {
    return fail(system_error("cannot read the seals of", name, "fcntl(F_GET_SEALS)"));
  }
  if ((seals & base_seals()) != base_seals()) {
    return fail(make_error(Errc::system, name,
                           fmt::format("sealing did not take: F_GET_SEALS returned {:#x}", seals)));
  }
  return seals;
}

Expected<Fd> reopen_read_only(int fd, std::string_view name) {
  const std::string self = fmt::format("/proc/self/fd/{}", fd);
  const int reopened = ::open(self.c_str(), O_RDONLY | O_CLOEXEC);
  if (reopened >= 0) {
    Fd owned(reopened);
    struct stat original {};
    struct stat again {};
    // Guard against a /proc that is not the real one.
    if (::fstat(fd, &original) == 0 && ::fstat(owned.get(), &again) == 0 &&
        original.st_dev == again.st_dev && original.st_ino == again.st_ino) {
      return owned;
    }
  }
  Fd duplicate(::fcntl(fd, F_DUPFD_CLOEXEC, 0));
  if (!duplicate) {
    return fail(system_error("cannot duplicate the descriptor of", name, "fcntl(F_DUPFD_CLOEXEC)"));
  }
  // A duplicate shares the file offset, which writing the image left at its
  // end. An interpreter that reads the descriptor itself (Perl opens
  // /dev/fd/N as a dup) would otherwise see an empty script and exit 0.
  if (::lseek(duplicate.get(), 0, SEEK_SET) != 0) {
    return fail(system_error("cannot rewind the descriptor of", name, "lseek"));
  }
  return duplicate;
}

bool has_base_seals(int fd) {
  const int seals = ::fcntl(fd, F_GET_SEALS);
  return seals >= 0 && (seals & base_seals()) == base_seals();
}

} // namespace sealexec
