#include "sealexec/exec/library.h"

#include "test_support.h"

#include <gtest/gtest.h>

namespace sealexec {
namespace {

using AnswerFunction = int (*)();
using NameFunction = const char* (*)();

TEST(Library, APluginLoadedFromMemoryResolvesAndCallsASymbol) {
  const auto image = SealedImage::from_path(test::example("libanswer-plugin.so"));
  ASSERT_OK(image);
  const auto library = load_library(*image);
  ASSERT_OK(library);
  const auto symbol = library->symbol("sealexec_plugin_answer");
  ASSERT_OK(symbol);
  EXPECT_EQ(reinterpret_cast<AnswerFunction>(*symbol)(), 42);
  EXPECT_TRUE(library->path().starts_with("/proc/self/fd/"));
}

TEST(Library, ImagesFromBytesLoadToo) {
  const auto bytes = test::read_bytes(test::example("libanswer-plugin.so"));
  const auto image = SealedImage::from_bytes(bytes);
  ASSERT_OK(image);
  const auto library = load_library(*image);
  ASSERT_OK(library);
  const auto name = library->symbol("sealexec_plugin_name");
  ASSERT_OK(name);
  EXPECT_STREQ(reinterpret_cast<NameFunction>(*name)(), "answer");
}

TEST(Library, AMissingSymbolIsANamedError) {
  const auto image = SealedImage::from_path(test::example("libanswer-plugin.so"));
  const auto library = load_library(*image);
  ASSERT_OK(library);
  const auto missing = library->symbol("no_such_symbol");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, Errc::not_found);
  EXPECT_NE(missing.error().reason.find("no_such_symbol"), std::string::npos);
}

TEST(Library, TwoImagesAreTwoLibrariesEvenWhenDescriptorNumbersRepeat) {
  // ld.so matches loaded objects by path first; each Library keeps its
  // descriptor so that no second image is ever named like a loaded one.
  const auto plugin = SealedImage::from_path(test::example("libanswer-plugin.so"));
  ASSERT_OK(plugin);
  std::vector<Library> loaded;
  for (int i = 0; i < 3; ++i) {
    auto library = load_library(*plugin);
    ASSERT_OK(library);
    loaded.push_back(std::move(*library));
  }
  EXPECT_NE(loaded[0].path(), loaded[1].path());
  // A different image must not be handed the plugin's handle.
  const auto other = SealedImage::from_path(test::example("origin-app/lib/libgreeting.so"));
  ASSERT_OK(other);
  const auto greeting = load_library(*other);
  ASSERT_OK(greeting);
  EXPECT_TRUE(greeting->symbol("greeting"));
  EXPECT_FALSE(greeting->symbol("sealexec_plugin_answer"));
}

TEST(Library, AnObjectThatRequiresAnExecutableStackIsRefusedUnlessAllowed) {
  // libculprit.so was assembled without .note.GNU-stack: PT_GNU_STACK RWE.
  const auto image = SealedImage::from_path(test::example("execstack-app/libculprit.so"));
  ASSERT_OK(image);
  const auto refused = load_library(*image);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::policy);
  EXPECT_NE(refused.error().reason.find("requires an executable stack"), std::string::npos);
  EXPECT_NE(refused.error().reason.find("sealexec fix --clear-execstack"), std::string::npos);

  LibraryOptions allow;
  allow.allow_executable_stack = true;
  const auto loaded = load_library(*image, allow);
  ASSERT_OK(loaded);
  const auto answer = loaded->symbol("culprit_answer");
  ASSERT_OK(answer);
  EXPECT_EQ(reinterpret_cast<AnswerFunction>(*answer)(), 7);
}

TEST(Library, RefusesWhatIsNotASharedObject) {
  const auto script = SealedImage::from_bytes(test::as_bytes("#!/bin/sh\n"));
  const auto not_elf = load_library(*script);
  ASSERT_FALSE(not_elf);
  EXPECT_EQ(not_elf.error().code, Errc::not_runnable);

  const auto executable = SealedImage::from_path(test::example("hello-static"));
  const auto not_dyn = load_library(*executable);
  ASSERT_FALSE(not_dyn);
  EXPECT_NE(not_dyn.error().reason.find("ET_DYN"), std::string::npos);
}

} // namespace
} // namespace sealexec
