//===- CIdentifiers.h - Model names as C and C++ identifiers ----*- C++ -*-===//
//
// Dim and tensor names become members of the header's structs, which must
// compile as C11 and C++17 whatever the model calls them. A name that C or
// C++ could read as something else (a keyword, a macro, a name reserved for
// the implementation) is spelt differently there; docs/usage.md gives the
// rule. The structs keep declaration order, so spellings never change the ABI.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNC_TARGET_CIDENTIFIERS_H
#define ATTNC_TARGET_CIDENTIFIERS_H

#include <set>
#include <string>
#include <vector>

namespace attnc {

/// The member spellings of one struct's names (distinct, in their order). A
/// name is kept unless C or C++ (or the preprocessor of either) could read
/// it, in a header that includes <attnc/runtime.h>, as something else, or
/// reserves it for the implementation; `alsoTaken` lists the header's own
/// macros (its include guard). Such a name has each run of '_' made one,
/// loses a trailing '_' and a leading one (unless a digit follows), then gets
/// a trailing '_', or `_2`, `_3`, ... where that is another member's name.
/// A quoted name's dots become '_' (`encoder.layer.0.weight` is member
/// encoder_layer_0_weight), by the same rule when that spelling is taken.
std::vector<std::string> memberSpellings(const std::vector<std::string> &names,
                                         const std::set<std::string> &alsoTaken);

} // namespace attnc

#endif
