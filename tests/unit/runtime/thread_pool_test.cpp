//===- thread_pool_test.cpp - attnc_parallel_for and the kernel context ---===//
//
// A context exists only inside a run, so each test runs a model with no
// tensors whose kernel executes the test's body with args[0].
//
//===----------------------------------------------------------------------===//

#include "test_models.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <mutex>
#include <set>
#include <thread>

using namespace attnc_test;

namespace {

/// Runs `f` inside a run of a tensor-less model on `threads` threads.
void withContext(int32_t threads, std::function<void(attnc_kernel_ctx *)> f) {
  static const Model model = ModelBuilder("pool").build();
  ASSERT_EQ(runWithContext(model, nullptr, threads, std::move(f)), ATTNC_OK)
      << attnc_last_error();
}

/// What a parallel_for did: every chunk, and on which thread.
struct Trace {
  struct Chunk {
    int64_t begin, end;
    std::thread::id thread;
  };
  std::mutex mutex;
  std::vector<Chunk> chunks;
  std::vector<std::atomic<int>> visits;
  std::chrono::microseconds work{0};

  explicit Trace(int64_t n) : visits(static_cast<size_t>(std::max<int64_t>(n, 0))) {}

  static void task(void *data, int64_t begin, int64_t end) {
    auto *t = static_cast<Trace *>(data);
    for (int64_t i = begin; i < end; ++i)
      if (i >= 0 && i < static_cast<int64_t>(t->visits.size()))
        t->visits[static_cast<size_t>(i)].fetch_add(1);
    if (t->work.count())
      std::this_thread::sleep_for(t->work);
    std::lock_guard<std::mutex> lock(t->mutex);
    t->chunks.push_back({begin, end, std::this_thread::get_id()});
  }

  size_t threadsUsed() {
    std::set<std::thread::id> ids;
    for (const Chunk &c : chunks)
      ids.insert(c.thread);
    return ids.size();
  }
};

/// Checks that [0, n) was covered exactly once by chunks of at least
/// min(grain, n) indices.
void expectExactCover(Trace &t, int64_t n, int64_t grain) {
  for (size_t i = 0; i < t.visits.size(); ++i)
    ASSERT_EQ(t.visits[i].load(), 1) << "index " << i;
  int64_t covered = 0;
  for (const Trace::Chunk &c : t.chunks) {
    EXPECT_LE(0, c.begin);
    EXPECT_LT(c.begin, c.end);
    EXPECT_LE(c.end, n);
    EXPECT_GE(c.end - c.begin, std::min(std::max<int64_t>(grain, 1), n));
    covered += c.end - c.begin;
  }
  EXPECT_EQ(covered, n);
}

int threadsInProcess() {
  int n = 0;
  for ([[maybe_unused]] const auto &entry : std::filesystem::directory_iterator("/proc/self/task"))
    ++n;
  return n;
}

/// The thread count once it stops changing. A joined thread can stay listed
/// in /proc for a moment after pthread_join returns, so counts are taken
/// when the process is quiet, or awaited.
int settledThreads() {
  int last = threadsInProcess();
  for (int i = 0; i < 200; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    int now = threadsInProcess();
    if (now == last)
      return now;
    last = now;
  }
  return last;
}

/// Waits (a bounded time) for the thread count to drop to `expected`.
int threadsAfterJoin(int expected) {
  for (int i = 0; i < 400 && threadsInProcess() != expected; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  return threadsInProcess();
}

TEST(ParallelFor, VisitsEveryIndexExactlyOnce) {
  for (int32_t threads : {1, 2, 3, 8})
    for (int64_t n : {0, 1, 2, 7, 64, 1000, 12345})
      for (int64_t grain : {1, 3, 64, 5000}) {
        SCOPED_TRACE(testing::Message() << "threads " << threads << " n " << n << " grain "
                                        << grain);
        Trace t(n);
        withContext(threads, [&](attnc_kernel_ctx *ctx) {
          EXPECT_EQ(attnc_ctx_num_threads(ctx), threads);
          attnc_parallel_for(ctx, n, grain, Trace::task, &t);
        });
        expectExactCover(t, n, grain);
        EXPECT_LE(t.threadsUsed(), static_cast<size_t>(threads));
      }
}

TEST(ParallelFor, EmptyRangesCallNothing) {
  for (int64_t n : {INT64_C(0), INT64_C(-5)}) {
    Trace t(0);
    withContext(4, [&](attnc_kernel_ctx *ctx) { attnc_parallel_for(ctx, n, 1, Trace::task, &t); });
    EXPECT_TRUE(t.chunks.empty());
  }
}

TEST(ParallelFor, OneIndexIsOneCallOnTheCaller) {
  Trace t(1);
  std::thread::id caller;
  withContext(4, [&](attnc_kernel_ctx *ctx) {
    caller = std::this_thread::get_id();
    attnc_parallel_for(ctx, 1, 1, Trace::task, &t);
  });
  ASSERT_EQ(t.chunks.size(), 1u);
  EXPECT_EQ(t.chunks[0].begin, 0);
  EXPECT_EQ(t.chunks[0].end, 1);
  EXPECT_EQ(t.chunks[0].thread, caller);
}

TEST(ParallelFor, NonPositiveGrainMeansOne) {
  for (int64_t grain : {INT64_C(0), INT64_C(-3)}) {
    Trace t(100);
    withContext(3, [&](attnc_kernel_ctx *ctx) {
      attnc_parallel_for(ctx, 100, grain, Trace::task, &t);
    });
    expectExactCover(t, 100, 1);
  }
}

TEST(ParallelFor, NullContextRunsTheWholeRangeOnTheCaller) {
  Trace t(50);
  attnc_parallel_for(nullptr, 50, 4, Trace::task, &t);
  ASSERT_EQ(t.chunks.size(), 1u);
  EXPECT_EQ(t.chunks[0].begin, 0);
  EXPECT_EQ(t.chunks[0].end, 50);
  EXPECT_EQ(t.chunks[0].thread, std::this_thread::get_id());
  EXPECT_EQ(attnc_ctx_num_threads(nullptr), 1);
}

TEST(ParallelFor, NullTaskIsIgnored) {
  withContext(2, [](attnc_kernel_ctx *ctx) { attnc_parallel_for(ctx, 10, 1, nullptr, nullptr); });
}

TEST(ParallelFor, CallerAndWorkersShareTheWork) {
  Trace t(64);
  t.work = std::chrono::microseconds(2000); // long enough for workers to wake up
  std::thread::id caller;
  withContext(4, [&](attnc_kernel_ctx *ctx) {
    caller = std::this_thread::get_id();
    attnc_parallel_for(ctx, 64, 1, Trace::task, &t);
  });
  expectExactCover(t, 64, 1);
  EXPECT_GE(t.threadsUsed(), 2u);
  EXPECT_LE(t.threadsUsed(), 4u);
  bool callerWorked = std::any_of(t.chunks.begin(), t.chunks.end(),
                                  [&](const Trace::Chunk &c) { return c.thread == caller; });
  EXPECT_TRUE(callerWorked);
}

TEST(ParallelFor, ThreadsStartLazilyAndAreJoinedByTheEndOfTheRun) {
  int before = settledThreads();
  int atStart = -1, afterLoop = -1;
  withContext(4, [&](attnc_kernel_ctx *ctx) {
    atStart = threadsInProcess();
    Trace t(64);
    attnc_parallel_for(ctx, 64, 1, Trace::task, &t);
    afterLoop = threadsInProcess();
  });
  EXPECT_EQ(atStart, before) << "a run started threads before any parallel_for";
  EXPECT_EQ(afterLoop, before + 3) << "workers are kept for the rest of the run";
  EXPECT_EQ(threadsAfterJoin(before), before) << "the run returned with workers alive";
}

TEST(ParallelFor, NoMoreWorkersThanChunksNeed) {
  int before = settledThreads(), during = -1;
  withContext(8, [&](attnc_kernel_ctx *ctx) {
    Trace t(3);
    attnc_parallel_for(ctx, 3, 1, Trace::task, &t); // three chunks: two helpers
    during = threadsInProcess();
  });
  EXPECT_EQ(during, before + 2);
}

TEST(ParallelFor, RepeatedLoopsReuseTheWorkers) {
  int before = settledThreads(), during = -1;
  withContext(3, [&](attnc_kernel_ctx *ctx) {
    for (int rep = 0; rep < 200; ++rep) {
      Trace t(97);
      attnc_parallel_for(ctx, 97, 2, Trace::task, &t);
      expectExactCover(t, 97, 2);
    }
    during = threadsInProcess();
  });
  EXPECT_EQ(during, before + 2);
}

TEST(ParallelFor, NestedLoopsRunInline) {
  const int64_t outer = 16, inner = 33;
  std::vector<std::atomic<int>> visits(outer * inner);
  struct Nest {
    attnc_kernel_ctx *ctx;
    std::vector<std::atomic<int>> *visits;
    int64_t inner;
  } nest{nullptr, &visits, inner};
  withContext(4, [&](attnc_kernel_ctx *ctx) {
    nest.ctx = ctx;
    attnc_parallel_for(
        ctx, outer, 1,
        [](void *data, int64_t begin, int64_t end) {
          auto *n = static_cast<Nest *>(data);
          for (int64_t o = begin; o < end; ++o) {
            std::pair<Nest *, int64_t> row{n, o};
            attnc_parallel_for(
                n->ctx, n->inner, 1,
                [](void *rowData, int64_t b, int64_t e) {
                  auto *r = static_cast<std::pair<Nest *, int64_t> *>(rowData);
                  for (int64_t i = b; i < e; ++i)
                    (*r->first->visits)[static_cast<size_t>(r->second * r->first->inner + i)]++;
                },
                &row);
          }
        },
        &nest);
  });
  for (size_t i = 0; i < visits.size(); ++i)
    ASSERT_EQ(visits[i].load(), 1) << "index " << i;
}

TEST(ParallelFor, ConcurrentRunsHaveIndependentPools) {
  // Each run owns its pool; the model and the body are shared, read-only.
  static const Model model = ModelBuilder("pool").build();
  static std::atomic<int> failures{0};
  failures = 0;
  auto entry = [](void **args) {
    auto *ctx = static_cast<attnc_kernel_ctx *>(args[0]);
    for (int rep = 0; rep < 20; ++rep) {
      std::vector<std::atomic<int>> visits(1000);
      attnc_parallel_for(
          ctx, 1000, 7,
          [](void *data, int64_t b, int64_t e) {
            auto *v = static_cast<std::vector<std::atomic<int>> *>(data);
            for (int64_t i = b; i < e; ++i)
              (*v)[static_cast<size_t>(i)]++;
          },
          &visits);
      for (auto &v : visits)
        if (v.load() != 1)
          failures++;
    }
  };
  std::vector<std::thread> callers;
  std::atomic<int> errors{0};
  for (int c = 0; c < 4; ++c)
    callers.emplace_back([&] {
      attnc_exec exec{sizeof(attnc_exec), 3, nullptr, nullptr, 0};
      if (model.run(entry, nullptr, nullptr, nullptr, nullptr, &exec) != ATTNC_OK)
        errors++;
    });
  for (std::thread &t : callers)
    t.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(failures.load(), 0);
}

TEST(ParallelFor, MoreThreadsThanCores) {
  Trace t(5000);
  withContext(32, [&](attnc_kernel_ctx *ctx) { attnc_parallel_for(ctx, 5000, 1, Trace::task, &t); });
  expectExactCover(t, 5000, 1);
}

} // namespace
