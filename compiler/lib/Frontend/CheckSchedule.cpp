//===- CheckSchedule.cpp - The values of schedule directives --------------===//
//
// The parser checks a directive's name and syntax; here each value is
// checked where it is written, with the same rules as the command line and
// the dialect (attnc/Dialect/Attn/IR/ScheduleRules.h), so that a zero block
// or an unsupported vector width is an error at the value rather than in
// the middle of the pipeline, or never when no attention is fused.
//
//===----------------------------------------------------------------------===//

#include "CheckerImpl.h"

#include "attnc/Dialect/Attn/IR/ScheduleRules.h"

#include <cstdlib>

namespace attnc {

using namespace ast;
namespace rules = attn::schedule;

namespace {

bool isInteger(const std::string &text) {
  return !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
}

} // namespace

bool ModelChecker::checkScheduleValue(std::string_view key, int64_t value, Loc loc) {
  std::string problem = rules::checkValue(key, value);
  return problem.empty() || fail(loc, problem);
}

bool ModelChecker::checkDirective(const ScheduleDirective &d) {
  auto positionalInteger = [&](size_t i) {
    // Integers too large for int64 are lexer errors already.
    return isInteger(d.positional[i]) ? std::strtoll(d.positional[i].c_str(), nullptr, 10) : -1;
  };
  auto noKeywords = [&]() {
    return d.named.empty() ||
           fail(d.namedLocs[0], "'" + d.name + "' takes no keyword arguments");
  };
  // `tile(i = Q, j = K)`: keyword arguments only.
  if (d.name == "tile") {
    if (!d.positional.empty())
      return fail(d.positionalLocs[0], "'tile' takes i = QUERY_BLOCK and j = KEY_BLOCK");
    bool seenQ = false, seenK = false;
    for (size_t i = 0; i < d.named.size(); ++i) {
      const auto &[key, value] = d.named[i];
      bool queries = key == "i" || key == "q", keys = key == "j" || key == "k";
      if (!queries && !keys)
        return fail(d.namedLocs[i], "unknown 'tile' key '" + key + "' (known: i or q for the "
                                    "query block, j or k for the key block)");
      bool &seen = queries ? seenQ : seenK;
      if (seen)
        return fail(d.namedLocs[i], std::string("'tile' gives the ") +
                                        (queries ? "query" : "key") + " block twice");
      seen = true;
      if (!checkScheduleValue(queries ? rules::kBlockQ : rules::kBlockK, value, d.namedLocs[i]))
        return false;
    }
    return true;
  }
  // `threads(n)`: one integer.
  if (d.name == "threads") {
    if (d.positional.size() != 1 || positionalInteger(0) < 0)
      return fail(d.loc, "'threads' takes one integer, the thread count");
    return noKeywords() && checkScheduleValue(rules::kThreads, positionalInteger(0),
                                              d.positionalLocs[0]);
  }
  // `vectorize(axis, width)`, `unroll(axis, rows)`, `split(axis, factor)`:
  // the last argument is the number.
  if (d.name == "vectorize" || d.name == "unroll" || d.name == "split") {
    if (!noKeywords())
      return false;
    if (d.positional.empty() || positionalInteger(d.positional.size() - 1) < 0)
      return fail(d.loc, "'" + d.name + "' takes an axis and " +
                             (d.name == "vectorize" ? "a vector width"
                              : d.name == "unroll"  ? "a row count"
                                                    : "a factor"));
    int64_t value = positionalInteger(d.positional.size() - 1);
    Loc at = d.positionalLocs.back();
    if (d.name == "split")
      return value >= 1 || fail(at, "split factor 0 is not positive");
    return checkScheduleValue(d.name == "vectorize" ? rules::kVectorWidth : rules::kTileRows,
                              value, at);
  }
  // `parallel(axes)`, `gpu_blocks(axes)`: names.
  if (d.name == "parallel" || d.name == "gpu_blocks") {
    for (size_t i = 0; i < d.positional.size(); ++i)
      if (isInteger(d.positional[i]))
        return fail(d.positionalLocs[i], "'" + d.name + "' takes axis names");
    return noKeywords();
  }
  // `gpu_threads(axis = n, ..., warps = w)`: positive counts.
  for (size_t i = 0; i < d.named.size(); ++i)
    if (d.named[i].second < 1)
      return fail(d.namedLocs[i], "'" + d.name + "': '" + d.named[i].first + "' is " +
                                      std::to_string(d.named[i].second) + ", not positive");
  return true;
}

} // namespace attnc
