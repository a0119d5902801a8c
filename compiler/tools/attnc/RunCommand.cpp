//===- RunCommand.cpp - attnc run and attnc bench -------------------------===//
//
// Compiles the file for the host, loads it into this process, calls each
// model's `NAME_run_tensors` exactly as a user's program would (so the
// runtime's checks are exercised too), and optionally compares with the
// reference interpreter.
//
//===----------------------------------------------------------------------===//

#include "Driver.h"
#include "ProfileReport.h"

#include "attnc/Reference/Inputs.h"
#include "attnc/Reference/Interpreter.h"
#include "attnc/Reference/Npy.h"
#include "attnc/Backends/CPU/CPUBackend.h"
#include "attnc/Backends/CPU/HostJit.h"
#include "attnc/Backends/Halide/Pipelines.h"
#include "attnc/Target/Json.h"
#include "attnc/Target/ModelInterface.h"
#include "attnc/Target/RuntimeTypes.h"
#include "attnc/runtime.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <cmath>
#include <map>
#include <set>

namespace attnc::driver {

namespace {

/// The tolerance of ARCHITECTURE.md for f32; 16-bit outputs are compared at
/// their own precision (see docs/usage.md); integers exactly.
double tolerance(ast::DType t, double maxRef) {
  if (t == ast::DType::I32 || t == ast::DType::I64)
    return 0;
  double unit = t == ast::DType::F16 ? 1e-2 : t == ast::DType::BF16 ? 3e-2 : 1e-4;
  return unit * (maxRef + 1.0);
}

/// One tensor handed to the compiled code: its storage bytes and shape.
struct Buffer {
  std::vector<int64_t> shape;
  std::vector<uint8_t> bytes;
  attnc_dtype dtype;
  attnc_tensor view() {
    return {bytes.empty() ? nullptr : bytes.data(), dtype, static_cast<int32_t>(shape.size()),
            shape.data(), nullptr};
  }
};

struct Comparison {
  double maxAbsError = 0, maxRef = 0, tolerance = 0;
  bool ok = true;
};

Comparison compare(const ref::Tensor &out, const ref::Tensor &expected, ast::DType dtype) {
  Comparison c;
  for (double v : expected.data)
    if (std::isfinite(v))
      c.maxRef = std::max(c.maxRef, std::fabs(v));
  for (size_t i = 0; i < out.data.size(); ++i) {
    double a = out.data[i], b = expected.data[i];
    double err;
    if (std::isnan(a) || std::isnan(b))
      err = std::isnan(a) && std::isnan(b) ? 0 : INFINITY;
    else if (std::isinf(a) || std::isinf(b))
      err = a == b ? 0 : INFINITY;
    else
      err = std::fabs(a - b);
    c.maxAbsError = std::max(c.maxAbsError, err);
  }
  c.tolerance = tolerance(dtype, c.maxRef);
  c.ok = c.maxAbsError <= c.tolerance;
  return c;
}

std::string jsonNumber(double v) {
  if (std::isnan(v) || std::isinf(v))
    return "null";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

std::string shapeText(const std::vector<int64_t> &shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

/// Runs `make` (which allocates a tensor's buffers); a failed allocation is
/// an error naming the tensor and its size instead of an abort.
template <typename Make>
bool allocating(const std::string &what, const std::vector<int64_t> &shape, ast::DType dtype,
                Make &&make, std::string &message) {
  ref::ThrowOnOutOfMemory reportable;
  try {
    return make();
  } catch (const std::bad_alloc &) {
    int64_t count = 0;
    std::string ignored;
    ref::elementCount(shape, count, ignored);
    message = "out of memory: " + what + " " + shapeText(shape) + " needs " +
              std::to_string(count * ref::storageBytes(dtype)) + " bytes, and " +
              std::to_string(count * sizeof(double)) + " more for the reference";
    return false;
  }
}

/// Every --model, --input and --check must name something in the file;
/// parses the --input specs. Returns false after an error.
bool checkNames(const Invocation &inv, const ast::Module &module,
                std::map<std::string, ref::InputSpec> &specs, int &exitCode) {
  std::set<std::string> tensorNames, outputNames;
  bool modelFound = inv.model.empty();
  for (const ast::Model &m : module.models) {
    if (!inv.model.empty() && m.name != inv.model)
      continue;
    modelFound = true;
    for (const ast::Decl &d : m.decls)
      if (d.isTensorInput())
        tensorNames.insert(d.name);
      else if (d.kind == ast::DeclKind::Output)
        outputNames.insert(d.name);
  }
  auto fail = [&](const std::string &message) {
    exitCode = error(kUsageError, message);
    return false;
  };
  if (!modelFound)
    return fail("--model " + inv.model + ": no model named '" + inv.model + "' in " +
                inv.inputPath);
  for (const auto &check : inv.checks)
    if (!outputNames.count(check.first))
      return fail("--check " + check.first + ": no output named '" + check.first + "' in " +
                  inv.inputPath);
  for (const auto &[name, text] : inv.inputs) {
    if (!tensorNames.count(name))
      return fail("--input " + name + ": no input or param named '" + name + "' in " +
                  inv.inputPath);
    std::string message;
    if (!ref::parseInputSpec(text, specs[name], message))
      return fail("--input " + name + "=" + text + ": " + message);
  }
  return true;
}

/// Compiles the file with the host's CPU backend and loads its LLVM IR into
/// this process. Null after an error.
std::unique_ptr<HostJit> compileForHost(const Invocation &inv, const ast::Module &module,
                                        std::vector<std::string> &prefixes, int &exitCode) {
  std::string message;
  std::unique_ptr<cpu::CPUBackend> host = cpu::CPUBackend::create({"host", "host", ""}, message);
  if (!host) {
    exitCode = error(kUserError, message);
    return nullptr;
  }
  cpu::CPUBackend &hostBackend = *host;
  Prepared prep;
  prep.backend = std::move(host);
  prepare(inv, module, prep);
  prefixes = prep.options.prefixes;
  exitCode = kUserError;
  std::unique_ptr<Compilation> compilation =
      compile(module, prep.options, hostBackend, [](const std::string &, mlir::ModuleOp) {});
  if (!compilation)
    return nullptr;
  auto context = std::make_unique<llvm::LLVMContext>();
  std::unique_ptr<llvm::Module> ir = hostBackend.translate(compilation->module(), *context);
  if (!ir)
    return nullptr;
  std::unique_ptr<HostJit> jit = HostJit::create(
      std::move(ir), std::move(context), halide::objectsOf(compilation->module()), message);
  if (!jit)
    exitCode = error(kUserError, "cannot load the compiled code: " + message);
  else
    exitCode = kSuccess;
  return jit;
}

/// One model of the file: its dims and tensors, one call of the compiled
/// code (timed for bench), and the report of each output (with the
/// reference and the --check files). Each step returns false after printing
/// an error whose exit status is `exitCode`.
class ModelRun {
public:
  /// `modelCount`: the models of the file.
  ModelRun(const Invocation &inv, const ast::Model &model, const std::string &prefix,
           size_t modelCount)
      : inv(inv), model(model), prefix(prefix), modelCount(modelCount) {}

  bool resolveDims(const std::map<std::string, int64_t> &dimValues);
  bool makeInputs(const std::map<std::string, ref::InputSpec> &specs, HostJit &jit,
                  attnc_weights *weights);
  bool makeOutputs();
  bool call(HostJit &jit);
  bool report(std::string &json, bool &allOk);

  int exitCode = kSuccess;

private:
  bool fail(int code, const std::string &text) {
    exitCode = error(code, text);
    return false;
  }
  bool loadParams(HostJit &jit, attnc_weights *weights, std::vector<const void *> &data);
  bool reportOutput(size_t oi, std::string &entry, bool &allOk);
  bool checkFiles(const ast::Decl &d, size_t oi, std::string &entry, bool &allOk);
  bool writeOutput(const ast::Decl &d, const ref::Tensor &got, std::string &entry);

  const Invocation &inv;
  const ast::Model &model;
  const std::string &prefix;
  size_t modelCount;
  std::string message;
  std::vector<int64_t> values;
  std::string dimsText;
  std::vector<ref::Tensor> refInputs, expected;
  std::vector<Buffer> inBufs, paramBufs, outBufs;
  std::vector<const ast::Decl *> outputs;
  double seconds = 0, bestSeconds = 0, flops = 0;
  size_t workspace = 0;
  KernelProfile profile;
};

bool ModelRun::resolveDims(const std::map<std::string, int64_t> &dimValues) {
  for (const ast::DimDecl &d : model.dims) {
    int64_t v = d.fixedValue;
    if (!d.isFixed) {
      auto it = dimValues.find(d.name);
      if (it == dimValues.end())
        return fail(kUsageError, "model '" + model.name + "' needs a value for dim '" + d.name +
                                     "': add --dim " + d.name + "=N");
      v = it->second;
    }
    values.push_back(v);
    dimsText += (dimsText.empty() ? "" : " ") + d.name + "=" + std::to_string(v);
  }
  return true;
}

/// The params' data from the weights, through the compiled model's own
/// NAME_load_params, as a program linking it would load them.
bool ModelRun::loadParams(HostJit &jit, attnc_weights *weights, std::vector<const void *> &data) {
  data.assign(std::max<size_t>(1, interfaceDecls(model, ast::DeclKind::Param).size()), nullptr);
  if (!weights)
    return true;
  auto load = reinterpret_cast<LoadParamsFn>(jit.lookup(prefix + "_load_params", message));
  if (!load)
    return fail(kUserError, "cannot find " + prefix + "_load_params: " + message);
  std::vector<int64_t> symbolic;
  for (int d : model.symbolicDims())
    symbolic.push_back(values[d]);
  attnc_status status = load(weights, symbolic.data(), data.data());
  if (status != ATTNC_OK)
    return fail(kUserError, "--weights: model '" + model.name + "': " +
                                attnc_status_string(status) + ": " + attnc_last_error());
  return true;
}

/// Inputs: generated in double, exactly representable in their storage;
/// params from the weights when there are some and no --input names them.
bool ModelRun::makeInputs(const std::map<std::string, ref::InputSpec> &specs, HostJit &jit,
                          attnc_weights *weights) {
  std::vector<const void *> loaded;
  if (!loadParams(jit, weights, loaded))
    return false;
  uint64_t position = 0;
  size_t paramIndex = 0;
  for (const ast::Decl &d : model.decls) {
    if (!d.isTensorInput())
      continue;
    std::vector<int64_t> shape;
    if (!ref::evaluateShape(d.shape, values, shape))
      return fail(kUserError, "model '" + model.name + "': the shape of '" + d.name +
                                  "' is invalid for " + dimsText);
    ref::InputSpec spec;
    spec.seed = 1;
    auto it = specs.find(d.name);
    if (it != specs.end())
      spec = it->second;
    bool isParam = d.kind == ast::DeclKind::Param;
    const void *fromWeights = isParam ? loaded[paramIndex++] : nullptr;
    if (it != specs.end())
      fromWeights = nullptr;
    std::string what = (isParam ? "param '" : "input '") + d.name + "'";
    if (!allocating(what, shape, d.dtype, [&] {
          ref::Tensor t;
          uint64_t at = position++;
          if (weights && fromWeights) {
            int64_t count = 0;
            ref::elementCount(shape, count, message);
            if (!ref::unpackStorage(fromWeights, count * ref::storageBytes(d.dtype), d.dtype,
                                    shape, t, message))
              return false;
          } else if (!ref::makeInput(spec, d.dtype, shape, at, t, message)) {
            message = what + ": " + message;
            return false;
          }
          Buffer b{shape, ref::packStorage(t, d.dtype), abiDType(d.dtype)};
          (isParam ? paramBufs : inBufs).push_back(std::move(b));
          refInputs.push_back(std::move(t));
          return true;
        }, message))
      return fail(kUserError, message);
  }
  return true;
}

bool ModelRun::makeOutputs() {
  outputs = interfaceDecls(model, ast::DeclKind::Output);
  for (const ast::Decl *d : outputs) {
    std::vector<int64_t> shape;
    int64_t count = 0;
    if (!ref::evaluateShape(d->type.shape, values, shape) ||
        !ref::elementCount(shape, count, message))
      return fail(kUserError, "model '" + model.name + "': the shape of output '" + d->name +
                                  "' is invalid for " + dimsText);
    if (!allocating("output '" + d->name + "'", shape, d->type.dtype, [&] {
          outBufs.push_back({shape, std::vector<uint8_t>(count * ref::storageBytes(d->type.dtype)),
                             abiDType(d->type.dtype)});
          return true;
        }, message))
      return fail(kUserError, message);
  }
  return true;
}

/// One call through `NAME_run_tensors`; for bench, `iterations` more, timed.
bool ModelRun::call(HostJit &jit) {
  auto run = reinterpret_cast<RunTensorsFn>(jit.lookup(prefix + "_run_tensors", message));
  if (!run)
    return fail(kUserError, "cannot find " + prefix + "_run_tensors: " + message);
  std::vector<attnc_tensor> inViews, paramViews, outViews;
  for (Buffer &b : inBufs)
    inViews.push_back(b.view());
  for (Buffer &b : paramBufs)
    paramViews.push_back(b.view());
  for (Buffer &b : outBufs)
    outViews.push_back(b.view());
  attnc_exec exec{sizeof(attnc_exec), inv.threads, nullptr};
  auto once = [&]() {
    return run(inViews.data(), inViews.size(), paramViews.data(), paramViews.size(),
               outViews.data(), outViews.size(), &exec);
  };
  attnc_status status = once();
  if (status != ATTNC_OK)
    return fail(kUserError, prefix + "_run_tensors failed: " + attnc_status_string(status) +
                                ": " + attnc_last_error());
  if (inv.command != Command::Bench)
    return true;
  // Timed as a serving loop runs: the intermediates in one workspace that
  // every call reuses.
  auto workspaceBytes =
      reinterpret_cast<size_t (*)(const int64_t *)>(jit.lookup(prefix + "_workspace_bytes", message));
  if (!workspaceBytes)
    return fail(kUserError, "cannot find " + prefix + "_workspace_bytes: " + message);
  std::vector<int64_t> symbolic;
  for (int d : model.symbolicDims())
    symbolic.push_back(values[d]);
  workspace = workspaceBytes(symbolic.data());
  if (workspace == SIZE_MAX)
    return fail(kUserError, prefix + "_workspace_bytes failed: " + attnc_last_error());
  std::vector<unsigned char> memory(workspace);
  exec.workspace = memory.data();
  exec.workspace_bytes = memory.size();
  if (inv.profile && !profile.attach(jit, prefix, message))
    return fail(kUserError, "cannot find the profile counters: " + message);
  if (inv.profile)
    profile.start();
  int64_t f = 0;
  if (estimateFlops(model).evaluate(values, f))
    flops = static_cast<double>(f);
  bestSeconds = INFINITY;
  for (int i = 0; i < inv.iterations; ++i) {
    auto start = std::chrono::steady_clock::now();
    once();
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    seconds += s;
    bestSeconds = std::min(bestSeconds, s);
  }
  seconds /= inv.iterations;
  return true;
}

bool ModelRun::report(std::string &json, bool &allOk) {
  if (inv.reference && !ref::evaluate(model, values, refInputs, expected, message))
    return fail(kUserError, "reference interpreter: " + message);
  if (!inv.json)
    llvm::outs() << "model " << model.name << " (" << dimsText << ")\n";
  json += std::string(json.size() > 1 ? ",\n " : "") + "{\"model\": " + jsonString(model.name) +
          ", \"outputs\": [";
  for (size_t oi = 0; oi < outputs.size(); ++oi) {
    std::string entry;
    if (!reportOutput(oi, entry, allOk))
      return false;
    json += (oi ? ", " : "") + entry + "}";
  }
  json += "]";
  if (inv.command == Command::Bench) {
    double gflops = seconds > 0 ? flops / seconds / 1e9 : 0;
    json += ", \"mean_ms\": " + jsonNumber(seconds * 1e3) +
            ", \"best_ms\": " + jsonNumber(bestSeconds * 1e3) +
            ", \"flops\": " + jsonNumber(flops) + ", \"gflops\": " + jsonNumber(gflops) +
            ", \"workspace_bytes\": " + std::to_string(workspace);
    if (!inv.json)
      llvm::outs() << "  time: mean " << jsonNumber(seconds * 1e3) << " ms, best "
                   << jsonNumber(bestSeconds * 1e3) << " ms over " << inv.iterations
                   << " iterations; " << jsonNumber(flops) << " FLOP, " << jsonNumber(gflops)
                   << " GFLOP/s\n  workspace: " << workspace << " bytes (the intermediates)\n";
    if (!inv.json && inv.profile)
      profile.report(llvm::outs(), model, values, inv.iterations);
  }
  json += "}";
  return true;
}

/// Output `oi`: its sums (and first values), its error against the
/// reference, the --check files compared with the reference.
bool ModelRun::reportOutput(size_t oi, std::string &entry, bool &allOk) {
  const ast::Decl &d = *outputs[oi];
  ref::Tensor got;
  if (!allocating("output '" + d.name + "'", outBufs[oi].shape, d.type.dtype, [&] {
        return ref::unpackStorage(outBufs[oi].bytes.data(), outBufs[oi].bytes.size(),
                                  d.type.dtype, outBufs[oi].shape, got, message);
      }, message))
    return fail(kUserError, "output '" + d.name + "': " + message);
  double sum = 0, absSum = 0;
  for (double v : got.data) {
    sum += v;
    absSum += std::fabs(v);
  }
  entry = "{\"name\": " + jsonString(d.name) + ", \"shape\": " + shapeText(outBufs[oi].shape) +
          ", \"sum\": " + jsonNumber(sum) + ", \"abs_sum\": " + jsonNumber(absSum);
  if (!inv.json) {
    llvm::outs() << "  output " << d.name << ": " << ast::dtypeName(d.type.dtype)
                 << shapeText(outBufs[oi].shape) << "  sum " << jsonNumber(sum) << "  abs sum "
                 << jsonNumber(absSum) << "\n    first values:";
    for (size_t i = 0; i < std::min<size_t>(got.data.size(), 6); ++i)
      llvm::outs() << " " << jsonNumber(got.data[i]);
    llvm::outs() << "\n";
  }
  if (inv.reference) {
    Comparison c = compare(got, expected[oi], d.type.dtype);
    double rel = c.maxRef > 0 ? c.maxAbsError / c.maxRef : c.maxAbsError;
    allOk = allOk && c.ok;
    entry += ", \"max_abs_error\": " + jsonNumber(c.maxAbsError) +
             ", \"max_rel_error\": " + jsonNumber(rel) +
             ", \"tolerance\": " + jsonNumber(c.tolerance) +
             ", \"ok\": " + (c.ok ? "true" : "false");
    if (!inv.json)
      llvm::outs() << "    reference: max abs error " << jsonNumber(c.maxAbsError)
                   << ", max rel error " << jsonNumber(rel) << " (tolerance "
                   << jsonNumber(c.tolerance) << "): " << (c.ok ? "ok" : "FAILED") << "\n";
  }
  if (!inv.outputDir.empty() && !writeOutput(d, got, entry))
    return false;
  return checkFiles(d, oi, entry, allOk);
}

/// --output DIR: output `d`'s values as DIR/NAME.npy (DIR/MODEL.NAME.npy
/// when every model of a file runs), in its dtype (bf16, which NumPy lacks,
/// as f32: every bf16 value is one).
bool ModelRun::writeOutput(const ast::Decl &d, const ref::Tensor &got, std::string &entry) {
  if (std::error_code ec = llvm::sys::fs::create_directories(inv.outputDir))
    return fail(kUserError, "--output " + inv.outputDir + ": " + ec.message());
  llvm::SmallString<128> path(inv.outputDir);
  llvm::sys::path::append(path, (inv.model.empty() && modelCount > 1 ? model.name + "." : "") +
                                    d.name + ".npy");
  ref::NpyType type = d.type.dtype == ast::DType::I32   ? ref::NpyType::I32
                      : d.type.dtype == ast::DType::F16 ? ref::NpyType::F16
                                                        : ref::NpyType::F32;
  if (!ref::writeNpy(std::string(path), got, type, message))
    return fail(kUserError, "--output: " + message);
  entry += ", \"file\": " + jsonString(std::string(path));
  if (!inv.json)
    llvm::outs() << "    written to " << path << "\n";
  return true;
}

/// --check NAME=@FILE.npy for output `oi`: the file against the reference.
bool ModelRun::checkFiles(const ast::Decl &d, size_t oi, std::string &entry, bool &allOk) {
  for (const auto &[name, path] : inv.checks) {
    if (name != d.name)
      continue;
    ref::Tensor file;
    if (!ref::readNpy(path, file, message))
      return fail(kUserError, "--check " + name + ": " + message);
    if (file.shape != expected[oi].shape)
      return fail(kUserError, "--check " + name + ": '" + path + "' has shape " +
                                  shapeText(file.shape) + ", the output is " +
                                  shapeText(expected[oi].shape));
    Comparison c = compare(file, expected[oi], d.type.dtype);
    allOk = allOk && c.ok;
    entry += ", \"check\": {\"file\": " + jsonString(path) + ", \"max_abs_error\": " +
             jsonNumber(c.maxAbsError) + ", \"ok\": " + (c.ok ? "true" : "false") + "}";
    if (!inv.json)
      llvm::outs() << "    " << path << " vs reference: max abs error "
                   << jsonNumber(c.maxAbsError) << " (tolerance " << jsonNumber(c.tolerance)
                   << "): " << (c.ok ? "ok" : "FAILED") << "\n";
  }
  return true;
}

} // namespace

int runModel(const Invocation &inv) {
  if (inv.target != "host" || inv.cpu != "host")
    return error(kUsageError, "attnc run and attnc bench compile for the host: drop --target "
                              "and -mcpu");
  int exitCode = kSuccess;
  std::unique_ptr<ast::Module> module = loadModule(inv, exitCode);
  if (!module || inv.syntaxOnly)
    return exitCode;
  std::map<std::string, ref::InputSpec> specs;
  if (!checkNames(inv, *module, specs, exitCode))
    return exitCode;
  // (The frontend has checked --dim: known dims, no two values for one,
  // fixed dims given their own value.)
  std::map<std::string, int64_t> dimValues(inv.dims.begin(), inv.dims.end());
  std::vector<std::string> prefixes;
  std::unique_ptr<HostJit> jit = compileForHost(inv, *module, prefixes, exitCode);
  if (!jit)
    return exitCode;
  attnc_weights *weights = nullptr;
  if (!inv.weightsPath.empty() && attnc_weights_open(inv.weightsPath.c_str(), &weights) != ATTNC_OK)
    return error(kUserError, std::string("--weights: ") + attnc_last_error());
  std::unique_ptr<attnc_weights, void (*)(attnc_weights *)> closeWeights(weights,
                                                                        attnc_weights_close);

  bool allOk = true;
  std::string json = "[";
  for (size_t mi = 0; mi < module->models.size(); ++mi) {
    const ast::Model &model = module->models[mi];
    if (!inv.model.empty() && model.name != inv.model)
      continue;
    ModelRun run(inv, model, prefixes[mi], module->models.size());
    if (!run.resolveDims(dimValues) || !run.makeInputs(specs, *jit, weights) || !run.makeOutputs() ||
        !run.call(*jit) || !run.report(json, allOk))
      return run.exitCode;
  }
  if (inv.json)
    llvm::outs() << json << "]\n";
  return allOk ? kSuccess : kUserError;
}

} // namespace attnc::driver
