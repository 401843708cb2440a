"""What the examples share: their command line, where figures go, and a headless pyplot.

Every example runs as ``python examples/NAME.py [--quick] [--out DIR]``. ``--quick`` (or the
environment variable ``SRCAD_EXAMPLES_QUICK=1``) runs a reduced version in a few seconds, which
is what the test suite does; ``--out`` is the folder for figures (``examples/figures`` by default).
"""
import argparse
import os
import pathlib

import matplotlib
import numpy as np

import srcad

matplotlib.use("Agg")  # figures are written to files: no window, no display needed
import matplotlib.pyplot as plt  # noqa: E402  (after choosing the backend)

FIGURES = pathlib.Path(__file__).resolve().parent / "figures"


def command_line(description):
    """``(quick, out)`` from the command line and the environment."""
    parser = argparse.ArgumentParser(description=description.strip().splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a reduced run of a few seconds")
    parser.add_argument("--out", type=pathlib.Path, default=FIGURES, help="folder for the figures")
    arguments = parser.parse_args()
    quick = arguments.quick or os.environ.get("SRCAD_EXAMPLES_QUICK", "") not in ("", "0")
    return quick, arguments.out


def save(figure, out, name):
    """Write ``figure`` as ``out/name`` (a PNG), print where, and return the path."""
    out = pathlib.Path(out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / name
    figure.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(figure)
    print(f"figure written to {path}")
    return path


def descend(loss, params, data, opt, steps, what, reports=8):
    """``steps`` full-batch steps of the optimiser ``opt`` on ``loss(params, *data)``, with the
    gradient srcad writes; prints ``what`` (the loss's name) ``reports`` times along the way.
    Returns the parameters reached and the loss at every step."""
    loss_and_grad = srcad.value_and_grad(loss)
    state = opt.init(params)
    losses = []
    for step in range(steps):
        value, grads = loss_and_grad(params, *data)
        params, state = opt.update(params, grads, state)
        losses.append(float(value))
        if step % max(steps // reports, 1) == 0:
            print(f"step {step:5d}   {what} {float(value): .6f}")
    print(f"step {steps:5d}   {what} {float(loss(params, *data)): .6f}")
    return params, losses


def digits(seed):
    """Training, validation and test splits of scikit-learn's 8x8 handwritten digits (1797 images),
    float32 pixels scaled to [0, 1] and centred on the training set's mean."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    data = load_digits()
    X = (data.data / 16.0).astype(np.float32)
    X_rest, X_test, y_rest, y_test = train_test_split(
        X, data.target, test_size=0.25, random_state=seed, stratify=data.target)
    X_train, X_val, y_train, y_val = train_test_split(
        X_rest, y_rest, test_size=0.2, random_state=seed, stratify=y_rest)
    mean = X_train.mean(axis=0)  # centred pixels keep gradient descent steady
    return (X_train - mean, y_train), (X_val - mean, y_val), (X_test - mean, y_test)


def pyplot():
    """matplotlib's pyplot, on a backend that writes files only."""
    return plt
