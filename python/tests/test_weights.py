"""Weights files through the runtime: the file's tensors by name, and a
model's params by the runtime's name rule, converted to the model's dtypes."""

import json
import struct

import numpy as np
import pytest

import attnc
from conftest import assert_close

AFFINE = """
model affine {
  dim N, E
  input x: f32[N, E]
  param encoder_layer_0_w: f32[E, E]
  param bias: f32[E]
  output y = x @ encoder_layer_0_w + bias
}
"""


def write_safetensors(path, tensors):
    """safetensors by its specification: a little-endian u64 header length,
    the JSON header, then the data. `tensors`: name -> (dtype, array)."""
    header, blobs, offset = {}, [], 0
    for name, (dtype, array) in tensors.items():
        data = array.tobytes()
        header[name] = {"dtype": dtype, "shape": list(array.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    path.write_bytes(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def test_the_file_tensors_by_name(tmp_path):
    rng = np.random.default_rng(10)
    a = rng.standard_normal((3, 4)).astype(np.float32)
    ids = np.arange(5, dtype=np.int64)
    np.savez(tmp_path / "w.npz", a=a, ids=ids)
    w = attnc.load_weights(tmp_path / "w.npz")
    assert list(w) == ["a", "ids"] and len(w) == 2
    assert (w["a"] == a).all() and w["a"].dtype == np.float32
    assert (w["ids"] == ids).all() and w["ids"].dtype == np.int64
    assert not w["a"].flags.writeable
    with pytest.raises(KeyError):
        w["b"]


def test_a_bad_file_raises_the_runtime_message(tmp_path):
    (tmp_path / "bad.safetensors").write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{")
    with pytest.raises(attnc.Error, match=r"bad\.safetensors"):
        attnc.load_weights(tmp_path / "bad.safetensors")


def test_params_by_the_name_rule_converted_from_bf16(tmp_path, model_file):
    m = attnc.compile(model_file("affine", AFFINE))
    rng = np.random.default_rng(11)
    w32 = rng.standard_normal((4, 4)).astype(np.float32)
    bias = rng.standard_normal(4).astype(np.float32)
    path = tmp_path / "model.safetensors"
    write_safetensors(path, {"encoder.layer.0.w": ("BF16", attnc.to_bf16(w32)),
                             "bias": ("F32", bias)})
    params = m.affine.params(path)
    assert sorted(params) == ["bias", "encoder_layer_0_w"]
    w_bf16 = attnc.from_bf16(attnc.to_bf16(w32))
    assert (params["encoder_layer_0_w"] == w_bf16).all()  # bf16 to f32 is exact
    x = rng.standard_normal((3, 4)).astype(np.float32)
    y = m.affine(x=x, **params)
    assert_close(y, x.astype(np.float64) @ w_bf16 + bias)


def test_a_missing_or_misshapen_param_raises_the_runtime_message(tmp_path, model_file):
    m = attnc.compile(model_file("affine", AFFINE))
    path = tmp_path / "w.npz"
    np.savez(path, bias=np.zeros(4, np.float32))
    with pytest.raises(attnc.Error, match=r"w\.npz: no tensor named .encoder_layer_0_w."):
        m.affine.params(path)
    np.savez(path, bias=np.zeros(3, np.float32), encoder_layer_0_w=np.zeros((4, 4), np.float32))
    with pytest.raises(attnc.Error, match=r"param 'bias'"):
        m.affine.params(attnc.load_weights(path))


def test_quoted_param_names_take_the_tensors_of_that_name(tmp_path, model_file):
    m = attnc.compile(model_file("dotted", """
model dotted {
  dim N, E
  input x: f32[N, E]
  param `encoder.layer.0.w`: f32[E, E]
  output y = x @ `encoder.layer.0.w`
}
"""))
    rng = np.random.default_rng(12)
    w = rng.standard_normal((3, 3)).astype(np.float32)
    path = tmp_path / "w.safetensors"
    write_safetensors(path, {"encoder.layer.0.w": ("F32", w)})
    params = m.dotted.params(path)
    assert list(params) == ["encoder.layer.0.w"]
    x = rng.standard_normal((2, 3)).astype(np.float32)
    assert_close(m.dotted(x=x, **params), x.astype(np.float64) @ w)


def test_embedded_weights_need_no_params(tmp_path, model_file):
    path = tmp_path / "w.safetensors"
    rng = np.random.default_rng(13)
    w32 = rng.standard_normal((4, 4)).astype(np.float32)
    bias = rng.standard_normal(4).astype(np.float32)
    write_safetensors(path, {"encoder.layer.0.w": ("F32", w32), "bias": ("F32", bias)})
    m = attnc.compile(model_file("affine", AFFINE), extra_args=["--embed-weights", str(path)])
    assert m.affine.embedded_weights == str(path)
    x = rng.standard_normal((3, 4)).astype(np.float32)
    assert_close(m.affine(x=x), x.astype(np.float64) @ w32 + bias)
    # All params given: the caller's are used.
    zero = np.zeros((4, 4), np.float32)
    assert_close(m.affine(x=x, encoder_layer_0_w=zero, bias=bias), np.broadcast_to(bias, (3, 4)))
    with pytest.raises(TypeError, match=r"missing argument 'encoder_layer_0_w'"):
        m.affine(x=x, bias=bias)
