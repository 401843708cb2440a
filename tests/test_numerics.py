"""The numerical conventions of docs/numerics.md: strong zeros (an untaken branch of
``np.where`` gets exactly 0, never ``0 * inf``), no nan where the true derivative is
finite, stable rules at |x| = 1000 in float32 and float64, and the dtype policy."""
import warnings

import numpy as np
import pytest

import srcad
from gradcheck import numerical_gradient


def _quiet(function, *args):
    """``function(*args)`` without NumPy's warnings about the untaken branch's values."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        return function(*args)


# ------------------------------------------------ strong zeros: np.where's untaken branch
# each op is taken where `taken` holds and evaluated everywhere; the points put the op's
# singular points (0 for log, 1 for arcsin, overflow for exp) in the untaken branch


def log_branch(x):
    return np.sum(np.where(x > 0, np.log(x), 0.0))


def sqrt_branch(x):
    return np.sum(np.where(x > 0, np.sqrt(x), 0.0))


def division_branch(x):
    return np.sum(np.where(x != 0, 1.0 / x, 0.0))


def power_branch(x):
    return np.sum(np.where(x > 0, x ** 1.5 + x ** -0.5, 0.0))


def arcsin_branch(x):
    return np.sum(np.where(np.abs(x) < 1, np.arcsin(x) + np.arccos(x), 0.0))


def arctanh_branch(x):
    return np.sum(np.where(np.abs(x) < 1, np.arctanh(x), 0.0))


def entropy_branch(x):
    return np.sum(np.where(x > 0, x * np.log(x), 0.0))


def exp_branch(x):
    return np.sum(np.where(x < 50.0, np.exp(x), 1.0))


def nested_branch(x):
    y = np.where(x > 0, np.log(x), 0.0) * 3.0
    return np.sum(np.where(x < 4.0, np.sqrt(y * y + 1.0) * x, x))


def maximum_of_a_log(x):
    return np.sum(np.maximum(np.log(x), 0.0))


def indexed_log(x):
    return np.sum(np.log(x)[1:] * x[1:])


def masked_by_data(x, mask):
    return np.sum(mask * np.log(x))


BRANCHES = {
    "log": (log_branch, [-1.0, 0.0, 0.5, 2.0]),
    "sqrt": (sqrt_branch, [-1.0, 0.0, 0.5, 2.0]),
    "division": (division_branch, [0.0, -2.0, 0.5]),
    "power": (power_branch, [-1.0, 0.0, 0.5, 2.0]),
    "arcsin": (arcsin_branch, [-1.0, 1.0, 0.3, -0.6, 2.0]),
    "arctanh": (arctanh_branch, [-1.0, 1.0, 0.3, 2.0]),
    "x log x": (entropy_branch, [0.0, -1.0, 0.5, 2.0]),
    "exp overflow": (exp_branch, [1000.0, 1.0, -2.0]),
    "nested": (nested_branch, [-1.0, 0.0, 0.5, 5.0]),
    "maximum": (maximum_of_a_log, [0.0, 0.5, 3.0]),
    "indexing": (indexed_log, [0.0, 0.5, 3.0]),
}


def branch_gradient(f, x):
    """The derivative of the taken branch, elementwise by central differences (each element
    of these functions depends on its own x only), 0 where a small change stays untaken."""
    expected = np.zeros_like(x)
    for i in range(x.size):
        def one(t):
            moved = x.copy()
            moved[i] = t
            return _quiet(f, moved)
        expected[i] = numerical_gradient(one, (float(x[i]),), 0)
    return expected


@pytest.mark.parametrize("optimize", [True, False], ids=["optimized", "plain"])
@pytest.mark.parametrize("case", list(BRANCHES), ids=list(BRANCHES))
def test_the_untaken_branch_contributes_exactly_zero(case, optimize):
    f, points = BRANCHES[case]
    x = np.array(points)
    gradient = _quiet(srcad.grad(f, optimize=optimize), x)
    assert np.all(np.isfinite(gradient)), gradient
    smooth = np.array([np.isfinite(_quiet(branch_gradient, f, x)[i]) and abs(x[i]) not in (0.0, 1.0)
                       for i in range(x.size)])
    expected = _quiet(branch_gradient, f, x)
    np.testing.assert_allclose(gradient[smooth], expected[smooth], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("case", list(BRANCHES), ids=list(BRANCHES))
def test_forward_mode_and_second_order_agree_and_stay_finite(case):
    f, points = BRANCHES[case]
    x = np.array(points)
    gradient = _quiet(srcad.grad(f), x)
    for i in range(x.size):
        direction = np.zeros_like(x)
        direction[i] = 1.0
        _, tangent = _quiet(srcad.jvp(f), x, direction)
        assert tangent == pytest.approx(gradient[i], rel=1e-12, abs=1e-12)
    hessian_vector = _quiet(srcad.hvp(f), x, np.ones_like(x))
    assert np.all(np.isfinite(hessian_vector)), hessian_vector
    nested = _quiet(srcad.grad(lambda v: np.sum(srcad.grad(f)(v))), x)  # reverse over reverse
    np.testing.assert_allclose(nested, hessian_vector, rtol=1e-9, atol=1e-12)


def test_second_order_of_the_untaken_branch_matches_finite_differences():
    x = np.array([-1.0, 0.0, 0.5, 2.0])
    hessian = _quiet(srcad.hessian(entropy_branch), x)
    np.testing.assert_allclose(np.diag(hessian), [0.0, 0.0, 1 / 0.5, 1 / 2.0], rtol=1e-9)
    assert np.count_nonzero(hessian - np.diag(np.diag(hessian))) == 0


def test_a_zero_from_data_masks_a_singular_derivative():
    x, mask = np.array([0.0, 2.0]), np.array([0.0, 1.0])
    for optimize in (True, False):
        np.testing.assert_array_equal(_quiet(srcad.grad(masked_by_data, optimize=optimize), x, mask), [0.0, 0.5])


def unused_sqrt(x):
    return np.sum(0.0 * np.sqrt(x) + 0.0 * x ** 0.5 + x)


def test_a_result_multiplied_by_zero_contributes_zero():
    x = np.array([0.0, 4.0])
    np.testing.assert_array_equal(_quiet(srcad.grad(unused_sqrt), x), [1.0, 1.0])
    np.testing.assert_array_equal(_quiet(srcad.grad(unused_sqrt, optimize=False), x), [1.0, 1.0])


def test_a_cotangent_that_is_not_zero_keeps_an_infinite_derivative():
    def plain_sqrt(x):
        return np.sum(np.sqrt(x))
    gradient = _quiet(srcad.grad(plain_sqrt), np.array([0.0, 4.0]))
    assert gradient[0] == np.inf and gradient[1] == 0.25


def test_a_cotangent_given_to_a_pullback_guards_the_untaken_branch():
    def branch_values(x):
        return np.where(x > 0, x * np.log(x), 0.0)
    x = np.array([0.0, 2.0])
    _, pullback = _quiet(srcad.vjp(branch_values), x)
    np.testing.assert_allclose(_quiet(pullback, np.array([0.0, 1.0])), [0.0, np.log(2.0) + 1.0])


def test_the_guard_is_left_out_where_nothing_can_zero_the_cotangent():
    def smooth(W, lam):
        return lam * np.sum(np.tanh(W) ** 2)
    source = srcad.grad(smooth).source
    assert "cotangent_times" not in source
    assert "cotangent_times" in srcad.grad(log_branch).source
