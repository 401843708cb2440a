"""Every control-flow form, differentiated and checked against finite differences."""
import importlib.util
import os
import re

import numpy as np
import pytest

import srcad
from control_family import family, sequential_jumps
from gradcheck import assert_gradient, numerical_gradient


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


# ---------------------------------------------------- a generated family: every nesting, every jump
# SRCAD_FAMILY=long runs three levels of nesting and every transform on every program.

LONG_FAMILY = os.environ.get("SRCAD_FAMILY", "ci") == "long"
FAMILY = family(3 if LONG_FAMILY else 2)
FAMILY_NAMES = [name for name, _ in FAMILY]
SEQUENTIAL = [sequential_jumps(count, jump) for jump in ("break", "continue", "return") for count in (4, 8)]
X_FAMILY, V_FAMILY = np.array([0.3, -0.5, 0.8]), np.array([0.2, 0.1, -0.4])


def _every(step):
    """Every ``step``-th program of the family (all of them in the long profile)."""
    return FAMILY_NAMES if LONG_FAMILY else FAMILY_NAMES[::step]


@pytest.fixture(scope="module")
def family_module(tmp_path_factory):
    path = tmp_path_factory.mktemp("family") / "control_programs.py"
    path.write_text("import numpy as np\n\n\n" + "\n\n".join(source for _, source in FAMILY + SEQUENTIAL))
    spec = importlib.util.spec_from_file_location("control_programs", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", FAMILY_NAMES)
def test_family_value_and_gradient(family_module, name):
    f = getattr(family_module, name)
    forward = srcad.vjp(f)
    for c in (1.0, -1.0):
        value, pullback = forward(X_FAMILY, c)
        assert value == f(X_FAMILY, c)
        np.testing.assert_allclose(pullback(1.0), numerical_gradient(f, (X_FAMILY, c), 0), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("name", _every(3))
def test_family_unoptimised_and_forward_mode(family_module, name):
    f = getattr(family_module, name)
    for c in (1.0, -1.0):
        expected = numerical_gradient(f, (X_FAMILY, c), 0)
        np.testing.assert_allclose(srcad.grad(f, optimize=False)(X_FAMILY, c), expected, rtol=1e-5, atol=1e-7)
        value, tangent = srcad.jvp(f)(X_FAMILY, c, V_FAMILY)
        assert value == f(X_FAMILY, c)
        assert tangent == pytest.approx(expected @ V_FAMILY, rel=1e-5, abs=1e-7)


@pytest.mark.parametrize("jump", ["break", "continue", "return"])
def test_jumps_in_a_row_lower_to_code_that_grows_with_the_program(family_module, jump):
    lengths = {}
    for count in (4, 8):
        f = getattr(family_module, f"sequential_{jump}_{count}")
        for c in (-1.0, 2.5, 10.0):
            assert_gradient(srcad.grad(f), f, (X_FAMILY, c))
        lengths[count] = len(srcad.grad(f).source.splitlines())
    assert lengths[8] < 2.5 * lengths[4]  # no statement is copied for each jump


@pytest.mark.parametrize("name", _every(10))
def test_family_hessian_vector_product(family_module, name):
    f = getattr(family_module, name)
    gradient = srcad.grad(f)
    for c in (1.0, -1.0):
        expected = (gradient(X_FAMILY + 1e-6 * V_FAMILY, c) - gradient(X_FAMILY - 1e-6 * V_FAMILY, c)) / 2e-6
        np.testing.assert_allclose(srcad.hvp(f)(X_FAMILY, c, V_FAMILY), expected, rtol=1e-5, atol=1e-6)


def _case_id(case):
    """A test id: a function's name, or the extra arguments (arrays as ``data``)."""
    if callable(case):
        return case.__name__
    return ",".join(str(e) if isinstance(e, float) else "data" for e in case) or "-"


def assert_every_transform(f, args, check_hvp=True):
    """The first argument of ``f`` (an array) through every transform: ``vjp`` gives the value of
    ``f`` and its gradient by finite differences, ``grad`` unoptimised agrees, ``jvp`` is the
    gradient times a direction, and ``hvp`` is the finite difference of ``grad`` along it."""
    expected = numerical_gradient(f, args, 0)
    value, pullback = srcad.vjp(f)(*args)
    assert value == f(*args)
    np.testing.assert_allclose(pullback(1.0), expected, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(srcad.grad(f, optimize=False)(*args), expected, rtol=1e-5, atol=1e-7)
    v = np.linspace(-0.4, 0.3, np.size(args[0])).reshape(np.shape(args[0]))
    value, tangent = srcad.jvp(f)(*args, v)
    assert value == f(*args)
    assert tangent == pytest.approx(np.sum(expected * v), rel=1e-5, abs=1e-7)
    if check_hvp:
        gradient, rest = srcad.grad(f), args[1:]
        by_differences = (gradient(args[0] + 1e-6 * v, *rest) - gradient(args[0] - 1e-6 * v, *rest)) / 2e-6
        np.testing.assert_allclose(srcad.hvp(f)(*args, v), by_differences, rtol=1e-5, atol=1e-6)


# ---------------------------------------------------- jumps nested in branches and loops


def break_in_loop_in_branch(x, z):
    if np.sum(x) > -5:
        for i in range(3):
            if i == 1:
                break
            z = z * 2.0
    return z * np.sum(x)


def continue_in_loop_in_branch(x, z):
    if np.sum(x) > -5:
        for i in range(3):
            if i == 1:
                continue
            z = z * 2.0
    return z * np.sum(x)


def code_after_break(z):
    if z > -0.82:
        while True:
            break
            z = np.minimum(np.array([z, z]), -0.15)
    return z


def code_after_an_endless_loop(x):
    y = x * 1.0
    while True:
        y = np.sin(y) * 2.0
        if np.sum(y) > -100.0:
            return np.sum(y * y)
    y = np.minimum(y, -0.15)
    return np.sum(y)


def both_branches_return(x, c):
    y = x * 2.0
    if c > 0:
        if c > 1:
            return np.sum(np.sin(y))
        else:
            return np.sum(y * y)
    else:
        return np.sum(np.exp(y))
    y = np.minimum(y, -0.15)
    return np.sum(y)


def early_return_in_loop_in_branch(x, c):
    y = x * 1.0
    if c > 0:
        for i in range(4):
            y = np.sin(y) * 1.5
            if i == 2:
                return np.sum(y * x)
    else:
        while True:
            y = y * 0.5
            return np.sum(y)
    return np.sum(y ** 2)


def loop_in_branch_in_loop_with_break(x):
    y = x * 1.0
    for i in range(3):
        if i != 1:
            n = 0
            while n < 4:
                n = n + 1
                y = np.tanh(y) * 1.7
                if n == i + 2:
                    break
        y = y * x
    return np.sum(y)


def test_break_inside_a_loop_inside_a_branch_replays_the_right_iterations():
    x = np.array([0.5, -1.2, 0.8])
    assert srcad.grad(break_in_loop_in_branch, wrt=1)(x, 0.7) == pytest.approx(0.2)
    assert srcad.grad(continue_in_loop_in_branch, wrt=1)(x, 0.7) == pytest.approx(0.4)
    for f in (break_in_loop_in_branch, continue_in_loop_in_branch):
        assert srcad.jvp(f, wrt=1)(x, 0.7, 1.0)[1] == pytest.approx(srcad.grad(f, wrt=1)(x, 0.7))
        assert_gradient(srcad.grad(f, wrt=(0, 1)), f, (x, 0.7), wrt=(0, 1))


def test_statements_after_a_jump_are_never_differentiated():
    assert srcad.grad(code_after_break)(0.4) == 1.0
    assert srcad.value_and_grad(code_after_break)(0.4) == (0.4, 1.0)
    assert "minimum" not in srcad.grad(code_after_break, optimize=False).source
    assert "minimum" not in srcad.grad(code_after_an_endless_loop, optimize=False).source
    assert "minimum" not in srcad.grad(both_branches_return, optimize=False).source


@pytest.mark.parametrize("f, extra", [
    (code_after_an_endless_loop, ()), (both_branches_return, (2.0,)), (both_branches_return, (0.5,)),
    (both_branches_return, (-1.0,)), (early_return_in_loop_in_branch, (1.0,)),
    (early_return_in_loop_in_branch, (-1.0,)), (loop_in_branch_in_loop_with_break, ()),
], ids=_case_id)
def test_nested_jumps_through_every_transform(f, extra):
    assert_every_transform(f, (np.array([0.3, -0.6, 0.45]),) + extra)


# ---------------------------------------------------- consecutive loops reusing names


def same_names_twice(x):
    y = x
    for i in range(3):
        t = np.sin(y)
        y = t * x
    for i in range(2):
        t = np.cos(y) * t
        y = t + y * x
    return np.sum(y)


def rows_twice(x, rows):
    s = x
    for row in rows:
        s = np.tanh(s * row)
    for row in rows:
        s = s * row + np.sin(s)
    return np.sum(s)


def while_then_for_on_the_same_counter(x):
    y = x
    n = 0
    while n < 3:
        n = n + 1
        y = np.sin(y) + x
    for n in range(2):
        y = y * np.cos(y)
    return np.sum(y)


def loops_then_a_loop_in_a_branch(x, c):
    y = x
    for i in range(3):
        t = np.sin(y)
        y = t * x
    if c > 0:
        for i in range(2):
            t = t * y
            y = y * t
    return np.sum(y)


def overwritten_in_two_branches(x, c):
    if c > 0:
        y = x * 2.0
    if c > 1:
        y = np.sin(y)
    return np.sum(y)


def three_loops_with_jumps(x):
    y = x
    for i in range(4):
        y = np.sin(y) * 1.3
        if i == 2:
            break
    for i in range(4):
        if i == 1:
            continue
        y = np.cos(y) * y
    for i in range(2):
        y = y * x
    return np.sum(y)


@pytest.mark.parametrize("f, extra", [
    (same_names_twice, ()), (rows_twice, (np.array([[0.5, -1.0, 2.0], [1.5, 0.3, -0.7]]),)),
    (while_then_for_on_the_same_counter, ()), (loops_then_a_loop_in_a_branch, (1.0,)),
    (loops_then_a_loop_in_a_branch, (-1.0,)), (overwritten_in_two_branches, (2.0,)),
    (overwritten_in_two_branches, (0.5,)), (three_loops_with_jumps, ()),
], ids=_case_id)
def test_consecutive_loops_keep_what_the_backward_sweep_reads(f, extra):
    assert_every_transform(f, (np.array([0.3, -0.6, 0.45]),) + extra)


def mlp_with_weight_decay(params, x):
    h = x
    for W, b in params:
        h = np.tanh(h @ W + b)
    decay = 0.0
    for W, b in params:
        decay = decay + np.sum(W ** 2) + np.sum(b ** 2)
    return np.sum(h ** 2) + 0.1 * decay


def mlp_decay_first(params, x):
    decay = 0.0
    for W, b in params:
        decay = decay + np.sum(W ** 2)
    h = x
    for W, b in params:
        h = np.tanh(h @ W + b)
    return np.sum(h ** 2) + 0.1 * decay


@pytest.mark.parametrize("f", [mlp_with_weight_decay, mlp_decay_first])
@pytest.mark.parametrize("container", [list, tuple])
def test_two_loops_over_the_same_parameters(f, container):
    rng = np.random.default_rng(3)
    layers = [(rng.normal(size=(3, 4)) * 0.5, rng.normal(size=4)), (rng.normal(size=(4, 2)) * 0.5, rng.normal(size=2))]
    x = rng.normal(size=(5, 3))
    params = container(layers)
    gradients = srcad.grad(f)(params, x)
    assert type(gradients) is container
    for layer, (W, b) in enumerate(layers):
        for position, leaf in enumerate((W, b)):
            def of_leaf(value, layer=layer, position=position):
                changed = [list(pair) for pair in layers]
                changed[layer][position] = value
                return f(container(tuple(pair) for pair in changed), x)
            np.testing.assert_allclose(gradients[layer][position], numerical_gradient(of_leaf, (leaf,), 0),
                                       rtol=1e-5, atol=1e-7)


def mlp_over_dict_items_twice(params, x):
    h = x
    for name, W in params.items():
        h = np.tanh(h @ W)
    decay = 0.0
    for name, W in params.items():
        decay = decay + np.sum(W ** 2)
    return np.sum(h ** 2) + 0.1 * decay


def _leaves(tree):
    return [leaf for item in (tree.values() if isinstance(tree, dict) else tree) for leaf in
            (_leaves(item) if isinstance(item, (list, tuple, dict)) else [item])]


def _along(tree, direction, step):
    """``tree + step * direction``, leaf by leaf, in the same containers."""
    if isinstance(tree, dict):
        return {key: _along(tree[key], direction[key], step) for key in tree}
    if isinstance(tree, (list, tuple)):
        return type(tree)(_along(a, b, step) for a, b in zip(tree, direction))
    return tree + step * direction


@pytest.mark.parametrize("f, params, second_order", [
    (mlp_with_weight_decay, [(np.full((3, 4), 0.3), np.linspace(-1, 1, 4)), (np.eye(4)[:, :2], np.ones(2))], True),
    (mlp_decay_first, ((np.full((3, 4), 0.3), np.linspace(-1, 1, 4)), (np.eye(4)[:, :2], np.ones(2))), True),
    # (forward mode over a loop on dict items, as hvp needs, is not there yet)
    (mlp_over_dict_items_twice, {"first": np.full((3, 3), 0.4), "second": np.linspace(-1, 1, 6).reshape(3, 2)},
     False),
], ids=["list", "tuple", "dict"])
def test_two_loops_over_the_same_parameters_in_every_mode(f, params, second_order):
    x = np.linspace(-1.0, 1.0, 15).reshape(5, 3)
    direction = _along(params, params, -0.5)  # any tree of the same shapes
    gradient = srcad.grad(f)(params, x)
    for unoptimised, optimised in zip(_leaves(srcad.grad(f, optimize=False)(params, x)), _leaves(gradient)):
        np.testing.assert_allclose(unoptimised, optimised, rtol=1e-12)
    value, tangent = srcad.jvp(f)(params, x, direction)
    assert value == f(params, x)
    assert tangent == pytest.approx(sum(np.sum(g * v) for g, v in zip(_leaves(gradient), _leaves(direction))))
    by_differences = (f(_along(params, direction, 1e-6), x) - f(_along(params, direction, -1e-6), x)) / 2e-6
    assert tangent == pytest.approx(by_differences, rel=1e-6)
    if not second_order:
        return
    hvp = srcad.hvp(f)(params, x, direction)
    plus, minus = srcad.grad(f)(_along(params, direction, 1e-6), x), srcad.grad(f)(_along(params, direction, -1e-6), x)
    for got, p, m in zip(_leaves(hvp), _leaves(plus), _leaves(minus)):
        np.testing.assert_allclose(got, (p - m) / 2e-6, rtol=1e-5, atol=1e-7)
