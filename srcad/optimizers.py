"""Gradient-based optimisers over any tree of parameters.

Each optimiser is a small object made once with its hyperparameters; its state is a
namedtuple of trees shaped like the parameters, so nothing is hidden and it can be
saved with the parameters::

    opt = srcad.optimizers.adam(lr=1e-3)
    state = opt.init(params)
    for batch in batches:
        grads = grad_loss(params, *batch)
        params, state = opt.update(params, grads, state)

The parameters may be an array, a float, or any tree of them (lists, tuples, dicts,
namedtuples, dataclasses, registered types: see :mod:`srcad.tree`). ``update`` returns
new parameters and leaves the given ones unchanged. A leaf whose gradient is None (an
integer, a string: what carries no derivative) is passed through as it is. Every leaf
keeps its dtype: float32 parameters stay float32.

The learning rate ``lr`` is a number, or a function of the step count (0 for the
first update) that returns one, for a schedule. The algorithms are those of sections
8.3 and 8.5 of *Deep Learning* (Goodfellow, Bengio and Courville): stochastic gradient
descent (Algorithm 8.1), momentum (8.2), Nesterov momentum (8.3), RMSProp (8.5) and
Adam (8.7).
"""
from collections import namedtuple

import numpy as np

from . import tree

__all__ = ["Optimizer", "adam", "momentum", "rmsprop", "sgd",
           "SGDState", "MomentumState", "RMSPropState", "AdamState"]

SGDState = namedtuple("SGDState", "step")
MomentumState = namedtuple("MomentumState", "step velocity")
RMSPropState = namedtuple("RMSPropState", "step mean_square")
AdamState = namedtuple("AdamState", "step mean mean_square")


class Optimizer:
    """An optimisation algorithm: ``init(params)`` makes its state, ``update(params, grads,
    state)`` takes one step and returns ``(params, state)``.

    A subclass names its ``State`` (a namedtuple whose first field is ``step`` and whose
    others are trees shaped like the parameters, zero at first) and writes ``_step(param,
    grad, slots, lr, step)``, the update of one leaf, returning the new leaf and its new
    slots."""

    State = SGDState

    def __init__(self, lr, **hyperparameters):
        if not callable(lr):
            _check_positive("lr", lr)
        self.lr = lr
        self.hyperparameters = hyperparameters
        for name, value in hyperparameters.items():
            setattr(self, name, value)

    def init(self, params):
        """The state before the first step, for parameters shaped like ``params``."""
        slots = len(self.State._fields) - 1
        return self.State(0, *(tree.map(_zero_slot, params) for _ in range(slots)))

    def update(self, params, grads, state):
        """One step from ``params`` along the gradient ``grads`` (a tree of the parameters'
        structure): ``(new_params, new_state)``."""
        lr = self.lr(state.step) if callable(self.lr) else self.lr
        step = state.step + 1

        def leaf(param, grad, *slots):
            if grad is None:
                return (param, *slots)
            new_param, *new_slots = self._step(param, grad, slots, lr, step)
            return (_like(new_param, param), *new_slots)

        updates = tree.map(leaf, params, grads, *state[1:])  # a tuple at each leaf of params
        parts = [tree.map(lambda param, update, k=k: update[k], params, updates) for k in range(len(state))]
        return parts[0], self.State(step, *parts[1:])

    def _step(self, param, grad, slots, lr, step):
        raise NotImplementedError

    def __repr__(self):
        settings = ", ".join(f"{name}={value!r}" for name, value in {"lr": self.lr, **self.hyperparameters}.items())
        return f"{type(self).__name__.lower()}({settings})"


class Sgd(Optimizer):
    """``param - lr * grad``."""

    State = SGDState

    def _step(self, param, grad, slots, lr, step):
        return (param - lr * grad,)


class Momentum(Optimizer):
    """Heavy-ball momentum, or Nesterov's, with velocity decay ``beta``."""

    State = MomentumState

    def _step(self, param, grad, slots, lr, step):
        (velocity,) = slots
        velocity = self.beta * velocity - lr * grad
        if self.nesterov:
            # The parameters kept are the look-ahead point theta + beta * v of Algorithm 8.3, so the
            # gradient given is the one taken there; moving that point is this update.
            return param + self.beta * velocity - lr * grad, velocity
        return param + velocity, velocity


class Rmsprop(Optimizer):
    """Steps scaled by a moving average of squared gradients."""

    State = RMSPropState

    def _step(self, param, grad, slots, lr, step):
        (mean_square,) = slots
        mean_square = self.decay * mean_square + (1 - self.decay) * grad * grad
        return param - lr * grad / np.sqrt(mean_square + self.eps), mean_square


class Adam(Optimizer):
    """Steps from bias-corrected moving averages of the gradient and its square."""

    State = AdamState

    def _step(self, param, grad, slots, lr, step):
        mean, mean_square = slots
        mean = self.beta1 * mean + (1 - self.beta1) * grad
        mean_square = self.beta2 * mean_square + (1 - self.beta2) * grad * grad
        corrected_mean = mean / (1 - self.beta1 ** step)
        corrected_mean_square = mean_square / (1 - self.beta2 ** step)
        return param - lr * corrected_mean / (np.sqrt(corrected_mean_square) + self.eps), mean, mean_square


def sgd(lr):
    """Stochastic gradient descent (section 8.3.1): each step is ``param -= lr * grad``."""
    return Sgd(lr)


def momentum(lr, beta=0.9, nesterov=False):
    """Gradient descent with momentum (section 8.3.2): a velocity ``v = beta * v - lr * grad``
    accumulates the steps and ``param += v``. With ``nesterov`` (section 8.3.3) the gradient is
    taken after the velocity's move, as in Nesterov's accelerated gradient."""
    _check_fraction("beta", beta)
    return Momentum(lr, beta=beta, nesterov=bool(nesterov))


def rmsprop(lr=1e-3, decay=0.9, eps=1e-8):
    """RMSProp (section 8.5.2): ``r = decay * r + (1 - decay) * grad**2`` and
    ``param -= lr * grad / sqrt(r + eps)``, a step per parameter that shrinks where the
    gradients have been large."""
    _check_fraction("decay", decay)
    _check_positive("eps", eps)
    return Rmsprop(lr, decay=decay, eps=eps)


def adam(lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    """Adam (section 8.5.3): moving averages of the gradient (``beta1``) and of its square
    (``beta2``), each divided by ``1 - beta**t`` to undo their start at zero, and
    ``param -= lr * mean / (sqrt(mean_square) + eps)``."""
    _check_fraction("beta1", beta1)
    _check_fraction("beta2", beta2)
    _check_positive("eps", eps)
    return Adam(lr, beta1=beta1, beta2=beta2, eps=eps)


def _zero_slot(param):
    """The zero a moving average starts from at ``param``: shaped and typed like it, or None
    where ``param`` carries no derivative."""
    if isinstance(param, float):
        return 0.0
    dtype = getattr(param, "dtype", None)
    if dtype is None or np.dtype(dtype).kind != "f":
        return None
    return np.zeros_like(param)


def _like(value, param):
    """``value`` in the type and dtype of ``param`` (float32 stays float32)."""
    if isinstance(param, float):
        return float(value)
    dtype = getattr(param, "dtype", None)
    if dtype is None or getattr(value, "dtype", None) == dtype:
        return value
    return value.astype(dtype) if np.ndim(param) else dtype.type(value)


def _check_positive(name, value):
    if not value > 0:
        raise ValueError(f"{name} must be a positive number, not {value!r}")


def _check_fraction(name, value):
    if not 0 <= value < 1:
        raise ValueError(f"{name} must be at least 0 and less than 1, not {value!r}")
