"""Forward mode against reverse mode.

The two modes compute the same linear map from opposite ends, so for every
function and every pair of directions ``<g, J v> == <J^T g, v>`` (jvp against
vjp), and the Jacobian built column by column (forward) equals the one built
row by row (reverse). Parametrised over the control-flow cases of the reverse
mode's tests, over rules of each kind, and over whole programs.
"""
import re

import numpy as np
import pytest

import srcad
import gradcheck
import test_control_flow as control_flow
import test_programs as programs
import test_rules_builtins
import test_rules_helpers
import test_rules_math
import test_rules_numpy
import test_rules_operators
from rule_harness import SUBSCRIPTS
from srcad import nn
from srcad.api.imports import without_imports
from srcad.runtime.dispatch import call_shape_caller

RNG = np.random.default_rng(11)


def inner(a, b):
    """Sum of elementwise products, through tuples and lists."""
    if isinstance(a, (tuple, list)):
        return sum(inner(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return sum(inner(a[key], b[key]) for key in a)
    return float(np.sum(np.asarray(a, dtype=float) * np.asarray(b, dtype=float)))


def random_like(x):
    if isinstance(x, (tuple, list)):
        return type(x)(random_like(item) for item in x)
    if isinstance(x, dict):
        return {key: random_like(value) for key, value in x.items()}
    if isinstance(x, float):
        return float(RNG.standard_normal())
    return RNG.standard_normal(np.shape(x))


def assert_modes_agree(f, args, wrt=0, jacobians=True):
    """jvp, vjp and (for array arguments) both Jacobians of ``f`` agree."""
    positions = wrt if isinstance(wrt, tuple) else (wrt,)
    directions = [random_like(args[p]) for p in positions]
    out, out_tangent = srcad.jvp(f, wrt)(*args, *directions)
    value, pullback = srcad.vjp(f, wrt)(*args)
    expected = f(*args)
    assert inner(out, out) == pytest.approx(inner(expected, expected), rel=1e-12)
    assert inner(value, value) == pytest.approx(inner(expected, expected), rel=1e-12)
    cotangent = random_like(value)
    grads = pullback(cotangent)
    grads = grads if isinstance(wrt, tuple) else (grads,)
    forward, reverse = inner(cotangent, out_tangent), sum(inner(g, v) for g, v in zip(grads, directions))
    assert forward == pytest.approx(reverse, rel=1e-9, abs=1e-12)
    if jacobians and not isinstance(value, (tuple, list, dict)):
        by_columns = srcad.jacobian(f, wrt, mode="forward")(*args)
        by_rows = srcad.jacobian(f, wrt, mode="reverse")(*args)
        by_columns = by_columns if isinstance(wrt, tuple) else (by_columns,)
        by_rows = by_rows if isinstance(wrt, tuple) else (by_rows,)
        for column_built, row_built, p in zip(by_columns, by_rows, positions):
            assert column_built.shape == np.shape(value) + np.shape(args[p])
            np.testing.assert_allclose(column_built, row_built, rtol=1e-9, atol=1e-12)


# ---------------------------------------------- every control-flow form

@pytest.mark.parametrize("x_name", sorted(control_flow.INPUTS))
@pytest.mark.parametrize("function, extra", control_flow.CASES, ids=lambda c: getattr(c, "__name__", repr(c)))
def test_control_flow_forward_matches_reverse(function, extra, x_name):
    x = control_flow.INPUTS[x_name].copy()
    assert_modes_agree(function, (x,) + extra)


def test_rnn_forward_matches_reverse():
    args = (RNG.normal(size=(4, 4)) * 0.5, RNG.normal(size=(4, 3)), RNG.normal(size=(5, 3)))
    assert_modes_agree(control_flow.rnn, args, wrt=(0, 1))


# ---------------------------------------------- rules of every kind


def elementwise(x):
    return np.sin(x) * np.exp(-x) + np.tanh(x) ** 2 + np.log1p(x * x) + np.sqrt(x * x + 1.0)


def piecewise(x):
    return np.maximum(x, 0.1) + np.where(x > 0.2, x * 3.0, -x) + np.abs(x) + np.clip(x, -0.5, 0.5)


def reductions_with_axis(m):
    return (np.sum(m, axis=0) + np.mean(m ** 2, axis=0) + np.max(m, axis=0)
            + np.var(m, axis=0) + np.std(m, axis=0) + np.linalg.norm(m, axis=0))


def keepdims_and_methods(m):
    return m.sum(axis=1, keepdims=True) * m - m.mean() + m.T.max(axis=1)


def matmul_forms(W, x):
    return np.tanh(W @ x) @ W + x @ W.T @ W @ x


def batched_matmul(A, B):
    return np.sum(A @ B, axis=0)


def broadcasting(a, b):
    return a * b + b - a / (b * b + 1.0)


def shapes_and_joins(m):
    flat = np.reshape(m, (-1,))
    joined = np.concatenate([flat, np.sin(flat)])
    return np.stack([joined[:3], joined[3:6] * 2.0]).T.ravel()


def nn_helpers(z):
    return nn.softmax(z, axis=1) * nn.sigmoid(z) + nn.log_softmax(z) + nn.softplus(z) * nn.relu(z)


M = RNG.normal(size=(3, 4))
RULE_CASES = [
    pytest.param(elementwise, (RNG.uniform(0.2, 1.5, size=5),), 0, id="elementwise"),
    pytest.param(piecewise, (np.array([-0.9, -0.3, 0.15, 0.35, 0.8]),), 0, id="piecewise"),
    pytest.param(reductions_with_axis, (M,), 0, id="reductions-with-axis"),
    pytest.param(keepdims_and_methods, (M,), 0, id="keepdims-and-methods"),
    pytest.param(matmul_forms, (RNG.normal(size=(3, 3)), RNG.normal(size=3)), (0, 1), id="matmul"),
    pytest.param(batched_matmul, (RNG.normal(size=(2, 3, 4)), RNG.normal(size=(2, 4, 2))), (0, 1),
                 id="batched-matmul"),
    pytest.param(broadcasting, (RNG.normal(size=(2, 3)), RNG.normal(size=3)), (0, 1), id="broadcasting-row"),
    pytest.param(broadcasting, (RNG.normal(size=(2, 1)), RNG.normal(size=(2, 3))), (0, 1), id="broadcasting-column"),
    pytest.param(broadcasting, (RNG.normal(size=3), 0.7), (0, 1), id="broadcasting-float"),
    pytest.param(shapes_and_joins, (RNG.normal(size=(2, 3)),), 0, id="reshape-concatenate-stack"),
    pytest.param(nn_helpers, (RNG.normal(size=(2, 3)),), 0, id="nn-helpers"),
]


@pytest.mark.parametrize("function, args, wrt", RULE_CASES)
def test_rules_forward_matches_reverse(function, args, wrt):
    assert_modes_agree(function, args, wrt)


def _library_cases():
    """Every case of the rule library's tests whose differentiated arguments are whole
    arguments, as a call of the op inside a Python function (as user code calls it)."""
    for module in (test_rules_operators, test_rules_numpy, test_rules_math, test_rules_builtins,
                   test_rules_helpers):
        for case in module.CASES:
            op, args, kwargs, leaves = case.values
            if leaves is None:
                leaves = [i for i, a in enumerate(args)
                          if isinstance(a, float) or np.issubdtype(getattr(a, "dtype", np.int64), np.floating)]
            # np.r_[...] is spelled as a subscript: test_rules_through_grad runs it as users write it
            if callable(op) and op not in SUBSCRIPTS and leaves and all(isinstance(leaf, int) for leaf in leaves):
                yield pytest.param(op, args, kwargs, tuple(leaves), id=case.id)


@pytest.mark.parametrize("op, args, kwargs, leaves", list(_library_cases()))
def test_every_rule_forward_matches_reverse_through_the_engine(op, args, kwargs, leaves):
    names = sorted(kwargs)
    calls_op = call_shape_caller(op, len(args), tuple(names))  # def call_op(arg0, ..., kw): return op(arg0, ..., kw=kw)
    arguments = tuple(args) + tuple(kwargs[k] for k in names)
    assert_modes_agree(calls_op, arguments, leaves if len(leaves) > 1 else leaves[0], jacobians=False)


def test_only_one_argument_carries_a_tangent():
    a, b = RNG.normal(size=(2, 3)), RNG.normal(size=3)
    assert_modes_agree(broadcasting, (a, b), wrt=1)
    assert_modes_agree(broadcasting, (a, b), wrt=0)


# ---------------------------------------------- whole programs

ONE_ARRAY_PROGRAMS = [
    programs.recursive, programs.helper_in_loop, programs.helper_in_branch, programs.tuple_returning_helper,
    programs.keyword_and_default_arguments, programs.same_helper_twice, programs.through_several_levels,
    programs.other_module, programs.imported_by_name, programs.module_constant, programs.calls_a_closure,
    programs.closure, programs.nested_with_loop, programs.builds_containers, programs.activations_in_a_list,
    programs.write_index, programs.write_mask, programs.augmented_write, programs.write_in_loop,
    programs.overwrite_in_loop, programs.read_forms,
]


@pytest.mark.parametrize("function", ONE_ARRAY_PROGRAMS, ids=lambda f: f.__name__)
def test_programs_forward_matches_reverse(function):
    x = np.array([0.2, 0.45, 0.7, 0.9, 0.1, 0.6])
    if function is programs.read_forms:
        x = np.array([0.2, 0.7, 0.4, 0.9, 0.1, 0.6])
    assert_modes_agree(function, (x[:4] if function is not programs.read_forms else x,))


def test_writes_into_slices_forward_matches_reverse():
    assert_modes_agree(programs.write_slice, (RNG.uniform(0.1, 0.9, size=(2, 4)),))


def test_lists_that_grow_in_a_loop():
    assert_modes_agree(programs.rnn_collecting_states, (RNG.normal(size=(3, 3)) * 0.5, RNG.normal(size=(4, 3))))


def test_parameters_in_containers():
    params = [(RNG.normal(size=(3, 4)), RNG.normal(size=4)), (RNG.normal(size=(4, 2)), RNG.normal(size=2))]
    x = RNG.normal(size=(5, 3))
    assert_modes_agree(programs.mlp_list, (params, x), jacobians=False)
    table = {"W1": RNG.normal(size=(3, 4)), "b1": RNG.normal(size=4), "W2": RNG.normal(size=(4, 2)),
             "b2": RNG.normal(size=2)}
    assert_modes_agree(programs.mlp_dict, (table, x), jacobians=False)
    out, tangent = srcad.jvp(programs.mlp_list)(params, x, random_like(params))
    assert isinstance(tangent, float)


@pytest.mark.parametrize("act", [np.tanh, programs.my_relu, srcad.stop_gradient], ids=lambda a: a.__name__)
def test_a_function_known_only_at_run_time(act):
    params = [(RNG.normal(size=(3, 3)), RNG.normal(size=3))]
    x = RNG.normal(size=3)

    def model(W, x):
        return programs.activation_argument([(W, params[0][1])], x, act)

    assert_modes_agree(model, (params[0][0], x))


def vector_and_scalar(x, W):
    h = np.tanh(W @ x)
    return h * 2.0, np.sum(h ** 2)


def test_tuple_outputs():
    assert_modes_agree(vector_and_scalar, (RNG.normal(size=3), RNG.normal(size=(2, 3))), wrt=(0, 1))


# ---------------------------------------------- the generated source


def mlp(W1, W2, X):
    H = np.maximum(0.0, X @ W1)
    return np.sum(np.tanh(H @ W2))


def test_source_reads_like_hand_written_forward_mode():
    source = without_imports(srcad.jvp(mlp, wrt=(0, 1)).source)
    lines = source.splitlines()
    assert lines[0] == "def jvp_mlp(W1, W2, X, t_W1, t_W2):"
    assert any("t_XW1 = X @ t_W1" in line for line in lines)       # X carries no tangent: one term
    assert not re.search(r"\bt_X\b", source)                      # nor a tangent variable
    assert "tape" not in source and "d_" not in source and "broadcast_like" not in source
    assert "# test_forward.py:" in source
    assert lines[-1].strip().startswith("return (out, t_out)")


def add_row(a, b):
    return a + b


def test_a_dropped_term_keeps_the_result_shape():
    a, b = RNG.normal(size=(2, 3)), RNG.normal(size=3)
    out, tangent = srcad.jvp(add_row, wrt=1)(a, b, np.ones(3))
    assert tangent.shape == (2, 3)
    np.testing.assert_array_equal(tangent, np.ones((2, 3)))
    # `a + b` of two arguments may also join two lists: the zero tangent of `a` stays, shaped like `a`
    assert "zeros_like(a)" in srcad.jvp(add_row, wrt=1).source
    out, tangent = srcad.jvp(add_row, wrt=1)([1.0], [2.0, 3.0], [1.0, 1.0])
    assert out == [1.0, 2.0, 3.0] and tangent == [0.0, 1.0, 1.0]


def test_tangent_of_a_constant_output_is_zero():
    def constant_output(x):
        return np.ones(3) * 2.0

    out, tangent = srcad.jvp(constant_output)(np.ones(3), np.ones(3))
    np.testing.assert_array_equal(tangent, np.zeros(3))


def test_float32_tangents_stay_float32():
    x = RNG.normal(size=4).astype(np.float32)
    out, tangent = srcad.jvp(elementwise)(np.abs(x) + 0.5, np.ones(4, np.float32))
    assert tangent.dtype == np.float32


def test_compiled_once():
    f = srcad.jvp(elementwise)
    f(np.ones(3), np.ones(3))
    first = f._compiled
    f(np.ones(3) * 2.0, np.ones(3))
    assert f._compiled is first


def unknown_call(x):
    return np.sum(np.fft.fft(x).real)


def test_a_call_without_a_tangent_rule_is_named():
    with pytest.raises(srcad.NonDifferentiableError, match="fft"):
        srcad.jvp(unknown_call)(np.ones(4), np.ones(4))


def test_stop_gradient_blocks_the_tangent():
    def f(x):
        return np.sum(x * srcad.stop_gradient(x))

    x, v = RNG.normal(size=3), RNG.normal(size=3)
    _, tangent = srcad.jvp(f)(x, v)
    assert tangent == pytest.approx(np.sum(v * x))


@pytest.mark.parametrize("op", [np.sin, np.tanh, nn.sigmoid, nn.softplus], ids=lambda op: op.__name__)
def test_a_function_with_a_rule_uses_its_rule(op):
    x, v = np.array([-1.0, 0.3, 2.0]), RNG.normal(size=3)
    out, tangent = srcad.jvp(op)(x, v)
    np.testing.assert_allclose(out, op(x), rtol=1e-15)
    _, pullback = srcad.vjp(op)(x)
    np.testing.assert_allclose(tangent, pullback(np.ones(3)) * v, rtol=1e-12)
    assert without_imports(srcad.jvp(op).source).count("\n") == 4  # the value, its tangent from the rule, the return


# ---------------------------------------------- a copy of a spread sequence
def copy_of_spread_list(x):
    xs = [x * 2.0]
    y = np.copy(*xs)
    return np.sum(y * y)


def copy_of_spread_tuple(x):
    pair = (np.sin(x), x)
    y = np.copy(*pair[:1])
    return np.sum(y * x)


def copy_of_spread_in_a_loop(x):
    total = 0.0
    for i in range(3):
        xs = [x * float(i + 1)]
        if i % 2 == 0:
            y = np.copy(*xs)
        else:
            y = xs[0]
        total = total + np.sum(np.tanh(y))
    return total


@pytest.mark.parametrize("function", [copy_of_spread_list, copy_of_spread_tuple, copy_of_spread_in_a_loop],
                         ids=lambda f: f.__name__)
def test_a_copy_of_a_spread_sequence_carries_its_tangent(function):
    """np.copy(*xs) is a call that spreads a sequence, not a copy of one named array: its tangent
    is that of the item (it was read as zero)."""
    x = np.array([0.3, -1.2, 0.7])
    gradcheck.assert_modes_agree(function, (x,))
    assert_modes_agree(function, (x,))
