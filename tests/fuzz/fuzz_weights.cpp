//===- fuzz_weights.cpp - libFuzzer target: any bytes as a weights file ---===//
//
// Writes the bytes to a file and opens it with attnc_weights_open, then
// reads every tensor it lists (by index and by the param name rule) and
// loads a small model's params from it. Any outcome is fine (tensors or a
// status with a message) except a crash, a sanitizer report, a hang or
// unbounded memory: weights files come from users (docs/runtime.md).
//
//===----------------------------------------------------------------------===//

#include <attnc/runtime.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <unistd.h>

namespace {

/// model m { dim S, E = 4  param w: f32[E, E], b: bf16[E], pos: f32[S, E], idx: i32[S]
///           output o: f32[S, E] }, encoded as docs/internals/abi.md says.
const int64_t kSignature[] = {
    0x434E5441, 1, 0, 2, 2, -1, 4, 4, // magic, version, name, 2 dims: S symbolic, E = 4
    0, 4, 1,                          // 0 inputs, 4 params, 1 output
    6, 0, 2, 2, 1, 1, 2, 1, 1,        // w: f32[E, E]
    8, 2, 1, 2, 1, 1,                 // b: bf16[E]
    10, 0, 2, 2, 1, 0, 2, 1, 1,       // pos: f32[S, E]
    14, 3, 1, 2, 1, 0,                // idx: i32[S]
    18, 0, 2, 2, 1, 0, 2, 1, 1,       // o: f32[S, E]
    0};                               // no checks
const char kStrings[] = "m\0S\0E\0w\0b\0pos\0idx\0o";

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const std::string path = "/tmp/attnc_fuzz_weights_" + std::to_string(getpid());
  FILE *f = std::fopen(path.c_str(), "wb");
  if (!f)
    return 0;
  std::fwrite(data, 1, size, f);
  std::fclose(f);
  attnc_weights *w = nullptr;
  if (attnc_weights_open(path.c_str(), &w) != ATTNC_OK)
    return 0;
  volatile uint64_t sink = 0;
  for (size_t i = 0; i < attnc_weights_count(w); ++i) {
    const char *name = nullptr;
    attnc_tensor t;
    attnc_status s = attnc_weights_at(w, i, &name, &t);
    std::string underscored = name;
    for (char &c : underscored)
      c = c == '.' ? '_' : c;
    attnc_weights_lookup(w, underscored.c_str(), nullptr, &t);
    if (s == ATTNC_OK) { // touch the first and last byte of the data
      int64_t elements = 1;
      for (int32_t a = 0; a < t.rank; ++a)
        elements *= t.shape[a];
      int64_t bytes = elements * (t.dtype == ATTNC_I64 || t.dtype == ATTNC_F64 ? 8
                                  : t.dtype == ATTNC_F32 || t.dtype == ATTNC_I32 ? 4 : 2);
      if (bytes > 0)
        sink += static_cast<const uint8_t *>(t.data)[0] +
                static_cast<const uint8_t *>(t.data)[bytes - 1];
    }
  }
  const void *params[4] = {};
  attnc_model_load_params(kSignature, kStrings, w, nullptr, params);
  attnc_weights_close(w);
  return 0;
}
