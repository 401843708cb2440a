"""Realistic models, written as their authors would without srcad (tests/models/): the
gradient at a random point against central finite differences in a random direction, forward
mode against reverse, and a few optimisation steps lower the loss."""
import importlib

import numpy as np
import pytest

import srcad
from gradcheck import leaves, replace_leaves

STEP = 1e-6


def _model(name):
    return importlib.import_module(f"models.{name}")


def _random_like(tree, rng):
    return replace_leaves(tree, iter([rng.standard_normal(np.shape(leaf)) for leaf in leaves(tree)]))


def _moved(tree, direction, step):
    return replace_leaves(tree, iter([x + step * v for x, v in zip(leaves(tree), leaves(direction))]))


def _inner(a, b):
    return sum(float(np.sum(x * y)) for x, y in zip(leaves(a), leaves(b)))


MODELS = {
    # name: (arguments after the model's start(rng) point, what is differentiated, learning rate)
    "mlp_classifier": 0.5, "mlp_regressor": 0.05, "rnn": 0.5, "lstm": 0.5, "bbvi": 0.05,
    "gaussian_process": 0.02, "neural_ode": 0.5, "fluid": 0.002, "gmm": 0.05,
}


@pytest.mark.parametrize("optimize", [True, False], ids=["optimized", "unoptimized"])
@pytest.mark.parametrize("name", sorted(MODELS))
def test_gradient_matches_finite_differences_at_a_random_point(name, optimize):
    model = _model(name)
    rng = np.random.default_rng(0)
    params, *data = model.start(rng)
    grad = srcad.grad(model.loss, optimize=optimize)(params, *data)
    assert [np.shape(g) for g in leaves(grad)] == [np.shape(p) for p in leaves(params)]
    direction = _random_like(params, rng)
    expected = (model.loss(_moved(params, direction, STEP), *data)
                - model.loss(_moved(params, direction, -STEP), *data)) / (2 * STEP)
    assert _inner(grad, direction) == pytest.approx(expected, rel=1e-5, abs=1e-7)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_forward_mode_agrees_with_reverse(name):
    model = _model(name)
    rng = np.random.default_rng(1)
    params, *data = model.start(rng)
    direction = _random_like(params, rng)
    _, forward = srcad.jvp(model.loss)(params, *data, direction)
    grad = srcad.grad(model.loss)(params, *data)
    assert forward == pytest.approx(_inner(grad, direction), rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_a_few_gradient_steps_lower_the_loss(name):
    model = _model(name)
    params, *data = model.start(np.random.default_rng(2))
    value_and_grad = srcad.value_and_grad(model.loss)
    first, _ = value_and_grad(params, *data)
    for _ in range(5):
        value, grad = value_and_grad(params, *data)
        params = replace_leaves(params, iter([p - MODELS[name] * g for p, g in zip(leaves(params), leaves(grad))]))
    assert model.loss(params, *data) < first


def test_newton_cg_with_hvp_lowers_the_mixture_loss_faster_than_the_gradient():
    """A few Newton steps for the Gaussian mixture, each solving H p = -g by conjugate gradients
    with Hessian-vector products (the Hessian is never formed)."""
    gmm = _model("gmm")
    params, data = gmm.start(np.random.default_rng(3))
    grad, hvp = srcad.grad(gmm.loss), srcad.hvp(gmm.loss)

    def newton_direction(params, iterations=10):
        g = grad(params, data)
        step = replace_leaves(g, iter([np.zeros_like(x) for x in leaves(g)]))
        residual = replace_leaves(g, iter([-x for x in leaves(g)]))
        search = residual
        for _ in range(iterations):
            curvature = hvp(params, data, search)
            along = _inner(search, curvature)
            if along <= 1e-12:  # not convex along this direction: stop with what we have
                break
            alpha = _inner(residual, residual) / along
            step = _moved(step, search, alpha)
            new_residual = _moved(residual, curvature, -alpha)
            beta = _inner(new_residual, new_residual) / _inner(residual, residual)
            residual, search = new_residual, _moved(new_residual, search, beta)
        return step if _inner(step, g) < 0 else replace_leaves(g, iter([-x for x in leaves(g)]))

    first = gmm.loss(params, data)
    for _ in range(3):
        step, scale = newton_direction(params), 1.0
        while gmm.loss(_moved(params, step, scale), data) > gmm.loss(params, data) and scale > 1e-3:
            scale /= 2.0
        params = _moved(params, step, scale)
    assert gmm.loss(params, data) < first - 0.05
    v = _random_like(params, np.random.default_rng(4))
    expected = replace_leaves(params, iter([(a - b) / 2e-5 for a, b in zip(
        leaves(grad(_moved(params, v, 1e-5), data)), leaves(grad(_moved(params, v, -1e-5), data)))]))
    for got, want in zip(leaves(hvp(params, data, v)), leaves(expected)):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6)


def test_conv_net_whose_layers_are_objects():
    conv_net = _model("conv_net")
    rng = np.random.default_rng(5)
    net, params, images, targets = conv_net.start(rng)
    grad = srcad.grad(net.loss)(params, images, targets)
    direction = _random_like(params, rng)
    expected = (net.loss(_moved(params, direction, STEP), images, targets)
                - net.loss(_moved(params, direction, -STEP), images, targets)) / (2 * STEP)
    assert _inner(grad, direction) == pytest.approx(expected, rel=1e-5, abs=1e-7)
