"""One convention at ties and kinks (docs/numerics.md, "Ties and kinks").

Where several candidates tie for the result of a selection, the derivative is that of the
first of them: first in the argument list (``np.maximum(a, b)``, ``max(a, b)``), first
along the axis (``np.max``, ``maxout``), first in the stable order (``np.sort``, ``sorted``,
``np.median``, ``np.partition``). ``np.clip(x, lo, hi)`` is ``max(lo, min(hi, x))``: a
bound wins its tie, as in the hard tanh of section 6.3.3, and ``nn.relu`` is
``max(0, x)``. A kink that is no tie (``np.abs`` at 0, a norm at 0) has the derivative 0.
Each case is checked in reverse and forward mode, optimised or not, against the values
the convention names (finite differences are no judge at a kink).
"""
import numpy as np
import pytest

import srcad
from srcad import nn

# x[0] and x[3] tie at 0; x[1] = 1 and x[2] = -1 sit at the bounds of [-1, 1]
X = np.array([0.0, 1.0, -1.0, 0.0])


def maximum_constant_first(x):
    return np.sum(np.maximum(0.0, x))


def maximum_constant_second(x):
    return np.sum(np.maximum(x, 0.0))


def minimum_constant_first(x):
    return np.sum(np.minimum(0.0, x))


def maximum_of_reversed(x):
    return np.sum(np.maximum(x, x[::-1]))


def fmax_constant_second(x):
    return np.sum(np.fmax(x, 0.0))


def relu(x):
    return np.sum(nn.relu(x))


def leaky_relu(x):
    return np.sum(nn.leaky_relu(x, 0.1))


def hard_tanh(x):
    return np.sum(nn.hard_tanh(x))


def clip(x):
    return np.sum(np.clip(x, -1.0, 1.0))


def clip_method(x):
    return np.sum(x.clip(-1.0, 1.0))


def absolute(x):
    return np.sum(np.abs(x))


def max_of_tied_pair(x):
    return np.max(np.stack([x[0], x[3], x[2]]))


def min_of_tied_pair(x):
    return np.min(np.stack([x[3], x[0], x[1]]))


def max_along_an_axis(x):
    return np.sum(np.max(np.stack([x[[0, 1]], x[[3, 2]]]), axis=0))


def builtin_max(x):
    return max(x[3], x[0])


def builtin_min_of_a_list(x):
    return min([x[0], x[3], x[1]])


def maxout(x):
    return np.sum(nn.maxout(np.stack([x[3], x[0], x[2], x[1]]), 2))


def sort_weighted(x):
    return np.sum(np.sort(x) * np.arange(1.0, 5.0))


def sorted_weighted(x):
    return sum(w * v for w, v in zip([1.0, 2.0, 3.0, 4.0], sorted([x[0], x[1], x[2], x[3]])))


def median_of_three(x):
    return np.median(np.stack([x[3], x[0], x[1]]))


def partition_weighted(x):
    # kth 1 and 2 fix every position of four values: the order NumPy leaves elsewhere varies
    return np.sum(np.partition(x, (1, 2)) * np.arange(1.0, 5.0))


def norm_at_zero(x):
    return np.linalg.norm(x[[0, 3]])


CASES = {
    maximum_constant_first: [0, 1, 0, 0],      # the constant wins: relu's derivative 0 at 0
    maximum_constant_second: [1, 1, 0, 1],     # x wins
    minimum_constant_first: [0, 0, 1, 0],
    maximum_of_reversed: [1, 2, 0, 1],         # each tie to the first argument
    fmax_constant_second: [1, 1, 0, 1],
    relu: [0, 1, 0, 0],
    leaky_relu: [0.1, 1, 0.1, 0.1],            # np.where(x > 0, x, alpha * x): the branch taken
    hard_tanh: [1, 0, 0, 1],                   # a bound wins its tie
    clip: [1, 0, 0, 1],
    clip_method: [1, 0, 0, 1],
    absolute: [0, 1, -1, 0],                   # np.sign(0)
    max_of_tied_pair: [1, 0, 0, 0],            # x[0] comes first
    min_of_tied_pair: [0, 0, 0, 1],            # x[3] comes first
    max_along_an_axis: [1, 1, 0, 0],
    builtin_max: [0, 0, 0, 1],
    builtin_min_of_a_list: [1, 0, 0, 0],
    maxout: [0, 1, 0, 1],                      # the pair (x[3], x[0]): x[3] first; then x[1]
    sort_weighted: [2, 4, 1, 3],               # stable: x[0] before x[3]
    sorted_weighted: [2, 4, 1, 3],
    median_of_three: [1, 0, 0, 0],             # the sorted order is x[3], x[0], x[1]
    partition_weighted: [2, 4, 1, 3],
    norm_at_zero: [0, 0, 0, 0],
}


@pytest.mark.parametrize("optimize", [True, False])
@pytest.mark.parametrize("function", list(CASES), ids=lambda f: f.__name__)
def test_the_gradient_at_a_tie_follows_the_convention(function, optimize):
    expected = np.array(CASES[function], dtype=float)
    np.testing.assert_array_equal(srcad.grad(function, optimize=optimize)(X), expected)


@pytest.mark.parametrize("function", list(CASES), ids=lambda f: f.__name__)
def test_forward_mode_agrees_at_a_tie(function):
    expected = np.array(CASES[function], dtype=float)
    for k in range(len(X)):
        direction = np.eye(len(X))[k]
        _, tangent = srcad.jvp(function)(X, direction)
        assert tangent == expected[k], (k, tangent)


BOUNDS = {
    "low bound": (np.array([-1.0, -2.0, 0.5]), [1, 1, 0], [0, 0, 0]),
    "high bound": (np.array([1.0, 2.0, 0.5]), [0, 0, 0], [1, 1, 0]),
}


def clip_with_bounds(x, low, high):
    return np.sum(np.clip(x, low, high))


@pytest.mark.parametrize("case", list(BOUNDS))
def test_a_bound_that_wins_its_tie_gets_the_derivative(case):
    x, to_low, to_high = BOUNDS[case]
    low, high = np.full(3, -1.0), np.full(3, 1.0)
    for optimize in (True, False):
        d_low, d_high = srcad.grad(clip_with_bounds, wrt=(1, 2), optimize=optimize)(x, low, high)
        np.testing.assert_array_equal(d_low, to_low)
        np.testing.assert_array_equal(d_high, to_high)
        np.testing.assert_array_equal(srcad.grad(clip_with_bounds, optimize=optimize)(x, low, high),
                                      1.0 - np.array(to_low) - np.array(to_high))


def test_clip_with_equal_or_crossed_bounds_gives_the_derivative_to_the_bound_numpy_returns():
    x = np.array([-2.0, 0.0, 2.0])
    for low, high in ((0.0, 0.0), (1.0, -1.0)):   # NumPy's result is high everywhere
        grads = srcad.grad(clip_with_bounds, wrt=(0, 1, 2))(x, np.full(3, low), np.full(3, high))
        for got, expected in zip(grads, ([0, 0, 0], [0, 0, 0], [1, 1, 1])):
            np.testing.assert_array_equal(got, expected)


def test_a_nan_maximum_sends_its_derivative_to_the_first_nan():
    x = np.array([1.0, np.nan, 3.0, np.nan])
    np.testing.assert_array_equal(srcad.grad(lambda_max)(x), [0.0, 1.0, 0.0, 0.0])


def lambda_max(x):
    return np.max(x * 1.0)


def test_away_from_ties_the_selections_match_finite_differences():
    from gradcheck import numerical_gradient
    x = np.array([0.3, 1.7, -0.4, 0.9])
    for function in CASES:
        np.testing.assert_allclose(srcad.grad(function)(x), numerical_gradient(function, [x], 0), atol=1e-6,
                                   err_msg=function.__name__)
