"""Helpers of the rules of NumPy's array functions that move, pad, join and pick values
(``rules/numpy_rules.py``): each is linear in the derivative it carries, and its rules sit
with the rules that call it."""
import numpy as np

from ..errors import NonDifferentiableError
from .numeric import reshape_like, unconcatenate


def negated(shift):
    """``-shift`` for a shift of ``np.roll``: a number or a tuple of them."""
    return tuple(-s for s in shift) if isinstance(shift, (tuple, list)) else -shift


def not_differentiated(what):
    """Refuse, where a rule meets a derivative it does not write: ``what`` names it."""
    raise NonDifferentiableError(f"srcad does not differentiate {what}")


# ------------------------------------------------------------------ np.diff


def undiff(g, x, n=1, axis=-1):
    """Adjoint of ``np.diff(x, n, axis)`` (no prepend or append): each difference
    ``x[i + 1] - x[i]`` gives its derivative to ``x[i + 1]`` and takes it from ``x[i]``
    (nothing, when ``n`` is at least the length and the differences are none)."""
    if np.shape(g)[axis] == 0:
        return np.zeros(np.shape(x), dtype=np.result_type(g, 0.0))
    for _ in range(n):
        ends = [(0, 0)] * np.ndim(g)
        ends[axis] = (1, 0)
        before = np.pad(g, ends)
        ends[axis] = (0, 1)
        g = before - np.pad(g, ends)
    return g


# ------------------------------------------------------------------- np.pad


def _pad_widths(pad_width, ndim):
    return np.broadcast_to(np.asarray(pad_width, dtype=int), (ndim, 2)).tolist() if np.ndim(pad_width) else \
        [[int(pad_width)] * 2] * ndim


def unpad(g, array, pad_width, mode="constant"):
    """Adjoint of ``np.pad(array, pad_width, mode)`` in ``array``, for the modes ``constant``,
    ``edge`` and ``reflect``: the padding gives its derivative back to the values it copies
    (none, for ``constant``)."""
    if mode not in ("constant", "edge", "reflect"):
        raise NonDifferentiableError(f"srcad differentiates np.pad with mode 'constant', 'edge' or 'reflect', "
                                     f"not {mode!r}")
    for axis, (before, after) in enumerate(_pad_widths(pad_width, np.ndim(array))):
        g = np.moveaxis(g, axis, 0)
        n = np.shape(g)[0] - before - after
        inner = g[before:before + n].copy()
        for i in range(before if mode != "constant" else 0):  # the i-th value before the array, from it
            inner[_source(i, n, mode, start=True)] += g[before - 1 - i]
        for i in range(after if mode != "constant" else 0):
            inner[_source(i, n, mode, start=False)] += g[before + n + i]
        g = np.moveaxis(inner, 0, axis)
    return g


def _source(i, n, mode, start):
    """Which value of an axis of length ``n`` the ``i``-th padded value (from the edge) copies."""
    if mode == "edge" or n == 1:
        k = 0
    else:  # reflect: 1, 2, ..., n - 1, n - 2, ..., 0, 1, ... (a period of 2 (n - 1))
        k = (i + 1) % (2 * (n - 1))
        k = k if k < n else 2 * (n - 1) - k
    return k if start else n - 1 - k


def pad_like(t, array, pad_width, mode="constant"):
    """Tangent of ``np.pad(array, pad_width, mode)`` in ``array``: the tangent padded the same
    way, zeros in the constant padding."""
    return np.pad(t, pad_width, mode=mode) if mode != "constant" else np.pad(t, pad_width)


# ------------------------------------------------------------- joining and splitting


def uncolumn_stack(g, tup):
    """Adjoint of ``np.column_stack(tup)``: 1-D arrays were columns."""
    widths = [1 if np.ndim(x) < 2 else np.shape(x)[1] for x in tup]
    return [reshape_like(p, x) for p, x in zip(np.split(g, np.cumsum(widths)[:-1], axis=1), tup)]


def undstack(g, tup):
    """Adjoint of ``np.dstack(tup)``: each array was made 3-D, then joined along axis 2."""
    depths = [1 if np.ndim(x) < 3 else np.shape(x)[2] for x in tup]
    return [reshape_like(p, x) for p, x in zip(np.split(g, np.cumsum(depths)[:-1], axis=2), tup)]


def unappend(g, arr, values, axis=None):
    """Adjoint of ``np.append(arr, values, axis)``: the parts of ``g`` for ``arr`` and ``values``."""
    if axis is None:
        return [reshape_like(p, x) for p, x in zip(unconcatenate(g, [np.ravel(arr), np.ravel(values)], 0), (arr, values))]
    return unconcatenate(g, [arr, values], axis)


def unatleast(g, arys):
    """Adjoint of ``np.atleast_1d/2d/3d(*arys)``: one derivative per array, in its shape
    (NumPy returns the one array itself, or a list of them)."""
    return [reshape_like(g, arys[0])] if len(arys) == 1 else [reshape_like(gi, a) for gi, a in zip(g, arys)]


def atleast_like(ts, y):
    """Tangent of ``np.atleast_1d/2d/3d``: the tangents in the result's shape."""
    if isinstance(y, (list, tuple)):
        return type(y)(reshape_like(t, yi) for t, yi in zip(ts, y))
    return reshape_like(ts[0], y)


def rolled_axes(ndim, axis, start=0):
    """The permutation ``np.rollaxis(x, axis, start)`` makes of the axes of an ``ndim``-d array."""
    axis, start = axis % ndim, start + ndim if start < 0 else start
    order = [k for k in range(ndim) if k != axis]
    order.insert(start - 1 if axis < start else start, axis)
    return tuple(order)


def untake_along_axis(g, arr, indices, axis):
    """Adjoint of ``np.take_along_axis(arr, indices, axis)``: ``g`` added back where each value
    was taken from (repeated indices add up)."""
    out = np.zeros(np.shape(arr), dtype=np.result_type(g, arr) if np.ndim(g) else arr.dtype)
    if axis is None:
        np.add.at(out.reshape(-1), indices, g)
        return out
    grid = list(np.indices(np.shape(g), sparse=True))
    grid = [np.zeros_like(i) if np.shape(arr)[k] == 1 else i for k, i in enumerate(grid)]
    grid[axis] = indices
    np.add.at(out, tuple(grid), g)
    return out


# ---------------------------------------------------------------- np.convolve


def _convolution_window(n, m, mode):
    """(start, length) of ``np.convolve``'s ``mode`` output inside the full convolution."""
    short, long = min(n, m), max(n, m)
    if mode == "full":
        return 0, n + m - 1
    if mode == "same":
        return (short - 1) // 2, long
    if mode == "valid":
        return short - 1, long - short + 1
    raise ValueError(f"np.convolve: unknown mode {mode!r}")


def full_from_mode(g, a, v, mode="full"):
    """The derivative of the full convolution of ``a`` and ``v``, given that of its ``mode`` part
    (zeros outside it)."""
    start, length = _convolution_window(np.size(a), np.size(v), mode)
    full = np.zeros(np.size(a) + np.size(v) - 1, dtype=np.result_type(g))
    full[start:start + length] = g
    return full


def mode_from_full(f, a, v, mode="full"):
    """The ``mode`` part of a full convolution of ``a`` and ``v`` (adjoint of :func:`full_from_mode`)."""
    start, length = _convolution_window(np.size(a), np.size(v), mode)
    return f[start:start + length]


# ---------------------------------------------------------------- order statistics


def median_partials(a, axis=None, keepdims=False):
    """d median / d a: 1 at the middle value, or 1/2 at each of the two middle values of an
    even count, along ``axis`` (piecewise constant); equal values are ranked in their order in
    ``a`` (a tie goes to the first)."""
    moved = np.moveaxis(np.reshape(a, (-1,)), 0, -1) if axis is None else np.moveaxis(a, axis, -1)
    n = np.shape(moved)[-1]
    ranks = np.argsort(np.argsort(moved, axis=-1, kind="stable"), axis=-1)
    middle = (ranks == (n - 1) // 2) * 0.5 + (ranks == n // 2) * 0.5
    weights = middle.astype(np.result_type(a, 0.5))
    return np.reshape(weights, np.shape(a)) if axis is None else np.moveaxis(weights, -1, axis)


def partition_order(a, y, axis=-1):
    """For ``y = np.partition(a, kth, axis)``: where in ``a`` each value of ``y`` came from along
    ``axis`` (the rank of a value of ``y`` picks it from ``a``'s stable sort order, so equal
    values are taken in their order in ``a``)."""
    ranks_in_y = np.argsort(np.argsort(y, axis=axis, kind="stable"), axis=axis)
    return np.take_along_axis(np.argsort(a, axis=axis, kind="stable"), ranks_in_y, axis=axis)


# ------------------------------------------------------------------ np.kron


def _kron_layout(a, b):
    """``a`` and ``b`` with as many axes as each other (as np.kron pads them), and the shape
    that puts each axis of ``a`` before the matching axis of ``b``."""
    ndim = max(np.ndim(a), np.ndim(b))
    a_shape = (1,) * (ndim - np.ndim(a)) + np.shape(a)
    b_shape = (1,) * (ndim - np.ndim(b)) + np.shape(b)
    interleaved = tuple(n for pair in zip(a_shape, b_shape) for n in pair)
    return a_shape, b_shape, interleaved


def unkron_a(g, a, b):
    """Adjoint of ``np.kron(a, b)`` in ``a``."""
    a_shape, b_shape, interleaved = _kron_layout(a, b)
    spread = np.reshape(g, interleaved) * np.reshape(b, tuple(n for k in b_shape for n in (1, k)))
    return np.reshape(np.sum(spread, axis=tuple(range(1, len(interleaved), 2))), np.shape(a))


def unkron_b(g, a, b):
    """Adjoint of ``np.kron(a, b)`` in ``b``."""
    a_shape, b_shape, interleaved = _kron_layout(a, b)
    spread = np.reshape(g, interleaved) * np.reshape(a, tuple(n for k in a_shape for n in (k, 1)))
    return np.reshape(np.sum(spread, axis=tuple(range(0, len(interleaved), 2))), np.shape(b))


def real_only(g, val):
    """``g``, for the real part (or the conjugate) of a real array; srcad refuses complex ones."""
    if np.iscomplexobj(val):
        raise NonDifferentiableError("srcad differentiates real arrays only, not complex ones")
    return g


# ---------------------------------------------------------------- np.select


def selected_choice(condlist, shape):
    """For ``np.select(condlist, choicelist, default)``: at each element, the index of the
    first true condition (``len(condlist)`` where none is, and the default is taken), in
    the broadcast ``shape`` of the result."""
    chosen = np.full(shape, len(condlist))
    for k in reversed(range(len(condlist))):
        chosen = np.where(np.broadcast_to(condlist[k], shape), k, chosen)
    return chosen


def unselect(g, condlist, choicelist):
    """Adjoint of ``np.select`` in ``choicelist``: each choice gets ``g`` where it is taken."""
    chosen = selected_choice(condlist, np.shape(g))
    return [_summed_to(np.where(chosen == k, g, 0.0), choice) for k, choice in enumerate(choicelist)]


def unselect_default(g, condlist, default):
    """Adjoint of ``np.select`` in ``default``: ``g`` where no condition holds."""
    return _summed_to(np.where(selected_choice(condlist, np.shape(g)) == len(condlist), g, 0.0), default)


def _summed_to(g, like):
    """``g`` summed down to the shape of ``like`` (which broadcast up to ``g``'s)."""
    shape = np.shape(like)
    extra = np.ndim(g) - len(shape)
    g = np.sum(g, axis=tuple(range(extra))) if extra else g
    kept = tuple(i for i, n in enumerate(shape) if n == 1 and np.shape(g)[i] != 1)
    return np.reshape(np.sum(g, axis=kept, keepdims=True) if kept else g, shape)


# ---------------------------------------------------------------- np.interp


def interp_slope(x, xp, fp, left=None, right=None, period=None):
    """d np.interp(x, xp, fp) / d x: the slope of the segment ``x`` falls in, 0 outside
    ``[xp[0], xp[-1]]`` (where the value is ``left`` or ``right``); at a knot, the slope of
    the segment to its right (the one NumPy's search puts it in)."""
    if period is not None:
        raise NonDifferentiableError("srcad does not differentiate np.interp with period=")
    xp, fp = np.asarray(xp), np.asarray(fp)
    segment = np.clip(np.searchsorted(xp, x, side="right") - 1, 0, len(xp) - 2)
    slope = (fp[segment + 1] - fp[segment]) / (xp[segment + 1] - xp[segment])
    inside = (x >= xp[0]) & (x < xp[-1])
    return np.where(inside, slope, 0.0)


def uninterp(g, x, xp, fp, left=None, right=None, period=None):
    """Adjoint of ``np.interp(x, xp, fp)`` in ``fp`` (the interpolation is linear in ``fp``):
    each point's ``g`` shared between the two knots around it by its weights; beyond the
    knots all of it to the end knot, unless ``left`` (``right``) stands in for it there."""
    if period is not None:
        raise NonDifferentiableError("srcad does not differentiate np.interp with period=")
    xp = np.asarray(xp)
    x = np.ravel(x)
    g = np.ravel(np.broadcast_to(g, np.shape(x)))
    segment = np.clip(np.searchsorted(xp, x, side="right") - 1, 0, len(xp) - 2)
    t = (x - xp[segment]) / (xp[segment + 1] - xp[segment])
    below, above = x < xp[0], x > xp[-1]
    to_low = np.where(below, float(left is None), np.where(above, 0.0, 1.0 - t))
    to_high = np.where(above, float(right is None), np.where(below, 0.0, t))
    out = np.zeros(len(xp), dtype=np.result_type(np.asarray(fp).dtype, 0.0))
    np.add.at(out, segment, g * to_low)
    np.add.at(out, segment + 1, g * to_high)
    return out


def interp_in_fp(t_fp, x, xp, left=None, right=None, period=None):
    """The tangent of ``np.interp(x, xp, fp, left, right)`` along ``t_fp``: the interpolation
    of ``t_fp`` (beyond the knots, 0 where ``left`` or ``right`` stands in for the end value)."""
    if period is not None:
        raise NonDifferentiableError("srcad does not differentiate np.interp with period=")
    return np.interp(x, xp, t_fp, left=None if left is None else 0.0, right=None if right is None else 0.0)


def beyond_knots(x, xp, side):
    """Where ``x`` lies beyond the first (``side`` "left") or the last knot of ``xp``: where
    ``np.interp`` returns its ``left`` or ``right``."""
    return np.less(x, xp[0]) if side == "left" else np.greater(x, xp[-1])
