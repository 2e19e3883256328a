#include "sealexec/exec/launch.h"

#include "test_support.h"

#include <gtest/gtest.h>

namespace sealexec {
namespace {

TEST(Launch, EnvironmentHelpersFollowGetenv) {
  std::vector<std::string> env{"A=1", "AB=2", "A=3", "EMPTY="};
  EXPECT_EQ(find_variable(env, "A"), "1"); // the first definition wins
  EXPECT_EQ(find_variable(env, "AB"), "2");
  EXPECT_EQ(find_variable(env, "EMPTY"), ""); // set, to the empty string
  EXPECT_EQ(find_variable(env, "B"), std::nullopt);
  set_variable(env, "A", "new");
  EXPECT_EQ(env, (std::vector<std::string>{"A=new", "AB=2", "EMPTY="})); // in place
  set_variable(env, "NEW", "x");
  EXPECT_EQ(env.back(), "NEW=x");
}

TEST(Launch, CStringArrayIsNullTerminated) {
  const CStringArray array(std::vector<std::string>{"a", "bc"});
  EXPECT_STREQ(array.data()[0], "a");
  EXPECT_STREQ(array.data()[1], "bc");
  EXPECT_EQ(array.data()[2], nullptr);
}

TEST(Launch, DefaultsArgvToTheSourceAndAppliesTheOriginPlan) {
  const auto greet = SealedImage::from_path(test::example("origin-app/bin/greet"));
  ASSERT_OK(greet);
  ExecOptions options;
  options.env = std::vector<std::string>{"LD_LIBRARY_PATH=/mine", "X=y"};
  const auto launch = prepare_launch(*greet, options);
  ASSERT_OK(launch);
  EXPECT_EQ(launch->argv.strings(), std::vector<std::string>{greet->source()});
  EXPECT_FALSE(launch->keep_image_fd);
  const auto bin = std::filesystem::canonical(test::example("origin-app/bin"));
  EXPECT_EQ(find_variable(launch->envp.strings(), "LD_LIBRARY_PATH"),
            "/mine:" + (bin / "../lib").string());
  EXPECT_EQ(find_variable(launch->envp.strings(), "X"), "y");

  options.preserve_origin = false;
  const auto untouched = prepare_launch(*greet, options);
  ASSERT_OK(untouched);
  EXPECT_EQ(find_variable(untouched->envp.strings(), "LD_LIBRARY_PATH"), "/mine");
}

TEST(Launch, ScriptsKeepTheirDescriptor) {
  const auto script = SealedImage::from_bytes(test::as_bytes("#!/bin/sh\n"));
  const auto launch = prepare_launch(*script, {});
  ASSERT_OK(launch);
  EXPECT_TRUE(launch->keep_image_fd);
}

} // namespace
} // namespace sealexec
