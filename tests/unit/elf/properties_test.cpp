#include "sealexec/elf/properties.h"

#include "elf/elf_builder.h"
#include "sealexec/elf/byte_source.h"
#include "test_support.h"

#include <elf.h>

#include <gtest/gtest.h>

namespace sealexec {
namespace {

// A little-endian NT_GNU_PROPERTY_TYPE_0 note with one 4-byte property.
std::vector<std::byte> property_note(std::uint32_t type, std::uint32_t value, bool is64) {
  std::vector<std::byte> note;
  auto put32 = [&note](std::uint32_t v) {
    for (int i = 0; i < 4; ++i) {
      note.push_back(static_cast<std::byte>((v >> (8 * i)) & 0xff));
    }
  };
  const std::uint32_t pr_size = is64 ? 16 : 12; // type, datasz, data padded
  put32(4);          // namesz
  put32(pr_size);    // descsz
  put32(NT_GNU_PROPERTY_TYPE_0);
  for (const char c : {'G', 'N', 'U', '\0'}) {
    note.push_back(static_cast<std::byte>(c));
  }
  put32(type);
  put32(4);
  put32(value);
  if (is64) {
    put32(0); // padding to 8
  }
  return note;
}

Expected<elf::GnuProperties> properties_of(const std::vector<std::byte>& bytes) {
  const SpanSource source(bytes, "props");
  SEALEXEC_TRY_ASSIGN(const elf::ElfFile file, elf::ElfFile::read(source));
  return elf::read_gnu_properties(file);
}

TEST(GnuProperties, ReadsX86FeatureBits) {
  for (const bool is64 : {true, false}) {
    test::ElfBuilder builder;
    builder.elf_class = is64 ? elf::ElfClass::elf64 : elf::ElfClass::elf32;
    builder.data_segments.push_back(
        {{.type = PT_GNU_PROPERTY, .flags = PF_R},
         property_note(GNU_PROPERTY_X86_FEATURE_1_AND,
                       GNU_PROPERTY_X86_FEATURE_1_IBT | GNU_PROPERTY_X86_FEATURE_1_SHSTK, is64)});
    const auto properties = properties_of(builder.build());
    ASSERT_OK(properties);
    EXPECT_TRUE(properties->present);
    EXPECT_TRUE(properties->ibt()) << is64;
    EXPECT_TRUE(properties->shstk()) << is64;
    EXPECT_FALSE(properties->bti());
  }
}

TEST(GnuProperties, ReadsAarch64Bti) {
  test::ElfBuilder builder;
  builder.machine = EM_AARCH64;
  builder.data_segments.push_back(
      {{.type = PT_GNU_PROPERTY, .flags = PF_R},
       property_note(GNU_PROPERTY_AARCH64_FEATURE_1_AND, GNU_PROPERTY_AARCH64_FEATURE_1_BTI,
                     true)});
  const auto properties = properties_of(builder.build());
  ASSERT_OK(properties);
  EXPECT_TRUE(properties->bti());
  EXPECT_FALSE(properties->pac());
  EXPECT_FALSE(properties->ibt());
}

TEST(GnuProperties, AbsentWithoutTheSegment) {
  const auto properties = properties_of(test::ElfBuilder{}.build());
  ASSERT_OK(properties);
  EXPECT_FALSE(properties->present);
  EXPECT_FALSE(properties->ibt());
}

TEST(GnuProperties, ANoteRunningPastItsSegmentIsAnError) {
  auto note = property_note(GNU_PROPERTY_X86_FEATURE_1_AND, 3, true);
  note[4] = std::byte{0xff}; // descsz far too large
  test::ElfBuilder builder;
  builder.data_segments.push_back({{.type = PT_GNU_PROPERTY, .flags = PF_R}, note});
  const auto properties = properties_of(builder.build());
  ASSERT_FALSE(properties);
  EXPECT_EQ(properties.error().code, Errc::malformed);
  // Every truncation of the note is an error or a result, never a crash.
  for (std::size_t cut = 0; cut < note.size(); ++cut) {
    test::ElfBuilder partial;
    partial.data_segments.push_back(
        {{.type = PT_GNU_PROPERTY, .flags = PF_R},
         std::vector<std::byte>(note.begin(), note.begin() + static_cast<long>(cut))});
    (void)properties_of(partial.build());
  }
}

} // namespace
} // namespace sealexec
