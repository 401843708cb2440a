"""Whole programs: helper functions, closures, containers of parameters, subscripts."""
import numpy as np
import pytest

import srcad
import program_helpers as helpers
from gradcheck import assert_gradient, numerical_gradient

RNG = np.random.default_rng(7)


def layer(W, b, x, act=np.tanh):
    return act(x @ W + b)


def two_layers(W1, b1, W2, b2, x):
    h = layer(W1, b1, x)
    return np.sum(layer(W2, b2, h) ** 2)


def power(x, n):
    if n == 0:
        return 1.0
    return x * power(x, n - 1)


def recursive(x):
    return np.sum(power(x, 3))


def helper_in_loop(x):
    s = 0.0
    for i in range(3):
        s = s + np.sum(layer(x, 0.5, x * i))
    return s


def helper_in_branch(x):
    if np.sum(x) > 0:
        y = layer(x, 1.0, x)
    else:
        y = layer(x, -1.0, x * 2.0)
    return np.sum(y)


def pair(x):
    return x * 2.0, np.sin(x)


def tuple_returning_helper(x):
    a, b = pair(x)
    return np.sum(a * b)


def scaled(x, scale=3.0, *, shift=0.5):
    return x * scale + shift


def keyword_and_default_arguments(x):
    return np.sum(scaled(x) + scaled(x, 2.0) + scaled(x, shift=x) + scaled(scale=x, x=x))


def same_helper_twice(x):
    return np.sum(layer(x, 0.1, x) * layer(x, 0.2, x))


def deep(x, depth):
    if depth == 0:
        return np.sin(x)
    return deep(x * 1.1, depth - 1) + x


def through_several_levels(x):
    return np.sum(deep(x, 3))


def other_module(x):
    return np.sum(helpers.cube(x) + helpers.scaled_tanh(x))


def imported_by_name(x):
    return np.sum(helpers.nested_call(x))


SCALE = 2.5


def module_constant(x):
    return np.sum(x * SCALE)


def closure(x):
    factor = np.cos(x)

    def inner(y):
        return y * factor

    return np.sum(inner(x) ** 2)


def nested_with_loop(x):
    scale = np.sin(x)

    def step(h, k):
        return np.tanh(h * scale) + k

    h = x
    for k in range(3):
        h = step(h, k * 0.1)
    return np.sum(h)


def make_scaler(k):
    def scale(x):
        return x * k
    return scale


double = make_scaler(2.0)


def calls_a_closure(x):
    return np.sum(double(x) ** 2)


def mlp_list(params, x):
    h = x
    for W, b in params:
        h = np.tanh(h @ W + b)
    return np.sum(h ** 2)


def mlp_dict(params, x):
    h = np.tanh(x @ params["W1"] + params["b1"])
    out = h @ params["W2"] + params["b2"]
    return np.sum(out ** 2)


def indexed_params(params, x):
    h = x
    for i in range(len(params)):
        W = params[i][0]
        b = params[i][1]
        h = np.maximum(0.0, h @ W + b)
    return np.sum(h)


def rnn_collecting_states(Wh, xs):
    h = np.zeros(Wh.shape[0])
    states = []
    for t in range(xs.shape[0]):
        h = np.tanh(xs[t] + Wh @ h)
        states.append(h)
    loss = 0.0
    for state in states:
        loss = loss + np.sum(state ** 2)
    return loss


def builds_containers(x):
    items = [x, x * 2.0]
    pairs = (np.sin(x), items[1])
    table = {"a": pairs[0], "b": items[0]}
    return np.sum(table["a"] * table["b"] + pairs[1])


def activation_argument(params, x, act):
    h = x
    for W, b in params:
        h = act(h @ W + b)
    return np.sum(h)


def my_relu(z):
    return np.maximum(z, 0.0)


def activations_in_a_list(x):
    total = 0.0
    for act in [np.tanh, np.sin, my_relu]:
        total = total + np.sum(act(x))
    return total


@pytest.mark.parametrize("function", [recursive, helper_in_loop, helper_in_branch, tuple_returning_helper,
                                      keyword_and_default_arguments, same_helper_twice, through_several_levels,
                                      other_module, imported_by_name, module_constant, calls_a_closure, closure,
                                      nested_with_loop,
                                      builds_containers, activations_in_a_list])
def test_function_of_one_array(function):
    x = RNG.uniform(0.2, 0.9, size=3)
    assert_gradient(srcad.grad(function), function, (x,))


def test_two_layer_network_with_a_helper():
    args = (RNG.normal(size=(3, 4)), RNG.normal(size=4), RNG.normal(size=(4, 2)), RNG.normal(size=2),
            RNG.normal(size=(5, 3)))
    assert_gradient(srcad.grad(two_layers, wrt=(0, 1, 2, 3)), two_layers, args, wrt=(0, 1, 2, 3))


def test_helper_has_its_own_adjoint_in_the_source():
    source = srcad.grad(two_layers, wrt=(0, 1, 2, 3)).source
    assert "def layer_forward" in source and "def layer_backward" in source
    assert "def d_two_layers" in source


def _flatten(params):
    if isinstance(params, dict):
        return [params[k] for k in sorted(params)]
    return [leaf for layer_params in params for leaf in layer_params]


def _check_container(function, params, x):
    gradient = srcad.grad(function)(params, x)
    leaves, derivative_leaves = _flatten(params), _flatten(gradient)
    assert type(gradient) is type(params)
    for index, leaf in enumerate(leaves):
        def f(value, index=index):
            changed = [v.copy() for v in leaves]
            changed[index] = value
            if isinstance(params, dict):
                rebuilt = dict(zip(sorted(params), changed))
            else:
                rebuilt = [tuple(changed[2 * i:2 * i + 2]) for i in range(len(params))]
                rebuilt = [tuple(p) if isinstance(params[0], tuple) else list(p) for p in rebuilt]
            return function(rebuilt, x)
        np.testing.assert_allclose(derivative_leaves[index], numerical_gradient(f, (leaf,), 0), rtol=1e-5, atol=1e-7)


def _layers(sizes):
    return [(RNG.normal(size=(m, n)) * 0.5, RNG.normal(size=n) * 0.1) for m, n in zip(sizes, sizes[1:])]


def test_three_layer_mlp_with_parameters_as_a_list_of_tuples():
    _check_container(mlp_list, _layers([3, 5, 4, 2]), RNG.normal(size=(6, 3)))


def test_parameters_as_a_list_of_lists():
    params = [list(p) for p in _layers([3, 4, 2])]
    _check_container(indexed_params, params, RNG.normal(size=(6, 3)))


def test_mlp_with_parameters_as_a_dict():
    (W1, b1), (W2, b2) = _layers([3, 4, 2])
    _check_container(mlp_dict, {"W1": W1, "b1": b1, "W2": W2, "b2": b2}, RNG.normal(size=(6, 3)))


def test_rnn_appending_states_to_a_list():
    Wh, xs = RNG.normal(size=(3, 3)) * 0.5, RNG.normal(size=(4, 3))
    assert_gradient(srcad.grad(rnn_collecting_states), rnn_collecting_states, (Wh, xs))


@pytest.mark.parametrize("act", [np.tanh, my_relu, helpers.cube, srcad.stop_gradient])
def test_activation_passed_as_an_argument(act):
    params, x = _layers([3, 4, 2]), RNG.normal(size=(5, 3))
    gradient = srcad.grad(activation_argument)(params, x, act)
    for index in range(2):
        for part in range(2):
            def f(value, index=index, part=part):
                changed = [list(p) for p in params]
                changed[index][part] = value
                return activation_argument([tuple(p) for p in changed], x, act)
            expected = numerical_gradient(f, (params[index][part],), 0)
            if act is srcad.stop_gradient:  # the identity, with no derivative through it
                expected = np.zeros_like(expected)
            np.testing.assert_allclose(gradient[index][part], expected, rtol=1e-5, atol=1e-6)


def test_user_rule_wins_over_the_source():
    calls = []

    def rough(x):
        return np.sin(x)

    @srcad.adjoint(rough)
    def _(y, x):
        d[x] = d[y] * 10.0  # noqa: F821 - a deliberately wrong rule, to see that it is used

    def f(x):
        return np.sum(rough(x))

    calls.append(1)
    np.testing.assert_allclose(srcad.grad(f)(np.ones(3)), np.full(3, 10.0))


d = srcad.d


def write_index(x):
    y = np.zeros(4)
    y[0] = np.sum(x)
    y[2] = np.sum(x ** 2)
    return np.sum(y * np.arange(1.0, 5.0))


def write_slice(x):
    y = np.ones((3, 4))
    y[1:3] = x[:2] * 2.0
    y[:, ::2] = np.sin(y[:, ::2])
    return np.sum(y ** 2)


def write_mask(x):
    y = x.copy()
    y[x > 0.5] = 0.0
    y[x < 0.3] = y[x < 0.3] * 3.0
    return np.sum(y * x)


def augmented_write(x):
    y = np.zeros(3)
    y[1] += np.sum(x)
    y[1:] += x[2:] ** 2
    return np.sum(y * y)


def write_in_loop(x):
    y = np.zeros(len(x))
    for i in range(len(x)):
        y[i] = np.sum(x[: i + 1]) * y[i - 1] + x[i] if i > 0 else x[0]
    return np.sum(y)


def overwrite_in_loop(x):
    y = x.copy()
    for i in range(3):
        y[i % 2] = y[i % 2] * np.sin(y[2])
    return np.sum(y ** 2)


def read_forms(x):
    m = x.reshape(2, 3)
    return (np.sum(m[0]) + m[-1, -1] + np.sum(m[:, 1]) + np.sum(m[1:2, ::2]) + np.sum(m[:, None, 0])
            + np.sum(m[..., 1]) + np.sum(m[m > 0.5]) + np.sum(x[[0, 0, 2]]) + np.sum(x[np.array([1, 1, 1])] ** 2))


@pytest.mark.parametrize("function", [write_index, write_slice, write_mask, augmented_write, write_in_loop,
                                      overwrite_in_loop])
def test_writes_into_arrays(function):
    x = RNG.uniform(0.1, 0.9, size=4 if function is not write_slice else (2, 4))
    if function is write_mask:
        x = np.array([0.2, 0.45, 0.7, 0.9])
    assert_gradient(srcad.grad(function), function, (x,))


def test_reads_of_every_kind_of_index():
    x = np.array([0.2, 0.7, 0.4, 0.9, 0.1, 0.6])
    assert_gradient(srcad.grad(read_forms), read_forms, (x,))


def writes_into_argument(x):
    x[0] = 1.0
    return np.sum(x)


def test_writing_into_a_differentiated_argument_is_refused():
    with pytest.raises(srcad.UnsupportedSyntaxError, match="copy"):
        srcad.grad(writes_into_argument)(np.ones(3))


def uses_a_config(params, x):
    h = x
    for i in range(params["layers"]):
        h = np.tanh(h * params["scale"][i])
    return np.sum(h) if params["name"] == "net" else 0.0


def test_leaves_without_a_derivative_get_none():
    params = {"layers": 2, "scale": [0.5, 1.5], "name": "net", "mask": np.array([1, 0])}
    gradient = srcad.grad(uses_a_config)(params, np.array([0.3, 0.6]))
    assert gradient["layers"] is None and gradient["name"] is None and gradient["mask"] is None
    expected = [numerical_gradient(lambda s, i=i: uses_a_config(
        {**params, "scale": [s if j == i else params["scale"][j] for j in range(2)]}, np.array([0.3, 0.6])),
        (params["scale"][i],), 0) for i in range(2)]
    np.testing.assert_allclose(gradient["scale"], expected, rtol=1e-6)
    assert isinstance(gradient["scale"], list) and isinstance(gradient["scale"][0], float)


ACTIVATIONS = {"tanh": np.tanh, "relu": my_relu}


def activation_from_a_dict(x):
    return np.sum(ACTIVATIONS["tanh"](x) + ACTIVATIONS["relu"](x - 0.5))


def make_activation():
    return np.sin


def activation_returned_by_a_call(x):
    return np.sum(make_activation()(x) ** 2)


@srcad.checkpoint
def expensive_block(W, x):
    h = np.tanh(x @ W)
    return np.tanh(h @ W)


def uses_checkpoint(W, x):
    return np.sum(expensive_block(W, x) ** 2)


@pytest.mark.parametrize("function", [activation_from_a_dict, activation_returned_by_a_call])
def test_functions_chosen_at_run_time(function):
    assert_gradient(srcad.grad(function), function, (RNG.uniform(0.1, 0.9, size=4),))


def test_checkpointed_function_recomputes_and_matches():
    W, x = RNG.normal(size=(3, 3)) * 0.5, RNG.normal(size=(4, 3))
    assert_gradient(srcad.grad(uses_checkpoint, wrt=(0, 1)), uses_checkpoint, (W, x), wrt=(0, 1))
    assert "call_forward(expensive_block" in srcad.grad(uses_checkpoint).source
    np.testing.assert_allclose(expensive_block(W, x), np.tanh(np.tanh(x @ W) @ W))


def weighted(x, *scales):
    total = 0.0
    for scale in scales:
        total = total + np.sum(x * scale)
    return total


def forwards_a_tuple(x):
    factors = (np.sin(x), 2.0, x * x)
    return weighted(x, *factors) + weighted(*(x, 3.0))


def spreads_parameters(params, x):
    return np.sum(layer(*params, x))


@pytest.mark.parametrize("function", [forwards_a_tuple])
def test_star_arguments(function):
    assert_gradient(srcad.grad(function), function, (RNG.uniform(0.1, 0.9, size=3),))


def test_parameters_spread_into_a_call():
    params = [RNG.normal(size=(3, 2)), RNG.normal(size=2)]
    x = RNG.normal(size=(4, 3))
    gradient = srcad.grad(spreads_parameters)(params, x)
    for index in range(2):
        def f(value, index=index):
            changed = list(params)
            changed[index] = value
            return spreads_parameters(changed, x)
        np.testing.assert_allclose(gradient[index], numerical_gradient(f, (params[index],), 0), rtol=1e-6)


def test_variadic_function_differentiated_directly():
    scales = (0.5, np.array([1.0, 2.0, 3.0]))
    gradient = srcad.grad(weighted)(np.array([0.1, 0.2, 0.3]), *scales)
    np.testing.assert_allclose(gradient, 0.5 + scales[1])


def decay_over_items(params, x):
    total = np.sum(np.tanh(x @ params["W"]))
    for name, value in params.items():
        total = total + 0.1 * np.sum(value ** 2)
    return total


def decay_over_values(params, x):
    total = 0.0
    for value in params.values():
        total = total + np.sum(np.sin(value) * x[0, 0])
    for key in params.keys():
        total = total + np.sum(params[key])
    return total


@pytest.mark.parametrize("function", [decay_over_items, decay_over_values])
def test_loops_over_a_dict_of_parameters(function):
    params = {"W": RNG.normal(size=(3, 2)), "b": RNG.normal(size=2)}
    x = RNG.normal(size=(4, 3))
    gradient = srcad.grad(function)(params, x)
    assert set(gradient) == {"W", "b"}
    for key in params:
        def f(value, key=key):
            return function({**params, key: value}, x)
        np.testing.assert_allclose(gradient[key], numerical_gradient(f, (params[key],), 0), rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("function", [decay_over_items, decay_over_values])
def test_forward_mode_over_a_dict_of_parameters_agrees(function):
    params = {"W": RNG.normal(size=(3, 2)), "b": RNG.normal(size=2)}
    x = RNG.normal(size=(4, 3))
    direction = {"W": RNG.normal(size=(3, 2)), "b": RNG.normal(size=2)}
    _, tangent = srcad.jvp(function)(params, x, direction)
    gradient = srcad.grad(function)(params, x)
    assert tangent == pytest.approx(sum(np.sum(gradient[k] * direction[k]) for k in params), rel=1e-10)
