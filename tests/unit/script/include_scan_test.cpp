#include "sealexec/script/include_scan.h"

#include <gtest/gtest.h>

#include <string>

namespace sealexec::script {
namespace {

std::vector<IncludeReference> references(std::string_view text) {
  return scan_includes(text).references;
}

TEST(IncludeScan, FindsEveryFormOfInclude) {
  const auto found = references("#include <stdio.h>\n"
                                "  #  include \"local.h\"\n"
                                "#include_next <next.h>\n"
                                "#import \"imported.h\"\n"
                                "#/*c*/include/*c*/<commented.h>\n");
  const std::vector<IncludeReference> expected{{"stdio.h", false},
                                               {"local.h", true},
                                               {"next.h", false},
                                               {"imported.h", true},
                                               {"commented.h", false}};
  EXPECT_EQ(found, expected);
}

TEST(IncludeScan, FindsHasIncludeAnywhere) {
  const auto found = references("#if __has_include(\"a.h\") && __has_include ( <b/c.h> )\n"
                                "#elif defined(__has_include_next) && __has_include_next(<d.h>)\n"
                                "#endif\n"
                                "#ifdef __has_include\n#endif\n"
                                "constexpr bool x = __has_include(<e.h>);\n");
  const std::vector<IncludeReference> expected{
      {"a.h", true}, {"b/c.h", false}, {"d.h", false}, {"e.h", false}};
  EXPECT_EQ(found, expected);
  EXPECT_FALSE(scan_includes("#ifdef __has_include\n#endif\n").computed);
}

TEST(IncludeScan, NamesInBranchesNotTakenAreStillFound) {
  // Watching them costs a recompile at worst; missing one a stale binary.
  EXPECT_EQ(references("#if 0\n#include \"never.h\"\n#endif\n"),
            (std::vector<IncludeReference>{{"never.h", true}}));
}

TEST(IncludeScan, CommentsAndLiteralsAreNotDirectives) {
  EXPECT_TRUE(references("// #include \"a.h\"\n"
                         "/* #include \"b.h\"\n __has_include(\"c.h\") */\n"
                         "const char* s = \"#include <d.h> __has_include(<e.h>)\";\n"
                         "char c = '\"'; int x; // \"\n"
                         "int y = 1; #include <not_at_line_start.h>\n"
                         "my__has_include(\"f.h\")\n")
                  .empty());
}

TEST(IncludeScan, LineSplicesJoinLines) {
  EXPECT_EQ(references("#inc\\\nlude \\\n\"spliced.h\"\n"
                       "// a comment \\\n#include \"commented.h\"\n"),
            (std::vector<IncludeReference>{{"spliced.h", true}}));
}

TEST(IncludeScan, AQuoteThatOpensNoLiteralHidesNoLaterLine) {
  // A digit separator, an apostrophe in #error text, a raw string's lines.
  EXPECT_EQ(references("constexpr int k = 10'000;\n#include \"a.h\"\n"
                       "#error don't\n#include \"b.h\"\n"
                       "auto s = R\"(usage:\n  prog\n)\";\n#include \"c.h\"\n"),
            (std::vector<IncludeReference>{{"a.h", true}, {"b.h", true}, {"c.h", true}}));
}

TEST(IncludeScan, DigraphsTrigraphsAndEmbedsAreDirectivesToo) {
  EXPECT_EQ(references("%:include \"d.h\"\n??=include <t.h>\n#embed \"data.bin\"\n"
                       "#if __has_embed(\"extra.bin\")\n#endif\n"),
            (std::vector<IncludeReference>{
                {"d.h", true}, {"t.h", false}, {"data.bin", true}, {"extra.bin", true}}));
}

TEST(IncludeScan, ASpliceInsideANameIsRemoved) {
  const IncludeScan scan = scan_includes("#include \"inn\\\ner.h\"\n");
  EXPECT_FALSE(scan.computed);
  EXPECT_EQ(scan.references, (std::vector<IncludeReference>{{"inner.h", true}}));
}

TEST(IncludeScan, AMacroOperandIsReportedAsComputed) {
  EXPECT_TRUE(scan_includes("#include HEADER\n").computed);
  EXPECT_TRUE(scan_includes("#if __has_include(HEADER)\n#endif\n").computed);
  EXPECT_TRUE(scan_includes("#include \"unterminated\n").computed);
  EXPECT_FALSE(scan_includes("#include <a.h>\n#define X 1\n").computed);
}

TEST(IncludeScan, DuplicatesAreListedOnce) {
  EXPECT_EQ(references("#include <a.h>\n#include <a.h>\n#include \"a.h\"\n").size(), 2U);
}

TEST(IncludeScan, HostileTextIsBounded) {
  std::string many;
  for (std::size_t i = 0; i <= k_max_include_references; ++i) {
    many += "#include <" + std::to_string(i) + ">\n";
  }
  const IncludeScan scan = scan_includes(many);
  EXPECT_TRUE(scan.truncated);
  EXPECT_EQ(scan.references.size(), k_max_include_references);
  // Ends inside a comment, a literal, a splice and a directive: no overrun.
  for (const char* text : {"/* open", "\"open", "'", "#include", "#include <open", "x\\",
                           "__has_include(", "#", "\\\r"}) {
    EXPECT_NO_FATAL_FAILURE((void)scan_includes(text)) << text;
  }
}

} // namespace
} // namespace sealexec::script
