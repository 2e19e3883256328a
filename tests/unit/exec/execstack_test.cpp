#include "sealexec/exec/execstack.h"

#include "elf/elf_builder.h"
#include "sealexec/audit/file_report.h"
#include "sealexec/image/image_source.h"
#include "test_support.h"

#include <elf.h>
#include <unistd.h>

#include <gtest/gtest.h>

namespace sealexec {
namespace {

std::string contents(const SealedImage& image) {
  std::string text(static_cast<std::size_t>(image.size()), '\0');
  EXPECT_EQ(::pread(image.fd(), text.data(), text.size(), 0),
            static_cast<ssize_t>(text.size()));
  return text;
}

TEST(ClearExecstack, PatchesACopyThatKeepsTheFilesNameOriginAndMessages) {
  test::TempDir dir;
  test::ElfBuilder builder;
  builder.extra_phdrs.push_back({.type = PT_GNU_STACK, .flags = PF_R | PF_W | PF_X});
  const auto elf = builder.build();
  test::write_file(dir / "app",
                   std::string_view(reinterpret_cast<const char*>(elf.data()), elf.size()), 0755);
  const auto image = SealedImage::from_path(dir / "app");
  ASSERT_OK(image);

  const auto patched = clear_execstack(*image, "renamed");
  ASSERT_OK(patched);
  ASSERT_TRUE(patched->has_value());
  const SealedImage& copy = **patched;
  EXPECT_EQ(copy.source(), (dir / "app").string()); // what errors name, not "<memory>"
  EXPECT_EQ(copy.origin(), image->origin());
  EXPECT_EQ(copy.memfd_name(), image_memfd_name("renamed", copy.digest()));
  EXPECT_TRUE(has_base_seals(copy.fd()));

  const std::string before = contents(*image);
  const std::string after = contents(copy);
  ASSERT_EQ(after.size(), before.size());
  EXPECT_EQ(copy.digest(), xxh3_128(test::as_bytes(after)));
  std::size_t differing = 0;
  for (std::size_t i = 0; i < before.size(); ++i) {
    differing += before[i] != after[i] ? 1 : 0;
  }
  EXPECT_EQ(differing, 1U); // the PF_X bit of p_flags

  const ImageSource source(copy);
  const auto file = elf::ElfFile::read(source);
  ASSERT_OK(file);
  const auto report = audit::analyze(*file, copy.source());
  ASSERT_OK(report);
  EXPECT_EQ(report->gnu_stack_flags, PF_R | PF_W);

  // Nothing to clear the second time.
  const auto again = clear_execstack(copy, "renamed");
  ASSERT_OK(again);
  EXPECT_FALSE(again->has_value());
}

} // namespace
} // namespace sealexec
