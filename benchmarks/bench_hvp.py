"""What does a Hessian-vector product cost, next to one gradient?

``srcad.hvp`` is forward mode applied to the gradient srcad generates (forward
over reverse): one sweep that carries, next to every value of the gradient
computation, its tangent along ``v``. It should cost a small constant times
one gradient, whatever the number of parameters, and it never forms the
Hessian.

The case is the multilayer perceptron of section 6.5.7 of Deep Learning (one
hidden layer of rectified linear units, softmax cross-entropy, weight decay),
with derivatives with respect to both weight matrices, at two sizes. The
gradient and the HVP run in the same process in interleaved repetitions
(grad, hvp, grad, hvp, ...); the best repetition of each is kept, and the ratio
hvp time / grad time is printed.

    python benchmarks/bench_hvp.py
    python benchmarks/bench_hvp.py --show      # also print the generated HVP source
    OPENBLAS_NUM_THREADS=1 python benchmarks/bench_hvp.py   # steadier on a busy machine

Not a test: the only check is that the HVP agrees with finite differences of
the gradient.
"""
import argparse
import os
import sys
import timeit

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import srcad  # noqa: E402
from srcad import nn  # noqa: E402


def loss(W1, W2, X, y, lam):
    """The cost of section 6.5.7: cross-entropy plus weight decay."""
    H = np.maximum(0.0, X @ W1)
    U = H @ W2
    return nn.softmax_cross_entropy(U, y) + lam * (np.sum(W1 ** 2) + np.sum(W2 ** 2))


SIZES = [("batch 128, 64 -> 128 -> 10", 128, 64, 128, 10), ("batch 128, 784 -> 256 -> 10", 128, 784, 256, 10)]


def best_of(function, args, repeat, number):
    return min(timeit.repeat(lambda: function(*args), repeat=1, number=number)[0] / number for _ in range(repeat))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--show", action="store_true")
    options = parser.parse_args()

    gradient = srcad.grad(loss, wrt=(0, 1))
    hvp = srcad.hvp(loss, wrt=(0, 1))
    if options.show:
        print(hvp.source)
    rng = np.random.default_rng(0)
    print(f"{'case':30s} {'grad':>10s} {'hvp':>10s} {'hvp / grad':>11s}")
    for label, batch, n_in, n_hidden, n_out in SIZES:
        X = rng.standard_normal((batch, n_in))
        y = rng.integers(0, n_out, size=batch)
        W1 = rng.standard_normal((n_in, n_hidden)) * np.sqrt(2.0 / n_in)
        W2 = rng.standard_normal((n_hidden, n_out)) * np.sqrt(1.0 / n_hidden)
        V = (rng.standard_normal(W1.shape), rng.standard_normal(W2.shape))
        lam = 1e-4

        # the HVP is the derivative of the gradient along v
        h = 1e-6
        plus = gradient(W1 + h * V[0], W2 + h * V[1], X, y, lam)
        minus = gradient(W1 - h * V[0], W2 - h * V[1], X, y, lam)
        for got, p, m in zip(hvp(W1, W2, X, y, lam, V), plus, minus):
            np.testing.assert_allclose(got, (p - m) / (2 * h), rtol=1e-4, atol=1e-7)

        grad_args, hvp_args = (W1, W2, X, y, lam), (W1, W2, X, y, lam, V)
        number = 20
        grad_times, hvp_times = [], []
        for _ in range(options.repeat):  # interleaved, so a noisy moment hits both alike
            grad_times.append(best_of(gradient, grad_args, 1, number))
            hvp_times.append(best_of(hvp, hvp_args, 1, number))
        t_grad, t_hvp = min(grad_times), min(hvp_times)
        print(f"{label:30s} {t_grad * 1e3:8.3f} ms {t_hvp * 1e3:8.3f} ms {t_hvp / t_grad:11.2f}")


if __name__ == "__main__":
    main()
