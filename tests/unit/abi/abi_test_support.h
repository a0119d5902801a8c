//===- abi_test_support.h - Helpers for misuse tests of generated code ----===//
//
// The ABI misuse tests call entry points of objects that attnc really
// compiled. Every misuse must fail with one exact status, leave a message
// naming what was wrong in attnc_last_error(), never run the kernel and never
// touch an output. OutputGuard records the outputs' bytes before a call so
// the last promise can be checked after it.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNC_TESTS_UNIT_ABI_ABI_TEST_SUPPORT_H
#define ATTNC_TESTS_UNIT_ABI_ABI_TEST_SUPPORT_H

#include <attnc/runtime.h>

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace attnc_abi_test {

inline const char *statusName(attnc_status s) {
  switch (s) {
  case ATTNC_OK: return "ATTNC_OK";
  case ATTNC_ERR_INVALID_ARGUMENT: return "ATTNC_ERR_INVALID_ARGUMENT";
  case ATTNC_ERR_NULL_POINTER: return "ATTNC_ERR_NULL_POINTER";
  case ATTNC_ERR_SHAPE_MISMATCH: return "ATTNC_ERR_SHAPE_MISMATCH";
  case ATTNC_ERR_DTYPE_MISMATCH: return "ATTNC_ERR_DTYPE_MISMATCH";
  case ATTNC_ERR_OUT_OF_MEMORY: return "ATTNC_ERR_OUT_OF_MEMORY";
  case ATTNC_ERR_DEVICE: return "ATTNC_ERR_DEVICE";
  case ATTNC_ERR_UNSUPPORTED: return "ATTNC_ERR_UNSUPPORTED";
  case ATTNC_ERR_INTERNAL: return "ATTNC_ERR_INTERNAL";
  }
  return "(not an attnc_status)";
}

/// `status` is `expected` and the thread's error message contains `piece`.
inline ::testing::AssertionResult failedWith(attnc_status status, attnc_status expected,
                                             const std::string &piece) {
  std::string message = attnc_last_error();
  if (status != expected)
    return ::testing::AssertionFailure()
           << "status " << statusName(status) << ", expected " << statusName(expected)
           << " (message: \"" << message << "\")";
  if (message.find(piece) == std::string::npos)
    return ::testing::AssertionFailure()
           << "message \"" << message << "\" does not contain \"" << piece << "\"";
  return ::testing::AssertionSuccess();
}

/// For calls that return no status (NAME_output_elements): the message.
inline ::testing::AssertionResult lastErrorContains(const std::string &piece) {
  std::string message = attnc_last_error();
  if (message.find(piece) == std::string::npos)
    return ::testing::AssertionFailure()
           << "message \"" << message << "\" does not contain \"" << piece << "\"";
  return ::testing::AssertionSuccess();
}

/// Copies of output buffers taken when they were registered.
class OutputGuard {
public:
  void watch(const void *data, size_t bytes) {
    const auto *p = static_cast<const unsigned char *>(data);
    watched.push_back({data, std::vector<unsigned char>(p, p + bytes)});
  }
  /// Re-reads every watched buffer (call after a setup change).
  void refresh() {
    for (Watched &w : watched) {
      const auto *p = static_cast<const unsigned char *>(w.data);
      w.bytes.assign(p, p + w.bytes.size());
    }
  }
  ::testing::AssertionResult untouched() const {
    for (size_t i = 0; i < watched.size(); ++i)
      if (std::memcmp(watched[i].data, watched[i].bytes.data(), watched[i].bytes.size()) != 0)
        return ::testing::AssertionFailure() << "output buffer #" << i << " was written";
    return ::testing::AssertionSuccess();
  }

private:
  struct Watched {
    const void *data;
    std::vector<unsigned char> bytes;
  };
  std::vector<Watched> watched;
};

/// A dense tensor description of `data` (shape kept alive by the caller).
inline attnc_tensor tensor(void *data, attnc_dtype dtype, const std::vector<int64_t> &shape,
                           const std::vector<int64_t> *strides = nullptr) {
  return {data, dtype, static_cast<int32_t>(shape.size()), shape.data(),
          strides ? strides->data() : nullptr};
}
inline attnc_tensor tensor(const void *data, attnc_dtype dtype,
                           const std::vector<int64_t> &shape,
                           const std::vector<int64_t> *strides = nullptr) {
  return tensor(const_cast<void *>(data), dtype, shape, strides);
}

/// Deterministic values in [-1, 1), exact in f32.
inline std::vector<float> ramp(size_t n, unsigned seed) {
  std::vector<float> v(n);
  uint32_t x = 2654435761u * (seed + 1);
  for (float &f : v) {
    x = x * 1664525u + 1013904223u;
    f = static_cast<float>(static_cast<int32_t>((x >> 8) % 8192) - 4096) / 4096.0f;
  }
  return v;
}

} // namespace attnc_abi_test

/// A misuse: exact status, a message containing `piece`, outputs untouched
/// (the fixture provides `guard`).
#define EXPECT_MISUSE(call, status, piece)                                                     \
  do {                                                                                         \
    attnc_status got_ = (call);                                                                \
    EXPECT_TRUE(::attnc_abi_test::failedWith(got_, status, piece));                            \
    EXPECT_TRUE(guard.untouched()) << "a failed call must not write any output";               \
  } while (0)

/// A call that must succeed and clear the error message.
#define EXPECT_OK(call)                                                                        \
  do {                                                                                         \
    attnc_status got_ = (call);                                                                \
    EXPECT_EQ(got_, ATTNC_OK) << ::attnc_abi_test::statusName(got_) << ": "                    \
                              << attnc_last_error();                                           \
    EXPECT_STREQ(attnc_last_error(), "");                                                      \
  } while (0)

#endif
