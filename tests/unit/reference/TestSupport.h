//===- TestSupport.h - Helpers for the interpreter tests --------*- C++ -*-===//
#ifndef ATTNC_TESTS_UNIT_REFERENCE_TESTSUPPORT_H
#define ATTNC_TESTS_UNIT_REFERENCE_TESTSUPPORT_H

#include "attnc/Frontend/Frontend.h"
#include "attnc/Reference/Inputs.h"
#include "attnc/Reference/Interpreter.h"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace attnc::ref::testing {

/// Parses and checks `source`; fails the test with the diagnostics if it
/// does not check.
inline std::unique_ptr<ast::Module> parse(const std::string &source) {
  std::ostringstream diags;
  auto module = parseAndCheck("test.attn", source, FrontendOptions{}, diags);
  EXPECT_TRUE(module) << diags.str();
  return module;
}

/// A value for every dim: fixed dims keep theirs, symbolic ones come from
/// `symbolic` by name (missing ones are 1).
inline std::vector<int64_t> dimValues(const ast::Model &model,
                                      const std::map<std::string, int64_t> &symbolic = {}) {
  std::vector<int64_t> values;
  for (const ast::DimDecl &d : model.dims) {
    auto it = symbolic.find(d.name);
    values.push_back(d.isFixed ? d.fixedValue : it != symbolic.end() ? it->second : 1);
  }
  return values;
}

/// `random:seed` tensors for every input and param.
inline std::vector<Tensor> randomInputs(const ast::Model &model,
                                        const std::vector<int64_t> &dims, uint64_t seed) {
  std::vector<Tensor> inputs;
  InputSpec spec;
  spec.seed = seed;
  uint64_t position = 0;
  for (const ast::Decl &d : model.decls) {
    if (!d.isTensorInput())
      continue;
    std::vector<int64_t> shape;
    EXPECT_TRUE(evaluateShape(d.shape, dims, shape)) << d.name;
    Tensor t;
    std::string error;
    EXPECT_TRUE(makeInput(spec, d.dtype, shape, position++, t, error)) << error;
    inputs.push_back(std::move(t));
  }
  return inputs;
}

/// Evaluates and expects success.
inline std::vector<Tensor> run(const ast::Model &model, const std::vector<int64_t> &dims,
                               const std::vector<Tensor> &inputs) {
  std::vector<Tensor> outputs;
  std::string error;
  EXPECT_TRUE(evaluate(model, dims, inputs, outputs, error)) << error;
  return outputs;
}

/// Evaluates and expects a failure; returns the message.
inline std::string runError(const ast::Model &model, const std::vector<int64_t> &dims,
                            const std::vector<Tensor> &inputs) {
  std::vector<Tensor> outputs;
  std::string error;
  EXPECT_FALSE(evaluate(model, dims, inputs, outputs, error));
  return error;
}

inline Tensor tensor(std::vector<int64_t> shape, std::vector<double> data) {
  return Tensor{std::move(shape), std::move(data)};
}

} // namespace attnc::ref::testing

#endif
