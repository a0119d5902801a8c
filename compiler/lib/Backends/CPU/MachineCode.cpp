//===- MachineCode.cpp - LLVM IR and machine code for a target ------------===//

#include "attnc/Backends/CPU/MachineCode.h"

#include "mlir/Target/LLVMIR/Export.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/TargetParser/Host.h"

namespace attnc {

static void initializeTargets() {
  static bool done = [] {
    llvm::InitializeAllTargetInfos();
    llvm::InitializeAllTargets();
    llvm::InitializeAllTargetMCs();
    llvm::InitializeAllAsmPrinters();
    return true;
  }();
  (void)done;
}

VectorUnit vectorUnitOf(const llvm::TargetMachine &machine) {
  const llvm::MCSubtargetInfo *sti = machine.getMCSubtargetInfo();
  if (machine.getTargetTriple().isX86()) {
    if (sti->checkFeatures("+avx512f"))
      return {16, 32};  // zmm0-31
    return {sti->checkFeatures("+avx2") ? 8 : 4, 16};
  }
  if (machine.getTargetTriple().isAArch64())
    return {4, 32};  // NEON v0-v31
  return {};
}

bool resolveTarget(const std::string &target, const std::string &cpu, TargetSpec &spec,
                   std::string &error) {
  std::string host = llvm::sys::getProcessTriple();
  std::string hostArch = llvm::Triple(host).getArchName().str();
  if (target == "host" || target.empty() || target == hostArch) {
    spec.triple = host;
    spec.arch = hostArch;
  } else if (target == "x86_64") {
    spec.triple = "x86_64-unknown-linux-gnu";
    spec.arch = target;
  } else if (target == "aarch64") {
    spec.triple = "aarch64-unknown-linux-gnu";
    spec.arch = target;
  } else {
    error = "the CPU backend does not generate code for --target '" + target + "'";
    return false;
  }
  bool native = spec.triple == host;
  if (cpu == "host" || cpu.empty()) {
    if (!native) {
      spec.cpu = "generic";
      return true;
    }
    spec.cpu = llvm::sys::getHostCPUName().str();
    std::string list;
    for (auto &f : llvm::sys::getHostCPUFeatures())
      list += std::string(list.empty() ? "" : ",") + (f.second ? "+" : "-") + f.first().str();
    spec.features = list;
    return true;
  }
  spec.cpu = cpu;
  return true;
}

std::unique_ptr<llvm::TargetMachine> createTargetMachine(const TargetSpec &spec,
                                                         std::string &error) {
  initializeTargets();
  const llvm::Target *target = llvm::TargetRegistry::lookupTarget(spec.triple, error);
  if (!target)
    return nullptr;
  if (spec.cpu != "generic") {
    const llvm::MCSubtargetInfo *sti = target->createMCSubtargetInfo(spec.triple, "", "");
    bool known = sti && sti->isCPUStringValid(spec.cpu);
    delete sti;
    if (!known) {
      error = "unknown -mcpu '" + spec.cpu + "' for " + spec.arch;
      return nullptr;
    }
  }
  llvm::TargetOptions options;
  return std::unique_ptr<llvm::TargetMachine>(target->createTargetMachine(
      spec.triple, spec.cpu, spec.features, options, llvm::Reloc::PIC_, std::nullopt,
      llvm::CodeGenOptLevel::Aggressive));
}

std::unique_ptr<llvm::Module> translateToLLVMIR(mlir::ModuleOp module, llvm::LLVMContext &ctx,
                                                llvm::TargetMachine &machine) {
  std::unique_ptr<llvm::Module> m = mlir::translateModuleToLLVMIR(module, ctx);
  if (!m)
    return nullptr;
  m->setTargetTriple(machine.getTargetTriple().str());
  m->setDataLayout(machine.createDataLayout());
  // Every function gets the machine's CPU and features, so that LLVM's
  // vectorisers use the full vector width.
  const llvm::MCSubtargetInfo *sti = machine.getMCSubtargetInfo();
  bool hasAVX512 = machine.getTargetTriple().isX86() && sti && sti->checkFeatures("+avx512f");
  for (llvm::Function &f : *m) {
    if (f.isDeclaration())
      continue;
    f.addFnAttr("target-cpu", machine.getTargetCPU());
    if (!machine.getTargetFeatureString().empty())
      f.addFnAttr("target-features", machine.getTargetFeatureString());
    // LLVM's vectorisers stop at 256 bits on AVX-512 CPUs unless told
    // otherwise; the attention kernels already run zmm FMAs, so the softmax
    // loops beside them should too.
    if (hasAVX512)
      f.addFnAttr("prefer-vector-width", "512");
  }

  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  llvm::PassBuilder pb(&machine);
  pb.registerModuleAnalyses(mam);
  pb.registerCGSCCAnalyses(cgam);
  pb.registerFunctionAnalyses(fam);
  pb.registerLoopAnalyses(lam);
  pb.crossRegisterProxies(lam, fam, cgam, mam);
  llvm::ModulePassManager mpm = pb.buildPerModuleDefaultPipeline(llvm::OptimizationLevel::O2);
  mpm.run(*m, mam);
  return m;
}

bool emitMachineCode(llvm::Module &module, llvm::TargetMachine &machine, bool assembly,
                     llvm::raw_pwrite_stream &os, std::string &error) {
  llvm::legacy::PassManager pm;
  auto type = assembly ? llvm::CodeGenFileType::AssemblyFile : llvm::CodeGenFileType::ObjectFile;
  if (machine.addPassesToEmitFile(pm, os, nullptr, type)) {
    error = "the target cannot emit this kind of file";
    return false;
  }
  pm.run(module);
  return true;
}

bool linkRelocatable(const std::string &object, const std::vector<std::string> &others,
                     const std::string &scratch, std::string &linked, std::string &error) {
  // LLVM's lld links objects of every architecture (--target=aarch64 on an
  // x86-64 machine); binutils' ld, which comes with the C compiler, the host's.
  llvm::ErrorOr<std::string> linker = std::make_error_code(std::errc::no_such_file_or_directory);
  for (llvm::StringRef name : {"ld.lld-19", "ld.lld", "ld"})
    if ((linker = llvm::sys::findProgramByName(name)))
      break;
  if (!linker) {
    error = "no linker (ld.lld or ld) on PATH to add the Halide pipelines to the object";
    return false;
  }
  auto inFolder = [&](llvm::StringRef file) {
    llvm::SmallString<128> path(scratch);
    llvm::sys::path::append(path, file);
    return std::string(path);
  };
  std::string input = inFolder("kernels.o"), output = inFolder("linked.o"),
              messages = inFolder("ld.txt");
  {
    std::error_code e;
    llvm::raw_fd_ostream os(input, e);
    if (e) {
      error = "cannot write '" + input + "': " + e.message();
      return false;
    }
    os << object;
  }
  std::vector<llvm::StringRef> args{*linker, "-r", "-o", output, input};
  args.insert(args.end(), others.begin(), others.end());
  std::optional<llvm::StringRef> redirects[] = {std::nullopt, llvm::StringRef(messages),
                                                llvm::StringRef(messages)};
  std::string failure;
  if (llvm::sys::ExecuteAndWait(*linker, args, std::nullopt, redirects, 0, 0, &failure) != 0) {
    auto text = llvm::MemoryBuffer::getFile(messages);
    error = "'" + *linker + " -r' failed: " +
            (text ? (*text)->getBuffer().trim().str() : failure);
    return false;
  }
  auto result = llvm::MemoryBuffer::getFile(output, /*IsText=*/false);
  if (!result) {
    error = "cannot read '" + output + "': " + result.getError().message();
    return false;
  }
  linked = (*result)->getBuffer().str();
  return true;
}

} // namespace attnc
