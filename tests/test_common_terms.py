"""A term added twice is written once, doubled, and a cotangent that is a number other than
zero multiplies its partial directly: the same derivatives, in fewer operations."""
import numpy as np
import pytest

import srcad
from gradcheck import numerical_tree_gradient

RNG = np.random.default_rng(5)


def weight_decay(W, X, lam):
    return np.sum(np.tanh(X @ W)) + lam * np.sum(W * W)


def squares(x, y):
    a = x * y + 3.0 * x * x
    return a * a - y / x


def read_thrice(w):
    return np.sum(w * w * w)


def list_doubled(x):
    parts = [x, 2.0 * x]
    return np.sum(parts[0] * parts[0]) + np.sum(parts[1])


CASES = [
    (weight_decay, lambda: (RNG.normal(size=(3, 2)), RNG.normal(size=(4, 3)), 0.01), 0),
    (squares, lambda: (1.3, 0.7), (0, 1)),
    (squares, lambda: (np.array(RNG.normal() + 3.0), np.array(RNG.normal())), (0, 1)),
    (read_thrice, lambda: (RNG.normal(size=4),), 0),
    (list_doubled, lambda: (RNG.normal(size=3),), 0),
]


@pytest.mark.parametrize("function, make, wrt", CASES, ids=[f"{c[0].__name__}-{i}" for i, c in enumerate(CASES)])
def test_the_same_derivative_with_and_without_the_optimiser(function, make, wrt):
    args = make()
    got = srcad.grad(function, wrt=wrt)(*args)
    plain = srcad.grad(function, wrt=wrt, optimize=False)(*args)
    for position, g, p in zip(wrt if isinstance(wrt, tuple) else (wrt,), got if isinstance(wrt, tuple) else (got,),
                              plain if isinstance(wrt, tuple) else (plain,)):
        np.testing.assert_allclose(g, p, rtol=1e-13, atol=1e-15)
        np.testing.assert_allclose(g, numerical_tree_gradient(function, list(args), position), rtol=1e-6, atol=1e-8)


def test_weight_decay_is_written_once_doubled():
    gradient = srcad.grad(weight_decay)
    gradient(*CASES[0][1]())
    assert "2 * lam * W" in gradient.source, gradient.source
    assert "lam * W + lam * W" not in gradient.source, gradient.source


def test_a_number_cotangent_needs_no_strong_zero_guard():
    gradient = srcad.grad(squares, wrt=(0, 1))
    assert gradient(1.3, 0.7) == pytest.approx(tuple(numerical_tree_gradient(squares, [1.3, 0.7], p) for p in (0, 1)))
    assert "cotangent_times" not in gradient.source, gradient.source
    assert "2 * " in gradient.source, gradient.source


def test_a_zero_cotangent_keeps_its_guard():
    def unreached(x):
        y = 1.0 / x
        return 0.0 * np.sum(y) + np.sum(x)
    x = np.array([0.0, 1.0])
    with np.errstate(divide="ignore", invalid="ignore"):
        np.testing.assert_array_equal(srcad.grad(unreached)(x), [1.0, 1.0])


def test_transforms_made_again_wrap_the_function_as_the_first_did():
    first = srcad.grad(weight_decay, wrt=(0, 2))
    again = srcad.grad(weight_decay, wrt=(0, 2))
    assert again is not first and again.__wrapped__ is weight_decay and again.__name__ == "weight_decay"
    args = CASES[0][1]()
    np.testing.assert_array_equal(again(*args)[0], first(*args)[0])
    assert again.source == first.source


def flags_added(x, mask, n):
    twice = mask + mask  # booleans: True + True is True, not 2
    counts = n + n
    return np.sum(x * twice) * counts + np.sum(x * x)


@pytest.mark.parametrize("optimize", [True, False])
def test_the_users_own_sums_are_not_doubled(optimize):
    x, mask = np.array([1.0, 2.0, 3.0]), np.array([True, False, True])
    value, gradient = srcad.value_and_grad(flags_added, optimize=optimize)(x, mask, 2)
    assert value == flags_added(x, mask, 2)
    np.testing.assert_array_equal(gradient, 4 * mask + 2 * x)
