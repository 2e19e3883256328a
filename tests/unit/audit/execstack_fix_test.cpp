#include "sealexec/audit/execstack_fix.h"

#include "elf/elf_builder.h"
#include "sealexec/audit/file_report.h"
#include "sealexec/elf/byte_source.h"
#include "test_support.h"

#include <elf.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include <gtest/gtest.h>

namespace sealexec::audit {
namespace {

using test::ElfBuilder;
using test::TempDir;

void write_bytes(const std::filesystem::path& path, const std::vector<std::byte>& bytes,
                 unsigned mode = 0755) {
  test::write_file(path,
                   std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()),
                   mode);
}

Expected<void> fix_in_place(const std::filesystem::path& path) {
  const auto bytes = test::read_bytes(path);
  const SpanSource source(bytes, path.string());
  SEALEXEC_TRY_ASSIGN(const elf::ElfFile file, elf::ElfFile::read(source));
  SEALEXEC_TRY_ASSIGN(const ExecstackPlan plan, plan_clear_execstack(file));
  return write_patched_copy(path, path, plan.patches);
}

TEST(ExecstackFix, ClearsPfXOnEveryStackHeaderForBothByteOrders) {
  for (const auto order : {elf::ByteOrder::little, elf::ByteOrder::big}) {
    for (const auto cls : {elf::ElfClass::elf64, elf::ElfClass::elf32}) {
      TempDir dir;
      ElfBuilder builder;
      builder.byte_order = order;
      builder.elf_class = cls;
      builder.machine = EM_PPC;
      builder.extra_phdrs.push_back({.type = PT_GNU_STACK, .flags = PF_R | PF_W | PF_X});
      builder.extra_phdrs.push_back({.type = PT_GNU_STACK, .flags = PF_R | PF_W | PF_X});
      write_bytes(dir / "lib.so", builder.build());
      ASSERT_OK(fix_in_place(dir / "lib.so"));
      const auto report = analyze_path(dir / "lib.so");
      ASSERT_OK(report);
      EXPECT_EQ(report->gnu_stack_flags, PF_R | PF_W);
      EXPECT_FALSE(report->has(Finding::execstack));
    }
  }
}

TEST(ExecstackFix, UsesAPtNullSlotWhenThereIsNoStackHeader) {
  TempDir dir;
  ElfBuilder builder;
  builder.extra_phdrs.push_back({.type = PT_NULL});
  write_bytes(dir / "nostack.so", builder.build());
  ASSERT_TRUE(analyze_path(dir / "nostack.so")->has(Finding::execstack));

  const auto bytes = test::read_bytes(dir / "nostack.so");
  const SpanSource source(bytes, "nostack.so");
  const auto plan = plan_clear_execstack(*elf::ElfFile::read(source));
  ASSERT_OK(plan);
  EXPECT_EQ(plan->action, ExecstackPlan::Action::use_null_slot);
  ASSERT_OK(write_patched_copy(dir / "nostack.so", dir / "nostack.so", plan->patches));

  const auto report = analyze_path(dir / "nostack.so");
  ASSERT_OK(report);
  EXPECT_EQ(report->gnu_stack_count, 1);
  EXPECT_FALSE(report->has(Finding::execstack));
}

TEST(ExecstackFix, RefusesWithoutASlotAndNamesTheAlternative) {
  const auto bytes = ElfBuilder{}.build(); // no GNU_STACK, no PT_NULL
  const SpanSource source(bytes, "full.so");
  const auto plan = plan_clear_execstack(*elf::ElfFile::read(source));
  ASSERT_FALSE(plan);
  EXPECT_NE(plan.error().reason.find("-z,noexecstack"), std::string::npos);
}

TEST(ExecstackFix, NothingToDoForACleanFile) {
  ElfBuilder builder;
  builder.extra_phdrs.push_back({.type = PT_GNU_STACK, .flags = PF_R | PF_W});
  const auto bytes = builder.build();
  const SpanSource source(bytes, "clean.so");
  const auto plan = plan_clear_execstack(*elf::ElfFile::read(source));
  ASSERT_OK(plan);
  EXPECT_EQ(plan->action, ExecstackPlan::Action::none);
  EXPECT_TRUE(plan->patches.empty());
}

TEST(ExecstackFix, NeverWritesInPlace) {
  // A process that has the old file mapped keeps its bytes: the fix makes a
  // new inode and renames it over the old name.
  TempDir dir;
  ElfBuilder builder;
  builder.extra_phdrs.push_back({.type = PT_GNU_STACK, .flags = PF_R | PF_W | PF_X});
  write_bytes(dir / "lib.so", builder.build(), 04750);
  struct stat before {};
  ASSERT_EQ(::stat((dir / "lib.so").c_str(), &before), 0);
  const auto fd = open_fd((dir / "lib.so").c_str(), O_RDONLY);
  ASSERT_OK(fd);
  void* mapped = ::mmap(nullptr, static_cast<std::size_t>(before.st_size), PROT_READ, MAP_SHARED,
                        fd->get(), 0);
  ASSERT_NE(mapped, MAP_FAILED);
  const std::string original(static_cast<const char*>(mapped),
                             static_cast<std::size_t>(before.st_size));

  ASSERT_OK(fix_in_place(dir / "lib.so"));

  EXPECT_EQ(std::string(static_cast<const char*>(mapped), original.size()), original);
  ::munmap(mapped, original.size());
  struct stat after {};
  ASSERT_EQ(::stat((dir / "lib.so").c_str(), &after), 0);
  EXPECT_NE(after.st_ino, before.st_ino);
  EXPECT_EQ(after.st_mode, before.st_mode) << "mode, set-id bits included, is kept";
  EXPECT_EQ(after.st_uid, before.st_uid);
  // No temporary file is left behind.
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()),
                          std::filesystem::directory_iterator()),
            1);
}

TEST(ExecstackFix, FollowsASymlinkAndCanWriteElsewhere) {
  TempDir dir;
  ElfBuilder builder;
  builder.extra_phdrs.push_back({.type = PT_GNU_STACK, .flags = PF_R | PF_W | PF_X});
  write_bytes(dir / "real.so", builder.build());
  std::filesystem::create_symlink("real.so", dir / "link.so");
  ASSERT_OK(fix_in_place(dir / "link.so"));
  EXPECT_TRUE(std::filesystem::is_symlink(dir / "link.so"));
  EXPECT_FALSE(analyze_path(dir / "real.so")->has(Finding::execstack));

  write_bytes(dir / "in.so", builder.build());
  const auto bytes = test::read_bytes(dir / "in.so");
  const SpanSource source(bytes, "in.so");
  const auto plan = plan_clear_execstack(*elf::ElfFile::read(source));
  ASSERT_OK(write_patched_copy(dir / "in.so", dir / "out.so", plan->patches));
  EXPECT_TRUE(analyze_path(dir / "in.so")->has(Finding::execstack)) << "the source is untouched";
  EXPECT_FALSE(analyze_path(dir / "out.so")->has(Finding::execstack));
}

} // namespace
} // namespace sealexec::audit
