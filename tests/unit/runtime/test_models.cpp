//===- test_models.cpp - Models and fake kernels shared by runtime tests --===//

#include "test_models.h"

namespace attnc_test {

Received &received() {
  static Received r;
  return r;
}

std::vector<int> &expectedRanks() {
  static std::vector<int> ranks;
  return ranks;
}

template <int R> static Descriptor read(void *arg) {
  Descriptor d;
  Memref<R> &m = memref<R>(arg);
  d.allocated = m.allocated;
  d.aligned = m.aligned;
  d.offset = m.offset;
  if constexpr (R > 0) {
    d.sizes.assign(m.sizes, m.sizes + R);
    d.strides.assign(m.strides, m.strides + R);
  }
  return d;
}

static Descriptor readRank(void *arg, int rank) {
  switch (rank) {
  case 0:
    return read<0>(arg);
  case 1:
    return read<1>(arg);
  case 2:
    return read<2>(arg);
  case 3:
    return read<3>(arg);
  case 4:
    return read<4>(arg);
  }
  ADD_FAILURE() << "no reader for rank " << rank;
  return {};
}

static void record(void **args, const std::vector<int> &ranks) {
  ++entryCalls();
  Received &r = received();
  r = Received();
  r.ctx = static_cast<attnc_kernel_ctx *>(args[0]);
  r.threads = attnc_ctx_num_threads(r.ctx);
  r.dims = read<1>(args[1]);
  const int64_t *values = static_cast<const int64_t *>(r.dims.aligned);
  r.dimValues.assign(values, values + r.dims.sizes[0]);
  for (size_t i = 0; i < ranks.size(); ++i)
    r.tensors.push_back(readRank(args[2 + i], ranks[i]));
}

void recordingEntry(void **args) { record(args, expectedRanks()); }

Model addMulModel() {
  ModelBuilder b("addmul");
  Expr B = b.dim("B"), S = b.dim("S"), E = b.dim("E", 4);
  b.input("x", ATTNC_F32, {B, S, E})
      .input("y", ATTNC_F32, {B, S, E})
      .param("w", ATTNC_F32, {E})
      .output("o", ATTNC_F32, {B, S, E})
      .output("total", ATTNC_F32, {});
  return b.build();
}

namespace {
struct AddMulRows {
  const float *x, *y, *w;
  float *o;
  int64_t e;
};
} // namespace

void addMulEntry(void **args) {
  record(args, {3, 3, 1, 3, 0});
  Memref<3> &x = memref<3>(args[2]), &y = memref<3>(args[3]), &o = memref<3>(args[5]);
  Memref<1> &w = memref<1>(args[4]);
  Memref<0> &total = memref<0>(args[6]);
  AddMulRows rows{static_cast<const float *>(x.aligned), static_cast<const float *>(y.aligned),
                  static_cast<const float *>(w.aligned), static_cast<float *>(o.aligned),
                  w.sizes[0]};
  // One task per (b, s) row, as the compiler parallelises outer loops.
  attnc_parallel_for(
      static_cast<attnc_kernel_ctx *>(args[0]), x.sizes[0] * x.sizes[1], 1,
      [](void *data, int64_t begin, int64_t end) {
        auto *r = static_cast<AddMulRows *>(data);
        for (int64_t row = begin; row < end; ++row)
          for (int64_t e = 0; e < r->e; ++e) {
            int64_t i = row * r->e + e;
            r->o[i] = r->x[i] + r->y[i] * r->w[e];
          }
      },
      &rows);
  float sum = 0;
  for (int64_t i = 0; i < o.sizes[0] * o.sizes[1] * o.sizes[2]; ++i)
    sum += rows.o[i];
  *static_cast<float *>(total.aligned) = sum;
}

Model splitModel() {
  ModelBuilder b("split");
  Expr N = b.dim("N"), G = b.dim("G"), H = b.dim("H", 2);
  b.input("a", ATTNC_F32, {N, G * H})
      .input("g", ATTNC_I32, {G})
      .input("b", ATTNC_F16, {N / H})
      .output("o", ATTNC_F32, {N + 1})
      .check(N / H);
  return b.build();
}

namespace {
std::function<void(attnc_kernel_ctx *)> &contextBody() {
  static std::function<void(attnc_kernel_ctx *)> f;
  return f;
}
void contextEntry(void **args) { contextBody()(static_cast<attnc_kernel_ctx *>(args[0])); }
} // namespace

attnc_status runWithContext(const Model &model, const int64_t *dims, int32_t threads,
                            std::function<void(attnc_kernel_ctx *)> body, void *workspace,
                            size_t workspaceBytes) {
  contextBody() = std::move(body);
  attnc_exec exec{sizeof(attnc_exec), threads, nullptr, workspace, workspaceBytes};
  return model.run(contextEntry, dims, nullptr, nullptr, nullptr, &exec);
}

size_t workspaceBytes(const Model &model, const int64_t *dims,
                      std::function<void(attnc_kernel_ctx *)> body) {
  contextBody() = std::move(body);
  return model.workspaceBytes(contextEntry, dims);
}

} // namespace attnc_test
