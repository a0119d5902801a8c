//===- Suggestions.h - "did you mean" for misspelt names -----------*- C++ -*-===//
#ifndef ATTNC_FRONTEND_SUGGESTIONS_H
#define ATTNC_FRONTEND_SUGGESTIONS_H

#include <string>
#include <vector>

namespace attnc {

/// "; did you mean 'query'?" for the candidate nearest to `name` (fewest
/// single-character insertions, deletions, substitutions or swaps of two
/// neighbours), when it is near enough to be a misspelling: one edit for
/// names of 3 to 5 characters, two up to 8, three beyond; "" when there is
/// none, or when two candidates are equally near.
std::string didYouMean(const std::string &name, const std::vector<std::string> &candidates);

} // namespace attnc

#endif
