"""Data-parallel training of the multilayer perceptron of section 6.5.7 of Deep Learning
(Goodfellow, Bengio and Courville) on a dataset held as a chunked Dask array, on a
``dask.distributed`` cluster of two worker processes that the script starts and stops.

The dataset is made by the workers, chunk by chunk, and is never held in one array: rows
of Gaussian features labelled by a random "teacher" network (16 million rows of 32 float64
features, 4 GB, in 320 chunks; the reduced run keeps 32 000 rows). The model is the loss
of section 6.5.7 as a plain NumPy function, H = max{0, X W1}, U = H W2, softmax
cross-entropy plus weight decay, and its gradient is the one srcad writes from it: called
on NumPy weights and Dask data, the generated code builds a lazy Dask graph, and
``srcad.dask.computed`` evaluates the loss and both gradients together, in one pass over
the batch, spread over the workers. Each step of SGD with momentum takes a batch of
chunks drawn at random (so a step costs the same however large the dataset is); a
progress bar shows the loss. At the first step the gradient is checked against
srcad's NumPy gradient on the same rows; at the end the accuracy on held-out chunks is
printed and the training curve saved as a PNG.

    python examples/dask_training.py [--quick] [--out DIR]
"""
import time

import dask
import dask.array as da
import numpy as np
from dask.distributed import Client, LocalCluster
from tqdm import tqdm

import srcad
import srcad.dask
from srcad import nn
from shared import command_line, pyplot, save


def loss(W1, W2, X, y, lam):
    """The cost J of section 6.5.7: cross-entropy plus weight decay."""
    H = np.maximum(0.0, X @ W1)
    U = H @ W2
    return nn.softmax_cross_entropy(U, y) + lam * (np.sum(W1 ** 2) + np.sum(W2 ** 2))


def predict(W1, W2, X):
    return np.argmax(np.maximum(0.0, X @ W1) @ W2, axis=1)


def make_dataset(rows, features, chunk, classes, seed):
    """Features ``X`` (a chunked Dask array, each chunk drawn where it is needed) and the labels
    ``y`` a random teacher network gives them: its hidden layer is wider than the student's."""
    teacher = np.random.default_rng(seed + 1)
    T1 = teacher.standard_normal((features, 4 * features)) / np.sqrt(features)
    T2 = teacher.standard_normal((4 * features, classes))
    X = da.random.default_rng(seed).standard_normal((rows, features), chunks=(chunk, features))
    y = predict(T1, T2, X)
    return X, y


def batches(chunks, per_batch, steps, rng):
    """``steps`` groups of ``per_batch`` distinct chunk indices out of ``chunks``, drawn at random."""
    return [rng.choice(chunks, size=per_batch, replace=False) for _ in range(steps)]


def gradient_difference(grads, W1, W2, X, y, lam):
    """The largest difference between the gradients computed on the cluster and srcad's NumPy
    gradient of the same rows, relative to the largest derivative."""
    X_rows, y_rows = dask.compute(X, y)
    local = srcad.grad(loss, wrt=(0, 1))(W1, W2, X_rows, y_rows, lam)
    return max(float(np.max(np.abs(g - h)) / np.max(np.abs(h))) for g, h in zip(grads, local))


def held_out_accuracy(params, X, y):
    return float(np.mean(predict(*params, X) == y).compute())


def plot_curve(losses, out):
    plt = pyplot()
    figure, axes = plt.subplots(figsize=(6, 3.8))
    axes.plot(np.arange(1, len(losses) + 1), losses)
    axes.set(xlabel="step", ylabel="cost J on the batch", title="data-parallel SGD on a Dask dataset")
    axes.grid(alpha=0.3)
    return save(figure, out, "dask_training.png")


def main(quick=False, out=None, features=32, hidden=64, classes=10, lam=1e-4, seed=0):
    rows, chunk, per_batch, steps = (32_000, 2_000, 2, 14) if quick else (16_000_000, 50_000, 2, 30)
    X, y = make_dataset(rows, features, chunk, classes, seed)
    training_chunks = X.numblocks[0] - 2  # the last two chunks are held out
    held_out = slice(training_chunks, None)
    print(f"dataset: {rows:,} rows x {features} features, {X.nbytes / 1e9:.2f} GB in {X.numblocks[0]} chunks "
          f"of {chunk:,} rows, made by the workers and never held in one array; 2 chunks held out")

    rng = np.random.default_rng(seed)
    params = (rng.standard_normal((features, hidden)) * np.sqrt(2.0 / features),    # W1
              rng.standard_normal((hidden, classes)) * np.sqrt(1.0 / hidden))       # W2
    # NumPy weights, Dask data: the value and both gradients computed together, one pass a batch
    step = srcad.dask.computed(srcad.value_and_grad(loss, wrt=(0, 1)))
    opt = srcad.optimizers.momentum(lr=0.5)
    state = opt.init(params)
    losses, error = [], None
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        workers = len(client.scheduler_info()["workers"])
        print(f"a LocalCluster of {workers} worker processes: {client}")
        accuracy_before = held_out_accuracy(params, X.blocks[held_out], y.blocks[held_out])
        start = time.perf_counter()
        with tqdm(batches(training_chunks, per_batch, steps, rng), desc="SGD", unit="step") as bar:
            for chunks in bar:
                X_batch, y_batch = X.blocks[chunks], y.blocks[chunks]
                value, grads = step(*params, X_batch, y_batch, lam)
                if error is None:  # the first step: the same gradient as NumPy's, on the same rows
                    error = gradient_difference(grads, *params, X_batch, y_batch, lam)
                    bar.write(f"first step: the gradient computed on the cluster against srcad's NumPy gradient "
                              f"of the same {per_batch * chunk:,} rows: max relative difference {error:.1e}")
                params, state = opt.update(params, grads, state)
                losses.append(float(value))
                bar.set_postfix(loss=f"{float(value):.3f}", refresh=False)
        seconds = time.perf_counter() - start
        accuracy_after = held_out_accuracy(params, X.blocks[held_out], y.blocks[held_out])
    print(f"{steps} steps of {per_batch * chunk:,} rows in {seconds:.1f} s; held-out accuracy "
          f"{accuracy_before:.1%} before, {accuracy_after:.1%} after")
    figure = plot_curve(losses, out)
    return {"gradient error": error, "losses": losses, "workers": workers, "accuracy before": accuracy_before,
            "accuracy after": accuracy_after, "seconds": seconds, "figure": figure}


if __name__ == "__main__":
    quick, out = command_line(__doc__)
    main(quick=quick, out=out)
