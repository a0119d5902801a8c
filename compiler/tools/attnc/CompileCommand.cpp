//===- CompileCommand.cpp - attnc compile ---------------------------------===//

#include "Driver.h"
#include "EmbedWeights.h"
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

std::unique_ptr<Backend> selectBackend(const Invocation &inv, int &exitCode) {
  std::string message;
  std::unique_ptr<Backend> backend =
      createBackend({inv.target, inv.cpu, inv.offloadArch}, message);
  if (!backend)
    exitCode = error(kUserError, message);
  return backend;
}

void prepare(const Invocation &inv, const ast::Module &module, Prepared &out) {
  out.options.pipeline.optLevel = inv.optLevel;
  out.options.pipeline.reportMissedFusion = inv.reportMissedFusion;
  out.options.pipeline.reportFusion = inv.explainFusion;
  out.options.pipeline.blockQ = inv.blockQ;
  out.options.pipeline.blockK = inv.blockK;
  out.options.pipeline.vectorWidth = inv.vectorWidth;
  out.options.pipeline.tileRows = inv.tileRows;
  out.options.pipeline.profile = inv.profile;
  out.options.pipeline.halide = inv.halide;
  out.backend->describeTarget(out.options.pipeline);
  out.options.prefixes = symbolPrefixes(module, inv.name);
  out.options.build =
      out.backend->buildInfo(llvm::sys::path::filename(inv.inputPath).str(), inv.optLevel);
  out.options.applyPassManagerCLOptions = true;
}

namespace {

/// An --emit kind: where it goes beside the object, and what messages call
/// it. The stages' kinds are `.STAGE.mlir` files.
struct EmitKind {
  std::string name, extension, description;
  bool textual = true;
  bool artifact = false;  // made by the backend after its last stage
};

/// The kinds of a compile for `backend`: every stage, the backend's
/// artifacts, and the header and manifest, which every backend has.
std::vector<EmitKind> emitKinds(const Backend &backend) {
  std::vector<EmitKind> kinds;
  for (const ArtifactKind &a : backend.artifacts())
    if (!a.textual)
      kinds.push_back({a.name, a.extension, a.description, false, true});
  kinds.push_back({"header", ".h", "the header"});
  for (const std::string &stage : stageNames(backend))
    kinds.push_back({stage, "." + stage + ".mlir", "the " + stage + " IR"});
  for (const ArtifactKind &a : backend.artifacts())
    if (a.textual)
      kinds.push_back({a.name, a.extension, a.description, true, true});
  kinds.push_back({"manifest", ".json", "the manifest"});
  return kinds;
}

/// Where each requested kind is written: -o names the only kind, or the
/// object; the others go beside it, named after its stem. A device or FIFO
/// (-o /dev/null) takes every kind: nothing can go beside it.
struct OutputPlan {
  std::vector<EmitKind> known;
  std::vector<std::string> kinds;
  std::vector<std::string> stages;  // in order: --dump-dir numbers them from 01
  std::vector<ArtifactKind> dumpedArtifacts;  // numbered after the stages
  std::string stem;                 // path without extension
  std::string single;               // -o for a single kind ("-" = stdout)
  std::string dumpDir, modelStem;   // --dump-dir and the model file's stem

  const EmitKind *find(const std::string &name) const {
    for (const EmitKind &k : known)
      if (k.name == name)
        return &k;
    return nullptr;
  }
  std::string pathFor(const std::string &kind) const {
    if (!single.empty() && (kinds.size() == 1 || kind == "obj" || writtenInPlace(single)))
      return single;
    return stem + find(kind)->extension;
  }
  bool wants(const std::string &kind) const {
    return std::find(kinds.begin(), kinds.end(), kind) != kinds.end();
  }
  std::string dumpPath(size_t number, const std::string &extension) const {
    char prefix[8];
    std::snprintf(prefix, sizeof prefix, "%02zu-", number);
    return dumpDir + "/" + prefix + modelStem + "." + extension;
  }
  std::string stageDumpPath(const std::string &stage) const {
    size_t index = std::find(stages.begin(), stages.end(), stage) - stages.begin();
    return dumpPath(index + 1, stage + ".mlir");
  }
  std::string artifactDumpPath(size_t i) const {
    return dumpPath(stages.size() + i + 1, dumpedArtifacts[i].extension.substr(1));
  }
  /// Every file the command would write.
  std::vector<OutputFile> files() const {
    std::vector<OutputFile> out;
    for (const std::string &kind : kinds)
      out.push_back({pathFor(kind), find(kind)->description});
    if (dumpDir.empty())
      return out;
    for (const std::string &stage : stages)
      out.push_back({stageDumpPath(stage), "the --dump-dir file"});
    for (size_t i = 0; i < dumpedArtifacts.size(); ++i)
      out.push_back({artifactDumpPath(i), "the --dump-dir file"});
    return out;
  }
};

bool makePlan(const Invocation &inv, const Backend &backend, OutputPlan &plan, int &exitCode) {
  plan.known = emitKinds(backend);
  plan.stages = stageNames(backend);
  for (const ArtifactKind &a : backend.artifacts())
    if (a.dumped)
      plan.dumpedArtifacts.push_back(a);
  // A kind named twice is written once.
  for (const std::string &k : inv.emit)
    if (!plan.wants(k))
      plan.kinds.push_back(k);
  if (plan.kinds.empty())
    plan.kinds = {"obj", "header"};
  for (const std::string &k : plan.kinds) {
    if (plan.find(k))
      continue;
    if (k == "ptx") {
      exitCode = error(kUserError, "--emit=ptx needs --target=cuda, which this version of attnc "
                                   "does not support");
      return false;
    }
    std::string known;
    for (const EmitKind &kind : plan.known)
      known += (known.empty() ? "" : ", ") + kind.name;
    exitCode = error(kUsageError, "unknown --emit kind '" + k + "' (expected " + known + ")");
    return false;
  }
  if (inv.outputPath == "-" && (plan.kinds.size() != 1 || !plan.find(plan.kinds[0])->textual)) {
    exitCode = error(kUsageError, "-o - needs exactly one textual --emit kind");
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

std::string printed(mlir::ModuleOp m, const std::string &stage) {
  mlir::OpPrintingFlags flags;
  // The attn stage shows where every op came from in the model file.
  if (stage == kAttnStage)
    flags.enableDebugInfo(/*enable=*/true, /*prettyForm=*/false).useLocalScope();
  std::string text;
  llvm::raw_string_ostream os(text);
  m->print(os, flags);
  return text;
}

} // namespace

/// --embed-weights: fixes the dims the params' tensors give (the model is
/// read again with them, unless --dim fixed them), then binds every param.
static bool embedParams(const Invocation &inv, std::unique_ptr<ast::Module> &module,
                        EmbeddedWeights &weights, int &exitCode) {
  std::string message;
  std::vector<std::pair<std::string, int64_t>> dims;
  if (!weights.open(inv.embedWeights, message) ||
      !weights.dimsOfParams(*module, dims, message)) {
    exitCode = error(kUserError, message);
    return false;
  }
  Invocation fixed = inv;
  for (const auto &[name, value] : dims) {
    bool given = false;
    for (const auto &d : inv.dims)
      given |= d.first == name;
    if (!given)
      fixed.dims.emplace_back(name, value);
  }
  if (fixed.dims.size() != inv.dims.size() && !(module = loadModule(fixed, exitCode)))
    return false;
  if (!weights.bind(*module, message)) {
    exitCode = error(kUserError, message);
    return false;
  }
  return true;
}

int runCompile(const Invocation &inv) {
  int exitCode = kSuccess;
  Prepared prep;
  if (!(prep.backend = selectBackend(inv, exitCode)))
    return exitCode;
  OutputPlan plan;
  if (!makePlan(inv, *prep.backend, plan, exitCode))
    return exitCode;
  if (!inv.syntaxOnly && !checkOutputsDistinct(inv.inputPath, plan.files(), exitCode))
    return exitCode;

  std::unique_ptr<ast::Module> module = loadModule(inv, exitCode);
  if (!module)
    return exitCode;
  EmbeddedWeights weights;
  if (!inv.embedWeights.empty() && !embedParams(inv, module, weights, exitCode))
    return exitCode;
  if (inv.syntaxOnly)
    return exitCode;
  prepare(inv, *module, prep);
  prep.options.embedded = weights.params();
  prep.options.build.embeddedWeights = inv.embedWeights;

  if (!inv.dumpDir.empty()) {
    if (std::error_code ec = llvm::sys::fs::create_directories(inv.dumpDir))
      return error(kUserError, "cannot create --dump-dir '" + inv.dumpDir + "': " + ec.message());
  }
  // The requested outputs are written together at the end, so a failure
  // anywhere writes none of them. Dumps are written as the stages complete,
  // so that they show how far a failing compile got.
  std::vector<OutputContents> outputs;
  bool failedDump = false;
  auto onStage = [&](const std::string &stage, mlir::ModuleOp m) {
    if (!plan.wants(stage) && (inv.dumpDir.empty() || failedDump))
      return;
    std::string text = printed(m, stage);
    if (!inv.dumpDir.empty() && !failedDump)
      failedDump = !writeOutputs({{plan.stageDumpPath(stage), text}}, exitCode);
    if (plan.wants(stage))
      outputs.push_back({plan.pathFor(stage), std::move(text)});
  };
  std::unique_ptr<Compilation> compilation =
      compile(*module, prep.options, *prep.backend, onStage);
  if (failedDump)
    return exitCode;
  if (!compilation)
    return kUserError;

  // The backend's artifacts, in its order: those requested, and with
  // --dump-dir the dumped ones.
  bool dumping = !inv.dumpDir.empty();
  std::vector<std::string> made;
  for (const ArtifactKind &a : prep.backend->artifacts())
    if (plan.wants(a.name) || (dumping && a.dumped))
      made.push_back(a.name);
  std::vector<std::string> contents;
  std::string message;
  {
    mlir::TimingScope timing = compilation->time("emit");
    if (!made.empty() &&
        !prep.backend->emit(compilation->module(), made, contents, message))
      return error(kUserError, message);
  }
  for (size_t i = 0; i < made.size(); ++i) {
    if (plan.wants(made[i]))
      outputs.push_back({plan.pathFor(made[i]), contents[i]});
    for (size_t d = 0; dumping && d < plan.dumpedArtifacts.size(); ++d)
      if (plan.dumpedArtifacts[d].name == made[i] &&
          !writeOutputs({{plan.artifactDumpPath(d), contents[i]}}, exitCode))
        return exitCode;
  }
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
