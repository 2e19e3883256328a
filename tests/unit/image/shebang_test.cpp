#include "sealexec/image/shebang.h"

#include "test_support.h"

#include <gtest/gtest.h>

namespace sealexec {
namespace {

Expected<Shebang> parse(std::string_view text) { return parse_shebang(test::as_bytes(text), "s"); }

Shebang script(std::string interpreter, std::optional<std::string> argument = std::nullopt) {
  return Shebang{.interpreter = std::move(interpreter), .argument = std::move(argument)};
}

TEST(Shebang, InterpreterAlone) {
  EXPECT_EQ(parse("#!/bin/sh\necho hi\n"), script("/bin/sh"));
}

TEST(Shebang, OneOptionalArgumentKeepsInnerSpaces) {
  // Linux passes everything after the interpreter as a single argument.
  EXPECT_EQ(parse("#!/usr/bin/env python3 -u -X dev\n"), script("/usr/bin/env", "python3 -u -X dev"));
}

TEST(Shebang, BlanksAroundAreTrimmed) {
  EXPECT_EQ(parse("#! \t/bin/sh \t -e \t\n"), script("/bin/sh", "-e"));
  EXPECT_EQ(parse("#!/bin/sh   \n"), script("/bin/sh"));
}

TEST(Shebang, CarriageReturnIsPartOfTheLine) {
  // The classic DOS line-ending failure: the kernel looks for "/bin/sh\r".
  EXPECT_EQ(parse("#!/bin/sh\r\n"), script("/bin/sh\r"));
}

TEST(Shebang, WithoutNewlineInAShortFile) {
  EXPECT_EQ(parse("#!/bin/true"), script("/bin/true"));
  EXPECT_EQ(parse("#!/bin/echo hello"), script("/bin/echo", "hello"));
}

TEST(Shebang, ATrailingBlankWithoutNewlineGivesAnEmptyArgument) {
  // Seen on Linux 6.18: a file that is exactly "#!/tmp/argv " runs
  // /tmp/argv with argv {"/tmp/argv", "", "./file"}. The kernel pads the
  // short file with NULs, and the first NUL starts the (empty) argument.
  EXPECT_EQ(parse("#!/bin/echo "), script("/bin/echo", ""));
  EXPECT_EQ(parse("#!/bin/echo \n"), script("/bin/echo"));
}

TEST(Shebang, ANulEndsTheInterpreterAndDropsTheArgument) {
  EXPECT_EQ(parse(std::string_view("#!/bin/s\0h -x\n", 14)), script("/bin/s"));
}

TEST(Shebang, RejectsFilesThatAreNotScripts) {
  for (const std::string_view text : {"", "#", "#x/bin/sh", "\x7f" "ELF", " #!/bin/sh"}) {
    const auto parsed = parse(text);
    ASSERT_FALSE(parsed) << text;
    EXPECT_EQ(parsed.error().code, Errc::not_runnable);
  }
}

TEST(Shebang, RejectsALineWithoutInterpreter) {
  for (const std::string_view text : {"#!\n", "#!   \n", "#!", "#! \t "}) {
    const auto parsed = parse(text);
    ASSERT_FALSE(parsed) << text;
    EXPECT_EQ(parsed.error().code, Errc::malformed);
    EXPECT_NE(parsed.error().reason.find("no interpreter"), std::string::npos);
  }
}

TEST(Shebang, ALongLineIsFineWhenTheInterpreterPathEndsInTheBuffer) {
  // The argument may be cut: the interpreter can re-read the script.
  const std::string line = "#!/bin/sh " + std::string(400, 'a') + "\n";
  const auto parsed = parse(line);
  ASSERT_OK(parsed);
  EXPECT_EQ(parsed->interpreter, "/bin/sh");
  ASSERT_TRUE(parsed->argument);
  // Bytes 10..254 of the file: the kernel keeps the last byte for its NUL.
  EXPECT_EQ(parsed->argument->size(), 255U - 10U);
}

TEST(Shebang, ALongLineThatCutsTheInterpreterPathIsRefused) {
  const std::string line = "#!/" + std::string(300, 'x') + "\n";
  const auto parsed = parse(line);
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().code, Errc::malformed);
  EXPECT_NE(parsed.error().reason.find("too long"), std::string::npos);
}

TEST(Shebang, AnInterpreterEndingExactlyAtTheBufferEdge) {
  // 253 characters of path after "#!" end at index 254; index 255 is a space.
  std::string line = "#!/" + std::string(252, 'y');
  ASSERT_EQ(line.size(), 255U);
  EXPECT_FALSE(parse(line + "z more\n")); // path runs into byte 255: cut
  const auto fits = parse(line + " tail-is-beyond-the-buffer");
  ASSERT_OK(fits);
  EXPECT_EQ(fits->interpreter.size(), 253U);
  EXPECT_FALSE(fits->argument);
}

TEST(Shebang, NewlineAtTheLastByteOfTheBufferCounts) {
  std::string line = "#!/bin/sh " + std::string(245, 'a');
  line += '\n';
  ASSERT_EQ(line.find('\n'), 255U);
  const auto parsed = parse(line);
  ASSERT_OK(parsed);
  EXPECT_EQ(parsed->argument->size(), 245U);
}

} // namespace
} // namespace sealexec
