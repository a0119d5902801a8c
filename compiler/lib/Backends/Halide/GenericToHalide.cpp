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
//===----------------------------------------------------------------------===//

#include "attnc/Backends/Halide/Pipelines.h"

#include "Halide.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/AffineExpr.h"
#include "mlir/IR/BuiltinTypes.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/Path.h"

#include <limits>
#include <optional>

using namespace mlir;

namespace attnc::halide {

namespace {

bool isF32Buffer(Value v) {
  auto type = dyn_cast<MemRefType>(v.getType());
  return type && type.getElementType().isF32();
}

/// Whether Pipeline::build below knows `op`.
bool isScalarOpKnown(Operation &op) {
  return isa<arith::ConstantFloatOp, arith::AddFOp, arith::SubFOp, arith::MulFOp, arith::DivFOp,
             arith::NegFOp, arith::MaximumFOp, arith::MinimumFOp, arith::CmpFOp,
             arith::SelectOp, math::ExpOp, math::LogOp, math::TanhOp, math::SqrtOp,
             math::RsqrtOp, math::AbsFOp, math::FloorOp, math::CeilOp, math::FmaOp,
             linalg::YieldOp>(op) &&
         llvm::all_of(op.getResultTypes(), [](Type t) { return t.isF32() || t.isInteger(1); });
}

/// A float constant defined outside the generic (constants are hoisted).
std::optional<float> outsideConstant(Value v) {
  if (auto c = v.getDefiningOp<arith::ConstantFloatOp>(); c && c.getType().isF32())
    return c.value().convertToFloat();
  return std::nullopt;
}

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

/// The Funcs of one region: an ImageParam per input buffer, a Func per
/// generic (the latest one written to a buffer stands for its contents),
/// the outputs scheduled by the pointwise template, the rest inlined.
struct Pipeline {
  std::vector<Halide::ImageParam> inputs;
  std::vector<Halide::Func> outputs;

  Pipeline(const PipelineRegion &region, llvm::StringRef name, const PipelineTarget &target);

private:
  /// What each buffer holds at this point of the region.
  llvm::DenseMap<Value, Halide::Func> contents;
  /// The region's input buffers.
  llvm::DenseMap<Value, Halide::ImageParam> params;
  /// The Funcs with reduction steps, which are computed, never inlined.
  std::vector<Halide::Func> reductions;

  Halide::Func define(linalg::GenericOp op, const std::string &name);
  Halide::Func define(linalg::FillOp op, const std::string &name);
  static Halide::Expr scalar(Operation &op, llvm::DenseMap<Value, Halide::Expr> &values);
  static void schedule(Halide::Func f, int64_t vectorWidth);
};

/// `buffer` read through `map` at `loops` (outermost first); Halide's
/// arguments go innermost first.
Halide::Expr readAt(Halide::Func buffer, AffineMap map, const std::vector<Halide::Expr> &loops) {
  std::vector<Halide::Expr> at;
  for (AffineExpr e : llvm::reverse(map.getResults())) {
    if (auto d = dyn_cast<AffineDimExpr>(e))
      at.push_back(loops[d.getPosition()]);
    else
      at.push_back(Halide::Expr(static_cast<int>(cast<AffineConstantExpr>(e).getValue())));
  }
  return buffer(at);
}

Halide::Expr Pipeline::scalar(Operation &op, llvm::DenseMap<Value, Halide::Expr> &values) {
  auto arg = [&](unsigned i) {
    Value v = op.getOperand(i);
    auto found = values.find(v);
    return found != values.end() ? found->second : floatImm(*outsideConstant(v));
  };
  if (auto c = dyn_cast<arith::ConstantFloatOp>(op))
    return floatImm(c.value().convertToFloat());
  if (isa<arith::AddFOp>(op)) return arg(0) + arg(1);
  if (isa<arith::SubFOp>(op)) return arg(0) - arg(1);
  if (isa<arith::MulFOp>(op)) return arg(0) * arg(1);
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
  llvm_unreachable("whyNotAPipeline admits only the ops above");
}

Halide::Func Pipeline::define(linalg::GenericOp op, const std::string &name) {
  // A Var per parallel loop, a dimension of one reduction domain per
  // reduction loop (innermost first in the domain, as Halide counts).
  SmallVector<unsigned> reductionLoops;
  op.getReductionDims(reductionLoops);
  std::vector<Halide::Range> ranges;
  for (size_t i = reductionLoops.size(); i-- > 0;) {
    // The extent of the first input read along the loop, which is one of
    // the region's inputs (reductionExtentSources).
    AffineExpr dim = getAffineDimExpr(reductionLoops[i], op.getContext());
    for (OpOperand *input : op.getDpsInputOperands()) {
      AffineMap map = op.getMatchingIndexingMap(input);
      if (std::optional<unsigned> result = map.getResultPosition(dim)) {
        Halide::ImageParam param = params.lookup(input->get());
        ranges.emplace_back(
            0, param.dim(static_cast<int>(map.getNumResults() - 1 - *result)).extent());
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
  std::vector<Halide::Expr> at(pure.rbegin(), pure.rend());

  Block &body = op.getRegion().front();
  Halide::Func f(name);
  OpOperand *out = op.getDpsInitOperand(0);
  llvm::DenseMap<Value, Halide::Expr> values;
  if (!reductionLoops.empty()) {
    // The output's contents before the loop nest are where each sum starts.
    f(at) = readAt(contents.lookup(out->get()), op.getMatchingIndexingMap(out), loops);
    values[body.getArgument(op.getNumDpsInputs())] = f(at);
  }
  for (auto [k, input] : llvm::enumerate(op.getDpsInputOperands()))
    values[body.getArgument(k)] =
        readAt(contents.lookup(input->get()), op.getMatchingIndexingMap(input), loops);
  for (Operation &inner : body) {
    if (auto yield = dyn_cast<linalg::YieldOp>(inner)) {
      Value result = yield.getOperand(0);
      f(at) = values.count(result) ? values.lookup(result) : floatImm(*outsideConstant(result));
      break;
    }
    values[inner.getResult(0)] = scalar(inner, values);
  }
  if (!reductionLoops.empty())
    reductions.push_back(f);
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
                   const PipelineTarget &target) {
  for (auto [k, buffer] : llvm::enumerate(region.inputs)) {
    auto type = cast<MemRefType>(buffer.getType());
    inputs.emplace_back(Halide::Float(32), static_cast<int>(type.getRank()),
                        "in" + std::to_string(k));
    contents[buffer] = inputs.back();
    params[buffer] = inputs.back();
  }
  for (auto [i, op] : llvm::enumerate(region.ops)) {
    std::string funcName = name.str() + "_f" + std::to_string(i);
    Value written = cast<DestinationStyleOpInterface>(op).getDpsInitOperand(0)->get();
    if (auto fill = dyn_cast<linalg::FillOp>(op))
      contents[written] = define(fill, funcName);
    else
      contents[written] = define(cast<linalg::GenericOp>(op), funcName);
  }
  for (Value buffer : region.outputs)
    outputs.push_back(contents.lookup(buffer));
  // Outputs and reductions are computed whole, the rest inlined where read.
  for (Halide::Func f : reductions)
    if (llvm::none_of(outputs, [&](const Halide::Func &o) { return o.name() == f.name(); }))
      f.compute_root();
  for (Halide::Func f : reductions)
    schedule(f, target.vectorWidth);
  for (Halide::Func f : outputs)
    if (llvm::none_of(reductions, [&](const Halide::Func &r) { return r.name() == f.name(); }))
      schedule(f, target.vectorWidth);
}

/// The pointwise template on one stage of `f`: the innermost pure loop split
/// into vectors (the tail guarded), innermost of all, then the reduction
/// loops, then the other pure loops fused into one parallel loop.
template <typename Stage>
void scheduleStage(Stage stage, const std::vector<Halide::Var> &pure,
                   const std::vector<Halide::RVar> &reduction, int64_t vectorWidth) {
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
  stage.parallel(outer);
}

void Pipeline::schedule(Halide::Func f, int64_t vectorWidth) {
  std::vector<Halide::Var> pure = f.args();  // innermost first
  scheduleStage(f, pure, {}, vectorWidth);
  for (int u = 0; u < f.num_update_definitions(); ++u) {
    std::vector<Halide::RVar> reduction = f.rvars(u);
    scheduleStage(f.update(u), pure, reduction, vectorWidth);
  }
}

Halide::Target targetOf(const PipelineTarget &target) {
  return Halide::Target(target.halideTarget);
}

} // namespace

namespace {

std::string whyNotAFill(linalg::FillOp fill) {
  if (!fill.hasPureBufferSemantics() || !isF32Buffer(fill.getDpsInitOperand(0)->get()))
    return "it does not fill an f32 buffer";
  if (!outsideConstant(fill.getInputs()[0]))
    return "its value is not a constant";
  return "";
}

std::string whyNotAGeneric(linalg::GenericOp op) {
  if (!op.hasPureBufferSemantics())
    return "its operands are not buffers";
  if (op.getNumDpsInits() != 1)
    return "it has more than one output";
  if (op.getNumLoops() == 0 || op.getNumParallelLoops() == 0)
    return "it has no parallel loop";
  for (OpOperand &operand : op->getOpOperands())
    if (!isF32Buffer(operand.get()))
      return "an operand is not an f32 buffer";
  // The output at the parallel loops, in order.
  AffineMap outMap = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  SmallVector<unsigned> parallel;
  op.getParallelDims(parallel);
  if (outMap.getNumResults() != parallel.size())
    return "its output is not written at its parallel loops in order";
  for (auto [i, e] : llvm::enumerate(outMap.getResults()))
    if (e != getAffineDimExpr(parallel[i], op.getContext()))
      return "its output is not written at its parallel loops in order";
  for (OpOperand *input : op.getDpsInputOperands())
    if (!op.getMatchingIndexingMap(input).isProjectedPermutation(/*allowZeroInResults=*/true))
      return "an input is read at a computed index";
  Block &body = op.getRegion().front();
  if (op.getNumReductionLoops() == 0 && !body.getArgument(op.getNumDpsInputs()).use_empty())
    return "it reads its output";
  if (reductionExtentSources(op).size() != op.getNumReductionLoops())
    return "no input gives the extent of a reduction loop";
  // The template vectorises along the output's innermost axis; a reduction
  // along an input's innermost axis would read it in strided gathers (until
  // a template splits the reduction into vectors, it stays with MLIR's loops).
  for (OpOperand *input : op.getDpsInputOperands()) {
    AffineMap map = op.getMatchingIndexingMap(input);
    if (map.getNumResults() > 0 && op.getNumReductionLoops() > 0)
      if (auto d = dyn_cast<AffineDimExpr>(map.getResults().back());
          d && op.getIteratorTypesArray()[d.getPosition()] == utils::IteratorType::reduction)
        return "it reduces along an input's innermost axis";
  }
  for (Operation &inner : body) {
    if (!isScalarOpKnown(inner))
      return ("its body holds " + inner.getName().getStringRef() + ", which has no Halide form")
          .str();
    for (Value v : inner.getOperands())
      if (v.getParentRegion() != &op.getRegion() && !outsideConstant(v))
        return "its body uses a value computed outside it";
  }
  return "";
}

} // namespace

std::string whyNotAPipeline(Operation *op) {
  if (auto fill = dyn_cast<linalg::FillOp>(op))
    return whyNotAFill(fill);
  if (auto generic = dyn_cast<linalg::GenericOp>(op))
    return whyNotAGeneric(generic);
  return "it is not a linalg.generic or linalg.fill";
}

SmallVector<Value> reductionExtentSources(Operation *op) {
  SmallVector<Value> sources;
  auto generic = dyn_cast<linalg::GenericOp>(op);
  if (!generic)
    return sources;
  SmallVector<unsigned> reductionLoops;
  generic.getReductionDims(reductionLoops);
  for (unsigned d : reductionLoops) {
    AffineExpr dim = getAffineDimExpr(d, op->getContext());
    for (OpOperand *input : generic.getDpsInputOperands())
      if (generic.getMatchingIndexingMap(input).getResultPosition(dim)) {
        sources.push_back(input->get());
        break;
      }
  }
  return sources;
}

std::string halideTargetFor(llvm::StringRef arch, llvm::StringRef features) {
  llvm::SmallVector<llvm::StringRef> enabled;
  llvm::SmallVector<llvm::StringRef> all;
  features.split(all, ',', -1, false);
  for (llvm::StringRef f : all)
    if (f.consume_front("+"))
      enabled.push_back(f);
  auto has = [&](llvm::StringRef f) { return llvm::is_contained(enabled, f); };
  std::string t;
  if (arch == "aarch64") {
    t = "arm-64-linux";
  } else {
    t = "x86-64-linux";
    if (has("sse4.1")) t += "-sse41";
    if (has("avx")) t += "-avx";
    if (has("avx2")) t += "-avx2";
    if (has("fma")) t += "-fma";
    if (has("f16c")) t += "-f16c";
    if (has("avx512f") && has("avx512cd") && has("avx512bw") && has("avx512dq") &&
        has("avx512vl"))
      t += "-avx512-avx512_skylake";
  }
  return t + "-no_runtime-user_context-large_buffers-strict_float";
}

std::string statementPath(llvm::StringRef objectPath) {
  llvm::SmallString<128> path(objectPath);
  llvm::sys::path::replace_extension(path, ".stmt");
  return std::string(path);
}

std::vector<std::string> objectsOf(ModuleOp module) {
  std::vector<std::string> paths;
  if (auto listed = module->getAttrOfType<ArrayAttr>(kObjectsAttr))
    for (Attribute a : listed)
      paths.push_back(cast<StringAttr>(a).str());
  return paths;
}

std::string halideHostTarget() {
  Halide::Target host = Halide::get_host_target();
  std::string features;
  auto add = [&](Halide::Target::Feature f, const char *name) {
    if (host.has_feature(f))
      features += std::string("+") + name + ",";
  };
  add(Halide::Target::SSE41, "sse4.1");
  add(Halide::Target::AVX, "avx");
  add(Halide::Target::AVX2, "avx2");
  add(Halide::Target::FMA, "fma");
  add(Halide::Target::F16C, "f16c");
  if (host.has_feature(Halide::Target::AVX512_Skylake))
    features += "+avx512f,+avx512cd,+avx512bw,+avx512dq,+avx512vl,";
  return halideTargetFor(host.arch == Halide::Target::ARM ? "aarch64" : "x86_64", features);
}

bool compilePipeline(const PipelineRegion &region, llvm::StringRef name,
                     const PipelineTarget &target, llvm::StringRef path, std::string &error) {
  try {
    Pipeline p(region, name, target);
    std::vector<Halide::Argument> args(p.inputs.begin(), p.inputs.end());
    // The object, and the lowered statement beside it (--emit=halide).
    Halide::Pipeline(p.outputs).compile_to(
        {{Halide::OutputFileType::object, path.str()},
         {Halide::OutputFileType::stmt, statementPath(path)}},
        args, name.str(), targetOf(target));
    return true;
  } catch (const Halide::Error &e) {
    error = e.what();
    return false;
  }
}

} // namespace attnc::halide
