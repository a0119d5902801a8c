//===- CompileCommand.cpp - attnc compile ---------------------------------===//

#include "Driver.h"

#include "attnc/Frontend/Frontend.h"
#include "attnc/Target/ModelInterface.h"

#include "mlir/IR/OperationSupport.h"

#include "llvm/IR/Module.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

#include <fstream>
#include <iostream>
#include <set>

namespace attnc::driver {

int error(int code, const std::string &message) {
  llvm::errs() << "attnc: error: " << message << "\n";
  return code;
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
  std::unique_ptr<ast::Module> module =
      parseAndCheck(inv.inputPath, text, options, std::cerr);
  if (!module)
    exitCode = kUserError;
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
  std::set<std::string> seen;
  for (const std::string &p : out.options.prefixes) {
    bool valid = !p.empty() && (std::isalpha(static_cast<unsigned char>(p[0])) || p[0] == '_');
    for (char c : p)
      valid = valid && (std::isalnum(static_cast<unsigned char>(c)) || c == '_');
    if (!valid) {
      exitCode = error(kUsageError, "--name '" + inv.name + "' is not a C identifier");
      return false;
    }
    if (!seen.insert(p).second) {
      exitCode = error(kUserError, "two models would define the C prefix '" + p + "'");
      return false;
    }
  }
  return true;
}

namespace {

const std::set<std::string> kKinds = {"obj",  "header", "attn", "fused",   "linalg",
                                      "llvm-mlir", "llvm", "asm", "manifest", "ptx"};

std::string extensionOf(const std::string &kind) {
  if (kind == "obj") return ".o";
  if (kind == "header") return ".h";
  if (kind == "llvm") return ".ll";
  if (kind == "asm") return ".s";
  if (kind == "manifest") return ".json";
  if (kind == "ptx") return ".ptx";
  return "." + kind + ".mlir";
}

bool isTextual(const std::string &kind) { return kind != "obj"; }

/// Where each requested kind is written: -o names the only kind, or the
/// object; the others go beside it, named after its stem.
struct OutputPlan {
  std::vector<std::string> kinds;
  std::string stem;                 // path without extension
  std::string single;               // -o for a single kind ("-" = stdout)

  std::string pathFor(const std::string &kind) const {
    if (!single.empty() && kinds.size() == 1)
      return single;
    if (!single.empty() && kind == "obj")
      return single;
    return stem + extensionOf(kind);
  }
  bool wants(const std::string &kind) const {
    return std::find(kinds.begin(), kinds.end(), kind) != kinds.end();
  }
};

bool writeFile(const std::string &path, llvm::function_ref<void(llvm::raw_ostream &)> write,
               int &exitCode) {
  std::error_code ec;
  llvm::ToolOutputFile out(path, ec, llvm::sys::fs::OF_None);
  if (ec) {
    exitCode = error(kUserError, "cannot write '" + path + "': " + ec.message());
    return false;
  }
  write(out.os());
  out.keep();
  return true;
}

void printModule(mlir::ModuleOp m, Stage stage, llvm::raw_ostream &os) {
  mlir::OpPrintingFlags flags;
  // The attn stage shows where every op came from in the model file.
  if (stage == Stage::Attn)
    flags.enableDebugInfo(/*enable=*/true, /*prettyForm=*/false).useLocalScope();
  m->print(os, flags);
}

} // namespace

int runCompile(const Invocation &inv) {
  int exitCode = kSuccess;
  OutputPlan plan;
  plan.kinds = inv.emit.empty() ? std::vector<std::string>{"obj", "header"} : inv.emit;
  for (const std::string &k : plan.kinds)
    if (!kKinds.count(k))
      return error(kUsageError, "unknown --emit kind '" + k +
                                    "' (expected obj, header, attn, fused, linalg, llvm-mlir, "
                                    "llvm, asm, manifest, ptx)");
  if (inv.outputPath == "-" && (plan.kinds.size() != 1 || !isTextual(plan.kinds[0])))
    return error(kUsageError, "-o - needs exactly one textual --emit kind");
  if (plan.wants("ptx"))
    return error(kUserError, "--emit=ptx needs --target=cuda, which this version of attnc "
                             "does not support");
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
  int dumpIndex = 1;
  auto dumpPath = [&](const std::string &what) {
    char number[8];
    std::snprintf(number, sizeof number, "%02d", dumpIndex++);
    return inv.dumpDir + "/" + number + "-" + llvm::sys::path::stem(inv.inputPath).str() + "." +
           what;
  };

  bool failedWrite = false;
  auto onStage = [&](Stage stage, mlir::ModuleOp m) {
    std::string kind = stageName(stage);
    if (!inv.dumpDir.empty())
      failedWrite |= !writeFile(dumpPath(kind + ".mlir"),
                                [&](llvm::raw_ostream &os) { printModule(m, stage, os); },
                                exitCode);
    if (plan.wants(kind)) {
      std::string path = plan.pathFor(kind);
      if (path == "-")
        printModule(m, stage, llvm::outs());
      else
        failedWrite |= !writeFile(path, [&](llvm::raw_ostream &os) { printModule(m, stage, os); },
                                  exitCode);
    }
  };
  auto context = std::make_unique<llvm::LLVMContext>();
  std::unique_ptr<llvm::Module> ir =
      compileToLLVMIR(*module, prep.options, *prep.machine, *context, onStage);
  if (failedWrite)
    return exitCode;
  if (!ir)
    return kUserError;

  auto emitIR = [&](const std::string &path) {
    if (path == "-") {
      ir->print(llvm::outs(), nullptr);
      return true;
    }
    return writeFile(path, [&](llvm::raw_ostream &os) { ir->print(os, nullptr); }, exitCode);
  };
  auto emitCode = [&](const std::string &path, bool assembly) {
    std::string message;
    std::error_code ec;
    llvm::ToolOutputFile out(path, ec, assembly ? llvm::sys::fs::OF_Text : llvm::sys::fs::OF_None);
    if (ec) {
      exitCode = error(kUserError, "cannot write '" + path + "': " + ec.message());
      return false;
    }
    if (!emitMachineCode(*ir, *prep.machine, assembly, out.os(), message)) {
      exitCode = error(kUserError, message);
      return false;
    }
    out.keep();
    return true;
  };
  auto emitText = [&](const std::string &path, const std::string &text) {
    if (path == "-") {
      llvm::outs() << text;
      return true;
    }
    return writeFile(path, [&](llvm::raw_ostream &os) { os << text; }, exitCode);
  };

  if (!inv.dumpDir.empty() && (!emitIR(dumpPath("ll")) || !emitCode(dumpPath("s"), true)))
    return exitCode;
  if (plan.wants("llvm") && !emitIR(plan.pathFor("llvm")))
    return exitCode;
  if (plan.wants("asm") && !emitCode(plan.pathFor("asm"), true))
    return exitCode;
  if (plan.wants("obj") && !emitCode(plan.pathFor("obj"), false))
    return exitCode;
  if (plan.wants("header") &&
      !emitText(plan.pathFor("header"),
                generateHeader(*module, prep.options.prefixes, prep.options.build)))
    return exitCode;
  if (plan.wants("manifest")) {
    std::string json = "[";
    for (size_t i = 0; i < module->models.size(); ++i)
      json += (i ? ",\n " : "") + generateManifest(module->models[i], prep.options.prefixes[i],
                                                   prep.options.build);
    if (!emitText(plan.pathFor("manifest"), json + "]\n"))
      return exitCode;
  }
  return exitCode;
}

} // namespace attnc::driver
