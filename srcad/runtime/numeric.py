"""Numeric helpers shared by derivative rules.

Generated code calls these by name, so each is small, exact and readable.
They use only NumPy functions on the arrays they are given (never
``np.asarray``), so arrays that dispatch through NumPy's protocols flow
through unchanged.
"""
import numpy as np


def unbroadcast(g, x):
    """Sum ``g`` down to the shape of ``x``, undoing NumPy broadcasting."""
    shape = np.shape(x)
    g_shape = np.shape(g)
    if g_shape == shape:
        return g
    if len(g_shape) < len(shape):
        return np.broadcast_to(g, shape)
    lead = len(g_shape) - len(shape)
    stretched = tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and g_shape[lead + i] != 1
    )
    if not shape:
        return np.sum(g)
    g = np.sum(g, axis=tuple(range(lead)) + stretched, keepdims=True)
    return np.reshape(g, shape)


def unreduce(g, x, axis=None, keepdims=False):
    """Broadcast ``g``, the derivative of a reduction of ``x``, back to ``x``'s shape."""
    shape = np.shape(x)
    if axis is not None and not keepdims:
        g = np.expand_dims(g, _positive_axes(axis, len(shape)))
    return np.broadcast_to(g, shape)


def _positive_axes(axis, ndim):
    axes = axis if isinstance(axis, tuple) else (axis,)
    return tuple(sorted(a % ndim for a in axes))


def zeros_like(x):
    """A zero derivative shaped like ``x``: 0.0 for Python numbers, an array of
    ``x``'s dtype for arrays, and the same container for lists, tuples, dicts."""
    if isinstance(x, (list, tuple)):
        return type(x)(zeros_like(item) for item in x)
    if isinstance(x, dict):
        return {key: zeros_like(value) for key, value in x.items()}
    if isinstance(x, (int, float, complex)):
        return 0.0
    return np.zeros_like(x)
