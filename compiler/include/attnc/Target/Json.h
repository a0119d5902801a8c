//===- Json.h - JSON strings for the manifest and attnc run --json --------===//
#ifndef ATTNC_TARGET_JSON_H
#define ATTNC_TARGET_JSON_H

#include <string>
#include <string_view>

namespace attnc {

/// `s` as a JSON string literal, quotes included. Whatever bytes `s` holds
/// (a path with a tab or a quote, bytes that are not UTF-8), the result is
/// valid JSON: `"` and `\` are escaped, control characters become `\n`, `\t`
/// ... or `\u00XX`, valid UTF-8 sequences are kept, and a byte that is not
/// part of one becomes the code point of the same value (`\u00XX`, as if the
/// text were Latin-1), so that nothing is lost.
std::string jsonString(std::string_view s);

} // namespace attnc

#endif
