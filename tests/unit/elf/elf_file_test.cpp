#include "sealexec/elf/elf_file.h"

#include "elf/elf_builder.h"
#include "sealexec/elf/byte_source.h"
#include "sealexec/elf/machine.h"
#include "test_support.h"

#include <elf.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <gtest/gtest.h>

namespace sealexec {
namespace {

using elf::ByteOrder;
using elf::ElfClass;
using elf::ElfFile;
using test::ElfBuilder;

struct Variant {
  ElfClass elf_class;
  ByteOrder byte_order;
};

class ElfVariants : public testing::TestWithParam<Variant> {};

TEST_P(ElfVariants, ReadsHeaderProgramHeadersAndDynamicStrings) {
  ElfBuilder builder;
  builder.elf_class = GetParam().elf_class;
  builder.byte_order = GetParam().byte_order;
  builder.machine = EM_PPC64;
  builder.dynamic.push_back({DT_NEEDED, builder.add_string("libc.so.6")});
  builder.dynamic.push_back({DT_RUNPATH, builder.add_string("$ORIGIN/../lib")});
  builder.extra_phdrs.push_back({.type = PT_GNU_STACK, .flags = PF_R | PF_W});
  const auto bytes = builder.build();

  const SpanSource source(bytes, "built.so");
  const auto file = ElfFile::read(source);
  ASSERT_OK(file);
  EXPECT_EQ(file->header().elf_class, GetParam().elf_class);
  EXPECT_EQ(file->header().byte_order, GetParam().byte_order);
  EXPECT_EQ(file->header().type, ET_DYN);
  EXPECT_EQ(file->header().machine, EM_PPC64);
  ASSERT_EQ(file->program_headers().size(), 3U);
  EXPECT_EQ(file->program_headers()[0].type, PT_LOAD);
  EXPECT_EQ(file->program_headers()[0].filesz, bytes.size());
  EXPECT_EQ(file->program_headers()[2].type, PT_GNU_STACK);
  EXPECT_EQ(file->program_headers()[2].flags, PF_R | PF_W);
  ASSERT_OK(file->check_loadable());

  const auto entries = file->dynamic_entries();
  ASSERT_OK(entries);
  ASSERT_EQ(entries->size(), 4U); // NEEDED, RUNPATH, STRTAB, STRSZ
  EXPECT_EQ((*entries)[0].tag, DT_NEEDED);
  EXPECT_EQ(file->dynamic_string(*entries, (*entries)[0].value), "libc.so.6");
  EXPECT_EQ(file->dynamic_string(*entries, (*entries)[1].value), "$ORIGIN/../lib");
}

INSTANTIATE_TEST_SUITE_P(AllClassesAndByteOrders, ElfVariants,
                         testing::Values(Variant{ElfClass::elf64, ByteOrder::little},
                                         Variant{ElfClass::elf64, ByteOrder::big},
                                         Variant{ElfClass::elf32, ByteOrder::little},
                                         Variant{ElfClass::elf32, ByteOrder::big}));

TEST(ElfFile, ReadsARealExecutableOfThisMachine) {
  const auto bytes = test::read_bytes("/proc/self/exe");
  const SpanSource source(bytes, "unit_tests");
  const auto file = ElfFile::read(source);
  ASSERT_OK(file);
  EXPECT_TRUE(elf::runs_on_host(file->header()));
  EXPECT_EQ(file->header().machine, elf::host_machine().machine);
  ASSERT_OK(file->check_loadable());
  const auto interpreter = file->interpreter();
  ASSERT_OK(interpreter);
  ASSERT_TRUE(interpreter->has_value());
  EXPECT_TRUE(interpreter->value().starts_with("/lib"));
}

TEST(ElfFile, FindsSectionsByName) {
  const auto bytes = test::read_bytes("/proc/self/exe");
  const SpanSource source(bytes, "unit_tests");
  const auto file = ElfFile::read(source);
  ASSERT_OK(file);
  EXPECT_TRUE(file->has_section(".text"));
  EXPECT_TRUE(file->has_section(".dynamic"));
  EXPECT_FALSE(file->has_section(".fpcdata"));
  EXPECT_FALSE(file->has_section(".tex")); // a prefix of a name is not a name
  // Without section headers (stripped of them, or cut before them): false.
  const auto head = std::span(bytes).first(static_cast<std::size_t>(file->header().shoff));
  const SpanSource cut(head, "cut");
  const auto headless = ElfFile::read(cut);
  ASSERT_OK(headless);
  EXPECT_FALSE(headless->has_section(".text"));
}

TEST(ElfFile, ReadsThroughPreadTheSameAsFromMemory) {
  const auto path = test::example("origin-app/bin/greet");
  const auto fd = open_fd(path.c_str(), O_RDONLY);
  ASSERT_OK(fd);
  struct stat st {};
  ASSERT_EQ(::fstat(fd->get(), &st), 0);
  const FdSource source(fd->get(), static_cast<std::uint64_t>(st.st_size), path.string());
  const auto file = ElfFile::read(source);
  ASSERT_OK(file);
  const auto entries = file->dynamic_entries();
  ASSERT_OK(entries);
  std::string runpath;
  for (const auto& entry : *entries) {
    if (entry.tag == DT_RUNPATH) {
      runpath = file->dynamic_string(*entries, entry.value).value();
    }
  }
  EXPECT_EQ(runpath, "$ORIGIN/../lib");
}

TEST(ElfFile, EveryTruncationIsAnErrorNeverACrash) {
  ElfBuilder builder;
  builder.dynamic.push_back({DT_RUNPATH, builder.add_string("/opt/lib")});
  const auto bytes = builder.build();
  const std::size_t table_end = 64 + 2 * 56;
  for (std::size_t length = 0; length < bytes.size(); ++length) {
    const SpanSource source{std::span(bytes).first(length), "cut"};
    const auto file = ElfFile::read(source);
    if (length < table_end) {
      ASSERT_FALSE(file) << "length " << length;
      EXPECT_EQ(file.error().code, Errc::malformed);
      EXPECT_EQ(file.error().path, "cut");
      continue;
    }
    ASSERT_OK(file);
    // The PT_LOAD covers the whole original file, so it is now too long.
    EXPECT_FALSE(file->check_loadable()) << "length " << length;
    const auto entries = file->dynamic_entries();
    if (entries) {
      for (const auto& entry : *entries) {
        (void)file->dynamic_string(*entries, entry.value);
      }
    }
  }
}

TEST(ElfFile, RejectsBadIdentification) {
  auto bytes = ElfBuilder{}.build();
  auto expect_malformed = [](std::vector<std::byte> b, std::string_view what) {
    const SpanSource source(b, "bad");
    const auto file = ElfFile::read(source);
    ASSERT_FALSE(file) << what;
    EXPECT_EQ(file.error().code, Errc::malformed) << what;
    EXPECT_NE(file.error().reason.find(what), std::string::npos) << file.error().message();
  };
  auto no_magic = bytes;
  no_magic[1] = std::byte{'X'};
  expect_malformed(no_magic, "bad magic");
  auto bad_class = bytes;
  bad_class[EI_CLASS] = std::byte{7};
  expect_malformed(bad_class, "class");
  auto bad_order = bytes;
  bad_order[EI_DATA] = std::byte{0};
  expect_malformed(bad_order, "byte order");
  auto bad_phentsize = bytes;
  bad_phentsize[54] = std::byte{55};
  expect_malformed(bad_phentsize, "entry size");
  auto xnum = bytes;
  xnum[56] = std::byte{0xff};
  xnum[57] = std::byte{0xff};
  expect_malformed(xnum, "PN_XNUM");
}

TEST(ElfFile, RejectsProgramHeaderTableBeyondTheFile) {
  ElfBuilder builder;
  auto bytes = builder.build();
  bytes[32] = std::byte{0xf0}; // e_phoff low byte: far past the end
  bytes[39] = std::byte{0x7f}; // and huge: offset + size must not overflow
  const SpanSource source(bytes, "far");
  const auto file = ElfFile::read(source);
  ASSERT_FALSE(file);
  EXPECT_NE(file.error().reason.find("program header table"), std::string::npos);
}

TEST(ElfFile, DynamicStringsAreBoundsChecked) {
  ElfBuilder builder;
  builder.dynamic.push_back({DT_RUNPATH, 1000}); // beyond DT_STRSZ
  auto bytes = builder.build();
  const SpanSource source(bytes, "strings");
  const auto file = ElfFile::read(source);
  ASSERT_OK(file);
  const auto entries = file->dynamic_entries();
  ASSERT_OK(entries);
  const auto text = file->dynamic_string(*entries, 1000);
  ASSERT_FALSE(text);
  EXPECT_EQ(text.error().code, Errc::malformed);

  // A table whose last string lacks its NUL.
  ElfBuilder unterminated;
  unterminated.strings = std::string("\0abc", 4);
  auto raw = unterminated.build();
  const SpanSource source2(raw, "unterminated");
  const auto file2 = ElfFile::read(source2);
  ASSERT_OK(file2);
  const auto entries2 = file2->dynamic_entries();
  ASSERT_OK(entries2);
  EXPECT_FALSE(file2->dynamic_string(*entries2, 1));
}

TEST(ElfFile, ALoadSegmentLargerInFileThanInMemoryIsRejected) {
  ElfBuilder builder;
  builder.extra_phdrs.push_back(
      {.type = PT_LOAD, .offset = 0, .vaddr = 0x20000, .filesz = 64, .memsz = 32});
  const auto bytes = builder.build();
  const SpanSource source(bytes, "odd");
  const auto file = ElfFile::read(source);
  ASSERT_OK(file);
  const auto loadable = file->check_loadable();
  ASSERT_FALSE(loadable);
  EXPECT_NE(loadable.error().reason.find("p_filesz"), std::string::npos);
}

TEST(Machine, KnowsWhatThisHostRuns) {
  elf::FileHeader header;
  header.elf_class = elf::host_machine().elf_class;
  header.byte_order = elf::host_machine().byte_order;
  header.machine = elf::host_machine().machine;
  EXPECT_TRUE(elf::runs_on_host(header));
  header.machine = header.machine == EM_AARCH64 ? EM_X86_64 : EM_AARCH64;
  EXPECT_FALSE(elf::runs_on_host(header));
  EXPECT_EQ(elf::machine_name(EM_AARCH64), "aarch64");
  EXPECT_EQ(elf::machine_name(4242), "e_machine 4242");
}

} // namespace
} // namespace sealexec
