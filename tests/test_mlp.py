"""The multilayer perceptron of section 6.5.7, differentiated w.r.t. all its weights.

One hidden layer of rectified linear units, unnormalised log-probabilities,
softmax cross-entropy and weight decay, with biases. Checked against central
finite differences in float64, once through srcad.nn's fused rules and once
written with plain NumPy only (so the generic rules do all the work).
"""
import numpy as np
import pytest

import srcad
from srcad import nn
from gradcheck import numerical_gradient

WEIGHTS = (0, 1, 2, 3)


def loss(W1, b1, W2, b2, X, y, lam):
    H = np.maximum(0.0, X @ W1 + b1)
    U = H @ W2 + b2
    return nn.softmax_cross_entropy(U, y) + lam * (np.sum(W1 ** 2) + np.sum(W2 ** 2))


def loss_nn_relu(W1, b1, W2, b2, X, y, lam):
    H = nn.relu(X @ W1 + b1)
    U = H @ W2 + b2
    return nn.softmax_cross_entropy(U, y) + lam * (np.sum(W1 ** 2) + np.sum(W2 ** 2))


def loss_plain_numpy(W1, b1, W2, b2, X, Y, lam):
    """The same cost with one-hot targets Y and a hand-written log-sum-exp."""
    H = np.maximum(0.0, X @ W1 + b1)
    U = H @ W2 + b2
    m = np.max(U, axis=1, keepdims=True)
    log_z = m + np.log(np.sum(np.exp(U - m), axis=1, keepdims=True))
    nll = -np.sum(Y * (U - log_z)) / X.shape[0]
    return nll + lam * (np.sum(W1 * W1) + np.sum(W2 * W2))


def hand_written_backprop(W1, b1, W2, b2, X, y, lam):
    """Algorithm 6.4 for this network, written out by hand."""
    A = X @ W1 + b1
    H = np.maximum(0.0, A)
    U = H @ W2 + b2
    P = np.exp(U - U.max(axis=1, keepdims=True))
    P /= P.sum(axis=1, keepdims=True)
    G = P.copy()
    G[np.arange(len(y)), y] -= 1.0
    G /= len(y)
    dW2 = H.T @ G + 2 * lam * W2
    db2 = G.sum(axis=0)
    G = (G @ W2.T) * (A > 0)
    dW1 = X.T @ G + 2 * lam * W1
    db1 = G.sum(axis=0)
    return dW1, db1, dW2, db2


def problem(seed=0, batch=7, inputs=5, hidden=6, classes=4):
    rng = np.random.default_rng(seed)
    W1 = rng.standard_normal((inputs, hidden)) * 0.7
    b1 = rng.standard_normal(hidden) * 0.1
    W2 = rng.standard_normal((hidden, classes)) * 0.7
    b2 = rng.standard_normal(classes) * 0.1
    X = rng.standard_normal((batch, inputs))
    labels = rng.integers(0, classes, batch)
    return [W1, b1, W2, b2, X, labels, 1e-2]


def one_hot(labels, classes):
    return np.eye(classes)[labels]


def check_against_finite_differences(f, args, grads):
    assert len(grads) == len(WEIGHTS)
    for got, position in zip(grads, WEIGHTS):
        expected = numerical_gradient(f, args, position)
        assert got.shape == args[position].shape and got.dtype == np.float64
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("f", [loss, loss_nn_relu])
def test_integer_labels(f):
    args = problem()
    check_against_finite_differences(f, args, srcad.grad(f, wrt=WEIGHTS)(*args))


def test_one_hot_labels_give_the_same_gradient():
    args = problem(seed=1)
    with_integers = srcad.grad(loss, wrt=WEIGHTS)(*args)
    one_hot_args = args[:5] + [one_hot(args[5], 4), args[6]]
    with_one_hot = srcad.grad(loss, wrt=WEIGHTS)(*one_hot_args)
    check_against_finite_differences(loss, one_hot_args, with_one_hot)
    for a, b in zip(with_integers, with_one_hot):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


def test_plain_numpy_version_uses_the_generic_rules():
    args = problem(seed=2)
    args[5] = one_hot(args[5], 4)
    df = srcad.grad(loss_plain_numpy, wrt=WEIGHTS)
    check_against_finite_differences(loss_plain_numpy, args, df(*args))
    assert "nn." not in df.source


def test_matches_hand_written_backprop_and_value():
    args = problem(seed=3, batch=16, inputs=8, hidden=10, classes=5)
    value, grads = srcad.value_and_grad(loss, wrt=WEIGHTS)(*args)
    np.testing.assert_allclose(value, loss(*args))
    for got, expected in zip(grads, hand_written_backprop(*args)):
        np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12)


def test_weight_decay_alone():
    args = problem(seed=4)
    without = srcad.grad(loss, wrt=WEIGHTS)(*args[:6], 0.0)
    with_decay = srcad.grad(loss, wrt=WEIGHTS)(*args[:6], 0.5)
    np.testing.assert_allclose(with_decay[0] - without[0], 2 * 0.5 * args[0], rtol=1e-10)
    np.testing.assert_allclose(with_decay[2] - without[2], 2 * 0.5 * args[2], rtol=1e-10)
    np.testing.assert_allclose(with_decay[1], without[1], rtol=1e-12)   # biases are not decayed
    np.testing.assert_allclose(with_decay[3], without[3], rtol=1e-12)


def test_generated_backprop_has_no_tape_and_no_gradient_for_the_data():
    source = srcad.grad(loss, wrt=WEIGHTS).source
    assert "tape" not in source.lower()
    for name in ("d_W1", "d_b1", "d_W2", "d_b2"):
        assert name in source
    for constant in ("d_X ", "d_y ", "d_lam "):
        assert constant not in source
