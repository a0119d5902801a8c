"""Compiled models called from Python, checked against NumPy in double
precision on seeded random inputs."""

import numpy as np
import pytest

import attnc
from conftest import assert_close, softmax

SDPA = """
model sdpa {
  dim B, H, S, T, D = 16
  input q: f32[B, H, S, D]
  input k: f32[B, H, T, D]
  input v: f32[B, H, T, D]
  output o = softmax(q @ k.T / sqrt(D)) @ v
}
"""

SEVERAL = """
model several {
  dim S <= 8, E
  input x: f32[S, E]
  param w: f32[E, E]
  output y = x[1:] @ w
  output z = concat(x, x, axis = 0)
}
"""


def rand(rng, *shape):
    return rng.standard_normal(shape).astype(np.float32)


@pytest.fixture(scope="module")
def sdpa(tmp_path_factory):
    path = tmp_path_factory.mktemp("sdpa") / "sdpa.attn"
    path.write_text(SDPA)
    return attnc.compile(path)


def sdpa_reference(q, k, v):
    q, k, v = (a.astype(np.float64) for a in (q, k, v))
    return softmax(q @ np.swapaxes(k, -1, -2) / 4.0) @ v


def test_one_output_is_an_array(sdpa):
    rng = np.random.default_rng(1)
    q, k, v = rand(rng, 2, 3, 5, 16), rand(rng, 2, 3, 7, 16), rand(rng, 2, 3, 7, 16)
    o = sdpa.sdpa(q=q, k=k, v=v)
    assert isinstance(o, np.ndarray) and o.dtype == np.float32
    assert_close(o, sdpa_reference(q, k, v))


def test_symbolic_dims_change_from_call_to_call(sdpa):
    rng = np.random.default_rng(2)
    for s, t in [(1, 1), (9, 33), (64, 3)]:
        q, k, v = rand(rng, 1, 2, s, 16), rand(rng, 1, 2, t, 16), rand(rng, 1, 2, t, 16)
        assert_close(sdpa.sdpa(q=q, k=k, v=v), sdpa_reference(q, k, v))


def test_models_by_attribute_and_item(sdpa):
    assert sdpa["sdpa"] is sdpa.sdpa
    assert "sdpa" in dir(sdpa)
    with pytest.raises(AttributeError, match=r"has no model 'spda'; did you mean 'sdpa'\?"):
        sdpa.spda


def test_several_outputs_are_a_dict_with_their_own_shapes(model_file):
    m = attnc.compile(model_file("several", SEVERAL))
    rng = np.random.default_rng(3)
    x, w = rand(rng, 5, 3), rand(rng, 3, 3)
    r = m.several(x=x, w=w)
    assert list(r) == ["y", "z"]
    assert_close(r["y"], x[1:].astype(np.float64) @ w)
    assert_close(r["z"], np.concatenate([x, x]))


def test_a_shape_mismatch_raises_the_runtime_message(sdpa):
    rng = np.random.default_rng(4)
    q, k = rand(rng, 1, 1, 4, 16), rand(rng, 1, 1, 6, 16)
    with pytest.raises(attnc.Error, match=r"input 'v': axis 2 is 5, dim T is 6 "
                                          r"\(from input 'k' axis 2\)") as e:
        sdpa.sdpa(q=q, k=k, v=rand(rng, 1, 1, 5, 16))
    assert e.value.status == "shape mismatch"
    with pytest.raises(attnc.Error, match=r"input 'q': axis 3 is 8, expected 16"):
        sdpa.sdpa(q=rand(rng, 1, 1, 4, 8), k=k, v=k)


def test_a_dtype_mismatch_raises_the_runtime_message(sdpa):
    q = np.zeros((1, 1, 2, 16))  # float64
    with pytest.raises(attnc.Error, match=r"input 'q': dtype is f64, the model expects f32"):
        sdpa.sdpa(q=q, k=q.astype(np.float32), v=q.astype(np.float32))
    with pytest.raises(TypeError, match=r"input 'q': NumPy dtype bool is not one attnc takes"):
        sdpa.sdpa(q=q.astype(bool), k=q, v=q)


def test_a_run_time_dim_bound_raises(model_file):
    m = attnc.compile(model_file("several", SEVERAL))
    with pytest.raises(attnc.Error, match=r"shape check 'S <= 8' fails: S is 9"):
        m.several(x=np.zeros((9, 2), np.float32), w=np.zeros((2, 2), np.float32))


def test_non_contiguous_arrays_are_refused_by_the_runtime(sdpa):
    q = np.zeros((1, 1, 4, 32), np.float32)[..., ::2]
    with pytest.raises(attnc.Error, match=r"input 'q': strides .* pass a contiguous copy"):
        sdpa.sdpa(q=q, k=q, v=q)


def test_arguments_are_checked_by_name(sdpa):
    q = np.zeros((1, 1, 2, 16), np.float32)
    with pytest.raises(TypeError, match=r"has no input or param 'kk'; did you mean 'k'\?"):
        sdpa.sdpa(q=q, kk=q, v=q)
    with pytest.raises(TypeError, match=r"missing argument 'k'"):
        sdpa.sdpa(q=q, v=q)


class DLPackOnly:
    """A tensor seen only through the DLPack protocol, as a foreign
    library's would be."""

    def __init__(self, array):
        self.array = array

    def __dlpack__(self, **kwargs):
        return self.array.__dlpack__(**kwargs)

    def __dlpack_device__(self):
        return self.array.__dlpack_device__()


def test_dlpack_tensors_are_read_in_place(sdpa):
    rng = np.random.default_rng(5)
    q, k, v = rand(rng, 1, 2, 3, 16), rand(rng, 1, 2, 4, 16), rand(rng, 1, 2, 4, 16)
    o = sdpa.sdpa(q=DLPackOnly(q), k=DLPackOnly(k), v=v)
    assert_close(o, sdpa_reference(q, k, v))


def test_torch_cpu_tensors_without_a_copy(sdpa):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    q, k, v = (torch.randn(1, 2, 5, 16) for _ in range(3))
    o = sdpa.sdpa(q=q, k=k, v=v)
    assert_close(o, sdpa_reference(q.numpy(), k.numpy(), v.numpy()))
    with pytest.raises(attnc.Error, match=r"input 'q': strides"):
        sdpa.sdpa(q=q.transpose(2, 3).contiguous().transpose(2, 3), k=k, v=v)


def test_integer_inputs_and_bf16_bits(model_file):
    m = attnc.compile(model_file("emb", """
model emb {
  dim S, V, E
  input ids: i64[S]
  param table: bf16[V, E]
  output x[s, e] = table[ids[s], e]
}
"""))
    rng = np.random.default_rng(6)
    table = rand(rng, 10, 4)
    bits = attnc.to_bf16(table)
    assert np.abs(attnc.from_bf16(bits) - table).max() <= 2.0 ** -8 * np.abs(table).max()
    ids = np.array([3, 0, 9, 3], np.int64)
    x = m.emb(ids=ids, table=bits)
    assert x.dtype == np.uint16  # bf16 bits, as in the C ABI
    assert (x == bits[ids]).all()
    with pytest.raises(attnc.Error, match=r"input 'ids': dtype is i32, the model expects i64"):
        m.emb(ids=ids.astype(np.int32), table=bits)


def test_python_numbers_take_the_model_dtype(model_file):
    m = attnc.compile(model_file("affine", """
model affine {
  dim N
  input x: f32[N]
  param a: f32
  output y = x * a + 1.0
}
"""))
    y = m.affine(x=[1.0, 2.0, 3.0], a=0.5)
    assert y.tolist() == [1.5, 2.0, 2.5]


def test_compile_options(model_file):
    path = model_file("sdpa", SDPA)
    m = attnc.compile(path, opt_level=0, dims={"S": 4}, threads=1, name="fixed")
    rng = np.random.default_rng(7)
    q, k = rand(rng, 1, 1, 4, 16), rand(rng, 1, 1, 3, 16)
    assert_close(m.sdpa(q=q, k=k, v=k), sdpa_reference(q, k, k))
    with pytest.raises(attnc.Error, match=r"input 'q': axis 2 is 5, expected 4"):
        m.sdpa(q=rand(rng, 1, 1, 5, 16), k=k, v=k)
    with pytest.raises(TypeError, match=r"unknown option 'opt_levle'; did you mean 'opt_level'"):
        attnc.compile(path, opt_levle=1)


def test_a_model_error_is_a_compile_error_with_the_diagnostic(model_file):
    path = model_file("bad", "model bad {\n  input x: f32[N]\n  output y = x\n}\n")
    with pytest.raises(attnc.CompileError,
                       match=r"bad\.attn:2:16: error: use of undeclared name 'N'") as e:
        attnc.compile(path)
    assert "bad.attn:2:16" in e.value.diagnostics


def test_the_package_under_test_is_the_installed_one():
    """Under tests/python/pip_install_test.sh, `import attnc` must find the
    copy pip installed, not the source tree."""
    import os
    venv = os.environ.get("ATTNC_EXPECT_INSTALLED_IN")
    if venv is None:
        pytest.skip("run from the source tree, not after pip install")
    assert os.path.realpath(attnc.__file__).startswith(os.path.realpath(venv))


def test_compiles_are_cached_by_file_options_and_driver(tmp_path, monkeypatch):
    monkeypatch.setenv("ATTNC_CACHE_DIR", str(tmp_path / "cache"))
    path = tmp_path / "sdpa.attn"
    path.write_text(SDPA)
    first = attnc.compile(path)
    again = attnc.compile(path)
    assert not first.from_cache and again.from_cache
    rng = np.random.default_rng(8)
    q = rand(rng, 1, 2, 5, 16)
    assert np.array_equal(first.sdpa(q=q, k=q, v=q), again.sdpa(q=q, k=q, v=q))
    # Other options, another file's bytes, or cache=False: compiled anew.
    assert not attnc.compile(path, opt_level=0).from_cache
    assert attnc.compile(path, opt_level=0, threads=2).from_cache  # threads are run-time
    path.write_text(SDPA.replace("D = 16", "D = 8"))
    changed = attnc.compile(path)
    assert not changed.from_cache
    assert changed.sdpa.inputs[0].shape[-1] == 8
    assert not attnc.compile(path, cache=False).from_cache
