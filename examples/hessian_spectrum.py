"""The largest eigenvalues of the Hessian of a neural network's loss, by the
Lanczos method, using only Hessian-vector products.

The Hessian of a network with n parameters has n * n entries; Krylov methods
such as Lanczos never form it. They need only the products H v, and
``srcad.hvp`` writes a function that computes H v exactly at a small constant
times the cost of one gradient (forward mode applied to the generated
gradient; section 6.5.10 of Deep Learning, Goodfellow, Bengio and Courville,
notes that this is how Hessian-vector products make such methods possible).
After k products, the eigenvalues of a k x k tridiagonal matrix approximate
the extreme eigenvalues of H, the largest first.

The script checks the method on a tiny model against the eigenvalues of the
full Hessian (``np.linalg.eigvalsh(srcad.hessian(...))``), then runs it on a
model whose Hessian would have about three million entries, at its initial
weights and after training it with Adam (srcad.optimizers.adam), and plots
both spectra.

    python examples/hessian_spectrum.py [--quick] [--out DIR]
"""
import time

import numpy as np

import srcad
from srcad import nn
from shared import command_line, descend, pyplot, save


def loss(theta, X, y, n_in, n_hidden, n_out, lam):
    """A one-hidden-layer tanh network whose parameters are one flat vector theta."""
    a = n_in * n_hidden
    W1 = np.reshape(theta[:a], (n_in, n_hidden))
    b1 = theta[a:a + n_hidden]
    c = a + n_hidden
    W2 = np.reshape(theta[c:c + n_hidden * n_out], (n_hidden, n_out))
    b2 = theta[c + n_hidden * n_out:]
    H = np.tanh(X @ W1 + b1)
    U = H @ W2 + b2
    return nn.softmax_cross_entropy(U, y) + lam * np.sum(theta ** 2)


def lanczos(matvec, n, steps, rng):
    """Ritz values (largest first) of the symmetric operator ``matvec`` after
    ``steps`` Lanczos steps, with full reorthogonalisation (the basis stays
    orthogonal in floating point, so no spurious copies of eigenvalues appear)."""
    basis = np.zeros((steps, n))
    alpha, beta = np.zeros(steps), np.zeros(steps)
    q = rng.standard_normal(n)
    q /= np.linalg.norm(q)
    for j in range(steps):
        basis[j] = q
        w = matvec(q)
        alpha[j] = q @ w
        w -= basis[: j + 1].T @ (basis[: j + 1] @ w)  # Gram-Schmidt against every earlier vector
        w -= basis[: j + 1].T @ (basis[: j + 1] @ w)  # twice is enough
        beta[j] = np.linalg.norm(w)
        if beta[j] < 1e-12:  # the Krylov space is exhausted: the Ritz values are exact
            steps = j + 1
            break
        q = w / beta[j]
    tridiagonal = np.diag(alpha[:steps]) + np.diag(beta[: steps - 1], 1) + np.diag(beta[: steps - 1], -1)
    return np.linalg.eigvalsh(tridiagonal)[::-1]


def problem(n_in, n_hidden, n_out, batch, rng):
    X = rng.standard_normal((batch, n_in))
    y = np.argmax(X[:, :n_out] + 0.5 * rng.standard_normal((batch, n_out)), axis=1)  # learnable labels
    size = n_in * n_hidden + n_hidden + n_hidden * n_out + n_out
    theta = rng.standard_normal(size) * 0.5
    return theta, (X, y, n_in, n_hidden, n_out, 1e-3)


def plot(exact, tiny_ritz, spectra, out):
    """Each spectrum as a row of ticks along the eigenvalue axis."""
    plt = pyplot()
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 3.6), layout="constrained")
    panels = [(left, {f"eigvalsh(hessian), all {len(exact)}": exact, f"Lanczos, {len(tiny_ritz)} hvps": tiny_ritz},
               f"tiny model ({len(exact)} parameters)"),
              (right, spectra, "larger model: Lanczos Ritz values")]
    for axes, rows, title in panels:
        for row, (name, values) in enumerate(rows.items()):
            axes.plot(values, np.full(len(values), row), "|", markersize=18, markeredgewidth=1.5)
        axes.set_yticks(range(len(rows)), list(rows))
        axes.set(xlabel="eigenvalue of the Hessian", title=title, ylim=(-0.7, len(rows) - 0.3))
        axes.axvline(0.0, color="0.3", linewidth=0.8)
        axes.grid(alpha=0.3, axis="x")
    return save(figure, out, "hessian_spectrum.png")


def main(quick=False, out=None):
    rng = np.random.default_rng(0)
    hvp = srcad.hvp(loss)

    # 1. a tiny model: Lanczos against the eigenvalues of the full Hessian
    theta, data = problem(n_in=4, n_hidden=5, n_out=3, batch=32, rng=rng)
    n = theta.size
    exact = np.linalg.eigvalsh(srcad.hessian(loss)(theta, *data))[::-1]
    tiny_ritz = lanczos(lambda v: hvp(theta, *data, v), n, steps=30, rng=rng)
    print(f"tiny model, {n} parameters: the full Hessian has {n * n} entries")
    print(f"  {'':4s} {'eigvalsh(hessian)':>18s} {'Lanczos (30 hvps)':>18s}")
    for i in range(4):
        print(f"  λ{i + 1:<3d} {exact[i]:18.10f} {tiny_ritz[i]:18.10f}")
    np.testing.assert_allclose(tiny_ritz[:4], exact[:4], rtol=1e-8, atol=1e-10)
    print("  the largest eigenvalues agree")

    # 2. a larger model: its Hessian is never formed; its spectrum before and after training
    hidden, steps = (16, 20) if quick else (64, 40)
    theta, data = problem(n_in=20, n_hidden=hidden, n_out=5, batch=256, rng=rng)
    n = theta.size
    print(f"\nlarger model, {n} parameters ({n * n:,} Hessian entries, never formed)")
    spectra = {}
    for name in ("at initialisation", "after training"):
        if name == "after training":
            print("  training it with Adam:")
            theta, _ = descend(loss, theta, data, srcad.optimizers.adam(lr=0.01), 50 if quick else 300,
                               "loss", reports=3)
        start = time.perf_counter()
        spectra[name] = lanczos(lambda v: hvp(theta, *data, v), n, steps=steps, rng=rng)
        seconds = time.perf_counter() - start
        print(f"  {name}: {steps} Lanczos steps ({steps} hvps) in {seconds:.2f} s; largest eigenvalues:")
        print("  " + "  ".join(f"{value:.6f}" for value in spectra[name][:5]))
    figure = plot(exact, tiny_ritz, spectra, out)

    print("\nThe generated Hessian-vector product (forward mode over the generated gradient):\n")
    print(hvp.source)
    return {"exact": exact, "ritz": tiny_ritz, "spectra": spectra, "figure": figure}


if __name__ == "__main__":
    quick, out = command_line(__doc__)
    main(quick=quick, out=out)
