"""The hidden units of section 6.3 of Deep Learning (Goodfellow, Bengio and Courville), side by
side: one network, nine choices of g in h = g(W^T x + b).

The network is the one of train_mlp.py (64 pixels, one hidden layer of 64 units, a softmax
output, weight decay) trained on scikit-learn's handwritten digits with Adam; only the hidden
unit changes. The unit is an ordinary Python function handed to the loss as an argument, so
srcad writes one derivative and differentiates whichever unit it is given when it runs.

- rectified linear units and their generalisations (section 6.3.1): relu max{0, z}, leaky relu
  (slope 0.01 below zero), absolute value rectification |z|, and maxout, the maximum of each
  group of k = 2 linear pieces (so its layer has twice the weights);
- the logistic sigmoid and the hyperbolic tangent (section 6.3.2);
- softplus log(1 + e^z), hard tanh max{-1, min{1, z}} and cos (section 6.3.3).

The script prints a table of test accuracy and training time per unit and plots every unit's
learning curves in one figure.

    python examples/hidden_units.py [--quick] [--out DIR]
"""
import time

import numpy as np

import srcad
from srcad import nn
from shared import command_line, digits, pyplot, save

PIECES = 2  # linear pieces per maxout unit


def absolute_value(z):
    return np.abs(z)


def maxout(z):
    return nn.maxout(z, PIECES)


# name, g, and how many pre-activations each hidden unit takes
UNITS = [
    ("relu", nn.relu, 1),
    ("leaky relu", nn.leaky_relu, 1),
    ("absolute value", absolute_value, 1),
    ("maxout (k=2)", maxout, PIECES),
    ("tanh", np.tanh, 1),
    ("sigmoid", nn.sigmoid, 1),
    ("softplus", nn.softplus, 1),
    ("hard tanh", nn.hard_tanh, 1),
    ("cos", np.cos, 1),
]


def loss(params, X, y, unit, lam):
    """Softmax cross-entropy of a one-hidden-layer network whose hidden unit is ``unit``."""
    W1, b1, W2, b2 = params
    H = unit(X @ W1 + b1)
    return nn.softmax_cross_entropy(H @ W2 + b2, y) + lam * (np.sum(W1 ** 2) + np.sum(W2 ** 2))


def accuracy(params, X, y, unit):
    W1, b1, W2, b2 = params
    return float(np.mean(np.argmax(unit(X @ W1 + b1) @ W2 + b2, axis=1) == y))


def initial_params(pieces, hidden, rng):
    width = hidden * pieces
    return (
        (rng.standard_normal((64, width)) / np.sqrt(64)).astype(np.float32),
        np.zeros(width, dtype=np.float32),
        (rng.standard_normal((hidden, 10)) / np.sqrt(hidden)).astype(np.float32),
        np.zeros(10, dtype=np.float32),
    )


def train(unit, pieces, data, epochs, seed, hidden=64, batch_size=32, lam=1e-4):
    """Train with one unit; return its parameters, per-epoch curves, and the seconds it took."""
    (X_train, y_train), (X_val, y_val) = data
    rng = np.random.default_rng(seed)  # the same initial weights and batches for every unit
    params = initial_params(pieces, hidden, rng)
    loss_and_grads = srcad.value_and_grad(loss)
    opt = srcad.optimizers.adam(lr=3e-3)
    state = opt.init(params)
    curves = {"training loss": [], "validation accuracy": []}
    start = time.perf_counter()
    for _ in range(epochs):
        order = rng.permutation(len(X_train))
        for first in range(0, len(order), batch_size):
            rows = order[first:first + batch_size]
            _, grads = loss_and_grads(params, X_train[rows], y_train[rows], unit, lam)
            params, state = opt.update(params, grads, state)
        curves["training loss"].append(float(loss(params, X_train, y_train, unit, lam)))
        curves["validation accuracy"].append(accuracy(params, X_val, y_val, unit))
    return params, curves, time.perf_counter() - start


def plot(results, out):
    plt = pyplot()
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2), layout="constrained")
    for name, result in results.items():
        epochs = np.arange(1, len(result["training loss"]) + 1)
        left.plot(epochs, result["training loss"], label=name)
        right.plot(epochs, result["validation accuracy"], label=name)
    left.set(xlabel="epoch", ylabel="cost J on the training set", yscale="log", title="training loss")
    right.set(xlabel="epoch", ylabel="accuracy", title="validation accuracy")
    right.legend(fontsize=8)
    for axes in (left, right):
        axes.grid(alpha=0.3)
    return save(figure, out, "hidden_units.png")


def main(quick=False, out=None, seed=0):
    epochs = 1 if quick else 12
    train_set, validation_set, (X_test, y_test) = digits(seed)
    results = {}
    print(f"{'hidden unit':16s} {'test accuracy':>13s} {'training time':>14s}")
    for name, unit, pieces in UNITS:
        params, curves, seconds = train(unit, pieces, (train_set, validation_set), epochs, seed)
        results[name] = {**curves, "test accuracy": accuracy(params, X_test, y_test, unit), "seconds": seconds}
        print(f"{name:16s} {results[name]['test accuracy']:13.1%} {seconds:12.2f} s")
    figure = plot(results, out)
    return {"results": results, "figure": figure}


if __name__ == "__main__":
    quick, out = command_line(__doc__)
    main(quick=quick, out=out)
