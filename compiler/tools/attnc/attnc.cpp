//===- attnc.cpp - The attnc compiler driver ------------------------------===//
//
// Parses the command line (clang and mlir-opt conventions, ABI.md) and hands
// over to the compile or run command. Exit status: 0 success, 1 a user error
// (a diagnostic was printed), 2 a bad command line.
//
//===----------------------------------------------------------------------===//

#include "Driver.h"
#include "RuntimeLocation.h"

#include "attnc/Dialect/Attn/IR/ScheduleRules.h"
#include "attnc/Pipelines/Registration.h"
#include "attnc/Version.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/Timing.h"

#include "llvm/Config/llvm-config.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/ErrorHandling.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>
#include <cstring>

#include <unistd.h>

using namespace llvm;
using namespace attnc::driver;

namespace {

cl::OptionCategory category("attnc options");
cl::OptionCategory runCategory("attnc run / attnc bench options");

cl::opt<std::string> inputFile(cl::Positional, cl::desc("<model.attn>"), cl::cat(category));
cl::opt<std::string> outputFile("o", cl::desc("Output object; the header goes beside it ('-': "
                                              "stdout, for one textual --emit kind)"),
                                cl::value_desc("path"), cl::cat(category));
cl::list<std::string> emitKinds(
    "emit",
    cl::desc("What to write, comma-separated: obj,header (default), attn, fused, linalg, "
             "llvm-mlir, llvm, asm, halide, manifest"),
    cl::CommaSeparated, cl::value_desc("kinds"), cl::cat(category));
cl::opt<char> optLevel("O", cl::Prefix, cl::init('2'),
                       cl::desc("Optimisation level: -O0 (no fusion, plain loops) .. -O3; "
                                "default -O2"),
                       cl::value_desc("level"), cl::cat(category));
cl::opt<std::string> target("target", cl::init("host"),
                            cl::desc("Target: host (default), x86_64, aarch64, cuda"),
                            cl::cat(category));
cl::opt<std::string> mcpu("mcpu", cl::init("host"),
                          cl::desc("CPU to tune for: host (default), znver4, skylake-avx512, ..."),
                          cl::cat(category));
cl::opt<std::string> offloadArch("offload-arch", cl::desc("GPU architecture, e.g. sm_90"),
                                 cl::cat(category));
cl::opt<std::string> symbolName("name", cl::desc("C symbol prefix (default: the model's name)"),
                                cl::value_desc("prefix"), cl::cat(category));
cl::list<std::string> dims("dim", cl::desc("Fix a symbolic dim at compile time (run/bench: its "
                                           "value for the run); repeatable"),
                           cl::value_desc("NAME=VALUE"), cl::cat(category));
cl::opt<std::string> dumpDir("dump-dir",
                             cl::desc("Write every pipeline stage as numbered files into DIR"),
                             cl::value_desc("DIR"), cl::cat(category));
cl::opt<bool> syntaxOnly("fsyntax-only", cl::desc("Only parse and check the model"),
                         cl::cat(category));
cl::opt<bool> explainFusion("explain-fusion",
                            cl::desc("Say which attention chains were fused and why others "
                                     "were not"),
                            cl::cat(category));
cl::opt<std::string> rpassMissed("Rpass-missed",
                                 cl::desc("Report missed optimisations of this pass (fuse)"),
                                 cl::value_desc("pass"), cl::cat(category));

cl::opt<std::string> embedWeights(
    "embed-weights",
    cl::desc("Bake the params into the object from this safetensors, .npz or .npy file, each by "
             "its name; calls that pass no params use them"),
    cl::value_desc("FILE"), cl::cat(category));
cl::opt<bool> printRuntimeLibrary(
    "print-runtime-library",
    cl::desc("Print the path of libattnc_runtime.a, which compiled models link with"),
    cl::cat(category));
cl::opt<bool> printIncludeDir("print-include-dir",
                              cl::desc("Print the directory holding attnc/runtime.h"),
                              cl::cat(category));

cl::opt<std::string> modelName("model", cl::desc("Run only this model of the file"),
                               cl::value_desc("name"), cl::cat(runCategory));
cl::OptionCategory scheduleCategory("schedule overrides (win over the model's schedule block)");
cl::opt<int64_t> blockQ("block-q", cl::init(0), cl::desc("Query block of fused attention"),
                        cl::cat(scheduleCategory));
cl::opt<int64_t> blockK("block-k", cl::init(0), cl::desc("Key block of fused attention"),
                        cl::cat(scheduleCategory));
cl::opt<int64_t> vectorWidth("vector-width", cl::init(0),
                             cl::desc("f32 lanes per vector (default: the target's)"),
                             cl::cat(scheduleCategory));
cl::opt<int64_t> tileRows("tile-rows", cl::init(0),
                          cl::desc("Rows of the register tile of the inner products"),
                          cl::cat(scheduleCategory));

cl::list<std::string> inputs("input", cl::desc("Input data: NAME=@file.npy | random:SEED | zeros"),
                             cl::value_desc("NAME=SPEC"), cl::cat(runCategory));
cl::list<std::string> checks("check",
                             cl::desc("Also compare this file with the reference output NAME "
                                      "(with --reference), e.g. what a linked program wrote"),
                             cl::value_desc("NAME=@file.npy"), cl::cat(runCategory));
cl::opt<std::string> outputDir("output",
                               cl::desc("attnc run: write every output to DIR as NAME.npy "
                                        "(MODEL.NAME.npy when the file's models run)"),
                               cl::value_desc("DIR"), cl::cat(runCategory));
cl::opt<std::string> weightsPath("weights",
                                 cl::desc("Params from this safetensors, .npz or .npy file, each "
                                          "by its name (docs/runtime.md); --input overrides one"),
                                 cl::value_desc("FILE"), cl::cat(runCategory));
// LLVM itself registers `threads`; main() maps `--threads` onto this one.
cl::opt<int> threads("attnc-threads", cl::init(0),
                     cl::desc("Threads, also spelt --threads (0: all cores)"),
                     cl::cat(runCategory));
cl::opt<bool> reference("reference",
                        cl::desc("Compare with the reference interpreter; exit 1 beyond "
                                 "tolerance"),
                        cl::cat(runCategory));
cl::opt<int> iterations("iterations", cl::init(10), cl::desc("Timed iterations (bench)"),
                        cl::cat(runCategory));
cl::opt<bool> jsonOutput("json", cl::desc("Print results as JSON"), cl::cat(runCategory));
cl::opt<bool> halide("halide",
                     cl::desc("Compile the loop nests outside attention and contractions "
                              "(element-wise, reductions, comprehensions) as Halide pipelines "
                              "(-O1 and above; in progress, see docs/usage.md)"),
                     cl::cat(category));
cl::opt<bool> profile("profile",
                      cl::desc("Time each loop nest of the model and say what it computes "
                               "(bench)"),
                      cl::cat(runCategory));

const char *kOverview =
    "attnc: an ahead-of-time compiler for attention models\n\n"
    "  attnc [compile] MODEL.attn [options]   compile to MODEL.o and MODEL.h\n"
    "  attnc run MODEL.attn [options]         compile for the host, run once, "
    "print the outputs\n"
    "  attnc bench MODEL.attn [options]       compile for the host, time it, report "
    "GFLOP/s\n\n"
    "MLIR's --mlir-print-ir-after-all, --mlir-print-ir-before=PASS,\n"
    "--mlir-print-ir-after=PASS and --mlir-timing are passed through; --help-all lists\n"
    "every flag.\n";

bool parseDim(const std::string &text, std::pair<std::string, int64_t> &out) {
  size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == text.size())
    return false;
  const std::string value = text.substr(eq + 1);
  if (value.find_first_not_of("0123456789") != std::string::npos || value.size() > 18)
    return false;
  out = {text.substr(0, eq), std::stoll(value)};
  return true;
}

/// Out of memory anywhere (MLIR, LLVM, the JIT) is a diagnostic and exit
/// status 1, not LLVM's abort. Nothing is allocated on the way out.
[[noreturn]] void outOfMemory(void *, const char *, bool) {
  static const char message[] = "attnc: error: out of memory\n";
  ssize_t ignored = ::write(2, message, sizeof message - 1);
  (void)ignored;
  std::_Exit(kUserError);
}

/// At exit: standard output that could not be written (-o -, attnc run's
/// results, --help or --version, which print and exit inside the option
/// parser, into a full disk) is a diagnostic and exit status 1, not LLVM's
/// abort when the stream closes.
void reportUnwrittenStdout() {
  llvm::outs().flush();
  std::error_code ec = llvm::outs().error();
  if (!ec)
    return;
  llvm::outs().clear_error();
  std::_Exit(error(kUserError, "cannot write to standard output: " + ec.message()));
}

} // namespace

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  llvm::install_bad_alloc_error_handler(outOfMemory);

  // `attnc run ...`: the subcommand is the first argument, compile the default.
  Invocation inv;
  std::vector<const char *> args(argv, argv + argc);
  if (args.size() > 1) {
    std::string first = args[1];
    if (first == "run" || first == "bench" || first == "compile") {
      inv.command = first == "run" ? Command::Run
                    : first == "bench" ? Command::Bench
                                       : Command::Compile;
      args.erase(args.begin() + 1);
    }
  }
  bool helpAll = false;
  std::vector<std::string> rewritten;
  rewritten.reserve(args.size());
  for (const char *&a : args) {
    if (std::strcmp(a, "--help-all") == 0 || std::strcmp(a, "-help-all") == 0) {
      a = "--help-hidden";
      helpAll = true;
    } else if (std::strncmp(a, "--threads", 9) == 0 && (a[9] == '\0' || a[9] == '=')) {
      rewritten.push_back(std::string("--attnc-threads") + (a + 9));
      a = rewritten.back().c_str();
    }
  }

  // Passes first: --mlir-print-ir-after=PASS knows the passes registered
  // when it is created.
  mlir::DialectRegistry registry;
  attnc::registerEverything(registry);
  mlir::registerPassManagerCLOptions();
  mlir::registerDefaultTimingManagerCLOptions();
  mlir::registerMLIRContextCLOptions();
  mlir::registerAsmPrinterCLOptions();
  if (!helpAll)
    cl::HideUnrelatedOptions({&category, &runCategory, &scheduleCategory});
  cl::SetVersionPrinter([](raw_ostream &os) {
    os << "attnc version " << ATTNC_VERSION_STRING << " (LLVM/MLIR " << LLVM_VERSION_STRING
       << ")\n";
  });
  // outs() exists before the handler is registered, so the handler runs
  // before the stream is destroyed.
  llvm::outs();
  std::atexit(reportUnwrittenStdout);
  std::string parseErrors;
  raw_string_ostream errs(parseErrors);
  if (!cl::ParseCommandLineOptions(static_cast<int>(args.size()), args.data(), kOverview, &errs)) {
    llvm::errs() << errs.str();
    return kUsageError;
  }

  if (printRuntimeLibrary || printIncludeDir) {
    if (!inputFile.empty() || (printRuntimeLibrary && printIncludeDir))
      return error(kUsageError, "--print-runtime-library and --print-include-dir take nothing "
                                "else");
    return printRuntimeLocation(printRuntimeLibrary ? RuntimeFile::Library
                                                    : RuntimeFile::IncludeDir,
                                argv[0]);
  }
  if (inputFile.empty())
    return error(kUsageError, "no input file (usage: attnc [compile|run|bench] MODEL.attn "
                              "[options]; see --help)");
  inv.inputPath = inputFile;
  inv.outputPath = outputFile;
  inv.emit.assign(emitKinds.begin(), emitKinds.end());
  if (optLevel < '0' || optLevel > '3')
    return error(kUsageError, std::string("invalid optimisation level -O") + optLevel.getValue() +
                                  " (expected -O0, -O1, -O2 or -O3)");
  inv.optLevel = optLevel - '0';
  inv.target = target;
  inv.cpu = mcpu;
  inv.offloadArch = offloadArch;
  inv.name = symbolName;
  for (const std::string &d : dims) {
    std::pair<std::string, int64_t> parsed;
    if (!parseDim(d, parsed) || parsed.second < 1)
      return error(kUsageError, "invalid --dim '" + d + "' (expected NAME=VALUE, VALUE >= 1)");
    inv.dims.push_back(parsed);
  }
  if (!rpassMissed.empty() && rpassMissed != "fuse")
    return error(kUsageError, "-Rpass-missed=" + rpassMissed + ": the only pass is 'fuse'");
  inv.explainFusion = explainFusion;
  inv.reportMissedFusion = explainFusion || !rpassMissed.empty();
  // Given, a schedule value follows the rules of the model's schedule block.
  for (auto [opt, key] : {std::pair{&blockQ, attnc::attn::schedule::kBlockQ},
                          {&blockK, attnc::attn::schedule::kBlockK},
                          {&vectorWidth, attnc::attn::schedule::kVectorWidth},
                          {&tileRows, attnc::attn::schedule::kTileRows}})
    if (opt->getNumOccurrences())
      if (std::string problem = attnc::attn::schedule::checkValue(key, *opt); !problem.empty())
        return error(kUsageError,
                     "--" + opt->ArgStr.str() + "=" + std::to_string(*opt) + ": " + problem);
  inv.blockQ = blockQ;
  inv.blockK = blockK;
  inv.vectorWidth = vectorWidth;
  inv.tileRows = tileRows;
  inv.dumpDir = dumpDir;
  inv.syntaxOnly = syntaxOnly;
  for (const std::string &i : inputs) {
    size_t eq = i.find('=');
    if (eq == std::string::npos || eq == 0)
      return error(kUsageError, "invalid --input '" + i + "' (expected NAME=SPEC)");
    inv.inputs.push_back({i.substr(0, eq), i.substr(eq + 1)});
  }
  for (const std::string &c : checks) {
    size_t eq = c.find('=');
    if (eq == std::string::npos || eq == 0 || c.compare(eq + 1, 1, "@") != 0)
      return error(kUsageError, "invalid --check '" + c + "' (expected NAME=@file.npy)");
    inv.checks.push_back({c.substr(0, eq), c.substr(eq + 2)});
  }
  if (!inv.checks.empty() && !reference)
    return error(kUsageError, "--check needs --reference");
  if (!outputDir.empty() && inv.command != Command::Run)
    return error(kUsageError, "--output applies to attnc run only (-o names the object)");
  inv.outputDir = outputDir;
  if (!weightsPath.empty() && inv.command == Command::Compile)
    return error(kUsageError, "--weights applies to attnc run and attnc bench");
  inv.weightsPath = weightsPath;
  if (!embedWeights.empty() && inv.command != Command::Compile)
    return error(kUsageError, "--embed-weights applies to attnc compile (run and bench take "
                              "--weights)");
  inv.embedWeights = embedWeights;
  if (threads < 0)
    return error(kUsageError, "--threads must be 0 (all cores) or more");
  if (iterations < 1)
    return error(kUsageError, "--iterations must be 1 or more");
  inv.threads = threads;
  inv.reference = reference;
  inv.iterations = iterations;
  inv.json = jsonOutput;
  if (profile && inv.command != Command::Bench)
    return error(kUsageError, "--profile applies to attnc bench only");
  inv.profile = profile;
  inv.halide = halide;
  inv.model = modelName;
  if (inv.command != Command::Compile && !inv.emit.empty())
    return error(kUsageError, "--emit applies to attnc compile only");

  // What went to stdout (-o -, attnc run's results) is checked at exit
  // (reportUnwrittenStdout).
  return inv.command == Command::Compile ? runCompile(inv) : runModel(inv);
}
