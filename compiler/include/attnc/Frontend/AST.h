//===- AST.h - The checked syntax tree of a model file ----------*- C++ -*-===//
//
// The parser builds this tree; the checker resolves names, infers index
// extents and annotates every expression with its ValueType. After checking,
// both consumers (MLIRGen and the reference interpreter) rely on the fields
// marked "checked" and never re-derive them.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNC_FRONTEND_AST_H
#define ATTNC_FRONTEND_AST_H

#include "attnc/Frontend/DimExpr.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace attnc::ast {

/// 1-based line and column of a token; `length` is the token's width (for the
/// caret underline). Code expanded from a function keeps the definition's
/// line and column, and `expansion` numbers the call it came through
/// (Module::expansions), -1 for code written in the model itself.
struct Loc {
  unsigned line = 0, col = 0, length = 1;
  int expansion = -1;
};

/// Storage types of tensors in the ABI.
enum class DType { F32, F16, BF16, I32, I64 };
const char *dtypeName(DType t);

/// What an expression computes element by element. Float math is done in f32
/// by the compiler (double by the interpreter) whatever the storage type.
enum class ElemKind { Float, Int, Bool };

/// The checked type of an expression: element kind, the storage type it would
/// have as an output (F32/F16/BF16 for Float, I32 for Int and Bool), shape.
struct ValueType {
  ElemKind kind = ElemKind::Float;
  DType dtype = DType::F32;
  Shape shape;                       // empty: a scalar
  unsigned rank() const { return shape.size(); }
};

enum class UnaryOp { Neg, Not };
enum class BinaryOp {
  Add, Sub, Mul, Div, Mod, Pow, MatMul,
  Lt, Le, Gt, Ge, Eq, Ne, And, Or
};
const char *binaryOpSpelling(BinaryOp op);

enum class ReduceKind { Sum, Max, Min, Mean };

/// Built-in functions, resolved by the checker from the callee's name and its
/// arguments (e.g. `max(a, b)` is Max2, `max(x, axis = 1)` is ReduceAxis).
enum class Builtin {
  None,
  // elementwise, one argument
  Exp, Log, Sqrt, Rsqrt, Abs, Tanh, Sigmoid, Relu, Gelu, Sin, Cos, Silu, Softplus, Erf,
  // elementwise, one argument, a number to an Int
  Floor, Ceil, Round, Int,
  // elementwise, several arguments (broadcasting)
  Max2, Min2, Where, Clamp,
  // tensor level
  Softmax,      // axis
  LogSoftmax,   // axis
  ReduceAxis,   // reduceKind, axes (one axis, or every axis for `sum(x)`), keepdim
  LogSumExp,    // axes, keepdim
  LayerNorm,    // operands: x, gamma, beta; eps
  RMSNorm,      // operands: x, gamma; eps
  Heads,        // dimArg = H
  Unheads,
  Permute,      // `transpose(x, [perm])`: perm
  Reshape,      // shapeArg
  Concat,       // axis
  Stack,        // axis (of the result: where the new axis goes)
  TopkMask,     // dimArg = K
  ArgMax,       // axes (one axis, or every axis: a flat index), keepdim
  ArgMin,
  Einsum,       // einsum
};

enum class ExprKind {
  Number,     // numberValue; isInteger (and then intValue)
  Name,       // name; checked: refKind, refId
  Unary,      // unaryOp; operands[0]
  Binary,     // binaryOp; operands[0], operands[1]
  Call,       // callee, operands (positional), kwargs; checked: builtin + attrs
  Reduce,     // `sum(i, j: body)`: reduceKind, boundIndices, operands[0] = body
  Subscript,  // operands[0] = base, operands[1..] = subscripts (Int scalars)
  Slice,      // `x[a:b, k, ...]`: operands[0] = base; sliceItems; checked: sliceAxes
  Transpose,  // `x.T`: operands[0]
  List,       // `[a, b]`: only as an argument of transpose/reshape
};

/// What a Name refers to.
enum class RefKind { Unresolved, Dim, Decl, Index };

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

/// One item of a slice `x[a:b, k, ...]` as written.
struct SliceItem {
  enum class Kind { Range, Index, Ellipsis };
  Kind kind = Kind::Range;
  Loc loc;
  ExprPtr start, stop; // Range: either may be null (omitted); Index: start
};

/// Checked: `einsum("bhid,bhjd->bhij", q, k)` with every letter numbered in
/// order of first appearance.
struct EinsumSpec {
  std::vector<std::vector<int>> inputs; // the letters of each operand's axes
  std::vector<int> output;              // the letters of the result's axes
  std::vector<DimExpr> extents;         // per letter
};

/// Checked: what a slice takes from one axis of its base. A range gives the
/// result an axis of `extent` elements, element i being the base's `first
/// + i`; an index takes the element `first` and drops the axis.
struct SliceAxis {
  bool isIndex = false;
  DimExpr first;
  DimExpr extent; // ranges only
};

struct KeywordArg {
  std::string name;
  Loc loc;
  ExprPtr value;
};

struct Expr {
  ExprKind kind;
  Loc loc;                          // the operator or first token

  // Number
  double numberValue = 0;
  bool isInteger = false;
  int64_t intValue = 0;

  // Name
  std::string name;
  RefKind refKind = RefKind::Unresolved;  // checked
  int refId = -1;                         // checked: index into Model::dims, ::decls or ::indexVars

  UnaryOp unaryOp = UnaryOp::Neg;
  BinaryOp binaryOp = BinaryOp::Add;

  // Call
  std::string callee;
  std::vector<KeywordArg> kwargs;
  Builtin builtin = Builtin::None;        // checked
  int64_t axis = 0;                       // checked: Softmax, Concat (non-negative)
  std::vector<int64_t> axes;              // checked: ReduceAxis, LogSumExp (sorted, non-negative)
  bool keepdim = false;                   // checked: ReduceAxis, LogSumExp (axes stay, extent 1)
  std::vector<int64_t> perm;              // checked: Permute
  double eps = 0;                         // checked: LayerNorm, RMSNorm
  DimExpr dimArg;                         // checked: Heads (H), TopkMask (K)
  Shape shapeArg;                         // checked: Reshape

  // Reduce (and ReduceAxis)
  ReduceKind reduceKind = ReduceKind::Sum;
  std::vector<int> boundIndices;          // ids into Model::indexVars

  // Call of einsum: the subscripts as written (without quotes), and checked.
  std::string einsumText;
  EinsumSpec einsum;

  // Slice
  std::vector<SliceItem> sliceItems;
  std::vector<SliceAxis> sliceAxes;       // checked: one per axis of the base

  std::vector<ExprPtr> operands;

  ValueType type;                         // checked

  Expr(ExprKind k, Loc l) : kind(k), loc(l) {}
};

/// A dim declaration. `fixed` holds the value of a fixed dim (from the file or
/// from `--dim NAME=V`); symbolic dims are numbered among themselves in
/// declaration order (that order is the `NAME_dims` struct of the ABI).
struct DimDecl {
  std::string name;
  Loc loc;
  bool isFixed = false;
  int64_t fixedValue = 0;
  int symbolicIndex = -1;                 // checked, for symbolic dims
  ExprPtr upperBound;                     // `dim S <= 512`: parsed, or null
};

/// An index variable of a comprehension (left-hand side) or reduction.
struct IndexVar {
  std::string name;
  Loc loc;
  bool hasExplicitExtent = false;
  ExprPtr explicitExtent;                 // parsed `i: G`
  DimExpr extent;                         // checked
};

enum class DeclKind { Input, Param, Let, Output };

struct Decl {
  DeclKind kind;
  std::string name;
  Loc loc;

  // Input / Param: the declared type.
  DType dtype = DType::F32;
  std::vector<ExprPtr> shapeExprs;        // parsed dim expressions
  Shape shape;                            // checked

  // Let / Output: `name[i, j] = value` or `name = value`.
  std::vector<int> indices;               // ids into Model::indexVars (empty: plain)
  ExprPtr value;

  ValueType type;                         // checked: for every kind

  bool isTensorInput() const { return kind == DeclKind::Input || kind == DeclKind::Param; }
};

/// One `name(args)` directive of a `schedule { ... }` block, kept as written;
/// see docs/language.md for the vocabulary.
struct ScheduleDirective {
  std::string name;
  Loc loc;
  std::vector<std::string> positional;
  std::vector<std::pair<std::string, int64_t>> named;
  /// Where each argument is (its value for a keyword argument), in the
  /// order of `positional` and `named`.
  std::vector<Loc> positionalLocs, namedLocs;
};

struct Model {
  std::string name;
  Loc loc;
  std::vector<DimDecl> dims;
  std::vector<Decl> decls;                // declaration order
  std::vector<IndexVar> indexVars;
  std::vector<ScheduleDirective> schedule;

  /// Checked: the dim expressions that must evaluate at run time without
  /// failing: each one with a division anywhere in the model (it must divide
  /// exactly), and each bound of a dim or a slice (it must not be negative:
  /// `512 - S` for `dim S <= 512` or `pos[:S]` of 512 rows).
  std::vector<DimExpr> shapeChecks;

  std::vector<std::string> dimNames() const;
  /// Checked: the symbolic dims, in declaration order.
  std::vector<int> symbolicDims() const;
};

/// `fn NAME(a, b) { let ... return EXPR }` at file level. A function is
/// expanded at each call before checking (expandFunctions): its lets become
/// the calling model's, named `NAME#N.LET` (N counts NAME's calls), its
/// parameters take the arguments, and the call becomes its result.
struct Function {
  std::string name;
  Loc loc;
  std::vector<std::string> params;
  std::vector<Loc> paramLocs;
  Model body;    // its lets (decls) and their index variables; nothing else
  ExprPtr result; // the `return` expression
};

/// One expansion of a function: which, and the call it replaced (whose loc
/// chains to the expansion the call itself came from).
struct Expansion {
  std::string function;
  Loc call;
};

struct Module {
  std::string fileName;
  std::vector<Model> models;
  std::vector<Function> functions;
  std::vector<Expansion> expansions; // filled by expandFunctions
};

//===----------------------------------------------------------------------===//
// Helpers (added by the frontend; nothing above depends on them)
//===----------------------------------------------------------------------===//

/// The name a built-in is called by (`"softmax"`, `"max"` for Max2 ...).
const char *builtinName(Builtin b);
const char *reduceKindName(ReduceKind k);

/// The expression in source form with only the parentheses it needs, e.g.
/// `softmax(q @ k.T / sqrt(D)) @ v`. Used in diagnostics. With `model`, the
/// bound indices of reductions are printed by name.
std::string printExpr(const Expr &e, const Model *model = nullptr);

/// The tree structure, fully parenthesised, e.g.
/// `(@ (softmax (/ (@ q (.T k)) (sqrt D))) v)`. For tests and debugging.
std::string dumpExpr(const Expr &e, const Model *model = nullptr);

/// A checked type with dim names: `f32[B, H, S, 64]`, `i32` (a scalar),
/// `bool[S, T]`.
std::string typeToString(const ValueType &t, const std::vector<std::string> &dimNames);

} // namespace attnc::ast

#endif
