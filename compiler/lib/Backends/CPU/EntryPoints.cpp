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

  Value call(StringRef callee, Type result, ValueRange args) {
    auto fn = symbols.lookup<LLVM::LLVMFuncOp>(callee);
    auto c = b.create<LLVM::CallOp>(loc, fn, args);
    return isa<LLVM::LLVMVoidType>(result) ? Value() : c.getResult();
  }
};

/// The symbols of one model; `symbols` is the module's table, shared by the
/// calls for every model so that each lookup is constant time.
void addEntryPoints(ModuleOp module, SymbolTable &symbols, const ast::Model &model,
                    const std::string &prefix, const std::string &manifestJson) {
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
    args.append(a.begin(), a.end());
    return e.call("attnc_model_run", i32, args);
  });
  e.define(prefix + "_run_tensors", i32, {ptr, i64, ptr, i64, ptr, i64, ptr}, [&](ValueRange a) {
    SmallVector<Value> args = model3();
    args.append(a.begin(), a.end());
    return e.call("attnc_model_run_tensors", i32, args);
  });
  e.define(prefix + "_workspace_bytes", i64, {ptr}, [&](ValueRange a) {
    SmallVector<Value> args = model3();
    args.append(a.begin(), a.end());
    return e.call("attnc_model_workspace_bytes", i64, args);
  });
  // The ones that need only the signature.
  auto forward = [&](StringRef suffix, StringRef runtimeFn, Type result, ArrayRef<Type> args) {
    e.define(prefix + suffix.str(), result, args, [&](ValueRange a) {
      SmallVector<Value> all = {e.address(prefix + "__signature"),
                                e.address(prefix + "__strings")};
      all.append(a.begin(), a.end());
      return e.call(runtimeFn, result, all);
    });
  };
  forward("_output_elements", "attnc_model_output_elements", i64, {ptr, i32});
  forward("_output_shape", "attnc_model_output_shape", i32, {ptr, i32, ptr});
  forward("_infer_dims", "attnc_model_infer_dims", i32, {ptr, i64, ptr, i64, ptr});
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
                     generateManifest(models.module.models[i], models.prefixes[i], models.build));
  }

  const ModelsToEmit &models;
};

} // namespace

std::unique_ptr<Pass> cpu::createAddEntryPoints(const ModelsToEmit &models) {
  return std::make_unique<AddEntryPointsPass>(models);
}

} // namespace attnc
