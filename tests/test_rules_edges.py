"""Derivatives at the edges of a domain, where the function is defined but not differentiable.

Where the derivative is infinite (``sqrt`` at 0, ``asin`` at 1, ``x ** 0.5`` at 0),
srcad gives inf, as NumPy arithmetic and JAX do, for Python floats as for arrays,
never Python's ZeroDivisionError. Where a norm is 0 (``np.linalg.norm`` of the zero
vector, ``math.hypot(0, 0)``, ``np.std`` of equal values), srcad takes the
subgradient 0, as ``np.abs`` has ``sign(0) = 0``: a zero chain through a norm of
zero gives zero, not nan. Each is checked in reverse mode (optimised and not), in
forward mode, on a float and on a 0-d array, and to second order where it is finite.
"""
import math

import numpy as np
import pytest

import srcad
from gradcheck import numerical_gradient


def pow_half(x):
    return math.pow(x, 0.5)


def operator_half(x):
    return x ** 0.5


def builtin_pow_half(x):
    return pow(x, 0.5)


def math_sqrt(x):
    return math.sqrt(x)


def numpy_sqrt(x):
    return np.sqrt(x)


def numpy_power_half(x):
    return np.power(x, 0.5)


def numpy_cbrt(x):
    return np.cbrt(x)


def math_asin(x):
    return math.asin(x)


def math_acos(x):
    return math.acos(x)


def numpy_arcsin(x):
    return np.arcsin(x)


def math_acosh(x):
    return math.acosh(x)


def math_hypot(x):
    return math.hypot(x, 2.0 * x)


def builtin_abs(x):
    return abs(x)


def numpy_abs(x):
    return np.abs(x)


def math_fabs(x):
    return math.fabs(x)


def power_zero(x):
    return x ** 0


def power_three_halves(x):
    return x ** 1.5


# (function, point, derivative there)
EDGES = [
    (pow_half, 0.0, math.inf), (operator_half, 0.0, math.inf), (builtin_pow_half, 0.0, math.inf),
    (math_sqrt, 0.0, math.inf), (numpy_sqrt, 0.0, math.inf), (numpy_power_half, 0.0, math.inf),
    (numpy_cbrt, 0.0, math.inf), (math_asin, 1.0, math.inf), (math_acos, 1.0, -math.inf),
    (numpy_arcsin, 1.0, math.inf), (math_acosh, 1.0, math.inf), (math_hypot, 0.0, 0.0),
    (builtin_abs, 0.0, 0.0), (numpy_abs, 0.0, 0.0), (math_fabs, 0.0, 0.0), (power_zero, 0.0, 0.0),
    (power_three_halves, 0.0, 0.0),
]
IDS = [f.__name__ for f, _, _ in EDGES]


@pytest.mark.parametrize("optimize", [True, False], ids=["optimized", "unoptimized"])
@pytest.mark.parametrize("f, point, expected", EDGES, ids=IDS)
def test_the_derivative_at_the_edge_is_the_limit_in_reverse_mode(f, point, expected, optimize):
    with np.errstate(divide="ignore", invalid="ignore"):
        value, gradient = srcad.value_and_grad(f, optimize=optimize)(point)
        assert value == f(point)
        assert gradient == expected and isinstance(gradient, float)
        assert srcad.grad(f, optimize=optimize)(np.array(point)) == expected


@pytest.mark.parametrize("f, point, expected", EDGES, ids=IDS)
def test_the_derivative_at_the_edge_is_the_limit_in_forward_mode(f, point, expected):
    with np.errstate(divide="ignore", invalid="ignore"):
        value, tangent = srcad.jvp(f)(point, 1.0)
        assert value == f(point) and tangent == expected
        assert srcad.jvp(f)(np.array(point), np.array(1.0))[1] == expected


@pytest.mark.parametrize("f, point, expected", EDGES, ids=IDS)
def test_inside_the_domain_the_rules_still_match_finite_differences(f, point, expected):
    inside = point + 0.3 if f is not math_acos and f is not math_asin and f is not numpy_arcsin else 0.7
    assert np.isclose(srcad.grad(f)(inside), numerical_gradient(f, [inside], 0), rtol=1e-6)
    if f is math_hypot:
        return  # its rule builds a list by a comprehension, which srcad does not read yet
    second = srcad.grad(srcad.grad(f))(inside)
    first = srcad.grad(f)
    assert np.isclose(second, (first(inside + 1e-5) - first(inside - 1e-5)) / 2e-5, rtol=1e-4, atol=1e-6)


def test_the_second_derivative_of_a_root_at_zero_is_infinite_too():
    with np.errstate(divide="ignore", invalid="ignore"):
        assert srcad.grad(srcad.grad(operator_half))(0.0) == -math.inf
        assert srcad.grad(srcad.grad(math_sqrt))(0.0) == -math.inf
        assert srcad.grad(srcad.grad(power_three_halves))(0.0) == math.inf


def test_atan2_at_the_origin_is_nan_as_zero_over_zero():
    def angle(x):
        return math.atan2(x, x)
    with np.errstate(divide="ignore", invalid="ignore"):
        assert math.isnan(srcad.grad(angle)(0.0)) and math.isnan(srcad.jvp(angle)(0.0, 1.0)[1])


# -- norms of zero: the subgradient 0 -----------------------------------------------------------
def norm_of_a_zero_chain(x):
    a = (x[0] - x[1]) ** 3
    z = (a + (-a)) * np.ones(3)          # exactly zero for every x
    return np.linalg.norm(z) + np.sum(np.sin(x))


def norm_of_rows(x):
    rows = np.stack([x * 0.0, x])
    return np.sum(np.linalg.norm(rows, axis=1)) + np.linalg.norm(rows, "fro")


def p_norm(x):
    return np.linalg.norm(x * 0.0, 3) + np.linalg.norm(x * 0.0) ** 2 + np.sum(x)


def std_of_equal_values(x):
    return np.std(x * 0.0 + 1.0) + np.std(x[:1]) + np.sum(x ** 2)


def hypot_of_zero(x):
    return math.hypot(x[0] - x[0], 0.0) + np.sum(np.cos(x))


ZERO_NORMS = [norm_of_a_zero_chain, norm_of_rows, p_norm, std_of_equal_values, hypot_of_zero]
SECOND_ORDER = [f for f in ZERO_NORMS if f not in (p_norm, hypot_of_zero)]  # (hypot: see above)
X = np.array([0.3, -0.8, 1.1])


@pytest.mark.parametrize("optimize", [True, False], ids=["optimized", "unoptimized"])
@pytest.mark.parametrize("f", ZERO_NORMS, ids=lambda f: f.__name__)
def test_a_norm_of_zero_has_the_subgradient_zero(f, optimize):
    value, gradient = srcad.value_and_grad(f, optimize=optimize)(X)
    assert value == f(X)
    np.testing.assert_allclose(gradient, numerical_gradient(f, [X], 0), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("f", SECOND_ORDER, ids=lambda f: f.__name__)
def test_a_norm_of_zero_in_forward_mode_and_second_order(f):
    direction = np.array([0.5, -1.0, 2.0])
    _, tangent = srcad.jvp(f)(X, direction)
    assert np.isclose(tangent, np.dot(srcad.grad(f)(X), direction))
    gradient = srcad.grad(f)
    step = 1e-6
    expected = (gradient(X + step * direction) - gradient(X - step * direction)) / (2 * step)
    np.testing.assert_allclose(srcad.hvp(f)(X, direction), expected, rtol=1e-5, atol=1e-6)


def test_the_second_derivative_of_a_p_norm_is_refused_clearly():
    with pytest.raises(srcad.NonDifferentiableError, match="no second derivative of np.linalg.norm with ord=3"):
        srcad.hvp(p_norm)(X, X)


def test_the_norm_of_the_zero_vector_has_gradient_and_hessian_zero():
    def norm(x):
        return np.linalg.norm(x)
    zero = np.zeros(3)
    assert np.array_equal(srcad.grad(norm)(zero), zero)
    assert srcad.jvp(norm)(zero, np.ones(3))[1] == 0.0
    assert np.array_equal(srcad.hessian(norm)(zero), np.zeros((3, 3)))
