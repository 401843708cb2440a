"""Learn XOR with the smallest network that can: two inputs, two rectified linear hidden
units, one linear output (section 6.1 of Deep Learning, Goodfellow, Bengio and Courville).

No linear model of x can represent XOR (section 6.1 shows why). The network
f(x) = w . max{0, W^T x + c} + b can: its hidden layer folds the input plane so that the
points (0, 1) and (1, 0) land on one spot, after which a line separates the classes. The
book gives one exact solution by hand; this script finds one by gradient descent on the
mean squared error over the four points, with gradients srcad writes, and prints the loss
falling, the learned weights and the four predictions. It plots the decision regions
in the input plane and the four points in the hidden units' plane.

    python examples/xor.py [--quick] [--out DIR]
"""
import numpy as np

import srcad
from shared import command_line, descend, pyplot, save

X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
Y = np.array([0.0, 1.0, 1.0, 0.0])


# The solution section 6.1 gives by hand: W = [[1, 1], [1, 1]], c = [0, -1], w = [1, -2], b = 0.
BOOK_SOLUTION = (np.ones((2, 2)), np.array([0.0, -1.0]), np.array([1.0, -2.0]), 0.0)


def hidden(params, x):
    W, c, w, b = params
    return np.maximum(0.0, x @ W + c)


def network(params, x):
    W, c, w, b = params
    return hidden(params, x) @ w + b


def mse(params, x, y):
    """The cost of section 6.1: the mean squared error over the four points."""
    return np.mean((network(params, x) - y) ** 2)


def train(steps, seed):
    rng = np.random.default_rng(seed)
    params = (rng.standard_normal((2, 2)), np.full(2, 0.1), rng.standard_normal(2), 0.0)
    return descend(mse, params, (X, Y), srcad.optimizers.adam(lr=0.05), steps, "mean squared error")


def plot(params, out):
    plt = pyplot()
    figure, (regions, folded) = plt.subplots(1, 2, figsize=(11, 4.2), layout="constrained")
    grid = np.linspace(-0.5, 1.5, 201)
    gx, gy = np.meshgrid(grid, grid)
    values = network(params, np.stack([gx.ravel(), gy.ravel()], axis=1)).reshape(gx.shape)
    shaded = regions.contourf(gx, gy, values, levels=np.linspace(-0.5, 1.5, 21), cmap="coolwarm", extend="both")
    regions.contour(gx, gy, values, levels=[0.5], colors="black", linewidths=1.5)
    figure.colorbar(shaded, ax=regions, label="f(x)")
    regions.set(title="f(x); the line f(x) = 0.5 bounds the regions", xlabel="$x_1$", ylabel="$x_2$")
    for axes, points in ((regions, X), (folded, hidden(params, X))):
        axes.scatter(points[:, 0], points[:, 1], c=np.where(Y == 1, "black", "white"),
                     edgecolors="black", s=120, zorder=3)  # black: XOR is 1; white: XOR is 0
        labels = {}  # points the hidden layer folds onto one spot share a label
        for point, x in zip(np.round(points, 6), X):
            labels.setdefault(tuple(point), []).append(f"({x[0]:.0f}, {x[1]:.0f})")
        for point, names in labels.items():
            axes.annotate("   x = " + " and ".join(names), point, fontsize=8)
    folded.set(title="the four points in the hidden units' plane", xlabel="$h_1$", ylabel="$h_2$")
    folded.grid(alpha=0.3)
    return save(figure, out, "xor.png")


def main(quick=False, out=None, seed=1):
    steps = 200 if quick else 800
    params, losses = train(steps, seed)
    W, c, w, b = params
    np.set_printoptions(precision=3, suppress=True)
    print(f"\nlearned weights:\nW =\n{W}\nc = {c}\nw = {w}\nb = {b:.3f}")
    predictions = network(params, X)
    by_hand = network(BOOK_SOLUTION, X)
    print("\n  x1  x2   XOR   f(x) learned   f(x) with the book's weights")
    for (x1, x2), y, p, q in zip(X, Y, predictions, by_hand):
        print(f"  {x1:.0f}   {x2:.0f}   {y:.0f}    {p:9.4f}      {q:9.4f}")
    figure = plot(params, out)
    return {"losses": losses, "predictions": predictions, "figure": figure}


if __name__ == "__main__":
    quick, out = command_line(__doc__)
    main(quick=quick, out=out)
