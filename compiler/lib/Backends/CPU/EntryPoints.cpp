//===- EntryPoints.cpp - The C entry points of a compiled model -----------===//
//
// Adds to a module lowered to the LLVM dialect the symbols of
// docs/internals/abi.md for each model, whose kernel function is named
// `kernelSymbol(prefix)`: the signature and strings, `prefix__entry`, the
// public `prefix_run`, `prefix_run_tensors`, `prefix_output_elements`,
// `prefix_output_shape`, `prefix_infer_dims`, `prefix_workspace_bytes`,
// `prefix_load_params` and `prefix_manifest_json`, which forward to the runtime. The kernel itself
// becomes internal, so that several models link into one program. The
// symbols come from the checked AST (its signature and manifest), which is
// why this pass is built by the CPU backend's pipeline and not registered.
//
//===----------------------------------------------------------------------===//

#include "Passes.h"

#include "attnc/Target/ModelInterface.h"
#include "attnc/Target/RuntimeTypes.h"
#include "attnc/Target/SymbolNames.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/SymbolTable.h"

using namespace mlir;

namespace attnc {

namespace {

struct EntryPointBuilder {
  ModuleOp module;
  SymbolTable &symbols;
  OpBuilder b;
  Location loc;
  Type ptr, i32, i64, voidType;

  EntryPointBuilder(ModuleOp m, SymbolTable &symbols)
      : module(m), symbols(symbols), b(m.getContext()), loc(m.getLoc()) {
    MLIRContext *ctx = m.getContext();
    ptr = LLVM::LLVMPointerType::get(ctx);
    i32 = IntegerType::get(ctx, 32);
    i64 = IntegerType::get(ctx, 64);
    voidType = LLVM::LLVMVoidType::get(ctx);
    b.setInsertionPointToEnd(m.getBody());
  }

  /// Declares an external runtime function once per module.
  void declare(StringRef name, Type result, ArrayRef<Type> args) {
    if (symbols.lookup(name))
      return;
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(module.getBody());
    symbols.insert(
        b.create<LLVM::LLVMFuncOp>(loc, name, LLVM::LLVMFunctionType::get(result, args)));
  }

  void constantGlobal(StringRef name, Type type, Attribute value) {
    symbols.insert(b.create<LLVM::GlobalOp>(loc, type, /*isConstant=*/true,
                                            LLVM::Linkage::Internal, name, value));
  }

  Value address(StringRef symbol) {
    Operation *op = symbols.lookup(symbol);
    if (auto g = dyn_cast<LLVM::GlobalOp>(op))
      return b.create<LLVM::AddressOfOp>(loc, g);
    return b.create<LLVM::AddressOfOp>(loc, cast<LLVM::LLVMFuncOp>(op));
  }

  /// Defines `name(args) -> result` whose body is built by `body`.
  void define(StringRef name, Type result, ArrayRef<Type> args,
              function_ref<Value(ValueRange)> body) {
    auto fn = b.create<LLVM::LLVMFuncOp>(loc, name, LLVM::LLVMFunctionType::get(result, args));
    symbols.insert(fn);
    OpBuilder::InsertionGuard guard(b);
    Block *entry = fn.addEntryBlock(b);
    b.setInsertionPointToStart(entry);
    Value r = body(entry->getArguments());
    b.create<LLVM::ReturnOp>(loc, r ? ValueRange{r} : ValueRange{});
  }

  /// A constant global whose value `build` makes in its initializer region.
  void constantGlobalBuilt(StringRef name, Type type, function_ref<Value()> build) {
    auto g = b.create<LLVM::GlobalOp>(loc, type, /*isConstant=*/true, LLVM::Linkage::Internal,
                                      name, Attribute());
    symbols.insert(g);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(b.createBlock(&g.getInitializerRegion()));
    b.create<LLVM::ReturnOp>(loc, build());
  }

  Value call(StringRef callee, Type result, ValueRange args) {
    auto fn = symbols.lookup<LLVM::LLVMFuncOp>(callee);
    auto c = b.create<LLVM::CallOp>(loc, fn, args);
    return isa<LLVM::LLVMVoidType>(result) ? Value() : c.getResult();
  }
};

/// --embed-weights: the params' data as read-only globals, and the two
/// forms the runtime takes them in: `prefix__embedded_params`, the
/// NAME_params struct (an array of pointers), and `prefix__embedded_tensors`,
/// an attnc_tensor per param with its fixed shape.
void addEmbeddedParams(EntryPointBuilder &e, const ast::Model &model, const std::string &prefix,
                       ArrayRef<ArrayRef<char>> data) {
  OpBuilder &b = e.b;
  MLIRContext *ctx = b.getContext();
  std::vector<const ast::Decl *> params;
  for (const ast::Decl &d : model.decls)
    if (d.kind == ast::DeclKind::Param)
      params.push_back(&d);
  auto i8 = IntegerType::get(ctx, 8);
  for (size_t i = 0; i < params.size(); ++i) {
    std::string name = prefix + "__weight" + std::to_string(i);
    auto g = b.create<LLVM::GlobalOp>(
        e.loc, LLVM::LLVMArrayType::get(i8, data[i].size()), /*isConstant=*/true,
        LLVM::Linkage::Internal, name,
        StringAttr::get(ctx, StringRef(data[i].data(), data[i].size())), /*alignment=*/64);
    e.symbols.insert(g);
    std::vector<int64_t> shape;
    for (const DimExpr &extent : params[i]->shape)
      shape.push_back(*extent.getConstant()); // fixed by --embed-weights
    if (!shape.empty()) {
      auto type = RankedTensorType::get({static_cast<int64_t>(shape.size())}, e.i64);
      e.constantGlobal(prefix + "__weight" + std::to_string(i) + "_shape",
                       LLVM::LLVMArrayType::get(e.i64, shape.size()),
                       DenseElementsAttr::get(type, ArrayRef<int64_t>(shape)));
    }
  }
  auto pointers = LLVM::LLVMArrayType::get(e.ptr, params.size());
  e.constantGlobalBuilt(prefix + "__embedded_params", pointers, [&]() -> Value {
    Value array = b.create<LLVM::UndefOp>(e.loc, pointers);
    for (size_t i = 0; i < params.size(); ++i)
      array = b.create<LLVM::InsertValueOp>(
          e.loc, array, e.address(prefix + "__weight" + std::to_string(i)), i);
    return array;
  });
  auto tensor = LLVM::LLVMStructType::getLiteral(ctx, {e.ptr, e.i32, e.i32, e.ptr, e.ptr});
  auto tensors = LLVM::LLVMArrayType::get(tensor, params.size());
  e.constantGlobalBuilt(prefix + "__embedded_tensors", tensors, [&]() -> Value {
    Value array = b.create<LLVM::UndefOp>(e.loc, tensors);
    Value null = b.create<LLVM::ZeroOp>(e.loc, e.ptr);
    for (size_t i = 0; i < params.size(); ++i) {
      std::string weight = prefix + "__weight" + std::to_string(i);
      int64_t rank = static_cast<int64_t>(params[i]->shape.size());
      Value fields[] = {
          e.address(weight),
          b.create<LLVM::ConstantOp>(e.loc, e.i32, abiDType(params[i]->dtype)),
          b.create<LLVM::ConstantOp>(e.loc, e.i32, rank),
          rank ? e.address(weight + "_shape") : null, null};
      for (int64_t f = 0; f < 5; ++f)
        array = b.create<LLVM::InsertValueOp>(e.loc, array, fields[f],
                                              ArrayRef<int64_t>{static_cast<int64_t>(i), f});
    }
    return array;
  });
}

/// The symbols of one model; `symbols` is the module's table, shared by the
/// calls for every model so that each lookup is constant time. With
/// `embedded` data, a call that passes no params uses it.
void addEntryPoints(ModuleOp module, SymbolTable &symbols, const ast::Model &model,
                    const std::string &prefix, const std::string &manifestJson,
                    ArrayRef<ArrayRef<char>> embedded) {
  EntryPointBuilder e(module, symbols);
  OpBuilder &b = e.b;
  MLIRContext *ctx = module.getContext();
  Type ptr = e.ptr, i32 = e.i32, i64 = e.i64;

  // The kernel is private to the object.
  if (auto kernel = symbols.lookup<LLVM::LLVMFuncOp>(kernelSymbol(prefix)))
    kernel.setLinkage(LLVM::Linkage::Internal);

  EncodedSignature sig = encodeSignature(model);
  auto words = RankedTensorType::get({static_cast<int64_t>(sig.words.size())}, i64);
  e.constantGlobal(prefix + "__signature", LLVM::LLVMArrayType::get(i64, sig.words.size()),
                   DenseElementsAttr::get(words, ArrayRef<int64_t>(sig.words)));
  auto stringGlobal = [&](const std::string &name, std::string text) {
    text.push_back('\0');
    e.constantGlobal(name, LLVM::LLVMArrayType::get(IntegerType::get(ctx, 8), text.size()),
                     b.getStringAttr(text));
  };
  stringGlobal(prefix + "__strings", sig.strings);
  stringGlobal(prefix + "__manifest", manifestJson);
  bool embeds = !embedded.empty() && !embedded.front().empty();
  if (embeds)
    addEmbeddedParams(e, model, prefix, embedded);
  int64_t nParams = static_cast<int64_t>(embedded.size());
  // Arguments a[p] (the params) and a[n] (their count, or -1 for none) with
  // the embedded ones in place of NULL (and 0).
  auto withEmbedded = [&](ValueRange a, int p, int n) {
    SmallVector<Value> args(a.begin(), a.end());
    if (!embeds)
      return args;
    Value null = b.create<LLVM::ZeroOp>(e.loc, ptr);
    Value none = b.create<LLVM::ICmpOp>(e.loc, LLVM::ICmpPredicate::eq, args[p], null);
    if (n >= 0) {
      Value zero = b.create<LLVM::ConstantOp>(e.loc, i64, 0);
      none = b.create<LLVM::AndOp>(
          e.loc, none, b.create<LLVM::ICmpOp>(e.loc, LLVM::ICmpPredicate::eq, args[n], zero));
      args[n] = b.create<LLVM::SelectOp>(e.loc, none,
                                         b.create<LLVM::ConstantOp>(e.loc, i64, nParams), args[n]);
    }
    args[p] = b.create<LLVM::SelectOp>(
        e.loc, none, e.address(prefix + (n >= 0 ? "__embedded_tensors" : "__embedded_params")),
        args[p]);
    return args;
  };

  // prefix__entry(void **args): args[0] is the runtime context, the others
  // point at memref descriptors; the kernel takes the array as it is
  // (attnc-pack-kernel-arguments).
  e.define(prefix + "__entry", e.voidType, {ptr}, [&](ValueRange a) -> Value {
    e.call(kernelSymbol(prefix), e.voidType, a);
    return Value();
  });

  // The public functions forward to the runtime with the model's signature.
  e.declare("attnc_model_run", i32, {ptr, ptr, ptr, ptr, ptr, ptr, ptr, ptr});
  e.declare("attnc_model_run_tensors", i32, {ptr, ptr, ptr, ptr, i64, ptr, i64, ptr, i64, ptr});
  e.declare("attnc_model_output_elements", i64, {ptr, ptr, ptr, i32});
  e.declare("attnc_model_output_shape", i32, {ptr, ptr, ptr, i32, ptr});
  e.declare("attnc_model_infer_dims", i32, {ptr, ptr, ptr, i64, ptr, i64, ptr});
  e.declare("attnc_model_workspace_bytes", i64, {ptr, ptr, ptr, ptr});
  e.declare("attnc_model_load_params", i32, {ptr, ptr, ptr, ptr, ptr});
  auto model3 = [&]() -> SmallVector<Value> {
    return {e.address(prefix + "__signature"), e.address(prefix + "__strings"),
            e.address(prefix + "__entry")};
  };
  e.define(prefix + "_run", i32, {ptr, ptr, ptr, ptr, ptr}, [&](ValueRange a) {
    SmallVector<Value> args = model3();
    args.append(withEmbedded(a, 2, -1));
    return e.call("attnc_model_run", i32, args);
  });
  e.define(prefix + "_run_tensors", i32, {ptr, i64, ptr, i64, ptr, i64, ptr}, [&](ValueRange a) {
    SmallVector<Value> args = model3();
    args.append(withEmbedded(a, 2, 3));
    return e.call("attnc_model_run_tensors", i32, args);
  });
  e.define(prefix + "_workspace_bytes", i64, {ptr}, [&](ValueRange a) {
    SmallVector<Value> args = model3();
    args.append(a.begin(), a.end());
    return e.call("attnc_model_workspace_bytes", i64, args);
  });
  // The ones that need only the signature.
  auto forward = [&](StringRef suffix, StringRef runtimeFn, Type result, ArrayRef<Type> args,
                     int params = -1, int count = -1) {
    e.define(prefix + suffix.str(), result, args, [&](ValueRange a) {
      SmallVector<Value> all = {e.address(prefix + "__signature"),
                                e.address(prefix + "__strings")};
      all.append(params >= 0 ? withEmbedded(a, params, count) : SmallVector<Value>(a));
      return e.call(runtimeFn, result, all);
    });
  };
  forward("_output_elements", "attnc_model_output_elements", i64, {ptr, i32});
  forward("_output_shape", "attnc_model_output_shape", i32, {ptr, i32, ptr});
  forward("_infer_dims", "attnc_model_infer_dims", i32, {ptr, i64, ptr, i64, ptr}, 2, 3);
  forward("_load_params", "attnc_model_load_params", i32, {ptr, ptr, ptr});
  e.define(prefix + "_manifest_json", ptr, {},
           [&](ValueRange) { return e.address(prefix + "__manifest"); });
}

struct AddEntryPointsPass : PassWrapper<AddEntryPointsPass, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(AddEntryPointsPass)
  explicit AddEntryPointsPass(const ModelsToEmit &models) : models(models) {}
  StringRef getArgument() const override { return "attnc-cpu-add-entry-points"; }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    for (size_t i = 0; i < models.module.models.size(); ++i)
      addEntryPoints(module, symbols, models.module.models[i], models.prefixes[i],
                     generateManifest(models.module.models[i], models.prefixes[i], models.build),
                     i < models.embedded.size() ? ArrayRef(models.embedded[i])
                                                : ArrayRef<ArrayRef<char>>());
  }

  const ModelsToEmit &models;
};

} // namespace

std::unique_ptr<Pass> cpu::createAddEntryPoints(const ModelsToEmit &models) {
  return std::make_unique<AddEntryPointsPass>(models);
}

} // namespace attnc
