"""Derivatives of containers add like trees, and ``+`` on sequences is concatenation.

Parameters held in tuples, lists, dicts, namedtuples and nestings of them reach
several consumers (a prediction, a regulariser, a loop); containers built in
loops are read twice. Every derivative is checked against central finite
differences, through grad (optimised and not), vjp, jvp and hvp.
"""
from collections import namedtuple

import numpy as np
import pytest

import srcad
from gradcheck import assert_same_tree, leaves, numerical_gradient, numerical_tree_gradient, replace_leaves

Pair = namedtuple("Pair", "W b")
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


PAIR = (W1, b1)
LAYERS = [(W1, b1), (W2, b2)]
CASES = {
    "tuple": (loss_pair, (W1, b1)),
    "list": (loss_pair, [W1, b1]),
    "namedtuple": (loss_pair, Pair(W1, b1)),
    "tuple, three consumers": (loss_pair_three_consumers, (W1, b1)),
    "list, three consumers": (loss_pair_three_consumers, [W1, b1]),
    "list of tuples": (loss_layers, [(W1, b1), (W2, b2)]),
    "tuple of lists": (loss_layers, ([W1, b1], [W2, b2])),
    "list of namedtuples": (loss_layers, [Pair(W1, b1), Pair(W2, b2)]),
    "dict": (loss_dict, {"W": W1, "b": b1}),
    "nested dict of lists": (loss_nested, {"layers": [[W1, b1], [W2, b2]], "scale": 0.7}),
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


def _direction(params, seed=1):
    directions = np.random.default_rng(seed)
    return replace_leaves(params, iter(directions.standard_normal(np.shape(leaf)) for leaf in leaves(params)))


def _inner(a, b):
    return sum(float(np.sum(x * y)) for x, y in zip(leaves(a), leaves(b)))


def test_jvp_of_container_parameters_agrees_with_the_gradient(case):
    f, params = case
    direction = _direction(params)
    value, tangent = srcad.jvp(f)(params, X, direction)
    assert np.isclose(value, f(params, X))
    assert np.isclose(tangent, _inner(srcad.grad(f)(params, X), direction))


def test_hvp_of_container_parameters_matches_finite_differences_of_the_gradient(case):
    f, params = case
    direction = _direction(params)
    got = srcad.hvp(f)(params, X, direction)
    step = 1e-6
    gradient = srcad.grad(f)

    def moved(sign):
        return replace_leaves(params, iter(p + sign * step * v for p, v in zip(leaves(params), leaves(direction))))

    expected = replace_leaves(params, iter((gp - gm) / (2 * step) for gp, gm in zip(
        leaves(gradient(moved(1), X)), leaves(gradient(moved(-1), X)))))
    assert_same_tree(got, expected, rtol=1e-4, atol=1e-6)
