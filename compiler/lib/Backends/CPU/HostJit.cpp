//===- HostJit.cpp - Run compiled models in the compiler's process --------===//

#include "attnc/Backends/CPU/HostJit.h"

#include "attnc/runtime.h"

#include "llvm/ExecutionEngine/Orc/ExecutionUtils.h"
#include "llvm/ExecutionEngine/Orc/LLJIT.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/TargetSelect.h"

// Halide's runtime (HalideRuntimeObject.S) and the hooks that libattnc_runtime
// puts in place of its weak ones (runtime/src/halide_glue.c).
extern "C" {
extern const char attnc_halide_runtime_object[], attnc_halide_runtime_object_end[];
int halide_do_par_for(void *, int (*)(void *, int, uint8_t *), int, int, uint8_t *);
void halide_error(void *, const char *);
}

namespace attnc {

struct HostJit::Impl {
  std::unique_ptr<llvm::orc::LLJIT> jit;
};

HostJit::HostJit(std::unique_ptr<Impl> impl) : impl(std::move(impl)) {}
HostJit::~HostJit() = default;

std::unique_ptr<HostJit> HostJit::create(std::unique_ptr<llvm::Module> module,
                                         std::unique_ptr<llvm::LLVMContext> context,
                                         const std::vector<std::string> &pipelines,
                                         std::string &error) {
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  auto jit = llvm::orc::LLJITBuilder().create();
  if (!jit) {
    error = llvm::toString(jit.takeError());
    return nullptr;
  }
  llvm::orc::JITDylib &lib = (*jit)->getMainJITDylib();
  // The runtime entry points the generated code calls, from this process.
  llvm::orc::SymbolMap runtime;
  auto add = [&](const char *name, void *address) {
    runtime[(*jit)->mangleAndIntern(name)] = {llvm::orc::ExecutorAddr::fromPtr(address),
                                               llvm::JITSymbolFlags::Exported};
  };
  add("attnc_model_run", reinterpret_cast<void *>(&attnc_model_run));
  add("attnc_model_run_tensors", reinterpret_cast<void *>(&attnc_model_run_tensors));
  add("attnc_model_output_elements", reinterpret_cast<void *>(&attnc_model_output_elements));
  add("attnc_model_output_shape", reinterpret_cast<void *>(&attnc_model_output_shape));
  add("attnc_model_infer_dims", reinterpret_cast<void *>(&attnc_model_infer_dims));
  add("attnc_model_workspace_bytes", reinterpret_cast<void *>(&attnc_model_workspace_bytes));
  add("attnc_model_load_params", reinterpret_cast<void *>(&attnc_model_load_params));
  add("attnc_parallel_for", reinterpret_cast<void *>(&attnc_parallel_for));
  add("attnc_kernel_alloc_buffers", reinterpret_cast<void *>(&attnc_kernel_alloc_buffers));
  add("attnc_ctx_thread_index", reinterpret_cast<void *>(&attnc_ctx_thread_index));
  add("attnc_profile_now", reinterpret_cast<void *>(&attnc_profile_now));
  add("attnc_kernel_call_halide", reinterpret_cast<void *>(&attnc_kernel_call_halide));
  add("halide_do_par_for", reinterpret_cast<void *>(&halide_do_par_for));
  add("halide_error", reinterpret_cast<void *>(&halide_error));
  if (llvm::Error e = lib.define(llvm::orc::absoluteSymbols(runtime))) {
    error = llvm::toString(std::move(e));
    return nullptr;
  }
  // libm and libc functions the kernels call (tanhf, erff, memcpy, malloc).
  auto process = llvm::orc::DynamicLibrarySearchGenerator::GetForCurrentProcess(
      (*jit)->getDataLayout().getGlobalPrefix());
  if (!process) {
    error = llvm::toString(process.takeError());
    return nullptr;
  }
  lib.addGenerator(std::move(*process));
  module->setDataLayout((*jit)->getDataLayout());
  if (llvm::Error e = (*jit)->addIRModule(
          llvm::orc::ThreadSafeModule(std::move(module), std::move(context)))) {
    error = llvm::toString(std::move(e));
    return nullptr;
  }
  // The pipelines, and Halide's runtime for them (whose weak hooks lose to
  // the ones above).
  if (!pipelines.empty()) {
    llvm::StringRef runtimeBytes(attnc_halide_runtime_object,
                                 attnc_halide_runtime_object_end - attnc_halide_runtime_object);
    std::vector<std::unique_ptr<llvm::MemoryBuffer>> objects;
    objects.push_back(llvm::MemoryBuffer::getMemBufferCopy(runtimeBytes, "halide_runtime.o"));
    for (const std::string &path : pipelines) {
      auto object = llvm::MemoryBuffer::getFile(path, /*IsText=*/false);
      if (!object) {
        error = "cannot read '" + path + "': " + object.getError().message();
        return nullptr;
      }
      objects.push_back(std::move(*object));
    }
    for (auto &object : objects)
      if (llvm::Error e = (*jit)->addObjectFile(std::move(object))) {
        error = llvm::toString(std::move(e));
        return nullptr;
      }
  }
  auto impl = std::make_unique<Impl>();
  impl->jit = std::move(*jit);
  return std::unique_ptr<HostJit>(new HostJit(std::move(impl)));
}

void *HostJit::lookup(const std::string &symbol, std::string &error) {
  auto address = impl->jit->lookup(symbol);
  if (!address) {
    error = llvm::toString(address.takeError());
    return nullptr;
  }
  return address->toPtr<void *>();
}

} // namespace attnc
