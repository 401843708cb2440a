"""Builtins over containers as real programs use them: ``zip(*pairs)``, ``zip`` as a value,
``tuple(...)``/``list(...)`` of an iterable, ``enumerate(zip(...))``, ``d.get(k, default)``,
``sorted(d)``, ``for k in d``, ``min``/``max`` of a list; and ``print``/``assert``, which
the derivative runs as the function does."""
import numpy as np
import pytest

import srcad
from gradcheck import assert_all_modes

RNG = np.random.default_rng(11)
X = RNG.normal(size=3)
PAIRS = [(RNG.normal(size=3), RNG.normal(size=3)) for _ in range(3)]
XS = [RNG.normal(size=3) for _ in range(3)]
PARAMS = {"b": RNG.normal(size=3), "a": RNG.normal(size=3)}


def unzipped_pairs(pairs):
    ws, bs = zip(*pairs)
    return np.sum(ws[0] * bs[1]) + np.sum(np.stack(ws) ** 2) + np.sum(bs[2])


def zip_as_a_value(xs, ws):
    pairs = list(zip(xs, ws))
    return sum(np.sum(np.sin(a) * b) for a, b in pairs)


def tuple_of_a_generator(x):
    parts = tuple(x[i] * (i + 1.0) for i in range(3))
    return parts[0] * parts[2] + parts[1]


def list_of_a_generator(xs):
    squares = list(np.tanh(v) ** 2 for v in xs)
    return np.sum(squares[0] * squares[-1])


def tuple_of_a_list(xs):
    frozen = tuple(xs)
    return np.sum(frozen[0] * frozen[1])


def enumerate_zip(xs, ws):
    total = 0.0
    for i, (x, w) in enumerate(zip(xs, ws)):
        total = total + (i + 1.0) * np.sum(np.sin(x) * w)
    return total


def get_with_a_default(params, x):
    scale = params.get("scale", 2.0)
    bias = params.get("a")
    return np.sum(params.get("b", x) * scale + bias) + np.sum(params.get("missing", x) ** 2)


def sorted_keys(params):
    total = 0.0
    for k in sorted(params):
        total = total * 0.5 + np.sum(np.sin(params[k]))
    return total


def keys_of_a_dict(params):
    total = 0.0
    for k in params:
        total = total + np.sum(params[k] ** 3)
    return total


def min_and_max_of_a_list(x):
    values = [x[0] * 2.0, x[1] - 1.0, np.sin(x[2])]
    return max(values) * min(values) + max([v * v for v in values])


def docs_example(pairs, params, x):
    ws, bs = zip(*pairs)
    total = 0.0
    for i, (w, b) in enumerate(zip(ws, bs)):
        total = total + i * np.sum(np.tanh(w * x + b))
    print("total", total)
    assert x.ndim == 1, "x is a vector"
    scale = params.get("scale", 1.0)
    return total * scale + max([np.sum(w) for w in ws])


CASES = {
    "the example of docs/programs.md": (docs_example, (PAIRS, {"scale": 2.0}, X), 0),
    "the example of docs/programs.md, the dict": (docs_example, (PAIRS, {"scale": 2.0}, X), 1),
    "zip(*pairs)": (unzipped_pairs, (PAIRS,), 0),
    "zip as a value": (zip_as_a_value, (XS, XS[::-1]), 1),
    "tuple of a generator": (tuple_of_a_generator, (X,), 0),
    "list of a generator": (list_of_a_generator, (XS,), 0),
    "tuple of a list": (tuple_of_a_list, (XS,), 0),
    "enumerate(zip(...))": (enumerate_zip, (XS, PAIRS[0]), 0),
    "enumerate(zip(...)), second": (enumerate_zip, (XS, PAIRS[0]), 1),
    "d.get(k, default)": (get_with_a_default, (PARAMS, X), 0),
    "d.get, the default": (get_with_a_default, (PARAMS, X), 1),
    "sorted(d)": (sorted_keys, (PARAMS,), 0),
    "for k in d": (keys_of_a_dict, (PARAMS,), 0),
    "min and max of a list": (min_and_max_of_a_list, (X,), 0),
}


@pytest.mark.parametrize("case", CASES)
def test_container_builtins_in_every_mode(case):
    f, args, wrt = CASES[case]
    assert_all_modes(f, args, wrt)
    assert srcad.value_and_grad(f, wrt)(*args)[0] == f(*args)


def test_zip_of_pairs_reads_as_a_transposition():
    assert "transposed_pairs = transposed(pairs)" in srcad.grad(unzipped_pairs).source


def get_of_an_object(thing, x):
    return np.sum(thing.get("w") * x)


class Table:
    def __init__(self, w):
        self.w = w

    def get(self, key):
        return self.w


def test_get_of_an_object_that_is_not_a_dict():
    """Its value is the object's; its derivative is refused, not made up."""
    table = Table(X)
    assert srcad.value_and_grad(get_of_an_object, 1)(table, X)[0] == get_of_an_object(table, X)
    with pytest.raises(srcad.NonDifferentiableError, match="get"):
        srcad.grad(get_of_an_object, 0)(table, X)


# ------------------------------------------------------------- print and assert


def prints_and_checks(x):
    print("x is", x)
    _ = print("again", np.sum(x))
    y = np.sin(x)
    shown = print(f"y={y[0]:.3f}", end="!\n")
    assert x.shape == (3,), "a vector"
    return np.sum(y * x) + (0.0 if shown is None else 1.0)


@pytest.mark.parametrize("transform", ["grad", "grad unoptimised", "value_and_grad", "jvp", "hvp", "vjp"])
def test_the_derivative_prints_what_the_function_prints(transform, capsys):
    prints_and_checks(X)
    expected = capsys.readouterr().out
    run = {"grad": lambda: srcad.grad(prints_and_checks)(X),
           "grad unoptimised": lambda: srcad.grad(prints_and_checks, optimize=False)(X),
           "value_and_grad": lambda: srcad.value_and_grad(prints_and_checks)(X),
           "jvp": lambda: srcad.jvp(prints_and_checks)(X, X),
           "hvp": lambda: srcad.hvp(prints_and_checks)(X, X),
           "vjp": lambda: srcad.vjp(prints_and_checks)(X)}[transform]
    run()
    assert capsys.readouterr().out == expected


def test_print_and_assert_in_every_mode(capsys):
    assert_all_modes(prints_and_checks, (X,))


@pytest.mark.parametrize("transform", [srcad.grad, srcad.jvp])
def test_a_failing_assert_fails_in_the_derivative(transform):
    with pytest.raises(AssertionError, match="a vector"):
        transform(prints_and_checks)(np.ones(4), *([np.ones(4)] if transform is srcad.jvp else []))
