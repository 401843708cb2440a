"""Train the multilayer perceptron of section 6.5.7 of Deep Learning
(Goodfellow, Bengio and Courville) on the handwritten digits that ship with
scikit-learn, using gradients that srcad writes from the loss function.

The model is one hidden layer of rectified linear units, H = max{0, X W1 + b1},
followed by unnormalised log-probabilities U = H W2 + b2; the cost is the
softmax cross-entropy plus weight decay lam * (sum W1^2 + sum W2^2). Training
is plain minibatch stochastic gradient descent. At the end the script prints
the derivative srcad generated: it is the back-propagation walk-through of
section 6.5.7, as Python.

    python examples/train_mlp.py
"""
import time

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import srcad
from srcad import nn

try:
    from tqdm import tqdm
except ImportError:  # progress bars are optional
    def tqdm(iterable, **_):
        return iterable


def loss(W1, b1, W2, b2, X, y, lam):
    """The cost J of section 6.5.7: cross-entropy plus weight decay."""
    H = np.maximum(0.0, X @ W1 + b1)   # hidden features
    U = H @ W2 + b2                     # unnormalised log-probabilities of the 10 digits
    return nn.softmax_cross_entropy(U, y) + lam * (np.sum(W1 ** 2) + np.sum(W2 ** 2))


def predict(W1, b1, W2, b2, X):
    return np.argmax(np.maximum(0.0, X @ W1 + b1) @ W2 + b2, axis=1)


def main(epochs=20, hidden=64, batch_size=32, learning_rate=0.1, lam=1e-4, seed=0):
    digits = load_digits()                                # 1797 images of 8x8 pixels, 0..16
    X = (digits.data / 16.0).astype(np.float32)
    X_train, X_test, y_train, y_test = train_test_split(
        X, digits.target, test_size=0.25, random_state=seed, stratify=digits.target)
    mean = X_train.mean(axis=0)                           # centred pixels keep SGD steady
    X_train, X_test = X_train - mean, X_test - mean

    rng = np.random.default_rng(seed)
    params = [
        (rng.standard_normal((64, hidden)) * np.sqrt(2.0 / 64)).astype(np.float32),   # W1
        np.zeros(hidden, dtype=np.float32),                                          # b1
        (rng.standard_normal((hidden, 10)) * np.sqrt(1.0 / hidden)).astype(np.float32),  # W2
        np.zeros(10, dtype=np.float32),                                              # b2
    ]

    # The derivative is written and compiled once, here; each call runs only it.
    loss_and_grads = srcad.value_and_grad(loss, wrt=(0, 1, 2, 3))

    start = time.perf_counter()
    for epoch in range(1, epochs + 1):
        order = rng.permutation(len(X_train))
        total = 0.0
        for first in tqdm(range(0, len(order), batch_size), desc=f"epoch {epoch}", leave=False):
            rows = order[first:first + batch_size]
            value, grads = loss_and_grads(*params, X_train[rows], y_train[rows], lam)
            for p, g in zip(params, grads):
                p -= learning_rate * g                    # stochastic gradient descent
            total += float(value) * len(rows)
        accuracy = np.mean(predict(*params, X_test) == y_test)
        print(f"epoch {epoch:2d}   loss {total / len(order):.4f}   test accuracy {accuracy:.1%}")
    print(f"trained in {time.perf_counter() - start:.1f} s")

    print("\nThe derivative srcad wrote for loss() (loss_and_grads.source):\n")
    print(loss_and_grads.source)


if __name__ == "__main__":
    main()
