"""attnc from Python: compile a model file, call its models on NumPy arrays
or DLPack tensors, load weights files.

    m = attnc.compile("sdpa.attn")
    o = m.sdpa(q=q, k=k, v=v)
"""

import os
import shutil

from ._errors import CompileError, Error
from ._module import Model, Module, from_bf16, to_bf16
from ._toolchain import OPTIONS, check_options, compile_file, load, runtime_only
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
    object and library are built; a temporary directory by default).
    """
    check_options(options)
    library, manifest = compile_file(path, options)
    lib = load(library)
    # The loaded library no longer needs its file.
    if options.get("cache_dir") is None:
        shutil.rmtree(os.path.dirname(library), ignore_errors=True)
    return Module(os.fspath(path), lib, manifest, int(options.get("threads") or 0))


def load_weights(path):
    """The tensors of a safetensors, .npz or .npy file by name, mapped."""
    return Weights(path, runtime_only())
