"""How fast is a derivative srcad writes, next to the same derivative written by hand?

Cases:

* the multilayer perceptron of section 6.5.7 of Deep Learning (one hidden
  layer of rectified linear units, softmax cross-entropy, weight decay,
  biases), at two sizes: batch 128 with 64 -> 128 -> 10, and batch 128 with
  784 -> 256 -> 10 (MNIST-shaped);
* a recurrent network over a Python ``for`` loop (GENERATED.md's ``rnn``),
  whose backward sweep replays the loop from a tape.

Each case times ``srcad.grad`` and ``srcad.value_and_grad`` against a
hand-written NumPy backprop of the same loss. The two run in the same
process, in interleaved repetitions (srcad, hand, srcad, hand, ...), and the
best repetition of each is kept, so that a noisy moment hits both alike.
The ratio srcad / hand-written is printed: 1.00 means no overhead.

    python benchmarks/bench_mlp.py                 # all cases, float64
    python benchmarks/bench_mlp.py --dtype float32
    python benchmarks/bench_mlp.py --show          # also print the generated source
    OPENBLAS_NUM_THREADS=1 python benchmarks/bench_mlp.py   # steadier on a busy machine

Not a test: nothing is asserted except that both sides agree.
"""
import argparse
import os
import sys
import timeit

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import srcad  # noqa: E402
from srcad import nn  # noqa: E402


# ------------------------------------------------------------------ the MLP


def mlp_loss(W1, b1, W2, b2, X, y, lam):
    H = np.maximum(0.0, X @ W1 + b1)
    U = H @ W2 + b2
    return nn.softmax_cross_entropy(U, y) + lam * (np.sum(W1 ** 2) + np.sum(W2 ** 2))


def _mlp_backprop(W1, b1, W2, b2, X, y, lam, with_value):
    """Algorithm 6.4 for this network, as one would write it with NumPy."""
    A = X @ W1 + b1
    H = np.maximum(0.0, A)
    U = H @ W2 + b2
    Z = U - U.max(axis=1, keepdims=True)
    E = np.exp(Z)
    S = E.sum(axis=1, keepdims=True)
    P = E / S
    batch = X.shape[0]
    rows = np.arange(batch)
    value = None
    if with_value:
        logp = Z[rows, y] - np.log(S[:, 0])
        value = -np.mean(logp) + lam * (np.sum(W1 ** 2) + np.sum(W2 ** 2))
    G = P
    G[rows, y] -= 1.0
    G /= batch
    dW2 = H.T @ G + (2.0 * lam) * W2
    db2 = G.sum(axis=0)
    G = (G @ W2.T) * (A > 0.0)
    dW1 = X.T @ G + (2.0 * lam) * W1
    db1 = G.sum(axis=0)
    grads = (dW1, db1, dW2, db2)
    return (value, grads) if with_value else grads


def mlp_grad_by_hand(W1, b1, W2, b2, X, y, lam):
    return _mlp_backprop(W1, b1, W2, b2, X, y, lam, with_value=False)


def mlp_value_and_grad_by_hand(W1, b1, W2, b2, X, y, lam):
    return _mlp_backprop(W1, b1, W2, b2, X, y, lam, with_value=True)


def mlp_problem(batch, inputs, hidden, classes, dtype, seed=0):
    rng = np.random.default_rng(seed)
    W1 = (rng.standard_normal((inputs, hidden)) * np.sqrt(2.0 / inputs)).astype(dtype)
    b1 = np.zeros(hidden, dtype=dtype)
    W2 = (rng.standard_normal((hidden, classes)) * np.sqrt(1.0 / hidden)).astype(dtype)
    b2 = np.zeros(classes, dtype=dtype)
    X = rng.standard_normal((batch, inputs)).astype(dtype)
    y = rng.integers(0, classes, batch)
    return (W1, b1, W2, b2, X, y, 1e-4)


# ------------------------------------------------------------------ the RNN


def rnn_loss(Wx, Wh, xs):
    h = np.zeros(Wh.shape[0])
    for t in range(xs.shape[0]):
        h = np.tanh(Wx @ xs[t] + Wh @ h)
    return np.sum(h ** 2)


def _rnn_backprop(Wx, Wh, xs, with_value):
    steps = xs.shape[0]
    hs = [np.zeros(Wh.shape[0])]       # as rnn_loss starts it
    for t in range(steps):
        hs.append(np.tanh(Wx @ xs[t] + Wh @ hs[-1]))
    h = hs[-1]
    d_h = 2.0 * h
    d_Wx = np.zeros_like(Wx)
    d_Wh = np.zeros_like(Wh)
    for t in reversed(range(steps)):
        d_z = d_h * (1.0 - hs[t + 1] * hs[t + 1])
        d_Wx += np.outer(d_z, xs[t])
        d_Wh += np.outer(d_z, hs[t])
        d_h = Wh.T @ d_z
    grads = (d_Wx, d_Wh)
    return (np.sum(h ** 2), grads) if with_value else grads


def rnn_grad_by_hand(Wx, Wh, xs):
    return _rnn_backprop(Wx, Wh, xs, with_value=False)


def rnn_value_and_grad_by_hand(Wx, Wh, xs):
    return _rnn_backprop(Wx, Wh, xs, with_value=True)


def rnn_problem(steps, inputs, hidden, dtype, seed=0):
    rng = np.random.default_rng(seed)
    Wx = (rng.standard_normal((hidden, inputs)) / np.sqrt(inputs)).astype(dtype)
    Wh = (rng.standard_normal((hidden, hidden)) / np.sqrt(hidden)).astype(dtype)
    xs = rng.standard_normal((steps, inputs)).astype(dtype)
    return (Wx, Wh, xs)


# ----------------------------------------------------------------- timing


def best_of(functions, args, repeat, number):
    """Best time per call of each function, measured in interleaved repetitions."""
    timers = [timeit.Timer(lambda f=f: f(*args)) for f in functions]
    best = [float("inf")] * len(functions)
    for _ in range(repeat):
        for index, timer in enumerate(timers):
            best[index] = min(best[index], timer.timeit(number) / number)
    return best


def calls_per_repeat(function, args, target_seconds=0.05):
    """Enough calls that one repetition lasts about ``target_seconds``."""
    elapsed = timeit.Timer(lambda: function(*args)).timeit(3) / 3
    return max(1, int(target_seconds / max(elapsed, 1e-9)))


def check_agree(srcad_result, hand_result, dtype):
    tolerance = 1e-4 if dtype == np.float32 else 1e-9
    for got, expected in zip(srcad_result, hand_result):
        np.testing.assert_allclose(got, expected, rtol=tolerance, atol=tolerance)


def run_case(title, f, wrt, grad_by_hand, value_and_grad_by_hand, args, repeat, dtype, show):
    df = srcad.grad(f, wrt=wrt)
    vg = srcad.value_and_grad(f, wrt=wrt)
    check_agree(df(*args), grad_by_hand(*args), dtype)
    value, grads = vg(*args)
    hand_value, hand_grads = value_and_grad_by_hand(*args)
    check_agree(grads, hand_grads, dtype)
    check_agree([value], [hand_value], dtype)
    if show:
        print(f"\n# srcad.grad of {f.__name__}:\n{df.source}")
    rows = []
    for label, generated, by_hand in (("grad", df, grad_by_hand),
                                      ("value_and_grad", vg, value_and_grad_by_hand)):
        number = calls_per_repeat(by_hand, args)
        srcad_time, hand_time = best_of([generated, by_hand], args, repeat, number)
        rows.append((label, srcad_time, hand_time))
    print(f"\n{title}")
    print(f"  {'':16}{'srcad':>12}{'by hand':>12}{'ratio':>8}")
    for label, srcad_time, hand_time in rows:
        print(f"  {label:16}{srcad_time * 1e3:10.3f}ms{hand_time * 1e3:10.3f}ms{srcad_time / hand_time:8.2f}")
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dtype", choices=("float64", "float32"), default="float64")
    parser.add_argument("--repeat", type=int, default=15, help="interleaved repetitions (best is kept)")
    parser.add_argument("--show", action="store_true", help="print the generated source of each case")
    options = parser.parse_args(argv)
    dtype = np.dtype(options.dtype).type
    threads = os.environ.get("OPENBLAS_NUM_THREADS") or os.environ.get("OMP_NUM_THREADS") or "default"
    print(f"NumPy {np.__version__}, Python {sys.version.split()[0]}, {options.dtype}, BLAS threads: {threads}, "
          f"best of {options.repeat} interleaved repetitions")
    mlp_wrt = (0, 1, 2, 3)
    run_case("MLP, batch 128, 64 -> 128 -> 10", mlp_loss, mlp_wrt, mlp_grad_by_hand,
             mlp_value_and_grad_by_hand, mlp_problem(128, 64, 128, 10, dtype), options.repeat, dtype,
             options.show)
    run_case("MLP, batch 128, 784 -> 256 -> 10", mlp_loss, mlp_wrt, mlp_grad_by_hand,
             mlp_value_and_grad_by_hand, mlp_problem(128, 784, 256, 10, dtype), options.repeat, dtype,
             False)
    run_case("RNN, 50 steps, 32 inputs, 64 hidden (a Python loop)", rnn_loss, (0, 1), rnn_grad_by_hand,
             rnn_value_and_grad_by_hand, rnn_problem(50, 32, 64, dtype), options.repeat, dtype, options.show)


if __name__ == "__main__":
    main()
