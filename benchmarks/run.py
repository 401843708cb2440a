"""srcad next to hand-written NumPy backprop, side by side in one process.

Every workload first checks srcad's gradient against the hand-written one (rtol 1e-6 in
float64, 1e-4 in float32), then times value-and-gradient calls of both in interleaved pairs
(srcad, hand, srcad, hand, ...) and reports the median time per call of each and the median of
the paired ratios srcad / hand-written (1.00: srcad costs nothing over writing it by hand).
Also: ``hvp`` against ``grad``, a 16-layer MLP with and without ``srcad.checkpoint`` (time and
peak memory), the first transformation, re-creating ``srcad.grad(f)``, and peak memory of one
gradient against hand-written.

    python benchmarks/run.py                     # Markdown table on stdout
    python benchmarks/run.py --quick             # fewer repetitions
    python benchmarks/run.py --cpus 1 --json results.json

Peers (autograd, PyTorch, JAX) are optional: the ``benchmarks`` extra installs them; a missing
one is skipped with a note. Not a test.
"""
import argparse
import importlib.metadata
import json
import os
import platform
import subprocess
import sys
import time
import tracemalloc


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (a rough table in seconds)")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON to PATH")
    parser.add_argument("--cpus", type=int, metavar="N", help="pin the process (and BLAS) to N CPUs")
    return parser.parse_args()


ARGUMENTS = parse_arguments()
if ARGUMENTS.cpus:  # before NumPy loads its BLAS
    for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[variable] = str(ARGUMENTS.cpus)
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, sorted(os.sched_getaffinity(0))[:ARGUMENTS.cpus])

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import srcad  # noqa: E402
from srcad import nn  # noqa: E402

RNG = np.random.default_rng(0)


# ------------------------------------------------------------------ workloads and their backprop
def polynomial(x, y):
    a = x * y + 3.0 * x * x
    b = a * a - y / x
    c = b * x + a * y - 2.0 * y * y
    d = c * c + b * a
    return d * 0.5 + c - a * b * y


def polynomial_by_hand(x, y):
    a = x * y + 3.0 * x * x
    b = a * a - y / x
    c = b * x + a * y - 2.0 * y * y
    d = c * c + b * a
    value = d * 0.5 + c - a * b * y
    g_c = 1.0 + c
    g_b = -a * y + 0.5 * a + g_c * x
    g_a = -b * y + 0.5 * b + g_c * y + g_b * 2.0 * a
    g_y = -a * b + g_c * (a - 4.0 * y) - g_b / x + g_a * x
    g_x = g_c * b + g_b * y / (x * x) + g_a * (y + 6.0 * x)
    return value, (g_x, g_y)


def mlp_tanh(W1, b1, W2, b2, X, y, lam):
    H = np.tanh(X @ W1 + b1)
    U = H @ W2 + b2
    return nn.softmax_cross_entropy(U, y) + lam * (np.sum(W1 * W1) + np.sum(W2 * W2))


def _softmax_cross_entropy_by_hand(U, y):
    shifted = U - np.max(U, axis=1, keepdims=True)
    e = np.exp(shifted)
    total = np.sum(e, axis=1, keepdims=True)
    n = U.shape[0]
    value = np.mean(np.log(total[:, 0]) - shifted[np.arange(n), y])
    d_U = e / total
    d_U[np.arange(n), y] -= 1.0
    return value, d_U / n


def mlp_tanh_by_hand(W1, b1, W2, b2, X, y, lam):
    H = np.tanh(X @ W1 + b1)
    U = H @ W2 + b2
    value, d_U = _softmax_cross_entropy_by_hand(U, y)
    value = value + lam * (np.sum(W1 * W1) + np.sum(W2 * W2))
    d_H = d_U @ W2.T
    d_Z = d_H * (1.0 - H * H)
    return value, (X.T @ d_Z + 2.0 * lam * W1, np.sum(d_Z, axis=0), H.T @ d_U + 2.0 * lam * W2,
                   np.sum(d_U, axis=0))


def mlp_relu(W1, b1, W2, b2, W3, b3, X, y):
    H1 = np.maximum(0.0, X @ W1 + b1)
    H2 = np.maximum(0.0, H1 @ W2 + b2)
    return nn.softmax_cross_entropy(H2 @ W3 + b3, y)


def mlp_relu_by_hand(W1, b1, W2, b2, W3, b3, X, y):
    Z1 = X @ W1 + b1
    H1 = np.maximum(0.0, Z1)
    Z2 = H1 @ W2 + b2
    H2 = np.maximum(0.0, Z2)
    value, d_U = _softmax_cross_entropy_by_hand(H2 @ W3 + b3, y)
    d_Z2 = (d_U @ W3.T) * (Z2 > 0.0)
    d_Z1 = (d_Z2 @ W2.T) * (Z1 > 0.0)
    return value, (X.T @ d_Z1, np.sum(d_Z1, axis=0), H1.T @ d_Z2, np.sum(d_Z2, axis=0), H2.T @ d_U,
                   np.sum(d_U, axis=0))


def rnn(Wx, Wh, xs):
    h = np.zeros((xs.shape[1], Wh.shape[0]))
    for t in range(xs.shape[0]):
        h = np.tanh(xs[t] @ Wx + h @ Wh)
    return np.sum(h * h)


def rnn_by_hand(Wx, Wh, xs):
    hs = [np.zeros((xs.shape[1], Wh.shape[0]))]
    for t in range(xs.shape[0]):
        hs.append(np.tanh(xs[t] @ Wx + hs[-1] @ Wh))
    h = hs[-1]
    d_h = 2.0 * h
    d_Wx, d_Wh = np.zeros_like(Wx), np.zeros_like(Wh)
    for t in reversed(range(xs.shape[0])):
        d_z = d_h * (1.0 - hs[t + 1] * hs[t + 1])
        d_Wx += xs[t].T @ d_z
        d_Wh += hs[t].T @ d_z
        d_h = d_z @ Wh.T
    return np.sum(h * h), (d_Wx, d_Wh)


def logsumexp_rows(z):
    m = np.max(z, axis=1, keepdims=True)
    return np.sum(m[:, 0] + np.log(np.sum(np.exp(z - m), axis=1)))


def logsumexp_rows_by_hand(z):
    m = np.max(z, axis=1, keepdims=True)
    e = np.exp(z - m)
    total = np.sum(e, axis=1, keepdims=True)
    return np.sum(m[:, 0] + np.log(total[:, 0])), (e / total,)


def plain_layer(W, h):
    return np.tanh(h @ W)


checkpointed_layer = srcad.checkpoint(plain_layer)


def deep(Ws, X):
    h = X
    for W in Ws:
        h = plain_layer(W, h)
    return np.sum(h * h)


def deep_checkpointed(Ws, X):
    h = X
    for W in Ws:
        h = checkpointed_layer(W, h)
    return np.sum(h * h)


def deep_by_hand(Ws, X):
    hs = [X]
    for W in Ws:
        hs.append(np.tanh(hs[-1] @ W))
    d_h = 2.0 * hs[-1]
    grads = [None] * len(Ws)
    for i in reversed(range(len(Ws))):
        d_z = d_h * (1.0 - hs[i + 1] * hs[i + 1])
        grads[i] = hs[i].T @ d_z
        d_h = d_z @ Ws[i].T
    return np.sum(hs[-1] * hs[-1]), (grads,)


def _mlp_tanh_arguments():
    return (RNG.normal(size=(64, 32)) * 0.2, np.zeros(32), RNG.normal(size=(32, 10)) * 0.2, np.zeros(10),
            RNG.normal(size=(16, 64)), RNG.integers(0, 10, 16), 1e-4)


def _mlp_relu_arguments(dtype):
    def weights(n, m):
        return (RNG.normal(size=(n, m)) * np.sqrt(2.0 / n)).astype(dtype)
    return (weights(784, 256), np.zeros(256, dtype), weights(256, 256), np.zeros(256, dtype), weights(256, 10),
            np.zeros(10, dtype), RNG.normal(size=(128, 784)).astype(dtype), RNG.integers(0, 10, 128))


WORKLOADS = [
    ("Python-float polynomial, 25 ops", polynomial, polynomial_by_hand, (0, 1), lambda: (1.3, 0.7), 1e-6),
    ("MLP 64-32-10, batch 16, tanh, softmax CE + L2", mlp_tanh, mlp_tanh_by_hand, (0, 1, 2, 3),
     _mlp_tanh_arguments, 1e-6),
    ("MLP 784-256-256-10, batch 128, relu (float64)", mlp_relu, mlp_relu_by_hand, (0, 1, 2, 3, 4, 5),
     lambda: _mlp_relu_arguments(np.float64), 1e-6),
    ("same, float32", mlp_relu, mlp_relu_by_hand, (0, 1, 2, 3, 4, 5), lambda: _mlp_relu_arguments(np.float32),
     1e-4),
    ("tanh RNN, 50-step Python loop, H=64, B=8", rnn, rnn_by_hand, (0, 1),
     lambda: (RNG.normal(size=(32, 64)) * 0.1, RNG.normal(size=(64, 64)) * 0.1, RNG.normal(size=(50, 8, 32))),
     1e-6),
    ("row-wise logsumexp of 1000x1000, summed", logsumexp_rows, logsumexp_rows_by_hand, (0,),
     lambda: (RNG.normal(size=(1000, 1000)),), 1e-6),
]


# ------------------------------------------------------------------ measuring
def check_agrees(name, got, expected, rtol):
    got_value, got_grads = got
    value, grads = expected
    np.testing.assert_allclose(got_value, value, rtol=rtol, err_msg=f"{name}: value")
    for got_leaf, leaf in zip(_leaves(got_grads), _leaves(grads)):
        np.testing.assert_allclose(got_leaf, leaf, rtol=rtol, atol=rtol * 1e-3, err_msg=f"{name}: gradient")


def _leaves(tree):
    if isinstance(tree, (list, tuple)):
        return [leaf for item in tree for leaf in _leaves(item)]
    return [tree]


def calls_per_sample(function, args, target=0.02):
    """How many calls make a sample of about ``target`` seconds."""
    start = time.perf_counter()
    function(*args)
    once = max(time.perf_counter() - start, 1e-7)
    return max(1, int(target / once))


def per_call(function, args, number):
    start = time.perf_counter()
    for _ in range(number):
        function(*args)
    return (time.perf_counter() - start) / number


def paired(first, second, args, samples):
    """Median time per call of each, and the median of the paired ratios first / second."""
    number = min(calls_per_sample(first, args), calls_per_sample(second, args))
    times = [(per_call(first, args, number), per_call(second, args, number)) for _ in range(samples)]
    ratios = sorted(a / b for a, b in times)
    return (float(np.median([a for a, _ in times])), float(np.median([b for _, b in times])),
            ratios[len(ratios) // 2])


def peak_memory(function, args):
    """Peak bytes NumPy and Python allocate during one call."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    function(*args)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def measure_workloads(samples):
    rows = []
    for name, loss, by_hand, wrt, make, rtol in WORKLOADS:
        args = make()
        derivative = srcad.value_and_grad(loss, wrt=wrt)
        check_agrees(name, derivative(*args), by_hand(*args), rtol)
        srcad_time, hand_time, ratio = paired(derivative, by_hand, args, samples)
        hand_peak = peak_memory(by_hand, args)
        peak_ratio = peak_memory(derivative, args) / hand_peak if hand_peak > 1 << 16 else None
        rows.append(dict(workload=name, srcad_us=srcad_time * 1e6, hand_us=hand_time * 1e6, ratio=ratio,
                         peak_ratio=peak_ratio))
    return rows


def measure_extras(samples):
    args = _mlp_tanh_arguments()
    extras = {}
    gradient = srcad.grad(mlp_tanh)
    direction = RNG.normal(size=args[0].shape)
    hvp = srcad.hvp(mlp_tanh)
    hvp_args = args + (direction,)
    hvp(*hvp_args)
    gradient(*args)
    hvp_time = per_call(hvp, hvp_args, 200)
    extras["hvp / grad, MLP-64"] = hvp_time / per_call(gradient, args, 200)

    srcad.api.transform._SharedCode._kept.clear()
    start = time.perf_counter()
    srcad.grad(mlp_tanh)(*args)
    extras["first transformation of the MLP-64 loss, ms"] = (time.perf_counter() - start) * 1e3
    cached = per_call(gradient, args, 2000)
    again = per_call(lambda *a: srcad.grad(mlp_tanh)(*a), args, 2000)
    extras["re-creating srcad.grad(f) + one call / a cached call"] = again / cached

    Ws = [RNG.normal(size=(256, 256)) / 16.0 for _ in range(16)]
    X = RNG.normal(size=(64, 256))
    plain, checkpointed = srcad.value_and_grad(deep), srcad.value_and_grad(deep_checkpointed)
    check_agrees("16-layer MLP", plain(Ws, X), deep_by_hand(Ws, X), 1e-6)
    check_agrees("16-layer MLP, checkpointed", checkpointed(Ws, X), deep_by_hand(Ws, X), 1e-6)
    hand_peak = peak_memory(deep_by_hand, (Ws, X))
    extras["16-layer MLP: time srcad / hand"] = paired(plain, deep_by_hand, (Ws, X), samples)[2]
    extras["16-layer MLP, checkpointed: time srcad / hand"] = paired(checkpointed, deep_by_hand, (Ws, X),
                                                                       samples)[2]
    extras["16-layer MLP: peak memory srcad / hand"] = peak_memory(plain, (Ws, X)) / hand_peak
    extras["16-layer MLP, checkpointed: peak memory srcad / hand"] = peak_memory(checkpointed, (Ws, X)) / hand_peak
    return extras


def peers():
    notes = []
    for module in ("autograd", "torch", "jax"):
        try:
            __import__(module)
        except ImportError:
            notes.append(f"{module}: not installed, skipped")
        else:
            notes.append(f"{module}: installed, but this script has no {module} versions of the workloads yet")
    return notes


def machine():
    config = np.show_config(mode="dicts") if np.lib.NumpyVersion(np.__version__) >= "1.25.0" else {}
    blas = config.get("Build Dependencies", {}).get("blas", {})
    return dict(date=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), machine=platform.machine(),
                processor=platform.processor() or platform.machine(), cpus=len(os.sched_getaffinity(0))
                if hasattr(os, "sched_getaffinity") else os.cpu_count(),
                python=platform.python_version(), numpy=np.__version__,
                blas=f"{blas.get('name', '?')} {blas.get('version', '')}".strip(),
                srcad=_srcad_version())


def _srcad_version():
    """The installed version, and the commit of the checkout srcad is imported from."""
    try:
        version = importlib.metadata.version("srcad")
    except importlib.metadata.PackageNotFoundError:
        version = "?"
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=10,
                                cwd=os.path.dirname(os.path.abspath(srcad.__file__))).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = ""
    return f"{version} (commit {commit})" if commit else version


def markdown(info, rows, extras, notes):
    lines = [f"{info['date']}; {info['processor']}, {info['cpus']} CPU(s); Python {info['python']}, "
             f"NumPy {info['numpy']} ({info['blas']}); srcad {info['srcad']}", "",
             "| workload | srcad µs | hand-written µs | srcad / hand | peak memory srcad / hand |",
             "|---|---:|---:|---:|---:|"]
    for row in rows:
        peak = "–" if row["peak_ratio"] is None else f"{row['peak_ratio']:.2f}×"  # under 64 KiB: noise
        lines.append(f"| {row['workload']} | {row['srcad_us']:.1f} | {row['hand_us']:.1f} | {row['ratio']:.2f}× "
                     f"| {peak} |")
    lines += ["", "| measure | value |", "|---|---:|"]
    lines += [f"| {name} | {value:.2f} |" for name, value in extras.items()]
    lines += [""] + [f"- {note}" for note in notes]
    return "\n".join(lines)


def main():
    samples = 5 if ARGUMENTS.quick else 21
    info = machine()
    rows = measure_workloads(samples)
    extras = measure_extras(samples)
    notes = peers()
    print(markdown(info, rows, extras, notes))
    if ARGUMENTS.json:
        with open(ARGUMENTS.json, "w") as out:
            json.dump(dict(machine=info, workloads=rows, extras=extras, notes=notes), out, indent=2)


if __name__ == "__main__":
    main()
