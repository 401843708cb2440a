"""Derivatives over Dask arrays stay lazy and read the data once.

The data of the section 6.5.7 MLP comes from a counting chunk source (every chunk read
is counted), held in chunked Dask arrays; the weights are NumPy arrays, or Dask arrays
too. Building a derivative reads nothing; a single ``dask.compute`` of the gradients (or
of the value and the gradients) reads each chunk exactly as often as computing the loss
alone does: the factor is 1. A Dask function NumPy falls back on (a ``FutureWarning``
from Dask) is an error here: it would compute, or leave Dask.
"""
import threading

import dask
import dask.array as da
import numpy as np
import pytest

import srcad
import srcad.dask
from doc_blocks import assert_prints_what_it_says, run_page
from test_array_types import NN_FUNCTIONS, TRANSFORMS, leaves, loss, mlp_arguments, nn_loss

pytestmark = pytest.mark.filterwarnings("error::FutureWarning")


class CountingSource:
    """An array-like Dask reads chunk by chunk (``da.from_array``), counting the reads."""

    def __init__(self, data):
        self.data = data
        self.shape, self.dtype, self.ndim = data.shape, data.dtype, data.ndim
        self.reads = 0
        self._lock = threading.Lock()  # Dask reads chunks from several threads

    def __getitem__(self, key):
        with self._lock:
            self.reads += 1
        return self.data[key]


class Chunked:
    """NumPy arrays held as Dask arrays of ``rows`` rows a chunk, each read counted."""

    def __init__(self, *arrays, rows):
        self.sources = [CountingSource(a) for a in arrays]
        self.arrays = [da.from_array(s, chunks=(rows,) + s.shape[1:]) for s in self.sources]

    def reads(self, work):
        """How many chunks ``work()`` reads."""
        for source in self.sources:
            source.reads = 0
        work()
        return sum(source.reads for source in self.sources)


def dask_mlp_arguments(dask_weights=False, one_hot=False):
    W1, W2, X, y, lam = mlp_arguments(one_hot=one_hot)
    data = Chunked(X, y, rows=3)  # 4 chunks each of X and y
    if dask_weights:
        W1, W2 = da.from_array(W1, chunks=(3, 2)), da.from_array(W2, chunks=2)
    return [W1, W2, *data.arrays, lam], data


@pytest.mark.parametrize("one_hot", [False, True], ids=["integer labels", "one-hot labels"])
@pytest.mark.parametrize("dask_weights", [False, True], ids=["numpy weights", "dask weights"])
@pytest.mark.parametrize("name", TRANSFORMS)
def test_mlp_derivatives_stay_lazy_and_compute_in_one_pass(name, dask_weights, one_hot):
    args, data = dask_mlp_arguments(dask_weights, one_hot)
    loss_reads = data.reads(lambda: dask.compute(loss(*args)))
    assert loss_reads == 8
    results = []
    assert data.reads(lambda: results.append(TRANSFORMS[name](args))) == 0  # building computes nothing
    lazy = leaves(results[0])
    assert all(isinstance(leaf, da.Array) for leaf in lazy), [type(leaf) for leaf in lazy]
    computed = []
    assert data.reads(lambda: computed.extend(dask.compute(*lazy))) == loss_reads  # one pass over the data
    expected = leaves(TRANSFORMS[name](mlp_arguments(one_hot=one_hot)))
    for got, want in zip(computed, expected):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)


def test_the_value_and_every_gradient_share_one_pass():
    args, data = dask_mlp_arguments()
    value, (d_W1, d_W2) = srcad.value_and_grad(loss, wrt=(0, 1))(*args)
    d_X = srcad.grad(loss, wrt="X")(*args)  # a gradient the size of the data, lazy too
    assert isinstance(d_X, da.Array) and d_X.chunks == args[2].chunks
    assert data.reads(lambda: dask.compute(value, d_W1, d_W2, d_X)) == 8


@pytest.mark.parametrize("which", NN_FUNCTIONS)
def test_every_nn_function_keeps_dask_arrays_lazy(which):
    z = np.random.default_rng(1).standard_normal((8, 4))
    v = np.random.default_rng(2).standard_normal((8, 4))
    data = Chunked(z, v, rows=2)
    lazy_z, lazy_v = data.arrays
    for transform, call in {"value": lambda a, b: nn_loss(a, which),
                            "grad": lambda a, b: srcad.grad(nn_loss)(a, which),
                            "jvp": lambda a, b: srcad.jvp(nn_loss)(a, which, b)[1],
                            "hvp": lambda a, b: srcad.hvp(nn_loss)(a, which, b)}.items():
        made = []
        assert data.reads(lambda: made.append(call(lazy_z, lazy_v))) == 0, transform
        assert isinstance(made[0], da.Array), (transform, type(made[0]))
        np.testing.assert_allclose(made[0].compute(), call(z, v), rtol=1e-12, atol=1e-14)


def tanh_layer(w, b, X):
    return np.sum(np.tanh(X * w + b) ** 2)  # b broadcast over the rows: summed back


def log_of_exp(w, b, X):
    return np.mean(np.log(1.0 + np.exp(X * w)) + b)


def column_maxima(w, b, X):
    return np.sum(np.max(X * w, axis=0) + np.min(X - b, axis=0))


def reshaped_and_transposed(w, b, X):
    return np.sum(np.reshape((X * w).T, (-1,)) * np.sqrt(np.abs(X + b).T + 1.0).ravel())


def sliced_and_joined(w, b, X):
    top = X[::2] * w
    return np.sum(np.concatenate([top, X[1::2] + b], axis=0) ** 3)


def where_and_clip(w, b, X):
    return np.sum(np.where(X > 0, X * w, np.clip(X + b, -0.5, 0.5)))


def mean_and_var(w, b, X):
    Z = X @ w
    return np.var(Z) + np.mean(Z) * np.std(X, axis=0) @ b


def dot_and_outer(w, b, X):
    return np.sum(np.dot(X, w) ** 2) + np.sum(np.outer(np.sum(X, axis=1), b))


PROGRAMS = [tanh_layer, log_of_exp, column_maxima, reshaped_and_transposed, sliced_and_joined,
            where_and_clip, mean_and_var, dot_and_outer]


@pytest.mark.parametrize("program", PROGRAMS, ids=lambda f: f.__name__)
def test_common_rules_keep_dask_data_lazy(program):
    rng = np.random.default_rng(3)
    w, b, X = rng.standard_normal(4), rng.standard_normal(4), rng.standard_normal((8, 4))
    data = Chunked(X, rows=2)
    (lazy_X,) = data.arrays
    loss_reads = data.reads(lambda: dask.compute(program(w, b, lazy_X)))
    for transform, call in {"grad": lambda x: srcad.grad(program, wrt=(0, 1))(w, b, x),
                            "grad, not optimized": lambda x: srcad.grad(program, wrt=(0, 1), optimize=False)(w, b, x),
                            "jvp": lambda x: srcad.jvp(program, wrt=(0, 1))(w, b, x, -w, b)[1],
                            "hvp": lambda x: srcad.hvp(program, wrt=(0, 1))(w, b, x, (-w, b))}.items():
        made = []
        assert data.reads(lambda: made.append(call(lazy_X))) == 0, transform
        lazy = leaves(made[0])
        assert all(isinstance(leaf, da.Array) for leaf in lazy), (transform, [type(leaf) for leaf in lazy])
        computed = []
        assert data.reads(lambda: computed.extend(dask.compute(*lazy))) <= loss_reads, transform  # no more than one pass
        for got, want in zip(computed, leaves(call(X))):
            np.testing.assert_allclose(got, want, rtol=1e-11, atol=1e-13)


def test_computed_gives_numpy_gradients_from_one_pass():
    args, data = dask_mlp_arguments()
    step = srcad.dask.computed(srcad.value_and_grad(loss, wrt=(0, 1)))
    results = []
    assert data.reads(lambda: results.append(step(*args))) == 8  # as many reads as the loss alone
    value, gradients = results[0]
    expected_value, expected = srcad.value_and_grad(loss, wrt=(0, 1))(*mlp_arguments())
    np.testing.assert_allclose(value, expected_value, rtol=1e-12)
    for got, want in zip(gradients, expected):
        assert type(got) is np.ndarray and got.dtype == want.dtype and got.flags.writeable
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)
    assert "def value_and_d_loss" in step.source and step.__wrapped__.__wrapped__ is loss


def dict_loss(params, X, y):
    return loss(params["W1"], params["W2"], X, y, 0.1)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_computed_keeps_containers_and_dtypes(dtype):
    W1, W2, X, y, _ = mlp_arguments(dtype)
    params = {"W1": W1, "W2": W2}
    data = Chunked(X, y, rows=4)
    step = srcad.dask.computed(srcad.grad(dict_loss), scheduler="synchronous")
    got = step(params, *data.arrays)
    want = srcad.grad(dict_loss)(params, X, y)
    assert set(got) == {"W1", "W2"}
    for key in params:
        assert type(got[key]) is np.ndarray and got[key].dtype == dtype
        np.testing.assert_allclose(got[key], want[key], rtol=1e-5 if dtype == np.float32 else 1e-12)


def test_computed_hessian_vector_products_and_tangents():
    args, data = dask_mlp_arguments()
    direction = (0.5 * args[0], -args[1])
    hvp = srcad.dask.computed(srcad.hvp(loss, wrt=(0, 1)))
    jvp = srcad.dask.computed(srcad.jvp(loss, wrt=(0, 1)))
    numpy_args = mlp_arguments()
    for got, want in zip(hvp(*args, direction), srcad.hvp(loss, wrt=(0, 1))(*numpy_args, direction)):
        assert type(got) is np.ndarray
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(jvp(*args, *direction), srcad.jvp(loss, wrt=(0, 1))(*numpy_args, *direction),
                               rtol=1e-12)


def test_the_examples_of_docs_scaling_run_and_print_what_they_say(tmp_path):
    source, printed = run_page("scaling.md", tmp_path)
    assert assert_prints_what_it_says(source, printed) == 3
