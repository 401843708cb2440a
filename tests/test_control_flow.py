"""Every control-flow form, differentiated and checked against finite differences."""
import re

import numpy as np
import pytest

import srcad
from gradcheck import assert_gradient


def straight_line(x):
    y = np.tanh(x) * 2.0
    return np.sum(y ** 2)


def tuple_unpacking(x):
    a, b = x * 2.0, np.sin(x)
    a, b = b, a
    return np.sum(a * b + a)


def augmented(x):
    y = x * 1.0
    y += x ** 2
    y *= 3.0
    y -= np.exp(x)
    y /= 2.0
    return np.sum(y)


def reassigned(x):
    x = x * 2.0
    x = np.tanh(x)
    x = x * x
    return np.sum(x)


def if_on_value(x):
    if np.sum(x) > 0:
        y = x * 2.0
    else:
        y = -x
    return np.sum(y * x)


def if_elif_else(x):
    total = np.sum(x)
    if total > 1.0:
        y = np.sin(x)
    elif total > -1.0:
        y = x * x
    else:
        y = np.exp(x)
    return np.sum(y)


def if_without_else(x):
    y = x * 3.0
    if np.max(x) > 0.5:
        y = y * x
    return np.sum(y)


def if_on_flag(x, square):
    if square:
        return np.sum(x * x)
    return np.sum(x)


def for_range(x):
    s = 0.0
    for i in range(4):
        s = s + np.sum(np.sin(x * i))
    return s


def for_range_start_stop_step(x):
    y = x
    for k in range(1, 7, 2):
        y = y * k + np.cos(y)
    return np.sum(y)


def for_over_array(x):
    s = 0.0
    for row in x:
        s = s + np.sum(row ** 3)
    return s


def for_enumerate(x):
    s = 0.0
    for i, value in enumerate(x):
        s = s + value * i
    return s


def for_zip(x):
    s = 0.0
    for a, b in zip(x, x[::-1]):
        s = s + a * b
    return s


def nested_loops(x):
    s = 0.0
    for i in range(3):
        for j in range(i + 1):
            s = s + np.sum(np.tanh(x * (i - j + 1)))
    return s


def loop_carried(x):
    h = x
    for _ in range(3):
        h = np.tanh(h) * x
    return np.sum(h)


def while_value_dependent(x):
    y = x * x + 0.5
    while np.sum(y) < 10.0:
        y = y * 2.0
    return np.sum(y * y)


def while_counter(x):
    i = 0
    y = x
    while i < 3:
        y = np.sin(y) + x
        i += 1
    return np.sum(y)


def break_in_for(x):
    s = 0.0
    for i in range(10):
        s = s + np.sum(x * i)
        if s > 3.0:
            break
    return s * s


def break_in_while(x):
    y = x
    while True:
        y = y * 1.5
        if np.sum(y * y) > 5.0:
            break
    return np.sum(np.sin(y))


def continue_in_for(x):
    s = 0.0
    for i in range(6):
        if i % 2 == 0:
            continue
        s = s + np.sum(np.tanh(x * i))
    return s


def return_early(x):
    if np.sum(x) > 100.0:
        return np.sum(x)
    y = x * x
    return np.sum(y)


def return_in_loop(x):
    for i in range(5):
        x = x * 1.5
        if np.sum(x) > 4.0:
            return np.sum(x ** 2)
    return np.sum(x)


def return_in_nested_loop(x):
    s = 0.0
    for i in range(4):
        for j in range(4):
            s = s + np.sum(x) * (i + j)
            if s > 6.0:
                return s * np.sum(x)
    return s


def value_dependent_trip_count(x):
    n = int(np.sum(x) * 3)
    y = x
    for _ in range(n):
        y = np.sin(y) + 1.0
    return np.sum(y)


def conditional_expression(x):
    y = x * 2.0 if np.sum(x) > 0 else x * -3.0
    return np.sum(y)


def branch_in_loop(x):
    s = 0.0
    for i in range(6):
        if i % 3 == 0:
            s = s + np.sum(x * x)
        elif i % 3 == 1:
            s = s * 0.5
        else:
            s = s + np.sum(np.sin(x))
    return s


CASES = [
    (straight_line, ()), (tuple_unpacking, ()), (augmented, ()), (reassigned, ()),
    (if_on_value, ()), (if_elif_else, ()), (if_without_else, ()), (if_on_flag, (True,)), (if_on_flag, (False,)),
    (for_range, ()), (for_range_start_stop_step, ()), (for_over_array, ()), (for_enumerate, ()), (for_zip, ()),
    (nested_loops, ()), (loop_carried, ()), (while_value_dependent, ()), (while_counter, ()),
    (break_in_for, ()), (break_in_while, ()), (continue_in_for, ()),
    (return_early, ()), (return_in_loop, ()), (return_in_nested_loop, ()),
    (value_dependent_trip_count, ()), (conditional_expression, ()), (branch_in_loop, ()),
]
INPUTS = {
    "positive": np.array([0.3, 0.5, 0.9]),
    "mixed": np.array([-0.7, 0.2, 0.45]),
    "negative": np.array([-0.4, -0.8, -0.1]),
}


@pytest.mark.parametrize("x_name", sorted(INPUTS))
@pytest.mark.parametrize("function, extra", CASES, ids=lambda c: getattr(c, "__name__", repr(c)))
def test_matches_finite_differences(function, extra, x_name):
    args = (INPUTS[x_name].copy(),) + extra
    assert_gradient(srcad.grad(function), function, args)


@pytest.mark.parametrize("function, extra", CASES, ids=lambda c: getattr(c, "__name__", repr(c)))
def test_value_and_grad_agrees_with_grad(function, extra):
    x = INPUTS["mixed"].copy()
    value, gradient = srcad.value_and_grad(function)(x, *extra)
    assert value == pytest.approx(function(x, *extra))
    np.testing.assert_allclose(gradient, srcad.grad(function)(x, *extra))


def rnn(Wh, Wx, xs):
    h = np.zeros(Wh.shape[0])
    for t in range(xs.shape[0]):
        h = np.tanh(Wx @ xs[t] + Wh @ h)
    return np.sum(h ** 2)


def test_rnn_over_a_python_loop():
    rng = np.random.default_rng(1)
    args = (rng.normal(size=(4, 4)) * 0.5, rng.normal(size=(4, 3)), rng.normal(size=(5, 3)))
    assert_gradient(srcad.grad(rnn, wrt=(0, 1)), rnn, args, wrt=(0, 1))


def test_rnn_tapes_only_the_hidden_state():
    source = srcad.grad(rnn, wrt=(0, 1)).source
    pushed = set(re.findall(r"\.push\(([^)]*)\)", source))
    assert "h" in pushed
    assert not any(value.startswith("xs") for value in pushed)  # the data is read again, not taped


def test_straight_line_code_has_no_tape():
    source = srcad.grad(straight_line).source
    assert "tape" not in source.lower()
    assert "push" not in source


@pytest.mark.parametrize("function, extra", CASES, ids=lambda c: getattr(c, "__name__", repr(c)))
def test_unoptimised_derivative_is_right_too(function, extra):
    args = (INPUTS["mixed"].copy(),) + extra
    assert_gradient(srcad.grad(function, optimize=False), function, args)
