"""Derivatives of containers add like trees, and ``+`` on sequences is concatenation.

Parameters held in tuples, lists, dicts, namedtuples and nestings of them reach
several consumers (a prediction, a regulariser, a loop); containers built in
loops are read twice. Every derivative is checked against central finite
differences, through grad (optimised and not), vjp, jvp and hvp.
"""
import dataclasses
from collections import namedtuple

import numpy as np
import pytest

import srcad
from gradcheck import (assert_all_modes, assert_same_tree, leaves, numerical_gradient, numerical_tree_gradient,
                       replace_leaves, tree_direction, tree_inner)

Pair = namedtuple("Pair", "W b")


@dataclasses.dataclass
class Dense:
    W: np.ndarray
    b: np.ndarray


@dataclasses.dataclass(frozen=True)
class FrozenDense:
    W: np.ndarray
    b: np.ndarray
    scale: float = 0.5


rng = np.random.default_rng(13)
W1, b1 = rng.standard_normal((3, 4)) * 0.6, rng.standard_normal(4) * 0.6
W2, b2 = rng.standard_normal((4, 2)) * 0.6, rng.standard_normal(2) * 0.6
X = rng.standard_normal((5, 3))


# ------------------------------------------------------- one layer: W, b = params


def predict_pair(params, x):
    W, b = params
    return np.tanh(x @ W + b)


def reg_pair(params):
    W, b = params
    return np.sum(W ** 2) + 0.5 * np.sum(b ** 2)


def loss_pair(params, x):
    return np.sum(predict_pair(params, x)) + reg_pair(params)


def loss_pair_three_consumers(params, x):
    total = np.sum(predict_pair(params, x)) + reg_pair(params)
    for i in range(2):
        total = total + np.sum(params[i] * 0.3)
    return total


# ------------------------------------------------ several layers: for W, b in layers


def predict_layers(layers, x):
    h = x
    for W, b in layers:
        h = np.tanh(h @ W + b)
    return h


def reg_layers(layers):
    total = 0.0
    for W, b in layers:
        total = total + np.sum(W ** 2)
    return total


def loss_layers(layers, x):
    return np.sum(predict_layers(layers, x)) + reg_layers(layers)


# ------------------------------------------------------------------- dicts


def predict_dict(params, x):
    return np.tanh(x @ params["W"] + params["b"])


def reg_dict(params):
    return np.sum(params["W"] ** 2) + np.sum(params["b"] ** 2)


def loss_dict(params, x):
    return np.sum(predict_dict(params, x)) + reg_dict(params)


def loss_nested(params, x):
    h = x
    for layer in params["layers"]:
        h = np.tanh(h @ layer[0] + layer[1])
    return np.sum(h) * params["scale"] + reg_layers(params["layers"])


def loss_fields(params, x):
    return np.sum(np.tanh(x @ params.W + params.b)) + np.sum(params.W ** 2) * 0.5


def loss_dense_layers(layers, x):
    h = x
    for layer in layers:
        h = np.tanh(h @ layer.W + layer.b)
    return np.sum(h) + sum(np.sum(layer.W ** 2) for layer in layers)


def loss_scaled_fields(params, x):
    return np.sum(np.tanh(x @ params.W + params.b)) * params.scale + np.sum(params.W ** 2) * params.scale


def loss_dict_of_records(params, x):
    return loss_fields(params["first"], x) + np.sum(params["second"].b ** 2)


def loss_dict_backwards(params, x):
    total = np.sum(np.tanh(x @ params["W"]))
    for key in reversed(params):                        # a dict's keys, last first
        total = total * 0.5 + np.sum(np.sin(params[key])) * len(key)
    return total


def loss_items_backwards(params, x):
    total = np.sum(np.tanh(x @ params["W"]))
    for key, value in reversed(params.items()):
        total = total * 0.5 + np.sum(value ** 3) * len(key)
    for value in reversed(params.values()):
        total = total + np.sum(np.cos(value))
    for key in reversed(params.keys()):
        total = total + np.sum(params[key] ** 2)
    return total


def loss_counted_backwards(params, x):
    total = np.sum(np.tanh(x @ params["W"]))
    for i, key in enumerate(reversed(params)):
        total = total + np.sum(np.sin(params[key])) * (i + 1.0)
    for key, scale in zip(reversed(params), [2.0, 3.0]):
        total = total + np.sum(params[key] ** 2) * scale
    return total


def loss_layers_backwards(layers, x):
    total = np.sum(predict_layers(layers, x))
    for W, b in reversed(layers):                       # a list (or tuple) backwards
        total = total * 0.5 + np.sum(np.tanh(W)) + np.sum(b ** 3)
    return total


PAIR = (W1, b1)
LAYERS = [(W1, b1), (W2, b2)]
CASES = {
    "tuple": (loss_pair, (W1, b1)),
    "list": (loss_pair, [W1, b1]),
    "namedtuple": (loss_pair, Pair(W1, b1)),
    "namedtuple fields": (loss_fields, Pair(W1, b1)),
    "tuple, three consumers": (loss_pair_three_consumers, (W1, b1)),
    "list, three consumers": (loss_pair_three_consumers, [W1, b1]),
    "list of tuples": (loss_layers, [(W1, b1), (W2, b2)]),
    "tuple of lists": (loss_layers, ([W1, b1], [W2, b2])),
    "list of namedtuples": (loss_layers, [Pair(W1, b1), Pair(W2, b2)]),
    "dataclass fields": (loss_fields, Dense(W1, b1)),
    "frozen dataclass fields": (loss_scaled_fields, FrozenDense(W1, b1, 0.7)),
    "list of dataclasses": (loss_dense_layers, [Dense(W1, b1), Dense(W2, b2)]),
    "tuple of frozen dataclasses": (loss_dense_layers, (FrozenDense(W1, b1), FrozenDense(W2, b2))),
    "dict of a dataclass and a namedtuple": (loss_dict_of_records, {"first": Dense(W1, b1), "second": Pair(W2, b2)}),
    "dict": (loss_dict, {"W": W1, "b": b1}),
    "nested dict of lists": (loss_nested, {"layers": [[W1, b1], [W2, b2]], "scale": 0.7}),
    "dict, reversed": (loss_dict_backwards, {"W": W1, "bias": b1}),
    "dict, reversed items, values, keys": (loss_items_backwards, {"W": W1, "bias": b1}),
    "dict, enumerate and zip of reversed": (loss_counted_backwards, {"W": W1, "bias": b1}),
    "list of tuples, reversed": (loss_layers_backwards, [(W1, b1), (W2, b2)]),
    "tuple of lists, reversed": (loss_layers_backwards, ([W1, b1], [W2, b2])),
}


@pytest.fixture(params=list(CASES), name="case")
def case_fixture(request):
    return CASES[request.param]


@pytest.mark.parametrize("optimize", [True, False])
def test_grad_of_container_parameters_matches_finite_differences(case, optimize):
    f, params = case
    got = srcad.grad(f, optimize=optimize)(params, X)
    assert_same_tree(got, numerical_tree_gradient(f, [params, X], 0))


def test_vjp_of_container_parameters_is_the_gradient(case):
    f, params = case
    value, pullback = srcad.vjp(f)(params, X)
    assert np.isclose(value, f(params, X))
    assert_same_tree(pullback(1.0), numerical_tree_gradient(f, [params, X], 0))


def test_value_and_grad_of_container_parameters(case):
    f, params = case
    value, got = srcad.value_and_grad(f)(params, X)
    assert np.isclose(value, f(params, X))
    assert_same_tree(got, numerical_tree_gradient(f, [params, X], 0))


def test_jvp_of_container_parameters_agrees_with_the_gradient(case):
    f, params = case
    direction = tree_direction(params)
    value, tangent = srcad.jvp(f)(params, X, direction)
    assert np.isclose(value, f(params, X))
    assert np.isclose(tangent, tree_inner(srcad.grad(f)(params, X), direction))


def test_hvp_of_container_parameters_matches_finite_differences_of_the_gradient(case):
    f, params = case
    direction = tree_direction(params)
    got = srcad.hvp(f)(params, X, direction)
    step = 1e-6
    gradient = srcad.grad(f)

    def moved(sign):
        return replace_leaves(params, iter(p + sign * step * v for p, v in zip(leaves(params), leaves(direction))))

    expected = replace_leaves(params, iter((gp - gm) / (2 * step) for gp, gm in zip(
        leaves(gradient(moved(1), X)), leaves(gradient(moved(-1), X)))))
    assert_same_tree(got, expected, rtol=1e-4, atol=1e-6)


# ------------------------------------ programs whose containers reach several consumers


def list_read_twice(x):
    parts = [x, 2 * x]
    return np.sum(np.array(parts)) + np.sum(parts[0])


def rnn_stacked_and_last(Wh, xs):
    h = np.zeros(Wh.shape[0])
    hs = []
    for t in range(xs.shape[0]):
        h = np.tanh(Wh @ h + xs[t])
        hs.append(h)
    return np.sum(np.stack(hs) ** 2) + np.sum(hs[-1])


def dict_captured_in_a_loop(params, x):
    def layer(h):
        return np.tanh(h * params["w"] + params["b"])

    total = 0.0
    for i in range(3):
        x = layer(x)
        total = total + np.sum(x)
    return total


def dict_entry_appended_twice(x, y):
    d = {"a": x, "b": y}
    acc = []
    for i in range(2):
        acc.append(d["b"])
    return np.sum(sum(acc)) + np.sum(np.stack(acc) ** 2)


def dict_entry_and_a_number(x):
    d = {"a": x}
    d["e"] = 1.0
    return d["a"] ** 2


def loop_over_dict_keys(params):
    total = 0.0
    for key in params:
        total = total + np.sum(params[key] ** 2) * 0.5 + np.sum(np.sin(params[key]))
    return total


def loop_over_dict_keys_twice(params, x):
    total = np.sum(predict_dict(params, x))
    for key in params:
        total = total + np.sum(params[key] ** 2)
    for name in params:
        total = total + np.sum(np.cos(params[name]))
    return total


@pytest.mark.parametrize("f, args, wrt", [
    (list_read_twice, (np.array([0.3, -1.2, 0.8]),), 0),
    (rnn_stacked_and_last, (rng.standard_normal((3, 3)) * 0.5, rng.standard_normal((4, 3))), 0),
    (dict_captured_in_a_loop, ({"w": 0.5, "b": np.array([0.2, -0.1, 0.4])}, np.array([0.3, -1.2, 0.8])), 0),
    (dict_entry_appended_twice, (np.array([0.5, -1.2]), np.array([0.3, 0.8])), 1),
    (dict_entry_and_a_number, (0.7,), 0),
    (loop_over_dict_keys, ({"W": W1, "b": b1, "s": 0.4},), 0),
    (loop_over_dict_keys_twice, ({"W": W1, "b": b1}, X), 0),
], ids=lambda value: getattr(value, "__name__", None))
def test_containers_reaching_several_consumers(f, args, wrt):
    assert_all_modes(f, args, wrt)


# ------------------------------------------------- + and * on sequences: concatenation


def joined_tuples(a, b):
    return np.sum(np.hstack((a,) + (b,)) ** 2)


def list_grown_by_plus(a, b):
    xs = [a]
    xs = xs + [b * 2.0]
    xs += [np.sin(a)]
    return np.sum(np.concatenate(xs) ** 2)


def joined_argument(t, b):
    u = t + (b,)
    return np.sum(np.hstack(u) ** 2) + np.sum(u[0] * u[-1][:2])


def repeated_list(a, b):
    xs = [a, b] * 2
    total = 0.0
    for k in range(len(xs)):
        total = total + np.sum(xs[k] ** 2) * (k + 1)
    return total


def joined_by_a_helper(a, b):
    return np.sum(np.hstack(pair_of(a) + pair_of(b)) ** 2)


def pair_of(v):
    return (v, np.sin(v))


A, B = np.array([0.5, -1.2]), np.array([0.3, 0.8, -0.4])


@pytest.mark.parametrize("f, args, wrt", [
    (joined_tuples, (A, B), 0), (joined_tuples, (A, B), 1),
    (list_grown_by_plus, (A, B), 0), (list_grown_by_plus, (A, B), 1),
    (joined_argument, ((A,), B), 0), (joined_argument, ((A,), B), 1),
    (repeated_list, (A, B[:2]), 0), (repeated_list, (A, B[:2]), 1),
    (joined_by_a_helper, (A, B), 0),
], ids=lambda value: getattr(value, "__name__", None))
def test_plus_on_sequences_is_concatenation(f, args, wrt):
    assert_all_modes(f, args, wrt)


def test_plus_of_arguments_adds_or_joins_as_python_does():
    assert_all_modes(total_of_sum, (A, A * 3.0), 0)
    assert_all_modes(total_of_sum, ([A], [B]), 0)
    assert_all_modes(total_of_sum, ((A,), (B, A)), 1)


def total_of_sum(a, b):
    return np.sum(np.hstack(a + b) ** 2)


def test_nested_grad_through_a_concatenation():
    first = srcad.grad(scalar_concatenation)
    second = srcad.grad(first)
    expected = numerical_gradient(first, [0.7], 0)
    assert np.isclose(second(0.7), expected, rtol=1e-6)
    assert np.isclose(srcad.grad(second)(0.7), numerical_gradient(second, [0.7], 0), rtol=1e-5)


def scalar_concatenation(x):
    parts = (x,) + (x * x, np.sin(x))
    return parts[0] * parts[1] + parts[2] ** 2


# ------------------------------------------------------------------- refusals


def returns_a_tuple(x):
    return np.sum(x), 2.0


def returns_a_helpers_tuple(x):
    return pair_of(np.sum(x))


@pytest.mark.parametrize("f", [returns_a_tuple, returns_a_helpers_tuple])
def test_grad_of_a_function_returning_a_tuple_is_refused(f):
    with pytest.raises(srcad.SrcadError, match="output is a scalar"):
        srcad.grad(f)(np.ones(2))


# --------------------------------------- cotangents and tangents of the wrong structure


def tuple_and_dict_output(x):
    return x * 2.0, {"a": np.sin(x), "count": 3}


@pytest.mark.parametrize("cotangent, where", [
    (np.ones(3), r"but it is array \(3,\)$"),
    ((np.ones(3),), "but it is tuple of 1"),
    ((np.ones(3), {"a": np.ones(2), "count": 0}), r"at \[1\]\['a'\]: array \(2,\) for array \(3,\)"),
    ((np.ones(3), {"b": np.ones(3)}), r"dict with keys 'b'\) at \[1\]"),
    ((1.0, {"a": np.ones(3), "count": 0}), r"at \[0\]: float for array \(3,\)"),
])
def test_a_cotangent_of_the_wrong_structure_is_refused(cotangent, where):
    _, pullback = srcad.vjp(tuple_and_dict_output)(np.ones(3))
    with pytest.raises(srcad.SrcadError, match=r"the cotangent must have the structure of the output, "
                                               r"tuple of 2 \(array \(3,\), dict with keys 'a', 'count'\).*" + where):
        pullback(cotangent)


def test_a_cotangent_of_the_right_structure_is_accepted_as_a_list_or_a_tuple():
    x = np.array([0.3, -1.2, 0.8])
    _, pullback = srcad.vjp(tuple_and_dict_output)(x)
    expected = 2.0 * np.ones(3) + np.cos(x)
    for cotangent in ((np.ones(3), {"a": np.ones(3), "count": None}), [np.ones(3), {"a": np.ones(3), "count": 0}]):
        np.testing.assert_allclose(pullback(cotangent), expected)


@pytest.mark.parametrize("transform", ["jvp", "hvp"])
def test_a_tangent_of_the_wrong_structure_is_refused(transform):
    params = {"W": W1, "b": b1}
    wrong = {"W": np.ones((3, 4)), "b": np.ones(3)}
    with pytest.raises(srcad.SrcadError, match=r"for 'params' must have its structure, dict with keys 'W', 'b', "
                                               r"but it is .* at \['b'\]: array \(3,\) for array \(4,\)"):
        getattr(srcad, transform)(loss_dict)(params, X, wrong)


# -------------------------------------------------------- namedtuples out of wrt


@pytest.mark.parametrize("f", [loss_pair, loss_fields, loss_layers], ids=lambda f: f.__name__)
def test_a_namedtuple_out_of_wrt_is_data(f):
    params = Pair(W1, b1) if f is not loss_layers else [Pair(W1, b1), Pair(W2, b2)]
    assert_all_modes(f, (params, X), 1)


@pytest.mark.parametrize("f, params", [(loss_fields, Dense(W1, b1)), (loss_scaled_fields, FrozenDense(W1, b1)),
                                       (loss_dense_layers, [Dense(W1, b1), FrozenDense(W2, b2)])],
                         ids=["dataclass", "frozen dataclass", "list of both"])
def test_a_dataclass_out_of_wrt_is_data(f, params):
    assert_all_modes(f, (params, X), 1)


@dataclasses.dataclass
class Derived:
    W: np.ndarray
    norm: float = dataclasses.field(init=False)

    def __post_init__(self):
        self.norm = float(np.sum(self.W ** 2))


def reads_a_derived_field(params, x):
    return np.sum(x @ params.W) * params.norm


def test_a_field_the_constructor_does_not_take_is_refused_clearly():
    with pytest.raises(srcad.NonDifferentiableError, match="not a field its constructor takes"):
        srcad.grad(reads_a_derived_field)(Derived(W1), X)


class Layer:
    def __init__(self, W):
        self.W = W


def reads_an_instance_attribute(layer, x):
    return np.sum(x @ layer.W)


def test_an_attribute_of_an_instance_is_refused_clearly():
    with pytest.raises(srcad.NonDifferentiableError, match="cannot differentiate reading .W of a Layer"):
        srcad.grad(reads_an_instance_attribute)(Layer(W1), X)
