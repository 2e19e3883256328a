#include "sealexec/script/dependency_list.h"

#include <gtest/gtest.h>

namespace sealexec::script {
namespace {

TEST(DependencyList, FlagsThatHideItAreFound) {
  using Flags = std::vector<std::string>;
  EXPECT_FALSE(flag_hiding_dependencies(Flags{"-O2", "-lm", "helper.c", "-march=native"}));
  EXPECT_FALSE(flag_hiding_dependencies(Flags{"-Xlinker", "-Map", "-Xlinker", "x.map"}));
  EXPECT_FALSE(flag_hiding_dependencies(Flags{"-Wl,-Map,x.map", "-Wp,-DX"}));
  for (const char* flag : {"-MMD", "-MF", "-M", "-MT", "-MQx", "--write-user-dependencies",
                           "-Wp,-MD,x.d", "-Xpreprocessor", "@options"}) {
    EXPECT_EQ(flag_hiding_dependencies(Flags{"-O2", flag, "x"}), flag) << flag;
  }
}

TEST(DependencyList, EveryUnitsRuleForTheOutput) {
  const auto list = own_dependency_list("/b/a.out: /b/x.c a.h \\\n /usr/include/stdio.h\n"
                                        "/b/a.out: helper.c h.h\n",
                                        "/b/a.out");
  ASSERT_TRUE(list) << list.error().message();
  EXPECT_EQ(list->prerequisites,
            (std::vector<std::string>{"/b/x.c", "a.h", "/usr/include/stdio.h", "helper.c", "h.h"}));
}

TEST(DependencyList, AnythingElseOnStandardOutputIsRefused) {
  EXPECT_FALSE(own_dependency_list("hello from a wrapper\n/b/a.out: /b/x.c\n", "/b/a.out"));
  EXPECT_FALSE(own_dependency_list("/usr/bin/ld: mode elf_x86_64\n/b/a.out: /b/x.c\n",
                                   "/b/a.out"));
  EXPECT_FALSE(own_dependency_list("other.o: /b/x.c\n", "/b/a.out"));
  const auto empty = own_dependency_list("", "/b/a.out");
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().code, Errc::malformed);
}

} // namespace
} // namespace sealexec::script
