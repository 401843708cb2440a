"""Train the multilayer perceptron of section 6.5.7 of Deep Learning
(Goodfellow, Bengio and Courville) on the handwritten digits that ship with
scikit-learn, using gradients that srcad writes from the loss function.

The model is one hidden layer of rectified linear units, H = max{0, X W1 + b1},
followed by unnormalised log-probabilities U = H W2 + b2; the cost is the
softmax cross-entropy plus weight decay lam * (sum W1^2 + sum W2^2). Before
training, the generated gradient is compared with central finite differences.
Training is minibatch stochastic gradient descent (srcad.optimizers.sgd), one
progress bar per epoch; the training and validation curves are saved as a PNG.
At the end the script prints the derivative srcad generated: it is the
back-propagation walk-through of section 6.5.7, as Python.

    python examples/train_mlp.py [--quick] [--out DIR]
"""
import time

import numpy as np
from tqdm import tqdm

import srcad
from srcad import nn
from shared import command_line, digits, pyplot, save


def loss(W1, b1, W2, b2, X, y, lam):
    """The cost J of section 6.5.7: cross-entropy plus weight decay."""
    H = np.maximum(0.0, X @ W1 + b1)   # hidden features
    U = H @ W2 + b2                     # unnormalised log-probabilities of the 10 digits
    return nn.softmax_cross_entropy(U, y) + lam * (np.sum(W1 ** 2) + np.sum(W2 ** 2))


def predict(W1, b1, W2, b2, X):
    return np.argmax(np.maximum(0.0, X @ W1 + b1) @ W2 + b2, axis=1)


def gradient_check(loss_and_grads, params, X, y, lam, entries=20, step=1e-6, seed=0):
    """The largest error between the generated gradient and central differences on ``entries``
    random entries of each parameter, relative to that parameter's largest derivative; in
    float64, where differences are accurate to about 1e-9."""
    params = [p.astype(np.float64) for p in params]
    X = X.astype(np.float64)
    _, grads = loss_and_grads(*params, X, y, lam)
    rng = np.random.default_rng(seed)
    worst = 0.0
    for p, g in zip(params, grads):
        for index in zip(*(rng.integers(0, n, entries) for n in p.shape)):
            saved = p[index]
            p[index] = saved + step
            above = loss(*params, X, y, lam)
            p[index] = saved - step
            below = loss(*params, X, y, lam)
            p[index] = saved
            numeric = (above - below) / (2 * step)
            worst = max(worst, abs(g[index] - numeric) / np.max(np.abs(g)))
    return worst


def record(history, params, train, validation, lam):
    """Append this epoch's cost and accuracy on the training and validation sets to ``history``."""
    for name, (X, y) in (("train", train), ("validation", validation)):
        history[f"{name} loss"].append(float(loss(*params, X, y, lam)))
        history[f"{name} accuracy"].append(float(np.mean(predict(*params, X) == y)))


def plot_curves(history, out):
    plt = pyplot()
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8))
    epochs = np.arange(1, len(history["train loss"]) + 1)
    left.plot(epochs, history["train loss"], label="training")
    left.plot(epochs, history["validation loss"], label="validation")
    left.set(xlabel="epoch", ylabel="cost J", title="cross-entropy + weight decay")
    right.plot(epochs, history["train accuracy"], label="training")
    right.plot(epochs, history["validation accuracy"], label="validation")
    right.set(xlabel="epoch", ylabel="accuracy", title="accuracy")
    for axes in (left, right):
        axes.legend()
        axes.grid(alpha=0.3)
    return save(figure, out, "train_mlp.png")


def main(quick=False, out=None, hidden=64, batch_size=32, learning_rate=0.1, lam=1e-4, seed=0):
    epochs = 4 if quick else 20
    (X_train, y_train), (X_val, y_val), (X_test, y_test) = digits(seed)

    rng = np.random.default_rng(seed)
    params = (
        (rng.standard_normal((64, hidden)) * np.sqrt(2.0 / 64)).astype(np.float32),       # W1
        np.zeros(hidden, dtype=np.float32),                                              # b1
        (rng.standard_normal((hidden, 10)) * np.sqrt(1.0 / hidden)).astype(np.float32),  # W2
        np.zeros(10, dtype=np.float32),                                                  # b2
    )

    # The derivative is written and compiled once, here; each call runs only it.
    loss_and_grads = srcad.value_and_grad(loss, wrt=(0, 1, 2, 3))
    error = gradient_check(loss_and_grads, params, X_train[:64], y_train[:64], lam)
    print(f"generated gradient against central differences: max relative error {error:.1e}")

    opt = srcad.optimizers.sgd(lr=learning_rate)
    state = opt.init(params)
    history = {"train loss": [], "validation loss": [], "train accuracy": [], "validation accuracy": []}
    start = time.perf_counter()
    for epoch in range(1, epochs + 1):
        order = rng.permutation(len(X_train))
        with tqdm(total=-(-len(order) // batch_size), desc=f"epoch {epoch:2d}", unit="batch") as bar:
            for first in range(0, len(order), batch_size):
                rows = order[first:first + batch_size]
                value, grads = loss_and_grads(*params, X_train[rows], y_train[rows], lam)
                params, state = opt.update(params, grads, state)
                bar.set_postfix(loss=f"{float(value):.3f}", refresh=False)
                bar.update()
            record(history, params, (X_train, y_train), (X_val, y_val), lam)
            bar.set_postfix(loss=f"{history['train loss'][-1]:.3f}", train_acc=f"{history['train accuracy'][-1]:.1%}",
                            val_acc=f"{history['validation accuracy'][-1]:.1%}")
    print(f"trained {epochs} epochs in {time.perf_counter() - start:.1f} s")
    figure = plot_curves(history, out)

    accuracy = float(np.mean(predict(*params, X_test) == y_test))
    print(f"test accuracy {accuracy:.1%}")

    print("\nThe derivative srcad wrote for loss() (loss_and_grads.source):\n")
    print(loss_and_grads.source)
    return {"gradient error": error, "history": history, "test accuracy": accuracy, "figure": figure}


if __name__ == "__main__":
    quick, out = command_line(__doc__)
    main(quick=quick, out=out)
