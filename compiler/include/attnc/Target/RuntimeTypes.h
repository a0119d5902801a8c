//===- RuntimeTypes.h - A model's declarations in the runtime's C types -*- C++ -*-===//
//
// For C++ code that calls compiled models through the runtime (attnc run and
// bench, the numeric tests): the ABI dtype of a storage type, and the type of
// NAME_run_tensors. Header-only: its users link the runtime themselves.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNC_TARGET_RUNTIMETYPES_H
#define ATTNC_TARGET_RUNTIMETYPES_H

#include "attnc/Frontend/AST.h"
#include "attnc/runtime.h"

namespace attnc {

/// NAME_run_tensors of a compiled model.
using RunTensorsFn = attnc_status (*)(const attnc_tensor *, size_t, const attnc_tensor *, size_t,
                                      attnc_tensor *, size_t, const attnc_exec *);
/// NAME_load_params, with NAME_dims and NAME_params read as arrays.
using LoadParamsFn = attnc_status (*)(attnc_weights *, const int64_t *, const void **);

inline attnc_dtype abiDType(ast::DType t) {
  switch (t) {
  case ast::DType::F32: return ATTNC_F32;
  case ast::DType::F16: return ATTNC_F16;
  case ast::DType::BF16: return ATTNC_BF16;
  case ast::DType::I32: return ATTNC_I32;
  case ast::DType::I64: return ATTNC_I64;
  }
  return ATTNC_F32;
}

} // namespace attnc

#endif
