//===- model_builder.h - Hand-built model signatures for runtime tests ----===//
//
// The runtime's tests need what a generated object provides: an encoded
// signature, its strings and an entry function. ModelBuilder encodes a
// signature exactly as docs/internals/abi.md describes it, from dims, tensors
// with dim-expression shapes, and checks; Memref<R> reads the descriptors an
// entry receives with the layout MLIR's C interface uses, independently of
// how the runtime writes them.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNC_TESTS_UNIT_RUNTIME_MODEL_BUILDER_H
#define ATTNC_TESTS_UNIT_RUNTIME_MODEL_BUILDER_H

#include <attnc/runtime.h>

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

namespace attnc_test {

//===----------------------------------------------------------------------===//
// Dim expressions in reverse Polish form
//===----------------------------------------------------------------------===//

struct Expr {
  std::vector<int64_t> tokens;
};

inline Expr lit(int64_t v) { return Expr{{0, v}}; }

inline Expr binary(Expr a, const Expr &b, int64_t op) {
  a.tokens.insert(a.tokens.end(), b.tokens.begin(), b.tokens.end());
  a.tokens.push_back(op);
  return a;
}
inline Expr operator+(const Expr &a, const Expr &b) { return binary(a, b, 2); }
inline Expr operator-(const Expr &a, const Expr &b) { return binary(a, b, 3); }
inline Expr operator*(const Expr &a, const Expr &b) { return binary(a, b, 4); }
inline Expr operator/(const Expr &a, const Expr &b) { return binary(a, b, 5); }
inline Expr operator+(const Expr &a, int64_t b) { return a + lit(b); }
inline Expr operator-(const Expr &a, int64_t b) { return a - lit(b); }
inline Expr operator*(const Expr &a, int64_t b) { return a * lit(b); }
inline Expr operator/(const Expr &a, int64_t b) { return a / lit(b); }

//===----------------------------------------------------------------------===//
// Encoded models
//===----------------------------------------------------------------------===//

/// What a generated object holds: the signature and its strings.
struct Model {
  std::vector<int64_t> sig;
  std::string strings; // NUL-separated

  attnc_status run(attnc_entry_fn entry, const int64_t *dims, const void *const *inputs,
                   const void *const *params, void *const *outputs,
                   const attnc_exec *exec = nullptr) const {
    return attnc_model_run(sig.data(), strings.c_str(), entry, dims, inputs, params, outputs,
                           exec);
  }

  size_t workspaceBytes(attnc_entry_fn entry, const int64_t *dims) const {
    return attnc_model_workspace_bytes(sig.data(), strings.c_str(), entry, dims);
  }

  attnc_status runTensors(attnc_entry_fn entry, const std::vector<attnc_tensor> &inputs,
                          const std::vector<attnc_tensor> &params,
                          std::vector<attnc_tensor> &outputs,
                          const attnc_exec *exec = nullptr) const {
    return attnc_model_run_tensors(sig.data(), strings.c_str(), entry,
                                   inputs.empty() ? nullptr : inputs.data(), inputs.size(),
                                   params.empty() ? nullptr : params.data(), params.size(),
                                   outputs.empty() ? nullptr : outputs.data(), outputs.size(),
                                   exec);
  }

  size_t outputElements(const int64_t *dims, int index) const {
    return attnc_model_output_elements(sig.data(), strings.c_str(), dims, index);
  }
};

class ModelBuilder {
public:
  explicit ModelBuilder(std::string name) : name_(std::move(name)) {}

  /// Declares a dim (symbolic unless `fixed` >= 0) and returns it as an
  /// expression.
  Expr dim(const std::string &name, int64_t fixed = -1) {
    dims_.push_back({name, fixed});
    return Expr{{1, static_cast<int64_t>(dims_.size()) - 1}};
  }
  ModelBuilder &input(const std::string &name, attnc_dtype dtype, std::vector<Expr> shape) {
    inputs_.push_back({name, dtype, std::move(shape)});
    return *this;
  }
  ModelBuilder &param(const std::string &name, attnc_dtype dtype, std::vector<Expr> shape) {
    params_.push_back({name, dtype, std::move(shape)});
    return *this;
  }
  ModelBuilder &output(const std::string &name, attnc_dtype dtype, std::vector<Expr> shape) {
    outputs_.push_back({name, dtype, std::move(shape)});
    return *this;
  }
  ModelBuilder &check(Expr e) {
    checks_.push_back(std::move(e));
    return *this;
  }

  Model build() const {
    Model m;
    auto str = [&m](const std::string &s) {
      int64_t offset = static_cast<int64_t>(m.strings.size());
      m.strings += s;
      m.strings.push_back('\0');
      return offset;
    };
    auto expr = [&m](const Expr &e) {
      m.sig.push_back(static_cast<int64_t>(e.tokens.size()));
      m.sig.insert(m.sig.end(), e.tokens.begin(), e.tokens.end());
    };
    m.sig = {0x434E5441, 1, str(name_), static_cast<int64_t>(dims_.size())};
    for (const Dim &d : dims_) {
      m.sig.push_back(str(d.name));
      m.sig.push_back(d.fixed);
    }
    m.sig.push_back(static_cast<int64_t>(inputs_.size()));
    m.sig.push_back(static_cast<int64_t>(params_.size()));
    m.sig.push_back(static_cast<int64_t>(outputs_.size()));
    for (const auto *list : {&inputs_, &params_, &outputs_})
      for (const Tensor &t : *list) {
        m.sig.push_back(str(t.name));
        m.sig.push_back(t.dtype);
        m.sig.push_back(static_cast<int64_t>(t.shape.size()));
        for (const Expr &e : t.shape)
          expr(e);
      }
    m.sig.push_back(static_cast<int64_t>(checks_.size()));
    for (const Expr &e : checks_)
      expr(e);
    return m;
  }

private:
  struct Dim {
    std::string name;
    int64_t fixed;
  };
  struct Tensor {
    std::string name;
    attnc_dtype dtype;
    std::vector<Expr> shape;
  };
  std::string name_;
  std::vector<Dim> dims_;
  std::vector<Tensor> inputs_, params_, outputs_;
  std::vector<Expr> checks_;
};

/// A tensor for run_tensors; `shape` (and `strides`) must outlive the call.
inline attnc_tensor tensor(void *data, attnc_dtype dtype, const std::vector<int64_t> &shape,
                           const std::vector<int64_t> *strides = nullptr) {
  attnc_tensor t;
  t.data = data;
  t.dtype = dtype;
  t.rank = static_cast<int32_t>(shape.size());
  t.shape = shape.data();
  t.strides = strides ? strides->data() : nullptr;
  return t;
}

//===----------------------------------------------------------------------===//
// What the kernel receives
//===----------------------------------------------------------------------===//

/// MLIR's memref descriptor of rank R (StridedMemRefType's layout).
template <int R> struct Memref {
  void *allocated;
  void *aligned;
  int64_t offset;
  int64_t sizes[R];
  int64_t strides[R];
};
template <> struct Memref<0> {
  void *allocated;
  void *aligned;
  int64_t offset;
};

template <int R> Memref<R> &memref(void *arg) { return *static_cast<Memref<R> *>(arg); }

/// How many times fake entries ran; failure tests expect 0.
inline int &entryCalls() {
  static int calls = 0;
  return calls;
}

inline ::testing::AssertionResult lastErrorContains(const std::string &piece);

/// Checks a failed call: the exact status and a piece of the message.
inline ::testing::AssertionResult failedWith(attnc_status got, attnc_status want,
                                             const std::string &piece) {
  if (got != want)
    return ::testing::AssertionFailure()
           << "status is '" << attnc_status_string(got) << "', expected '"
           << attnc_status_string(want) << "' (message: \"" << attnc_last_error() << "\")";
  return lastErrorContains(piece);
}

/// Checks attnc_last_error() for a piece of text.
inline ::testing::AssertionResult lastErrorContains(const std::string &piece) {
  std::string message = attnc_last_error();
  if (message.find(piece) == std::string::npos)
    return ::testing::AssertionFailure()
           << "message \"" << message << "\" does not contain \"" << piece << "\"";
  return ::testing::AssertionSuccess();
}

} // namespace attnc_test

/// A call that must fail with `status`, say `piece`, and never run a kernel.
#define EXPECT_FAILURE(call, status, piece)                                                    \
  do {                                                                                         \
    ::attnc_test::entryCalls() = 0;                                                            \
    attnc_status got_ = (call);                                                                \
    EXPECT_TRUE(::attnc_test::failedWith(got_, status, piece));                                \
    EXPECT_EQ(::attnc_test::entryCalls(), 0) << "the kernel ran although the call failed";    \
  } while (0)

/// A call that must succeed and leave no error message.
#define EXPECT_SUCCESS(call)                                                                   \
  do {                                                                                         \
    attnc_status got_ = (call);                                                                \
    EXPECT_EQ(got_, ATTNC_OK) << attnc_status_string(got_) << ": " << attnc_last_error();      \
    EXPECT_STREQ(attnc_last_error(), "");                                                      \
  } while (0)

#endif // ATTNC_TESTS_UNIT_RUNTIME_MODEL_BUILDER_H
