//===- Backends.cpp - --target to a backend -------------------------------===//
//
// The one place that knows every backend: adding one is a line in kBackends
// (docs/internals/architecture.md, "Add a backend").
//
//===----------------------------------------------------------------------===//

#include "attnc/Pipelines/Backend.h"

#include "attnc/Backends/CPU/CPUBackend.h"

namespace attnc {

namespace {

/// A backend: the --target values it serves, how to make one, and how to
/// register its passes and stage pipelines for attnc-opt.
struct BackendEntry {
  bool (*serves)(const std::string &target);
  std::unique_ptr<Backend> (*create)(const TargetRequest &request, std::string &error);
  void (*registerPasses)();
};

const BackendEntry kBackends[] = {
    {cpu::servesTarget,
     [](const TargetRequest &request, std::string &error) -> std::unique_ptr<Backend> {
       return cpu::CPUBackend::create(request, error);
     },
     cpu::registerPasses},
};

} // namespace

std::unique_ptr<Backend> createBackend(const TargetRequest &request, std::string &error) {
  std::string target = request.target.empty() ? "host" : request.target;
  for (const BackendEntry &entry : kBackends)
    if (entry.serves(target))
      return entry.create(request, error);
  if (target == "cuda")
    error = "--target=cuda: GPU code generation is not available in this version of attnc";
  else
    error = "unknown --target '" + target + "' (expected host, x86_64, aarch64 or cuda)";
  return nullptr;
}

void registerBackendPasses() {
  for (const BackendEntry &entry : kBackends)
    entry.registerPasses();
}

} // namespace attnc
