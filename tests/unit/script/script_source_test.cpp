#include "sealexec/script/script_source.h"

#include <gtest/gtest.h>

namespace sealexec::script {
namespace {

TEST(ScriptLanguage, ByExtension) {
  EXPECT_EQ(language_of("a/b.c"), Language::c);
  for (const char* name : {"x.cc", "x.cpp", "x.cxx", "x.c++", "/d.c/x.cpp", "x.C"}) {
    EXPECT_EQ(language_of(name), Language::cxx) << name;
  }
  for (const char* name : {"x", "x.h", "x.CPP", "dir.c/x", "x.cpp.txt", ".c/"}) {
    EXPECT_FALSE(language_of(name).has_value()) << name;
  }
}

TEST(ScriptLanguage, ByName) {
  EXPECT_EQ(parse_language("c"), Language::c);
  EXPECT_EQ(parse_language("c++"), Language::cxx);
  EXPECT_EQ(parse_language("cxx"), Language::cxx);
  EXPECT_FALSE(parse_language("rust").has_value());
  EXPECT_FALSE(parse_language("").has_value());
}

TEST(ScriptShebang, NamesSealexecDirectlyOrThroughEnv) {
  for (const char* text :
       {"#!/usr/bin/env sealexec\n", "#!/usr/local/bin/sealexec\nint x;",
        "#! /usr/bin/env -S sealexec --flags -O2\n", "#!/usr/bin/env -Ssealexec -v\n",
        "#!/bin/env -i PATH=/usr/bin sealexec", "#!/usr/bin/env\tsealexec\r\n"}) {
    EXPECT_TRUE(starts_with_sealexec_shebang(text)) << text;
  }
  for (const char* text :
       {"", "#!/bin/sh\nsealexec x\n", "#!/usr/bin/env python3 sealexec\n", "// #!sealexec\n",
        "#!/usr/bin/env\n", "#!/usr/bin/sealexec-old\n", "#!\nsealexec\n",
        "#!/usr/bin/env -S\n"}) {
    EXPECT_FALSE(starts_with_sealexec_shebang(text)) << text;
  }
}

TEST(ScriptDirectives, AreTakenOutOfTheFlags) {
  const auto script = parse_script("#!/usr/bin/env sealexec\n"
                                   "// sealexec: -O2 --lang c --pkg zlib,sqlite3 -Wall\n"
                                   "// sealexec: --source=helper.c --pkg=zlib --lang=c++ -lm\n",
                                   "/t/tool");
  ASSERT_TRUE(script) << script.error().message();
  EXPECT_EQ(script->flags, (std::vector<std::string>{"-O2", "-Wall", "-lm"}));
  EXPECT_EQ(script->directives.language, Language::cxx); // the last one wins
  EXPECT_EQ(script->directives.packages, (std::vector<std::string>{"zlib", "sqlite3"}));
  EXPECT_EQ(script->directives.sources, (std::vector<std::string>{"helper.c"}));
  EXPECT_TRUE(script->sealexec_shebang);
}

TEST(ScriptDirectives, BadOnesNameTheLine) {
  for (const char* line : {"// sealexec: --lang rust\n", "// sealexec: --pkg\n",
                           "// sealexec: --pkg --define-variable=x=y\n",
                           "// sealexec: --pkg 'a b'\n", "// sealexec: --source -lm\n",
                           "// sealexec: --source=\n"}) {
    const auto script = parse_script(std::string("int x;\n") + line, "/t/x.c");
    ASSERT_FALSE(script) << line;
    EXPECT_EQ(script.error().code, Errc::malformed) << line;
    EXPECT_NE(script.error().message().find("/t/x.c:2"), std::string::npos)
        << script.error().message();
  }
}

TEST(ScriptDirectives, PackageNames) {
  std::vector<std::string> packages;
  EXPECT_FALSE(add_packages("zlib,,gtk+-3.0,zlib,", packages).has_value());
  EXPECT_EQ(packages, (std::vector<std::string>{"zlib", "gtk+-3.0"}));
  EXPECT_TRUE(add_packages("-static", packages).has_value());
  EXPECT_TRUE(add_packages("a/b", packages).has_value());
  EXPECT_TRUE(add_packages("zlib>=1", packages).has_value());
}

TEST(ScriptSource, ShebangLineBecomesLineTwo) {
  const auto script =
      parse_script("#!/usr/bin/env sealexec\nint main() {}\n", "/home/u/x.cpp");
  ASSERT_TRUE(script) << script.error().message();
  EXPECT_EQ(script->compile_text, "#line 2 \"/home/u/x.cpp\"\nint main() {}\n");
}

TEST(ScriptSource, WithoutShebangStartsAtLineOne) {
  const auto script = parse_script("int main() {}\n", "/x.c");
  ASSERT_TRUE(script);
  EXPECT_EQ(script->compile_text, "#line 1 \"/x.c\"\nint main() {}\n");
}

TEST(ScriptSource, ShebangWithoutNewline) {
  const auto script = parse_script("#!/usr/bin/env sealexec", "/x.c");
  ASSERT_TRUE(script);
  EXPECT_EQ(script->compile_text, "#line 2 \"/x.c\"\n");
}

TEST(ScriptSource, PathIsEscapedInTheLineDirective) {
  const auto script = parse_script("", "/a \"b\"\\c\nd.c");
  ASSERT_TRUE(script);
  EXPECT_EQ(script->compile_text, "#line 1 \"/a \\\"b\\\"\\\\c\\012d.c\"\n");
}

TEST(ScriptSource, FlagsCommentsAccumulateWithShellQuoting) {
  const auto script = parse_script(
      "#!/usr/bin/env sealexec\n// sealexec: -O2 -DX='a b'\n  //sealexec: \"-DY=\\\"q\\\"\" -lm\n"
      "// not: -O3\nint main() {}\n",
      "/x.c");
  ASSERT_TRUE(script);
  EXPECT_EQ(script->flags, (std::vector<std::string>{"-O2", "-DX=a b", "-DY=\"q\"", "-lm"}));
}

TEST(ScriptSource, FlagsBeyondTheFirstFiftyLinesAreCode) {
  std::string text;
  for (int i = 0; i < 50; ++i) {
    text += "\n";
  }
  text += "// sealexec: -O2\n";
  const auto script = parse_script(text, "/x.c");
  ASSERT_TRUE(script);
  EXPECT_TRUE(script->flags.empty());
}

TEST(ScriptSource, UnterminatedQuoteNamesFileAndLine) {
  const auto script =
      parse_script("#!/usr/bin/env sealexec\n\n// sealexec: -D'x\n", "/s.c");
  ASSERT_FALSE(script);
  EXPECT_EQ(script.error().code, Errc::malformed);
  EXPECT_EQ(script.error().path, "/s.c:3");
}

TEST(ScriptSource, TooLargeIsRefused) {
  const std::string big(k_max_script_size + 1, ' ');
  const auto script = parse_script(big, "/s.c");
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
