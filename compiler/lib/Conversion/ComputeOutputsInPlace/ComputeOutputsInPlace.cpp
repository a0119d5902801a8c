//===- ComputeOutputsInPlace.cpp - Outputs as their producers' destinations -===//
//
// `output y[...] = x * gate` lowers to a linalg.generic into a tensor.empty,
// then a materialize_in_destination into y's memref: bufferised as it is, the
// generic fills a temporary as large as y and a copy moves it, one more pass
// over the output's memory. Giving the generic y itself as its destination
// removes both.
//
//===----------------------------------------------------------------------===//

#include "attnc/Conversion/Passes.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Interfaces/DestinationStyleOpInterface.h"

namespace attnc {
#define GEN_PASS_DEF_COMPUTEOUTPUTSINPLACE
#include "attnc/Conversion/Passes.h.inc"
} // namespace attnc

using namespace mlir;

namespace {

struct ComputeOutputsInPlacePass
    : attnc::impl::ComputeOutputsInPlaceBase<ComputeOutputsInPlacePass> {
  void runOnOperation() override {
    getOperation()->walk([](bufferization::MaterializeInDestinationOp store) {
      auto dest = dyn_cast<TypedValue<BaseMemRefType>>(store.getDest());
      auto result = dyn_cast<OpResult>(store.getSource());
      if (!dest || !store.getRestrict() || !store.getWritable() || !result)
        return;
      auto producer = dyn_cast<DestinationStyleOpInterface>(result.getOwner());
      if (!producer)
        return;
      // Only a destination whose values are not read (tensor.empty); the
      // output memref is an argument of the function, so it dominates.
      OpOperand *init = producer.getTiedOpOperand(result);
      if (!init->get().getDefiningOp<tensor::EmptyOp>() ||
          !isa<BlockArgument>(dest) ||
          init->get().getType() != store.getSource().getType())
        return;
      OpBuilder b(producer);
      auto output = b.create<bufferization::ToTensorOp>(
          store.getLoc(), store.getSource().getType(), dest, /*restrict=*/true,
          /*writable=*/true);
      init->set(output);
    });
  }
};

} // namespace
