//===- SuggestionsTest.cpp - "did you mean" --------------------------------===//

#include "attnc/Frontend/Suggestions.h"

#include <gtest/gtest.h>

using namespace attnc;

namespace {

TEST(Suggestions, TheNearestNameWithinTheEditsItsLengthAllows) {
  const std::vector<std::string> names = {"query", "key", "value", "layernorm", "S"};
  EXPECT_EQ(didYouMean("querry", names), "; did you mean 'query'?");  // one insertion
  EXPECT_EQ(didYouMean("qeury", names), "; did you mean 'query'?");   // one swap
  EXPECT_EQ(didYouMean("kye", names), "; did you mean 'key'?");
  EXPECT_EQ(didYouMean("layrenrom", names), "; did you mean 'layernorm'?");  // two swaps
  // Too far for its length, or too short to guess.
  EXPECT_EQ(didYouMean("quux", names), "");
  EXPECT_EQ(didYouMean("T", names), "");
  EXPECT_EQ(didYouMean("ab", {"abc"}), "");
  // The name itself is no suggestion; a tie is none either.
  EXPECT_EQ(didYouMean("query", names), "");
  EXPECT_EQ(didYouMean("cat", {"bat", "hat"}), "");
}

} // namespace
