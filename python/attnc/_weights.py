"""Weights files (safetensors, .npz, .npy) through the runtime: mapped, not
read, and seen as NumPy arrays over the mapping."""

import ctypes
import os
from collections.abc import Mapping

import numpy as np

from . import _abi
from ._errors import check


def array_over(pointer, dtype, shape, owner):
    """A read-only NumPy array over memory that `owner` keeps alive."""
    np_dtype = _abi.NUMPY_BY_DTYPE[dtype]
    count = int(np.prod(shape, dtype=np.int64))
    if count == 0 or not pointer:
        return np.zeros(shape, np_dtype)
    buffer = (ctypes.c_char * (count * np_dtype.itemsize)).from_address(pointer)
    a = np.frombuffer(buffer, dtype=np_dtype, count=count).reshape(shape)
    a.flags.writeable = False
    # The array's base chain ends at the ctypes buffer; the owner rides on it.
    buffer._attnc_owner = owner
    return a


class Weights(Mapping):
    """The tensors of a weights file by their names in the file, as
    read-only NumPy arrays over the memory-mapped file (bf16 as uint16
    bits). Pass it to a model's params() to get its params by the runtime's
    name rule. Closed when the last reference to it or its arrays is gone."""

    def __init__(self, path, lib):
        self.path = os.fspath(path)
        self._lib = lib
        self._handle = ctypes.c_void_p()
        lib.attnc_weights_open.argtypes = [ctypes.c_char_p, ctypes.POINTER(ctypes.c_void_p)]
        lib.attnc_weights_count.restype = ctypes.c_size_t
        lib.attnc_weights_count.argtypes = [ctypes.c_void_p]
        lib.attnc_weights_at.argtypes = [ctypes.c_void_p, ctypes.c_size_t,
                                         ctypes.POINTER(ctypes.c_char_p),
                                         ctypes.POINTER(_abi.Tensor)]
        lib.attnc_weights_close.argtypes = [ctypes.c_void_p]
        lib.attnc_weights_lookup.argtypes = [ctypes.c_void_p, ctypes.c_char_p,
                                             ctypes.POINTER(ctypes.c_char_p),
                                             ctypes.POINTER(_abi.Tensor)]
        check(lib, lib.attnc_weights_open(os.fsencode(self.path), ctypes.byref(self._handle)),
              "attnc.load_weights")
        # Names in file order; a dtype attnc lacks (U8, BOOL ...) is listed
        # too, and reading it raises the runtime's message.
        self._names = {}
        for i in range(lib.attnc_weights_count(self._handle)):
            name, t = ctypes.c_char_p(), _abi.Tensor()
            lib.attnc_weights_at(self._handle, i, ctypes.byref(name), ctypes.byref(t))
            self._names[name.value.decode()] = i

    @property
    def handle(self):
        return self._handle

    def __getitem__(self, name):
        index = self._names[name]
        name_p, t = ctypes.c_char_p(), _abi.Tensor()
        check(self._lib, self._lib.attnc_weights_at(self._handle, index, ctypes.byref(name_p),
                                                    ctypes.byref(t)),
              "tensor %r of %s" % (name, self.path))
        shape = tuple(t.shape[i] for i in range(t.rank))
        return array_over(t.data, t.dtype, shape, self)

    def shape_for(self, param):
        """The shape of the tensor a param named `param` takes."""
        name, t = ctypes.c_char_p(), _abi.Tensor()
        check(self._lib, self._lib.attnc_weights_lookup(self._handle, param.encode(),
                                                        ctypes.byref(name), ctypes.byref(t)),
              "param %r" % param)
        return tuple(t.shape[i] for i in range(t.rank))

    def __iter__(self):
        return iter(self._names)

    def __len__(self):
        return len(self._names)

    def __repr__(self):
        return "attnc.Weights(%r, %d tensors)" % (self.path, len(self))

    def __del__(self):
        if getattr(self, "_handle", None) and self._handle.value:
            self._lib.attnc_weights_close(self._handle)
            self._handle = ctypes.c_void_p()
