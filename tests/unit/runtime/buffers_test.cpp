//===- buffers_test.cpp - attnc_kernel_alloc_buffers and thread indices ---===//
//
// Each test runs a model whose kernel asks for buffers the way compiled code
// does (BuffersToRuntime): one call with every request, before anything else.
// Leaks are the sanitizer suite's to find: every path here ends its run.
//
//===----------------------------------------------------------------------===//

#include "test_models.h"

#include <atomic>
#include <cstring>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <thread>

using namespace attnc_test;

namespace {

/// A model with one symbolic dim N (so that messages list the dims), and
/// the dims N = 7.
const Model &buffersModel() {
  static const Model model = [] {
    ModelBuilder b("buffers");
    b.dim("N");
    return b.build();
  }();
  return model;
}
const int64_t kDims[] = {7};

/// Runs `f` as the kernel of buffersModel() on `threads` threads; returns
/// the run's status.
attnc_status runKernel(int32_t threads, std::function<void(attnc_kernel_ctx *)> f) {
  return runWithContext(buffersModel(), kDims, threads, std::move(f));
}

/// Requests as compiled code encodes them.
struct Requests {
  std::vector<int64_t> words;
  std::string names;
  int64_t count = 0;

  /// A buffer used by the kernel's ops at positions [first, last] (by
  /// default all of them).
  Requests &add(const std::string &what, const std::string &type, int64_t elementBytes,
                std::vector<int64_t> extents, int64_t first = 0, int64_t last = 1000) {
    words.push_back(elementBytes);
    words.push_back(static_cast<int64_t>(extents.size()));
    words.push_back(first);
    words.push_back(last);
    words.insert(words.end(), extents.begin(), extents.end());
    names += what + '\0' + type + '\0';
    ++count;
    return *this;
  }

  attnc_status allocate(attnc_kernel_ctx *ctx, int64_t perThread, std::vector<void *> &pointers,
                        int64_t &stride) const {
    pointers.assign(static_cast<size_t>(count), nullptr);
    return attnc_kernel_alloc_buffers(ctx, names.data(), words.data(), count, perThread,
                                      pointers.data(), &stride);
  }
};

bool aligned64(const void *p) { return reinterpret_cast<uintptr_t>(p) % 64 == 0; }

TEST(KernelBuffers, EveryBufferIsAlignedAndWritable) {
  Requests r;
  r.add("'a' at m.attn:1:1", "f32", 4, {3, 5})
      .add("'b' at m.attn:2:1", "bool", 1, {0})
      .add("'c' at m.attn:3:1", "f16", 2, {})
      .add("'d' at m.attn:4:1", "i32", 4, {1000, 1000});
  attnc_status inside = ATTNC_ERR_INTERNAL;
  EXPECT_EQ(runKernel(2, [&](attnc_kernel_ctx *ctx) {
              std::vector<void *> p;
              int64_t stride = -1;
              inside = r.allocate(ctx, 0, p, stride);
              for (void *q : p) {
                ASSERT_NE(q, nullptr);
                EXPECT_TRUE(aligned64(q));
              }
              std::memset(p[0], 1, 60);
              std::memset(p[2], 1, 2);
              std::memset(p[3], 1, 4000000);
              EXPECT_EQ(stride, -1) << "no per-thread buffer: the stride is not written";
            }),
            ATTNC_OK)
      << attnc_last_error();
  EXPECT_EQ(inside, ATTNC_OK);
}

TEST(KernelBuffers, PerThreadCopiesDoNotOverlap) {
  Requests r;
  r.add("'whole' at m.attn:1:1", "f32", 4, {10})
      .add("'scratch' at m.attn:2:1", "f32", 4, {64, 3})
      .add("'heap' at m.attn:3:1", "f32", 4, {17});
  for (int32_t threads : {1, 2, 5}) {
    SCOPED_TRACE(testing::Message() << threads << " threads");
    EXPECT_EQ(runKernel(threads, [&](attnc_kernel_ctx *ctx) {
                std::vector<void *> p;
                int64_t stride = 0;
                ASSERT_EQ(r.allocate(ctx, 2, p, stride), ATTNC_OK) << attnc_last_error();
                // Each copy of 768 and 68 bytes, at cache-line boundaries.
                EXPECT_GE(stride, 768 + 128);
                EXPECT_EQ(stride % 64, 0);
                auto *scratch = static_cast<unsigned char *>(p[1]);
                auto *heap = static_cast<unsigned char *>(p[2]);
                EXPECT_TRUE(aligned64(scratch));
                EXPECT_TRUE(aligned64(heap));
                EXPECT_TRUE(heap >= scratch + 768 || heap + 68 <= scratch);
                for (int32_t t = 0; t < threads; ++t) {
                  std::memset(scratch + t * stride, t, 768);
                  std::memset(heap + t * stride, t, 68);
                }
                std::memset(p[0], 0xff, 40);
                for (int32_t t = 0; t < threads; ++t) {
                  EXPECT_EQ(scratch[t * stride + 767], t);
                  EXPECT_EQ(heap[t * stride + 67], t);
                }
              }),
              ATTNC_OK)
        << attnc_last_error();
  }
}

TEST(KernelBuffers, BuffersUsedAtDifferentTimesShareMemory) {
  // a [0, 2] and b [3, 5] never meet; c [2, 4] meets both.
  Requests r;
  r.add("'a' at m.attn:1:1", "f32", 4, {1000}, 0, 2)
      .add("'b' at m.attn:2:1", "f32", 4, {1000}, 3, 5)
      .add("'c' at m.attn:3:1", "f32", 4, {100}, 2, 4);
  EXPECT_EQ(runKernel(1, [&](attnc_kernel_ctx *ctx) {
              std::vector<void *> p;
              int64_t stride = 0;
              ASSERT_EQ(r.allocate(ctx, 0, p, stride), ATTNC_OK) << attnc_last_error();
              auto *a = static_cast<unsigned char *>(p[0]), *b = static_cast<unsigned char *>(p[1]);
              auto *c = static_cast<unsigned char *>(p[2]);
              EXPECT_EQ(a, b);
              EXPECT_TRUE(c >= a + 4000 || c + 400 <= a) << "c overlaps a";
              EXPECT_TRUE(aligned64(c));
            }),
            ATTNC_OK);
}

TEST(KernelBuffers, ACallersWorkspaceHoldsTheBuffers) {
  // a and b meet: 4032 + 64 bytes of arena, plus 63 of slack for any
  // alignment of the workspace, which NAME_workspace_bytes reports.
  Requests r;
  r.add("'a' at m.attn:1:1", "f32", 4, {1000}, 0, 2).add("'b' at m.attn:2:1", "f32", 4, {16}, 1, 3);
  auto kernel = [&](attnc_status &inside, std::vector<void *> &p) {
    return [&](attnc_kernel_ctx *ctx) {
      int64_t stride = 0;
      inside = r.allocate(ctx, 0, p, stride);
    };
  };
  const Model &model = buffersModel();
  const int64_t *dims = kDims;
  attnc_status inside = ATTNC_OK;
  std::vector<void *> p;
  const size_t needed = workspaceBytes(model, dims, kernel(inside, p));
  EXPECT_EQ(needed, 4096u + 63u);
  std::vector<unsigned char> memory(needed + 1);
  EXPECT_EQ(runWithContext(model, dims, 1, kernel(inside, p), memory.data() + 1, needed),
            ATTNC_OK)
      << attnc_last_error();
  for (void *q : p) {
    EXPECT_TRUE(aligned64(q));
    EXPECT_GE(static_cast<unsigned char *>(q), memory.data() + 1);
    EXPECT_LE(static_cast<unsigned char *>(q) + 64, memory.data() + memory.size());
  }
  EXPECT_EQ(runWithContext(model, dims, 1, kernel(inside, p), memory.data(), needed - 1),
            ATTNC_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(inside, ATTNC_ERR_INVALID_ARGUMENT);
  EXPECT_STREQ(attnc_last_error(), "the workspace holds 4158 bytes; this run needs 4159 "
                                   "(NAME_workspace_bytes for its dims)");
}

TEST(KernelBuffers, AWorkspaceOfTheReportedSizeHoldsThePerThreadCopiesToo) {
  // NAME_workspace_bytes counts a copy of the scratch for every core; a
  // workspace that holds only the arena (as before the scratch counted) still
  // serves, with the scratch allocated for the run.
  Requests r;
  r.add("'whole' at m.attn:1:1", "f32", 4, {10}).add("'scratch' at m.attn:2:1", "f32", 4, {50});
  const Model &model = buffersModel();
  const int64_t *dims = kDims;
  std::vector<void *> p;
  int64_t stride = 0;
  attnc_status inside = ATTNC_OK;
  auto kernel = [&](attnc_kernel_ctx *ctx) { inside = r.allocate(ctx, 1, p, stride); };
  const size_t needed = workspaceBytes(model, dims, kernel);
  ASSERT_EQ(runWithContext(model, dims, 1, kernel), ATTNC_OK) << attnc_last_error();
  ASSERT_EQ(stride, 256);
  const size_t arenaOnly = 64 + 63;
  EXPECT_GE(needed, arenaOnly + 256);
  EXPECT_EQ((needed - arenaOnly) % 256, 0u);
  const size_t cores = (needed - arenaOnly) / 256;
  for (size_t bytes : {needed, arenaOnly}) {
    SCOPED_TRACE(testing::Message() << bytes << " bytes of workspace");
    std::vector<unsigned char> memory(bytes);
    auto inWorkspace = [&](void *q, size_t size) {
      auto *c = static_cast<unsigned char *>(q);
      return c >= memory.data() && c + size <= memory.data() + memory.size();
    };
    ASSERT_EQ(runWithContext(model, dims, static_cast<int32_t>(cores), kernel, memory.data(),
                             bytes),
              ATTNC_OK)
        << attnc_last_error();
    ASSERT_EQ(inside, ATTNC_OK);
    EXPECT_TRUE(inWorkspace(p[0], 40));
    EXPECT_EQ(inWorkspace(p[1], cores * 256), bytes == needed);
  }
}

TEST(KernelBuffers, ASizeThatOverflowsFailsTheRunNamingTheBuffer) {
  Requests r;
  r.add("'small' at m.attn:1:1", "f32", 4, {8})
      .add("'t' at m.attn:2:5", "f32", 4, {INT64_C(1) << 40, INT64_C(1) << 40, 2});
  bool wroteOutputs = false;
  attnc_status s = runKernel(2, [&](attnc_kernel_ctx *ctx) {
    std::vector<void *> p;
    int64_t stride = 0;
    if (r.allocate(ctx, 0, p, stride) != ATTNC_OK)
      return;
    wroteOutputs = true;
  });
  EXPECT_EQ(s, ATTNC_ERR_OUT_OF_MEMORY);
  EXPECT_FALSE(wroteOutputs);
  EXPECT_STREQ(attnc_last_error(),
               "'t' at m.attn:2:5: f32[1099511627776, 1099511627776, 2] is too large: its size in "
               "bytes overflows 64 bits (with N = 7)");
}

TEST(KernelBuffers, AWorkspaceThatOverflowsHasNoSize) {
  Requests r;
  r.add("'t' at m.attn:2:5", "f32", 4, {INT64_C(1) << 40, INT64_C(1) << 40, 2});
  const Model &model = buffersModel();
  const int64_t *dims = kDims;
  std::vector<void *> p;
  const size_t needed = workspaceBytes(model, dims, [&](attnc_kernel_ctx *ctx) {
    int64_t stride = 0;
    r.allocate(ctx, 0, p, stride);
  });
  EXPECT_EQ(needed, SIZE_MAX);
}

TEST(KernelBuffers, AFailedAllocationFailsTheRunWithItsSize) {
  // 2^62 bytes: a valid size that no machine can allocate.
  Requests r;
  r.add("'ok' at m.attn:1:1", "f32", 4, {1024})
      .add("'huge' at m.attn:2:9", "f32", 4, {INT64_C(1) << 60});
  attnc_status s = runKernel(1, [&](attnc_kernel_ctx *ctx) {
    std::vector<void *> p;
    int64_t stride = 0;
    EXPECT_EQ(r.allocate(ctx, 0, p, stride), ATTNC_ERR_OUT_OF_MEMORY);
    EXPECT_EQ(p[0], nullptr) << "buffers[] is left alone on failure";
  });
  EXPECT_EQ(s, ATTNC_ERR_OUT_OF_MEMORY);
  EXPECT_STREQ(attnc_last_error(), "'huge' at m.attn:2:9: f32[1152921504606846976] needs "
                                   "4611686018427387904 bytes, which could not be allocated "
                                   "(with N = 7)");
}

TEST(KernelBuffers, PerThreadCopiesThatOverflowFailTheRun) {
  Requests r;
  r.add("'scratch' at m.attn:4:2", "f32", 4, {INT64_C(1) << 59});
  attnc_status s = runKernel(8, [&](attnc_kernel_ctx *ctx) {
    std::vector<void *> p;
    int64_t stride = 0;
    EXPECT_EQ(r.allocate(ctx, 1, p, stride), ATTNC_ERR_OUT_OF_MEMORY);
  });
  EXPECT_EQ(s, ATTNC_ERR_OUT_OF_MEMORY);
  EXPECT_STREQ(attnc_last_error(), "'scratch' at m.attn:4:2: f32[576460752303423488] is too "
                                   "large: one copy per thread overflows 64 bits (with N = 7)");
}

TEST(KernelBuffers, AMalformedRequestIsAnInternalError) {
  std::vector<int64_t> words = {4, -1};
  const char names[] = "x\0f32";
  attnc_status s = runKernel(1, [&](attnc_kernel_ctx *ctx) {
    void *p = nullptr;
    EXPECT_EQ(attnc_kernel_alloc_buffers(ctx, names, words.data(), 1, 0, &p, nullptr),
              ATTNC_ERR_INTERNAL);
    EXPECT_EQ(attnc_kernel_alloc_buffers(ctx, names, words.data(), 1, 2, &p, nullptr),
              ATTNC_ERR_INTERNAL);
  });
  EXPECT_EQ(s, ATTNC_ERR_INTERNAL);
  EXPECT_EQ(attnc_kernel_alloc_buffers(nullptr, names, words.data(), 1, 0, nullptr, nullptr),
            ATTNC_ERR_INTERNAL);
}

TEST(ThreadIndex, EachThreadOfARunHasItsOwnIndexBelowTheThreadCount) {
  for (int32_t threads : {1, 2, 4}) {
    SCOPED_TRACE(testing::Message() << threads << " threads");
    std::mutex mutex;
    std::map<std::thread::id, std::set<int32_t>> seen;
    std::thread::id caller;
    struct Data {
      attnc_kernel_ctx *ctx;
      std::mutex *mutex;
      std::map<std::thread::id, std::set<int32_t>> *seen;
    } data{nullptr, &mutex, &seen};
    EXPECT_EQ(runKernel(threads, [&](attnc_kernel_ctx *ctx) {
                caller = std::this_thread::get_id();
                data.ctx = ctx;
                attnc_parallel_for(
                    ctx, 256, 1,
                    [](void *p, int64_t, int64_t) {
                      auto *d = static_cast<Data *>(p);
                      int32_t index = attnc_ctx_thread_index(d->ctx);
                      std::this_thread::sleep_for(std::chrono::microseconds(200));
                      std::lock_guard<std::mutex> lock(*d->mutex);
                      (*d->seen)[std::this_thread::get_id()].insert(index);
                    },
                    &data);
              }),
              ATTNC_OK);
    std::set<int32_t> indices;
    for (const auto &[thread, own] : seen) {
      ASSERT_EQ(own.size(), 1u) << "a thread's index never changes";
      int32_t index = *own.begin();
      EXPECT_GE(index, 0);
      EXPECT_LT(index, threads);
      EXPECT_TRUE(indices.insert(index).second) << "index " << index << " is shared";
      if (thread == caller) {
        EXPECT_EQ(index, 0);
      }
    }
  }
  EXPECT_EQ(attnc_ctx_thread_index(nullptr), 0);
}

} // namespace
