"""Code specialised on the arguments' signature (kinds, dtypes, shapes) computes the same
derivatives as the code for any arguments, reads like hand-written NumPy, and is bounded."""
import collections

import numpy as np
import pytest

import srcad
from srcad import nn
from srcad.api.transform import Transform, _SharedCode
from gradcheck import assert_gradient, assert_same_tree, numerical_tree_gradient

RNG = np.random.default_rng(7)


def mlp(W1, W2, X, y, lam):
    H = np.maximum(0.0, X @ W1)
    U = H @ W2
    return nn.softmax_cross_entropy(U, y) + lam * (np.sum(W1 ** 2) + np.sum(W2 ** 2))


def rnn(Wx, Wh, xs):
    h = np.zeros(Wh.shape[0])
    for t in range(xs.shape[0]):
        h = np.tanh(Wx @ xs[t] + Wh @ h)
    return np.sum(h ** 2)


def polynomial(x, y):
    a = x * y + 3.0 * x ** 2
    return a * a - y / x


def broadcasting(x, b):
    return np.sum(np.tanh(x + b) * x)  # b of shape (3,) or (1,) or () broadcasts over x


def batched_matmul(A, B):
    return np.sum(np.sin(A @ B))


def vector_products(M, v, w):
    return np.sum((v @ M) * (M @ w)) + v @ w


def value_dependent_slice(x, n):
    head = x[:n]
    return np.sum(head * head) + np.sum(x)


def logsumexp_rows(z):
    m = np.max(z, axis=1, keepdims=True)
    return np.sum(m[:, 0] + np.log(np.sum(np.exp(z - m), axis=-1)))


def reductions_and_indexing(x, b):
    column = np.mean(x, axis=0)  # shape x.shape[1:]
    row = x[0, :] + x[-1]
    kept = np.sum(x * x, axis=-1, keepdims=True)
    return np.sum(column * row) + np.sum(kept * b) + np.sum(np.tanh(x + b))


def matmul_ufunc(a, b):
    return np.sum(np.matmul(a, b))  # a generalised ufunc: not elementwise, no broadcast of a and b


def clipped_above(x, low, high):
    return np.clip(x * x, low, high)  # low may be None: it lends no shape to the output


def written_zero_d(x):
    acc = np.zeros(())  # a 0-d array written into: not a number
    np.multiply(x[0], x[1], out=acc)
    acc[...] = acc + x[2]
    return acc * x[0]


def containers(params, x):
    total = 0.0
    for W, b in params:
        x = np.tanh(x @ W + b)
    return np.sum(x) + total


def dict_params(p, x):
    return np.sum(np.tanh(x @ p["W"] + p["b"]) ** 2)


def sequences_that_add(xs, ys):
    zs = xs + ys  # concatenation of two lists
    total = 0.0
    for z in zs:
        total = total + np.sum(z * z)
    return total


def int_times_list(k, xs):
    repeated = xs * k
    return np.sum(sum(repeated))


CASES = [
    (mlp, lambda: (RNG.normal(size=(6, 5)), RNG.normal(size=(5, 3)), RNG.normal(size=(4, 6)),
                   np.array([0, 2, 1, 1]), 0.01), (0, 1, 4)),
    (rnn, lambda: (RNG.normal(size=(4, 3)), RNG.normal(size=(4, 4)) * 0.5, RNG.normal(size=(5, 3))), (0, 1)),
    (polynomial, lambda: (1.5, -0.7), (0, 1)),
    (polynomial, lambda: (np.float32(1.5), np.float64(-0.7)), (0, 1)),
    (broadcasting, lambda: (RNG.normal(size=(2, 3)), RNG.normal(size=3)), (0, 1)),
    (broadcasting, lambda: (RNG.normal(size=(2, 3)), RNG.normal(size=(1,))), (0, 1)),
    (broadcasting, lambda: (RNG.normal(size=(2, 3)), 0.3), (0, 1)),
    (broadcasting, lambda: (RNG.normal(size=(2, 3)), RNG.normal(size=(2, 1))), (0, 1)),
    (batched_matmul, lambda: (RNG.normal(size=(2, 3, 4)), RNG.normal(size=(4, 2))), (0, 1)),
    (batched_matmul, lambda: (RNG.normal(size=(3, 4)), RNG.normal(size=(2, 4, 2))), (0, 1)),
    (batched_matmul, lambda: (RNG.normal(size=4), RNG.normal(size=(4, 2))), (0, 1)),
    (vector_products, lambda: (RNG.normal(size=(3, 3)), RNG.normal(size=3), RNG.normal(size=3)), (0, 1, 2)),
    (value_dependent_slice, lambda: (RNG.normal(size=5), 3), (0,)),
    (matmul_ufunc, lambda: (RNG.normal(size=(1, 1)), RNG.normal(size=1)), (0, 1)),
    (matmul_ufunc, lambda: (RNG.normal(size=(3, 4)), RNG.normal(size=4)), (0, 1)),
    (logsumexp_rows, lambda: (RNG.normal(size=(4, 5)),), (0,)),
    (reductions_and_indexing, lambda: (RNG.normal(size=(3, 4)), RNG.normal(size=4)), (0, 1)),
    (reductions_and_indexing, lambda: (RNG.normal(size=(2, 3, 4)), RNG.normal(size=(3, 1))), (0, 1)),
    (reductions_and_indexing, lambda: (RNG.normal(size=(2, 3, 4)), RNG.normal(size=4)), (0, 1)),
    (clipped_above, lambda: (np.array(-1.2), None, 0.5), (0,)),
    (clipped_above, lambda: (np.array(0.3), None, np.array(0.5)), (0,)),
    (written_zero_d, lambda: (RNG.normal(size=3),), (0,)),
    (containers, lambda: ([(RNG.normal(size=(3, 2)), RNG.normal(size=2)),
                           (RNG.normal(size=(2, 2)), RNG.normal(size=2))], RNG.normal(size=(4, 3))), (0, 1)),
    (dict_params, lambda: ({"W": RNG.normal(size=(3, 2)), "b": RNG.normal(size=2)}, RNG.normal(size=(4, 3))),
     (0,)),
    (sequences_that_add, lambda: ([1.0, RNG.normal(size=2)], [RNG.normal(size=2)]), (0, 1)),
    (int_times_list, lambda: (2, [0.5, RNG.normal(size=3)]), (1,)),
]
IDS = [f"{case[0].__name__}-{index}" for index, case in enumerate(CASES)]


@pytest.fixture
def generic(monkeypatch):
    """Transforms that generate code for any arguments only (and share none made before)."""
    monkeypatch.setattr(Transform, "max_signatures", 0)
    monkeypatch.setattr(_SharedCode, "_kept", collections.OrderedDict())


def _both(function, args, wrt, optimize):
    specialised = srcad.value_and_grad(function, wrt=wrt, optimize=optimize)
    specialised_result = specialised(*args)
    assert any(signature is not None for _, signature in specialised._compiled)
    saved = Transform.max_signatures, _SharedCode._kept
    Transform.max_signatures, _SharedCode._kept = 0, collections.OrderedDict()
    try:
        generic = srcad.value_and_grad(function, wrt=wrt, optimize=optimize)
        any_arguments = generic(*args)
        assert all(signature is None for _, signature in generic._compiled)
    finally:
        Transform.max_signatures, _SharedCode._kept = saved
    return specialised_result, any_arguments


@pytest.mark.parametrize("optimize", [True, False])
@pytest.mark.parametrize("function, make, wrt", CASES, ids=IDS)
def test_specialised_and_generic_code_agree(function, make, wrt, optimize):
    args = make()
    (value, grads), (generic_value, generic_grads) = _both(function, args, wrt, optimize)
    np.testing.assert_allclose(value, generic_value, rtol=1e-12)
    assert_same_tree(grads, generic_grads, rtol=1e-12, atol=0)
    for got, position in zip(grads, wrt):
        if isinstance(args[position], float) or getattr(args[position], "dtype", None) == np.float64 \
                or isinstance(args[position], (list, tuple, dict)):
            expected = numerical_tree_gradient(function, list(args), position)
            assert_same_tree(got, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("function, make, wrt", CASES[:2], ids=IDS[:2])
def test_grad_matches_the_generic_gradient(function, make, wrt, generic):
    args = make()
    expected = srcad.grad(function, wrt=wrt)(*args)
    Transform.max_signatures, _SharedCode._kept = 8, collections.OrderedDict()  # the fixture restores them
    assert_same_tree(srcad.grad(function, wrt=wrt)(*args), expected, rtol=1e-12, atol=0)


def test_mlp_source_reads_like_hand_written_numpy():
    args = CASES[0][1]()
    gradient = srcad.grad(mlp, wrt=(0, 1))
    gradient(*args)
    source = gradient.source
    for helper in ("unbroadcast", "unreduce", "unmatmul", "sum_to_scalar", "add_grads", "zeros_like"):
        assert helper not in source, source
    assert "@ W2.T" in source and "H.T @" in source and "X.T @" in source, source


def test_rnn_source_pushes_one_value_per_step():
    args = CASES[1][1]()
    gradient = srcad.grad(rnn, wrt=(0, 1))
    gradient(*args)
    source = gradient.source
    assert source.count("tape.push(") == 1 and "tape.push(h)" in source, source
    for helper in ("unbroadcast", "unreduce", "unmatmul"):
        assert helper not in source, source
    assert "np.outer(" in source, source


def test_python_float_code_has_no_container_helpers():
    gradient = srcad.grad(polynomial, wrt=(0, 1))
    assert_gradient(gradient, polynomial, (1.5, -0.7), wrt=(0, 1))
    for helper in ("unbroadcast", "sum_to_scalar", "add_grads", "repeats", "unrepeat_sequence"):
        assert helper not in gradient.source, gradient.source


@pytest.mark.parametrize("batch", [[4, 9], [9, 4, 1]])
def test_shape_polymorphic_function_is_right_for_every_batch_size(batch):
    gradient = srcad.grad(mlp, wrt=(0, 1))
    W1, W2 = RNG.normal(size=(6, 5)), RNG.normal(size=(5, 3))
    for size in batch:
        X, y = RNG.normal(size=(size, 6)), RNG.integers(0, 3, size)
        got = gradient(W1, W2, X, y, 0.01)
        for position, g in enumerate(got):
            expected = numerical_tree_gradient(mlp, [W1, W2, X, y, 0.01], position)
            np.testing.assert_allclose(g, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("n", [1, 3, 5])
def test_value_dependent_slice_is_not_taken_for_a_shape(n):
    gradient = srcad.grad(value_dependent_slice)
    x = RNG.normal(size=5)
    expected = 2 * x * (np.arange(5) < n) + 1
    np.testing.assert_allclose(gradient(x, n), expected)


def test_signatures_per_function_are_bounded(monkeypatch):
    monkeypatch.setattr(Transform, "max_signatures", 2)
    monkeypatch.setattr(_SharedCode, "_kept", collections.OrderedDict())
    gradient = srcad.grad(broadcasting, wrt=(0, 1))
    for size in range(1, 6):
        x, b = RNG.normal(size=(size, 3)), RNG.normal(size=3)
        assert_gradient(gradient, broadcasting, (x, b), wrt=(0, 1))
    signatures = [signature for _, signature in gradient._compiled]
    assert sum(signature is not None for signature in signatures) == 2
    assert None in signatures  # beyond the bound: the code for any arguments


def test_forward_mode_and_hvp_agree_with_specialised_reverse():
    args = CASES[0][1]()
    direction = RNG.normal(size=args[0].shape)
    gradient = srcad.grad(mlp)
    reverse = gradient(*args)
    _, tangent = srcad.jvp(mlp)(*args, direction)
    np.testing.assert_allclose(tangent, np.sum(reverse * direction), rtol=1e-10)
    step = 1e-6
    shifted = [list(args), list(args)]
    shifted[0][0], shifted[1][0] = args[0] + step * direction, args[0] - step * direction
    expected = (gradient(*shifted[0]) - gradient(*shifted[1])) / (2 * step)
    np.testing.assert_allclose(srcad.hvp(mlp)(*args, direction), expected, rtol=1e-4, atol=1e-6)


def inner_loss(w, x):
    return np.sum(np.tanh(x @ w) ** 2)


def outer_loss(w, x):
    g = srcad.grad(inner_loss)(w, x)
    return np.sum(g * g)


def test_gradient_of_a_function_taking_a_specialised_gradient():
    w, x = RNG.normal(size=3), RNG.normal(size=(4, 3))
    srcad.grad(inner_loss)(w, x)  # the inner gradient is compiled for this signature first
    got = srcad.grad(outer_loss)(w, x)
    np.testing.assert_allclose(got, numerical_tree_gradient(outer_loss, [w, x], 0), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("args", [(np.array(0.3), None, 0.5), (np.array(0.3), None, np.array(0.5)),
                                  (np.array([0.3, 0.9]), None, 0.5)])
def test_none_passed_for_an_array_lends_no_shape_to_the_scalar_check(args):
    x = args[0]
    expected = np.where(x * x <= 0.5, 2 * x, 0.0)
    if x.ndim:
        with pytest.raises(srcad.NonDifferentiableError, match="scalar"):
            srcad.grad(clipped_above)(*args)
    else:
        np.testing.assert_allclose(srcad.grad(clipped_above)(*args), expected)


def test_a_zero_d_array_written_into_keeps_its_tangent_an_array():
    x, direction = RNG.normal(size=3), RNG.normal(size=3)
    gradient = srcad.grad(written_zero_d)(x)
    _, tangent = srcad.jvp(written_zero_d)(x, direction)
    np.testing.assert_allclose(tangent, gradient @ direction, rtol=1e-12)
