//===- EmbedWeights.cpp - attnc --embed-weights FILE ----------------------===//

#include "EmbedWeights.h"

#include "attnc/Reference/Storage.h"
#include "attnc/Target/ModelInterface.h"

#include "attnc/runtime.h"

#include <map>

namespace attnc::driver {

using namespace ast;

EmbeddedWeights::~EmbeddedWeights() { attnc_weights_close(file_); }

bool EmbeddedWeights::open(const std::string &path, std::string &message) {
  path_ = path;
  if (attnc_weights_open(path.c_str(), &file_) == ATTNC_OK)
    return true;
  message = std::string("--embed-weights: ") + attnc_last_error();
  return false;
}

bool EmbeddedWeights::dimsOfParams(const Module &module,
                                   std::vector<std::pair<std::string, int64_t>> &dims,
                                   std::string &message) const {
  // dim name -> (extent, the tensor it came from)
  std::map<std::string, std::pair<int64_t, std::string>> found;
  for (const Model &m : module.models) {
    for (const Decl &d : m.decls) {
      if (d.kind != DeclKind::Param)
        continue;
      const char *name = nullptr;
      attnc_tensor t;
      // A missing or ambiguous tensor is reported when the params are bound.
      if (attnc_weights_lookup(file_, d.name.c_str(), &name, &t) != ATTNC_OK ||
          t.rank != static_cast<int32_t>(d.shapeExprs.size()))
        continue;
      for (size_t a = 0; a < d.shapeExprs.size(); ++a) {
        const Expr &e = *d.shapeExprs[a];
        if (e.kind != ExprKind::Name || e.refKind != RefKind::Dim || m.dims[e.refId].isFixed)
          continue;
        const std::string &dim = m.dims[e.refId].name;
        auto [at, added] = found.emplace(dim, std::make_pair(t.shape[a], std::string(name)));
        if (!added && at->second.first != t.shape[a]) {
          message = "--embed-weights: dim " + dim + " is " + std::to_string(at->second.first) +
                    " in '" + at->second.second + "' but " + std::to_string(t.shape[a]) +
                    " in '" + name + "' of " + path_;
          return false;
        }
      }
    }
  }
  for (const auto &[dim, value] : found)
    dims.emplace_back(dim, value.first);
  return true;
}

bool EmbeddedWeights::bind(const Module &module, std::string &message) {
  params_.clear();
  for (const Model &m : module.models) {
    EncodedSignature sig = encodeSignature(m);
    std::vector<const Decl *> params;
    for (const Decl &d : m.decls)
      if (d.kind == DeclKind::Param)
        params.push_back(&d);
    std::vector<const void *> data(std::max<size_t>(params.size(), 1), nullptr);
    attnc_status status = attnc_model_load_params(sig.words.data(), sig.strings.data(), file_,
                                                  nullptr, data.data());
    if (status != ATTNC_OK) {
      message = "--embed-weights: model '" + m.name + "': " + attnc_status_string(status) + ": " +
                attnc_last_error();
      return false;
    }
    std::vector<llvm::ArrayRef<char>> bytes;
    for (size_t i = 0; i < params.size(); ++i) {
      const Decl &d = *params[i];
      int64_t elements = 1;
      for (const DimExpr &extent : d.shape) {
        std::optional<int64_t> value = extent.getConstant();
        if (!value) {
          message = "--embed-weights: param '" + d.name + "' of model '" + m.name +
                    "' has the extent " + extent.str(m.dimNames()) +
                    ", which the file does not fix; fix its dims with --dim";
          return false;
        }
        elements *= *value;
      }
      bytes.emplace_back(static_cast<const char *>(data[i]),
                         static_cast<size_t>(elements) * ref::storageBytes(d.dtype));
    }
    params_.push_back(std::move(bytes));
  }
  return true;
}

} // namespace attnc::driver
