//===- halide_glue_test.cpp - Halide pipelines inside a run ---------------===//
//
// Pipelines compiled as attnc compiles a model's (make_test_pipelines.cpp)
// run with the kernel's context as user_context: their parallel loops must
// run on the run's threads, their errors become the run's status and
// message, and no thread outlives the run.
//
//===----------------------------------------------------------------------===//

#include "../test_models.h"

#include "HalideRuntime.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <dirent.h>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

extern "C" {
int probe(void const *user_context, halide_buffer_t *out);
int rows(void const *user_context, halide_buffer_t *in, halide_buffer_t *out);
int rows_argv(void **args);
int scaled_argv(void **args);
int record_task(int task);
}

using namespace attnc_test;

namespace {

/// What the probe's tasks saw: which thread of the run ran each.
struct ProbeLog {
  attnc_kernel_ctx *ctx = nullptr;
  std::mutex mutex;
  std::vector<int> threadOfTask;
} probeLog;

/// A float buffer of the given extents, innermost first, densely strided.
struct Buffer {
  std::vector<float> data;
  std::vector<halide_dimension_t> dims;
  halide_buffer_t raw{};

  explicit Buffer(std::vector<int32_t> extents) {
    int32_t stride = 1;
    for (int32_t e : extents) {
      dims.push_back({0, e, stride, 0});
      stride *= e;
    }
    data.assign(static_cast<size_t>(stride), 0.0f);
    raw.host = reinterpret_cast<uint8_t *>(data.data());
    raw.type = halide_type_t(halide_type_float, 32);
    raw.dimensions = static_cast<int32_t>(dims.size());
    raw.dim = dims.data();
  }
};

int countThreads() {
  int n = 0;
  if (DIR *d = opendir("/proc/self/task")) {
    while (dirent *e = readdir(d))
      n += e->d_name[0] != '.';
    closedir(d);
  }
  return n;
}

/// A memref descriptor as a kernel stores it for attnc_kernel_call_halide.
template <int Rank> struct RankedDescriptor {
  float *allocated, *aligned;
  int64_t offset, sizes[Rank], strides[Rank];
};

/// rows' operands: its input, then its output, both of rank 2 and f32.
struct RowsOperands {
  RankedDescriptor<2> in, out;
};
const int64_t kRowsLayout[] = {2, /*flags*/ 0, /*in*/ 2, halide_type_float, 32,
                               /*out*/ 2, halide_type_float, 32};
/// The same, for a pipeline that computes its indices in 32 bits.
const int64_t kNarrowRowsLayout[] = {2, ATTNC_HALIDE_NARROW_INDICES, 2, halide_type_float, 32,
                                     2, halide_type_float, 32};

/// Runs `body` inside a run on `threads` threads and returns the run's status.
attnc_status inRun(int32_t threads, std::function<void(attnc_kernel_ctx *)> body) {
  static const Model model = ModelBuilder("halide").build();
  return runWithContext(model, nullptr, threads, std::move(body));
}

} // namespace

int record_task(int task) {
  // Long enough that the caller cannot take every task before a worker starts.
  std::this_thread::sleep_for(std::chrono::microseconds(200));
  std::lock_guard<std::mutex> lock(probeLog.mutex);
  probeLog.threadOfTask[static_cast<size_t>(task)] = attnc_ctx_thread_index(probeLog.ctx);
  return task;
}

TEST(HalideGlue, ParallelLoopsRunOnTheRunsThreads) {
  for (int32_t threads : {1, 2, 3}) {
    SCOPED_TRACE("threads " + std::to_string(threads));
    int before = countThreads();
    constexpr int kTasks = 64;
    probeLog.threadOfTask.assign(kTasks, -1);
    Buffer out({kTasks});
    int result = -1;
    ASSERT_EQ(inRun(threads,
                    [&](attnc_kernel_ctx *ctx) {
                      probeLog.ctx = ctx;
                      result = probe(ctx, &out.raw);
                    }),
              ATTNC_OK);
    EXPECT_EQ(result, 0);
    std::vector<bool> used(static_cast<size_t>(threads), false);
    for (int i = 0; i < kTasks; ++i) {
      EXPECT_EQ(out.data[static_cast<size_t>(i)], static_cast<float>(i));
      int t = probeLog.threadOfTask[static_cast<size_t>(i)];
      ASSERT_GE(t, 0) << "task " << i << " never ran";
      ASSERT_LT(t, threads);
      used[static_cast<size_t>(t)] = true;
    }
    for (int32_t t = 0; t < threads; ++t)
      EXPECT_TRUE(used[static_cast<size_t>(t)]) << "thread " << t << " ran no task";
    EXPECT_EQ(countThreads(), before) << "a thread outlived the run";
  }
}

TEST(HalideGlue, ResultsAreRight) {
  Buffer in({5, 7}), out({5, 7});
  for (size_t i = 0; i < in.data.size(); ++i)
    in.data[i] = static_cast<float>(i) - 11.5f;
  int result = -1;
  ASSERT_EQ(inRun(2, [&](attnc_kernel_ctx *ctx) { result = rows(ctx, &in.raw, &out.raw); }),
            ATTNC_OK);
  ASSERT_EQ(result, 0);
  for (size_t i = 0; i < in.data.size(); ++i)
    EXPECT_EQ(out.data[i], 2.0f * in.data[i]);
}

TEST(HalideGlue, AnErrorBecomesTheRunsStatusAndMessage) {
  Buffer in({5, 3}), out({5, 7}); // rows 3 .. 6 of the input are missing
  int result = 0;
  attnc_status s = inRun(2, [&](attnc_kernel_ctx *ctx) {
    result = rows(ctx, &in.raw, &out.raw);
    if (result != 0)
      attnc_kernel_halide_failed(ctx, result);
  });
  EXPECT_NE(result, 0);
  EXPECT_EQ(s, ATTNC_ERR_INTERNAL);
  std::string message = attnc_last_error();
  EXPECT_EQ(message.rfind("Halide pipeline: ", 0), 0u) << message;
  EXPECT_NE(message.find("Input buffer in"), std::string::npos) << message;
  EXPECT_EQ(message.back() != '\n', true);
}

TEST(HalideGlue, OutOfMemoryIsItsOwnStatus) {
  for (int code : {halide_error_code_out_of_memory, halide_error_code_buffer_allocation_too_large}) {
    attnc_status s =
        inRun(1, [&](attnc_kernel_ctx *ctx) { attnc_kernel_halide_failed(ctx, code); });
    EXPECT_EQ(s, ATTNC_ERR_OUT_OF_MEMORY) << code;
    EXPECT_NE(std::string(attnc_last_error()).find("code " + std::to_string(code)),
              std::string::npos)
        << attnc_last_error();
  }
  attnc_status s = inRun(1, [&](attnc_kernel_ctx *ctx) {
    attnc_kernel_halide_failed(ctx, halide_error_code_bad_type);
  });
  EXPECT_EQ(s, ATTNC_ERR_INTERNAL);
}

TEST(HalideGlue, APipelineTakesTheKernelsDescriptors) {
  // The input is a 7 x 5 view, at offset 3, of rows 9 floats apart.
  std::vector<float> base(3 + 7 * 9), out(7 * 5, -1.0f);
  for (size_t i = 0; i < base.size(); ++i)
    base[i] = static_cast<float>(i);
  RowsOperands operands{{base.data(), base.data(), 3, {7, 5}, {9, 1}},
                        {out.data(), out.data(), 0, {7, 5}, {5, 1}}};
  ASSERT_EQ(inRun(2,
                  [&](attnc_kernel_ctx *ctx) {
                    attnc_kernel_call_halide(ctx, rows_argv, kRowsLayout,
                                             reinterpret_cast<const int64_t *>(&operands));
                  }),
            ATTNC_OK)
      << attnc_last_error();
  for (int r = 0; r < 7; ++r)
    for (int c = 0; c < 5; ++c)
      EXPECT_EQ(out[static_cast<size_t>(r * 5 + c)], 2.0f * base[static_cast<size_t>(3 + r * 9 + c)])
          << r << ", " << c;
}

TEST(HalideGlue, AnExtentBeyondInt32IsAClearErrorAndLaterCallsDoNothing) {
  std::vector<float> in(35, 1.0f), out(35, -1.0f);
  RowsOperands huge{{in.data(), in.data(), 0, {int64_t(1) << 31, 5}, {5, 1}},
                    {out.data(), out.data(), 0, {7, 5}, {5, 1}}};
  RowsOperands fine{{in.data(), in.data(), 0, {7, 5}, {5, 1}},
                    {out.data(), out.data(), 0, {7, 5}, {5, 1}}};
  attnc_status s = inRun(1, [&](attnc_kernel_ctx *ctx) {
    attnc_kernel_call_halide(ctx, rows_argv, kRowsLayout,
                             reinterpret_cast<const int64_t *>(&huge));
    attnc_kernel_call_halide(ctx, rows_argv, kRowsLayout,
                             reinterpret_cast<const int64_t *>(&fine));
  });
  EXPECT_EQ(s, ATTNC_ERR_UNSUPPORTED);
  EXPECT_NE(std::string(attnc_last_error()).find("beyond 2^31 - 1"), std::string::npos)
      << attnc_last_error();
  for (float v : out)
    EXPECT_EQ(v, -1.0f) << "a call after the failure ran";
}

TEST(HalideGlue, ABufferOf2To31ElementsIsAClearErrorWhenIndicesAreNarrow) {
  // Each extent fits in 32 bits, their product does not; no element is read.
  std::vector<float> in(35, 1.0f), out(35, -1.0f);
  RowsOperands huge{{in.data(), in.data(), 0, {int64_t(1) << 16, int64_t(1) << 15}, {0, 0}},
                    {out.data(), out.data(), 0, {7, 5}, {5, 1}}};
  attnc_status s = inRun(1, [&](attnc_kernel_ctx *ctx) {
    attnc_kernel_call_halide(ctx, rows_argv, kNarrowRowsLayout,
                             reinterpret_cast<const int64_t *>(&huge));
  });
  EXPECT_EQ(s, ATTNC_ERR_UNSUPPORTED);
  EXPECT_NE(std::string(attnc_last_error()).find("operand 0 has 2^31 elements or more"),
            std::string::npos)
      << attnc_last_error();
  for (float v : out)
    EXPECT_EQ(v, -1.0f);
}

TEST(HalideGlue, ScalarOperandsTravelAsOneWordEach) {
  std::vector<float> in(7 * 5), out(7 * 5, -1.0f);
  for (size_t i = 0; i < in.size(); ++i)
    in[i] = static_cast<float>(i) - 9.0f;
  // in, then the scalars k = -3 (int64) and s = 0.5 (float, in the word's
  // low bytes), then out.
  struct {
    RankedDescriptor<2> in;
    int64_t k, s;
    RankedDescriptor<2> out;
  } operands{{in.data(), in.data(), 0, {7, 5}, {5, 1}}, -3, 0, {out.data(), out.data(), 0, {7, 5}, {5, 1}}};
  const float half = 0.5f;
  std::memcpy(&operands.s, &half, sizeof half);
  const int64_t layout[] = {4, 0, 2, halide_type_float, 32, -1, halide_type_int, 64,
                            -1, halide_type_float, 32, 2, halide_type_float, 32};
  ASSERT_EQ(inRun(2,
                  [&](attnc_kernel_ctx *ctx) {
                    attnc_kernel_call_halide(ctx, scaled_argv, layout,
                                             reinterpret_cast<const int64_t *>(&operands));
                  }),
            ATTNC_OK)
      << attnc_last_error();
  for (size_t i = 0; i < in.size(); ++i)
    EXPECT_EQ(out[i], in[i] * 0.5f - 3.0f) << i;
}
