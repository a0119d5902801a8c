//===- Kernels.h - Tensor-level operations of the interpreter ---*- C++ -*-===//
//
// Whole-tensor operations (broadcasting, matmul, softmax, normalisation,
// layout changes, reductions over axes) written as plain loops over dense
// double tensors. They know nothing of the AST; the interpreter maps each
// built-in onto them. Every failure throws EvalError, which the interpreter
// turns into its `error` string.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNC_LIB_REFERENCE_KERNELS_H
#define ATTNC_LIB_REFERENCE_KERNELS_H

#include "attnc/Frontend/AST.h"
#include "attnc/Reference/Tensor.h"

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace attnc::ref::detail {

/// A run-time error of the evaluation (shape mismatch, size limit, ...).
struct EvalError : std::runtime_error {
  using std::runtime_error::runtime_error;
};
[[noreturn]] void fail(const std::string &message);

/// Allocates a tensor of `shape` filled with `fill`; fails beyond kMaxElements.
Tensor makeTensor(const std::vector<int64_t> &shape, double fill = 0.0);
Tensor scalarTensor(double value);

/// Row-major strides (in elements) of `shape`.
std::vector<int64_t> rowMajorStrides(const std::vector<int64_t> &shape);

/// Walks every index of a box of `extents` in row-major order; a box with a
/// zero extent has no index, a box of rank 0 has exactly one (the empty one).
class MultiIndex {
public:
  explicit MultiIndex(std::vector<int64_t> extents);
  bool done() const { return done_; }
  const std::vector<int64_t> &index() const { return index_; }
  void next();

private:
  std::vector<int64_t> extents_, index_;
  bool done_ = false;
};

/// NumPy broadcasting: the common shape of `shapes`, failing on a mismatch.
std::vector<int64_t> broadcastShape(const std::vector<const std::vector<int64_t> *> &shapes);
/// Strides that read a tensor of shape `in` as if it had the broadcast shape
/// `out` (0 on broadcast axes).
std::vector<int64_t> broadcastStrides(const std::vector<int64_t> &in,
                                      const std::vector<int64_t> &out);

/// einsum: for every value of the letters (`extents` by letter id), the
/// product of the operands read at their letters, summed into the result
/// at its letters.
Tensor einsum(const std::vector<const Tensor *> &operands,
              const std::vector<std::vector<int>> &inputs, const std::vector<int> &output,
              const std::vector<int64_t> &extents);

/// `x` broadcast to `shape` (x's extents are 1 or `shape`'s).
Tensor broadcastTo(const Tensor &x, const std::vector<int64_t> &shape);

/// Applies `f(const double *values)` elementwise over the broadcast of `args`
/// (at most 4), passing one value per argument.
template <typename F>
Tensor broadcastMap(const std::vector<const Tensor *> &args, F f) {
  std::vector<const std::vector<int64_t> *> shapes;
  for (const Tensor *t : args)
    shapes.push_back(&t->shape);
  std::vector<int64_t> shape = broadcastShape(shapes);
  Tensor out = makeTensor(shape);
  double values[4];
  bool same = true;
  for (const Tensor *t : args)
    same = same && t->shape == shape;
  if (same) {
    for (size_t i = 0; i < out.data.size(); ++i) {
      for (size_t a = 0; a < args.size(); ++a)
        values[a] = args[a]->data[i];
      out.data[i] = f(values);
    }
    return out;
  }
  std::vector<std::vector<int64_t>> strides;
  for (const Tensor *t : args)
    strides.push_back(broadcastStrides(t->shape, shape));
  size_t flat = 0;
  for (MultiIndex it(shape); !it.done(); it.next(), ++flat) {
    for (size_t a = 0; a < args.size(); ++a) {
      int64_t offset = 0;
      for (size_t d = 0; d < shape.size(); ++d)
        offset += it.index()[d] * strides[a][d];
      values[a] = args[a]->data[offset];
    }
    out.data[flat] = f(values);
  }
  return out;
}

/// Int arithmetic (docs/language.md: 64-bit integers that wrap). Doubles
/// hold integers exactly up to 2^53, so that is as far as the interpreter
/// computes them: a value beyond is an error, never a silently inexact one.
/// `a` and `b` are Int values; `op` is +, -, *, / or %.
double integerArithmetic(ast::BinaryOp op, double a, double b);
/// Fails unless `v` is within the exact range (for values computed
/// otherwise, e.g. by a negation).
double exactInteger(double v);

/// Folds values into a sum, max, min or mean. Max and min propagate NaN as
/// NumPy does; over no values they give -inf and +inf, mean gives NaN.
/// With `integer`, sums are exact (integerArithmetic's rules) and max or min
/// over no values is an error (the compiled code's identity, INT64_MIN or
/// INT64_MAX, is beyond the exact range).
struct Accumulator {
  explicit Accumulator(ast::ReduceKind kind, bool integer = false);
  void add(double v);
  double result() const;

  ast::ReduceKind kind;
  bool integer;
  double value;
  int64_t count = 0;
};

/// numpy.matmul: 1-D operands are promoted (and the promoted axis removed
/// from the result), leading axes broadcast. With `integer`, sums follow
/// integerArithmetic's rules.
Tensor matmul(const Tensor &a, const Tensor &b, bool integer = false);
/// Result axis k is input axis perm[k] (numpy.transpose).
Tensor permute(const Tensor &x, const std::vector<int64_t> &perm);
/// `.T`: swaps the last two axes; identity below rank 2.
Tensor swapLastAxes(const Tensor &x);
/// Row-major reinterpretation; element counts must agree.
Tensor reshape(const Tensor &x, const std::vector<int64_t> &shape);
Tensor concat(const std::vector<const Tensor *> &parts, int64_t axis);
/// Reduces over the sorted, distinct `axes`, removing them.
Tensor reduceAxes(const Tensor &x, const std::vector<int64_t> &axes, ast::ReduceKind kind,
                  bool integer = false);
/// Softmax along `axis`, the row max subtracted first; an all -inf row is 0.
Tensor softmax(const Tensor &x, int64_t axis);
/// The position of the first maximum (`max`) or minimum along `axes`, as a
/// row-major index within them; a NaN counts as the extreme, so the first
/// NaN wins (NumPy's argmax and argmin). The axes are removed.
Tensor argReduce(const Tensor &x, const std::vector<int64_t> &axes, bool max);
/// The reduction of reduceAxes with the reduced axes kept, of extent 1.
Tensor keepAxes(const Tensor &reduced, const std::vector<int64_t> &inputShape,
                const std::vector<int64_t> &axes);
/// log(sum(exp(x))) over `axes`, kept with extent 1: max + log(sum(exp(x -
/// max))), the max taken as 0 where it is infinite (an all -inf group gives
/// -inf, a +inf gives +inf, NaN propagates).
Tensor logSumExpKept(const Tensor &x, const std::vector<int64_t> &axes);
/// x - logsumexp(x) along `axis`; -inf where that is -inf (a row of -inf).
Tensor logSoftmax(const Tensor &x, int64_t axis);
/// (x - mean) / sqrt(biased variance + eps) over the last axis.
Tensor layerNormalize(const Tensor &x, double eps);
/// x / sqrt(mean(x^2) + eps) over the last axis.
Tensor rmsNormalize(const Tensor &x, double eps);
/// [..., S, H*D] -> [..., H, S, D] and its inverse.
Tensor splitHeads(const Tensor &x, int64_t heads);
Tensor mergeHeads(const Tensor &x);
/// Keeps the K largest entries of each last-axis row (ties: lowest index;
/// NaN ranks above everything), sets the others to -inf.
Tensor topkMask(const Tensor &x, int64_t k);

} // namespace attnc::ref::detail

#endif
