#include "sealexec/script/script_source.h"

#include <gtest/gtest.h>

namespace sealexec::script {
namespace {

TEST(ScriptLanguage, ByExtension) {
  EXPECT_EQ(language_of("a/b.c"), Language::c);
  for (const char* name : {"x.cc", "x.cpp", "x.cxx", "x.c++", "/d.c/x.cpp"}) {
    EXPECT_EQ(language_of(name), Language::cxx) << name;
  }
  for (const char* name : {"x", "x.h", "x.C", "dir.c/x", "x.cpp.txt", ".c/"}) {
    EXPECT_FALSE(language_of(name).has_value()) << name;
  }
}

TEST(ScriptSource, ShebangLineBecomesLineTwo) {
  const auto script =
      parse_script("#!/usr/bin/env sealexec\nint main() {}\n", "/home/u/x.cpp", Language::cxx);
  ASSERT_TRUE(script) << script.error().message();
  EXPECT_EQ(script->compile_text, "#line 2 \"/home/u/x.cpp\"\nint main() {}\n");
}

TEST(ScriptSource, WithoutShebangStartsAtLineOne) {
  const auto script = parse_script("int main() {}\n", "/x.c", Language::c);
  ASSERT_TRUE(script);
  EXPECT_EQ(script->compile_text, "#line 1 \"/x.c\"\nint main() {}\n");
}

TEST(ScriptSource, ShebangWithoutNewline) {
  const auto script = parse_script("#!/usr/bin/env sealexec", "/x.c", Language::c);
  ASSERT_TRUE(script);
  EXPECT_EQ(script->compile_text, "#line 2 \"/x.c\"\n");
}

TEST(ScriptSource, PathIsEscapedInTheLineDirective) {
  const auto script = parse_script("", "/a \"b\"\\c\nd.c", Language::c);
  ASSERT_TRUE(script);
  EXPECT_EQ(script->compile_text, "#line 1 \"/a \\\"b\\\"\\\\c\\012d.c\"\n");
}

TEST(ScriptSource, FlagsCommentsAccumulateWithShellQuoting) {
  const auto script = parse_script(
      "#!/usr/bin/env sealexec\n// sealexec: -O2 -DX='a b'\n  //sealexec: \"-DY=\\\"q\\\"\" -lm\n"
      "// not: -O3\nint main() {}\n",
      "/x.c", Language::c);
  ASSERT_TRUE(script);
  EXPECT_EQ(script->flags, (std::vector<std::string>{"-O2", "-DX=a b", "-DY=\"q\"", "-lm"}));
}

TEST(ScriptSource, FlagsBeyondTheFirstFiftyLinesAreCode) {
  std::string text;
  for (int i = 0; i < 50; ++i) {
    text += "\n";
  }
  text += "// sealexec: -O2\n";
  const auto script = parse_script(text, "/x.c", Language::c);
  ASSERT_TRUE(script);
  EXPECT_TRUE(script->flags.empty());
}

TEST(ScriptSource, UnterminatedQuoteNamesFileAndLine) {
  const auto script =
      parse_script("#!/usr/bin/env sealexec\n\n// sealexec: -D'x\n", "/s.c", Language::c);
  ASSERT_FALSE(script);
  EXPECT_EQ(script.error().code, Errc::malformed);
  EXPECT_EQ(script.error().path, "/s.c:3");
}

TEST(ScriptSource, TooLargeIsRefused) {
  const std::string big(k_max_script_size + 1, ' ');
  const auto script = parse_script(big, "/s.c", Language::c);
  ASSERT_FALSE(script);
  EXPECT_EQ(script.error().code, Errc::too_large);
}

TEST(SplitWords, LikeSh) {
  EXPECT_EQ(split_words("  a\tb  "), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(split_words("a\\ b 'c d' \"e\\\\f\" ''"),
            (std::vector<std::string>{"a b", "c d", "e\\f", ""}));
  EXPECT_FALSE(split_words("a\\").has_value());
  EXPECT_FALSE(split_words("'a").has_value());
  EXPECT_FALSE(split_words("\"a").has_value());
}

} // namespace
} // namespace sealexec::script
