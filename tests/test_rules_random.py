"""Random draws with a location and a scale: pathwise (reparameterisation) derivatives.

``np.random.normal(mu, sigma, n)`` is ``mu + sigma * eps`` for a standard draw ``eps``, and its
derivative holds ``eps`` fixed, as JAX takes it. The generated code makes the user's own call,
so it draws the same numbers for the same seed and leaves the generator in the same state.
Each draw is checked against central finite differences (with the generator seeded the same
way at every evaluation), forward mode against reverse, optimised and not, and to second order.
"""
import numpy as np
import pytest

import srcad
from gradcheck import numerical_gradient
from srcad.rules.registry import bound_methods


def global_normal(mu, sigma):
    np.random.seed(3)
    y = np.random.normal(mu, sigma, 4)
    return np.sum(np.sin(y) * y)


def global_normal_keywords(mu, sigma):
    np.random.seed(3)
    y = np.random.normal(scale=sigma, loc=mu * 2.0)
    z = np.random.normal(mu)                       # scale 1, one number
    return y * z + y ** 2


def generator_normal(mu, sigma):
    rng = np.random.default_rng(5)
    y = rng.normal(mu, sigma, (2, 3))
    return np.sum(np.tanh(y))


def generator_normal_arrays(mu, sigma):
    rng = np.random.default_rng(5)
    locations = mu * np.arange(1.0, 4.0)
    y = rng.normal(locations, sigma)               # one draw per location
    return np.sum(y ** 3)


def chained_generator(mu, sigma):
    y = np.random.default_rng(19).normal(mu, sigma, 3)   # a method of a call's result
    return np.sum(y * np.random.default_rng(23).uniform(-sigma, mu, 3))


def random_state_normal(mu, sigma):
    rng = np.random.RandomState(7)
    return np.sum(np.cos(rng.normal(mu, sigma, 5)))


def generator_uniform(mu, sigma):
    rng = np.random.default_rng(11)
    y = rng.uniform(mu, mu + sigma, 6)
    return np.sum(y * y * sigma)


def global_uniform(mu, sigma):
    np.random.seed(2)
    return np.sum(np.exp(np.random.uniform(low=-sigma, high=mu, size=3)))


def scale_families(mu, sigma, rng=None):
    rng = np.random.default_rng(13) if rng is None else rng
    total = np.sum(rng.exponential(sigma, 3) ** 2) + np.sum(np.sin(rng.rayleigh(sigma * mu, 2)))
    total = total + np.sum(rng.logistic(mu, sigma, 2) ** 2) + np.sum(rng.laplace(mu, sigma, 2) ** 2)
    total = total + np.sum(rng.gumbel(mu, sigma, 2) ** 2)
    return total + np.sum(np.log(rng.lognormal(mu, sigma, 3)) ** 2)


def scale_families_of_a_random_state(mu, sigma):
    return scale_families(mu, sigma, np.random.RandomState(13))


def draws_in_a_loop(mu, sigma):
    rng = np.random.default_rng(17)
    h = mu
    for i in range(3):
        h = np.tanh(h + rng.normal(h * 0.5, sigma))
    return h


DRAWS = [global_normal, global_normal_keywords, generator_normal, generator_normal_arrays, chained_generator,
         random_state_normal,
         generator_uniform, global_uniform, scale_families, scale_families_of_a_random_state, draws_in_a_loop]
# the rules these exercise, for every generator kind
PATHWISE = [bound_methods(getattr(kind, draw)) for kind in (np.random.RandomState, np.random.Generator)
            for draw in ("normal", "logistic", "laplace", "gumbel", "uniform", "exponential", "rayleigh", "lognormal")]
POINT = (0.4, 0.7)


@pytest.mark.parametrize("optimize", [True, False], ids=["optimized", "unoptimized"])
@pytest.mark.parametrize("f", DRAWS, ids=lambda f: f.__name__)
def test_pathwise_gradient_matches_finite_differences(f, optimize):
    value, gradient = srcad.value_and_grad(f, (0, 1), optimize=optimize)(*POINT)
    assert value == f(*POINT)                      # the same numbers drawn
    for position in (0, 1):
        assert np.isclose(gradient[position], numerical_gradient(f, list(POINT), position), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("f", DRAWS, ids=lambda f: f.__name__)
def test_forward_mode_agrees_with_reverse_mode(f):
    value, tangent = srcad.jvp(f, (0, 1))(*POINT, 1.0, -0.5)
    gradient = srcad.grad(f, (0, 1))(*POINT)
    assert value == f(*POINT)
    assert np.isclose(tangent, gradient[0] - 0.5 * gradient[1], rtol=1e-10)


@pytest.mark.parametrize("f", DRAWS, ids=lambda f: f.__name__)
def test_second_derivatives_match_differences_of_the_gradient(f):
    hessian = srcad.hessian(f, (0, 1))(*POINT)
    gradient = srcad.grad(f, (0, 1))
    for i in (0, 1):
        step = np.eye(2)[i] * 1e-5
        up, down = gradient(*(np.array(POINT) + step)), gradient(*(np.array(POINT) - step))
        for j in (0, 1):
            assert np.isclose(hessian[j][i], (up[j] - down[j]) / 2e-5, rtol=1e-4, atol=1e-6)


def draws_from_the_callers_state(mu):
    return np.sum(np.random.normal(mu, 2.0, 3) ** 2)


def test_the_generator_is_left_as_the_function_leaves_it():
    np.random.seed(0)
    expected, after = draws_from_the_callers_state(0.3), np.random.random()
    np.random.seed(0)
    value, _ = srcad.value_and_grad(draws_from_the_callers_state)(0.3)
    assert value == expected and np.random.random() == after
    np.random.seed(0)
    _, tangent = srcad.jvp(draws_from_the_callers_state)(0.3, 1.0)
    assert np.random.random() == after


def zero_scale(mu, sigma):
    return np.sum(np.random.default_rng(0).normal(mu, sigma * 0.0, 3))


def test_a_zero_scale_along_which_the_draw_moves_is_refused_clearly():
    assert srcad.grad(zero_scale)(0.4, 0.7) == 3.0       # along the location: fine
    with pytest.raises(srcad.NonDifferentiableError, match="along its scale where the scale is 0"):
        srcad.grad(zero_scale, 1)(0.4, 0.7)


def shape_of_a_gamma(k):
    return np.sum(np.random.default_rng(0).gamma(k, 1.0, 3))


def test_a_draw_without_a_pathwise_rule_is_refused():
    with pytest.raises(srcad.NonDifferentiableError, match="gamma"):
        srcad.grad(shape_of_a_gamma)(2.0)
