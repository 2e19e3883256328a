#include "sealexec/exec/spawn.h"

#include "sealexec/image/copy.h"
#include "test_support.h"

#include <fcntl.h>
#include <unistd.h>

#include <sys/wait.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

namespace sealexec {
namespace {

using test::TempDir;

SealedImage image_of(const std::filesystem::path& path) {
  auto image = SealedImage::from_path(path);
  EXPECT_TRUE(image) << image.error().message();
  return std::move(*image);
}

SealedImage script(TempDir& dir, std::string_view name, std::string_view text) {
  test::write_file(dir / name, text, 0755);
  return image_of(dir / name);
}

struct Output {
  std::string out;
  ExitStatus status;
};

Output run(const SealedImage& image, SpawnOptions options) {
  options.stdout_stream = Stdio::pipe();
  auto child = spawn(image, options);
  EXPECT_TRUE(child) << child.error().message();
  if (!child) {
    return {};
  }
  Output result;
  result.out = test::read_all(child->stdout_pipe.get());
  result.status = child->wait().value();
  return result;
}

TEST(Spawn, PassesArgumentsAndCapturesOutput) {
  const auto hello = image_of(test::example("hello"));
  SpawnOptions options;
  options.argv = {"hello", "two words", ""};
  const Output result = run(hello, options);
  EXPECT_EQ(result.out, "hello from sealed memory\narg 1: two words\narg 2: \n");
  EXPECT_TRUE(result.status.success());
}

TEST(Spawn, ReportsExitCodesAndSignals) {
  TempDir dir;
  const auto exit3 = script(dir, "exit3", "#!/bin/sh\nexit 3\n");
  const auto exit255 = script(dir, "exit255", "#!/bin/sh\nexit 255\n");
  const auto term = script(dir, "term", "#!/bin/sh\nkill -TERM $$\n");
  EXPECT_EQ(run(exit3, {}).status, (ExitStatus{ExitStatus::How::exited, 3}));
  EXPECT_EQ(run(exit255, {}).status.shell_code(), 255);
  const ExitStatus killed = run(term, {}).status;
  EXPECT_EQ(killed.how, ExitStatus::How::signaled);
  EXPECT_EQ(killed.value, SIGTERM);
  EXPECT_EQ(killed.shell_code(), 143);
  EXPECT_EQ(killed.describe(), "killed by signal 15 (Terminated)");
}

TEST(Spawn, RunsScriptsWithTheirOptionalArgument) {
  TempDir dir;
  const auto s = script(dir, "args", "#!/bin/sh -e\necho \"$0|$1|$2\"\n");
  SpawnOptions options;
  options.argv = {"ignored", "a b", "c"};
  const Output result = run(s, options);
  // The interpreter gets /dev/fd/N as the script path.
  EXPECT_TRUE(result.out.starts_with("/dev/fd/")) << result.out;
  EXPECT_TRUE(result.out.ends_with("|a b|c\n")) << result.out;
}

TEST(Spawn, ScriptRunsLeaveNoInheritableDescriptorInTheParent) {
  TempDir dir;
  const auto s = script(dir, "quiet", "#!/bin/sh\nexit 0\n");
  const auto before = test::inheritable_fds();
  for (int i = 0; i < 5; ++i) {
    EXPECT_TRUE(run(s, {}).status.success());
  }
  EXPECT_EQ(test::inheritable_fds(), before);
}

// Descriptors above 2 that a child has and its parent did not hand down
// itself: "fd flags" lines from `listing`, minus the parent's own inheritable
// descriptors (a test runner may pass some) and close-on-exec ones.
std::vector<std::pair<int, unsigned long>> new_descriptors(const std::string& listing,
                                                           const std::vector<int>& parents) {
  std::vector<std::pair<int, unsigned long>> found;
  std::istringstream lines(listing);
  int fd = 0;
  std::string flags;
  while (lines >> fd >> flags) {
    const unsigned long value = std::stoul(flags, nullptr, 8);
    if (std::ranges::find(parents, fd) == parents.end() && (value & O_CLOEXEC) == 0) {
      found.emplace_back(fd, value);
    }
  }
  return found;
}

TEST(Spawn, TheScriptsDescriptorIsReadOnlyAndTheOnlyExtraOne) {
  TempDir dir;
  // Lists the script's own descriptors above 2 with their open flags.
  const auto s = script(dir, "fds",
                        "#!/bin/sh\n"
                        "for f in /proc/$$/fd/*; do n=${f##*/}; [ $n -gt 2 ] || continue;\n"
                        "  [ -e /proc/$$/fdinfo/$n ] || continue;\n"
                        "  echo \"$n $(sed -n 's/^flags:[[:space:]]*//p' /proc/$$/fdinfo/$n)\"; done\n");
  const auto parents = test::inheritable_fds();
  const Output result = run(s, {});
  ASSERT_TRUE(result.status.success());
  const auto extra = new_descriptors(result.out, parents);
  ASSERT_EQ(extra.size(), 1U) << result.out;
  EXPECT_EQ(extra[0].second & O_ACCMODE, static_cast<unsigned long>(O_RDONLY)) << result.out;
}

TEST(Spawn, SetsEnvironmentAndWorkingDirectory) {
  TempDir dir;
  const auto s = script(dir, "env", "#!/bin/sh\necho \"$GREETING $(pwd)\"\n");
  SpawnOptions options;
  options.env = std::vector<std::string>{"GREETING=hi", "PATH=/usr/bin:/bin"};
  options.cwd = "/tmp";
  EXPECT_EQ(run(s, options).out, "hi /tmp\n");
}

TEST(Spawn, ABadWorkingDirectoryIsAnErrorAndNoChildIsLeft) {
  const auto hello = image_of(test::example("hello"));
  SpawnOptions options;
  options.cwd = "/nonexistent/dir";
  const auto child = spawn(hello, options);
  ASSERT_FALSE(child);
  EXPECT_EQ(child.error().sys_errno, ENOENT);
  EXPECT_NE(child.error().message().find("/nonexistent/dir"), std::string::npos);
  errno = 0;
  EXPECT_EQ(::waitpid(-1, nullptr, WNOHANG), -1);
  EXPECT_EQ(errno, ECHILD);
}

TEST(Spawn, ConnectsStdinStdoutAndStderr) {
  TempDir dir;
  const auto s = script(dir, "io", "#!/bin/sh\nread line\necho \"out:$line\"\necho \"err:$line\" >&2\n");
  SpawnOptions options;
  options.stdin_stream = Stdio::pipe();
  options.stdout_stream = Stdio::pipe();
  options.stderr_stream = Stdio::pipe();
  auto child = spawn(s, options);
  ASSERT_OK(child);
  ASSERT_OK(write_all(child->stdin_pipe.get(), test::as_bytes("ping\n"), "stdin"));
  child->stdin_pipe.reset();
  EXPECT_EQ(test::read_all(child->stdout_pipe.get()), "out:ping\n");
  EXPECT_EQ(test::read_all(child->stderr_pipe.get()), "err:ping\n");
  EXPECT_TRUE(child->wait()->success());
}

TEST(Spawn, NullStdioAndCallerDescriptors) {
  TempDir dir;
  const auto s = script(dir, "cat", "#!/bin/sh\ncat\necho done >&2\n");
  auto sink = make_pipe();
  ASSERT_OK(sink);
  SpawnOptions options;
  options.stdin_stream = Stdio::null();
  options.stdout_stream = Stdio::fd(sink->write_end.get());
  options.stderr_stream = Stdio::fd(sink->write_end.get());
  auto child = spawn(s, options);
  ASSERT_OK(child);
  sink->write_end.reset();
  EXPECT_EQ(test::read_all(sink->read_end.get()), "done\n");
  EXPECT_TRUE(child->wait()->success());
}

TEST(Spawn, ExtraDescriptorsNeverClobberTheImage) {
  // runc #4294: setting up target descriptors must not overwrite the one
  // that holds the executable. Ask for targets equal to the image's own
  // descriptor number and to every number around it, and swap two.
  TempDir dir;
  const auto s = script(dir, "extra",
                        "#!/bin/sh\n"
                        "echo \"$(cat <&7) $(cat <&8)\"\n");
  const int image_fd = s.fd();
  auto seven = make_pipe();
  auto eight = make_pipe();
  ASSERT_OK(seven);
  ASSERT_OK(eight);
  ASSERT_OK(write_all(seven->write_end.get(), test::as_bytes("seven"), "p"));
  ASSERT_OK(write_all(eight->write_end.get(), test::as_bytes("eight"), "p"));
  seven->write_end.reset();
  eight->write_end.reset();
  SpawnOptions options;
  options.extra_fds = {{7, seven->read_end.get()},
                       {8, eight->read_end.get()},
                       {image_fd, eight->read_end.get()},
                       {image_fd + 1, seven->read_end.get()}};
  const Output result = run(s, options);
  EXPECT_EQ(result.out, "seven eight\n");
  EXPECT_TRUE(result.status.success());
}

TEST(Spawn, SwappedDescriptorsArriveSwapped) {
  // Child fd a gets the parent's fd b and the other way round: a naive
  // sequence of dup2 calls would leave both pointing at the same pipe.
  auto first = make_pipe();
  auto second = make_pipe();
  ASSERT_OK(first);
  ASSERT_OK(second);
  const int a = first->read_end.get();
  const int b = second->read_end.get();
  ASSERT_OK(write_all(first->write_end.get(), test::as_bytes("A"), "p"));
  ASSERT_OK(write_all(second->write_end.get(), test::as_bytes("B"), "p"));
  first->write_end.reset();
  second->write_end.reset();
  TempDir dir;
  const auto s = script(dir, "swap",
                        "#!/bin/sh\necho \"$(cat <&" + std::to_string(a) + ")$(cat <&" +
                            std::to_string(b) + ")\"\n");
  SpawnOptions options;
  options.extra_fds = {{a, b}, {b, a}};
  EXPECT_EQ(run(s, options).out, "BA\n");
}

TEST(Spawn, KillAndWait) {
  TempDir dir;
  const auto s = script(dir, "sleep", "#!/bin/sh\nexec sleep 30\n");
  auto child = spawn(s, {});
  ASSERT_OK(child);
  EXPECT_EQ(child->try_wait().value(), std::nullopt);
  ASSERT_OK(child->kill(SIGKILL));
  const auto status = child->wait();
  ASSERT_OK(status);
  EXPECT_EQ(status->value, SIGKILL);
  EXPECT_EQ(child->wait().value(), *status); // stable on a second call
  ASSERT_OK(child->kill(SIGTERM));            // no-op once reaped
}

TEST(Spawn, DestroyingAnUnwaitedChildKillsAndReapsIt) {
  TempDir dir;
  const auto s = script(dir, "sleep", "#!/bin/sh\nexec sleep 30\n");
  pid_t pid = -1;
  {
    auto child = spawn(s, {});
    ASSERT_OK(child);
    pid = child->pid();
  }
  errno = 0;
  EXPECT_EQ(::kill(pid, 0), -1);
  EXPECT_EQ(errno, ESRCH);
}

TEST(Spawn, Argv0OverridesTheFirstArgument) {
  const auto probe = image_of(test::fixture("exe-probe"));
  SpawnOptions options;
  options.argv = {"probe"};
  options.argv0 = "custom-name";
  const Output result = run(probe, options);
  EXPECT_NE(result.out.find("argv0: custom-name\n"), std::string::npos) << result.out;
}

TEST(Spawn, TheProgramSeesTheSealedMemfdAsItsExecutable) {
  const auto probe = image_of(test::fixture("exe-probe"));
  const Output result = run(probe, {});
  EXPECT_NE(result.out.find("exe: /memfd:" + probe.memfd_name() + " (deleted)\n"),
            std::string::npos)
      << result.out;
  EXPECT_NE(result.out.find("seals: 0x"), std::string::npos) << result.out;
  EXPECT_EQ(result.out.find("write: succeeded"), std::string::npos) << result.out;
  // No descriptor of ours leaks into an ELF program.
  const auto parents = test::inheritable_fds();
  std::istringstream fds(result.out.substr(result.out.find("fds:") + 4));
  for (int fd = 0; fds >> fd;) {
    EXPECT_NE(std::ranges::find(parents, fd), parents.end()) << "leaked fd " << fd;
  }
}

TEST(Spawn, ParentSignalHandlersDoNotRunInTheChild) {
  // A handler that would write to shared memory if the vfork-style child ran
  // it; signals sent right at spawn time must reach the child's defaults.
  static std::atomic<int> handled{0};
  struct sigaction action {};
  action.sa_handler = [](int) { handled = handled + 1; };
  struct sigaction previous {};
  ASSERT_EQ(::sigaction(SIGUSR1, &action, &previous), 0);
  TempDir dir;
  const auto s = script(dir, "self-usr1", "#!/bin/sh\nkill -USR1 $$\nsleep 1\n");
  const ExitStatus status = run(s, {}).status;
  ::sigaction(SIGUSR1, &previous, nullptr);
  EXPECT_EQ(status.how, ExitStatus::How::signaled);
  EXPECT_EQ(status.value, SIGUSR1);
  EXPECT_EQ(handled.load(), 0);
}

TEST(Spawn, ManyThreadsSpawnAtOnce) {
  const auto hello = image_of(test::example("hello"));
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10; ++i) {
        SpawnOptions options;
        options.stdout_stream = Stdio::null();
        auto child = spawn(hello, options);
        if (child && child->wait()->success()) {
          ++ok;
        }
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(ok.load(), 40);
}

} // namespace
} // namespace sealexec
