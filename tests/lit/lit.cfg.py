# lit configuration of attnc's FileCheck tests.
import os
import lit.formats

config.name = "attnc"
config.test_format = lit.formats.ShTest(execute_external=True)
config.suffixes = [".mlir", ".attn", ".test"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(os.path.dirname(config.attnc_tools_dir), "tests", "lit")
config.excludes = ["Inputs", "CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py.in"]

config.environment["FILECHECK_OPTS"] = "--enable-var-scope"
config.environment["PATH"] = os.pathsep.join(
    [config.attnc_tools_dir, config.llvm_tools_dir, os.environ.get("PATH", "")])
config.substitutions.append(("%examples", os.path.join(config.attnc_source_root, "examples")))
config.substitutions.append(("%runtime_include", config.attnc_runtime_include))

# With ATTNC_SANITIZE=ON the tools reserve terabytes of virtual address space
# for AddressSanitizer's shadow memory at startup, so they abort under
# `ulimit -v`. There the memory-bound tests run without the limit (their
# diagnostics and exit status are still checked; the bound itself is checked
# by the ordinary build), and with ten times their time limit, since the
# instrumented frontend is about four times slower.
if getattr(config, "attnc_sanitize", False):
    config.available_features.add("asan")
    config.substitutions.append((r"ulimit -v [0-9]+", "true"))
    config.substitutions.append((r"\btimeout ([0-9]+) ", r"timeout \g<1>0 "))
