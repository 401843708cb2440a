"""Neural-network helpers: activations, normalisers and the classification loss.

Each function is plain, numerically stable NumPy code, and each has a fused
derivative rule registered below it: the exact derivative of the whole
function, not the chain of its parts (sections 6.2.2.3 and 6.5.9 of Deep
Learning explain why the softmax and its loss are best differentiated
together: the gradient is simply ``softmax(z) - onehot``).

The rules are templates that srcad inlines into generated code. Where a
rule needs more than an expression, it calls a plain helper from this
module by its qualified name (``nn.softmax_cross_entropy_adjoint``), so the
generated derivative reads like hand-written backprop. Those helpers are
themselves built from functions that have rules, so a derivative can be
differentiated again (Hessians, Hessian-vector products).

All functions call NumPy only on the arrays they are given, so float32
stays float32 and arrays that dispatch through NumPy's protocols pass
through.
"""
import numpy as np

import srcad.nn as nn  # templates call helpers as ``nn.name``, as users do
from .rules.registry import adjoint, d, nondifferentiable, tangent
from .runtime import unbroadcast, unreduce

__all__ = [
    "relu", "leaky_relu", "hard_tanh", "sigmoid", "softplus",
    "logsumexp", "softmax", "log_softmax", "softmax_cross_entropy", "maxout",
    "batch_size", "onehot", "softmax_cross_entropy_adjoint", "maxout_mask", "logsumexp_partials",
]


# ---------------------------------------------------------------------------
# Rectifiers (section 6.3.1)
# ---------------------------------------------------------------------------

def relu(x):
    """The rectified linear unit, ``max(0, x)`` elementwise (section 6.3.1). At 0 the
    derivative is 0: the tie goes to the first candidate, the constant."""
    return np.maximum(0, x)


@adjoint(relu)
def _(y, x):
    d[x] = d[y] * (x > 0)


@tangent(relu)
def _(y, x):
    d[y] = d[x] * (x > 0)


def leaky_relu(x, alpha=0.01):
    """``x`` where ``x > 0``, else ``alpha * x``; ``alpha`` may be an array
    that broadcasts against ``x`` (a parametric ReLU)."""
    return np.where(x > 0, x, alpha * x)


@adjoint(leaky_relu)
def _(y, x, alpha=0.01):
    d[x] = unbroadcast(np.where(x > 0, d[y], alpha * d[y]), x)  # alpha may broadcast x up
    d[alpha] = unbroadcast(d[y] * np.minimum(x, 0), alpha)


@tangent(leaky_relu)
def _(y, x, alpha=0.01):
    d[y] = np.where(x > 0, d[x], alpha * d[x]) + d[alpha] * np.minimum(x, 0)


def hard_tanh(x):
    """``x`` clipped to ``[-1, 1]``."""
    return np.clip(x, -1, 1)


@adjoint(hard_tanh)
def _(y, x):
    d[x] = d[y] * (np.abs(x) < 1)


@tangent(hard_tanh)
def _(y, x):
    d[y] = d[x] * (np.abs(x) < 1)


def maxout(z, k):
    """The maximum over each group of ``k`` consecutive units of the last axis:
    ``z`` of shape ``(..., n * k)`` gives ``(..., n)``."""
    if z.shape[-1] % k:
        raise ValueError(f"maxout: the last axis ({z.shape[-1]}) is not a multiple of k={k}")
    return np.max(np.reshape(z, z.shape[:-1] + (z.shape[-1] // k, k)), axis=-1)


def maxout_mask(z, k):
    """1 at the first maximum of each group of ``k`` units of ``z``, 0 elsewhere;
    shaped and typed like ``z``. The derivative of ``maxout`` flows through it."""
    groups = np.reshape(z, z.shape[:-1] + (z.shape[-1] // k, k))
    winner = np.expand_dims(np.argmax(groups, axis=-1), -1)
    return np.reshape(winner == np.arange(k, like=z), z.shape).astype(z.dtype)


@adjoint(maxout)
def _(y, z, k):
    d[z] = np.repeat(d[y], k, axis=-1) * nn.maxout_mask(z, k)


@tangent(maxout)
def _(y, z, k):
    d[y] = np.sum(np.reshape(d[z] * nn.maxout_mask(z, k), np.shape(y) + (k,)), axis=-1)


# ---------------------------------------------------------------------------
# Sigmoids (sections 6.2.2.2 and 6.3.2)
# ---------------------------------------------------------------------------

def sigmoid(x):
    """The logistic sigmoid ``1 / (1 + exp(-x))``, without overflow for any ``x``."""
    return np.exp(-np.logaddexp(0, -x))


@adjoint(sigmoid)
def _(y, x):
    d[x] = d[y] * y * nn.sigmoid(-x)


@tangent(sigmoid)
def _(y, x):
    d[y] = d[x] * y * nn.sigmoid(-x)


def softplus(x):
    """``log(1 + exp(x))``, a smooth rectifier, without overflow for any ``x``."""
    return np.logaddexp(0, x)


@adjoint(softplus)
def _(y, x):
    d[x] = d[y] * nn.sigmoid(x)


@tangent(softplus)
def _(y, x):
    d[y] = d[x] * nn.sigmoid(x)


# ---------------------------------------------------------------------------
# Softmax and friends (section 6.2.2.3)
# ---------------------------------------------------------------------------

def logsumexp(x, axis=None, keepdims=False):
    """``log(sum(exp(x), axis))``, shifted by the maximum so nothing overflows."""
    m = np.max(x, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)  # rows of -inf (or inf) need no shift
    s = np.sum(np.exp(x - m), axis=axis, keepdims=keepdims)
    if not keepdims:
        m = np.squeeze(m, axis=axis)
    return np.log(s) + m


def logsumexp_partials(x, axis=None):
    """The derivative of ``logsumexp(x, axis)``: the softmax of ``x`` over ``axis`` (every
    element when None), as ``exp(x - max) / sum``, which is exact where the exact value is
    representable (``exp(x - logsumexp(x))`` rounds the logsumexp first)."""
    m = np.max(x, axis=axis, keepdims=True)
    e = np.exp(x - np.where(np.isfinite(m), m, 0))
    return e / np.sum(e, axis=axis, keepdims=True)


@adjoint(logsumexp)
def _(y, x, axis=None, keepdims=False):
    d[x] = unreduce(d[y], x, axis, keepdims) * nn.logsumexp_partials(x, axis)


@tangent(logsumexp)
def _(y, x, axis=None, keepdims=False):
    d[y] = np.sum(d[x] * nn.logsumexp_partials(x, axis), axis=axis, keepdims=keepdims)


def softmax(x, axis=-1):
    """``exp(x) / sum(exp(x), axis)``: each slice along ``axis`` becomes a
    probability distribution."""
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


@adjoint(softmax)
def _(y, x, axis=-1):
    d[x] = y * (d[y] - np.sum(d[y] * y, axis=axis, keepdims=True))


@tangent(softmax)
def _(y, x, axis=-1):
    d[y] = y * (d[x] - np.sum(d[x] * y, axis=axis, keepdims=True))


def log_softmax(x, axis=-1):
    """``log(softmax(x, axis))``, computed without taking the log of a tiny number."""
    return x - logsumexp(x, axis=axis, keepdims=True)


@adjoint(log_softmax)
def _(y, x, axis=-1):
    d[x] = d[y] - nn.softmax(x, axis) * np.sum(d[y], axis=axis, keepdims=True)


@tangent(log_softmax)
def _(y, x, axis=-1):
    d[y] = d[x] - np.sum(nn.softmax(x, axis) * d[x], axis=axis, keepdims=True)


# ---------------------------------------------------------------------------
# The classification loss (sections 6.2.1.1 and 6.2.2.3)
# ---------------------------------------------------------------------------

def batch_size(logits):
    """The number of examples in ``logits``: the product of every axis but the last."""
    return logits.size // logits.shape[-1]


def onehot(labels, logits):
    """Integer class indices of shape ``logits.shape[:-1]`` as one-hot rows
    shaped and typed like ``logits``."""
    classes = np.arange(logits.shape[-1], like=logits)
    return (np.expand_dims(labels, -1) == classes).astype(logits.dtype)


def softmax_cross_entropy(logits, labels):
    """The mean over the batch of ``-log softmax(logits)[label]``.

    ``logits`` has shape ``(batch, classes)``; ``labels`` holds integer class
    indices of shape ``(batch,)``, or one-hot (or soft) rows of shape
    ``(batch, classes)``. Leading axes beyond one are all batch axes.
    """
    logp = log_softmax(logits, axis=-1)
    if labels.ndim == logits.ndim:
        picked = np.sum(labels.astype(logits.dtype) * logp, axis=-1)
    else:
        # a mask, not take_along_axis: Dask has no take_along_axis, and where() keeps the picked
        # entry exact (a one-hot product would turn a -inf elsewhere in the row into nan)
        chosen = np.expand_dims(labels, -1) == np.arange(logits.shape[-1], like=logits)
        picked = np.sum(np.where(chosen, logp, 0), axis=-1)
    return -np.mean(picked)


def softmax_cross_entropy_adjoint(logits, labels):
    """The gradient of ``softmax_cross_entropy`` with respect to ``logits``:
    ``(softmax(logits) - onehot(labels)) / batch``."""
    if labels.ndim == logits.ndim:
        return (softmax(logits) - labels.astype(logits.dtype)) / batch_size(logits)
    return (softmax(logits) - onehot(labels, logits)) / batch_size(logits)


@adjoint(softmax_cross_entropy)
def _(y, logits, labels):
    d[logits] = d[y] * nn.softmax_cross_entropy_adjoint(logits, labels)
    d[labels] = -d[y] * nn.log_softmax(logits) / nn.batch_size(logits)


@tangent(softmax_cross_entropy)
def _(y, logits, labels):
    d[y] = (np.sum(d[logits] * nn.softmax_cross_entropy_adjoint(logits, labels))
            - np.sum(d[labels] * nn.log_softmax(logits) / nn.batch_size(logits)))


# Counts, masks and one-hot targets are piecewise constant: no derivative.
nondifferentiable(batch_size, onehot, maxout_mask)
