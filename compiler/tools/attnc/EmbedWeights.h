//===- EmbedWeights.h - attnc --embed-weights FILE ------------------------===//
//
// Bakes a weights file into the object: every param of every model takes
// its tensor by the runtime's name rule and checks (NAME_load_params), in
// the param's dtype, and becomes read-only data of the object that the
// entry points use when the caller passes no params. The symbolic dims the
// params' shapes name are fixed at the file's extents first, as with --dim,
// so that no call can disagree with the data.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNC_TOOLS_ATTNC_EMBEDWEIGHTS_H
#define ATTNC_TOOLS_ATTNC_EMBEDWEIGHTS_H

#include "attnc/Frontend/AST.h"

#include "llvm/ADT/ArrayRef.h"

#include <string>
#include <utility>
#include <vector>

struct attnc_weights;

namespace attnc::driver {

class EmbeddedWeights {
public:
  EmbeddedWeights() = default;
  EmbeddedWeights(const EmbeddedWeights &) = delete;
  EmbeddedWeights &operator=(const EmbeddedWeights &) = delete;
  ~EmbeddedWeights();

  /// Maps the file; false with `message` when it cannot be read.
  bool open(const std::string &path, std::string &message);

  /// The symbolic dims that params' axes name alone, at the extents of
  /// their tensors in the file ("E" = 384); false with `message` when two
  /// tensors disagree on one.
  bool dimsOfParams(const ast::Module &module,
                    std::vector<std::pair<std::string, int64_t>> &dims,
                    std::string &message) const;

  /// Binds every param of every model (checked against the file with fixed
  /// shapes); false with the runtime's message naming the param.
  bool bind(const ast::Module &module, std::string &message);

  /// Per model, per param: its data in the param's dtype.
  const std::vector<std::vector<llvm::ArrayRef<char>>> &params() const { return params_; }
  const std::string &path() const { return path_; }

private:
  attnc_weights *file_ = nullptr;
  std::string path_;
  std::vector<std::vector<llvm::ArrayRef<char>>> params_;
};

} // namespace attnc::driver

#endif
