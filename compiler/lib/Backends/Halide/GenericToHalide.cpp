//===- GenericToHalide.cpp - A linalg.generic as a Halide pipeline --------===//
//
// An element-wise linalg.generic on buffers (every loop parallel, the output
// written through the identity map, the inputs read through projections of
// the loops, such as broadcasts and transposes) becomes one Func:
//   out(d[n-1], ..., d0) = body(in_k(...))
// Halide orders dimensions innermost first, the reverse of a memref's. Float
// semantics are the MLIR ops': strict_float keeps Halide from reassociating
// or contracting, and maximumf/minimumf keep propagating NaN. The pointwise
// schedule template vectorises the innermost loop at the target's width
// (the tail under a guard, so any extent works) and runs the fused outer
// loops in parallel on the runtime's threads.
//
// A comprehension is a generic whose body computes where it reads:
// linalg.index gives the loop indices, memref.load reads a buffer at indices
// computed from them, an scf.for nest carrying one value is a reduction (a
// Func with an update over a reduction domain), an scf.if a select (whose
// loads are clamped into their buffer, as select evaluates both sides).
// Index arithmetic is 32-bit; the runtime refuses such a pipeline a buffer
// of 2^31 elements or more.
//
//===----------------------------------------------------------------------===//

#include "IRFacts.h"

#include "attnc/Backends/Halide/Pipelines.h"

#include "Halide.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/AffineExpr.h"
#include "mlir/IR/BuiltinTypes.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallBitVector.h"
#include "llvm/ADT/StringMap.h"

#include <limits>
#include <optional>
#include <variant>

using namespace mlir;

namespace attnc::halide {

namespace {

Halide::Expr floatImm(float v) { return Halide::Internal::FloatImm::make(Halide::Float(32), v); }

/// Halide's exp and log are polynomials after a range reduction that breaks
/// down outside the finite normal floats (exp(inf) and exp(NaN) give 0,
/// log(inf) 88.7, log of a subnormal is off by its missing exponent bits):
/// these give what the C library gives there.
Halide::Expr exactExp(const Halide::Expr &x) {
  const float inf = std::numeric_limits<float>::infinity();
  // Beyond ln(FLT_MAX) = 88.72 exp overflows; below -104 it is below half
  // the smallest subnormal.
  return Halide::select(Halide::is_nan(x), x, x > 88.75f, floatImm(inf), x < -104.0f,
                        floatImm(0.0f), Halide::exp(x));
}

Halide::Expr exactLog(const Halide::Expr &x) {
  const float inf = std::numeric_limits<float>::infinity();
  const float smallestNormal = std::numeric_limits<float>::min();
  // A subnormal times 2^24 is normal: log(x) = log(x * 2^24) - 24 ln 2.
  Halide::Expr scaled = Halide::select(x < smallestNormal, x * 16777216.0f, x);
  Halide::Expr shift = Halide::select(x < smallestNormal, 16.635532333438686f, 0.0f);
  return Halide::select(Halide::is_nan(x) || x < 0.0f,
                        floatImm(std::numeric_limits<float>::quiet_NaN()), x == 0.0f,
                        floatImm(-inf), x == inf, floatImm(inf), Halide::log(scaled) - shift);
}

/// Halide's tanh is the C library's, called element by element (not
/// vectorised). Below |x| = 0.4 its Taylor series to x^13 (the next
/// term is under 1e-9 there); above, (1 - e) / (1 + e) with e = exp(-2|x|),
/// where 1 - e loses at most a bit. NaN stays NaN, +-inf gives +-1.
Halide::Expr fastTanh(const Halide::Expr &x) {
  Halide::Expr a = Halide::abs(x);
  Halide::Expr x2 = x * x;
  Halide::Expr series =
      x + x * x2 *
              (-1.0f / 3 +
               x2 * (2.0f / 15 +
                     x2 * (-17.0f / 315 +
                           x2 * (62.0f / 2835 + x2 * (-1382.0f / 155925 +
                                                       x2 * (21844.0f / 6081075))))));
  Halide::Expr e = exactExp(-2.0f * a);
  Halide::Expr large = (1.0f - e) / (1.0f + e);
  return Halide::select(a < 0.4f, series, Halide::select(x < 0.0f, -large, large));
}

/// The ordered/unordered comparison `pred` of a and b, NaN-aware.
Halide::Expr compare(arith::CmpFPredicate pred, const Halide::Expr &a, const Halide::Expr &b) {
  using P = arith::CmpFPredicate;
  Halide::Expr ordered = !Halide::is_nan(a) && !Halide::is_nan(b);
  switch (pred) {
  case P::AlwaysFalse: return Halide::Expr(false);
  case P::AlwaysTrue: return Halide::Expr(true);
  case P::OEQ: return ordered && a == b;
  case P::OGT: return ordered && a > b;
  case P::OGE: return ordered && a >= b;
  case P::OLT: return ordered && a < b;
  case P::OLE: return ordered && a <= b;
  case P::ONE: return ordered && a != b;
  case P::ORD: return ordered;
  case P::UEQ: return !ordered || a == b;
  case P::UGT: return !ordered || a > b;
  case P::UGE: return !ordered || a >= b;
  case P::ULT: return !ordered || a < b;
  case P::ULE: return !ordered || a <= b;
  case P::UNE: return !ordered || a != b;
  case P::UNO: return !ordered;
  }
  return Halide::Expr(false);
}

/// The Funcs of one region: an ImageParam per input buffer, a Param per
/// scalar, a Func per loop nest (the latest one written to a buffer stands
/// for its contents). Outputs, reductions and the Funcs read other than
/// element for element (broadcast, shifted, gathered) are computed whole,
/// scheduled by the pointwise template; the rest are inlined where read.
struct Pipeline {
  /// The inputs, then the scalars (Halide appends the outputs).
  std::vector<Halide::Argument> arguments;
  std::vector<Halide::Func> outputs;

  Pipeline(const PipelineRegion &region, llvm::StringRef name, const PipelineTarget &target);

private:
  friend class Body;

  /// What each buffer holds at this point of the region.
  llvm::DenseMap<Value, Halide::Func> contents;
  /// The region's input buffers.
  llvm::DenseMap<Value, Halide::ImageParam> params;
  /// The region's scalars, as Halide computes with them.
  llvm::DenseMap<Value, Halide::Expr> scalars;
  /// The Funcs computed whole, in the order they are found.
  std::vector<Halide::Func> whole;
  /// The buffer each Func (by name) stands for.
  llvm::StringMap<Value> bufferOf;
  /// The reductions of comprehensions, each with the Func that reads it.
  std::vector<std::pair<Halide::Func, Halide::Func>> loopReductions;
  /// The partial results of row reductions (Body::acrossLanes).
  struct LaneReduction {
    Halide::Func partial;  // over (lane, the user's pure Vars)
    Halide::RDom vectors;  // the domain of its whole vectors
    Halide::Func user;
  };
  std::vector<LaneReduction> laneReductions;
  int64_t vectorWidth;

  Halide::Func define(linalg::GenericOp op, const std::string &name);
  Halide::Func define(linalg::FillOp op, const std::string &name);
  /// `buffer` read through `map` at `loops` (outermost first).
  Halide::Expr readAt(Value buffer, AffineMap map, const std::vector<Halide::Expr> &loops);
  /// The extent of memref dimension `dim` of `buffer`.
  Halide::Expr extentOf(Value buffer, unsigned dim);
  /// Computes what `buffer` holds whole, unless it is an input.
  void computeWhole(Value buffer);
  /// What `buffer` holds, extended beyond its bounds by its edges and
  /// computed whole over what its readers need.
  Halide::Func clampedCopy(Value buffer);
  /// The clamped copies made, by the name of the Func each copies.
  llvm::StringMap<Halide::Func> copies;
  void schedule();
};

/// Halide's form of `v`, a value defined outside every generic: a constant
/// or one of the region's scalars.
Halide::Expr outsideValue(Value v, const llvm::DenseMap<Value, Halide::Expr> &scalars) {
  if (std::optional<float> f = outsideConstant(v))
    return floatImm(*f);
  if (std::optional<int64_t> n = integerConstant(v))
    return v.getType().isInteger(1) ? Halide::Expr(*n != 0) : Halide::Expr(static_cast<int>(*n));
  return scalars.lookup(v);
}

/// An i1 as the integer sext (-1) or zext (1) makes of it; other values as
/// they are.
Halide::Expr asInteger(const Halide::Expr &e, bool signExtend) {
  if (!e.type().is_bool())
    return e;
  return Halide::select(e, signExtend ? -1 : 1, 0);
}

/// An extent as the IR states it: a constant, or the value an allocation
/// was sized with.
using KnownExtent = std::variant<int64_t, Value>;

std::optional<KnownExtent> extentInIR(Value buffer, unsigned dim) {
  auto type = cast<MemRefType>(buffer.getType());
  if (!type.isDynamicDim(dim))
    return KnownExtent(type.getDimSize(dim));
  if (auto alloc = buffer.getDefiningOp<memref::AllocOp>())
    return KnownExtent(alloc.getDynamicSizes()[type.getDynamicDimIndex(dim)]);
  return std::nullopt;
}

KnownExtent extentOfValue(Value v) {
  if (std::optional<int64_t> n = integerConstant(v))
    return *n;
  return v;
}

/// The body of one generic in Halide: its values over the generic's loops.
class Body {
public:
  Body(Pipeline &pipeline, linalg::GenericOp op, std::vector<Halide::Var> pure,
       std::vector<Halide::Expr> loops, std::string name)
      : pipeline(pipeline), op(op), pure(std::move(pure)), loops(std::move(loops)),
        name(std::move(name)) {}

  llvm::DenseMap<Value, Halide::Expr> values;
  /// The Funcs of the scf.for reductions met.
  std::vector<Halide::Func> reductions;
  /// The partial results of the row reductions among them (over the lane,
  /// then the pure Vars), each with the domain of its whole vectors.
  std::vector<std::pair<Halide::Func, Halide::RDom>> partials;

  Halide::Expr value(Value v) {
    auto found = values.find(v);
    return found != values.end() ? found->second : outsideValue(v, pipeline.scalars);
  }

  /// Translates every op of `block` but its terminator.
  void run(Block &block) {
    for (Operation &op : block.without_terminator()) {
      if (auto index = dyn_cast<linalg::IndexOp>(op))
        values[index] = loops[index.getDim()];
      else if (auto load = dyn_cast<memref::LoadOp>(op))
        values[load] = this->load(load);
      else if (auto dim = dyn_cast<memref::DimOp>(op))
        values[dim] = pipeline.extentOf(dim.getSource(),
                                        static_cast<unsigned>(*integerConstant(dim.getIndex())));
      else if (auto loop = dyn_cast<scf::ForOp>(op))
        values[loop.getResult(0)] = loopNest(loop);
      else if (auto branch = dyn_cast<scf::IfOp>(op))
        conditional(branch);
      else
        values[op.getResult(0)] = scalar(op);
    }
  }

private:
  Pipeline &pipeline;
  linalg::GenericOp op;
  std::vector<Halide::Var> pure;   // the generic's parallel loops, innermost first
  std::vector<Halide::Expr> loops; // every loop, outermost first
  std::string name;
  int conditionalDepth = 0;

  Halide::Expr load(memref::LoadOp load) {
    Value buffer = load.getMemRef();
    ValueRange indices = load.getIndices();
    // Inside a conditional a load may be out of bounds where its value is
    // not taken (zero padding); Halide evaluates it anyway, so an index not
    // known to stay inside is clamped. A read shifted along the innermost
    // axis reads a copy clamped at the edges instead, which it can read as
    // dense vectors.
    auto mayLeave = [&](unsigned d) {
      std::optional<KnownExtent> extent = extentInIR(buffer, d);
      return conditionalDepth > 0 && !(extent && isIndexBelow(indices[d], *extent));
    };
    bool padded = !indices.empty() && mayLeave(indices.size() - 1) &&
                  !indices.back().getDefiningOp<linalg::IndexOp>();
    std::vector<Halide::Expr> at;
    llvm::SmallBitVector seen(loops.size());
    bool elementwise = indices.size() == loops.size();
    for (unsigned d = indices.size(); d-- > 0;) {
      Halide::Expr i = value(indices[d]);
      if (!padded && mayLeave(d))
        i = Halide::clamp(i, 0, pipeline.extentOf(buffer, d) - 1);
      at.push_back(i);
      auto loop = indices[d].getDefiningOp<linalg::IndexOp>();
      elementwise = elementwise && loop && !seen.test(loop.getDim());
      if (loop)
        seen.set(loop.getDim());
    }
    if (!elementwise)
      pipeline.computeWhole(buffer);
    return (padded ? pipeline.clampedCopy(buffer) : pipeline.contents.lookup(buffer))(at);
  }

  /// A chain of scf.for carrying one value: a Func over the generic's
  /// parallel loops that starts from the value and updates it over a
  /// reduction domain (the innermost loop innermost, as MLIR runs it).
  Halide::Expr loopNest(scf::ForOp outer) {
    SmallVector<scf::ForOp> nest = loopChain(outer);
    std::vector<Halide::Range> ranges;
    std::vector<Halide::Expr> lower, steps;
    for (scf::ForOp loop : nest) {
      Halide::Expr lb = value(loop.getLowerBound()), ub = value(loop.getUpperBound());
      Halide::Expr step = value(loop.getStep());
      lower.push_back(lb);
      steps.push_back(step);
      ranges.insert(ranges.begin(),
                    Halide::Range(0, Halide::max(0, (ub - lb + step - 1) / step)));
    }
    std::string id = name + "_loop" + std::to_string(reductions.size());
    if (Operation *combine = reorderableCombine(nest))
      return acrossLanes(nest, ranges, lower, steps, combine, id);
    Halide::RDom r(ranges, id + "_r");
    for (auto [k, loop] : llvm::enumerate(nest))
      values[loop.getInductionVar()] =
          lower[k] + r[static_cast<int>(nest.size() - 1 - k)] * steps[k];
    Halide::Func f(id);
    f(pure) = value(outer.getInitArgs()[0]);
    Block *body = nest.back().getBody();
    values[nest.back().getRegionIterArgs()[0]] = f(pure);
    run(*body);
    f(pure) = value(body->getTerminator()->getOperand(0));
    reductions.push_back(f);
    return f(pure);
  }

  /// The op that folds each step into the value a loop nest carries, when
  /// the steps may be folded in any order (a sum that allows reassociation,
  /// a maximum, a minimum) and the innermost loop walks the innermost axis
  /// of a buffer it loads from: a row reduction, which acrossLanes runs in
  /// vectors along that axis. Null otherwise.
  Operation *reorderableCombine(MutableArrayRef<scf::ForOp> nest) {
    scf::ForOp inner = nest.back();
    Block *body = inner.getBody();
    Value carried = inner.getRegionIterArgs()[0];
    Operation *combine = body->getTerminator()->getOperand(0).getDefiningOp();
    if (!combine || combine->getBlock() != body || !carried.hasOneUse() ||
        !llvm::is_contained(combine->getOperands(), carried) || integerConstant(inner.getStep()) != 1)
      return nullptr;
    auto add = dyn_cast<arith::AddFOp>(combine);
    bool reorderable = (add && arith::bitEnumContainsAll(add.getFastmath(),
                                                         arith::FastMathFlags::reassoc)) ||
                       isa<arith::MaximumFOp, arith::MinimumFOp>(combine);
    // Some load walks its innermost axis with the loop, none with the
    // vectors of the generic's output (a stencil, read densely as it is).
    bool alongRows = false, alongOutput = false;
    body->walk([&](memref::LoadOp load) {
      if (load.getIndices().empty())
        return;
      Value last = load.getIndices().back();
      alongRows |= last == inner.getInductionVar();
      alongOutput |= dependsOnIndex(last, op.getNumLoops() - 1);
    });
    return reorderable && alongRows && !alongOutput ? combine : nullptr;
  }

  /// Whether `v` is computed from the index of loop `dim` of the generic.
  bool dependsOnIndex(Value v, unsigned dim) {
    Operation *def = v.getDefiningOp();
    if (!def || !op.getRegion().isAncestor(def->getParentRegion()))
      return false;
    if (auto index = dyn_cast<linalg::IndexOp>(def))
      return index.getDim() == dim;
    return llvm::any_of(def->getOperands(), [&](Value o) { return dependsOnIndex(o, dim); });
  }

  /// A row reduction in vectors: lane l of a partial result folds the steps
  /// l, l + L, l + 2L, ... of the innermost loop (L the vector width; the
  /// last steps, fewer than L, go to the first lanes), then the result folds
  /// the lanes, after the value the nest starts from.
  Halide::Expr acrossLanes(MutableArrayRef<scf::ForOp> nest, std::vector<Halide::Range> ranges,
                           const std::vector<Halide::Expr> &lower,
                           const std::vector<Halide::Expr> &steps, Operation *combine,
                           const std::string &id) {
    const int width = static_cast<int>(pipeline.vectorWidth);
    Block *body = nest.back().getBody();
    Value carried = nest.back().getRegionIterArgs()[0];
    Value step = combine->getOperand(0) == carried ? combine->getOperand(1)
                                                   : combine->getOperand(0);
    const float inf = std::numeric_limits<float>::infinity();
    Halide::Expr identity = isa<arith::AddFOp>(combine) ? floatImm(0.0f)
                            : isa<arith::MaximumFOp>(combine) ? floatImm(-inf)
                                                              : floatImm(inf);
    Halide::Var lane(id + "_lane");
    std::vector<Halide::Var> partialArgs{lane};
    partialArgs.insert(partialArgs.end(), pure.begin(), pure.end());
    Halide::Func partial(id + "_lanes");
    partial(partialArgs) = identity;
    // The steps of the outer loops, from their dimensions of `domain`
    // (which lists the innermost loop first, as `ranges` does).
    auto bindOuter = [&](const Halide::RDom &domain) {
      for (size_t k = 0; k + 1 < nest.size(); ++k)
        values[nest[k].getInductionVar()] =
            lower[k] + domain[static_cast<int>(nest.size() - 1 - k)] * steps[k];
    };
    Halide::Expr extent = ranges.front().extent, whole = extent / width;
    // Whole vectors: step v * L + l goes to lane l.
    ranges.front() = Halide::Range(0, whole);
    Halide::RDom vectors(ranges, id + "_v");
    bindOuter(vectors);
    values[nest.back().getInductionVar()] = lower.back() + vectors[0] * width + lane;
    values[carried] = partial(partialArgs);
    run(*body);
    partial(partialArgs) = value(body->getTerminator()->getOperand(0));
    // The tail: step whole * L + t goes to lane t.
    ranges.front() = Halide::Range(0, extent - whole * width);
    Halide::RDom tail(ranges, id + "_t");
    bindOuter(tail);
    // (The min never binds; it tells Halide's bounds inference, which
    // would bound whole * L and the tail's length apart, where the row ends.)
    values[nest.back().getInductionVar()] =
        lower.back() + Halide::min(whole * width + tail[0], extent - 1);
    std::vector<Halide::Expr> tailArgs{tail[0]};
    tailArgs.insert(tailArgs.end(), pure.begin(), pure.end());
    values[carried] = partial(tailArgs);
    run(*body);
    partial(tailArgs) = value(body->getTerminator()->getOperand(0));
    // The lanes, folded in order after the start.
    Halide::RDom lanes(0, width, id + "_l");
    std::vector<Halide::Expr> laneArgs{lanes.x};
    laneArgs.insert(laneArgs.end(), pure.begin(), pure.end());
    Halide::Func f(id);
    f(pure) = value(nest.front().getInitArgs()[0]);
    values[carried] = f(pure);
    values[step] = partial(laneArgs);
    f(pure) = scalar(*combine);
    partials.emplace_back(partial, vectors);
    reductions.push_back(f);
    return f(pure);
  }

  /// scf.if: a select of what each side yields.
  void conditional(scf::IfOp branch) {
    Halide::Expr condition = value(branch.getCondition());
    ++conditionalDepth;
    run(*branch.thenBlock());
    run(*branch.elseBlock());
    --conditionalDepth;
    for (auto [i, result] : llvm::enumerate(branch.getResults()))
      values[result] = Halide::select(condition, value(branch.thenYield().getOperand(i)),
                                      value(branch.elseYield().getOperand(i)));
  }

  /// Whether `v` is the index of a loop of the generic that runs over
  /// [0, extent) (its output's extent there is `extent`).
  bool isIndexBelow(Value v, const KnownExtent &extent) {
    auto index = v.getDefiningOp<linalg::IndexOp>();
    if (!index || op.getNumReductionLoops() > 0)
      return false;
    std::optional<KnownExtent> loop = extentInIR(op.getDpsInitOperand(0)->get(), index.getDim());
    return loop && *loop == extent;
  }

  /// A row-major linearised index split back at `extent`: `flat` =
  /// q * extent + i with i a loop index below extent gives {q, i}, the
  /// quotient and remainder of flat by extent, without dividing (a
  /// reshape's indices, which Halide then reads as dense vectors).
  std::optional<std::pair<Value, Value>> splitAt(Value flat, Value extent) {
    auto add = flat.getDefiningOp<arith::AddIOp>();
    if (!add)
      return std::nullopt;
    for (auto [product, rest] : {std::pair(add.getLhs(), add.getRhs()),
                                 std::pair(add.getRhs(), add.getLhs())}) {
      auto mul = product.getDefiningOp<arith::MulIOp>();
      if (!mul || !isIndexBelow(rest, extentOfValue(extent)))
        continue;
      if (mul.getRhs() == extent)
        return std::pair(mul.getLhs(), rest);
      if (mul.getLhs() == extent)
        return std::pair(mul.getRhs(), rest);
    }
    return std::nullopt;
  }

  Halide::Expr scalar(Operation &op);
};

Halide::Expr Body::scalar(Operation &op) {
  auto arg = [&](unsigned i) { return value(op.getOperand(i)); };
  if (isa<arith::ConstantOp>(op))
    return outsideValue(op.getResult(0), pipeline.scalars);
  if (isa<arith::AddFOp, arith::AddIOp>(op)) return arg(0) + arg(1);
  if (isa<arith::SubFOp, arith::SubIOp>(op)) return arg(0) - arg(1);
  if (isa<arith::MulFOp, arith::MulIOp>(op)) return arg(0) * arg(1);
  if (isa<arith::DivFOp>(op)) return arg(0) / arg(1);
  if (isa<arith::NegFOp>(op)) return -arg(0);
  if (isa<arith::MaximumFOp, arith::MinimumFOp>(op)) {
    Halide::Expr a = arg(0), b = arg(1);
    Halide::Expr m = isa<arith::MaximumFOp>(op) ? Halide::max(a, b) : Halide::min(a, b);
    return Halide::select(Halide::is_nan(a), a, Halide::select(Halide::is_nan(b), b, m));
  }
  if (auto c = dyn_cast<arith::CmpFOp>(op)) return compare(c.getPredicate(), arg(0), arg(1));
  if (isa<arith::SelectOp>(op)) return Halide::select(arg(0), arg(1), arg(2));
  if (isa<math::ExpOp>(op)) return exactExp(arg(0));
  if (isa<math::LogOp>(op)) return exactLog(arg(0));
  if (isa<math::TanhOp>(op)) return fastTanh(arg(0));
  if (isa<math::SqrtOp>(op)) return Halide::sqrt(arg(0));
  if (isa<math::RsqrtOp>(op)) return 1.0f / Halide::sqrt(arg(0));
  if (isa<math::AbsFOp>(op)) return Halide::abs(arg(0));
  if (isa<math::FloorOp>(op)) return Halide::floor(arg(0));
  if (isa<math::CeilOp>(op)) return Halide::ceil(arg(0));
  if (isa<math::FmaOp>(op)) return arg(0) * arg(1) + arg(2);
  // Integers. Halide's / and % are Euclidean: the unsigned forms' operands
  // are indices, never negative.
  if (isa<arith::DivSIOp>(op)) return Halide::div_round_to_zero(arg(0), arg(1));
  if (isa<arith::RemSIOp>(op)) return Halide::mod_round_to_zero(arg(0), arg(1));
  if (isa<arith::DivUIOp, arith::RemUIOp>(op)) {
    if (auto split = splitAt(op.getOperand(0), op.getOperand(1)))
      return value(isa<arith::DivUIOp>(op) ? split->first : split->second);
    return isa<arith::DivUIOp>(op) ? arg(0) / arg(1) : arg(0) % arg(1);
  }
  auto floorDiv = [](const Halide::Expr &a, const Halide::Expr &b) {
    // Euclidean and floored quotients differ when b < 0 and b does not divide a.
    Halide::Expr q = a / b;
    return Halide::select(b < 0 && a % b != 0, q - 1, q);
  };
  if (isa<arith::FloorDivSIOp>(op)) return floorDiv(arg(0), arg(1));
  if (isa<arith::CeilDivSIOp>(op)) return -floorDiv(-arg(0), arg(1));
  if (isa<arith::MinSIOp, arith::MinUIOp>(op)) return Halide::min(arg(0), arg(1));
  if (isa<arith::MaxSIOp, arith::MaxUIOp>(op)) return Halide::max(arg(0), arg(1));
  bool isBool = op.getResult(0).getType().isInteger(1);
  if (isa<arith::AndIOp>(op)) return isBool ? arg(0) && arg(1) : arg(0) & arg(1);
  if (isa<arith::OrIOp>(op)) return isBool ? arg(0) || arg(1) : arg(0) | arg(1);
  if (isa<arith::XOrIOp>(op)) return isBool ? arg(0) != arg(1) : arg(0) ^ arg(1);
  if (auto c = dyn_cast<arith::CmpIOp>(op)) {
    using P = arith::CmpIPredicate;
    Halide::Expr a = asInteger(arg(0), true), b = asInteger(arg(1), true);
    // Unsigned: a negative index compares above every extent.
    Halide::Expr ua = Halide::reinterpret(Halide::UInt(32), a);
    Halide::Expr ub = Halide::reinterpret(Halide::UInt(32), b);
    switch (c.getPredicate()) {
    case P::eq: return a == b;
    case P::ne: return a != b;
    case P::slt: return a < b;
    case P::sle: return a <= b;
    case P::sgt: return a > b;
    case P::sge: return a >= b;
    case P::ult: return ua < ub;
    case P::ule: return ua <= ub;
    case P::ugt: return ua > ub;
    case P::uge: return ua >= ub;
    }
  }
  if (isa<arith::ExtUIOp>(op)) return asInteger(arg(0), false);
  if (isa<arith::IndexCastOp, arith::IndexCastUIOp, arith::ExtSIOp>(op))
    return asInteger(arg(0), !isa<arith::IndexCastUIOp>(op));
  if (isa<arith::TruncIOp>(op))
    return isBool ? (asInteger(arg(0), false) & 1) == 1 : arg(0);
  if (isa<arith::SIToFPOp, arith::UIToFPOp>(op))
    return Halide::cast<float>(asInteger(arg(0), isa<arith::SIToFPOp>(op)));
  if (isa<arith::FPToSIOp>(op))
    return isBool ? arg(0) != 0.0f : Halide::cast<int>(arg(0));
  llvm_unreachable("whyNotAPipeline admits only the ops above");
}

Halide::Expr Pipeline::readAt(Value buffer, AffineMap map, const std::vector<Halide::Expr> &loops) {
  // A read other than element for element reads some elements many times.
  if (!map.isPermutation())
    computeWhole(buffer);
  std::vector<Halide::Expr> at;
  for (AffineExpr e : llvm::reverse(map.getResults())) {
    if (auto d = dyn_cast<AffineDimExpr>(e))
      at.push_back(loops[d.getPosition()]);
    else
      at.push_back(Halide::Expr(static_cast<int>(cast<AffineConstantExpr>(e).getValue())));
  }
  return contents.lookup(buffer)(at);
}

Halide::Expr Pipeline::extentOf(Value buffer, unsigned dim) {
  auto type = cast<MemRefType>(buffer.getType());
  if (!type.isDynamicDim(dim))
    return Halide::Expr(static_cast<int>(type.getDimSize(dim)));
  if (auto param = params.find(buffer); param != params.end())
    return param->second.dim(static_cast<int>(type.getRank() - 1 - dim)).extent();
  // scalarsUsed lists the sizes of the allocations a nest writes, its body
  // loads from, or that give the extents of its reduction loops.
  auto alloc = buffer.getDefiningOp<memref::AllocOp>();
  return outsideValue(alloc.getDynamicSizes()[type.getDynamicDimIndex(dim)], scalars);
}

void Pipeline::computeWhole(Value buffer) {
  if (params.count(buffer))
    return;
  Halide::Func f = contents.lookup(buffer);
  if (llvm::none_of(whole, [&](const Halide::Func &w) { return w.name() == f.name(); }))
    whole.push_back(f);
}

Halide::Func Pipeline::clampedCopy(Value buffer) {
  Halide::Func source = contents.lookup(buffer);
  auto found = copies.find(source.name());
  if (found != copies.end())
    return found->second;
  auto type = cast<MemRefType>(buffer.getType());
  std::vector<Halide::Var> at;
  std::vector<Halide::Expr> inside;
  for (int64_t d = type.getRank(); d-- > 0;) {
    at.emplace_back("d" + std::to_string(d));
    inside.push_back(Halide::clamp(at.back(), 0, extentOf(buffer, static_cast<unsigned>(d)) - 1));
  }
  Halide::Func copy(source.name() + "_clamped");
  copy(at) = source(inside);
  copies[source.name()] = copy;
  bufferOf[copy.name()] = buffer;
  whole.push_back(copy);
  return copy;
}

Halide::Func Pipeline::define(linalg::GenericOp op, const std::string &name) {
  // A Var per parallel loop, a dimension of one reduction domain per
  // reduction loop (innermost first in the domain, as Halide counts).
  SmallVector<unsigned> reductionLoops;
  op.getReductionDims(reductionLoops);
  std::vector<Halide::Range> ranges;
  for (size_t i = reductionLoops.size(); i-- > 0;) {
    // The extent of the first input read along the loop
    // (reductionExtentSources).
    AffineExpr dim = getAffineDimExpr(reductionLoops[i], op.getContext());
    for (OpOperand *input : op.getDpsInputOperands()) {
      AffineMap map = op.getMatchingIndexingMap(input);
      if (std::optional<unsigned> result = map.getResultPosition(dim)) {
        ranges.emplace_back(0, extentOf(input->get(), *result));
        break;
      }
    }
  }
  Halide::RDom domain;
  if (!ranges.empty())
    domain = Halide::RDom(ranges, name + "_r");
  std::vector<Halide::Expr> loops;
  std::vector<Halide::Var> pure;
  for (unsigned d = 0; d < op.getNumLoops(); ++d) {
    if (auto *it = llvm::find(reductionLoops, d); it != reductionLoops.end()) {
      loops.push_back(domain[static_cast<int>(reductionLoops.end() - it - 1)]);
    } else {
      pure.emplace_back("d" + std::to_string(d));
      loops.push_back(pure.back());
    }
  }
  std::reverse(pure.begin(), pure.end());  // Halide's order, innermost first

  Block &block = op.getRegion().front();
  Halide::Func f(name);
  OpOperand *out = op.getDpsInitOperand(0);
  Body body(*this, op, pure, loops, name);
  if (!reductionLoops.empty()) {
    // The output's contents before the loop nest are where each sum starts.
    f(pure) = readAt(out->get(), op.getMatchingIndexingMap(out), loops);
    body.values[block.getArgument(op.getNumDpsInputs())] = f(pure);
  }
  for (auto [k, input] : llvm::enumerate(op.getDpsInputOperands()))
    body.values[block.getArgument(k)] =
        readAt(input->get(), op.getMatchingIndexingMap(input), loops);
  body.run(block);
  f(pure) = body.value(block.getTerminator()->getOperand(0));
  if (!reductionLoops.empty() || !body.reductions.empty())
    whole.push_back(f);
  for (Halide::Func r : body.reductions)
    loopReductions.emplace_back(r, f);
  for (auto &[partial, vectors] : body.partials)
    laneReductions.push_back({partial, vectors, f});
  return f;
}

Halide::Func Pipeline::define(linalg::FillOp op, const std::string &name) {
  auto type = cast<MemRefType>(op.getDpsInitOperand(0)->get().getType());
  std::vector<Halide::Var> at;
  for (int64_t d = 0; d < type.getRank(); ++d)
    at.emplace_back("d" + std::to_string(type.getRank() - 1 - d));
  Halide::Func f(name);
  f(at) = floatImm(*outsideConstant(op.getInputs()[0]));
  return f;
}

Pipeline::Pipeline(const PipelineRegion &region, llvm::StringRef name,
                   const PipelineTarget &target)
    : vectorWidth(target.vectorWidth) {
  for (auto [k, buffer] : llvm::enumerate(region.inputs)) {
    auto type = cast<MemRefType>(buffer.getType());
    Halide::ImageParam param(Halide::Float(32), static_cast<int>(type.getRank()),
                             "in" + std::to_string(k));
    arguments.push_back(param);
    contents[buffer] = param;
    params[buffer] = param;
  }
  for (auto [k, v] : llvm::enumerate(region.scalars)) {
    std::string paramName = "s" + std::to_string(k);
    if (v.getType().isF32()) {
      Halide::Param<float> param(paramName);
      arguments.push_back(param);
      scalars[v] = param;
    } else {
      // Every integer travels as 64 bits and is computed with as 32.
      Halide::Param<int64_t> param(paramName);
      arguments.push_back(param);
      scalars[v] = v.getType().isInteger(1) ? Halide::Expr(param != 0)
                                            : Halide::cast<int32_t>(param);
    }
  }
  for (auto [i, op] : llvm::enumerate(region.ops)) {
    std::string funcName = name.str() + "_f" + std::to_string(i);
    Value written = cast<DestinationStyleOpInterface>(op).getDpsInitOperand(0)->get();
    if (auto fill = dyn_cast<linalg::FillOp>(op))
      contents[written] = define(fill, funcName);
    else
      contents[written] = define(cast<linalg::GenericOp>(op), funcName);
    // (Halide names a Func apart when its name is taken.)
    bufferOf[contents[written].name()] = written;
  }
  for (Value buffer : region.outputs)
    outputs.push_back(contents.lookup(buffer));
  schedule();
}

/// The pointwise template on one stage of `f`: the innermost pure loop split
/// into vectors (the tail guarded), innermost of all, then the reduction
/// loops, then the other pure loops fused into one loop whose rows run in
/// parallel, `rowsPerTask` to a task.
template <typename Stage>
void scheduleStage(Stage stage, const std::vector<Halide::Var> &pure,
                   const std::vector<Halide::RVar> &reduction, int64_t vectorWidth,
                   const Halide::Expr &rowsPerTask) {
  if (pure.empty())
    return;
  Halide::Var inner = pure.front(), vectors(inner.name() + "_v"), rest(inner.name() + "_o");
  stage.split(inner, rest, vectors, static_cast<int>(vectorWidth),
              Halide::TailStrategy::GuardWithIf);
  std::vector<Halide::VarOrRVar> order{vectors};
  order.insert(order.end(), reduction.begin(), reduction.end());
  order.push_back(rest);
  order.insert(order.end(), pure.begin() + 1, pure.end());
  stage.reorder(order);
  stage.vectorize(vectors);
  if (pure.size() < 2)
    return;
  Halide::Var outer = pure.back();
  for (size_t d = pure.size() - 2; d >= 1; --d) {
    Halide::Var fused(outer.name() + "_" + pure[d].name());
    stage.fuse(pure[d], outer, fused);
    outer = fused;
  }
  stage.parallel(outer, rowsPerTask, Halide::TailStrategy::GuardWithIf);
}

/// Rows of a Func of these extents (innermost first) whose elements each
/// cost `work` (1 plus the steps of their reductions) per parallel task:
/// handing out a task costs more than a short row, and waking the runtime's
/// threads more than a small Func, so a task gets about 2^15 steps.
Halide::Expr rowsPerTask(const std::vector<Halide::Expr> &extents, const Halide::Expr &work) {
  constexpr int kStepsPerTask = 1 << 15;
  Halide::Expr elements = Halide::max(1, kStepsPerTask / Halide::max(1, work));
  return Halide::max(1, elements / Halide::max(1, extents[0]));
}

/// The steps of the reductions of `f` per element.
Halide::Expr reductionSteps(Halide::Func f) {
  Halide::Expr steps = 0;
  for (int u = 0; u < f.num_update_definitions(); ++u) {
    Halide::Expr domain = 1;
    for (const Halide::Internal::ReductionVariable &r :
         f.function().update(u).schedule().rvars())
      domain *= r.extent;
    steps += domain;
  }
  return steps;
}

/// The pointwise template on every stage of `f`, whose extents are these;
/// returns the Var of its vectors.
Halide::Var schedulePointwise(Halide::Func f, const std::vector<Halide::Expr> &extents,
                              const Halide::Expr &work, int64_t vectorWidth) {
  std::vector<Halide::Var> pure = f.args();  // innermost first
  Halide::Expr rows = rowsPerTask(extents, work);
  scheduleStage(f, pure, {}, vectorWidth, rows);
  for (int u = 0; u < f.num_update_definitions(); ++u) {
    std::vector<Halide::RVar> reduction = f.rvars(u);
    scheduleStage(f.update(u), pure, reduction, vectorWidth, rows);
  }
  return Halide::Var(pure.front().name() + "_v");
}

void Pipeline::schedule() {
  // Everything computed whole, outputs last: each once.
  std::vector<Halide::Func> scheduled;
  auto isIn = [](const std::vector<Halide::Func> &funcs, const Halide::Func &f) {
    return llvm::any_of(funcs, [&](const Halide::Func &g) { return g.name() == f.name(); });
  };
  for (Halide::Func f : whole)
    if (!isIn(outputs, f))
      f.compute_root();
  for (const std::vector<Halide::Func> *funcs : {&whole, &outputs})
    for (Halide::Func f : *funcs) {
      if (isIn(scheduled, f))
        continue;
      // The extents of what f computes: its output buffer's, or those of
      // the buffer it stands for.
      std::vector<Halide::Expr> extents;
      Value buffer = bufferOf.lookup(f.name());
      for (int d = 0; d < f.dimensions(); ++d)
        extents.push_back(isIn(outputs, f)
                              ? f.output_buffer().dim(d).extent()
                              : extentOf(buffer, static_cast<unsigned>(f.dimensions() - 1 - d)));
      Halide::Expr work = 1 + reductionSteps(f);
      for (auto &[reduction, user] : loopReductions)
        if (user.name() == f.name())
          work += reductionSteps(reduction);
      for (LaneReduction &r : laneReductions)
        if (r.user.name() == f.name())
          work += reductionSteps(r.partial) * static_cast<int>(vectorWidth);
      Halide::Var vectors = schedulePointwise(f, extents, work, vectorWidth);
      scheduled.push_back(f);
      // A comprehension's reductions run per vector of its outputs, a row
      // reduction's whole vectors in vectors along the row.
      for (auto &[reduction, user] : loopReductions)
        if (user.name() == f.name())
          reduction.compute_at(f, vectors);
      for (LaneReduction &r : laneReductions) {
        if (r.user.name() != f.name())
          continue;
        // Outside f's vector loop, so that only the lanes are vectors.
        Halide::Var vectorLoop(f.args().front().name() + "_o");
        std::vector<Halide::Var> args = r.partial.args();  // the lane, then pure Vars
        r.partial.compute_at(f, vectorLoop).vectorize(args.front());
        std::vector<Halide::VarOrRVar> order{args.front()};
        for (int d = 0; d < r.vectors.dimensions(); ++d)
          order.push_back(r.vectors[d]);
        order.insert(order.end(), args.begin() + 1, args.end());
        r.partial.update(0).reorder(order).vectorize(args.front());
        r.partial.update(1).unscheduled();  // the tail, fewer steps than a vector
      }
    }
}

Halide::Target targetOf(const PipelineTarget &target) {
  return Halide::Target(target.halideTarget);
}

} // namespace

bool compilePipeline(const PipelineRegion &region, llvm::StringRef name,
                     const PipelineTarget &target, llvm::StringRef path, std::string &error) {
  try {
    Pipeline p(region, name, target);
    // The object, and the lowered statement beside it (--emit=halide).
    Halide::Pipeline(p.outputs).compile_to(
        {{Halide::OutputFileType::object, path.str()},
         {Halide::OutputFileType::stmt, statementPath(path)}},
        p.arguments, name.str(), targetOf(target));
    return true;
  } catch (const Halide::Error &e) {
    error = e.what();
    return false;
  }
}

} // namespace attnc::halide
