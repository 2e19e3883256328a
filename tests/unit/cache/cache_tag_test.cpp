#include "sealexec/cache/cache_tag.h"

#include <gtest/gtest.h>

namespace sealexec::cache {
namespace {

TEST(CacheTag, WhatWeWriteIsACacheTagNamingOurLayout) {
  const std::string text = cache_tag_text();
  // The convention: the file starts with exactly this signature.
  EXPECT_TRUE(text.starts_with("Signature: 8a477f597d28d172789f06886806bc55\n"));
  const CacheTag tag = parse_cache_tag(text);
  EXPECT_TRUE(tag.is_cache_tag);
  EXPECT_EQ(tag.sealexec_layout, k_cache_layout);
  EXPECT_EQ(parse_cache_tag(cache_tag_text(7)).sealexec_layout, 7U);
}

TEST(CacheTag, AnotherProgramsTagIsACacheTagButNotOurs) {
  const CacheTag ccache = parse_cache_tag(
      "Signature: 8a477f597d28d172789f06886806bc55\n# This file is a cache directory tag created "
      "by ccache.\n");
  EXPECT_TRUE(ccache.is_cache_tag);
  EXPECT_FALSE(ccache.sealexec_layout);
}

TEST(CacheTag, AnythingElseIsNoTag) {
  for (const std::string_view text :
       {std::string_view(""), std::string_view("Signature: 8a477f597d28d172789f06886806bc5"),
        std::string_view("signature: 8a477f597d28d172789f06886806bc55\n"),
        std::string_view("# sealexec cache layout 2\n")}) {
    const CacheTag tag = parse_cache_tag(text);
    EXPECT_FALSE(tag.is_cache_tag) << text;
    EXPECT_FALSE(tag.sealexec_layout) << text;
  }
}

TEST(CacheTag, ALayoutLineMustBeWholeAndValid) {
  const std::string signature = "Signature: 8a477f597d28d172789f06886806bc55\n";
  for (const std::string_view line :
       {"# sealexec cache layout \n", "# sealexec cache layout x\n", "# sealexec cache layout 2x\n",
        "# sealexec cache layout 0\n", "# sealexec cache layout -1\n",
        "# sealexec cache layout 99999999999\n", " # sealexec cache layout 2\n"}) {
    const CacheTag tag = parse_cache_tag(signature + std::string(line));
    EXPECT_TRUE(tag.is_cache_tag);
    EXPECT_FALSE(tag.sealexec_layout) << line;
  }
  // A last line without its newline still counts.
  EXPECT_EQ(parse_cache_tag(signature + "# sealexec cache layout 3").sealexec_layout, 3U);
}

} // namespace
} // namespace sealexec::cache
