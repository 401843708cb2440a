"""Helpers that forward-mode code, and the rules of generated code, call.

Forward mode (``srcad/forward.py``) needs two of them: ``broadcast_like``,
where a term dropped from a tangent (a zero) leaves a smaller shape than the
result's, and ``fresh_copy``, before a tangent buffer is updated in place.
The others are transposes and second derivatives of helpers of
``numeric.py`` that the rules of ``rules/runtime_rules.py`` need, so that a
generated derivative can be differentiated again.

Like ``numeric.py``, they call NumPy functions on the arrays they are given
and keep the dtype of what they are given.
"""
import numpy as np

from .numeric import _float_dtype, unbroadcast, unreduce


# ---------------------------------------------------------------- broadcasting


def broadcast_like(t, like):
    """``t`` with the shape of ``like``: broadcast up where ``t``'s shape
    broadcasts to it, summed down (``unbroadcast``) otherwise."""
    shape = np.shape(like)
    t_shape = np.shape(t)
    if t_shape == shape:
        return t
    if len(t_shape) > len(shape) or any(a != b and a != 1 for a, b in zip(t_shape[::-1], shape[::-1])):
        return unbroadcast(t, like)
    if isinstance(t, (int, float)) and hasattr(like, "dtype"):
        return np.full_like(like, t, dtype=_float_dtype(like))
    return np.broadcast_to(t, shape)


def resum(ts, g):
    """The transpose of ``unsum(g, items)``: each item's derivative broadcast to
    ``g``'s shape, added up."""
    if not isinstance(ts, (list, tuple)):
        return broadcast_like(ts, g)
    total = None
    for t in ts:
        t = broadcast_like(t, g)
        total = t if total is None else total + t
    return total


# ------------------------------------------------------- tangent buffers


def fresh_copy(t):
    """A copy of ``t`` that nothing else refers to (``add_at`` may then update it
    in place): arrays are copied, containers rebuilt, numbers kept."""
    if isinstance(t, (list, tuple)):
        return type(t)(fresh_copy(item) for item in t)
    if isinstance(t, dict):
        return {key: fresh_copy(value) for key, value in t.items()}
    if isinstance(t, np.ndarray):
        return t.copy()
    return t


# ------------------------------------------------- second derivatives of helpers


def norm_partials_tangent(t_x, t_y, x, y, ord=None, axis=None, keepdims=False):
    """The tangent of ``norm_partials(x, y, ord, axis, keepdims)`` for tangents
    ``t_x`` and ``t_y`` of ``x`` and ``y``. Defined for the 2-norm and Frobenius
    norm (``x / y``) and for the norms whose partials are piecewise constant
    (``ord`` 0, 1, inf, -inf on vectors: zero)."""
    if _norm_is_euclidean(x, ord, axis):
        scale = unreduce(y, x, axis, keepdims)
        return t_x / scale - x * unreduce(t_y, x, axis, keepdims) / (scale * scale)
    if _norm_is_piecewise_constant(x, ord, axis):
        return np.zeros_like(x, dtype=_float_dtype(x))
    raise NotImplementedError(f"srcad has no second derivative of np.linalg.norm with ord={ord!r}")


def norm_partials_adjoint(g, x, y, ord=None, axis=None, keepdims=False):
    """The adjoints of ``norm_partials(x, y, ord, axis, keepdims)`` with respect
    to ``x`` and ``y``, as a pair, given the derivative ``g`` of its result."""
    if _norm_is_euclidean(x, ord, axis):
        scale = unreduce(y, x, axis, keepdims)
        d_y = -np.reshape(np.sum(g * x / (scale * scale), axis=axis, keepdims=keepdims), np.shape(y))
        return g / scale, d_y
    if _norm_is_piecewise_constant(x, ord, axis):
        return np.zeros_like(x, dtype=_float_dtype(x)), np.zeros_like(y, dtype=_float_dtype(y))
    raise NotImplementedError(f"srcad has no second derivative of np.linalg.norm with ord={ord!r}")


def _norm_is_euclidean(x, ord, axis):
    pair = len(axis) == 2 if isinstance(axis, tuple) else (axis is None and ord is not None and np.ndim(x) == 2)
    return ord is None or ord == "fro" or (ord == 2 and not pair)


def _norm_is_piecewise_constant(x, ord, axis):
    pair = len(axis) == 2 if isinstance(axis, tuple) else (axis is None and ord is not None and np.ndim(x) == 2)
    return not pair and ord in (0, 1, np.inf, -np.inf)
