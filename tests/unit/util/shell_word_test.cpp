#include "sealexec/util/shell_word.h"

#include <gtest/gtest.h>

namespace sealexec {
namespace {

TEST(ShellWord, PlainNamesStayAsTheyAre) {
  EXPECT_EQ(shell_word("/usr/lib/x86_64-linux-gnu/libc.so.6"), "/usr/lib/x86_64-linux-gnu/libc.so.6");
  EXPECT_EQ(shell_word("lib+x,y:z=1@2%3"), "lib+x,y:z=1@2%3");
}

TEST(ShellWord, AnythingElseIsOneSingleQuotedWord) {
  EXPECT_EQ(shell_word(""), "''");
  EXPECT_EQ(shell_word("inj/$(id>PWN).so"), "'inj/$(id>PWN).so'");
  EXPECT_EQ(shell_word("a b"), "'a b'");
  EXPECT_EQ(shell_word("it's"), "'it'\\''s'");
  EXPECT_EQ(shell_word("`x`;&|<>*?[]~#!\\\"\n"), "'`x`;&|<>*?[]~#!\\\"\n'");
}

} // namespace
} // namespace sealexec
