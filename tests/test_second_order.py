"""Reverse over reverse: ``grad(grad(f))`` through the generated code's tapes, buffers and writes,
checked against central differences of the gradient."""
import numpy as np
import pytest

import srcad


def with_subscripts(s):
    x = np.array([s, 2 * s, s * s])
    return np.sum(np.sin(x)[1:] * x[0])


def with_a_loop(s):
    h = s
    for _ in range(3):
        h = np.tanh(h) * s
    return h


def with_a_while_loop(s):
    y = s
    steps = 0
    while steps < 4:
        y = np.sin(y) + s * y
        steps += 1
    return y


def with_break(s):
    total = 0.0
    for i in range(10):
        total = total + np.cos(s * i)
        if i > 3:
            break
    return total * s


def with_writes(s):
    y = np.zeros(3)
    for i in range(3):
        y[i] = np.sin(s * (i + 1))
    return np.sum(y * y)


def with_a_list(s):
    states = []
    h = s
    for _ in range(3):
        h = np.tanh(h * s)
        states.append(h)
    return sum(states)


def helper(a, b):
    return np.exp(a * b)


def with_a_helper(s):
    return helper(s, s + 1.0) * s


def with_branches(s):
    if s > 0.5:
        return s ** 3
    return np.sin(s) * s


@pytest.mark.parametrize("function", [with_subscripts, with_a_loop, with_a_while_loop, with_break, with_writes,
                                      with_a_list, with_a_helper, with_branches])
@pytest.mark.parametrize("s", [0.3, 0.7])
def test_second_derivative_matches_differences_of_the_gradient(function, s):
    first = srcad.grad(function)
    step = 1e-5
    expected = (first(s + step) - first(s - step)) / (2 * step)
    assert srcad.grad(first)(s) == pytest.approx(expected, rel=1e-6, abs=1e-8)


def test_third_derivative_through_a_loop():
    third = srcad.grad(srcad.grad(srcad.grad(with_a_loop)))
    second = srcad.grad(srcad.grad(with_a_loop))
    step = 1e-5
    assert third(0.4) == pytest.approx((second(0.4 + step) - second(0.4 - step)) / (2 * step), rel=1e-5)


def loss(w, x):
    return np.sum(np.tanh(x @ w) ** 2)


def gradient_penalty(w, x):
    g = srcad.grad(loss)(w, x)
    return loss(w, x) + 0.5 * np.sum(g ** 2)


def test_a_function_that_calls_grad_inline():
    rng = np.random.default_rng(0)
    w, x = rng.normal(size=3) * 0.5, rng.normal(size=(4, 3))
    got = srcad.grad(gradient_penalty)(w, x)
    step = 1e-6
    expected = np.array([(gradient_penalty(w + step * e, x) - gradient_penalty(w - step * e, x)) / (2 * step)
                         for e in np.eye(3)])
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-9)


# ---- forward over reverse through np.prod: the tangent of prod_partials, exact with zeros

def _product(x):
    return np.prod(x)


def _squared_row_products(x):
    return np.sum(np.prod(x, axis=1) ** 2)


def _column_products(x):
    return np.sum(np.sin(np.prod(x, axis=0)))


@pytest.mark.parametrize("f, x", [
    (_product, np.array([0.7, -1.3, 0.4, 2.1])),
    (_product, np.array([0.0, 2.0, 3.0, 0.5])),
    (_product, np.array([0.0, 0.0, 3.0])),
    (_squared_row_products, np.array([[0.5, -1.2, 0.8], [0.3, 0.0, -0.4]])),
    (_column_products, np.array([[0.5, -1.2], [0.8, 0.3], [1.1, -0.4]])),
], ids=["vector", "one zero", "two zeros", "rows", "columns"])
def test_hvp_through_a_product_matches_differences_of_the_gradient(f, x):
    v = np.random.default_rng(3).normal(size=x.shape)
    step = 1e-5
    expected = (srcad.grad(f)(x + step * v) - srcad.grad(f)(x - step * v)) / (2 * step)
    np.testing.assert_allclose(srcad.hvp(f)(x, v), expected, rtol=1e-6, atol=1e-8)


def test_hvp_through_a_product_keeps_float32():
    x = np.array([[0.5, -1.2, 0.8], [0.3, 0.9, -0.4]], dtype=np.float32)
    assert srcad.hvp(_squared_row_products)(x, np.ones_like(x)).dtype == np.float32
