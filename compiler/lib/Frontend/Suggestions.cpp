//===- Suggestions.cpp - "did you mean" for misspelt names ---------------===//

#include "attnc/Frontend/Suggestions.h"

#include <algorithm>

namespace attnc {

namespace {

/// Optimal string alignment distance: edits plus swaps of neighbours.
size_t editDistance(const std::string &a, const std::string &b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i)
    d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j)
    d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i)
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  return d[a.size()][b.size()];
}

size_t allowedEdits(size_t length) { return length < 3 ? 0 : length <= 5 ? 1 : length <= 8 ? 2 : 3; }

} // namespace

std::string didYouMean(const std::string &name, const std::vector<std::string> &candidates) {
  size_t best = allowedEdits(name.size()) + 1;
  const std::string *nearest = nullptr;
  bool tie = false;
  for (const std::string &c : candidates) {
    if (c == name)
      continue;
    size_t d = editDistance(name, c);
    if (d < best) {
      best = d;
      nearest = &c;
      tie = false;
    } else if (d == best && nearest && *nearest != c) {
      tie = true;
    }
  }
  if (!nearest || tie)
    return "";
  return "; did you mean '" + *nearest + "'?";
}

} // namespace attnc
