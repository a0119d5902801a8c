//===- fuzz_frontend.cpp - libFuzzer target: parse and check any bytes ----===//
//
// Feeds arbitrary bytes to the frontend as a model file. Any outcome is fine
// (a checked module or a diagnostic) except a crash, a sanitizer report, a
// hang or unbounded memory: LANGUAGE.md promises that nothing a user can type
// does any of these. Diagnostics are formatted (that code runs too) and then
// dropped.
//
//===----------------------------------------------------------------------===//

#include "attnc/Frontend/Frontend.h"

#include <cstddef>
#include <cstdint>
#include <ostream>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string_view source(reinterpret_cast<const char *>(data), size);
  // A stream without a buffer discards everything written to it.
  std::ostream diagnostics(nullptr);
  attnc::parseAndCheck("fuzz.attn", source, attnc::FrontendOptions(), diagnostics);
  return 0;
}
