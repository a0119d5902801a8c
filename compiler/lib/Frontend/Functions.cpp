//===- Functions.cpp - Expanding the file's functions at their calls ------===//
//
// See Functions.h. Expansion is a rewrite of the syntax tree: the checker,
// MLIR generation and the reference interpreter never see a function.
//
//===----------------------------------------------------------------------===//

#include "attnc/Frontend/Functions.h"

#include "attnc/Frontend/Checker.h"
#include "attnc/Frontend/Parser.h"
#include "attnc/Frontend/Suggestions.h"

#include <map>
#include <set>

namespace attnc {

using namespace ast;

namespace {

void copyFields(const Expr &src, Expr &dst) {
  dst.numberValue = src.numberValue;
  dst.isInteger = src.isInteger;
  dst.intValue = src.intValue;
  dst.name = src.name;
  dst.unaryOp = src.unaryOp;
  dst.binaryOp = src.binaryOp;
  dst.callee = src.callee;
  dst.reduceKind = src.reduceKind;
  dst.einsumText = src.einsumText;
}

class Expander {
public:
  Expander(Module &module, Diagnostics &diag) : module_(module), diag_(diag) {}

  bool run() {
    if (!checkDefinitions())
      return false;
    if (module_.functions.empty())
      return true;
    for (Model &m : module_.models)
      if (!expandModel(m))
        return false;
    return true;
  }

private:
  bool fail(Loc loc, const std::string &message) {
    diag_.error(loc, message);
    return false;
  }

  bool checkDefinitions() {
    std::vector<std::string> builtins = builtinFunctionNames();
    builtins_.insert(builtins.begin(), builtins.end());
    for (const Function &f : module_.functions) {
      if (builtins_.count(f.name))
        return fail(f.loc, "function '" + f.name + "' has the name of a built-in function");
      auto [it, fresh] = functions_.emplace(f.name, &f);
      if (!fresh) {
        fail(f.loc, "function '" + f.name + "' is already defined");
        diag_.note(it->second->loc, "the first definition is here");
        return false;
      }
      std::map<std::string, Loc> names;
      for (size_t i = 0; i < f.params.size(); ++i)
        if (!names.emplace(f.params[i], f.paramLocs[i]).second)
          return fail(f.paramLocs[i], "parameter '" + f.params[i] + "' of function '" + f.name +
                                          "' is declared twice");
      for (const Decl &d : f.body.decls) {
        auto [at, added] = names.emplace(d.name, d.loc);
        if (!added) {
          fail(d.loc, "'" + d.name + "' is already defined in function '" + f.name + "'");
          diag_.note(at->second, "the first definition is here");
          return false;
        }
      }
    }
    return true;
  }

  bool expandModel(Model &m) {
    model_ = &m;
    counts_.clear();
    modelNames_.clear();
    for (const Decl &d : m.decls)
      modelNames_.insert(d.name);
    std::vector<Decl> decls = std::move(m.decls);
    m.decls.clear();
    out_ = &m.decls;
    for (Decl &d : decls) {
      if (d.value && !expandIn(d.value, !d.indices.empty()))
        return false;
      out_->push_back(std::move(d));
    }
    return true;
  }

  /// Expands the calls of functions in `e`, arguments first. `depth` is
  /// e's depth in its tree: expansion deepens trees, and every later pass
  /// relies on the parser's bound.
  bool expandIn(ExprPtr &e, bool inComprehension, unsigned depth = 1) {
    if (!e)
      return true;
    if (!checkDepth(e->loc, depth))
      return false;
    bool inner = inComprehension || e->kind == ExprKind::Reduce;
    for (ExprPtr &o : e->operands)
      if (!expandIn(o, inner, depth + 1))
        return false;
    for (KeywordArg &k : e->kwargs)
      if (!expandIn(k.value, inComprehension, depth + 1))
        return false;
    for (SliceItem &s : e->sliceItems)
      if (!expandIn(s.start, inComprehension, depth + 1) ||
          !expandIn(s.stop, inComprehension, depth + 1))
        return false;
    if (e->kind != ExprKind::Call)
      return true;
    auto f = functions_.find(e->callee);
    if (f != functions_.end())
      return expandCall(e, *f->second, inComprehension, depth);
    if (!builtins_.count(e->callee)) {
      std::vector<std::string> candidates(builtins_.begin(), builtins_.end());
      for (const auto &[name, fn] : functions_)
        candidates.push_back(name);
      return fail(e->loc, "unknown function '" + e->callee + "'" +
                              didYouMean(e->callee, candidates));
    }
    return true;
  }

  /// The arguments of a call in the order of the function's parameters.
  bool bindArguments(Expr &call, const Function &f, std::vector<ExprPtr> &args) {
    args.clear();
    args.resize(f.params.size());
    auto defined = [&] { diag_.note(f.loc, "'" + f.name + "' is defined here"); };
    if (call.operands.size() > f.params.size()) {
      fail(call.operands[f.params.size()]->loc,
           "function '" + f.name + "' takes " + std::to_string(f.params.size()) + " argument" +
               (f.params.size() == 1 ? "" : "s") + ", but " +
               std::to_string(call.operands.size()) + " were given");
      defined();
      return false;
    }
    for (size_t i = 0; i < call.operands.size(); ++i)
      args[i] = std::move(call.operands[i]);
    for (KeywordArg &k : call.kwargs) {
      auto p = std::find(f.params.begin(), f.params.end(), k.name);
      if (p == f.params.end()) {
        fail(k.loc, "function '" + f.name + "' has no parameter '" + k.name + "'" +
                        didYouMean(k.name, f.params));
        defined();
        return false;
      }
      ExprPtr &slot = args[p - f.params.begin()];
      if (slot)
        return fail(k.loc, "argument '" + k.name + "' of '" + f.name + "' is given twice");
      slot = std::move(k.value);
    }
    for (size_t i = 0; i < args.size(); ++i)
      if (!args[i]) {
        fail(call.loc, "the call to '" + f.name + "' lacks argument '" + f.params[i] + "'");
        defined();
        return false;
      }
    return true;
  }

  bool expandCall(ExprPtr &call, const Function &f, bool inComprehension, unsigned depth) {
    for (const Function *active : stack_)
      if (active == &f)
        return fail(call->loc, "function '" + f.name + "' calls itself" +
                                   (stack_.back() == &f ? "" : " (through '" +
                                                                   stack_.back()->name + "')"));
    if (inComprehension && !f.body.decls.empty()) {
      fail(call->loc, "function '" + f.name + "' defines lets, so it works on whole tensors "
                      "and cannot be called inside a comprehension");
      diag_.note(f.body.decls.front().loc, "its first let");
      return false;
    }
    std::vector<ExprPtr> args;
    if (!bindArguments(*call, f, args))
      return false;

    int id = static_cast<int>(module_.expansions.size());
    module_.expansions.push_back({f.name, call->loc});
    std::string prefix = f.name + "#" + std::to_string(++counts_[f.name]) + ".";
    Frame frame{&f, id, {}};
    // Plain names and numbers take the parameter's place; anything else is
    // computed once, as a let (inside a comprehension, where a let cannot
    // go, it takes the place too).
    for (size_t i = 0; i < args.size(); ++i) {
      ExprKind k = args[i]->kind;
      if (k == ExprKind::Name || k == ExprKind::Number || inComprehension) {
        frame.replacements[f.params[i]] = std::move(args[i]);
        continue;
      }
      Decl d;
      d.kind = DeclKind::Let;
      d.name = prefix + f.params[i];
      d.loc = args[i]->loc;
      d.value = std::move(args[i]);
      frame.replacements[f.params[i]] = nameAt(d.name, d.loc);
      out_->push_back(std::move(d));
    }

    stack_.push_back(&f);
    for (const Decl &let : f.body.decls) {
      Decl d;
      d.kind = DeclKind::Let;
      d.name = prefix + let.name;
      d.loc = relocated(let.loc, id);
      std::vector<std::string> bound;
      if (!cloneIndices(let.indices, frame, d.indices, bound))
        return false;
      if (!(d.value = clone(*let.value, frame, bound, 1)) ||
          !expandIn(d.value, !d.indices.empty()))
        return false;
      frame.replacements[let.name] = nameAt(d.name, d.loc);
      out_->push_back(std::move(d));
    }
    std::vector<std::string> bound;
    ExprPtr result = clone(*f.result, frame, bound, depth);
    if (!result || !expandIn(result, inComprehension, depth))
      return false;
    stack_.pop_back();
    call = std::move(result);
    return true;
  }

  struct Frame {
    const Function *function;
    int expansion;
    std::map<std::string, ExprPtr> replacements; // parameters and lets
  };

  static Loc relocated(Loc loc, int expansion) {
    loc.expansion = expansion;
    return loc;
  }

  static ExprPtr nameAt(const std::string &name, Loc loc) {
    auto e = std::make_unique<Expr>(ExprKind::Name, loc);
    e->name = name;
    return e;
  }

  bool countNode(Loc loc) {
    if (++nodes_ <= kMaxExpressionNodes)
      return true;
    return fail(loc, "the functions expand to more than " + std::to_string(kMaxExpressionNodes) +
                         " expression nodes");
  }

  bool checkDepth(Loc loc, unsigned depth) {
    if (depth <= kMaxExpressionDepth)
      return true;
    return fail(loc, "expanding functions nests this expression more than " +
                         std::to_string(kMaxExpressionDepth) + " levels deep");
  }

  /// A copy of an argument put in place of a parameter, unchanged (it keeps
  /// the caller's names and locations); `depth` is where it goes.
  ExprPtr copy(const Expr &src, unsigned depth) {
    if (!countNode(src.loc) || !checkDepth(src.loc, depth))
      return nullptr;
    auto e = std::make_unique<Expr>(src.kind, src.loc);
    copyFields(src, *e);
    e->boundIndices = src.boundIndices;
    auto part = [&](const ExprPtr &o, ExprPtr &out) {
      return !o || (out = copy(*o, depth + 1)) != nullptr;
    };
    for (const ExprPtr &o : src.operands) {
      e->operands.emplace_back();
      if (!part(o, e->operands.back()))
        return nullptr;
    }
    for (const KeywordArg &k : src.kwargs) {
      e->kwargs.push_back({k.name, k.loc, nullptr});
      if (!part(k.value, e->kwargs.back().value))
        return nullptr;
    }
    for (const SliceItem &s : src.sliceItems) {
      e->sliceItems.push_back({s.kind, s.loc, nullptr, nullptr});
      if (!part(s.start, e->sliceItems.back().start) || !part(s.stop, e->sliceItems.back().stop))
        return nullptr;
    }
    return e;
  }

  /// New index variables of the model for the function's `ids`.
  bool cloneIndices(const std::vector<int> &ids, const Frame &frame, std::vector<int> &out,
                    std::vector<std::string> &bound) {
    for (int id : ids) {
      const IndexVar &src = frame.function->body.indexVars[id];
      IndexVar iv;
      iv.name = src.name;
      iv.loc = relocated(src.loc, frame.expansion);
      iv.hasExplicitExtent = src.hasExplicitExtent;
      if (src.explicitExtent &&
          !(iv.explicitExtent = clone(*src.explicitExtent, frame, bound, 1)))
        return false;
      if (!countNode(iv.loc))
        return false;
      out.push_back(static_cast<int>(model_->indexVars.size()));
      model_->indexVars.push_back(std::move(iv));
      bound.push_back(src.name);
    }
    return true;
  }

  /// The function's expression with its parameters and lets replaced, the
  /// index variables it binds renumbered into the model, and every location
  /// marked with the expansion. `bound` holds the index names in scope,
  /// which shadow everything else (as in the checker).
  ExprPtr clone(const Expr &src, const Frame &frame, std::vector<std::string> &bound,
                unsigned depth) {
    if (!countNode(src.loc) || !checkDepth(relocated(src.loc, frame.expansion), depth))
      return nullptr;
    if (src.kind == ExprKind::Name &&
        std::find(bound.begin(), bound.end(), src.name) == bound.end()) {
      auto r = frame.replacements.find(src.name);
      if (r != frame.replacements.end())
        return copy(*r->second, depth);
      if (modelNames_.count(src.name) && !isDim(src.name)) {
        fail(relocated(src.loc, frame.expansion),
             "function '" + frame.function->name + "' uses '" + src.name +
                 "', which is neither one of its parameters nor one of its lets; pass it "
                 "as an argument");
        return nullptr;
      }
    }
    auto e = std::make_unique<Expr>(src.kind, relocated(src.loc, frame.expansion));
    copyFields(src, *e);
    size_t outer = bound.size();
    if (src.kind == ExprKind::Reduce &&
        !cloneIndices(src.boundIndices, frame, e->boundIndices, bound))
      return nullptr;
    for (const ExprPtr &o : src.operands) {
      e->operands.push_back(o ? clone(*o, frame, bound, depth + 1) : nullptr);
      if (o && !e->operands.back())
        return nullptr;
    }
    bound.resize(outer);
    for (const KeywordArg &k : src.kwargs) {
      ExprPtr v = k.value ? clone(*k.value, frame, bound, depth + 1) : nullptr;
      if (k.value && !v)
        return nullptr;
      e->kwargs.push_back({k.name, relocated(k.loc, frame.expansion), std::move(v)});
    }
    for (const SliceItem &s : src.sliceItems) {
      SliceItem item{s.kind, relocated(s.loc, frame.expansion), nullptr, nullptr};
      if ((s.start && !(item.start = clone(*s.start, frame, bound, depth + 1))) ||
          (s.stop && !(item.stop = clone(*s.stop, frame, bound, depth + 1))))
        return nullptr;
      e->sliceItems.push_back(std::move(item));
    }
    return e;
  }

  bool isDim(const std::string &name) const {
    for (const DimDecl &d : model_->dims)
      if (d.name == name)
        return true;
    return false;
  }

  Module &module_;
  Diagnostics &diag_;
  std::set<std::string> builtins_;
  std::map<std::string, const Function *> functions_;
  std::vector<const Function *> stack_; // the functions being expanded
  size_t nodes_ = 0;

  // The model being expanded.
  Model *model_ = nullptr;
  std::vector<Decl> *out_ = nullptr;
  std::set<std::string> modelNames_;
  std::map<std::string, int> counts_;
};

} // namespace

bool expandFunctions(Module &module, Diagnostics &diag) {
  return Expander(module, diag).run();
}

} // namespace attnc
