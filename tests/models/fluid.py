"""A small fluid simulation on a periodic grid, written with np.roll: the smoke is advected by
a velocity field made divergence-free by Jacobi iterations; we optimise the initial velocity
so the smoke ends near a target."""
import numpy as np


def project(vx, vy, iterations=10):
    """Make the velocity field divergence-free (periodic boundaries)."""
    h = 1.0 / vx.shape[0]
    div = -0.5 * h * (np.roll(vx, -1, axis=0) - np.roll(vx, 1, axis=0)
                      + np.roll(vy, -1, axis=1) - np.roll(vy, 1, axis=1))
    p = np.zeros(vx.shape)
    for _ in range(iterations):
        p = (div + np.roll(p, 1, axis=0) + np.roll(p, -1, axis=0)
             + np.roll(p, 1, axis=1) + np.roll(p, -1, axis=1)) / 4.0
    vx = vx - 0.5 * (np.roll(p, -1, axis=0) - np.roll(p, 1, axis=0)) / h
    vy = vy - 0.5 * (np.roll(p, -1, axis=1) - np.roll(p, 1, axis=1)) / h
    return vx, vy


def advect(f, vx, vy, dt):
    """Move the field f along the velocity, with central differences."""
    dfdx = 0.5 * (np.roll(f, -1, axis=0) - np.roll(f, 1, axis=0))
    dfdy = 0.5 * (np.roll(f, -1, axis=1) - np.roll(f, 1, axis=1))
    return f - dt * (vx * dfdx + vy * dfdy)


def simulate(vx, vy, smoke, steps, dt=0.1):
    for _ in range(steps):
        vx, vy = project(vx, vy)
        smoke = advect(smoke, vx, vy, dt)
        vx = advect(vx, vx, vy, dt)
        vy = advect(vy, vx, vy, dt)
    return smoke


def loss(velocity, smoke, target):
    final = simulate(velocity[0], velocity[1], smoke, steps=4)
    return np.sum((final - target) ** 2)


def start(rng, n=8):
    grid = np.linspace(0.0, 1.0, n, endpoint=False)
    smoke = np.exp(-((grid[:, None] - 0.3) ** 2 + (grid[None, :] - 0.5) ** 2) / 0.02)
    target = np.roll(smoke, 2, axis=0)
    return 0.1 * rng.standard_normal((2, n, n)), smoke, target
