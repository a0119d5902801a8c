//===- ScheduleRules.h - Valid values of a fused attention's schedule -----===//
//
// One set of rules for every place a schedule value comes from: the command
// line (--block-q ...), the model's `schedule` block (checked by the
// frontend, at the value), the #attn.schedule attribute (checked by its
// verifier wherever it is built or parsed, so in attnc-opt too), and the
// attnc-schedule-attention pass, which combines them. Plain C++ without MLIR,
// so that the frontend can use it.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNC_DIALECT_ATTN_IR_SCHEDULERULES_H
#define ATTNC_DIALECT_ATTN_IR_SCHEDULERULES_H

#include <cstdint>
#include <string>
#include <string_view>

namespace attnc::attn::schedule {

/// The numbers of a schedule, as the IR spells them and messages name them.
inline constexpr std::string_view kBlockQ = "block_q", kBlockK = "block_k",
                                  kVectorWidth = "vector_width", kTileRows = "tile_rows",
                                  kThreads = "threads";

/// What the lowering assumes for a number a schedule lacks (attnc-opt inputs;
/// attnc-schedule-attention always records all four).
inline constexpr int64_t kDefaultBlockQ = 64, kDefaultBlockK = 64, kDefaultVectorWidth = 16,
                         kDefaultTileRows = 8;

/// What a key means, for messages; nullptr for an unknown key.
inline const char *describe(std::string_view key) {
  if (key == kBlockQ) return "query block";
  if (key == kBlockK) return "key block";
  if (key == kVectorWidth) return "vector width";
  if (key == kTileRows) return "tile rows";
  if (key == kThreads) return "thread count";
  return nullptr;
}

/// Why `value` is not valid for `key`, or "" when it is. Block sizes and
/// thread counts are bounded so that a kernel's stack tiles stay small.
inline std::string checkValue(std::string_view key, int64_t value) {
  const char *what = describe(key);
  if (!what)
    return "unknown schedule key '" + std::string(key) +
           "' (known: block_q, block_k, vector_width, tile_rows, threads)";
  if (key == kVectorWidth)
    return value == 4 || value == 8 || value == 16 || value == 32
               ? ""
               : "vector width " + std::to_string(value) + " is not 4, 8, 16 or 32";
  int64_t max = key == kTileRows ? 16 : key == kThreads ? 4096 : 1024;
  if (value >= 1 && value <= max)
    return "";
  return std::string(what) + " " + std::to_string(value) + " is not in 1.." +
         std::to_string(max);
}

/// Why a query block does not fit a vector width, or "": the register tile
/// is two vectors of queries wide.
inline std::string checkBlockQ(int64_t blockQ, int64_t vectorWidth) {
  if (vectorWidth > 0 && blockQ % (2 * vectorWidth) == 0)
    return "";
  return "query block " + std::to_string(blockQ) + " is not a multiple of " +
         std::to_string(2 * vectorWidth) + " (two vectors of " + std::to_string(vectorWidth) +
         " lanes)";
}

} // namespace attnc::attn::schedule

#endif
