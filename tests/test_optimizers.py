"""``srcad.optimizers`` on a convex quadratic against its closed-form iterates, by hand for Adam
and RMSProp's first steps, over nested trees of parameters, and in float32."""
import dataclasses
from collections import namedtuple

import numpy as np
import pytest

import srcad
from srcad import optimizers
from doc_blocks import assert_prints_what_it_says, run_page

Pair = namedtuple("Pair", "W b")

rng = np.random.default_rng(5)
Q = rng.standard_normal((4, 4))
A = Q @ Q.T + 0.5 * np.eye(4)        # symmetric positive definite
c = rng.standard_normal(4)
x_star = np.linalg.solve(A, c)        # the minimiser of the quadratic
x0 = rng.standard_normal(4)
LR = 0.9 / np.linalg.eigvalsh(A).max()


def quadratic(x, A, c):
    return 0.5 * x @ A @ x - c @ x


grad_quadratic = srcad.grad(quadratic)


def run(opt, x, steps):
    state = opt.init(x)
    for _ in range(steps):
        x, state = opt.update(x, grad_quadratic(x, A, c), state)
    return x, state


def test_sgd_follows_the_closed_form_iterate():
    # x_k - x* = (I - lr A)^k (x_0 - x*)
    steps = 25
    x, state = run(optimizers.sgd(lr=LR), x0, steps)
    expected = x_star + np.linalg.matrix_power(np.eye(4) - LR * A, steps) @ (x0 - x_star)
    np.testing.assert_allclose(x, expected, rtol=1e-10, atol=1e-12)
    assert state.step == steps


@pytest.mark.parametrize("nesterov", [False, True])
def test_momentum_follows_its_linear_recurrence(nesterov):
    # With e = x - x* and gradient A e, one step maps (e, v) linearly:
    #   v' = beta v - lr A e;   e' = e + v'  (heavy ball)   or   e' = e + beta v' - lr A e  (Nesterov)
    beta, steps = 0.8, 30
    eye, zero = np.eye(4), np.zeros((4, 4))
    velocity_row = np.hstack([-LR * A, beta * eye])
    if nesterov:
        error_row = np.hstack([eye - LR * A, zero]) + beta * velocity_row
    else:
        error_row = np.hstack([eye, zero]) + velocity_row
    transition = np.vstack([error_row, velocity_row])
    expected = np.linalg.matrix_power(transition, steps) @ np.concatenate([x0 - x_star, np.zeros(4)])
    x, state = run(optimizers.momentum(lr=LR, beta=beta, nesterov=nesterov), x0, steps)
    np.testing.assert_allclose(x - x_star, expected[:4], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(state.velocity, expected[4:], rtol=1e-9, atol=1e-12)


def test_nesterov_is_momentum_with_the_gradient_at_the_look_ahead_point():
    # Algorithm 8.3 as written: the gradient is taken at theta + beta v; srcad keeps that point
    beta, lr, steps = 0.7, 0.1, 12
    theta, v = x0.copy(), np.zeros(4)
    opt = optimizers.momentum(lr=lr, beta=beta, nesterov=True)
    point, state = x0.copy(), opt.init(x0)
    for _ in range(steps):
        v = beta * v - lr * grad_quadratic(theta + beta * v, A, c)
        theta = theta + v
        point, state = opt.update(point, grad_quadratic(point, A, c), state)
        np.testing.assert_allclose(point, theta + beta * v, rtol=1e-12, atol=1e-12)


def test_adam_first_two_steps_by_hand():
    lr, b1, b2, eps = 0.1, 0.9, 0.999, 1e-8
    x = np.array([1.0, -2.0, 0.5, 3.0])
    g0 = grad_quadratic(x, A, c)
    # step 1: the corrected averages are g0 and g0**2, so the step is lr * g0 / (|g0| + eps)
    x1 = x - lr * g0 / (np.abs(g0) + eps)
    g1 = grad_quadratic(x1, A, c)
    m = b1 * (1 - b1) * g0 + (1 - b1) * g1
    v = b2 * (1 - b2) * g0 ** 2 + (1 - b2) * g1 ** 2
    x2 = x1 - lr * (m / (1 - b1 ** 2)) / (np.sqrt(v / (1 - b2 ** 2)) + eps)
    opt = optimizers.adam(lr=lr, beta1=b1, beta2=b2, eps=eps)
    got1, state = opt.update(x, g0, opt.init(x))
    np.testing.assert_allclose(got1, x1, rtol=1e-13)
    got2, state = opt.update(got1, grad_quadratic(got1, A, c), state)
    np.testing.assert_allclose(got2, x2, rtol=1e-13)
    np.testing.assert_allclose(state.mean, m, rtol=1e-13)
    np.testing.assert_allclose(state.mean_square, v, rtol=1e-13)
    assert state.step == 2


def test_rmsprop_first_two_steps_by_hand():
    lr, decay, eps = 0.01, 0.9, 1e-8
    g0 = grad_quadratic(x0, A, c)
    r1 = (1 - decay) * g0 ** 2
    x1 = x0 - lr * g0 / np.sqrt(r1 + eps)
    g1 = grad_quadratic(x1, A, c)
    r2 = decay * r1 + (1 - decay) * g1 ** 2
    x2 = x1 - lr * g1 / np.sqrt(r2 + eps)
    got, state = run(optimizers.rmsprop(lr=lr, decay=decay, eps=eps), x0, 2)
    np.testing.assert_allclose(got, x2, rtol=1e-13)
    np.testing.assert_allclose(state.mean_square, r2, rtol=1e-13)


@pytest.mark.parametrize("opt, steps", [
    (optimizers.sgd(lr=LR), 400),
    (optimizers.momentum(lr=LR / 2, beta=0.5), 400),
    (optimizers.momentum(lr=LR / 2, beta=0.5, nesterov=True), 400),
    (optimizers.rmsprop(lr=lambda step: 0.05 / (1 + step) ** 0.75), 3000),
    (optimizers.adam(lr=lambda step: 0.1 / (1 + step) ** 0.5), 3000),
], ids=["sgd", "momentum", "nesterov", "rmsprop", "adam"])
def test_every_optimiser_finds_the_minimum_of_a_convex_quadratic(opt, steps):
    x, _ = run(opt, x0, steps)
    np.testing.assert_allclose(x, x_star, atol=1e-3)


# ------------------------------------------------------------------ trees


@dataclasses.dataclass(frozen=True)
class Dense:
    W: np.ndarray
    b: np.ndarray


def nested_params(dtype=np.float64):
    rng = np.random.default_rng(8)

    def array(*shape):
        return rng.standard_normal(shape).astype(dtype)

    return {"layers": [Pair(array(3, 4), array(4)), (array(4, 2), array(2))],
            "out": Dense(array(2, 1), array(1)),
            "scale": 0.5, "depth": 2, "name": "mlp", "mask": None}


def nested_grads(params, seed):
    """A gradient of ``params``'s structure: None where a leaf carries no derivative."""
    rng = np.random.default_rng(seed)
    return srcad.tree.map(
        lambda p: None if isinstance(p, (int, str)) else
        (float(rng.standard_normal()) if isinstance(p, float) else rng.standard_normal(p.shape).astype(p.dtype)),
        params)


def flat(tree):
    return np.concatenate([np.ravel(leaf) for leaf in srcad.tree.leaves(tree)
                           if not isinstance(leaf, (int, str))]).astype(np.float64)


OPTIMISERS = {
    "sgd": lambda: optimizers.sgd(lr=0.1),
    "momentum": lambda: optimizers.momentum(lr=0.1, beta=0.9),
    "nesterov": lambda: optimizers.momentum(lr=0.1, beta=0.9, nesterov=True),
    "rmsprop": lambda: optimizers.rmsprop(lr=0.01),
    "adam": lambda: optimizers.adam(lr=0.01),
}


@pytest.mark.parametrize("name", list(OPTIMISERS))
def test_a_nested_tree_steps_as_one_flat_vector_would(name):
    params = nested_params()
    opt = OPTIMISERS[name]()
    state, flat_params = opt.init(params), flat(params)
    flat_state = opt.init(flat_params)
    before = srcad.tree.map(lambda leaf: leaf.copy() if isinstance(leaf, np.ndarray) else leaf, params)
    for step in range(3):
        grads = nested_grads(params, seed=step)
        new_params, state = opt.update(params, grads, state)
        flat_params, flat_state = opt.update(flat_params, flat(grads), flat_state)
        if step == 0:  # the given parameters are left as they were
            for old, kept in zip(srcad.tree.leaves(before), srcad.tree.leaves(params)):
                np.testing.assert_array_equal(old, kept)
        params = new_params
    np.testing.assert_allclose(flat(params), flat_params, rtol=1e-12)
    assert srcad.tree.structure(params) == srcad.tree.structure(nested_params())
    assert type(params["out"]) is Dense and type(params["layers"][0]) is Pair
    assert (params["depth"], params["name"], params["mask"]) == (2, "mlp", None)
    assert isinstance(params["scale"], float)


@pytest.mark.parametrize("name", list(OPTIMISERS))
def test_float32_parameters_stay_float32_and_agree_with_float64(name):
    opt = OPTIMISERS[name]()
    params32, params64 = nested_params(np.float32), nested_params(np.float64)
    state32, state64 = opt.init(params32), opt.init(params64)
    for step in range(3):
        grads64 = nested_grads(params64, seed=step)
        grads32 = srcad.tree.map(lambda g: g.astype(np.float32) if isinstance(g, np.ndarray) else g, grads64)
        params32, state32 = opt.update(params32, grads32, state32)
        params64, state64 = opt.update(params64, grads64, state64)
    for leaf in srcad.tree.leaves(params32) + srcad.tree.leaves(state32[1:]):
        if isinstance(leaf, np.ndarray):
            assert leaf.dtype == np.float32
    np.testing.assert_allclose(flat(params32), flat(params64), rtol=1e-4, atol=1e-5)


def mlp_loss(params, X, y):
    h, penalty = X, 0.0
    for W, b in params["layers"]:
        h = np.tanh(h @ W + b)
        penalty = penalty + np.sum(W ** 2)
    return np.mean((h[:, 0] - y) ** 2) + params["decay"] * penalty


@pytest.mark.parametrize("name", list(OPTIMISERS))
def test_training_with_srcad_gradients_lowers_the_loss(name):
    rng = np.random.default_rng(2)
    X = rng.standard_normal((32, 3))
    y = np.sin(X[:, 0])
    params = {"layers": [Pair(rng.standard_normal((3, 8)) * 0.5, np.zeros(8)),
                         Pair(rng.standard_normal((8, 1)) * 0.5, np.zeros(1))], "decay": 1e-4}
    loss_and_grad = srcad.value_and_grad(mlp_loss)
    opt = OPTIMISERS[name]()
    state = opt.init(params)
    first, _ = loss_and_grad(params, X, y)
    for _ in range(60):
        value, grads = loss_and_grad(params, X, y)
        grads = {**grads, "decay": None}   # a hyperparameter held in the tree, not trained
        params, state = opt.update(params, grads, state)
    assert params["decay"] == 1e-4
    assert mlp_loss(params, X, y) < 0.7 * first


def test_a_schedule_gets_the_step_count():
    seen = []
    opt = optimizers.sgd(lr=lambda step: seen.append(step) or 0.1)
    x, state = 1.0, opt.init(1.0)
    for _ in range(3):
        x, state = opt.update(x, 1.0, state)
    assert seen == [0, 1, 2] and x == pytest.approx(0.7)


@pytest.mark.parametrize("make, message", [
    (lambda: optimizers.sgd(lr=0.0), "lr must be a positive number"),
    (lambda: optimizers.momentum(lr=0.1, beta=1.0), "beta must be at least 0 and less than 1"),
    (lambda: optimizers.adam(beta2=-0.1), "beta2 must be"),
    (lambda: optimizers.rmsprop(eps=0), "eps must be a positive number"),
])
def test_bad_hyperparameters_are_refused(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_repr_shows_the_hyperparameters():
    assert repr(optimizers.adam()) == "adam(lr=0.001, beta1=0.9, beta2=0.999, eps=1e-08)"
    assert repr(optimizers.momentum(0.1, nesterov=True)) == "momentum(lr=0.1, beta=0.9, nesterov=True)"


def test_the_code_in_docs_optimizers_runs_and_prints_what_it_says(tmp_path):
    source, printed = run_page("optimizers.md", tmp_path)
    assert assert_prints_what_it_says(source, printed) == 4
