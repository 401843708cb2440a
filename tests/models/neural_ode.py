"""A neural ODE: a small network gives the dynamics, integrated by a fixed-step RK4 loop."""
import numpy as np


def init_params(rng, dim=2, hidden=8):
    return [(0.3 * rng.standard_normal((dim, hidden)), np.zeros(hidden)),
            (0.3 * rng.standard_normal((hidden, dim)), np.zeros(dim))]


def dynamics(state, t, params):
    (W1, b1), (W2, b2) = params
    hidden = np.tanh(state @ W1 + b1 + t)
    return hidden @ W2 + b2


def rk4(f, y0, t0, t1, steps, params):
    h = (t1 - t0) / steps
    y, t = y0, t0
    for _ in range(steps):
        k1 = f(y, t, params)
        k2 = f(y + 0.5 * h * k1, t + 0.5 * h, params)
        k3 = f(y + 0.5 * h * k2, t + 0.5 * h, params)
        k4 = f(y + h * k3, t + h, params)
        y = y + h / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
        t = t + h
    return y


def loss(params, y0, target):
    final = rk4(dynamics, y0, 0.0, 1.0, 10, params)
    return np.mean((final - target) ** 2)


def start(rng):
    y0 = rng.standard_normal((6, 2))
    return init_params(rng), y0, y0 @ np.array([[0.0, -1.0], [1.0, 0.0]])
