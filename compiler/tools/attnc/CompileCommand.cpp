//===- CompileCommand.cpp - attnc compile ---------------------------------===//

#include "Driver.h"
#include "OutputFiles.h"

#include "attnc/Frontend/Diagnostics.h"
#include "attnc/Frontend/Frontend.h"
#include "attnc/Target/ModelInterface.h"
#include "attnc/Target/SymbolNames.h"

#include "mlir/IR/OperationSupport.h"

#include "llvm/IR/Module.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <fstream>
#include <iostream>

namespace attnc::driver {

int error(int code, const std::string &message) {
  llvm::errs() << "attnc: error: " << message << "\n";
  return code;
}

/// Every model's C symbol prefix must be usable (SymbolNames.h): a bad
/// --name is a bad command line, a bad model name an error at the name.
static bool checkSymbolPrefixes(const Invocation &inv, const ast::Module &module,
                                std::string_view source, int &exitCode) {
  if (!inv.name.empty()) {
    std::string problem = symbolPrefixProblem(inv.name);
    if (!problem.empty()) {
      exitCode = error(kUsageError, "--name '" + inv.name + "' " + problem);
      return false;
    }
  }
  std::vector<std::string> prefixes = symbolPrefixes(module, inv.name);
  for (size_t i = 0; i < prefixes.size(); ++i) {
    std::string problem = symbolPrefixProblem(prefixes[i]);
    if (problem.empty())
      continue;
    const ast::Model &m = module.models[i];
    std::string what = prefixes[i] == m.name ? "model name '" + m.name + "'"
                                             : "C symbol prefix '" + prefixes[i] +
                                                   "' of model '" + m.name + "'";
    Diagnostics diag(inv.inputPath, source, std::cerr);
    diag.error(m.loc, "the " + what + " " + problem + "; rename the model" +
                          (module.models.size() == 1 ? " or choose a prefix with --name" : ""));
    exitCode = kUserError;
    return false;
  }
  return true;
}

std::unique_ptr<ast::Module> loadModule(const Invocation &inv, int &exitCode) {
  // A directory opens and reads as an empty file; say what it is.
  if (llvm::sys::fs::is_directory(inv.inputPath)) {
    exitCode = error(kUserError, "cannot open '" + inv.inputPath + "': it is a directory");
    return nullptr;
  }
  std::ifstream in(inv.inputPath, std::ios::binary);
  if (!in) {
    exitCode = error(kUserError, "cannot open '" + inv.inputPath + "'");
    return nullptr;
  }
  // Read at most one byte more than the frontend accepts, so that a huge or
  // endless file (/dev/zero) is rejected without reading all of it.
  std::string text;
  char chunk[1 << 16];
  while (text.size() <= kMaxSourceBytes && in) {
    in.read(chunk, sizeof chunk);
    text.append(chunk, static_cast<size_t>(in.gcount()));
  }
  if (in.bad()) {
    exitCode = error(kUserError, "cannot read '" + inv.inputPath + "'");
    return nullptr;
  }
  if (text.size() > kMaxSourceBytes) {
    // As the frontend reports it, with the size of the file where it has one.
    uint64_t size = 0;
    std::string bytes = !llvm::sys::fs::file_size(inv.inputPath, size) && size > kMaxSourceBytes
                            ? std::to_string(size) + " bytes; "
                            : "";
    exitCode = error(kUserError, inv.inputPath + ": file is too large (" + bytes +
                                     "the limit is 16 MiB)");
    return nullptr;
  }
  FrontendOptions options;
  options.dimOverrides = inv.dims;
  // For run and bench, --dim gives run-time values; the model stays symbolic.
  options.fixDims = inv.command == Command::Compile;
  options.dimModel = inv.model;
  std::unique_ptr<ast::Module> module =
      parseAndCheck(inv.inputPath, text, options, std::cerr);
  if (!module) {
    exitCode = kUserError;
    return nullptr;
  }
  if (!checkSymbolPrefixes(inv, *module, text, exitCode))
    return nullptr;
  return module;
}

bool prepare(const Invocation &inv, const ast::Module &module, Prepared &out, int &exitCode) {
  std::string message;
  if (!resolveTarget(inv.target, inv.cpu, out.target, message) ||
      !(out.machine = createTargetMachine(out.target, message))) {
    exitCode = error(kUserError, message);
    return false;
  }
  out.options.pipeline.optLevel = inv.optLevel;
  out.options.pipeline.reportMissedFusion = inv.reportMissedFusion;
  out.options.pipeline.reportFusion = inv.explainFusion;
  out.options.pipeline.blockQ = inv.blockQ;
  out.options.pipeline.blockK = inv.blockK;
  out.options.pipeline.vectorWidth = inv.vectorWidth;
  out.options.pipeline.tileRows = inv.tileRows;
  VectorUnit unit = vectorUnitOf(*out.machine);
  out.options.pipeline.targetVectorWidth = unit.width;
  out.options.pipeline.targetVectorRegisters = unit.registers;
  out.options.prefixes = symbolPrefixes(module, inv.name);
  out.options.build = {llvm::sys::path::filename(inv.inputPath).str(),
                       "-O" + std::to_string(inv.optLevel), out.target.arch, out.target.cpu};
  out.options.applyPassManagerCLOptions = true;
  return true;
}

namespace {

/// The --emit kinds: where each goes beside the object, and what messages
/// call it.
struct EmitKind {
  const char *name, *extension, *description;
};
const EmitKind kKinds[] = {
    {"obj", ".o", "the object"},
    {"header", ".h", "the header"},
    {"attn", ".attn.mlir", "the attn IR"},
    {"fused", ".fused.mlir", "the fused IR"},
    {"linalg", ".linalg.mlir", "the linalg IR"},
    {"llvm-mlir", ".llvm-mlir.mlir", "the llvm-mlir IR"},
    {"llvm", ".ll", "the LLVM IR"},
    {"asm", ".s", "the assembly"},
    {"manifest", ".json", "the manifest"},
    {"ptx", ".ptx", "the PTX"}};

const EmitKind *findKind(const std::string &name) {
  for (const EmitKind &k : kKinds)
    if (name == k.name)
      return &k;
  return nullptr;
}

bool isTextual(const std::string &kind) { return kind != "obj"; }

/// --dump-dir numbers its files: the stages 01 to 04, then these.
constexpr int kDumpLLVMIR = 5, kDumpAssembly = 6;

/// Where each requested kind is written: -o names the only kind, or the
/// object; the others go beside it, named after its stem. A device or FIFO
/// (-o /dev/null) takes every kind: nothing can go beside it.
struct OutputPlan {
  std::vector<std::string> kinds;
  std::string stem;                 // path without extension
  std::string single;               // -o for a single kind ("-" = stdout)
  std::string dumpDir, modelStem;   // --dump-dir and the model file's stem

  std::string pathFor(const std::string &kind) const {
    if (!single.empty() && (kinds.size() == 1 || kind == "obj" || writtenInPlace(single)))
      return single;
    return stem + findKind(kind)->extension;
  }
  bool wants(const std::string &kind) const {
    return std::find(kinds.begin(), kinds.end(), kind) != kinds.end();
  }
  std::string dumpPath(int number, const std::string &extension) const {
    char prefix[8];
    std::snprintf(prefix, sizeof prefix, "%02d-", number);
    return dumpDir + "/" + prefix + modelStem + "." + extension;
  }
  std::string dumpPath(Stage stage) const {
    return dumpPath(static_cast<int>(stage) + 1, std::string(stageName(stage)) + ".mlir");
  }
  /// Every file the command would write.
  std::vector<OutputFile> files() const {
    std::vector<OutputFile> out;
    for (const std::string &kind : kinds)
      out.push_back({pathFor(kind), findKind(kind)->description});
    if (dumpDir.empty())
      return out;
    for (Stage s : {Stage::Attn, Stage::Fused, Stage::Linalg, Stage::LLVMDialect})
      out.push_back({dumpPath(s), "the --dump-dir file"});
    out.push_back({dumpPath(kDumpLLVMIR, "ll"), "the --dump-dir file"});
    out.push_back({dumpPath(kDumpAssembly, "s"), "the --dump-dir file"});
    return out;
  }
};

bool makePlan(const Invocation &inv, OutputPlan &plan, int &exitCode) {
  // A kind named twice is written once.
  for (const std::string &k : inv.emit)
    if (!plan.wants(k))
      plan.kinds.push_back(k);
  if (plan.kinds.empty())
    plan.kinds = {"obj", "header"};
  for (const std::string &k : plan.kinds)
    if (!findKind(k)) {
      std::string known;
      for (const EmitKind &kind : kKinds)
        known += (known.empty() ? "" : ", ") + std::string(kind.name);
      exitCode = error(kUsageError, "unknown --emit kind '" + k + "' (expected " + known + ")");
      return false;
    }
  if (inv.outputPath == "-" && (plan.kinds.size() != 1 || !isTextual(plan.kinds[0]))) {
    exitCode = error(kUsageError, "-o - needs exactly one textual --emit kind");
    return false;
  }
  if (plan.wants("ptx")) {
    exitCode = error(kUserError, "--emit=ptx needs --target=cuda, which this version of attnc "
                                 "does not support");
    return false;
  }
  std::string base = inv.outputPath.empty() || inv.outputPath == "-"
                         ? llvm::sys::path::stem(inv.inputPath).str()
                         : inv.outputPath;
  llvm::SmallString<256> stem(base);
  if (inv.outputPath.empty() || inv.outputPath == "-" || plan.kinds.size() > 1 ||
      plan.kinds[0] == "obj")
    llvm::sys::path::replace_extension(stem, "");
  plan.stem = stem.str().str();
  if (!inv.outputPath.empty())
    plan.single = inv.outputPath;
  plan.dumpDir = inv.dumpDir;
  plan.modelStem = llvm::sys::path::stem(inv.inputPath).str();
  return true;
}

std::string printed(mlir::ModuleOp m, Stage stage) {
  mlir::OpPrintingFlags flags;
  // The attn stage shows where every op came from in the model file.
  if (stage == Stage::Attn)
    flags.enableDebugInfo(/*enable=*/true, /*prettyForm=*/false).useLocalScope();
  std::string text;
  llvm::raw_string_ostream os(text);
  m->print(os, flags);
  return text;
}

std::string printed(const llvm::Module &ir) {
  std::string text;
  llvm::raw_string_ostream os(text);
  ir.print(os, nullptr);
  return text;
}

/// The object file, or assembly, of `ir`; reports a failure.
bool machineCode(llvm::Module &ir, const Prepared &prep, bool assembly, std::string &out,
                 int &exitCode) {
  llvm::SmallString<0> code;
  llvm::raw_svector_ostream os(code);
  std::string message;
  if (!emitMachineCode(ir, *prep.machine, assembly, os, message)) {
    exitCode = error(kUserError, message);
    return false;
  }
  out = code.str().str();
  return true;
}

} // namespace

int runCompile(const Invocation &inv) {
  int exitCode = kSuccess;
  OutputPlan plan;
  if (!makePlan(inv, plan, exitCode))
    return exitCode;
  if (!inv.syntaxOnly && !checkOutputsDistinct(inv.inputPath, plan.files(), exitCode))
    return exitCode;

  std::unique_ptr<ast::Module> module = loadModule(inv, exitCode);
  if (!module || inv.syntaxOnly)
    return exitCode;
  Prepared prep;
  if (!prepare(inv, *module, prep, exitCode))
    return exitCode;

  if (!inv.dumpDir.empty()) {
    if (std::error_code ec = llvm::sys::fs::create_directories(inv.dumpDir))
      return error(kUserError, "cannot create --dump-dir '" + inv.dumpDir + "': " + ec.message());
  }
  // The requested outputs are written together at the end, so a failure
  // anywhere writes none of them. Dumps are written as the stages complete,
  // so that they show how far a failing compile got.
  std::vector<OutputContents> outputs;
  bool failedDump = false;
  auto onStage = [&](Stage stage, mlir::ModuleOp m) {
    std::string kind = stageName(stage);
    if (!plan.wants(kind) && (inv.dumpDir.empty() || failedDump))
      return;
    std::string text = printed(m, stage);
    if (!inv.dumpDir.empty() && !failedDump)
      failedDump = !writeOutputs({{plan.dumpPath(stage), text}}, exitCode);
    if (plan.wants(kind))
      outputs.push_back({plan.pathFor(kind), std::move(text)});
  };
  auto context = std::make_unique<llvm::LLVMContext>();
  std::unique_ptr<llvm::Module> ir =
      compileToLLVMIR(*module, prep.options, *prep.machine, *context, onStage);
  if (failedDump)
    return exitCode;
  if (!ir)
    return kUserError;

  bool dumping = !inv.dumpDir.empty();
  std::string llvmIR = plan.wants("llvm") || dumping ? printed(*ir) : "";
  if (dumping && !writeOutputs({{plan.dumpPath(kDumpLLVMIR, "ll"), llvmIR}}, exitCode))
    return exitCode;
  std::string assembly, object;
  if ((plan.wants("asm") || dumping) &&
      !machineCode(*ir, prep, /*assembly=*/true, assembly, exitCode))
    return exitCode;
  if (dumping && !writeOutputs({{plan.dumpPath(kDumpAssembly, "s"), assembly}}, exitCode))
    return exitCode;
  if (plan.wants("obj") && !machineCode(*ir, prep, /*assembly=*/false, object, exitCode))
    return exitCode;
  if (plan.wants("llvm"))
    outputs.push_back({plan.pathFor("llvm"), llvmIR});
  if (plan.wants("asm"))
    outputs.push_back({plan.pathFor("asm"), assembly});
  if (plan.wants("obj"))
    outputs.push_back({plan.pathFor("obj"), object});
  if (plan.wants("header"))
    outputs.push_back({plan.pathFor("header"),
                       generateHeader(*module, prep.options.prefixes, prep.options.build)});
  if (plan.wants("manifest")) {
    std::string json = "[";
    for (size_t i = 0; i < module->models.size(); ++i)
      json += (i ? ",\n " : "") + generateManifest(module->models[i], prep.options.prefixes[i],
                                                   prep.options.build);
    outputs.push_back({plan.pathFor("manifest"), json + "]\n"});
  }
  writeOutputs(outputs, exitCode);
  return exitCode;
}

} // namespace attnc::driver
