//===- Kernels.cpp - Tensor-level operations of the interpreter -*- C++ -*-===//
//
// Deliberately naive: every operation is the textbook loop, accumulating in
// double in index order, so that it is easy to trust as an oracle.
//
//===----------------------------------------------------------------------===//

#include "Kernels.h"

#include <algorithm>
#include <new>
#include <cmath>
#include <limits>
#include <numeric>

namespace attnc::ref::detail {

namespace {
constexpr double kInf = std::numeric_limits<double>::infinity();

// Products of extents of a shape whose tensor has been allocated, hence
// bounded by kMaxElements when it is not empty. Callers return early on empty
// tensors; the unsigned arithmetic only keeps those cases free of overflow.
int64_t product(const std::vector<int64_t> &shape, size_t begin, size_t end) {
  uint64_t p = 1;
  for (size_t i = begin; i < end; ++i)
    p *= static_cast<uint64_t>(shape[i]);
  return static_cast<int64_t>(p);
}

void requireRank(const Tensor &x, size_t rank, const char *op) {
  if (x.shape.size() < rank)
    fail(std::string(op) + " needs at least " + std::to_string(rank) +
         " axes, got shape " + shapeString(x.shape));
}
} // namespace

void fail(const std::string &message) { throw EvalError(message); }

Tensor makeTensor(const std::vector<int64_t> &shape, double fill) {
  int64_t count = 0;
  std::string error;
  if (!elementCount(shape, count, error))
    fail(error);
  Tensor t;
  t.shape = shape;
  try {
    t.data.assign(static_cast<size_t>(count), fill);
  } catch (const std::bad_alloc &) {
    fail("out of memory: a tensor of shape " + shapeString(shape) + " needs " +
         std::to_string(count * sizeof(double)) + " bytes");
  }
  return t;
}

Tensor scalarTensor(double value) { return makeTensor({}, value); }

std::vector<int64_t> rowMajorStrides(const std::vector<int64_t> &shape) {
  std::vector<int64_t> strides(shape.size(), 1);
  for (size_t i = shape.size(); i-- > 1;)
    strides[i - 1] = product(shape, i, shape.size());
  return strides;
}

MultiIndex::MultiIndex(std::vector<int64_t> extents)
    : extents_(std::move(extents)), index_(extents_.size(), 0) {
  for (int64_t e : extents_)
    done_ = done_ || e <= 0;
}

void MultiIndex::next() {
  for (size_t d = extents_.size(); d-- > 0;) {
    if (++index_[d] < extents_[d])
      return;
    index_[d] = 0;
  }
  done_ = true;  // wrapped around (or rank 0: the single index is spent)
}

std::vector<int64_t> broadcastShape(const std::vector<const std::vector<int64_t> *> &shapes) {
  size_t rank = 0;
  for (const auto *s : shapes)
    rank = std::max(rank, s->size());
  std::vector<int64_t> out(rank, 1);
  for (const auto *s : shapes) {
    size_t offset = rank - s->size();
    for (size_t d = 0; d < s->size(); ++d) {
      int64_t e = (*s)[d];
      int64_t &o = out[offset + d];
      if (e == o || e == 1)
        continue;
      if (o != 1) {
        std::string msg = "shapes do not broadcast:";
        for (const auto *t : shapes)
          msg += " " + shapeString(*t);
        fail(msg);
      }
      o = e;
    }
  }
  return out;
}

std::vector<int64_t> broadcastStrides(const std::vector<int64_t> &in,
                                      const std::vector<int64_t> &out) {
  std::vector<int64_t> inStrides = rowMajorStrides(in);
  std::vector<int64_t> strides(out.size(), 0);
  size_t offset = out.size() - in.size();
  for (size_t d = 0; d < in.size(); ++d)
    strides[offset + d] = in[d] == 1 ? 0 : inStrides[d];
  return strides;
}

Tensor einsum(const std::vector<const Tensor *> &operands,
              const std::vector<std::vector<int>> &inputs, const std::vector<int> &output,
              const std::vector<int64_t> &extents) {
  std::vector<int64_t> shape;
  for (int id : output)
    shape.push_back(extents.at(id));
  Tensor out = makeTensor(shape);
  std::vector<int64_t> outStrides = rowMajorStrides(shape);
  std::vector<std::vector<int64_t>> strides;
  for (const Tensor *t : operands)
    strides.push_back(rowMajorStrides(t->shape));
  for (MultiIndex it(extents); !it.done(); it.next()) {
    const std::vector<int64_t> &v = it.index();
    double product = 1;
    for (size_t i = 0; i < operands.size(); ++i) {
      int64_t offset = 0;
      for (size_t k = 0; k < inputs[i].size(); ++k)
        offset += v[inputs[i][k]] * strides[i][k];
      product *= operands[i]->data.at(offset);
    }
    int64_t o = 0;
    for (size_t k = 0; k < output.size(); ++k)
      o += v[output[k]] * outStrides[k];
    out.data[o] += product;
  }
  return out;
}

Tensor broadcastTo(const Tensor &x, const std::vector<int64_t> &shape) {
  std::vector<int64_t> strides = broadcastStrides(x.shape, shape);
  Tensor out = makeTensor(shape);
  size_t flat = 0;
  for (MultiIndex it(shape); !it.done(); it.next()) {
    int64_t offset = 0;
    for (size_t d = 0; d < shape.size(); ++d)
      offset += it.index()[d] * strides[d];
    out.data[flat++] = x.data[offset];
  }
  return out;
}

namespace {
constexpr int64_t kMaxExactInteger = int64_t(1) << 53;

double integerResult(bool overflowed, int64_t r, ast::BinaryOp op, double a, double b) {
  if (!overflowed && r >= -kMaxExactInteger && r <= kMaxExactInteger)
    return static_cast<double>(r);
  fail("the integer " + std::to_string(static_cast<int64_t>(a)) + " " +
       ast::binaryOpSpelling(op) + " " + std::to_string(static_cast<int64_t>(b)) +
       " is beyond 2^53 in magnitude, where the reference interpreter stops being exact "
       "(compiled code computes it in 64 bits)");
}
} // namespace

double exactInteger(double v) {
  if (std::fabs(v) <= static_cast<double>(kMaxExactInteger))
    return v;
  fail("an integer beyond 2^53 in magnitude, where the reference interpreter stops being exact "
       "(compiled code computes it in 64 bits)");
}

double integerArithmetic(ast::BinaryOp op, double a, double b) {
  // Exact conversions: Int values are integers within 2^53.
  int64_t x = static_cast<int64_t>(a), y = static_cast<int64_t>(b), r = 0;
  bool overflowed = false;
  switch (op) {
  case ast::BinaryOp::Add:
    overflowed = __builtin_add_overflow(x, y, &r);
    return integerResult(overflowed, r, op, a, b);
  case ast::BinaryOp::Sub:
    overflowed = __builtin_sub_overflow(x, y, &r);
    return integerResult(overflowed, r, op, a, b);
  case ast::BinaryOp::Mul:
    overflowed = __builtin_mul_overflow(x, y, &r);
    return integerResult(overflowed, r, op, a, b);
  case ast::BinaryOp::Div:
  case ast::BinaryOp::Mod: {
    // Python's floor division and modulo; by 0 both give 0. (MIN / -1,
    // which wraps in compiled code, is beyond the exact range here.)
    if (y == 0)
      return 0;
    int64_t q = x / y, m = x % y;
    if (m != 0 && ((m < 0) != (y < 0))) {
      --q;
      m += y;
    }
    return static_cast<double>(op == ast::BinaryOp::Div ? q : m);
  }
  default:
    fail("internal error: not an integer arithmetic operator");
  }
}

Accumulator::Accumulator(ast::ReduceKind k, bool integer) : kind(k), integer(integer) {
  value = k == ast::ReduceKind::Max ? -kInf : k == ast::ReduceKind::Min ? kInf : 0.0;
}

void Accumulator::add(double v) {
  ++count;
  switch (kind) {
  case ast::ReduceKind::Sum:
  case ast::ReduceKind::Mean:
    value = integer && kind == ast::ReduceKind::Sum
                ? integerArithmetic(ast::BinaryOp::Add, value, v)
                : value + v;
    break;
  case ast::ReduceKind::Max:  // once NaN, `v > value` never holds: NaN sticks
    if (v > value || std::isnan(v))
      value = v;
    break;
  case ast::ReduceKind::Min:
    if (v < value || std::isnan(v))
      value = v;
    break;
  }
}

double Accumulator::result() const {
  if (integer && count == 0 && (kind == ast::ReduceKind::Max || kind == ast::ReduceKind::Min))
    fail(std::string("the ") + (kind == ast::ReduceKind::Max ? "max" : "min") +
         " of no integers (compiled code gives INT64_" +
         (kind == ast::ReduceKind::Max ? "MIN" : "MAX") +
         ", beyond the range the reference interpreter holds exactly)");
  if (kind == ast::ReduceKind::Mean)
    return count ? value / static_cast<double>(count)
                 : std::numeric_limits<double>::quiet_NaN();
  return value;
}

Tensor matmul(const Tensor &a, const Tensor &b, bool integer) {
  if (a.shape.empty() || b.shape.empty())
    fail("matmul of a scalar (shapes " + shapeString(a.shape) + " and " +
         shapeString(b.shape) + ")");
  // Promote 1-D operands to matrices: a vector on the left is a row, on the
  // right a column; the promoted axis is dropped from the result.
  std::vector<int64_t> as = a.shape, bs = b.shape;
  bool rowVector = as.size() == 1, columnVector = bs.size() == 1;
  if (rowVector)
    as.insert(as.begin(), 1);
  if (columnVector)
    bs.push_back(1);
  int64_t n = as[as.size() - 2], k = as.back(), m = bs.back();
  if (bs[bs.size() - 2] != k)
    fail("matmul: inner extents differ (" + shapeString(a.shape) + " @ " +
         shapeString(b.shape) + ")");
  std::vector<int64_t> batchA(as.begin(), as.end() - 2), batchB(bs.begin(), bs.end() - 2);
  std::vector<int64_t> batch = broadcastShape({&batchA, &batchB});
  std::vector<int64_t> strideA = broadcastStrides(batchA, batch);
  std::vector<int64_t> strideB = broadcastStrides(batchB, batch);

  std::vector<int64_t> shape = batch;
  if (!rowVector)
    shape.push_back(n);
  if (!columnVector)
    shape.push_back(m);
  Tensor out = makeTensor(shape);
  if (out.data.empty())
    return out;
  size_t flat = 0;
  for (MultiIndex it(batch); !it.done(); it.next()) {
    int64_t offA = 0, offB = 0;
    for (size_t d = 0; d < batch.size(); ++d) {
      offA += it.index()[d] * strideA[d];
      offB += it.index()[d] * strideB[d];
    }
    const double *pa = a.data.data() + offA * n * k;
    const double *pb = b.data.data() + offB * k * m;
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < m; ++j) {
        double sum = 0.0;
        for (int64_t p = 0; p < k; ++p)
          sum = integer ? integerArithmetic(
                              ast::BinaryOp::Add, sum,
                              integerArithmetic(ast::BinaryOp::Mul, pa[i * k + p], pb[p * m + j]))
                        : sum + pa[i * k + p] * pb[p * m + j];
        out.data[flat++] = sum;
      }
  }
  return out;
}

Tensor permute(const Tensor &x, const std::vector<int64_t> &perm) {
  size_t rank = x.shape.size();
  std::vector<bool> seen(rank, false);
  bool valid = perm.size() == rank;
  for (int64_t p : perm) {
    valid = valid && p >= 0 && static_cast<size_t>(p) < rank && !seen[p];
    if (valid)
      seen[p] = true;
  }
  if (!valid)
    fail("transpose: the permutation does not match a tensor of shape " + shapeString(x.shape));
  std::vector<int64_t> shape(rank), inStrides = rowMajorStrides(x.shape), strides(rank);
  for (size_t d = 0; d < rank; ++d) {
    shape[d] = x.shape[perm[d]];
    strides[d] = inStrides[perm[d]];
  }
  Tensor out = makeTensor(shape);
  size_t flat = 0;
  for (MultiIndex it(shape); !it.done(); it.next()) {
    int64_t offset = 0;
    for (size_t d = 0; d < rank; ++d)
      offset += it.index()[d] * strides[d];
    out.data[flat++] = x.data[offset];
  }
  return out;
}

Tensor swapLastAxes(const Tensor &x) {
  std::vector<int64_t> perm(x.shape.size());
  std::iota(perm.begin(), perm.end(), 0);
  if (perm.size() >= 2)
    std::swap(perm[perm.size() - 1], perm[perm.size() - 2]);
  return permute(x, perm);
}

Tensor reshape(const Tensor &x, const std::vector<int64_t> &shape) {
  Tensor out = makeTensor(shape);
  if (out.data.size() != x.data.size())
    fail("reshape: " + shapeString(x.shape) + " and " + shapeString(shape) +
         " have different element counts");
  out.data = x.data;
  return out;
}

Tensor concat(const std::vector<const Tensor *> &parts, int64_t axis) {
  if (parts.empty())
    fail("concat of nothing");
  std::vector<int64_t> shape = parts[0]->shape;
  if (axis < 0 || static_cast<size_t>(axis) >= shape.size())
    fail("concat: axis " + std::to_string(axis) + " is out of range for shape " +
         shapeString(shape));
  shape[axis] = 0;
  for (const Tensor *p : parts) {
    bool ok = p->shape.size() == shape.size();
    for (size_t d = 0; ok && d < shape.size(); ++d)
      ok = static_cast<int64_t>(d) == axis || p->shape[d] == shape[d];
    if (!ok)
      fail("concat: shapes " + shapeString(parts[0]->shape) + " and " +
           shapeString(p->shape) + " differ off axis " + std::to_string(axis));
    if (shape[axis] > kMaxElements - p->shape[axis])
      fail("concat: result is too large");
    shape[axis] += p->shape[axis];
  }
  Tensor out = makeTensor(shape);
  if (out.data.empty())
    return out;
  int64_t outer = product(shape, 0, axis), inner = product(shape, axis + 1, shape.size());
  size_t flat = 0;
  for (int64_t o = 0; o < outer; ++o)
    for (const Tensor *p : parts) {
      int64_t chunk = p->shape[axis] * inner;
      for (int64_t i = 0; i < chunk; ++i)
        out.data[flat++] = p->data[o * chunk + i];
    }
  return out;
}

Tensor reduceAxes(const Tensor &x, const std::vector<int64_t> &axes, ast::ReduceKind kind,
                  bool integer) {
  size_t rank = x.shape.size();
  std::vector<bool> reduced(rank, false);
  for (int64_t a : axes) {
    if (a < 0 || static_cast<size_t>(a) >= rank)
      fail("reduction axis " + std::to_string(a) + " is out of range for shape " +
           shapeString(x.shape));
    reduced[a] = true;
  }
  std::vector<int64_t> shape;
  for (size_t d = 0; d < rank; ++d)
    if (!reduced[d])
      shape.push_back(x.shape[d]);
  Tensor out = makeTensor(shape);
  std::vector<Accumulator> acc(out.data.size(), Accumulator(kind, integer));
  std::vector<int64_t> outStrides = rowMajorStrides(shape);
  size_t flat = 0;
  for (MultiIndex it(x.shape); !it.done(); it.next()) {
    int64_t offset = 0;
    for (size_t d = 0, o = 0; d < rank; ++d)
      if (!reduced[d])
        offset += it.index()[d] * outStrides[o++];
    acc[offset].add(x.data[flat++]);
  }
  for (size_t i = 0; i < acc.size(); ++i)
    out.data[i] = acc[i].result();
  return out;
}

Tensor argReduce(const Tensor &x, const std::vector<int64_t> &axes, bool max) {
  size_t rank = x.shape.size();
  std::vector<bool> reduced(rank, false);
  for (int64_t a : axes)
    reduced.at(static_cast<size_t>(a)) = true;
  std::vector<int64_t> shape, inner;
  for (size_t d = 0; d < rank; ++d)
    (reduced[d] ? inner : shape).push_back(x.shape[d]);
  Tensor out = makeTensor(shape);
  std::vector<double> best(out.data.size());
  std::vector<bool> seen(out.data.size(), false);
  std::vector<int64_t> outStrides = rowMajorStrides(shape), innerStrides = rowMajorStrides(inner);
  size_t flat = 0;
  for (MultiIndex it(x.shape); !it.done(); it.next()) {
    int64_t o = 0, position = 0;
    for (size_t d = 0, ko = 0, ki = 0; d < rank; ++d)
      if (reduced[d])
        position += it.index()[d] * innerStrides[ki++];
      else
        o += it.index()[d] * outStrides[ko++];
    double v = x.data[flat++];
    // Row-major order visits each group's positions in increasing order, so
    // only a strictly better value (or a first NaN) moves the answer.
    bool better = !seen[o] || (!std::isnan(best[o]) && (std::isnan(v) || (max ? v > best[o]
                                                                                 : v < best[o])));
    if (better) {
      seen[o] = true;
      best[o] = v;
      out.data[o] = static_cast<double>(position);
    }
  }
  return out;
}

Tensor softmax(const Tensor &x, int64_t axis) {
  if (axis < 0 || static_cast<size_t>(axis) >= x.shape.size())
    fail("softmax: axis " + std::to_string(axis) + " is out of range for shape " +
         shapeString(x.shape));
  Tensor out = makeTensor(x.shape);
  if (out.data.empty())
    return out;
  int64_t outer = product(x.shape, 0, axis), n = x.shape[axis];
  int64_t inner = product(x.shape, axis + 1, x.shape.size());
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t in = 0; in < inner; ++in) {
      auto at = [&](int64_t j) { return (o * n + j) * inner + in; };
      // A NaN anywhere makes the maximum NaN (std::max would skip it), so a
      // row of NaN gives NaN, not the zeros of a fully masked row.
      double maxValue = -kInf;
      for (int64_t j = 0; j < n; ++j) {
        double v = x.data[at(j)];
        maxValue = std::isnan(v) ? v : std::max(maxValue, v);
      }
      if (maxValue == -kInf)
        continue;  // fully masked row: all zeros, never NaN
      double sum = 0.0;
      for (int64_t j = 0; j < n; ++j)
        sum += out.data[at(j)] = std::exp(x.data[at(j)] - maxValue);
      for (int64_t j = 0; j < n; ++j)
        out.data[at(j)] /= sum;
    }
  return out;
}

Tensor keepAxes(const Tensor &reduced, const std::vector<int64_t> &inputShape,
                const std::vector<int64_t> &axes) {
  std::vector<int64_t> shape(inputShape);
  for (int64_t a : axes)
    shape[a] = 1;
  return reshape(reduced, shape);
}

Tensor logSumExpKept(const Tensor &x, const std::vector<int64_t> &axes) {
  Tensor max = keepAxes(reduceAxes(x, axes, ast::ReduceKind::Max, false), x.shape, axes);
  for (double &m : max.data)
    m = std::isinf(m) ? 0.0 : m;
  Tensor e = broadcastMap({&x, &max}, [](const double *v) { return std::exp(v[0] - v[1]); });
  Tensor sum = keepAxes(reduceAxes(e, axes, ast::ReduceKind::Sum, false), x.shape, axes);
  for (size_t i = 0; i < sum.data.size(); ++i)
    sum.data[i] = std::log(sum.data[i]) + max.data[i];
  return sum;
}

Tensor logSoftmax(const Tensor &x, int64_t axis) {
  Tensor lse = logSumExpKept(x, {axis});
  return broadcastMap({&x, &lse},
                      [](const double *v) { return v[1] == -kInf ? -kInf : v[0] - v[1]; });
}

Tensor layerNormalize(const Tensor &x, double eps) {
  requireRank(x, 1, "layernorm");
  Tensor out = makeTensor(x.shape);
  int64_t n = x.shape.back(), rows = n ? static_cast<int64_t>(x.data.size()) / n : 0;
  for (int64_t r = 0; r < rows; ++r) {
    const double *row = x.data.data() + r * n;
    double mean = 0.0, var = 0.0;
    for (int64_t j = 0; j < n; ++j)
      mean += row[j];
    mean /= static_cast<double>(n);
    for (int64_t j = 0; j < n; ++j)
      var += (row[j] - mean) * (row[j] - mean);
    var /= static_cast<double>(n);
    double scale = 1.0 / std::sqrt(var + eps);
    for (int64_t j = 0; j < n; ++j)
      out.data[r * n + j] = (row[j] - mean) * scale;
  }
  return out;
}

Tensor rmsNormalize(const Tensor &x, double eps) {
  requireRank(x, 1, "rmsnorm");
  Tensor out = makeTensor(x.shape);
  int64_t n = x.shape.back(), rows = n ? static_cast<int64_t>(x.data.size()) / n : 0;
  for (int64_t r = 0; r < rows; ++r) {
    const double *row = x.data.data() + r * n;
    double squares = 0.0;
    for (int64_t j = 0; j < n; ++j)
      squares += row[j] * row[j];
    double scale = 1.0 / std::sqrt(squares / static_cast<double>(n) + eps);
    for (int64_t j = 0; j < n; ++j)
      out.data[r * n + j] = row[j] * scale;
  }
  return out;
}

// heads and unheads are a reshape that splits (or joins) the last axis
// followed by moving the head axis in front of the sequence axis.
Tensor splitHeads(const Tensor &x, int64_t heads) {
  requireRank(x, 2, "heads");
  int64_t columns = x.shape.back();
  if (heads <= 0 || columns % heads != 0)
    fail("heads: " + std::to_string(columns) + " columns do not split into " +
         std::to_string(heads) + " heads");
  std::vector<int64_t> split(x.shape.begin(), x.shape.end() - 1);
  split.push_back(heads);
  split.push_back(columns / heads);  // [..., S, H, D]
  size_t r = split.size();
  std::vector<int64_t> perm(r);
  std::iota(perm.begin(), perm.end(), 0);
  std::swap(perm[r - 3], perm[r - 2]);  // [..., H, S, D]
  return permute(reshape(x, split), perm);
}

Tensor mergeHeads(const Tensor &x) {
  requireRank(x, 3, "unheads");
  size_t r = x.shape.size();
  std::vector<int64_t> perm(r);
  std::iota(perm.begin(), perm.end(), 0);
  std::swap(perm[r - 3], perm[r - 2]);  // [..., S, H, D]
  Tensor moved = permute(x, perm);
  std::vector<int64_t> merged(moved.shape.begin(), moved.shape.end() - 2);
  int64_t columns = 0;
  if (__builtin_mul_overflow(moved.shape[r - 2], moved.shape[r - 1], &columns))
    fail("unheads: " + shapeString(x.shape) + " has too many columns");
  merged.push_back(columns);
  return reshape(moved, merged);
}

Tensor topkMask(const Tensor &x, int64_t k) {
  requireRank(x, 1, "topk_mask");
  if (k < 0)
    fail("topk_mask: K is negative (" + std::to_string(k) + ")");
  Tensor out = makeTensor(x.shape, -kInf);
  int64_t n = x.shape.back(), rows = n ? static_cast<int64_t>(x.data.size()) / n : 0;
  // A strict weak order: NaN above everything, then by value; stable_sort
  // keeps the lower index first among equals.
  auto ranksAbove = [](double a, double b) {
    if (std::isnan(a))
      return !std::isnan(b);
    return !std::isnan(b) && a > b;
  };
  std::vector<int64_t> order(n);
  for (int64_t r = 0; r < rows; ++r) {
    const double *row = x.data.data() + r * n;
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](int64_t a, int64_t b) { return ranksAbove(row[a], row[b]); });
    for (int64_t i = 0; i < std::min(k, n); ++i)
      out.data[r * n + order[i]] = row[order[i]];
  }
  return out;
}

} // namespace attnc::ref::detail
