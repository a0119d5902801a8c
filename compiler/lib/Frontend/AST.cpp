//===- AST.cpp - Names, printing and small queries of the syntax tree -----===//

#include "attnc/Frontend/AST.h"

#include <charconv>
#include <cmath>

namespace attnc::ast {

const char *dtypeName(DType t) {
  switch (t) {
  case DType::F32: return "f32";
  case DType::F16: return "f16";
  case DType::BF16: return "bf16";
  case DType::I32: return "i32";
  case DType::I64: return "i64";
  }
  return "?";
}

const char *binaryOpSpelling(BinaryOp op) {
  switch (op) {
  case BinaryOp::Add: return "+";
  case BinaryOp::Sub: return "-";
  case BinaryOp::Mul: return "*";
  case BinaryOp::Div: return "/";
  case BinaryOp::Mod: return "%";
  case BinaryOp::Pow: return "**";
  case BinaryOp::MatMul: return "@";
  case BinaryOp::Lt: return "<";
  case BinaryOp::Le: return "<=";
  case BinaryOp::Gt: return ">";
  case BinaryOp::Ge: return ">=";
  case BinaryOp::Eq: return "==";
  case BinaryOp::Ne: return "!=";
  case BinaryOp::And: return "&&";
  case BinaryOp::Or: return "||";
  }
  return "?";
}

const char *builtinName(Builtin b) {
  switch (b) {
  case Builtin::None: return "<none>";
  case Builtin::Exp: return "exp";
  case Builtin::Log: return "log";
  case Builtin::Sqrt: return "sqrt";
  case Builtin::Rsqrt: return "rsqrt";
  case Builtin::Abs: return "abs";
  case Builtin::Tanh: return "tanh";
  case Builtin::Sigmoid: return "sigmoid";
  case Builtin::Relu: return "relu";
  case Builtin::Gelu: return "gelu";
  case Builtin::Sin: return "sin";
  case Builtin::Cos: return "cos";
  case Builtin::Silu: return "silu";
  case Builtin::Softplus: return "softplus";
  case Builtin::Erf: return "erf";
  case Builtin::Floor: return "floor";
  case Builtin::Ceil: return "ceil";
  case Builtin::Round: return "round";
  case Builtin::Int: return "int";
  case Builtin::Max2: return "max";
  case Builtin::Min2: return "min";
  case Builtin::Where: return "where";
  case Builtin::Clamp: return "clamp";
  case Builtin::Stack: return "stack";
  case Builtin::Softmax: return "softmax";
  case Builtin::LogSoftmax: return "log_softmax";
  case Builtin::LogSumExp: return "logsumexp";
  case Builtin::ArgMax: return "argmax";
  case Builtin::ArgMin: return "argmin";
  case Builtin::Einsum: return "einsum";
  case Builtin::ReduceAxis: return "reduce";
  case Builtin::LayerNorm: return "layernorm";
  case Builtin::RMSNorm: return "rmsnorm";
  case Builtin::Heads: return "heads";
  case Builtin::Unheads: return "unheads";
  case Builtin::Permute: return "transpose";
  case Builtin::Reshape: return "reshape";
  case Builtin::Concat: return "concat";
  case Builtin::TopkMask: return "topk_mask";
  }
  return "?";
}

const char *reduceKindName(ReduceKind k) {
  switch (k) {
  case ReduceKind::Sum: return "sum";
  case ReduceKind::Max: return "max";
  case ReduceKind::Min: return "min";
  case ReduceKind::Mean: return "mean";
  }
  return "?";
}

std::vector<std::string> Model::dimNames() const {
  std::vector<std::string> names;
  names.reserve(dims.size());
  for (const DimDecl &d : dims)
    names.push_back(d.name);
  return names;
}

std::vector<int> Model::symbolicDims() const {
  std::vector<int> ids;
  for (size_t i = 0; i < dims.size(); ++i)
    if (!dims[i].isFixed)
      ids.push_back((int)i);
  return ids;
}

//===----------------------------------------------------------------------===//
// Printing
//===----------------------------------------------------------------------===//

namespace {

std::string numberText(const Expr &e) {
  if (e.isInteger)
    return std::to_string(e.intValue);
  if (std::isinf(e.numberValue))
    return e.numberValue > 0 ? "inf" : "-inf";
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, e.numberValue);
  std::string s(buf, res.ptr);
  // Keep a decimal point or exponent so the text reads back as a decimal.
  if (s.find_first_of(".eE") == std::string::npos)
    s += ".0";
  return s;
}

// Binding strength for printExpr, loosest first; matches the parser.
enum Level { kOr = 1, kAnd, kCmp, kAdd, kMul, kUnary, kPow, kPostfix };

int binaryLevel(BinaryOp op) {
  switch (op) {
  case BinaryOp::Or: return kOr;
  case BinaryOp::And: return kAnd;
  case BinaryOp::Lt: case BinaryOp::Le: case BinaryOp::Gt:
  case BinaryOp::Ge: case BinaryOp::Eq: case BinaryOp::Ne: return kCmp;
  case BinaryOp::Add: case BinaryOp::Sub: return kAdd;
  case BinaryOp::Pow: return kPow;
  default: return kMul;
  }
}

int levelOf(const Expr &e) {
  switch (e.kind) {
  case ExprKind::Unary: return kUnary;
  case ExprKind::Binary: return binaryLevel(e.binaryOp);
  default: return kPostfix;
  }
}

struct Printer {
  const Model *model;
  std::string out;

  void boundIndices(const Expr &e, const char *sep) {
    for (size_t i = 0; i < e.boundIndices.size(); ++i) {
      if (i)
        out += sep;
      int id = e.boundIndices[i];
      if (model && id >= 0 && id < (int)model->indexVars.size())
        out += model->indexVars[id].name;
      else
        out += "#" + std::to_string(id);
    }
  }

  void printAtLeast(const Expr &e, int level) {
    if (levelOf(e) < level) {
      out += "(";
      print(e);
      out += ")";
    } else {
      print(e);
    }
  }

  void printList(const std::vector<ExprPtr> &v, size_t from) {
    for (size_t i = from; i < v.size(); ++i) {
      if (i > from)
        out += ", ";
      print(*v[i]);
    }
  }

  void print(const Expr &e) {
    switch (e.kind) {
    case ExprKind::Number:
      out += numberText(e);
      return;
    case ExprKind::Name:
      // A name with dots is printed quoted, as it is written.
      out += e.name.find('.') == std::string::npos ? e.name : "`" + e.name + "`";
      return;
    case ExprKind::Unary:
      out += e.unaryOp == UnaryOp::Neg ? "-" : "!";
      printAtLeast(*e.operands[0], kUnary);
      return;
    case ExprKind::Binary:
      if (e.binaryOp == BinaryOp::Pow) {
        printAtLeast(*e.operands[0], kPostfix);
        out += " ** ";
        printAtLeast(*e.operands[1], kUnary);
        return;
      }
      printAtLeast(*e.operands[0], binaryLevel(e.binaryOp));
      out += " ";
      out += binaryOpSpelling(e.binaryOp);
      out += " ";
      printAtLeast(*e.operands[1], binaryLevel(e.binaryOp) + 1);
      return;
    case ExprKind::Call:
      out += e.callee + "(";
      if (!e.einsumText.empty())
        out += "\"" + e.einsumText + "\"" + (e.operands.empty() ? "" : ", ");
      printList(e.operands, 0);
      for (size_t i = 0; i < e.kwargs.size(); ++i) {
        if (i > 0 || !e.operands.empty())
          out += ", ";
        out += e.kwargs[i].name + " = ";
        print(*e.kwargs[i].value);
      }
      out += ")";
      return;
    case ExprKind::Reduce:
      out += reduceKindName(e.reduceKind);
      out += "(";
      boundIndices(e, ", ");
      out += ": ";
      print(*e.operands[0]);
      out += ")";
      return;
    case ExprKind::Subscript:
      printAtLeast(*e.operands[0], kPostfix);
      out += "[";
      printList(e.operands, 1);
      out += "]";
      return;
    case ExprKind::Slice:
      printAtLeast(*e.operands[0], kPostfix);
      out += "[";
      for (size_t i = 0; i < e.sliceItems.size(); ++i) {
        const SliceItem &item = e.sliceItems[i];
        out += i ? ", " : "";
        if (item.kind == SliceItem::Kind::Ellipsis) {
          out += "...";
          continue;
        }
        if (item.start)
          print(*item.start);
        if (item.kind == SliceItem::Kind::Range) {
          out += ":";
          if (item.stop)
            print(*item.stop);
        }
      }
      out += "]";
      return;
    case ExprKind::Transpose:
      printAtLeast(*e.operands[0], kPostfix);
      out += ".T";
      return;
    case ExprKind::List:
      out += "[";
      printList(e.operands, 0);
      out += "]";
      return;
    }
  }

  void dumpOperands(const Expr &e, size_t from) {
    for (size_t i = from; i < e.operands.size(); ++i) {
      out += " ";
      dump(*e.operands[i]);
    }
  }

  void dump(const Expr &e) {
    switch (e.kind) {
    case ExprKind::Number:
    case ExprKind::Name:
      print(e);
      return;
    case ExprKind::Unary:
      out += e.unaryOp == UnaryOp::Neg ? "(-" : "(!";
      dumpOperands(e, 0);
      out += ")";
      return;
    case ExprKind::Binary:
      out += "(";
      out += binaryOpSpelling(e.binaryOp);
      dumpOperands(e, 0);
      out += ")";
      return;
    case ExprKind::Call:
      out += "(" + e.callee;
      if (!e.einsumText.empty())
        out += " \"" + e.einsumText + "\"";
      dumpOperands(e, 0);
      for (const KeywordArg &k : e.kwargs) {
        out += " " + k.name + "=";
        dump(*k.value);
      }
      out += ")";
      return;
    case ExprKind::Reduce:
      out += "(";
      out += reduceKindName(e.reduceKind);
      out += " [";
      boundIndices(e, " ");
      out += "]";
      dumpOperands(e, 0);
      out += ")";
      return;
    case ExprKind::Subscript:
      out += "([]";
      dumpOperands(e, 0);
      out += ")";
      return;
    case ExprKind::Slice:
      out += "([:] ";
      dump(*e.operands[0]);
      for (const SliceItem &item : e.sliceItems) {
        out += " ";
        if (item.kind == SliceItem::Kind::Ellipsis) {
          out += "...";
          continue;
        }
        if (item.kind == SliceItem::Kind::Index) {
          dump(*item.start);
          continue;
        }
        out += "(:";
        for (const ExprPtr *bound : {&item.start, &item.stop}) {
          out += " ";
          if (*bound)
            dump(**bound);
          else
            out += "_";
        }
        out += ")";
      }
      out += ")";
      return;
    case ExprKind::Transpose:
      out += "(.T";
      dumpOperands(e, 0);
      out += ")";
      return;
    case ExprKind::List:
      out += "[";
      for (size_t i = 0; i < e.operands.size(); ++i) {
        if (i)
          out += " ";
        dump(*e.operands[i]);
      }
      out += "]";
      return;
    }
  }
};

} // namespace

std::string printExpr(const Expr &e, const Model *model) {
  Printer p{model, {}};
  p.print(e);
  return p.out;
}

std::string dumpExpr(const Expr &e, const Model *model) {
  Printer p{model, {}};
  p.dump(e);
  return p.out;
}

std::string typeToString(const ValueType &t, const std::vector<std::string> &dimNames) {
  std::string s;
  switch (t.kind) {
  case ElemKind::Float: s = dtypeName(t.dtype); break;
  case ElemKind::Int: s = "i32"; break;
  case ElemKind::Bool: s = "bool"; break;
  }
  if (t.shape.empty())
    return s;
  s += "[";
  for (size_t i = 0; i < t.shape.size(); ++i) {
    if (i)
      s += ", ";
    s += t.shape[i].str(dimNames);
  }
  return s + "]";
}

} // namespace attnc::ast
