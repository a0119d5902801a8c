//===- ScheduleAttention.cpp - Tile sizes of attn.attention ---------------===//
//
// The schedule of a fused attention is four numbers, recorded on the op as
// an #attn.schedule so that every later dump shows them:
//   block_q       queries per task (a multiple of 2 * vector_width: the
//                 register tile is two vectors of queries wide),
//   block_k       keys per online-softmax step,
//   vector_width  f32 lanes per vector,
//   tile_rows     rows of the register tile of both inner products,
// and, when the model's schedule block has threads(n), `threads`: the most
// threads the kernel's tasks run on (exec.num_threads still caps it).
// Priority: pass options (the command line), then the model's schedule block
// (the function's `attn.schedule`), then the automatic choice.
//
//===----------------------------------------------------------------------===//

#include "attnc/Dialect/Attn/IR/ScheduleRules.h"
#include "attnc/Dialect/Attn/Transforms/Passes.h"

#include <algorithm>

namespace attnc::attn {
#define GEN_PASS_DEF_SCHEDULEATTENTION
#include "attnc/Dialect/Attn/Transforms/Passes.h.inc"
} // namespace attnc::attn

using namespace mlir;
using namespace attnc::attn;

namespace {

/// The first rule `values` break, or "".
std::string firstProblem(std::initializer_list<std::pair<std::string_view, int64_t>> values) {
  for (const auto &[key, value] : values)
    if (std::string problem = schedule::checkValue(key, value); !problem.empty())
      return problem;
  return "";
}

struct ScheduleAttentionPass : attnc::attn::impl::ScheduleAttentionBase<ScheduleAttentionPass> {
  using ScheduleAttentionBase::ScheduleAttentionBase;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    // Options: 0 is automatic; anything else must be valid.
    for (auto [key, option] : {std::pair<std::string_view, int64_t>{schedule::kBlockQ, blockQ},
                               {schedule::kBlockK, blockK},
                               {schedule::kVectorWidth, vectorWidth},
                               {schedule::kTileRows, tileRows}})
      if (option != 0)
        if (std::string problem = schedule::checkValue(key, option); !problem.empty()) {
          func.emitError("attnc-schedule-attention option: ") << problem;
          return signalPassFailure();
        }
    auto fromModel = func->getAttrOfType<ScheduleAttr>(kScheduleAttr);
    auto pick = [&](int64_t option, std::optional<int64_t> (ScheduleAttr::*given)() const,
                    int64_t automatic) -> int64_t {
      if (option > 0)
        return option;
      if (fromModel && (fromModel.*given)())
        return *(fromModel.*given)();
      return automatic;
    };
    WalkResult result = func.walk([&](AttentionOp op) {
      int64_t width = pick(vectorWidth, &ScheduleAttr::getVectorWidth, targetVectorWidth);
      // A register tile of `rows` x 2 vectors of accumulators, plus the two
      // vectors of B and one broadcast of A, must fit in the registers
      // (8 x 2 with AVX-512's 32, 6 x 2 with AVX2's 16); more spills.
      int64_t registersPerVector = std::max<int64_t>(1, width / targetVectorWidth);
      int64_t available = targetVectorRegisters / registersPerVector;
      int64_t rows = pick(tileRows, &ScheduleAttr::getTileRows,
                          std::clamp<int64_t>((available - 3) / 2, 1, 8));
      // 64 queries per task: each task streams its head's keys and values
      // once, so fewer queries per task mean more traffic per FLOP (with
      // AVX2, 32 queries were 12% slower than 64 at S = 4096, D = 128), and
      // more make the half-masked diagonal block of a causal mask dearer.
      // Short sequences (decoding, S = 1) should not pay for a 64-query tile.
      auto type = cast<RankedTensorType>(op.getResult().getType());
      int64_t s = type.getDimSize(type.getRank() - 2);
      int64_t autoQ = std::max<int64_t>(64, 2 * width);
      if (!ShapedType::isDynamic(s) && s <= 2 * width)
        autoQ = 2 * width;
      int64_t q = pick(blockQ, &ScheduleAttr::getBlockQ, autoQ);
      int64_t k = pick(blockK, &ScheduleAttr::getBlockK, 64);
      int64_t threads = pick(0, &ScheduleAttr::getThreads, 0);
      std::string problem = firstProblem({{schedule::kVectorWidth, width},
                                          {schedule::kBlockQ, q},
                                          {schedule::kBlockK, k},
                                          {schedule::kTileRows, rows}});
      if (problem.empty() && threads != 0)
        problem = schedule::checkValue(schedule::kThreads, threads);
      if (problem.empty())
        problem = schedule::checkBlockQ(q, width);
      if (!problem.empty()) {
        op.emitError("schedule: ") << problem;
        return WalkResult::interrupt();
      }
      op.setScheduleAttr(ScheduleAttr::get(op.getContext(), q, k, width, rows,
                                           threads > 0 ? std::optional(threads) : std::nullopt));
      return WalkResult::advance();
    });
    if (result.wasInterrupted())
      signalPassFailure();
  }
};

} // namespace
