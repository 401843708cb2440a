"""A callable built from values that carry a derivative is refused, never read as a constant.

``functools.partial(layer, W)`` holds ``W``; calling it through srcad's run-time dispatch
would treat ``W`` as a constant of the call and give a zero derivative. Until srcad follows a
derivative through what a callable holds, such a call is refused in every mode."""
import functools

import numpy as np
import pytest

import srcad
from gradcheck import numerical_gradient

W = np.array([0.5, -1.0])
X = np.array([1.0, 2.0])


def layer(w, x):
    return np.tanh(w * x)


def partial_named(w, x):
    g = functools.partial(layer, w)
    return np.sum(g(x))


def partial_inline(w, x):
    return np.sum(functools.partial(layer, w)(x))


def partial_of_a_derived_value(w, x):
    scaled = w * 2.0
    g = functools.partial(layer, scaled)
    return np.sum(g(x))


def partial_in_a_loop(w, x):
    total = 0.0
    for i in range(2):
        g = functools.partial(layer, w * i)
        total = total + np.sum(g(x))
    return total


CARRYING = [partial_named, partial_inline, partial_of_a_derived_value, partial_in_a_loop]
TRANSFORMS = {
    "grad": lambda f: srcad.grad(f)(W, X),
    "grad-unoptimised": lambda f: srcad.grad(f, optimize=False)(W, X),
    "jvp": lambda f: srcad.jvp(f, wrt=0)(W, X, W),
    "hvp": lambda f: srcad.hvp(f)(W, X, W),
}


@pytest.mark.parametrize("transform", TRANSFORMS)
@pytest.mark.parametrize("f", CARRYING, ids=lambda f: f.__name__)
def test_a_callable_holding_a_derivative_is_refused(f, transform):
    with pytest.raises(srcad.NonDifferentiableError, match="callable built from|cannot differentiate functools.partial"):
        TRANSFORMS[transform](f)


def partial_of_a_constant(w, x):
    g = functools.partial(layer, x=x)
    return np.sum(g(w))


def test_a_callable_holding_only_constants_is_differentiated():
    expected = numerical_gradient(partial_of_a_constant, (W, X), 0)
    np.testing.assert_allclose(srcad.grad(partial_of_a_constant)(W, X), expected, rtol=1e-6)
    _, tangent = srcad.jvp(partial_of_a_constant, wrt=0)(W, X, W)
    np.testing.assert_allclose(tangent, expected @ W, rtol=1e-6)
