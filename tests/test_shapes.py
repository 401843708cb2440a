"""The shape facts the optimiser uses (srcad/shapes.py) are proven from every operand: the
optimised derivative equals the unoptimised one and finite differences, on programs that
mix scalars, Python builtins applied to arrays, NumPy reductions and broadcasting.
"""
import math

import numpy as np
import pytest

import srcad
from gradcheck import assert_modes_agree, numerical_gradient
from program_helpers import load_function
from srcad import nn

RNG = np.random.default_rng(11)
M = RNG.normal(size=(2, 3))
V = RNG.normal(size=3)
B3 = RNG.normal(size=(2, 2, 3))


# ------------------------------------------------ the reproducers
def abs_of_an_array_times_x(x, b):
    return np.sum(abs(b) * x)


def builtin_sum_of_a_list_of_arrays(z):
    z = sum([z, z]) * z
    return np.sum(z)


def builtin_sum_of_columns_over_a_concatenation(x):
    return np.sum(sum([x[:, None], x[:, None]]) / np.concatenate([x, x]))


def abs_of_a_scalar_times_an_array(z, x):
    v1 = (x - z).min()
    v3 = abs(v1 * np.ones((2, 3)))
    v3 = np.sum(v3) * v3
    return np.sum(v3)


def sum_of_a_float_and_an_array(a, b, c, *, shift=0.14):
    return sum([shift, c * np.ones(2)]) * b[:2]


def keyword_only_default_through_a_helper(x, data):
    return np.sum(sum_of_a_float_and_an_array(x, data, x))


# ------------------------------------------------ builtins on arrays and numbers
def abs_of_a_matrix(x):
    return np.sum(abs(x * M) * x)


def abs_of_a_number(x):
    return np.sum(abs(np.sum(x) - 1.0) * x)


def round_of_an_array_keeps_its_shape(x):
    return np.sum(round(np.sum(x), 2) * x + np.round(x * M, 1) * x)


def float_and_len(x):
    return float(np.sum(x)) * np.sum(x * len(x))


def max_of_numbers(x):
    return max(np.sum(x), 0.5, np.sum(x * x)) * np.sum(x)


def max_of_a_vector(x):
    return max(x) * np.sum(x)


def min_of_two_arrays_of_one_element(x):
    return np.sum(min(x[:1], x[1:2] * 3.0) * x)


def sum_of_a_tuple_with_a_start(x):
    return np.sum(sum((x, x * M), np.ones((2, 1))) * x)


def sum_of_a_vector_is_a_number(x):
    return sum(x) * np.sum(x * x)


def sum_of_a_matrix_is_its_row_sum(x):
    return np.sum(sum(x * M) * x)


def sum_of_a_list_built_in_a_loop(x):
    parts = []
    for i in range(3):
        parts.append(x * (i + 1.0))
    return np.sum(sum(parts) * x)


def sum_of_a_list_that_grows_later(x):
    parts = [x, 2.0]
    parts.append(x * M)
    return np.sum(sum(parts) * x)


def math_functions_give_numbers(x):
    return math.exp(np.sum(x) * 0.1) * np.sum(x) + math.sqrt(np.sum(x * x))


# ------------------------------------------------ NumPy functions whose shape depends on their operands
def trace_of_a_stack(x):
    return np.sum(np.trace(B3 * x, axis1=1, axis2=2) * x[:2])


def trace_of_a_3d_array(x):
    return np.sum(np.trace(B3 * x) * x)


def sum_with_an_axis(x):
    return np.sum(np.sum(x * M, axis=0) * x)


def clip_with_array_bounds(x):
    return np.sum(np.clip(x[0], a_min=-M, a_max=M) * x)


def where_of_three(x):
    return np.sum(np.where(M > 0, x, x[0]) * x)


def leaky_relu_with_an_array_slope(x):
    return np.sum(nn.leaky_relu(x * M, M[0]) * x)


def softmax_keeps_its_shape(x):
    return np.sum(nn.softmax(x * M, axis=0) * x)


def scalar_times_everything(x):
    s = np.sum(x) * 2.0
    t = s * x + np.mean(x * M)
    return np.sum(t * t) + s


def not_is_a_truth_value(x):
    flag = not np.sum(x) > 10.0
    return np.sum((x * flag) * M)


def broadcast_in_a_loop(x):
    acc = 0.0
    for i in range(3):
        acc = acc + x * M * i
    return np.sum(acc * x)


def reduction_of_a_list(x):
    return np.sum(x * np.max([x, x * 2.0]))


PROGRAMS = [
    (abs_of_an_array_times_x, (V, M)),
    (builtin_sum_of_a_list_of_arrays, (M,)),
    (builtin_sum_of_columns_over_a_concatenation, (V,)),
    (abs_of_a_scalar_times_an_array, (0.3, V)),
    (keyword_only_default_through_a_helper, (0.7, V)),
    (abs_of_a_matrix, (V,)),
    (abs_of_a_number, (V,)),
    (round_of_an_array_keeps_its_shape, (V,)),
    (float_and_len, (V,)),
    (max_of_numbers, (V,)),
    (max_of_a_vector, (V,)),
    (min_of_two_arrays_of_one_element, (V,)),
    (sum_of_a_tuple_with_a_start, (V,)),
    (sum_of_a_vector_is_a_number, (V,)),
    (sum_of_a_matrix_is_its_row_sum, (V,)),
    (sum_of_a_list_built_in_a_loop, (V,)),
    (sum_of_a_list_that_grows_later, (V,)),
    (math_functions_give_numbers, (V,)),
    (trace_of_a_stack, (V,)),
    (trace_of_a_3d_array, (V,)),
    (sum_with_an_axis, (V,)),
    (clip_with_array_bounds, (V,)),
    (where_of_three, (V,)),
    (leaky_relu_with_an_array_slope, (V,)),
    (softmax_keeps_its_shape, (V,)),
    (scalar_times_everything, (V,)),
    (not_is_a_truth_value, (V,)),
    (broadcast_in_a_loop, (V,)),
    (reduction_of_a_list, (V,)),
]
IDS = [f.__name__ for f, _ in PROGRAMS]


@pytest.mark.parametrize("f, args", PROGRAMS, ids=IDS)
def test_optimised_and_unoptimised_gradients_agree(f, args):
    optimised = srcad.grad(f, optimize=True)(*args)
    plain = srcad.grad(f, optimize=False)(*args)
    assert np.shape(optimised) == np.shape(plain) == np.shape(args[0])
    np.testing.assert_allclose(optimised, plain, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("f, args", PROGRAMS, ids=IDS)
def test_both_modes_match_finite_differences(f, args):
    assert_modes_agree(f, args)


@pytest.mark.parametrize("f, args", PROGRAMS[:6], ids=IDS[:6])
def test_every_argument_of_the_reproducers(f, args):
    for position in range(len(args)):
        expected = numerical_gradient(f, args, position)
        for optimize in (True, False):
            np.testing.assert_allclose(srcad.grad(f, position, optimize=optimize)(*args), expected,
                                       rtol=1e-5, atol=1e-7)


def test_abs_of_an_array_is_not_summed_to_a_scalar():
    source = srcad.grad(abs_of_an_array_times_x, 1).source
    assert "sum_to_scalar" not in source
    np.testing.assert_allclose(srcad.grad(abs_of_an_array_times_x, 1)(V, M), V * np.sign(M))


def test_the_scalar_of_a_builtin_sum_of_arrays_is_its_broadcast():
    """``sum([z, z])`` of an array has ``z``'s shape: the optimiser may drop the broadcast
    reduction, never replace it by a sum to a scalar."""
    source = srcad.grad(builtin_sum_of_a_list_of_arrays).source
    assert "sum_to_scalar" not in source and "unbroadcast" not in source


# ------------------------------------------------ every builtin and reduction on every kind of operand
# operands: a number, the vector x, a matrix and a column, each a different shape
OPERANDS = {"number": "(np.sum(x) * 0.3)", "vector": "(x * 1.5)", "matrix": "(x * M)", "column": "(x[:, None] - 0.2)"}
# (wrapper, kinds of operand it accepts); {0} is the operand
WRAPPERS = [
    ("abs({0})", "number vector matrix column"),
    ("round({0}, 3) + {0}", "number"),
    ("sum([{0}, {0} * 2.0])", "number vector matrix column"),
    ("sum(({0}, 2.0), 1.0)", "number vector matrix column"),
    ("sum([0.5, {0}, x])", "number vector matrix column"),
    ("max({0}, 0.1) + min([{0}, 1.5])", "number"),
    ("float({0}) + int(2.0)", "number"),
    ("math.tanh({0}) * {0}", "number"),
    ("np.sum({0}) * {0}", "number vector matrix column"),
    ("np.mean({0}) + np.max({0}) * {0}", "number vector matrix column"),
    ("np.std({0}) + np.var({0}) * {0}", "vector matrix column"),
    ("np.clip({0}, -1.0, 1.0)", "number vector matrix column"),
    ("np.where(x > 0, {0}, 0.5)", "number vector matrix column"),
    ("np.tanh({0}) * len(x)", "number vector matrix column"),
    ("-{0} if not np.sum(x) > 5.0 else {0}", "number vector matrix column"),
    ("np.linalg.norm({0}) * {0}", "number vector matrix column"),
]
GENERATED = [(wrapper.format(operand), kind) for wrapper, kinds in WRAPPERS for kind, operand in OPERANDS.items()
             if kind in kinds.split()]
PROGRAM = """
M = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])


def f(x):
    v = {}
    w = v * x
    return np.sum(w) + np.sum(v * v) * 0.5
"""


@pytest.mark.parametrize("expression", [e for e, _ in GENERATED], ids=[f"{e} [{k}]" for e, k in GENERATED])
def test_builtins_and_reductions_on_every_kind_of_operand(expression, tmp_path):
    f = load_function(PROGRAM.format(expression), tmp_path)
    x = np.array([0.4, -0.9, 1.3])
    optimised, plain = srcad.grad(f)(x), srcad.grad(f, optimize=False)(x)
    np.testing.assert_allclose(optimised, plain, rtol=1e-12, atol=1e-12)
    assert_modes_agree(f, (x,))


@pytest.mark.parametrize("f, args", [p for p in PROGRAMS if not isinstance(p[1][0], float)][:12],
                         ids=[f.__name__ for f, a in PROGRAMS if not isinstance(a[0], float)][:12])
def test_second_order_through_the_same_facts(f, args):
    """``hvp`` differentiates the generated (optimised) gradient again: it must agree with
    finite differences of the gradient."""
    direction = np.random.default_rng(3).normal(size=np.shape(args[0]))
    step = 1e-5
    gradient = srcad.grad(f)
    moved = [list(args), list(args)]
    moved[0][0], moved[1][0] = args[0] + step * direction, args[0] - step * direction
    expected = (gradient(*moved[0]) - gradient(*moved[1])) / (2 * step)
    np.testing.assert_allclose(srcad.hvp(f)(*args, direction), expected, rtol=1e-4, atol=1e-6)
