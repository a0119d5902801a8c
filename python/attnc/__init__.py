"""attnc from Python: compile a model file, call its models on NumPy arrays
or DLPack tensors, load weights files.

    m = attnc.compile("sdpa.attn")
    o = m.sdpa(q=q, k=k, v=v)
"""

import os
import shutil

from . import _cache
from ._errors import CompileError, Error
from ._module import Model, Module, from_bf16, to_bf16
from ._toolchain import (OPTIONS, attnc_path, check_options, compile_file, load,
                         runtime_library, runtime_only)
from ._weights import Weights

__all__ = ["compile", "load_weights", "Module", "Model", "Weights", "Error", "CompileError",
           "to_bf16", "from_bf16", "OPTIONS"]
__version__ = "0.1.0"


def compile(path, **options):
    """Compiles the models of `path` for this machine and loads them.

    Options: opt_level (0-3, default 2), dims ({"S": 128}: fixed at compile
    time), mcpu, target, name, block_q, block_k, vector_width, tile_rows
    (the driver's flags of those names), extra_args (more driver flags),
    threads (each model's default; 0 = every core), cache_dir (where the
    object and library are built and kept; a temporary directory by
    default), cache (default True: reuse the library of an earlier compile
    of the same file with the same options and driver, see _cache.py; the
    module's `from_cache` says whether it did).
    """
    check_options(options)
    threads = int(options.get("threads") or 0)
    use_cache = options.get("cache", True) and options.get("cache_dir") is None
    if use_cache:
        driver = attnc_path()
        k = _cache.key(path, options, driver, runtime_library(driver))
        hit = _cache.lookup(k)
        if hit:
            return Module(os.fspath(path), load(hit[0]), hit[1], threads, from_cache=True)
    library, manifest = compile_file(path, options)
    lib = load(library)
    if use_cache:
        _cache.store(k, library, manifest)
    # The loaded library no longer needs its file.
    if options.get("cache_dir") is None:
        shutil.rmtree(os.path.dirname(library), ignore_errors=True)
    return Module(os.fspath(path), lib, manifest, threads)


def load_weights(path):
    """The tensors of a safetensors, .npz or .npy file by name, mapped."""
    return Weights(path, runtime_only())
