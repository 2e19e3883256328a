#include "sealexec/audit/file_report.h"

#include "elf/elf_builder.h"
#include "sealexec/elf/byte_source.h"
#include "test_support.h"

#include <elf.h>

#include <gtest/gtest.h>

namespace sealexec::audit {
namespace {

using test::ElfBuilder;

FileReport report_of(const ElfBuilder& builder) {
  const auto bytes = builder.build();
  const SpanSource source(bytes, "built");
  const auto file = elf::ElfFile::read(source);
  EXPECT_TRUE(file) << file.error().message();
  auto report = analyze(*file, "built");
  EXPECT_TRUE(report) << report.error().message();
  return std::move(*report);
}

ElfBuilder library(std::uint16_t machine = EM_X86_64) {
  ElfBuilder builder;
  builder.machine = machine;
  builder.dynamic.push_back({DT_SONAME, builder.add_string("libx.so")});
  return builder;
}

ElfBuilder pie_program(std::uint16_t machine = EM_X86_64) {
  ElfBuilder builder;
  builder.machine = machine;
  builder.dynamic.push_back({DT_FLAGS_1, DF_1_PIE});
  return builder;
}

elf::ProgramHeader gnu_stack(std::uint32_t flags) { return {.type = PT_GNU_STACK, .flags = flags}; }

TEST(Analyze, AnRwStackHeaderIsCleanForBothViews) {
  auto builder = pie_program();
  builder.extra_phdrs.push_back(gnu_stack(PF_R | PF_W));
  const FileReport report = report_of(builder);
  EXPECT_EQ(report.kind, ObjectKind::pie_executable);
  EXPECT_FALSE(report.ldso_exec_stack);
  EXPECT_EQ(report.kernel_exec_stack, false);
  EXPECT_FALSE(report.has(Finding::execstack));
}

TEST(Analyze, PfXOnTheStackHeaderMeansExecutableEverywhere) {
  auto builder = library();
  builder.extra_phdrs.push_back(gnu_stack(PF_R | PF_W | PF_X));
  const FileReport report = report_of(builder);
  EXPECT_EQ(report.kind, ObjectKind::shared_library);
  EXPECT_TRUE(report.ldso_exec_stack);
  EXPECT_FALSE(report.kernel_exec_stack) << "the kernel never looks at a library";
  EXPECT_TRUE(report.has(Finding::execstack));
  EXPECT_EQ(report.stack_reason, "PT_GNU_STACK has PF_X");
}

TEST(Analyze, AMissingHeaderDependsOnTheArchitectureAndTheParty) {
  // x86_64: ld.so defaults to RWX, the kernel (since 5.8) to RW.
  const FileReport x86 = report_of(pie_program(EM_X86_64));
  EXPECT_TRUE(x86.ldso_exec_stack);
  EXPECT_EQ(x86.kernel_exec_stack, false);
  EXPECT_NE(x86.stack_reason.find("no PT_GNU_STACK"), std::string::npos);

  // aarch64 and ppc64: RW for both.
  for (const std::uint16_t machine : {EM_AARCH64, EM_PPC64}) {
    const FileReport rw = report_of(library(machine));
    EXPECT_FALSE(rw.ldso_exec_stack) << machine;
    EXPECT_FALSE(rw.has(Finding::execstack)) << machine;
  }

  // i386: READ_IMPLIES_EXEC for the kernel, RWX for ld.so.
  auto i386 = pie_program(EM_386);
  i386.elf_class = elf::ElfClass::elf32;
  const FileReport ia32 = report_of(i386);
  EXPECT_TRUE(ia32.ldso_exec_stack);
  EXPECT_EQ(ia32.kernel_exec_stack, true);

  // ppc32: RWX for ld.so.
  auto ppc = library(EM_PPC);
  ppc.elf_class = elf::ElfClass::elf32;
  ppc.byte_order = elf::ByteOrder::big;
  EXPECT_TRUE(report_of(ppc).ldso_exec_stack);
}

TEST(Analyze, TheLastStackHeaderWinsAndDuplicatesAreFlagged) {
  auto builder = library();
  builder.extra_phdrs.push_back(gnu_stack(PF_R | PF_W | PF_X));
  builder.extra_phdrs.push_back(gnu_stack(PF_R | PF_W));
  const FileReport report = report_of(builder);
  EXPECT_EQ(report.gnu_stack_count, 2);
  EXPECT_FALSE(report.ldso_exec_stack);
  EXPECT_TRUE(report.has(Finding::duplicate_gnu_stack));
  ASSERT_EQ(report.warnings.size(), 1U);
  EXPECT_NE(report.warnings[0].find("only the last"), std::string::npos);
}

TEST(Analyze, WritableAndExecutableLoadSegments) {
  auto builder = library();
  builder.extra_phdrs.push_back(
      {.type = PT_LOAD, .flags = PF_R | PF_W | PF_X, .offset = 0, .vaddr = 0x40000});
  builder.extra_phdrs.push_back(gnu_stack(PF_R | PF_W));
  const FileReport report = report_of(builder);
  EXPECT_TRUE(report.has(Finding::wx));
  ASSERT_EQ(report.wx_segments.size(), 1U);
}

TEST(Analyze, TextrelFromTheTagOrTheFlag) {
  auto tag = library();
  tag.dynamic.push_back({DT_TEXTREL, 0});
  EXPECT_TRUE(report_of(tag).has(Finding::textrel));
  auto flag = library();
  flag.dynamic.push_back({DT_FLAGS, DF_TEXTREL});
  EXPECT_TRUE(report_of(flag).has(Finding::textrel));
  EXPECT_FALSE(report_of(library()).has(Finding::textrel));
}

TEST(Analyze, RelroNonePartialAndFullByEveryBindNowSpelling) {
  auto none = library();
  EXPECT_EQ(report_of(none).relro, Relro::none);
  EXPECT_TRUE(report_of(none).has(Finding::no_relro));

  auto partial = library();
  partial.extra_phdrs.push_back({.type = PT_GNU_RELRO, .flags = PF_R});
  EXPECT_EQ(report_of(partial).relro, Relro::partial);
  EXPECT_TRUE(report_of(partial).has(Finding::partial_relro));

  for (const elf::DynamicEntry now : {elf::DynamicEntry{DT_BIND_NOW, 0},
                                      elf::DynamicEntry{DT_FLAGS, DF_BIND_NOW},
                                      elf::DynamicEntry{DT_FLAGS_1, DF_1_NOW}}) {
    auto full = library();
    full.extra_phdrs.push_back({.type = PT_GNU_RELRO, .flags = PF_R});
    full.dynamic.push_back(now);
    EXPECT_EQ(report_of(full).relro, Relro::full) << now.tag;
  }
}

TEST(Analyze, KindsAndPie) {
  ElfBuilder exec;
  exec.type = ET_EXEC;
  const FileReport fixed = report_of(exec);
  EXPECT_EQ(fixed.kind, ObjectKind::executable);
  EXPECT_TRUE(fixed.has(Finding::no_pie));
  EXPECT_FALSE(report_of(pie_program()).has(Finding::no_pie));
  EXPECT_FALSE(report_of(library()).has(Finding::no_pie));

  // An old-style PIE: interpreter, no soname, no DF_1_PIE.
  ElfBuilder old_pie;
  const std::string interp = "/lib64/ld-linux-x86-64.so.2";
  std::vector<std::byte> interp_bytes;
  for (const char ch : interp) {
    interp_bytes.push_back(static_cast<std::byte>(ch));
  }
  interp_bytes.push_back(std::byte{0});
  old_pie.data_segments.push_back({{.type = PT_INTERP, .flags = PF_R}, interp_bytes});
  const FileReport old = report_of(old_pie);
  EXPECT_EQ(old.kind, ObjectKind::pie_executable);
  EXPECT_EQ(old.interpreter, interp);

  ElfBuilder object;
  object.type = ET_REL;
  object.add_dynamic = false;
  const FileReport rel = report_of(object);
  EXPECT_EQ(rel.kind, ObjectKind::relocatable);
  EXPECT_FALSE(rel.has(Finding::no_relro)) << "object files are not loaded";
  EXPECT_FALSE(rel.has(Finding::execstack)) << "nor is their (absent) PT_GNU_STACK read";
}

// Guile's .go files: ET_DYN with e_machine 0. Neither the kernel nor ld.so
// loads them, so no view of the stack applies, and no RELRO finding.
TEST(Analyze, EmNoneFilesAreNeverJudgedAsLoaded) {
  ElfBuilder go;
  go.machine = EM_NONE;
  const FileReport report = report_of(go);
  EXPECT_FALSE(report.ldso_exec_stack);
  EXPECT_FALSE(report.kernel_exec_stack.value_or(false));
  EXPECT_FALSE(report.has(Finding::execstack));
  EXPECT_FALSE(report.has(Finding::no_relro));
  EXPECT_NE(report.stack_reason.find("EM_NONE"), std::string::npos) << report.stack_reason;
}

TEST(Analyze, FindingNamesRoundTrip) {
  for (const Finding finding : all_findings()) {
    EXPECT_EQ(parse_finding(finding_name(finding)), finding);
  }
  EXPECT_FALSE(parse_finding("executable-stack"));
}

TEST(Analyze, RealFilesOfThisMachine) {
  const auto hello = analyze_path(test::example("hello"));
  ASSERT_OK(hello);
  EXPECT_EQ(hello->kind, ObjectKind::pie_executable);
  EXPECT_FALSE(hello->has(Finding::execstack));
  EXPECT_EQ(hello->dynamic.needed, std::vector<std::string>{"libc.so.6"});

  const auto plugin = analyze_path(test::example("libanswer-plugin.so"));
  ASSERT_OK(plugin);
  EXPECT_EQ(plugin->kind, ObjectKind::shared_library);

  const auto not_elf = analyze_path(SEALEXEC_SOURCE_DIR "/README.md");
  ASSERT_FALSE(not_elf);
  EXPECT_EQ(not_elf.error().code, Errc::malformed);
}

} // namespace
} // namespace sealexec::audit
