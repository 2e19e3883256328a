#include "sealexec/exec/runnable.h"

#include "elf/elf_builder.h"
#include "sealexec/elf/machine.h"
#include "test_support.h"

#include <elf.h>

#include <gtest/gtest.h>

namespace sealexec {
namespace {

using test::TempDir;

Expected<RunnableProgram> check_bytes(std::span<const std::byte> bytes) {
  auto image = SealedImage::from_bytes(bytes);
  if (!image) {
    return fail(image.error());
  }
  return check_runnable(*image);
}

Expected<RunnableProgram> check_text(std::string_view text) {
  return check_bytes(test::as_bytes(text));
}

TEST(Runnable, AcceptsTheExamplesAndNamesTheirInterpreters) {
  const auto hello = SealedImage::from_path(test::example("hello"));
  ASSERT_OK(hello);
  const auto program = check_runnable(*hello);
  ASSERT_OK(program);
  EXPECT_EQ(program->kind, ImageKind::elf);
  ASSERT_TRUE(program->elf_interpreter);
  EXPECT_TRUE(program->elf_interpreter->starts_with("/lib"));

  const auto fully_static = SealedImage::from_path(test::example("hello-static"));
  ASSERT_OK(fully_static);
  const auto static_program = check_runnable(*fully_static);
  ASSERT_OK(static_program);
  EXPECT_FALSE(static_program->elf_interpreter);

  const auto script = check_text("#!/bin/sh -e\n");
  ASSERT_OK(script);
  EXPECT_EQ(script->shebang->interpreter, "/bin/sh");
}

TEST(Runnable, RefusesEmptyAndUnknownContent) {
  const auto empty = check_text("");
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().reason, "is empty");
  const auto text = check_text("just text\n");
  ASSERT_FALSE(text);
  EXPECT_EQ(text.error().code, Errc::not_runnable);
  EXPECT_EQ(text.error().reason, "is neither an ELF executable nor a #! script");
}

TEST(Runnable, RefusesAMissingOrNonExecutableInterpreter) {
  const auto missing = check_text("#!/nonexistent/interpreter\n");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, Errc::not_runnable);
  EXPECT_EQ(missing.error().message(),
            "<memory>: bad interpreter /nonexistent/interpreter: No such file or directory");

  const auto not_executable = check_text("#!/etc/passwd\n");
  ASSERT_FALSE(not_executable);
  if (!test::is_root()) {
    EXPECT_EQ(not_executable.error().sys_errno, EACCES);
  }
}

TEST(Runnable, RelativeInterpretersResolveFromTheWorkingDirectory) {
  TempDir dir;
  test::write_file(dir / "interp", "#!/bin/sh\n", 0755);
  const auto image = SealedImage::from_bytes(test::as_bytes("#!interp\n"));
  ASSERT_OK(image);
  EXPECT_TRUE(check_runnable(*image, dir.path()));
  EXPECT_FALSE(check_runnable(*image, "/"));
}

TEST(Runnable, RefusesELFForAnotherMachine) {
  test::ElfBuilder builder;
  builder.type = ET_EXEC;
  builder.machine = EM_AARCH64 == elf::host_machine().machine ? EM_X86_64 : EM_AARCH64;
  const auto result = check_bytes(builder.build());
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, Errc::not_runnable);
  EXPECT_NE(result.error().reason.find("ELF executable for"), std::string::npos);
  EXPECT_NE(result.error().reason.find("but this machine runs"), std::string::npos);
}

TEST(Runnable, RefusesObjectFilesAndTruncatedExecutables) {
  test::ElfBuilder object;
  object.type = ET_REL;
  const auto rel = check_bytes(object.build());
  ASSERT_FALSE(rel);
  EXPECT_NE(rel.error().reason.find("relocatable"), std::string::npos);

  const auto hello = test::read_bytes(test::example("hello"));
  const auto cut = check_bytes(std::span(hello).first(hello.size() / 2));
  ASSERT_FALSE(cut);
  EXPECT_EQ(cut.error().code, Errc::malformed);
  EXPECT_NE(cut.error().reason.find("truncated ELF"), std::string::npos);

  const auto header_only = check_bytes(std::span(hello).first(30));
  ASSERT_FALSE(header_only);
  EXPECT_NE(header_only.error().reason.find("truncated ELF"), std::string::npos);
}

} // namespace
} // namespace sealexec
