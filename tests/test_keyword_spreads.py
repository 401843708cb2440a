"""Calls that spread a dict into keywords: ``layer(x, **params)``.

The call is written with one keyword per parameter it leaves open, each read from the dict
by name, after a check that raises Python's TypeError for a key the function does not take
or a required one missing. Checked against finite differences in every transform.
"""
import numpy as np
import pytest

import srcad
from gradcheck import assert_all_modes

rng = np.random.default_rng(7)
X = rng.standard_normal((4, 3))
W1, b1 = rng.standard_normal((3, 5)) * 0.5, rng.standard_normal(5) * 0.5
W2, b2 = rng.standard_normal((5, 2)) * 0.5, rng.standard_normal(2) * 0.5
OFFSET = np.array([0.1, -0.2])


def layer(x, W, b, scale=1.0):
    return np.tanh(x @ W + b) * scale


def shifted(x, W, b, shift=OFFSET):
    return x @ W + b + shift


def all_keywords(params, x):
    return np.sum(layer(x, **params) ** 2)


def some_keywords_given(params, x):
    return np.sum(layer(x, params["W"], b=params["b"], **{"scale": 0.5}) ** 2) + np.sum(layer(x, **params))


def a_dict_from_a_subscript(params, x):
    h = layer(x, **params["first"])
    return np.sum(shifted(h, **params["second"]) ** 2)


def layers_in_a_loop(layers, x):
    h = x
    for p in layers:
        h = layer(h, **p)
    return np.sum(h ** 2)


def in_a_comprehension(layers, x):
    return sum(np.sum(layer(x, **p)) for p in layers[:1])


def options_not_differentiated(params, x, options):
    return np.sum(np.sum(layer(x, params["W"], params["b"], **options), **{"axis": 0}) ** 2)


FIRST = {"W": W1, "b": b1}
CASES = [
    (all_keywords, (FIRST, X), 0),
    (all_keywords, ({"W": W1, "b": b1, "scale": 0.7}, X), 0),
    (some_keywords_given, (FIRST, X), 0),
    (a_dict_from_a_subscript, ({"first": FIRST, "second": {"W": W2, "b": b2}}, X), 0),
    (a_dict_from_a_subscript, ({"first": FIRST, "second": {"W": W2, "b": b2, "shift": np.zeros(2)}}, X), 0),
    (layers_in_a_loop, ([FIRST, {"W": rng.standard_normal((5, 5)) * 0.4, "b": b1, "scale": 1.5}], X), 0),
    (in_a_comprehension, ([FIRST], X), 0),
    (options_not_differentiated, (FIRST, X, {"scale": 2.0}), 0),
    (all_keywords, (FIRST, X), 1),
]


@pytest.mark.parametrize("f, args, wrt", CASES, ids=lambda v: getattr(v, "__name__", ""))
def test_a_spread_dict_is_differentiated_in_every_mode(f, args, wrt):
    assert_all_modes(f, args, wrt)


@pytest.mark.parametrize("params, message", [
    ({"W": W1, "b": b1, "bias": b1}, "unexpected keyword argument 'bias'"),
    ({"W": W1}, "missing"),
])
@pytest.mark.parametrize("transform", ["grad", "jvp", "hvp", "value"])
def test_a_dict_the_function_does_not_take_fails_as_the_call_does(params, message, transform):
    with pytest.raises(TypeError, match=message):
        if transform == "value":
            all_keywords(params, X)
        elif transform == "grad":
            srcad.grad(all_keywords)(params, X)
        else:
            getattr(srcad, transform)(all_keywords)(params, X, params)


def takes_kwargs(x, **options):
    return x * options.get("scale", 1.0)


def calls_a_function_taking_kwargs(x, options):
    return np.sum(takes_kwargs(x, **options))


def spreads_twice(params, x):
    return np.sum(layer(x, **{"W": params["W"]}, **{"b": params["b"]}))


def test_a_callee_taking_kwargs_is_refused():
    with pytest.raises(srcad.UnsupportedSyntaxError, match="takes \\*\\*kwargs itself"):
        srcad.grad(calls_a_function_taking_kwargs)(X, {"scale": 2.0})


def test_two_spreads_in_one_call_are_refused():
    with pytest.raises(srcad.UnsupportedSyntaxError, match="spreads two dicts"):
        srcad.grad(spreads_twice)(FIRST, X)


def test_the_generated_source_reads_each_keyword_by_name():
    source = srcad.grad(all_keywords).source
    assert "check_keywords(params, 'W b scale', 'W b', 'layer')" in source
    assert "params['W']" in source and "params.get('scale', 1.0)" in source


def spreads_into_numpy(x, options):
    return np.sum(np.sum(x, **options) ** 2)


def test_a_dict_spread_into_a_function_that_is_not_the_users_is_refused():
    with pytest.raises(srcad.UnsupportedSyntaxError, match="not one of yours"):
        srcad.grad(spreads_into_numpy)(X, {"axis": 0})
