"""Running the attnc driver and the C compiler: a model file becomes a
shared library that ctypes loads (the object attnc writes, linked with the
runtime library that attnc names)."""

import ctypes
import functools
import json
import os
import shutil
import subprocess
import tempfile

from ._errors import CompileError, did_you_mean


def attnc_path():
    """The driver: $ATTNC, else `attnc` on PATH."""
    named = os.environ.get("ATTNC")
    if named:
        if not (os.path.isfile(named) and os.access(named, os.X_OK)):
            raise FileNotFoundError("ATTNC=%s is not an executable file" % named)
        return named
    found = shutil.which("attnc")
    if not found:
        raise FileNotFoundError("attnc is not on PATH; install it, or name it with the ATTNC "
                                "environment variable")
    return found


def _run(argv, what):
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if p.returncode != 0:
        raise CompileError("%s failed (exit status %d):\n%s"
                           % (what, p.returncode, (p.stderr or p.stdout).rstrip()),
                           p.stderr)
    return p.stdout


@functools.lru_cache(maxsize=None)
def runtime_library(driver):
    return _run([driver, "--print-runtime-library"], "attnc --print-runtime-library").strip()


def _c_compiler():
    cc = os.environ.get("CC", "cc")
    if not shutil.which(cc.split()[0]):
        raise FileNotFoundError("no C compiler to link the model with: %r is not on PATH "
                                "(set CC)" % cc)
    return cc.split()


def link_shared(objects, output, driver, whole_runtime=False):
    """Links `objects` and the runtime into the shared library `output`.
    -Bsymbolic keeps each library's calls on its own copy of the runtime."""
    lib = runtime_library(driver)
    runtime = ["-Wl,--whole-archive", lib, "-Wl,--no-whole-archive"] if whole_runtime else [lib]
    _run(_c_compiler() + ["-shared", "-Wl,-Bsymbolic", "-o", output] + list(objects) + runtime
         + ["-lpthread", "-lm", "-ldl"], "linking " + os.path.basename(output))


# compile()'s keyword options and the flags they become.
_VALUE_FLAGS = {
    "mcpu": "-mcpu",
    "target": "--target",
    "name": "--name",
    "block_q": "--block-q",
    "block_k": "--block-k",
    "vector_width": "--vector-width",
    "tile_rows": "--tile-rows",
}
OPTIONS = sorted(list(_VALUE_FLAGS) + ["opt_level", "dims", "extra_args", "cache_dir",
                                       "threads", "cache"])


def check_options(options):
    for key in options:
        if key not in OPTIONS:
            raise TypeError("compile() got an unknown option %r%s (options: %s)"
                            % (key, did_you_mean(key, OPTIONS), ", ".join(OPTIONS)))


def compile_file(path, options):
    """Compiles `path` into a fresh directory; returns (library path, the
    manifest: one entry per model of the file)."""
    driver = attnc_path()
    workdir = tempfile.mkdtemp(prefix="attnc-", dir=options.get("cache_dir"))
    stem = os.path.join(workdir, "model")
    argv = [driver, os.fspath(path), "-o", stem + ".o", "--emit=obj,manifest",
            "-O%d" % options.get("opt_level", 2)]
    for key, flag in _VALUE_FLAGS.items():
        if options.get(key) is not None:
            argv.append("%s=%s" % (flag, options[key]))
    for dim, value in (options.get("dims") or {}).items():
        argv.append("--dim=%s=%d" % (dim, value))
    argv += list(options.get("extra_args") or [])
    _run(argv, "attnc " + os.path.basename(os.fspath(path)))
    with open(stem + ".json") as f:
        manifest = json.load(f)
    library = stem + ".so"
    link_shared([stem + ".o"], library, driver)
    return library, manifest


@functools.lru_cache(maxsize=None)
def runtime_only():
    """The runtime alone as a loaded shared library, for weights files."""
    driver = attnc_path()
    workdir = tempfile.mkdtemp(prefix="attnc-runtime-")
    library = os.path.join(workdir, "libattnc_runtime.so")
    link_shared([], library, driver, whole_runtime=True)
    return load(library)


def load(library):
    lib = ctypes.CDLL(library, mode=ctypes.RTLD_LOCAL)
    lib.attnc_last_error.restype = ctypes.c_char_p
    lib.attnc_status_string.restype = ctypes.c_char_p
    lib.attnc_status_string.argtypes = [ctypes.c_int]
    return lib
