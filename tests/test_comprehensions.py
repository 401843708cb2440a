"""Comprehensions, generator expressions and lambdas (lowered by desugar into loops and
nested functions): values, gradients in both modes, and second order, against finite
differences; and the forms that stay refused."""
import numpy as np
import pytest

import srcad
from gradcheck import assert_all_modes, numerical_gradient
from program_helpers import load_function

RNG = np.random.default_rng(3)
X = RNG.normal(size=3)
WS = [RNG.normal(size=3) for _ in range(3)]
XS = [RNG.normal(size=3) for _ in range(3)]
W = RNG.normal(size=(3, 3)) * 0.5


def sum_of_list(ws, xs):
    return sum([np.sum(w * x) for w, x in zip(ws, xs)])


def sum_of_generator(x):
    return sum(np.sum(x ** k) / (k + 1) for k in range(4))


def dict_comprehension(params):
    doubled = {k: v * 2.0 for k, v in params.items()}
    return np.sum(doubled["a"] * doubled["b"])


def dict_comprehension_with_a_filter(params):
    kept = {k: np.sin(params[k]) for k in params if k != "b"}
    return sum(np.sum(v ** 2) for v in kept.values())


def nested_fors(ws, xs):
    products = [np.sum(w * x) for w in ws for x in xs]
    return sum(products)


def nested_fors_with_filters(ws, xs):
    return sum(np.sum(w * x) for i, w in enumerate(ws) if i != 1 for j, x in enumerate(xs) if j >= i)


def nested_comprehension(ws, xs):
    rows = [[np.tanh(w * x) for x in xs] for w in ws]
    return sum(np.sum(r[0] * r[-1]) for r in rows)


def filter_on_constants(ws, scales):
    return sum([np.sum(w) * c for w, c in zip(ws, scales) if c > 0])


def the_function_has_a_variable_of_the_same_name(x, xs):
    x = x * 2.0
    squares = [x * x for x in xs]
    return np.sum(x * squares[0]) + sum(np.sum(s) for s in squares)


def an_inner_comprehension_reuses_the_name(ws):
    return sum([sum([np.sum(x * 2.0) for x in x]) * np.sum(x) for x in ws])


def pairs_then_unpacked(ws, xs):
    pairs = [(w * 2.0, x) for w, x in zip(ws, xs)]
    return sum(np.sum(a * b) for a, b in pairs)


def comprehension_as_a_loop_iterable(x):
    total = 0.0
    for v in [x * k for k in range(1, 4)]:
        total = total + np.sum(np.sin(v))
    return total


def comprehension_in_a_loop_with_a_jump(x):
    for k in range(5):
        x = np.tanh(x) * 1.5
        if k == 2:
            return sum([np.sum(x * t) for t in range(3)])
    return np.sum(x)


def comprehension_in_a_while_condition(x):
    done = []
    while len([d for d in done if d]) < 3:
        x = np.sin(x) * 1.3
        done.append(True)
    return np.sum(x * x)


def comprehension_in_a_condition(ws, x):
    if max(np.sum(np.abs(w)) for w in ws) > 0.0:
        x = x * sum(np.sum(w) for w in ws)
    return np.sum(x ** 2)


def comprehension_in_a_nested_function(ws, x):
    def total(scale):
        return sum(np.sum(w * scale) for w in ws)
    return total(x) * np.sum(x)


def set_comprehension_of_sizes(x, xs):
    sizes = {len(v) for v in xs}
    return np.sum(x) * len(sizes)


def comprehension_over_a_matrix(W):
    return sum([np.sum(row ** 2) * i for i, row in enumerate(W)])


def comprehension_building_a_list_of_layers(W, x):
    layers = [W * (k + 1.0) for k in range(3)]
    for layer in layers:
        x = np.tanh(layer @ x)
    return np.sum(x)


def docs_example(ws, xs, params):
    act = lambda z: np.maximum(z, 0.0)  # noqa: E731
    total = sum([np.sum(act(w * x)) for w, x in zip(ws, xs) if w.ndim == 1])
    scaled = {k: v * 2.0 for k, v in params.items()}
    return total + sum(np.sum(v ** 2) for v in scaled.values())


CASES = {
    "the example of docs/programs.md": (docs_example, (WS, XS, {"a": X, "b": X + 0.5}), 0),
    "the example of docs/programs.md, the dict": (docs_example, (WS, XS, {"a": X, "b": X + 0.5}), 2),
    "sum of a list": (sum_of_list, (WS, XS), 0),
    "sum of a list, second argument": (sum_of_list, (WS, XS), 1),
    "sum of a generator": (sum_of_generator, (X,), 0),
    "dict comprehension": (dict_comprehension, ({"a": X, "b": X * 2.0 + 1.0},), 0),
    "dict comprehension with a filter": (dict_comprehension_with_a_filter, ({"a": X, "b": X + 1.0, "c": -X},), 0),
    "nested fors": (nested_fors, (WS, XS), 0),
    "nested fors with filters": (nested_fors_with_filters, (WS, XS), 1),
    "nested comprehension": (nested_comprehension, (WS, XS), 0),
    "filter on constants": (filter_on_constants, (WS, [1.0, -1.0, 2.0]), 0),
    "a variable of the same name": (the_function_has_a_variable_of_the_same_name, (X, XS), 0),
    "a variable of the same name, the list": (the_function_has_a_variable_of_the_same_name, (X, XS), 1),
    "an inner comprehension reuses the name": (an_inner_comprehension_reuses_the_name, (WS,), 0),
    "pairs then unpacked": (pairs_then_unpacked, (WS, XS), 0),
    "comprehension as a loop's iterable": (comprehension_as_a_loop_iterable, (X,), 0),
    "comprehension in a loop with a jump": (comprehension_in_a_loop_with_a_jump, (X,), 0),
    "comprehension in a while condition": (comprehension_in_a_while_condition, (X,), 0),
    "comprehension in a condition": (comprehension_in_a_condition, (WS, X), 0),
    "comprehension in a nested function": (comprehension_in_a_nested_function, (WS, X), 1),
    "comprehension in a nested function, what it reads": (comprehension_in_a_nested_function, (WS, X), 0),
    "set comprehension": (set_comprehension_of_sizes, (X, XS), 0),
    "over a matrix": (comprehension_over_a_matrix, (W,), 0),
    "a list of layers": (comprehension_building_a_list_of_layers, (W, X), 0),
}


@pytest.mark.parametrize("case", CASES)
def test_comprehensions_in_every_mode(case):
    f, args, wrt = CASES[case]
    assert_all_modes(f, args, wrt)


@pytest.mark.parametrize("case", CASES)
def test_the_derivative_computes_the_functions_value(case):
    f, args, wrt = CASES[case]
    value, _ = srcad.value_and_grad(f, wrt)(*args)
    assert value == f(*args)


def series(t):
    return sum(t ** k / (k + 1.0) for k in range(1, 5) if k != 2)


def test_nested_grad_through_a_generator():
    second = srcad.grad(srcad.grad(series))
    expected = sum(k * (k - 1) * 0.4 ** (k - 2) / (k + 1.0) for k in range(1, 5) if k != 2)
    assert np.isclose(second(0.4), expected)
    assert np.isclose(srcad.grad(series, optimize=False)(0.4), numerical_gradient(series, [0.4], 0))


def test_a_comprehension_reads_as_a_loop_that_appends():
    source = srcad.grad(sum_of_list).source
    assert "sum_values = []" in source and "sum_values.append(" in source
    assert "for i in range(" in source


def test_a_dict_comprehension_fills_the_variable_it_is_assigned_to():
    source = srcad.grad(dict_comprehension).source
    assert "doubled = {}" in source and "doubled[k] = " in source


# ------------------------------------------------------------------------ lambdas


def apply(function, value):
    return function(value)


def lambda_assigned_to_a_name(x):
    act = lambda z: np.maximum(z, 0.0) + np.tanh(z)  # noqa: E731 - what is tested
    return np.sum(act(act(x) * 2.0))


def lambda_reading_a_variable(W, x):
    layer = lambda z: np.tanh(W @ z)  # noqa: E731
    return np.sum(layer(layer(x)))


def lambda_passed_as_an_argument(x):
    return np.sum(apply(lambda z: z * np.sin(z), x))


def lambda_called_where_it_is_written(x):
    return np.sum((lambda z, k=2.0: np.sin(z) * k)(x))


def lambdas_in_a_dict(x, name="smooth"):
    activations = {"smooth": lambda z: np.log(1.0 + np.exp(z)), "sharp": lambda z: np.maximum(z, 0.0)}
    return np.sum(activations[name](x))


def lambda_in_a_comprehension(ws, x):
    return sum([(lambda z: np.sum(z * w))(x) for w in ws])


def comprehension_in_a_lambda(ws, x):
    total = lambda z: sum([np.sum(w * z) for w in ws])  # noqa: E731
    return total(x) * total(x * 2.0)


LAMBDA_CASES = {
    "assigned to a name": (lambda_assigned_to_a_name, (X,), 0),
    "reading a variable, the variable": (lambda_reading_a_variable, (W, X), 0),
    "reading a variable, the argument": (lambda_reading_a_variable, (W, X), 1),
    "passed as an argument": (lambda_passed_as_an_argument, (X,), 0),
    "called where it is written": (lambda_called_where_it_is_written, (X,), 0),
    "in a dict": (lambdas_in_a_dict, (X,), 0),
    "in a comprehension": (lambda_in_a_comprehension, (WS, X), 1),
    "in a comprehension, what it reads": (lambda_in_a_comprehension, (WS, X), 0),
    "a comprehension in a lambda": (comprehension_in_a_lambda, (WS, X), 1),
    "a comprehension in a lambda, what it reads": (comprehension_in_a_lambda, (WS, X), 0),
}


@pytest.mark.parametrize("case", LAMBDA_CASES)
def test_lambdas_in_every_mode(case):
    f, args, wrt = LAMBDA_CASES[case]
    assert_all_modes(f, args, wrt)
    assert srcad.value_and_grad(f, wrt)(*args)[0] == f(*args)


def test_a_lambda_assigned_to_a_name_becomes_a_function_of_that_name():
    assert "def act_forward(z):" in srcad.grad(lambda_assigned_to_a_name).source


# ------------------------------------------------------------- what stays refused


@pytest.mark.parametrize("source, message", [
    ("def f(x):\n    g = (t * 2.0 for t in x)\n    return sum(g)\n", "a generator expression that is not"),
    ("def f(x, c=True):\n    return np.sum(x if c else [t * 2.0 for t in x])\n", "branch of a conditional"),
    ("def f(x, c=True):\n    return np.sum(x) if c or any(t > 0 for t in x) else 0.0\n", "after `and`/`or`"),
    ("def apply(g, v):\n    return g(v)\n\n\ndef f(x, w):\n    return np.sum(apply(lambda z: z * w, x))\n",
     "reads w of the function around it"),
    ("def f(x, w):\n    act = lambda z: z * w\n    return np.sum(list(map(act, x)))\n", "reads w of the function"),
])
def test_what_srcad_cannot_lower_is_refused(source, message, tmp_path):
    f = load_function(source, tmp_path)
    args = (X,) if f.__code__.co_argcount == 1 or f.__defaults__ else (X, 2.0)
    for transform in (srcad.grad, srcad.jvp):
        with pytest.raises(srcad.UnsupportedSyntaxError, match=message):
            transform(f)(*args) if transform is srcad.grad else transform(f)(*args, X)
