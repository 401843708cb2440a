"""A mixture density network (section 6.2.2.4 of Deep Learning, Goodfellow, Bengio and
Courville) on a one-dimensional problem with several answers for one input.

The data is an inverse problem: y is drawn uniformly from [0, 1] and x = y + 0.3 sin(2 pi y)
plus a little noise. Predicting y from x has up to three right answers for one x, so the mean
of y given x (what least squares learns) lies between them, where no data is. A network whose
output is a Gaussian mixture can represent all of them: for each x it gives the mixture's
weights (a softmax), its means, and its standard deviations (exponentials, so they stay
positive), and it is trained by the negative log-likelihood of the mixture. Its cost uses
log_softmax and logsumexp from srcad.nn, whose rules stay finite where the plain formulas
would overflow.

The script prints the negative log-likelihood falling, compares it with the best single
Gaussian, shows the learned mixture at a few inputs, and saves a PNG of samples drawn from the
learned conditional distribution over the data, as in figure 6.4 of the book.

    python examples/mixture_density.py [--quick] [--out DIR]
"""
import numpy as np

import srcad
from srcad import nn
from shared import command_line, descend, pyplot, save

COMPONENTS = 3
HIDDEN = 24


def toy_data(n, rng):
    y = rng.uniform(0.0, 1.0, n)
    x = y + 0.3 * np.sin(2 * np.pi * y) + rng.uniform(-0.1, 0.1, n)
    return x[:, None], y


def mixture(params, x):
    """The mixture's log-weights, means and log standard deviations for each row of ``x``."""
    W1, b1, W2, b2 = params
    out = np.tanh(x @ W1 + b1) @ W2 + b2
    log_weights = nn.log_softmax(out[:, :COMPONENTS], axis=1)
    return log_weights, out[:, COMPONENTS:2 * COMPONENTS], out[:, 2 * COMPONENTS:]


def negative_log_likelihood(params, x, y):
    """-mean log p(y | x) under the Gaussian mixture the network outputs for x."""
    log_weights, means, log_scales = mixture(params, x)
    z = (y[:, None] - means) / np.exp(log_scales)
    log_densities = -0.5 * z ** 2 - log_scales - 0.5 * np.log(2 * np.pi)
    return -np.mean(nn.logsumexp(log_weights + log_densities, axis=1))


def sample(params, x, rng):
    """One draw of y from the learned p(y | x) for each row of ``x``."""
    log_weights, means, log_scales = mixture(params, x)
    weights = np.exp(log_weights)
    chosen = (rng.uniform(size=(len(x), 1)) > np.cumsum(weights, axis=1)).sum(axis=1)
    chosen = np.minimum(chosen, COMPONENTS - 1)  # rounding can leave the cumulative sum below 1
    rows = np.arange(len(x))
    return means[rows, chosen] + np.exp(log_scales[rows, chosen]) * rng.standard_normal(len(x))


def train(x, y, steps, rng):
    params = (rng.standard_normal((1, HIDDEN)), rng.standard_normal(HIDDEN) * 0.5,
              rng.standard_normal((HIDDEN, 3 * COMPONENTS)) * 0.3, np.zeros(3 * COMPONENTS))
    return descend(negative_log_likelihood, params, (x, y), srcad.optimizers.adam(lr=0.01), steps,
                   "negative log-likelihood", reports=6)


def plot(params, x, y, rng, out):
    plt = pyplot()
    figure, axes = plt.subplots(figsize=(6.5, 5), layout="constrained")
    axes.scatter(x[:, 0], y, s=6, color="0.7", label="training data")
    inputs = rng.uniform(x.min(), x.max(), (len(x), 1))
    axes.scatter(inputs[:, 0], sample(params, inputs, rng), s=6, color="tab:blue", alpha=0.6,
                 label="samples from the learned p(y | x)")
    axes.set(xlabel="x", ylabel="y", title="a mixture density network with 3 components")
    axes.legend(loc="upper left", markerscale=3)
    return save(figure, out, "mixture_density.png")


def main(quick=False, out=None, seed=0):
    rng = np.random.default_rng(seed)
    x, y = toy_data(1000, rng)
    single = 0.5 * np.log(2 * np.pi * np.e * np.var(y))  # the best single Gaussian, whatever x is
    print(f"one Gaussian for every x: negative log-likelihood {single: .4f}")
    params, losses = train(x, y, steps=300 if quick else 3000, rng=rng)

    print("\nthe learned mixture at a few inputs (weight: mean ± standard deviation):")
    probes = np.array([[0.2], [0.5], [0.8]])
    for probe, log_weights, means, log_scales in zip(probes[:, 0], *mixture(params, probes)):
        parts = sorted(zip(np.exp(log_weights), means, np.exp(log_scales)), key=lambda part: part[1])
        print(f"  x = {probe:.1f}:  " + "   ".join(f"{w:.2f}: {m:.2f} ± {s:.2f}" for w, m, s in parts))
    figure = plot(params, x, y, rng, out)
    return {"losses": losses, "single gaussian": single, "figure": figure}


if __name__ == "__main__":
    quick, out = command_line(__doc__)
    main(quick=quick, out=out)
