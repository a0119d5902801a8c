"""A compiled file: its models as callables on NumPy arrays and DLPack
tensors, through each model's generated C entry points."""

import ctypes
import numbers

import numpy as np

from . import _abi
from ._errors import check, did_you_mean
from ._weights import Weights, array_over

_P, _SIZE, _I64P = ctypes.c_void_p, ctypes.c_size_t, ctypes.POINTER(ctypes.c_int64)
_TENSORS = ctypes.POINTER(_abi.Tensor)


def to_bf16(values):
    """float32 values as bf16 bits (uint16), rounding to nearest even."""
    bits = np.ascontiguousarray(values, dtype=np.float32).view(np.uint32)
    rounded = bits + np.uint32(0x7FFF) + ((bits >> np.uint32(16)) & np.uint32(1))
    nan = np.isnan(np.ascontiguousarray(values, dtype=np.float32))
    return np.where(nan, np.uint32(0x7FC0), rounded >> np.uint32(16)).astype(np.uint16)


def from_bf16(bits):
    """bf16 bits (uint16) as float32 values, exactly."""
    return (np.asarray(bits, dtype=np.uint16).astype(np.uint32) << np.uint32(16)).view(np.float32)


class _Declared:
    """One tensor of a model's signature, as the manifest gives it."""

    def __init__(self, entry, role):
        self.name = entry["name"]
        self.role = role
        self.dtype = _abi.DTYPE_BY_NAME[entry["dtype"]]
        self.shape = entry["shape"]  # extents: numbers or dim expressions

    @property
    def subject(self):
        return "%s '%s'" % (self.role, self.name)


def _attnc_dtype_of(array, declared):
    dt = array.dtype
    if dt.name == "bfloat16":  # ml_dtypes' bfloat16
        return _abi.BF16
    if dt == np.uint16 and declared.dtype == _abi.BF16:
        return _abi.BF16  # bf16 bits, as the C ABI's uint16_t*
    for code, np_dtype in _abi.NUMPY_BY_DTYPE.items():
        if dt == np_dtype and code != _abi.BF16:
            return code
    raise TypeError("%s: NumPy dtype %s is not one attnc takes (float32, float16, bf16 as "
                    "uint16, int32, int64)" % (declared.subject, dt))


def _describe(value, declared):
    """An attnc_tensor for one argument. Python numbers and sequences take
    the model's dtype; arrays and DLPack tensors keep their own, which the
    runtime checks."""
    if isinstance(value, np.ndarray):
        return _abi.describe_array(value, _attnc_dtype_of(value, declared))
    if hasattr(value, "__dlpack__"):
        described, _ = _abi.describe_dlpack(value, declared.subject)
        return described
    if isinstance(value, (numbers.Number, list, tuple)):
        if declared.dtype == _abi.BF16:
            a = to_bf16(np.asarray(value, dtype=np.float32))
        else:
            a = np.array(value, dtype=_abi.NUMPY_BY_DTYPE[declared.dtype], order="C")
        return _abi.describe_array(a, declared.dtype)
    raise TypeError("%s: expected a NumPy array, a DLPack tensor or numbers, got %s"
                    % (declared.subject, type(value).__name__))


def _array_of(described):
    a = (_abi.Tensor * max(len(described), 1))()
    for i, d in enumerate(described):
        a[i] = d.tensor
    return a


class Model:
    """One model of a compiled file. Call it with its inputs and params as
    keyword arguments named as in the model; one output comes back as a
    NumPy array, several as a dict by name."""

    def __init__(self, lib, entry, threads):
        self.name = entry["name"]
        self.manifest = entry
        self.inputs = [_Declared(e, "input") for e in entry["inputs"]]
        self.params_declared = [_Declared(e, "param") for e in entry["params"]]
        self.outputs = [_Declared(e, "output") for e in entry["outputs"]]
        self.dims = [d["name"] for d in entry["dims"] if d["value"] == "symbolic"]
        # Compiled with --embed-weights: the params may be left out.
        self.embedded_weights = entry.get("embedded_weights")
        self.threads = threads  # 0: every core
        self._lib = lib
        prefix = entry["symbol_prefix"]

        def fn(suffix, argtypes, restype=ctypes.c_int):
            f = getattr(lib, prefix + suffix)
            f.argtypes, f.restype = argtypes, restype
            return f

        self._run = fn("_run_tensors", [_TENSORS, _SIZE, _TENSORS, _SIZE, _TENSORS, _SIZE,
                                        ctypes.POINTER(_abi.Exec)])
        self._infer_dims = fn("_infer_dims", [_TENSORS, _SIZE, _TENSORS, _SIZE, _I64P])
        self._output_shape = fn("_output_shape", [_I64P, ctypes.c_int, _I64P])
        self._load_params = fn("_load_params", [_P, _I64P, ctypes.POINTER(_P)])

    @property
    def signature(self):
        def part(ts):
            return ", ".join("%s: %s[%s]" % (t.name, _abi.NAME_BY_DTYPE[t.dtype],
                                             ", ".join(str(e) for e in t.shape))
                             for t in ts)
        return "(%s; %s) -> (%s)" % (part(self.inputs), part(self.params_declared),
                                     part(self.outputs))

    def __repr__(self):
        return "<attnc model %s %s>" % (self.name, self.signature)

    def _take(self, arguments):
        declared = self.inputs + self.params_declared
        names = [d.name for d in declared]
        for key in arguments:
            if key not in names:
                raise TypeError("model '%s' has no input or param %r%s (it takes %s)"
                                % (self.name, key, did_you_mean(key, names), ", ".join(names)))
        if self.embedded_weights and not any(p.name in arguments for p in self.params_declared):
            declared = self.inputs  # the object's own params
            names = [d.name for d in declared]
        missing = [n for n in names if n not in arguments]
        if missing:
            raise TypeError("model '%s' is missing %s %s" % (
                self.name, "argument" if len(missing) == 1 else "arguments",
                ", ".join(repr(m) for m in missing)))
        return [_describe(arguments[d.name], d) for d in declared]

    def __call__(self, **arguments):
        described = self._take(arguments)
        n_in = len(self.inputs)
        n_params = len(described) - n_in
        # No params (embedded ones): NULL, which the entry points read so.
        ins = _array_of(described[:n_in])
        params = _array_of(described[n_in:]) if n_params else None
        dims = (ctypes.c_int64 * max(len(self.dims), 1))()
        check(self._lib, self._infer_dims(ins, n_in, params, n_params, dims),
              "model '%s'" % self.name)

        results = []
        for i, o in enumerate(self.outputs):
            shape = (ctypes.c_int64 * max(len(o.shape), 1))()
            check(self._lib, self._output_shape(dims, i, shape), "model '%s'" % self.name)
            results.append(np.empty(tuple(shape[:len(o.shape)]), _abi.NUMPY_BY_DTYPE[o.dtype]))
        outs = _array_of([_abi.describe_array(r, o.dtype)
                          for r, o in zip(results, self.outputs)])
        exec_ = _abi.make_exec(self.threads)
        check(self._lib, self._run(ins, n_in, params, n_params, outs, len(self.outputs),
                                   ctypes.byref(exec_)),
              "model '%s'" % self.name)
        del described  # the DLPack capsules are released here, after the run
        if len(results) == 1:
            return results[0]
        return {o.name: r for o, r in zip(self.outputs, results)}

    def params(self, weights):
        """The model's params from a weights file (a path or an
        attnc.load_weights result) by the runtime's name rule, with its
        shape and dtype checks and conversions (NAME_load_params): a dict by
        param name of read-only arrays over the file, ready for **."""
        from . import load_weights
        if not isinstance(weights, Weights):
            weights = load_weights(weights)
        pointers = (_P * max(len(self.params_declared), 1))()
        check(self._lib, self._load_params(weights.handle, None, pointers),
              "model '%s'" % self.name)
        out = {}
        for i, p in enumerate(self.params_declared):
            shape = weights.shape_for(p.name)
            out[p.name] = array_over(pointers[i], p.dtype, shape, weights)
        return out


class Module:
    """The models of one compiled file, by name: `m.sdpa`, `m["sdpa"]`."""

    def __init__(self, path, lib, manifest, threads, from_cache=False):
        self.path = path
        self.from_cache = from_cache
        self.models = {e["name"]: Model(lib, e, threads) for e in manifest}

    def __getattr__(self, name):
        models = self.__dict__.get("models", {})
        if name in models:
            return models[name]
        raise AttributeError("%s has no model %r%s (it has %s)"
                             % (self.path, name, did_you_mean(name, models),
                                ", ".join(models)))

    def __getitem__(self, name):
        return getattr(self, name)

    def __dir__(self):
        return list(super().__dir__()) + list(self.models)

    def __repr__(self):
        return "<attnc module %s: %s>" % (self.path, ", ".join(self.models))
