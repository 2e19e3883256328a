#include "sealexec/script/depfile.h"

#include "test_support.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

namespace sealexec::script {
namespace {

using Names = std::vector<std::string>;

Expected<Depfile> parse(std::string_view text) { return parse_depfile(text, "x.d"); }

Depfile depfile(Names targets, Names prerequisites) {
  return Depfile{.targets = std::move(targets), .prerequisites = std::move(prerequisites)};
}

// Escapes `name` as gcc 12 does (libcpp/mkdeps.cc, checked against its
// output): a blank gets a backslash and the backslashes before it are
// doubled, '$' is doubled, '#' gets one backslash; nothing else is touched.
std::string gcc_escape(std::string_view name) {
  std::string out;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    if (c == ' ' || c == '\t') {
      for (std::size_t j = i; j > 0 && name[j - 1] == '\\'; --j) {
        out += '\\';
      }
      out += '\\';
    } else if (c == '$' || c == '#') {
      out += c == '$' ? '$' : '\\';
    }
    out += c;
  }
  return out;
}

// Asserts that parsing `text` fails with Errc::malformed, naming the file,
// with a reason that contains `reason`.
void expect_malformed(std::string_view text, std::string_view reason) {
  const auto parsed = parse(text);
  ASSERT_FALSE(parsed) << "accepted: " << text.substr(0, 80);
  EXPECT_EQ(parsed.error().code, Errc::malformed);
  EXPECT_EQ(parsed.error().path, "x.d");
  EXPECT_NE(parsed.error().reason.find(reason), std::string::npos) << parsed.error().reason;
}

// The shell word for `text` in single quotes.
std::string shell_quote(std::string_view text) {
  std::string out = "'";
  for (const char c : text) {
    out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  }
  return out + "'";
}

TEST(Depfile, ParsesGccOutputWithEscapedSpacesAndContinuations) {
  // What g++ 12 -MD wrote for '/tmp/dfx/x y.cpp' including "h#1$x.h" and
  // "b:c.h" from -I'inc dir' (trimmed).
  const std::string_view text =
      "/tmp/dfx/x.o: x\\ y.cpp /usr/include/stdc-predef.h \\\n"
      " /usr/include/c++/12/iostream \\\n"
      " /usr/include/x86_64-linux-gnu/c++/12/bits/c++config.h \\\n"
      " /usr/include/c++/12/bits/istream.tcc inc\\ dir/h\\#1$$x.h inc\\ dir/b:c.h\n";
  EXPECT_EQ(parse(text), depfile({"/tmp/dfx/x.o"},
                                 {"x y.cpp", "/usr/include/stdc-predef.h",
                                  "/usr/include/c++/12/iostream",
                                  "/usr/include/x86_64-linux-gnu/c++/12/bits/c++config.h",
                                  "/usr/include/c++/12/bits/istream.tcc", "inc dir/h#1$x.h",
                                  "inc dir/b:c.h"}));
}

TEST(Depfile, PhonyTargetsFromMpAddNothing) {
  // -MP adds an empty rule per header; gcc leaves the ':' in "b:c.h"
  // unescaped there too, so the rule's own ':' is the one before the end.
  const std::string_view text = "x.o: x.cpp a.h inc\\ dir/b:c.h\n"
                                "a.h:\n"
                                "inc\\ dir/b:c.h:\n";
  EXPECT_EQ(parse(text), depfile({"x.o"}, {"x.cpp", "a.h", "inc dir/b:c.h"}));
}

TEST(Depfile, ParsesClangOutput) {
  // clang++-19 -MD -MP: two-blank indentation, a blank line before the
  // phony rules.
  const std::string_view text = "/tmp/dfx/x.o: x\\ y.cpp \\\n"
                                "  /usr/include/features.h /usr/include/stdc-predef.h \\\n"
                                "  inc\\ dir/h\\#1$$x.h inc\\ dir/b:c.h\n"
                                "/usr/include/features.h:\n"
                                "/usr/include/stdc-predef.h:\n"
                                "inc\\ dir/h\\#1$$x.h:\n"
                                "inc\\ dir/b:c.h:\n";
  EXPECT_EQ(parse(text),
            depfile({"/tmp/dfx/x.o"}, {"x y.cpp", "/usr/include/features.h",
                                       "/usr/include/stdc-predef.h", "inc dir/h#1$x.h",
                                       "inc dir/b:c.h"}));
}

TEST(Depfile, TargetsKeepTheUnescapedColonsGccAndClangWrite) {
  // g++ -MQ and clang++ for -o 'o u:t$#.o': the ':' inside is not escaped.
  EXPECT_EQ(parse("o\\ u:t$$\\#.o: s.c\n"), depfile({"o u:t$#.o"}, {"s.c"}));
  EXPECT_EQ(parse("a\\:b.o: c.h\n"), depfile({"a:b.o"}, {"c.h"}));
  EXPECT_EQ(parse("c:\\out\\a.o: c:\\src\\a.c\n"), depfile({"c:\\out\\a.o"}, {"c:\\src\\a.c"}));
}

TEST(Depfile, AColonFollowedByANameSeparatesWhenNoOtherDoes) {
  // Valid make that compilers do not write.
  EXPECT_EQ(parse("a.o:a.c b.h"), depfile({"a.o"}, {"a.c", "b.h"}));
}

TEST(Depfile, SeveralTargetsAndRules) {
  EXPECT_EQ(parse("a.o a.d: a.c\nb.o: b.c\n"), depfile({"a.o", "a.d", "b.o"}, {"a.c", "b.c"}));
}

TEST(Depfile, DoubledDollarIsOneDollar) {
  EXPECT_EQ(parse("$$t.o: $$$$x.h a$$b.h a$b.h c$\n"),
            depfile({"$t.o"}, {"$$x.h", "a$b.h", "c$"}));
}

TEST(Depfile, CommentsRunToTheEndOfTheLogicalLine) {
  EXPECT_EQ(parse("# made by hand\n"
                  "a.o: a.c # b.h\n"
                  "   # indented comment \\\n"
                  "c.o: continued.h\n"
                  "d.o: d\\#1.h#e.h\n"),
            depfile({"a.o", "d.o"}, {"a.c", "d#1.h"}));
}

TEST(Depfile, CrLfLineEndingsAndContinuations) {
  EXPECT_EQ(parse("a.o: a.c \\\r\n b\\ c.h\\\r\n d.h\r\ne.h:\r\n"),
            depfile({"a.o"}, {"a.c", "b c.h", "d.h"}));
  // A lone CR is part of a name, as gcc writes it.
  EXPECT_EQ(parse("a.o: a\rb.h\n"), depfile({"a.o"}, {"a\rb.h"}));
}

TEST(Depfile, KeepsTheFirstOfRepeatedNames) {
  EXPECT_EQ(parse("a.o: z.h a.c z.h y.h\nb.o a.o: y.h x.h a.c\n"),
            depfile({"a.o", "b.o"}, {"z.h", "a.c", "y.h", "x.h"}));
}

TEST(Depfile, BackslashRunsFollowGcc) {
  // 2N+1 backslashes and a blank: N backslashes and the blank.
  EXPECT_EQ(parse("t: a\\\\\\ b c\\\\\\\\\\\tt"), depfile({"t"}, {"a\\ b", "c\\\\\tt"}));
  // 2N backslashes and a blank: all of them, and the name ends.
  EXPECT_EQ(parse("t: e\\\\ f"), depfile({"t"}, {"e\\\\", "f"}));
  // Backslashes and '#' or ':': one backslash fewer (gcc writes a file
  // "c\#d.h" as "c\\#d.h").
  EXPECT_EQ(parse("t: c\\\\#d.h k\\\\:l"), depfile({"t"}, {"c\\#d.h", "k\\:l"}));
  // Before anything else they are literal.
  EXPECT_EQ(parse("t: i\\\\j w\\x \\$$"), depfile({"t"}, {"i\\\\j", "w\\x", "\\$"}));
}

TEST(Depfile, ABackslashBeforeTheLineEndContinuesIt) {
  EXPECT_EQ(parse("t: a\\\nb c\\\\\nd"), depfile({"t"}, {"a", "b", "c\\", "d"}));
  // One that ends the text continues into nothing.
  EXPECT_EQ(parse("t: a \\"), depfile({"t"}, {"a"}));
  EXPECT_EQ(parse("t: a\\"), depfile({"t"}, {"a"}));
}

TEST(Depfile, RoundTripsNamesAsGccWritesThem) {
  const Names names = {"plain.h",   "sp ace.h",     "tab\there.h", "back\\ slash.h",
                       "two\\\\ .h", "hash#.h",      "back\\#.h",   "dollar$.h",
                       "$$.h",       "col:on.h",     "c:\\dos.h",   "uni\xc3\xa9.h",
                       "end\\x",     "#start.h",     "car\rret.h",  " lead.h"};
  std::string text = "out\\ dir/x.o:";
  for (const auto& name : names) {
    text += " \\\n " + gcc_escape(name);
  }
  text += "\n";
  for (const auto& name : names) {
    text += "\n" + gcc_escape(name) + ":\n";
  }
  EXPECT_EQ(parse(text), depfile({"out dir/x.o"}, names)) << text;
}

TEST(Depfile, TextWithoutRulesHasNoNames) {
  for (const std::string_view text : {"", "\n", "  \t \n\r\n", "# only a comment", " \\\n \\\n"}) {
    EXPECT_EQ(parse(text), depfile({}, {})) << text;
  }
}

TEST(Depfile, RejectsTextOverTheSizeLimit) {
  const std::string text = "a.o: a.c" + std::string(k_max_depfile_size, ' ');
  expect_malformed(text, "larger than the limit");
  EXPECT_TRUE(parse(std::string_view(text).substr(0, k_max_depfile_size)));
}

TEST(Depfile, RejectsMoreNamesThanTheLimit) {
  std::string text = "a.o:";
  for (std::size_t i = 1; i < k_max_depfile_entries; ++i) {
    text += " h";
  }
  // Every name counts, duplicates included: here exactly the limit.
  const auto parsed = parse(text);
  ASSERT_OK(parsed);
  EXPECT_EQ(parsed->prerequisites, Names{"h"});
  expect_malformed(text + " h", "more than 100000 names");
  expect_malformed(text + "\nh:", "more than 100000 names");
}

TEST(Depfile, RejectsALineWithNamesButNoColon) {
  expect_malformed("a.o: a.c\n\nthis is not a rule\n", "line 3: names without a ':'");
  expect_malformed("a\\:b c.h", "line 1: names without a ':'");
  expect_malformed("\x7f" "ELF\x02\x01\x01", "names without a ':'");
}

TEST(Depfile, RejectsARuleWithoutTarget) {
  expect_malformed(": a.c", "line 1: a rule with no target before ':'");
  expect_malformed("a.o: a.c\n \\\n : b.c\n", "line 2: a rule with no target before ':'");
}

TEST(Depfile, RejectsNulBytes) {
  expect_malformed(std::string_view("a.o: a\0.c\n", 10), "NUL byte at offset 6");
}

void expect_compiler_depfile_names_header(const char* compiler) {
  if (std::system(("command -v " + std::string(compiler) + " >/dev/null 2>&1").c_str()) != 0) {
    GTEST_SKIP() << compiler << " is not on PATH; cannot check a real depfile";
  }
  const test::TempDir dir;
  std::filesystem::create_directories(dir / "inc dir");
  std::filesystem::create_directories(dir / "src dir");
  const auto header = dir / "inc dir" / "dep #1 $x.h";
  const auto source = dir / "src dir" / "main.cpp";
  const auto object = dir / "main.o";
  const auto deps = dir / "main.d";
  test::write_file(header, "#pragma once\nint dep();\n");
  test::write_file(source, "#include \"dep #1 $x.h\"\nint main() { return 0; }\n");
  const std::string command = std::string(compiler) + " -MD -MP -MF " +
                              shell_quote(deps.string()) + " -I " +
                              shell_quote((dir / "inc dir").string()) + " -c " +
                              shell_quote(source.string()) + " -o " +
                              shell_quote(object.string());
  ASSERT_EQ(std::system(command.c_str()), 0) << command;

  const std::string text = test::read_file(deps);
  const auto parsed = parse_depfile(text, deps.string());
  ASSERT_OK(parsed);
  EXPECT_EQ(parsed->targets, Names{object.string()}) << text;
  ASSERT_FALSE(parsed->prerequisites.empty()) << text;
  EXPECT_EQ(parsed->prerequisites.front(), source.string()) << text;
  EXPECT_EQ(std::ranges::count(parsed->prerequisites, header.string()), 1) << text;
}

TEST(Depfile, ParsesWhatTheSystemCompilerWrites) { expect_compiler_depfile_names_header("c++"); }

TEST(Depfile, ParsesWhatClangWrites) { expect_compiler_depfile_names_header("clang++"); }

} // namespace
} // namespace sealexec::script
