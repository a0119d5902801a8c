"""The C interface of compiled models and of the runtime, seen from ctypes.

Mirrors <attnc/runtime.h>: attnc_tensor, attnc_exec, attnc_dtype. Arrays and
DLPack tensors are described to the runtime in place; nothing is copied.
"""

import ctypes

import numpy as np

# attnc_dtype
F32, F16, BF16, I32, I64, F64 = range(6)
DTYPE_BY_NAME = {"f32": F32, "f16": F16, "bf16": BF16, "i32": I32, "i64": I64, "f64": F64}
NAME_BY_DTYPE = {v: k for k, v in DTYPE_BY_NAME.items()}

# The NumPy dtype that holds each attnc dtype. NumPy has no bfloat16: bf16
# data travels as uint16 holding the bits, as in the C ABI (uint16_t*).
NUMPY_BY_DTYPE = {
    F32: np.dtype(np.float32),
    F16: np.dtype(np.float16),
    BF16: np.dtype(np.uint16),
    I32: np.dtype(np.int32),
    I64: np.dtype(np.int64),
    F64: np.dtype(np.float64),
}


class Tensor(ctypes.Structure):
    _fields_ = [
        ("data", ctypes.c_void_p),
        ("dtype", ctypes.c_int),
        ("rank", ctypes.c_int32),
        ("shape", ctypes.POINTER(ctypes.c_int64)),
        ("strides", ctypes.POINTER(ctypes.c_int64)),
    ]


class Exec(ctypes.Structure):
    _fields_ = [
        ("struct_size", ctypes.c_uint32),
        ("num_threads", ctypes.c_int32),
        ("stream", ctypes.c_void_p),
        ("workspace", ctypes.c_void_p),
        ("workspace_bytes", ctypes.c_size_t),
    ]


def make_exec(threads):
    e = Exec()
    e.struct_size = ctypes.sizeof(Exec)
    e.num_threads = threads
    return e


# DLPack (dlpack.h, the unversioned capsule every producer gives when
# __dlpack__ is called without arguments).
class _DLDevice(ctypes.Structure):
    _fields_ = [("device_type", ctypes.c_int32), ("device_id", ctypes.c_int32)]


class _DLDataType(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint8), ("bits", ctypes.c_uint8), ("lanes", ctypes.c_uint16)]


class _DLTensor(ctypes.Structure):
    _fields_ = [
        ("data", ctypes.c_void_p),
        ("device", _DLDevice),
        ("ndim", ctypes.c_int32),
        ("dtype", _DLDataType),
        ("shape", ctypes.POINTER(ctypes.c_int64)),
        ("strides", ctypes.POINTER(ctypes.c_int64)),
        ("byte_offset", ctypes.c_uint64),
    ]


_K_DL_CPU = 1
# (type code, bits) -> attnc dtype: kDLInt = 0, kDLFloat = 2, kDLBfloat = 4.
_DTYPE_BY_DLPACK = {(2, 32): F32, (2, 16): F16, (4, 16): BF16, (0, 32): I32, (0, 64): I64,
                    (2, 64): F64}

_capsule_pointer = ctypes.pythonapi.PyCapsule_GetPointer
_capsule_pointer.restype = ctypes.c_void_p
_capsule_pointer.argtypes = [ctypes.py_object, ctypes.c_char_p]


class Described:
    """One argument described as an attnc_tensor, with what keeps it alive."""

    def __init__(self, tensor, keep):
        self.tensor = tensor
        self.keep = keep


def _shape_array(values):
    return (ctypes.c_int64 * max(len(values), 1))(*values)


def describe_array(a, dtype):
    """An attnc_tensor over a NumPy array's memory. Strides are given in
    elements; the runtime rejects any that are not dense, with its message."""
    shape = _shape_array(a.shape)
    itemsize = a.dtype.itemsize
    keep = [a, shape]
    t = Tensor(a.ctypes.data, dtype, a.ndim, shape, None)
    if not a.flags.c_contiguous:
        if any(s % itemsize for s in a.strides):
            raise ValueError("strides %s are not whole elements; pass a contiguous copy"
                             % (a.strides,))
        strides = _shape_array([s // itemsize for s in a.strides])
        keep.append(strides)
        t.strides = strides
    return Described(t, keep)


def describe_dlpack(obj, subject):
    """An attnc_tensor over a DLPack tensor's memory, without a copy. The
    capsule is kept until the call ends; its destructor then releases the
    producer's tensor."""
    if hasattr(obj, "__dlpack_device__"):
        device_type, _ = obj.__dlpack_device__()
        if int(device_type) != _K_DL_CPU:
            raise ValueError("%s is on DLPack device type %d; only CPU tensors can be passed"
                             % (subject, int(device_type)))
    capsule = obj.__dlpack__()
    address = _capsule_pointer(capsule, b"dltensor")
    dl = _DLTensor.from_address(address)  # DLManagedTensor starts with its DLTensor
    if dl.device.device_type != _K_DL_CPU:
        raise ValueError("%s is on DLPack device type %d; only CPU tensors can be passed"
                         % (subject, dl.device.device_type))
    key = (dl.dtype.code, dl.dtype.bits)
    if dl.dtype.lanes != 1 or key not in _DTYPE_BY_DLPACK:
        raise TypeError("%s has DLPack dtype code %d, %d bits, %d lanes, which attnc does not "
                        "take (f32, f16, bf16, i32, i64)"
                        % (subject, dl.dtype.code, dl.dtype.bits, dl.dtype.lanes))
    shape = [dl.shape[i] for i in range(dl.ndim)]
    t = Tensor((dl.data or 0) + dl.byte_offset, _DTYPE_BY_DLPACK[key], dl.ndim, dl.shape, None)
    if dl.strides:
        t.strides = dl.strides
    return Described(t, [capsule, obj]), shape
