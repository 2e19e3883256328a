#include "sealexec/remote/remote_settings.h"

#include "test_support.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <map>

namespace sealexec::remote {
namespace {

std::function<const char*(const char*)> environment(std::map<std::string, std::string> values) {
  auto shared = std::make_shared<std::map<std::string, std::string>>(std::move(values));
  return [shared](const char* name) -> const char* {
    const auto found = shared->find(name);
    return found == shared->end() ? nullptr : found->second.c_str();
  };
}

TEST(RemoteSettings, Defaults) {
  const RemoteSettings settings;
  EXPECT_TRUE(settings.backends.empty());
  EXPECT_FALSE(settings.insecure);
  EXPECT_EQ(settings.connect_timeout.count(), 100);
  EXPECT_EQ(settings.operation_timeout.count(), 2000);
}

TEST(RemoteSettings, EnvironmentVariables) {
  RemoteSettings settings;
  ASSERT_TRUE(apply_remote_environment(
      settings, environment({{"SEALEXEC_REMOTE", "redis://a,http://b/c"},
                             {"SEALEXEC_SIGNING_KEY", "/k/ci.key"},
                             {"SEALEXEC_TRUSTED_KEYS", "/k/a.pub::/k/b.pub"},
                             {"SEALEXEC_INSECURE_REMOTE", "1"}})));
  ASSERT_EQ(settings.backends.size(), 2U);
  EXPECT_EQ(settings.signing_key, std::filesystem::path("/k/ci.key"));
  EXPECT_EQ(settings.trusted_keys,
            (std::vector<std::filesystem::path>{"/k/a.pub", "/k/b.pub"}));
  EXPECT_TRUE(settings.insecure);
}

TEST(RemoteSettings, EmptyVariablesChangeNothing) {
  RemoteSettings settings;
  ASSERT_TRUE(apply_remote_environment(settings, environment({{"SEALEXEC_REMOTE", ""}})));
  EXPECT_TRUE(settings.backends.empty());
}

TEST(RemoteSettings, BadValuesNameTheirSource) {
  RemoteSettings settings;
  const auto error = apply_remote_environment(
      settings, environment({{"SEALEXEC_INSECURE_REMOTE", "maybe"}}));
  ASSERT_FALSE(error);
  EXPECT_EQ(error.error().path, "SEALEXEC_INSECURE_REMOTE");
  for (const auto& [key, value] : std::vector<std::pair<std::string, std::string>>{
           {"remote_timeout", "0"},
           {"remote_timeout", "61s"},
           {"remote_timeout", "fast"},
           {"remote_connect_timeout", "-5ms"},
           {"remote", "ftp://x"},
           {"trusted_keys", ":"},
           {"colour", "blue"}}) {
    EXPECT_FALSE(apply_remote_setting(settings, key, value, "cache.conf:3")) << key << value;
  }
}

TEST(RemoteSettings, Durations) {
  RemoteSettings settings;
  ASSERT_TRUE(apply_remote_setting(settings, "remote_timeout", "3s", "t"));
  ASSERT_TRUE(apply_remote_setting(settings, "remote_connect_timeout", "250ms", "t"));
  EXPECT_EQ(settings.operation_timeout.count(), 3000);
  EXPECT_EQ(settings.connect_timeout.count(), 250);
  ASSERT_TRUE(apply_remote_setting(settings, "remote_timeout", "1500", "t"));
  EXPECT_EQ(settings.operation_timeout.count(), 1500);
}

TEST(RemoteTrust, ReadingNeedsATrustedKeyOrAnExplicitOptOut) {
  test::TempDir dir;
  ASSERT_TRUE(write_key_pair(dir / "ci"));
  RemoteSettings settings;
  ASSERT_TRUE(apply_remote_setting(settings, "remote", "redis://cache", "t"));

  const auto trust = load_trust(settings);
  ASSERT_TRUE(trust);
  EXPECT_FALSE(trust->reads_allowed);
  EXPECT_NE(trust->warning.find("writing only"), std::string::npos);

  settings.insecure = true;
  const auto insecure = load_trust(settings);
  ASSERT_TRUE(insecure);
  EXPECT_TRUE(insecure->reads_allowed);
  EXPECT_NE(insecure->warning.find("run code on this machine"), std::string::npos);

  settings.insecure = false;
  settings.trusted_keys = {dir / "ci.pub"};
  settings.signing_key = dir / "ci.key";
  const auto keyed = load_trust(settings);
  ASSERT_TRUE(keyed) << keyed.error().message();
  EXPECT_TRUE(keyed->reads_allowed);
  EXPECT_TRUE(keyed->warning.empty());
  ASSERT_TRUE(keyed->signer);
  EXPECT_EQ(keyed->signer->public_key(), keyed->trusted.front());
}

TEST(RemoteTrust, AKeyFileThatCannotBeUsedIsAnError) {
  test::TempDir dir;
  ASSERT_TRUE(write_key_pair(dir / "ci"));
  RemoteSettings settings;
  settings.trusted_keys = {dir / "typo.pub"};
  EXPECT_FALSE(load_trust(settings));
  settings.trusted_keys = {};
  ASSERT_EQ(::chmod((dir / "ci.key").c_str(), 0644), 0);
  settings.signing_key = dir / "ci.key";
  const auto trust = load_trust(settings);
  ASSERT_FALSE(trust);
  EXPECT_EQ(trust.error().code, Errc::policy);
}

} // namespace
} // namespace sealexec::remote
