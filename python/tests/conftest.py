"""Shared fixtures: the model files the tests compile, written into a
temporary directory, and the double-precision NumPy references."""

import os

import numpy as np
import pytest


@pytest.fixture(autouse=True, scope="session")
def private_cache(tmp_path_factory):
    """compile()'s cache in a directory of this run, not the user's."""
    os.environ["ATTNC_CACHE_DIR"] = str(tmp_path_factory.mktemp("cache"))


def write_model(tmp_path, name, text):
    path = tmp_path / (name + ".attn")
    path.write_text(text)
    return path


@pytest.fixture
def model_file(tmp_path):
    return lambda name, text: write_model(tmp_path, name, text)


def softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def assert_close(got, reference):
    """ARCHITECTURE.md's f32 rule: max abs error <= 1e-4 (max |ref| + 1)."""
    reference = np.asarray(reference, dtype=np.float64)
    assert got.shape == reference.shape
    bound = 1e-4 * (np.abs(reference).max(initial=0.0) + 1.0)
    error = np.abs(got.astype(np.float64) - reference).max(initial=0.0)
    assert error <= bound, "max abs error %g > %g" % (error, bound)
