"""Jacobians and Hessians send all basis vectors through one sweep when the code allows."""
import numpy as np
import pytest

import srcad
import srcad.api.higher as higher


def elementwise(x):
    return np.tanh(x) * x + np.sin(x) ** 2


def mixes_the_first_axis(x):
    return np.sum(x, axis=0) * x[0]


def quadratic_form(x):
    return np.sum(np.tanh(x) * x * x)


def _counting(monkeypatch):
    calls = []
    original = higher._columns

    def spy(linear_map, chosen, k):
        def counted(directions):
            calls.append(np.shape(directions[k]))
            return linear_map(directions)
        return original(counted, chosen, k)

    monkeypatch.setattr(higher, "_columns", spy)
    return calls


@pytest.mark.parametrize("function", [elementwise, mixes_the_first_axis])
def test_forward_jacobian_matches_reverse(function):
    x = np.random.default_rng(0).normal(size=(3, 2))
    np.testing.assert_allclose(srcad.jacobian(function, mode="forward")(x),
                               srcad.jacobian(function, mode="reverse")(x), rtol=1e-10, atol=1e-12)


def test_elementwise_code_takes_every_basis_vector_in_one_sweep(monkeypatch):
    calls = _counting(monkeypatch)
    srcad.jacobian(elementwise, mode="forward")(np.ones((3, 2)) * 0.3)
    assert calls[0] == (6, 3, 2)  # the whole basis at once
    assert len(calls) == 2        # and one random combination to check it


def test_code_that_mixes_the_batch_axis_falls_back_to_one_sweep_per_vector(monkeypatch):
    calls = _counting(monkeypatch)
    x = np.random.default_rng(1).normal(size=(3, 2))
    jacobian = srcad.jacobian(mixes_the_first_axis, mode="forward")(x)
    assert len(calls) == 2 + 6  # the batch was tried, checked, and refused
    expected = srcad.jacobian(mixes_the_first_axis, mode="reverse")(x)
    np.testing.assert_allclose(jacobian, expected, rtol=1e-10)


def test_hessian_batched_matches_finite_differences_of_the_gradient():
    x = np.random.default_rng(2).normal(size=4)
    hessian = srcad.hessian(quadratic_form)(x)
    gradient = srcad.grad(quadratic_form)
    step = 1e-6
    expected = np.stack([(gradient(x + step * e) - gradient(x - step * e)) / (2 * step) for e in np.eye(4)], axis=1)
    np.testing.assert_allclose(hessian, expected, rtol=1e-6, atol=1e-8)


def ignores_its_argument(x):
    return 2.0


def test_hessian_of_a_constant_is_zeros_of_the_right_shape():
    assert srcad.hessian(ignores_its_argument)(np.ones(3)).shape == (3, 3)
    assert not srcad.hessian(ignores_its_argument)(np.ones(3)).any()
