#include "sealexec/exec/origin.h"

#include "elf/elf_builder.h"
#include "test_support.h"

#include <elf.h>

#include <gtest/gtest.h>

namespace sealexec {
namespace {

TEST(Origin, LeavesLibAndPlatformForLdSo) {
  test::ElfBuilder builder;
  builder.type = ET_EXEC;
  builder.dynamic.push_back({DT_RUNPATH, builder.add_string("${ORIGIN}/$LIB:$ORIGIN/$PLATFORM")});
  const auto image = SealedImage::from_bytes(builder.build());
  const auto plan = plan_origin(*image, std::filesystem::path("/o"), std::nullopt);
  ASSERT_OK(plan);
  EXPECT_EQ(plan->library_path, "/o/$LIB:/o/$PLATFORM");
}

SealedImage image_with(std::int64_t tag, const std::string& path) {
  test::ElfBuilder builder;
  builder.type = ET_EXEC;
  builder.dynamic.push_back({tag, builder.add_string(path)});
  return std::move(*SealedImage::from_bytes(builder.build()));
}

TEST(Origin, RunpathGoesAfterTheCallersLibraryPath) {
  const auto image = image_with(DT_RUNPATH, "/first:$ORIGIN/../lib");
  const auto plan = plan_origin(image, std::filesystem::path("/app/bin"), "/user");
  ASSERT_OK(plan);
  EXPECT_TRUE(plan->uses_origin);
  EXPECT_EQ(plan->search_path, "/first:$ORIGIN/../lib");
  EXPECT_EQ(plan->library_path, "/user:/first:/app/bin/../lib");
  EXPECT_TRUE(plan->warnings.empty());
}

TEST(Origin, RpathGoesBeforeTheCallersLibraryPath) {
  const auto image = image_with(DT_RPATH, "$ORIGIN/lib");
  const auto plan = plan_origin(image, std::filesystem::path("/app"), "/user");
  ASSERT_OK(plan);
  EXPECT_EQ(plan->library_path, "/app/lib:/user");
  const auto alone = plan_origin(image, std::filesystem::path("/app"), std::nullopt);
  EXPECT_EQ(alone->library_path, "/app/lib");
}

TEST(Origin, RunpathWinsOverRpathAsInLdSo) {
  test::ElfBuilder builder;
  builder.type = ET_EXEC;
  builder.dynamic.push_back({DT_RPATH, builder.add_string("$ORIGIN/rpath")});
  builder.dynamic.push_back({DT_RUNPATH, builder.add_string("/no-origin-here")});
  const auto image = SealedImage::from_bytes(builder.build());
  const auto plan = plan_origin(*image, std::filesystem::path("/app"), std::nullopt);
  ASSERT_OK(plan);
  EXPECT_FALSE(plan->uses_origin);
  EXPECT_FALSE(plan->library_path);
}

TEST(Origin, WithoutAnOriginItWarnsInsteadOfGuessing) {
  const auto image = image_with(DT_RUNPATH, "$ORIGIN/../lib");
  const auto plan = plan_origin(image, std::nullopt, std::nullopt);
  ASSERT_OK(plan);
  EXPECT_TRUE(plan->uses_origin);
  EXPECT_FALSE(plan->library_path);
  ASSERT_EQ(plan->warnings.size(), 1U);
  EXPECT_NE(plan->warnings[0].find("--origin"), std::string::npos);
}

TEST(Origin, ADirectoryWithAColonCannotBeExpressed) {
  const auto image = image_with(DT_RUNPATH, "$ORIGIN/lib");
  const auto plan = plan_origin(image, std::filesystem::path("/odd:dir"), std::nullopt);
  ASSERT_OK(plan);
  EXPECT_FALSE(plan->library_path);
  ASSERT_EQ(plan->warnings.size(), 1U);
}

TEST(Origin, ProgramsWithoutOriginAreLeftAlone) {
  const auto plain = image_with(DT_RUNPATH, "/usr/local/lib");
  EXPECT_FALSE(plan_origin(plain, std::filesystem::path("/x"), std::nullopt)->library_path);
  const auto script = SealedImage::from_bytes(test::as_bytes("#!/bin/sh\n"));
  EXPECT_FALSE(plan_origin(*script, std::filesystem::path("/x"), std::nullopt)->uses_origin);
  const auto hello = SealedImage::from_path(test::example("hello"));
  EXPECT_FALSE(plan_origin(*hello, hello->origin(), std::nullopt)->uses_origin);
}

TEST(Origin, TheExampleProgramIsPlannedFromItsRealDirectory) {
  const auto greet = SealedImage::from_path(test::example("origin-app/bin/greet"));
  ASSERT_OK(greet);
  const auto plan = plan_origin(*greet, greet->origin(), std::nullopt);
  ASSERT_OK(plan);
  const auto bin = std::filesystem::canonical(test::example("origin-app/bin"));
  EXPECT_EQ(plan->library_path, (bin / "../lib").string());
}

} // namespace
} // namespace sealexec
