"""Arrays that are not NumPy's flow through every transform without being converted.

``StrictArray`` (tests/strict_array.py) dispatches every NumPy call through NumPy's
protocols and refuses ``__array__``, as a GPU array does: the MLP loss of section 6.5.7
differentiated by ``grad``, ``value_and_grad``, ``vjp``, ``jvp`` and ``hvp`` must give
``StrictArray`` derivatives equal to the NumPy ones (themselves checked against finite
differences here), with the data alone or the weights too as strict arrays.
"""
import numpy as np
import pytest

import srcad
from srcad import nn
from srcad.runtime import zeros_like
from gradcheck import numerical_gradient
from strict_array import DeviceArray, StrictArray, unwrap


def loss(W1, W2, X, y, lam):
    H = np.maximum(0.0, X @ W1)
    U = H @ W2
    return nn.softmax_cross_entropy(U, y) + lam * (np.sum(W1 ** 2) + np.sum(W2 ** 2))


def mlp_arguments(dtype=np.float64, one_hot=False):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((12, 5)).astype(dtype)
    y = rng.integers(0, 3, 12)
    if one_hot:
        y = np.eye(3, dtype=dtype)[y]
    W1 = rng.standard_normal((5, 4)).astype(dtype)
    W2 = rng.standard_normal((4, 3)).astype(dtype)
    return [W1, W2, X, y, 0.1]


def strict(args, positions):
    return [StrictArray(a) if i in positions else a for i, a in enumerate(args)]


TRANSFORMS = {
    "grad": lambda args: srcad.grad(loss, wrt=(0, 1))(*args),
    "grad, not optimized": lambda args: srcad.grad(loss, wrt=(0, 1), optimize=False)(*args),
    "grad of W2 alone": lambda args: srcad.grad(loss, wrt="W2")(*args),
    "value_and_grad": lambda args: srcad.value_and_grad(loss, wrt=(0, 1))(*args),
    "vjp": lambda args: srcad.vjp(loss, wrt=(0, 1))(*args)[1](1.0),
    "jvp": lambda args: srcad.jvp(loss, wrt=(0, 1))(*args, 0.5 * args[0], -args[1]),
    "hvp": lambda args: srcad.hvp(loss, wrt=(0, 1))(*args, (0.5 * args[0], -args[1])),
}
DATA, ALL = (2, 3), (0, 1, 2, 3)


def leaves(value):
    if isinstance(value, (tuple, list)):
        return [leaf for item in value for leaf in leaves(item)]
    return [value]


def test_the_strict_array_is_strict():
    with pytest.raises(TypeError, match="implicit conversion"):
        np.asarray(StrictArray([1.0, 2.0]))
    with pytest.raises(TypeError, match="refuses to compute add with a NumPy array"):
        DeviceArray([1.0, 2.0]) + np.ones(2)


def test_the_numpy_gradient_is_right():
    args = mlp_arguments()
    gradients = srcad.grad(loss, wrt=(0, 1))(*args)
    for position, gradient in enumerate(gradients):
        np.testing.assert_allclose(gradient, numerical_gradient(loss, args, position), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("one_hot", [False, True], ids=["integer labels", "one-hot labels"])
@pytest.mark.parametrize("positions", [DATA, ALL], ids=["strict data", "strict data and weights"])
@pytest.mark.parametrize("name", TRANSFORMS)
def test_strict_arrays_flow_through_every_transform_of_the_mlp(name, positions, one_hot):
    args = mlp_arguments(one_hot=one_hot)
    expected = leaves(TRANSFORMS[name](args))
    got = leaves(TRANSFORMS[name](strict(args, positions)))
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        assert isinstance(g, StrictArray), type(g)  # the computation's type, never converted
        assert g.shape == np.shape(e) and g.dtype == np.result_type(e)
        np.testing.assert_allclose(unwrap(g), e, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", ["grad", "vjp", "hvp", "jvp"])
def test_float32_strict_arrays_keep_float32(name):
    got = leaves(TRANSFORMS[name](strict(mlp_arguments(np.float32), ALL)))
    assert all(isinstance(g, StrictArray) and g.dtype == np.float32 for g in got)


def test_a_weight_that_does_not_reach_the_output_gets_zeros_of_its_own_type():
    def partial_loss(W1, W2, X):
        return np.sum(np.tanh(X @ W1))

    W1, W2, X = (StrictArray(a) for a in mlp_arguments()[:3])
    d_W1, d_W2 = srcad.grad(partial_loss, wrt=(0, 1))(W1, W2, X)
    assert isinstance(d_W1, StrictArray) and isinstance(d_W2, StrictArray)
    np.testing.assert_array_equal(unwrap(d_W2), np.zeros((4, 3)))


def test_runtime_zeros_dispatch_on_the_array_given():
    zeros = zeros_like(StrictArray(np.ones((2, 3), dtype=np.float32)))
    assert isinstance(zeros, StrictArray) and zeros.dtype == np.float32 and zeros.shape == (2, 3)


def logsumexp_rows(z):
    return nn.logsumexp(z, axis=1)


def maxout_pairs(z):
    return nn.maxout(z, 2)


def cross_entropy_of_signs(z):
    return nn.softmax_cross_entropy(z, (z[:, 0] > 0).astype(int))  # integer labels


NN_FUNCTIONS = {
    "relu": nn.relu, "leaky_relu": nn.leaky_relu, "hard_tanh": nn.hard_tanh, "sigmoid": nn.sigmoid,
    "softplus": nn.softplus, "logsumexp": logsumexp_rows, "softmax": nn.softmax,
    "log_softmax": nn.log_softmax, "maxout": maxout_pairs, "softmax_cross_entropy": cross_entropy_of_signs,
}


def nn_loss(z, which):
    return np.sum(NN_FUNCTIONS[which](z) ** 2)


@pytest.mark.parametrize("which", NN_FUNCTIONS)
def test_every_nn_function_keeps_strict_arrays_under_grad_jvp_and_hvp(which):
    z = np.random.default_rng(1).standard_normal((6, 4))
    v = np.random.default_rng(2).standard_normal((6, 4))
    for transform, call in {"grad": lambda a, b: srcad.grad(nn_loss)(a, which),
                            "jvp": lambda a, b: srcad.jvp(nn_loss)(a, which, b)[1],
                            "hvp": lambda a, b: srcad.hvp(nn_loss)(a, which, b)}.items():
        expected = call(z, v)
        got = call(StrictArray(z), StrictArray(v))
        assert isinstance(got, StrictArray), (transform, type(got))
        np.testing.assert_allclose(unwrap(got), expected, rtol=1e-12, atol=1e-14)


class ArrayOfAnotherStandard:
    """An array with a shape and a dtype that implements neither of NumPy's protocols, as an
    array of the Array API standard alone (``array_api_strict``) does."""

    shape, dtype, ndim = (3,), "float64", 1

    def __array_namespace__(self, api_version=None):
        raise NotImplementedError


def test_an_array_numpy_cannot_dispatch_to_is_refused_in_wrt():
    def f(x):
        return np.sum(np.tanh(x))

    for argument in (ArrayOfAnotherStandard(), [np.ones(2), ArrayOfAnotherStandard()]):
        with pytest.raises(srcad.NonDifferentiableError, match="ArrayOfAnotherStandard.*__array_function__"):
            srcad.grad(f)(argument)


def trace_and_products(A, B):
    return np.einsum("ii->", A @ B) + np.sum(np.prod(A, axis=0))  # a diagonal read; prod's partials


def cholesky_energy(A, S):
    L = np.linalg.cholesky(A @ A.T + S @ S.T)  # its rule halves a diagonal through an identity
    return np.sum(L ** 2)


def eigen_energy(A):
    w, v = np.linalg.eigh(A + A.T)
    return np.sum(w ** 3) + np.sum(v[:, 0] ** 4)


@pytest.mark.parametrize("program", [loss, trace_and_products, cholesky_energy, eigen_energy],
                         ids=lambda f: f.__name__)
def test_arrays_the_runtime_makes_are_of_the_arguments_library(program):
    """A DeviceArray refuses NumPy operands, as CuPy does: every helper that makes an array
    (an identity for a diagonal, zeros, a range) must make it in the arguments' library."""
    rng = np.random.default_rng(4)
    if program is loss:
        args = mlp_arguments()
        chosen = (0, 1)
    else:
        args = [rng.standard_normal((3, 3)) for _ in range(program.__code__.co_argcount)]
        chosen = tuple(range(len(args)))
    direction = tuple(rng.standard_normal(np.shape(args[i])) for i in chosen)
    on_device = [DeviceArray(a) if isinstance(a, np.ndarray) else a for a in args]
    transforms = {
        "grad": lambda a, v: srcad.grad(program, wrt=chosen)(*a),
        "jvp": lambda a, v: srcad.jvp(program, wrt=chosen)(*a, *v)[1],
        "hvp": lambda a, v: srcad.hvp(program, wrt=chosen)(*a, v),
    }
    for name, transform in transforms.items():
        expected = leaves(transform(args, direction))
        got = leaves(transform(on_device, tuple(DeviceArray(v) for v in direction)))
        for g, e in zip(got, expected):
            assert isinstance(g, DeviceArray), (name, type(g))
            np.testing.assert_allclose(unwrap(g), e, rtol=1e-10, atol=1e-12)
