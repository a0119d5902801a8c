//===- ModelProblem.h - A compiled model against the reference interpreter -*- C++ -*-===//
//
// The numeric end-to-end tests link objects that attnc compiled at build
// time (at -O0 and -O2) and compare them with the reference interpreter,
// which checks the same model file at run time. A Problem is one model with
// its dims and random inputs (that a test may then edit): it runs the
// compiled code through NAME_run_tensors and the reference on the same
// inputs.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNC_TESTS_E2E_NUMERIC_MODELPROBLEM_H
#define ATTNC_TESTS_E2E_NUMERIC_MODELPROBLEM_H

#include "attnc/Frontend/Frontend.h"
#include "attnc/Reference/Inputs.h"
#include "attnc/Reference/Interpreter.h"
#include "attnc/Reference/Storage.h"
#include "attnc/Target/RuntimeTypes.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace attnc_e2e {

using namespace attnc;


/// How a model's object was compiled: -O0, -O2 for the host, -O2 for
/// -mcpu=haswell (AVX2).
enum Opt { O0 = 0, O2 = 1, O2Avx2 = 2 };

/// Whether this CPU runs the objects of `opt`: the AVX2 ones need AVX2 and
/// FMA (every x86-64 machine the suite is meant for has them).
inline bool hostRuns(Opt opt) {
  return opt != O2Avx2 || (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"));
}
using Entries = std::array<RunTensorsFn, 3>;

/// A model of a test's file and its entries compiled at -O0 and -O2 (by Opt).
struct CompiledModel {
  const char *model;
  RunTensorsFn entry[2];
};

/// The checked models of `path` (checked once per file).
inline const ast::Module &checkedFile(const std::string &path) {
  static std::map<std::string, std::unique_ptr<ast::Module>> files;
  std::unique_ptr<ast::Module> &m = files[path];
  if (!m) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    std::ostringstream diagnostics;
    m = parseAndCheck(path, text.str(), FrontendOptions{}, diagnostics);
    if (!m) {
      ADD_FAILURE() << "cannot check " << path << ":\n" << diagnostics.str();
      m = std::make_unique<ast::Module>();
    }
  }
  return *m;
}

/// Model `name` of `path`.
inline const ast::Model &findModel(const std::string &path, const std::string &name) {
  for (const ast::Model &m : checkedFile(path).models)
    if (m.name == name)
      return m;
  ADD_FAILURE() << "no model " << name << " in " << path;
  static const ast::Model none;
  return none;
}

/// The dims of one run; a model takes the ones it declares as symbolic.
using Dims = std::map<std::string, int64_t>;

/// One model with its dims and inputs; runs the compiled code and the
/// reference on the same inputs.
class Problem {
public:
  /// `model` compiled into `entries` (by Opt; null where not compiled).
  Problem(const ast::Model &model, Entries entries, const Dims &dims,
          uint64_t seed = 1)
      : model(model), entries(entries) {
    for (const ast::DimDecl &d : model.dims) {
      auto it = dims.find(d.name);
      dimValues.push_back(d.isFixed ? d.fixedValue : it != dims.end() ? it->second : -1);
      if (!d.isFixed && it == dims.end())
        ADD_FAILURE() << "no value for dim " << d.name;
    }
    uint64_t position = 0;
    for (const ast::Decl &d : model.decls) {
      if (!d.isTensorInput())
        continue;
      ref::Tensor t;
      std::vector<int64_t> shape;
      std::string error;
      EXPECT_TRUE(ref::evaluateShape(d.shape, dimValues, shape)) << d.name;
      ref::InputSpec spec;
      spec.seed = seed;
      EXPECT_TRUE(ref::makeInput(spec, d.dtype, shape, position++, t, error)) << error;
      inputs.push_back(std::move(t));
      inputDecls.push_back(&d);
    }
    // Lengths default to "every key is real".
    if (hasInput("kv_len"))
      std::fill(input("kv_len").data.begin(), input("kv_len").data.end(), dim("T"));
  }

  int64_t dim(const std::string &name) const {
    for (size_t i = 0; i < model.dims.size(); ++i)
      if (model.dims[i].name == name)
        return dimValues[i];
    ADD_FAILURE() << "model " << model.name << " has no dim " << name;
    return 0;
  }
  bool hasInput(const std::string &name) const {
    for (const ast::Decl *d : inputDecls)
      if (d->name == name)
        return true;
    return false;
  }
  ref::Tensor &input(const std::string &name) {
    for (size_t i = 0; i < inputDecls.size(); ++i)
      if (inputDecls[i]->name == name)
        return inputs[i];
    ADD_FAILURE() << "model " << model.name << " has no input " << name;
    return inputs.front();
  }

  /// Runs the compiled model; outputs read back as doubles. Output buffers
  /// start as all-ones bytes (NaN), so an element the kernel forgets to
  /// write is never mistaken for a result.
  std::vector<ref::Tensor> compiled(Opt opt, int32_t threads = 0) const {
    std::vector<std::vector<uint8_t>> inBytes, outBytes;
    std::vector<std::vector<int64_t>> outShapes;
    std::vector<attnc_tensor> ins, params, outs;
    inBytes.reserve(inputs.size());
    for (size_t i = 0; i < inputs.size(); ++i) {
      const ast::Decl &d = *inputDecls[i];
      inBytes.push_back(ref::packStorage(inputs[i], d.dtype));
      attnc_tensor t{inBytes.back().data(), abiDType(d.dtype),
                     static_cast<int32_t>(inputs[i].shape.size()), inputs[i].shape.data(),
                     nullptr};
      (d.kind == ast::DeclKind::Input ? ins : params).push_back(t);
    }
    std::vector<const ast::Decl *> outDecls;
    for (const ast::Decl &d : model.decls)
      if (d.kind == ast::DeclKind::Output)
        outDecls.push_back(&d);
    outBytes.reserve(outDecls.size());
    outShapes.reserve(outDecls.size());
    for (const ast::Decl *d : outDecls) {
      std::vector<int64_t> shape;
      EXPECT_TRUE(ref::evaluateShape(d->type.shape, dimValues, shape));
      int64_t count = 1;
      for (int64_t e : shape)
        count *= e;
      outBytes.emplace_back(count * ref::storageBytes(d->type.dtype), 0xFF);
      outShapes.push_back(shape);
      outs.push_back({outBytes.back().data(), abiDType(d->type.dtype),
                      static_cast<int32_t>(shape.size()), outShapes.back().data(), nullptr});
    }
    attnc_exec exec{sizeof(attnc_exec), threads, nullptr, nullptr, 0};
    attnc_status s = entries[opt](ins.data(), ins.size(), params.data(), params.size(),
                                  outs.data(), outs.size(), &exec);
    EXPECT_EQ(s, ATTNC_OK) << attnc_status_string(s) << ": " << attnc_last_error();
    std::vector<ref::Tensor> result(outDecls.size());
    for (size_t i = 0; i < outDecls.size(); ++i) {
      std::string error;
      EXPECT_TRUE(ref::unpackStorage(outBytes[i].data(), outBytes[i].size(),
                                     outDecls[i]->type.dtype, outShapes[i], result[i], error))
          << error;
    }
    return result;
  }

  std::vector<ref::Tensor> reference() const {
    std::vector<ref::Tensor> out;
    std::string error;
    EXPECT_TRUE(ref::evaluate(model, dimValues, inputs, out, error)) << error;
    return out;
  }

  const ast::Model &model;

private:
  Entries entries;
  std::vector<int64_t> dimValues;
  std::vector<ref::Tensor> inputs;
  std::vector<const ast::Decl *> inputDecls;
};

/// ARCHITECTURE.md's f32 tolerance; NaN must meet NaN and an infinity the
/// same infinity, element by element. An output stored in f16 or bf16 may
/// also be off by the rounding to that type: half a unit in the last place
/// of the reference's value (the result of f32 arithmetic rounded once,
/// well inside the rule for 16-bit types, twice the error of the naive
/// computation in that type).
inline ::testing::AssertionResult matches(const ref::Tensor &got, const ref::Tensor &want,
                                          ast::DType stored = ast::DType::F32) {
  if (got.shape != want.shape || got.data.size() != want.data.size())
    return ::testing::AssertionFailure() << "shape " << ref::shapeString(got.shape)
                                         << ", expected " << ref::shapeString(want.shape);
  double maxRef = 0;
  for (double v : want.data)
    if (std::isfinite(v))
      maxRef = std::max(maxRef, std::fabs(v));
  const double tolerance = 1e-4 * (maxRef + 1);
  int mantissaBits = stored == ast::DType::F16 ? 10 : stored == ast::DType::BF16 ? 7 : 23;
  for (size_t i = 0; i < want.data.size(); ++i) {
    double a = got.data[i], b = want.data[i];
    double rounding = b == 0 || stored == ast::DType::F32
                          ? 0
                          : std::ldexp(0.5, std::ilogb(b) - mantissaBits);
    bool ok = std::isnan(b)   ? std::isnan(a)
              : std::isinf(b) ? a == b
                              : std::isfinite(a) && std::fabs(a - b) <= tolerance + rounding;
    if (!ok)
      return ::testing::AssertionFailure()
             << "element " << i << " is " << a << ", the reference gives " << b
             << " (tolerance " << tolerance + rounding << ")";
  }
  return ::testing::AssertionSuccess();
}

/// Bit-for-bit equality of values (0 and -0 count as equal, NaN as NaN),
/// of elements [begin, end) or of all of them.
inline ::testing::AssertionResult identical(const ref::Tensor &got, const ref::Tensor &want,
                                     size_t begin = 0, size_t end = SIZE_MAX) {
  if (got.data.size() != want.data.size())
    return ::testing::AssertionFailure() << "sizes differ";
  for (size_t i = begin; i < std::min(end, want.data.size()); ++i) {
    double a = got.data[i], b = want.data[i];
    if (!(a == b || (std::isnan(a) && std::isnan(b))))
      return ::testing::AssertionFailure()
             << "element " << i << " is " << a << ", expected exactly " << b;
  }
  return ::testing::AssertionSuccess();
}

inline size_t nanCount(const ref::Tensor &t) {
  return static_cast<size_t>(std::count_if(t.data.begin(), t.data.end(),
                                           [](double v) { return std::isnan(v); }));
}

} // namespace attnc_e2e

#endif
