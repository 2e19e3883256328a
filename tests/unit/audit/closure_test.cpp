#include "sealexec/audit/closure.h"
#include "sealexec/audit/culprits.h"

#include "elf/elf_builder.h"
#include "test_support.h"

#include <elf.h>
#include <unistd.h>

#include <gtest/gtest.h>

namespace sealexec::audit {
namespace {

using test::ElfBuilder;
using test::TempDir;

struct Library {
  std::vector<std::string> needed;
  std::optional<std::string> soname;
  std::optional<std::string> rpath;
  std::optional<std::string> runpath;
  std::uint64_t flags_1 = 0;
  std::uint16_t machine = EM_X86_64;
};

void write_object(const std::filesystem::path& path, const Library& library) {
  ElfBuilder builder;
  builder.machine = library.machine;
  for (const std::string& name : library.needed) {
    builder.dynamic.push_back({DT_NEEDED, builder.add_string(name)});
  }
  if (library.soname) {
    builder.dynamic.push_back({DT_SONAME, builder.add_string(*library.soname)});
  }
  if (library.rpath) {
    builder.dynamic.push_back({DT_RPATH, builder.add_string(*library.rpath)});
  }
  if (library.runpath) {
    builder.dynamic.push_back({DT_RUNPATH, builder.add_string(*library.runpath)});
  }
  if (library.flags_1 != 0) {
    builder.dynamic.push_back({DT_FLAGS_1, library.flags_1});
  }
  builder.extra_phdrs.push_back({.type = PT_GNU_STACK, .flags = PF_R | PF_W});
  std::filesystem::create_directories(path.parent_path());
  const auto bytes = builder.build();
  test::write_file(path, std::string_view(reinterpret_cast<const char*>(bytes.data()),
                                          bytes.size()),
                   0755);
}

class ClosureTest : public testing::Test {
protected:
  LoaderConfig config() const {
    LoaderConfig config;
    config.machine = EM_X86_64;
    config.elf_class = elf::ElfClass::elf64;
    config.default_dirs = {(m_dir / "sys").string()};
    config.lib_token = "lib64";
    config.platform_token = "x86_64";
    config.library_path = m_library_path;
    return config;
  }

  // "name => where" for every object but the program, in load order.
  std::vector<std::string> resolve(const std::string& program) const {
    const auto closure = resolve_closure((m_dir / program).string(), config());
    EXPECT_TRUE(closure) << closure.error().message();
    std::vector<std::string> lines;
    for (const ClosureObject& object : closure->objects) {
      if (object.via == FoundVia::main_program) {
        continue;
      }
      // Textually: the path as ld.so spells it, symlinks not resolved.
      std::string where = object.path;
      for (const std::string& prefix :
           {m_dir.path().string() + "/", std::filesystem::canonical(m_dir.path()).string() + "/"}) {
        if (where.starts_with(prefix)) {
          where = where.substr(prefix.size());
        }
      }
      if (object.via == FoundVia::not_found) {
        where = "not found";
      }
      lines.push_back(object.name + " => " + where + " (" +
                      std::string(found_via_name(object.via)) + ")");
    }
    return lines;
  }

  TempDir m_dir;
  std::vector<std::string> m_library_path;
};

using Lines = std::vector<std::string>;

TEST_F(ClosureTest, RpathIsInheritedDownTheChain) {
  write_object(m_dir / "app", {.needed = {"liba.so"}, .rpath = "$ORIGIN/private"});
  write_object(m_dir / "private/liba.so", {.needed = {"libb.so"}});
  write_object(m_dir / "private/libb.so", {});
  EXPECT_EQ(resolve("app"), (Lines{"liba.so => private/liba.so (rpath)",
                                   "libb.so => private/libb.so (rpath)"}));
}

TEST_F(ClosureTest, RunpathIsNotTransitive) {
  write_object(m_dir / "app", {.needed = {"liba.so"}, .runpath = "$ORIGIN/private"});
  write_object(m_dir / "private/liba.so", {.needed = {"libb.so"}});
  write_object(m_dir / "private/libb.so", {});
  EXPECT_EQ(resolve("app"),
            (Lines{"liba.so => private/liba.so (runpath)", "libb.so => not found (not found)"}));
}

TEST_F(ClosureTest, AnObjectWithRunpathIgnoresTheRpathChain) {
  write_object(m_dir / "app", {.needed = {"liba.so"}, .rpath = "$ORIGIN/private"});
  write_object(m_dir / "private/liba.so", {.needed = {"libb.so"}, .runpath = "/nonexistent"});
  write_object(m_dir / "private/libb.so", {});
  EXPECT_EQ(resolve("app"),
            (Lines{"liba.so => private/liba.so (rpath)", "libb.so => not found (not found)"}));
}

TEST_F(ClosureTest, LdLibraryPathComesAfterRpathAndBeforeRunpath) {
  write_object(m_dir / "env/libx.so", {});
  write_object(m_dir / "own/libx.so", {});
  m_library_path = {(m_dir / "env").string()};
  write_object(m_dir / "with-rpath", {.needed = {"libx.so"}, .rpath = "$ORIGIN/own"});
  write_object(m_dir / "with-runpath", {.needed = {"libx.so"}, .runpath = "$ORIGIN/own"});
  EXPECT_EQ(resolve("with-rpath"), (Lines{"libx.so => own/libx.so (rpath)"}));
  EXPECT_EQ(resolve("with-runpath"), (Lines{"libx.so => env/libx.so (ld_library_path)"}));
}

TEST_F(ClosureTest, DefaultDirectoriesComeLastAndNodeflibSkipsThem) {
  write_object(m_dir / "sys/libz.so", {});
  write_object(m_dir / "app", {.needed = {"libz.so"}});
  write_object(m_dir / "strict", {.needed = {"libz.so"}, .flags_1 = DF_1_NODEFLIB});
  EXPECT_EQ(resolve("app"), (Lines{"libz.so => sys/libz.so (default)"}));
  EXPECT_EQ(resolve("strict"), (Lines{"libz.so => not found (not found)"}));
}

TEST_F(ClosureTest, FilesForAnotherMachineArePassedOver) {
  write_object(m_dir / "first/libm.so", {.machine = EM_AARCH64});
  write_object(m_dir / "second/libm.so", {});
  write_object(m_dir / "app", {.needed = {"libm.so"}, .runpath = "$ORIGIN/first:$ORIGIN/second"});
  EXPECT_EQ(resolve("app"), (Lines{"libm.so => second/libm.so (runpath)"}));
}

TEST_F(ClosureTest, SonamesAndTheSameFileUnderTwoNamesAreOneObject) {
  write_object(m_dir / "lib/liba.so.1", {.soname = "liba.so.1"});
  std::filesystem::create_symlink("liba.so.1", m_dir / "lib/liba.so");
  write_object(m_dir / "lib/libb.so", {.needed = {"liba.so.1"}});
  write_object(m_dir / "lib/libc2.so", {.needed = {"liba.so"}});
  write_object(m_dir / "app", {.needed = {"liba.so", "libb.so", "libc2.so"},
                               .runpath = "$ORIGIN/lib"});
  const auto lines = resolve("app");
  // liba.so loads once; libb's liba.so.1 matches its soname, libc2's
  // liba.so (no RUNPATH of its own) matches the name it was loaded under.
  EXPECT_EQ(lines, (Lines{"liba.so => lib/liba.so (runpath)", "libb.so => lib/libb.so (runpath)",
                          "libc2.so => lib/libc2.so (runpath)"}));
}

TEST_F(ClosureTest, NotFoundAppearsOncePerRequesterAsInLdd) {
  write_object(m_dir / "lib/liba.so", {.needed = {"libmissing.so"}});
  write_object(m_dir / "app", {.needed = {"liba.so", "libmissing.so"}, .rpath = "$ORIGIN/lib"});
  EXPECT_EQ(resolve("app"), (Lines{"liba.so => lib/liba.so (rpath)",
                                   "libmissing.so => not found (not found)",
                                   "libmissing.so => not found (not found)"}));
}

TEST_F(ClosureTest, NamesWithASlashAreOpenedAsPaths) {
  write_object(m_dir / "plugins/libp.so", {});
  write_object(m_dir / "app", {.needed = {"$ORIGIN/plugins/libp.so"}});
  const auto closure = resolve_closure((m_dir / "app").string(), config());
  ASSERT_OK(closure);
  ASSERT_EQ(closure->objects.size(), 2U);
  EXPECT_EQ(closure->objects[1].via, FoundVia::path_name);
  EXPECT_EQ(closure->objects[1].path, std::filesystem::canonical(m_dir.path()).string() +
                                          "/plugins/libp.so");
}

TEST_F(ClosureTest, TheProgramsOriginIsItsRealDirectory) {
  // ld.so takes $ORIGIN from /proc/self/exe, which resolves symlinks.
  write_object(m_dir / "real/bin/app",
               {.needed = {"libo.so"}, .runpath = "$ORIGIN/../lib", .flags_1 = DF_1_PIE});
  write_object(m_dir / "real/lib/libo.so", {});
  std::filesystem::create_directories(m_dir / "links");
  std::filesystem::create_symlink(m_dir / "real/bin/app", m_dir / "links/app");
  // ld.so does not normalise the path: "bin/../lib" stays.
  EXPECT_EQ(resolve("links/app"), (Lines{"libo.so => real/bin/../lib/libo.so (runpath)"}));
}

TEST_F(ClosureTest, ALibraryRootsOriginIsThePathAsGiven) {
  // dlopen() (and ldd) take $ORIGIN from the name they opened.
  write_object(m_dir / "real/bin/libapp.so", {.needed = {"libo.so"}, .runpath = "$ORIGIN/../lib"});
  write_object(m_dir / "real/lib/libo.so", {});
  std::filesystem::create_directories(m_dir / "links");
  std::filesystem::create_symlink(m_dir / "real/bin/libapp.so", m_dir / "links/libapp.so");
  EXPECT_EQ(resolve("links/libapp.so"), (Lines{"libo.so => not found (not found)"}));
}

TEST_F(ClosureTest, CulpritsAreNamedWithPredictionsAndRemedy) {
  ElfBuilder bad;
  bad.extra_phdrs.push_back({.type = PT_GNU_STACK, .flags = PF_R | PF_W | PF_X});
  std::filesystem::create_directories(m_dir / "lib");
  const auto bytes = bad.build();
  test::write_file(m_dir / "lib/libbad.so",
                   std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  // A program (DF_1_PIE): its dependencies are loaded at start-up.
  write_object(m_dir / "app",
               {.needed = {"libbad.so"}, .runpath = "$ORIGIN/lib", .flags_1 = DF_1_PIE});
  const auto closure = resolve_closure((m_dir / "app").string(), config());
  ASSERT_OK(closure);
  const auto culprits = find_culprits(*closure);
  ASSERT_EQ(culprits.size(), 1U);
  EXPECT_EQ(closure->objects[culprits[0].object].name, "libbad.so");
  EXPECT_TRUE(culprits[0].execstack);
  EXPECT_NE(culprits[0].remedy.find("sealexec fix --clear-execstack"), std::string::npos);
  ASSERT_EQ(culprits[0].predictions.size(), 5U);
  EXPECT_NE(culprits[0].predictions[0].outcome.find(
                "cannot enable executable stack as shared object requires"),
            std::string::npos);
  // A start-up dependency of a program whose stack is not executable:
  // refused with 0, the stack made rwx with 1, rwx from the start with 2.
  using Case = Glibc241Case;
  const std::vector<Case>& cases = culprits[0].glibc_2_41;
  ASSERT_EQ(cases.size(), 3U);
  for (int tunable = 0; tunable < 3; ++tunable) {
    const Case& c = cases[static_cast<std::size_t>(tunable)];
    EXPECT_EQ(c.loaded, Case::Loaded::startup);
    EXPECT_EQ(c.program_stack, Case::ProgramStack::not_executable);
    EXPECT_EQ(c.tunable, tunable);
    EXPECT_EQ(c.refused, tunable == 0);
    EXPECT_EQ(c.stack_executable, tunable == 0 ? std::nullopt : std::optional<bool>(true));
  }
  EXPECT_EQ(culprits[0].intent, StackIntent::explicit_flag);
  EXPECT_NE(culprits[0].warning.find("PF_X"), std::string::npos);
}

// The root program is judged by the libc's view too: without PT_GNU_STACK on
// x86_64 the kernel gives it a non-executable stack, but its thread stacks
// are executable. This one has no PT_INTERP (the builder writes none), so no
// ld.so and no system glibc prediction applies to it (the dynamic case is
// measured against glibc 2.41 by tests/glibc).
TEST_F(ClosureTest, AProgramWithoutAStackHeaderIsACulprit) {
  ElfBuilder program;
  program.dynamic.push_back({DT_FLAGS_1, DF_1_PIE});
  const auto bytes = program.build();
  test::write_file(m_dir / "app", std::string_view(reinterpret_cast<const char*>(bytes.data()),
                                                   bytes.size()),
                   0755);
  const auto closure = resolve_closure((m_dir / "app").string(), config());
  ASSERT_OK(closure);
  const auto culprits = find_culprits(*closure);
  ASSERT_EQ(culprits.size(), 1U);
  EXPECT_EQ(culprits[0].object, 0U);
  EXPECT_TRUE(culprits[0].execstack);
  EXPECT_NE(culprits[0].problem.find("executable thread stacks from the libc linked into it"),
            std::string::npos)
      << culprits[0].problem;
  // No PT_GNU_STACK and no PT_NULL slot: only a relink helps.
  EXPECT_EQ(culprits[0].remedy.find("sealexec fix --clear"), std::string::npos) << culprits[0].remedy;
  EXPECT_NE(culprits[0].remedy.find("-Wl,-z,noexecstack"), std::string::npos);
  EXPECT_TRUE(culprits[0].glibc_2_41.empty());
  bool says_no_ldso = false;
  for (const auto& prediction : culprits[0].predictions) {
    EXPECT_EQ(prediction.system.find("execstack=0"), std::string::npos) << prediction.system;
    says_no_ldso = says_no_ldso || prediction.outcome.find("no PT_INTERP") != std::string::npos;
  }
  EXPECT_TRUE(says_no_ldso);
}

// A library as the root is what dlopen loads: nine measured cases, three
// for each state of the program's stack.
TEST_F(ClosureTest, ALibraryRootIsJudgedAsDlopenLoadsIt) {
  ElfBuilder bad;
  bad.dynamic.push_back({DT_SONAME, bad.add_string("libbad.so")});
  bad.extra_phdrs.push_back({.type = PT_GNU_STACK, .flags = PF_R | PF_W | PF_X});
  const auto bytes = bad.build();
  test::write_file(m_dir / "libbad.so",
                   std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  const auto closure = resolve_closure((m_dir / "libbad.so").string(), config());
  ASSERT_OK(closure);
  const auto culprits = find_culprits(*closure);
  ASSERT_EQ(culprits.size(), 1U);
  EXPECT_EQ(culprits[0].object, 0U);
  const auto& cases = culprits[0].glibc_2_41;
  ASSERT_EQ(cases.size(), 9U);
  using State = Glibc241Case::ProgramStack;
  int refused = 0;
  for (const auto& c : cases) {
    EXPECT_EQ(c.loaded, Glibc241Case::Loaded::dlopen);
    ASSERT_TRUE(c.program_stack.has_value());
    const bool not_executable = *c.program_stack == State::not_executable;
    const bool expect_refused = c.tunable == 0 || (c.tunable == 1 && not_executable);
    EXPECT_EQ(c.refused, expect_refused) << c.tunable;
    // With 1, a program without PT_GNU_STACK keeps the kernel's
    // non-executable main stack; one with PF_X has an executable one.
    if (c.tunable == 1 && !not_executable) {
      EXPECT_EQ(c.stack_executable, *c.program_stack == State::executable);
    }
    refused += c.refused ? 1 : 0;
  }
  EXPECT_EQ(refused, 4);
  EXPECT_NE(culprits[0].predictions[2].outcome.find("unless the program's stack counts as "
                                                    "executable already"),
            std::string::npos);
}

TEST(LoaderConfig, TokensExpandAsLdSoExpandsThem) {
  LoaderConfig config;
  config.lib_token = "lib/x86_64-linux-gnu";
  config.platform_token = "x86_64";
  EXPECT_EQ(expand_tokens("$ORIGIN/../$LIB/${PLATFORM}", "/opt/app/bin", config),
            "/opt/app/bin/../lib/x86_64-linux-gnu/x86_64");
  EXPECT_EQ(expand_tokens("$ORIGINAL", "/o", config), "$ORIGINAL");
  EXPECT_EQ(expand_tokens("$ORIGIN/lib", std::nullopt, config), std::nullopt);
  EXPECT_EQ(expand_tokens("${ORIGIN}/$LIB", {.origin = "/o"}, MissingToken::keep), "/o/$LIB");
  EXPECT_TRUE(mentions_token("/a:$ORIGIN/b", "ORIGIN"));
  EXPECT_TRUE(mentions_token("${ORIGIN}", "ORIGIN"));
  EXPECT_FALSE(mentions_token("$ORIGIN_X", "ORIGIN"));
  EXPECT_FALSE(mentions_token("/usr/lib", "ORIGIN"));
  EXPECT_EQ(split_search_path("/a::/b", false), (std::vector<std::string>{"/a", ".", "/b"}));
  EXPECT_EQ(split_search_path("/a;/b:/c", true), (std::vector<std::string>{"/a", "/b", "/c"}));
  EXPECT_EQ(split_search_path("/a;/b", false), (std::vector<std::string>{"/a;/b"}));
}

} // namespace
} // namespace sealexec::audit
