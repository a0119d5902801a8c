//===- Driver.h - The attnc command line ------------------------*- C++ -*-===//
#ifndef ATTNC_TOOLS_ATTNC_DRIVER_H
#define ATTNC_TOOLS_ATTNC_DRIVER_H

#include "attnc/Frontend/AST.h"
#include "attnc/Pipelines/Compiler.h"

#include <memory>
#include <string>
#include <vector>

namespace attnc::driver {

/// Exit statuses of ABI.md.
enum ExitCode { kSuccess = 0, kUserError = 1, kUsageError = 2 };

enum class Command { Compile, Run, Bench };

/// The command line after parsing and validation.
struct Invocation {
  Command command = Command::Compile;
  std::string inputPath;
  std::string outputPath;            // -o; empty = default
  std::vector<std::string> emit;     // --emit kinds
  unsigned optLevel = 2;
  std::string target = "host", cpu = "host", offloadArch;
  std::string name;                  // --name
  std::vector<std::pair<std::string, int64_t>> dims;
  std::string dumpDir;
  bool syntaxOnly = false;
  bool explainFusion = false, reportMissedFusion = false;
  int64_t blockQ = 0, blockK = 0, vectorWidth = 0, tileRows = 0;
  // run / bench
  std::string model;                 // --model: run only this model of the file
  std::vector<std::pair<std::string, std::string>> inputs;  // --input NAME=SPEC
  std::vector<std::pair<std::string, std::string>> checks;  // --check NAME=@FILE.npy
  std::string outputDir;             // run --output: every output as a .npy file there
  std::string weightsPath;           // --weights: params from this file, by name
  std::string embedWeights;          // --embed-weights: params baked into the object
  int threads = 0;
  bool reference = false;
  int iterations = 10;
  bool json = false;
  bool profile = false;              // bench --profile
  bool halide = false;               // --halide
};

/// Prints `attnc: error: message` and returns the exit code.
int error(int code, const std::string &message);

/// Reads the model file, runs the frontend and checks that its models can
/// have C symbols (SymbolNames.h); prints diagnostics.
std::unique_ptr<ast::Module> loadModule(const Invocation &inv, int &exitCode);

/// The backend --target selects, or null after an error.
std::unique_ptr<Backend> selectBackend(const Invocation &inv, int &exitCode);

/// Everything the compile paths share: the backend, prefixes, build info.
struct Prepared {
  CompileOptions options;
  std::unique_ptr<Backend> backend;
};
/// Fills `out.options` for `out.backend`.
void prepare(const Invocation &inv, const ast::Module &module, Prepared &out);

int runCompile(const Invocation &inv);
int runModel(const Invocation &inv);   // `attnc run` and `attnc bench`

} // namespace attnc::driver

#endif
