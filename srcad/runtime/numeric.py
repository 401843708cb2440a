"""Numeric helpers shared by derivative rules.

Generated code calls these by name, so each is small, exact and readable.
They use only NumPy functions on the arrays they are given (never
``np.asarray``), so arrays that dispatch through NumPy's protocols flow
through unchanged, and they keep the dtype of what they are given
(float32 stays float32).

Naming: ``unOP(g, ...)`` is the adjoint of the linear op ``OP``: it takes the
derivative ``g`` of OP's result and returns the derivative of OP's input.
``OP_partials(x, ...)`` is, for a reduction ``y = OP(x)``, the array of
partial derivatives dy/dx shaped like ``x`` (each element of ``x`` feeds one
element of ``y``), so a reduction's adjoint is ``unreduce(g, ...) * partials``
and its tangent ``np.sum(dx * partials, ...)``.
"""
import dataclasses
import itertools
import math
import operator
from collections.abc import ItemsView, KeysView, ValuesView

import numpy as np

from ..errors import NonDifferentiableError
from . import tree


# ---------------------------------------------------------------- strong zeros


def cotangent_times(cotangent, partial):
    """``cotangent * partial``, a product of the chain rule (``d_y * (1 / x)``), but exactly
    0 where ``cotangent`` is 0 and the product is not finite (a strong zero).

    A zero cotangent means the value does not reach the output (the untaken branch of
    ``np.where``, an element indexing leaves out, a result multiplied by 0), and then its
    contribution is 0 whatever the local derivative is: ``0 * inf`` and ``0 * nan`` are 0
    here. A cotangent that is not 0 keeps every inf and nan it meets."""
    product = cotangent * partial
    if isinstance(product, (int, float)):
        return 0.0 if cotangent == 0 and not math.isfinite(product) else product
    finite = np.isfinite(product)
    if isinstance(product, (np.ndarray, np.generic)) and np.all(finite):
        return product  # a shortcut for NumPy only: a lazy array (Dask) would compute to answer it
    return np.where(np.logical_and(np.equal(cotangent, 0), np.logical_not(finite)), np.zeros_like(product),
                    product)


def unreached(cotangent, partial):
    """Where :func:`cotangent_times` gives 0 for ``0 * inf``: there its result is 0 for
    every small change of its arguments, so its derivatives are 0 there too."""
    product = cotangent * partial
    if isinstance(product, (int, float)):
        return cotangent == 0 and not math.isfinite(product)
    return np.logical_and(np.equal(cotangent, 0), np.logical_not(np.isfinite(product)))


# ---------------------------------------------------------------- broadcasting


def unbroadcast(g, x):
    """``g`` summed down to the shape of ``x``, undoing NumPy broadcasting (or,
    where ``g`` is the smaller, broadcast up to it: the two are each other's adjoint).
    Where both are containers of one kind (the derivative of a list or dict, added
    into a gradient buffer), item by item."""
    if isinstance(x, dict) and isinstance(g, dict):
        return {key: unbroadcast(g[key], x[key]) for key in g}
    if isinstance(x, (list, tuple)) and isinstance(g, (list, tuple)) and len(g) == len(x):
        return same_sequence(g, [unbroadcast(item, like) for item, like in zip(g, x)])
    shape = np.shape(x)
    g_shape = np.shape(g)
    if g_shape == shape:
        return g
    lead = max(len(g_shape) - len(shape), 0)
    stretched = tuple(
        lead + i for i, n in enumerate(shape[len(shape) - len(g_shape) + lead:])
        if n == 1 and g_shape[lead + i] != 1
    )
    if lead or stretched:
        g = np.sum(g, axis=tuple(range(lead)) + stretched, keepdims=True)
        g = np.reshape(g, np.shape(g)[lead:])
    if np.shape(g) == shape:
        return g
    return _spread(g, x, shape)


def size_of(x):
    """How many elements ``x`` has, read from its shape (``np.size`` is not among the
    functions every array library implements: Dask warns and falls back to NumPy)."""
    return math.prod(np.shape(x))


def like_of(x):
    """``x`` as the ``like=`` of an array made from nothing (``np.eye``, ``np.arange``), so the new
    array is of ``x``'s library (a Dask or a GPU array); None, NumPy's own, for numbers and lists."""
    return x if hasattr(type(x), "__array_function__") else None


def identity_like(n, dtype, x):
    """The ``n`` by ``n`` identity matrix of ``dtype``, in ``x``'s array library (``np.eye``'s
    ``like=`` is not enough: Dask's ``eye`` refuses the arguments NumPy passes it)."""
    count = np.arange(n, like=like_of(x))
    return (np.expand_dims(count, -1) == count).astype(dtype)


def sum_to_scalar(g):
    """``g`` summed to a scalar; a number stays the number it is (and keeps its type)."""
    return g if np.ndim(g) == 0 else np.sum(g)


def zeros_like(x):
    """A zero derivative shaped like ``x``: 0.0 for Python numbers, an array of
    ``x``'s dtype for arrays, the same container for containers (lists, tuples,
    dicts, dataclasses: see :mod:`srcad.runtime.tree`), and None for strings
    (keys and names carry no derivative)."""
    if tree.is_container(x):
        return tree.rebuild(x, [zeros_like(item) for item in tree.children(x)])
    if isinstance(x, (str, bytes)):
        return None
    if isinstance(x, (int, float, complex)) or x is None:
        return 0.0
    return np.zeros_like(x)


def same_sequence(like, items):
    """``items`` as a sequence of ``like``'s type: a list, a tuple, or the same
    namedtuple (whose constructor takes the items one by one)."""
    return tree.rebuild(like, items)


def cast_like(g, x):
    """``g`` in the dtype of ``x`` (a derivative has its argument's dtype)."""
    dtype = getattr(x, "dtype", None)
    if dtype is None or getattr(g, "dtype", None) == dtype:
        return g
    if hasattr(g, "astype"):
        return g.astype(dtype)
    return dtype.type(g)


# ------------------------------------------------------------------ reductions


def unreduce(g, x, axis=None, keepdims=False):
    """Broadcast ``g``, the derivative of a reduction of ``x``, back to ``x``'s shape."""
    shape = np.shape(x)
    if np.shape(g) == shape:
        return g
    if axis is not None and not keepdims and np.ndim(g) > 0:
        g = np.expand_dims(g, _positive_axes(axis, len(shape)))
    return _spread(g, x, shape)


def _spread(g, x, shape):
    """``g`` broadcast to ``shape``; a Python number becomes an array of ``x``'s
    float dtype (a float32 argument gets a float32 derivative)."""
    if isinstance(g, (int, float)) and hasattr(x, "dtype"):
        return np.full_like(x, g, dtype=float_dtype(x))
    return np.broadcast_to(g, shape)


def _positive_axes(axis, ndim):
    if ndim == 0:
        return ()  # NumPy lets a 0-d array be reduced over axis 0 or -1: nothing is combined
    axes = axis if isinstance(axis, tuple) else (axis,)
    return tuple(sorted(operator.index(a) % ndim for a in axes))


def reduction_size(x, axis=None):
    """How many elements of ``x`` each value of a reduction over ``axis`` combines."""
    shape = np.shape(x)
    if axis is None:
        return math.prod(shape)
    return math.prod(shape[a] for a in _positive_axes(axis, len(shape)))


def mean_weights(x, axis=None, where=True):
    """d mean / dx for ``np.mean(x, axis, where=where)``: 1 / (how many elements ``where``
    keeps in the group) on each kept element, 0 on the others."""
    kept = np.broadcast_to(where, np.shape(x)).astype(float_dtype(x))
    return kept / np.sum(kept, axis=axis, keepdims=True)


def float_dtype(x):
    """The dtype of the derivatives of ``x``: its own when it is float or complex, else float64."""
    dtype = getattr(x, "dtype", None)
    return dtype if dtype is not None and dtype.kind in "fc" else np.dtype(float)


def extremum_partials(x, y, axis=None, keepdims=False, where=True):
    """dy/dx for ``y`` the max (or min) of ``x`` over ``axis``: 1 at the first element of
    each reduced group equal to ``y`` (a tie goes to the first, as ``np.argmax`` picks; a nan
    result to the first nan), zero elsewhere and where ``where`` leaves an element out."""
    extreme = unreduce(y, x, axis, keepdims)
    hit = (np.equal(x, extreme) | np.isnan(x) & np.isnan(extreme)) & where
    axes, last = _reduced_last(x, axis)
    rows, moved_shape = _as_rows(hit, axes, last)
    first = rows & (np.cumsum(rows, axis=-1) == 1)
    return np.moveaxis(np.reshape(first, moved_shape), last, axes).astype(float_dtype(x))


def initial_won(x, y, axis=None, keepdims=False, where=True):
    """d y / d initial for ``y = np.max(x, axis, initial=initial, where=where)``: 1 where no
    element of the group reached ``y`` (the initial value is the result; an element equal
    to it comes first), 0 elsewhere; shaped like ``y``."""
    reached = np.any(extremum_partials(x, y, axis, keepdims, where) > 0, axis=axis, keepdims=keepdims)
    return np.logical_not(reached).astype(float_dtype(y))


def _reduced_last(x, axis):
    """The axes a reduction over ``axis`` takes, and the places moving them last puts them."""
    ndim = np.ndim(x)
    axes = tuple(range(ndim)) if axis is None else _positive_axes(axis, ndim)
    return axes, tuple(range(ndim - len(axes), ndim))


def _as_rows(x, axes, last):
    """``x`` with ``axes`` moved last and flattened into one: a row per reduced group, and the
    shape to reshape such rows back to before moving the axes back."""
    moved = np.moveaxis(x, axes, last)
    return np.reshape(moved, np.shape(moved)[: np.ndim(x) - len(axes)] + (-1,)), np.shape(moved)


def prod_partials(x, axis=None):
    """dy/dx for ``y = np.prod(x, axis)``: the product of the other elements of
    each element's group, computed without dividing (exact when ``x`` has zeros)."""
    axes, last = _reduced_last(x, axis)
    rows, moved_shape = _as_rows(x, axes, last)
    ones = np.ones_like(rows[..., :1])
    before = np.concatenate([ones, np.cumprod(rows[..., :-1], axis=-1)], axis=-1)
    after = np.concatenate([np.cumprod(rows[..., :0:-1], axis=-1)[..., ::-1], ones], axis=-1)
    return np.moveaxis(np.reshape(before * after, moved_shape), last, axes)


def prod_partials_tangent(x, dx, axis=None):
    """The tangent of :func:`prod_partials` along ``dx``: for each element, the sum over the
    other elements j of ``dx_j`` times the product of the elements other than both, computed
    as ``prod_partials`` of ``x`` with the element itself set to 1 (exact when ``x`` has zeros;
    each group of n elements costs n * n)."""
    axes, last = _reduced_last(x, axis)
    rows, moved_shape = _as_rows(x, axes, last)
    d_rows, _ = _as_rows(dx, axes, last)
    rows, d_rows = rows[..., None, :], d_rows[..., None, :]
    itself = identity_like(np.shape(rows)[-1], bool, rows)
    without_itself = np.where(itself, np.ones_like(rows), rows)  # row i: x with x_i set to 1
    pairs = prod_partials(without_itself, axis=-1) * ~itself
    tangent = np.sum(pairs * d_rows, axis=-1)
    return np.moveaxis(np.reshape(tangent, moved_shape), last, axes)


def var_partials(x, axis=None, ddof=0):
    """dy/dx for ``y = np.var(x, axis, ddof=ddof)``: ``2 (x - mean) / (n - ddof)``."""
    centered = np.subtract(x, np.mean(x, axis=axis, keepdims=True))
    return centered * (2.0 / (reduction_size(x, axis) - ddof))


def std_partials(x, y, axis=None, keepdims=False, ddof=0):
    """dy/dx for ``y = np.std(x, axis, ddof=ddof, keepdims=keepdims)``:
    ``(x - mean) / ((n - ddof) y)``."""
    centered = np.subtract(x, np.mean(x, axis=axis, keepdims=True))
    scale = unreduce(y, x, axis, keepdims) * (reduction_size(x, axis) - ddof)
    # y is 0 only where the values are all equal (one element, say): then centered is 0 too
    return quotient_or_zero(centered, scale)


def quotient_or_zero(a, b):
    """``a / b``, and 0 where ``b`` is 0. Where the 2-norm of a vector or the standard
    deviation of values is 0, the function has no derivative; srcad takes the subgradient
    0 there, as ``np.abs`` has ``sign(0) = 0`` (the only choice that keeps the derivative of
    an even function odd), and so do its second derivatives."""
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return 0.0 if b == 0 else a / b  # numbers stay numbers
    zero = np.equal(b, 0)
    return np.where(zero, 0.0, a / np.where(zero, 1.0, b))


def norm_partials(x, y, ord=None, axis=None, keepdims=False):
    """dy/dx for ``y = np.linalg.norm(x, ord, axis, keepdims)``, shaped like ``x``.

    Vector norms: any ``ord`` (2 and None give ``x / y``). Matrix norms (a
    2-D ``x`` with ``ord`` given, or a pair of axes): ``None``/``"fro"``,
    ``"nuc"``, 2, -2 (singular vectors), 1, -1, inf, -inf.
    """
    ndim = np.ndim(x)
    if axis is not None and not isinstance(axis, tuple):
        axis = (axis,)
    pair = len(axis) == 2 if axis is not None else (ord is not None and ndim == 2)
    if not pair:
        return _vector_norm_partials(x, y, ord, axis, keepdims)
    rows, cols = (0, 1) if axis is None else _positive_pair(axis, ndim)
    if ord is None or ord == "fro":
        return quotient_or_zero(x, unreduce(y, x, axis, keepdims))
    if ord in ("nuc", 2, -2):
        u, _, vh = np.linalg.svd(np.moveaxis(x, (rows, cols), (-2, -1)), full_matrices=False)
        if ord == "nuc":
            w = u @ vh
        else:
            k = 0 if ord == 2 else -1
            w = u[..., :, [k]] @ vh[..., [k], :]
        return np.moveaxis(w, (-2, -1), (rows, cols))
    summed, across = (rows, cols) if ord in (1, -1) else (cols, rows)
    totals = np.sum(np.abs(x), axis=summed, keepdims=True)
    best = (np.max if ord > 0 else np.min)(totals, axis=across, keepdims=True)
    return np.sign(x) * extremum_partials(totals, best, across, keepdims=True)


def _positive_pair(axis, ndim):
    return tuple(operator.index(a) % ndim for a in axis)


def _vector_norm_partials(x, y, ord, axis, keepdims):
    if ord is None or ord == 2:
        return quotient_or_zero(x, unreduce(y, x, axis, keepdims))
    if ord == 1:
        return np.sign(x)
    if ord == 0:
        return np.zeros_like(x)
    if ord in (math.inf, -math.inf):
        return np.sign(x) * extremum_partials(np.abs(x), y, axis, keepdims)
    return np.sign(x) * quotient_or_zero(np.abs(x), unreduce(y, x, axis, keepdims)) ** (ord - 1)


def uncumsum(g, x, axis=None):
    """Adjoint of ``np.cumsum(x, axis)``: cumulative sums taken from the end."""
    if axis is None or np.ndim(x) == 0:  # cumsum flattens, also a 0-d array
        return np.reshape(np.flip(np.cumsum(np.flip(g))), np.shape(x))
    return np.flip(np.cumsum(np.flip(g, axis), axis=axis), axis)


# -------------------------------------------------------------------- products


def unmatmul_a(g, a, b):
    """Adjoint of ``a @ b`` with respect to ``a`` (1-D, 2-D and batched operands)."""
    fast = _MATRIX_ADJOINTS_A.get((getattr(a, "ndim", None), getattr(b, "ndim", None)))
    if fast is not None:
        return fast(g, a, b)
    if np.ndim(b) == 1:
        ga = g * b if np.ndim(a) == 1 else np.expand_dims(g, -1) * b
    elif np.ndim(a) == 1:
        ga = (np.expand_dims(g, -2) @ np.swapaxes(b, -1, -2))[..., 0, :]
    else:
        ga = g @ np.swapaxes(b, -1, -2)
    return unbroadcast(ga, a)


def unmatmul_b(g, a, b):
    """Adjoint of ``a @ b`` with respect to ``b`` (1-D, 2-D and batched operands)."""
    fast = _MATRIX_ADJOINTS_B.get((getattr(a, "ndim", None), getattr(b, "ndim", None)))
    if fast is not None:
        return fast(g, a, b)
    if np.ndim(a) == 1:
        gb = g * a if np.ndim(b) == 1 else np.expand_dims(a, -1) * np.expand_dims(g, -2)
    elif np.ndim(b) == 1:
        gb = (np.swapaxes(a, -1, -2) @ np.expand_dims(g, -1))[..., 0]
    else:
        gb = np.swapaxes(a, -1, -2) @ g
    return unbroadcast(gb, b)


# The common cases, by (a.ndim, b.ndim), written as one would by hand: no shape to undo.
_MATRIX_ADJOINTS_A = {
    (2, 2): lambda g, a, b: g @ b.T,
    (2, 1): lambda g, a, b: np.outer(g, b),
    (1, 2): lambda g, a, b: b @ g,
}
_MATRIX_ADJOINTS_B = {
    (2, 2): lambda g, a, b: a.T @ g,
    (2, 1): lambda g, a, b: g @ a,
    (1, 2): lambda g, a, b: np.outer(a, g),
}


def _contracted(axes, ndim_a, ndim_b):
    """``np.tensordot``'s ``axes`` as two lists of non-negative axes."""
    if isinstance(axes, (int, np.integer)):
        return list(range(ndim_a - axes, ndim_a)), list(range(axes))
    axes_a, axes_b = axes
    if isinstance(axes_a, (int, np.integer)):
        axes_a, axes_b = [axes_a], [axes_b]
    return [a % ndim_a for a in axes_a], [b % ndim_b for b in axes_b]


def untensordot_a(g, a, b, axes=2):
    """Adjoint of ``np.tensordot(a, b, axes)`` with respect to ``a``."""
    sum_a, sum_b = _contracted(axes, np.ndim(a), np.ndim(b))
    free_a = [i for i in range(np.ndim(a)) if i not in sum_a]
    free_b = [i for i in range(np.ndim(b)) if i not in sum_b]
    ga = np.tensordot(g, b, axes=(list(range(len(free_a), np.ndim(g))), free_b))
    came_from = free_a + [sum_a[sum_b.index(i)] for i in sorted(sum_b)]
    return np.transpose(ga, tuple(int(i) for i in np.argsort(came_from)))


def untensordot_b(g, a, b, axes=2):
    """Adjoint of ``np.tensordot(a, b, axes)`` with respect to ``b``."""
    sum_a, sum_b = _contracted(axes, np.ndim(a), np.ndim(b))
    free_a = [i for i in range(np.ndim(a)) if i not in sum_a]
    free_b = [i for i in range(np.ndim(b)) if i not in sum_b]
    gb = np.tensordot(a, g, axes=(free_a, list(range(len(free_a)))))
    came_from = [sum_b[sum_a.index(i)] for i in sorted(sum_a)] + free_b
    return np.transpose(gb, tuple(int(i) for i in np.argsort(came_from)))


def _dot_axes(a, b):
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return [], []
    return [np.ndim(a) - 1], [max(np.ndim(b) - 2, 0)]


def _inner_axes(a, b):
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return [], []
    return [np.ndim(a) - 1], [np.ndim(b) - 1]


def undot_a(g, a, b):
    """Adjoint of ``np.dot(a, b)`` with respect to ``a``."""
    return untensordot_a(g, a, b, _dot_axes(a, b))


def undot_b(g, a, b):
    """Adjoint of ``np.dot(a, b)`` with respect to ``b``."""
    return untensordot_b(g, a, b, _dot_axes(a, b))


def uninner_a(g, a, b):
    """Adjoint of ``np.inner(a, b)`` with respect to ``a``."""
    return untensordot_a(g, a, b, _inner_axes(a, b))


def uninner_b(g, a, b):
    """Adjoint of ``np.inner(a, b)`` with respect to ``b``."""
    return untensordot_b(g, a, b, _inner_axes(a, b))


def _einsum_terms(subscripts, operands):
    """Input and output subscripts of an einsum with ``...`` spelled out as letters."""
    spec = subscripts.replace(" ", "")
    inputs, arrow, output = spec.partition("->")
    inputs = inputs.split(",")
    free = [c for c in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ" if c not in spec]
    widths = [np.ndim(x) - (len(s) - 3) for s, x in zip(inputs, operands) if "..." in s]
    dots = "".join(free[: max(widths, default=0)])
    inputs = [s.replace("...", dots[len(dots) - (np.ndim(x) - (len(s) - 3)):])
              for s, x in zip(inputs, operands)]
    if arrow:
        output = output.replace("...", dots)
    else:
        letters = "".join(inputs)
        output = dots + "".join(sorted(c for c in set(letters) if letters.count(c) == 1 and c not in dots))
    return inputs, output, free[len(dots):]


_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _einsum_spelled(subscripts, operands):
    """``(subscripts string, arrays)`` of either form of ``np.einsum``: ``("ij,jk->ik", a, b)``
    or the sublist form ``(a, [0, 1], b, [1, 2], [0, 2])``, whose first array is ``subscripts``."""
    if isinstance(subscripts, str):
        return subscripts, list(operands)
    items = [subscripts, *operands]
    paired = len(items) // 2 * 2  # array, its axes, array, its axes, ..., then the output's axes
    arrays, sublists = items[0:paired:2], items[1:paired:2]

    def spelled(sublist):
        return "".join("..." if axis is Ellipsis else _LETTERS[axis] for axis in sublist)

    spec = ",".join(spelled(s) for s in sublists)
    if len(items) > paired:
        spec += "->" + spelled(items[-1])
    return spec, arrays


def _in_sublist_positions(values):
    """Values for the arrays of a sublist-form einsum, placed at the arrays' positions among the
    arguments after the first (a sublist gets None): ``[None, g1, None, g2, ...]``."""
    placed = []
    for value in values:
        placed += [None, value]
    return placed


class PerOperand(list):
    """Derivatives of an op's operands, one per item, that add item by item (as two tangents of
    them do); None is the derivative of an operand that has none (a sublist)."""

    def __add__(self, other):
        return PerOperand(b if a is None else a if b is None else a + b for a, b in zip(self, other))


def _uneinsum_tangents(g, subscripts, operands, leading_tangent, tangents):
    """Tangents of the adjoints of every array of an einsum, carried by the arrays' tangents
    (None: inactive). Each array's adjoint is linear in every other array, so its tangent sums the
    adjoint with one other array replaced by that array's tangent."""
    spec, arrays = _einsum_spelled(subscripts, operands)
    if isinstance(subscripts, str):
        moving = list(tangents) if tangents is not None else [None] * len(arrays)
    else:
        moving = [leading_tangent, *(list(tangents)[1:2 * len(arrays) - 2:2] if tangents is not None
                                     else [None] * (len(arrays) - 1))]
    inputs, output, fresh = _einsum_terms(spec, arrays)
    totals = []
    for i in range(len(arrays)):
        total = zeros_like(arrays[i])
        for k, t in enumerate(moving):
            if k != i and t is not None:
                replaced = arrays[:k] + [t] + arrays[k + 1:]
                total = total + _uneinsum_one(g, inputs, output, replaced, i, fresh)
        totals.append(total)
    return totals


def uneinsum_tangent(g, subscripts, operands, leading_tangent=None, tangents=None):
    """Tangent of ``uneinsum(g, subscripts, operands)`` carried by the arrays: ``tangents`` of
    ``operands``, and in the sublist form ``leading_tangent`` of the first array."""
    totals = _uneinsum_tangents(g, subscripts, operands, leading_tangent, tangents)
    return PerOperand(totals if isinstance(subscripts, str) else _in_sublist_positions(totals[1:])[:len(operands)])


def uneinsum_leading_tangent(g, subscripts, operands, tangents=None):
    """Tangent of ``uneinsum_leading(g, subscripts, operands)`` carried by the other arrays."""
    if isinstance(subscripts, str):
        return None
    return _uneinsum_tangents(g, subscripts, operands, None, tangents)[0]


def uneinsum(g, subscripts, operands):
    """Adjoints of ``np.einsum(subscripts, *operands)``, one per item of ``operands`` (in the
    sublist form, None for each sublist; the first array's is :func:`uneinsum_leading`)."""
    spec, arrays = _einsum_spelled(subscripts, operands)
    inputs, output, fresh = _einsum_terms(spec, arrays)
    grads = [_uneinsum_one(g, inputs, output, arrays, i, fresh) for i in range(len(arrays))]
    return PerOperand(grads if isinstance(subscripts, str) else _in_sublist_positions(grads[1:])[:len(operands)])


def uneinsum_leading(g, subscripts, operands):
    """Adjoint of the first argument of ``np.einsum``: None for a subscripts string, the first
    array's derivative in the sublist form ``np.einsum(a, [0, 1], b, [1, 2], [0, 2])``."""
    if isinstance(subscripts, str):
        return None
    spec, arrays = _einsum_spelled(subscripts, operands)
    inputs, output, fresh = _einsum_terms(spec, arrays)
    return _uneinsum_one(g, inputs, output, arrays, 0, fresh)


def _uneinsum_one(g, inputs, output, operands, i, fresh):
    shape = np.shape(operands[i])
    target, eyes, eye_terms = "", [], []
    for k, c in enumerate(inputs[i]):
        if c in target:
            # a repeated index reads a diagonal: write back through an identity matrix
            target += fresh[len(eyes)]
            eye_terms.append(c + target[-1])
            eyes.append(identity_like(shape[k], float_dtype(g), operands[i]))
        else:
            target += c
    others = [s for j, s in enumerate(inputs) if j != i]
    known = set(output + "".join(others) + "".join(eye_terms))
    kept = "".join(c for c in target if c in known)
    terms = ",".join([output] + others + eye_terms) + "->" + kept
    grad = np.einsum(terms, g, *[x for j, x in enumerate(operands) if j != i], *eyes)
    # indices summed only over this operand: the derivative is constant along them
    grad = np.expand_dims(grad, tuple(k for k, c in enumerate(target) if c not in known))
    stretched = tuple(k for k, n in enumerate(shape) if n == 1 and np.shape(grad)[k] != 1)
    if stretched:
        grad = np.sum(grad, axis=stretched, keepdims=True)
    return np.broadcast_to(grad, shape)


def einsum_tangent(subscripts, operands, tangents, optimize=False):
    """Tangent of ``np.einsum(subscripts, *operands)`` carried by ``operands``: the sum over them
    of the einsum with that operand replaced by its tangent (None: inactive; a sublist has none)."""
    spec, arrays = _einsum_spelled(subscripts, operands)
    if not isinstance(subscripts, str):
        tangents = [None, *list(tangents)[1:2 * len(arrays) - 2:2]]  # the arrays after the first
    total = None
    for i, t in enumerate(tangents):
        if t is None:
            continue
        term = np.einsum(spec, *arrays[:i], t, *arrays[i + 1:], optimize=optimize)
        total = term if total is None else total + term
    return total


def einsum_tangent_leading(subscripts, operands, tangent, optimize=False):
    """Tangent of ``np.einsum`` carried by its first argument: the first array of the sublist
    form (a subscripts string carries none)."""
    spec, arrays = _einsum_spelled(subscripts, operands)
    return np.einsum(spec, tangent, *arrays[1:], optimize=optimize)


# ------------------------------------------------------------ indexing, shapes


def _is_basic_index(index):
    items = index if isinstance(index, tuple) else (index,)
    return all(
        isinstance(i, (int, np.integer, slice, type(None), type(Ellipsis)))
        and not isinstance(i, bool)
        for i in items
    )


def unindex(g, x, index):
    """Adjoint of ``x[index]``: ``g`` scattered into zeros shaped like ``x``.

    Repeated fancy indices accumulate (``np.add.at``). For a list, tuple or
    dict ``x`` the result is the same container, zero except at ``index``.
    """
    if isinstance(x, dict):
        out = zeros_like(x)
        out[index] = g
        return out
    if isinstance(x, (list, tuple)):
        out = [zeros_like(item) for item in x]
        out[index] = list(g) if isinstance(index, slice) else g
        return same_sequence(x, out)
    out = np.zeros_like(x)
    if _is_basic_index(index):
        out[index] = g
    else:
        np.add.at(out, index, g)
    return out


def untake(g, x, indices, axis=None, mode="raise"):
    """Adjoint of ``np.take(x, indices, axis, mode=mode)``."""
    shape = np.shape(x)
    n = math.prod(shape) if axis is None else shape[axis]
    if mode == "wrap":
        indices = np.mod(indices, n)
    elif mode == "clip":
        indices = np.clip(indices, 0, n - 1)
    if axis is None:
        out = np.zeros_like(x, shape=(n,))
        np.add.at(out, indices, g)
        return np.reshape(out, shape)
    out = np.zeros_like(x)
    np.add.at(out, (slice(None),) * (axis % len(shape)) + (indices,), g)
    return out


def reshape_like(t, x, order="C"):
    """``t`` reshaped to the shape of ``x`` (the derivative of a reshape, ravel,
    squeeze or expand_dims, either way)."""
    return np.reshape(t, np.shape(x), order)


def _permutation(axes):
    """``axes`` as ``np.transpose`` or ``x.transpose(*axes)`` spells them; None: reverse."""
    if isinstance(axes, tuple) and len(axes) == 1 and not isinstance(axes[0], (int, np.integer)):
        axes = axes[0]  # x.transpose((1, 0)) or x.transpose(None)
    return None if axes is None or len(axes) == 0 else axes


def transpose_by(x, axes=None):
    """``np.transpose(x, axes)``, taking ``axes`` also the way ``x.transpose(*axes)`` does."""
    return np.transpose(x, _permutation(axes))


def untranspose(g, axes=None):
    """Adjoint of ``np.transpose(x, axes)`` and of ``x.transpose(*axes)``."""
    axes = _permutation(axes)
    if axes is None:
        return np.transpose(g)
    ndim = np.ndim(g)
    return np.transpose(g, tuple(int(i) for i in np.argsort([a % ndim for a in axes])))


def untile(g, x, reps):
    """Adjoint of ``np.tile(x, reps)``: the copies summed."""
    shape = np.shape(x)
    reps = (reps,) if isinstance(reps, (int, np.integer)) else tuple(reps)
    n = max(len(shape), len(reps))
    shape_n = (1,) * (n - len(shape)) + shape
    reps_n = (1,) * (n - len(reps)) + reps
    split = tuple(itertools.chain.from_iterable(zip(reps_n, shape_n)))
    return np.reshape(np.sum(np.reshape(g, split), axis=tuple(range(0, 2 * n, 2))), shape)


def unrepeat(g, x, repeats, axis=None):
    """Adjoint of ``np.repeat(x, repeats, axis)``: the copies of each element summed."""
    shape = np.shape(x)
    if axis is None or not shape:  # repeat flattens, also a 0-d array
        g, axis, flat = np.ravel(g), 0, (math.prod(shape),)
    else:
        axis, flat = axis % len(shape), shape
    n = flat[axis]
    if np.ndim(repeats) == 0:
        split = np.shape(g)[:axis] + (n, int(repeats)) + np.shape(g)[axis + 1:]
        return np.reshape(np.sum(np.reshape(g, split), axis=axis + 1), shape)
    owner = np.repeat(np.arange(n), repeats)
    out = np.zeros_like(g, shape=flat)
    np.add.at(out, (slice(None),) * axis + (owner,), g)
    return np.reshape(out, shape)


def _diagonal_index(n_rows, n_cols, offset):
    i = np.arange(max(0, min(n_rows - max(-offset, 0), n_cols - max(offset, 0))))
    return i + max(-offset, 0), i + max(offset, 0)


def undiag(g, v, k=0):
    """Adjoint of ``np.diag(v, k)``: for a vector ``v`` read the k-th diagonal
    of ``g``; for a matrix ``v`` write ``g`` on the k-th diagonal of zeros."""
    if np.ndim(v) == 1:
        return np.diag(g, k)
    out = np.zeros_like(v)
    out[_diagonal_index(*np.shape(v), k)] = g
    return out


def undiagonal(g, x, offset=0, axis1=0, axis2=1):
    """Adjoint of ``np.diagonal(x, offset, axis1, axis2)``: ``g`` written on that
    diagonal of zeros shaped like ``x``."""
    shape = np.shape(x)
    out = np.zeros_like(x)
    view = np.moveaxis(out, (axis1, axis2), (-2, -1))
    rows, cols = _diagonal_index(shape[axis1], shape[axis2], offset)
    view[..., rows, cols] = g
    return out


def untrace(g, x, offset=0, axis1=0, axis2=1):
    """Adjoint of ``np.trace(x, offset, axis1, axis2)``: ``g`` along that diagonal."""
    return undiagonal(np.expand_dims(g, -1), x, offset, axis1, axis2)


def unsort(g, x, axis=-1):
    """Adjoint of ``np.sort(x, axis)``: ``g`` sent back to where each value came from."""
    if axis is None:
        out = np.zeros_like(g)
        out[np.argsort(x, axis=None, kind="stable")] = g
        return np.reshape(out, np.shape(x))
    out = np.zeros_like(g)
    np.put_along_axis(out, np.argsort(x, axis=axis, kind="stable"), g, axis=axis)
    return out


def sort_along(t, x, axis=-1):
    """``t`` reordered the way ``np.sort(x, axis)`` reorders ``x``."""
    if axis is None:
        return np.ravel(t)[np.argsort(x, axis=None, kind="stable")]
    return np.take_along_axis(t, np.argsort(x, axis=axis, kind="stable"), axis=axis)


# ------------------------------------------------------- joining and splitting


def _cut(g, lengths, axis):
    """``g`` cut along ``axis`` into consecutive pieces of ``lengths``: ``np.split``, by
    slicing, which every array library implements (Dask has no ``np.split``)."""
    before = (slice(None),) * (axis % np.ndim(g))
    ends = list(itertools.accumulate(lengths))
    return [g[before + (slice(end - length, end),)] for length, end in zip(lengths, ends)]


def unconcatenate(g, arrays, axis=0):
    """Adjoint of ``np.concatenate(arrays, axis)``: ``g`` cut into one piece per array."""
    if axis is None:
        pieces = _cut(np.ravel(g), [size_of(x) for x in arrays], 0)
        return [np.reshape(p, np.shape(x)) for p, x in zip(pieces, arrays)]
    return _cut(g, [np.shape(x)[axis] for x in arrays], axis)


def _joined(item):
    """Whether an item of ``np.r_[...]`` is a value that is joined (not a range or a directive)."""
    return not isinstance(item, (slice, str))


def _range_length(item):
    """How many numbers the range ``a:b:c`` gives in ``np.r_`` (a complex step counts them)."""
    return np.size(np.r_[item])


def unjoin_index(g, indexer, key):
    """Adjoint of ``indexer[key]`` for ``np.r_`` and ``np.c_``: the derivative of each item of
    ``key`` (None for ranges ``a:b:c`` and directive strings, which are constants). Each value's
    elements are found in the result by joining their positions the same way."""
    tags, offset = [], 0
    for item in key:
        if _joined(item):
            tags.append(np.reshape(np.arange(offset, offset + np.size(item), dtype=float), np.shape(item)))
            offset += np.size(item)
        else:
            tags.append(np.full(_range_length(item), np.nan) if isinstance(item, slice) else item)
    joined = indexer[tuple(tags)]
    placed = np.ravel(joined)
    found = ~np.isnan(placed)
    position = np.empty(offset, dtype=int)
    position[placed[found].astype(int)] = np.flatnonzero(found)
    flat = np.ravel(np.broadcast_to(g, np.shape(joined)))
    grads, offset = [], 0
    for item in key:
        if not _joined(item):
            grads.append(None)
            continue
        piece = flat[position[offset:offset + np.size(item)]]
        grads.append(np.reshape(piece, np.shape(item)) if isinstance(item, np.ndarray) else float(piece[0]))
        offset += np.size(item)
    return grads


def join_index_tangent(indexer, key, tangents):
    """Tangent of ``indexer[key]`` for ``np.r_`` and ``np.c_``: the tangents joined the same way
    (None: inactive; a range's tangent is zero)."""
    joined = []
    for item, t in zip(key, tangents):
        if isinstance(item, slice):
            joined.append(np.zeros(_range_length(item)))
        elif isinstance(item, str):
            joined.append(item)
        else:
            joined.append(zeros_like(item) if t is None else t)
    return indexer[tuple(joined)]


def unstack(g, axis=0):
    """Adjoint of ``np.stack(arrays, axis)``: the slices of ``g`` along ``axis``."""
    return list(np.moveaxis(g, axis, 0))


def _unjoin(g, arrays, ndmin, axis):
    shapes = [(1,) * (ndmin - np.ndim(x)) + np.shape(x) for x in arrays]
    pieces = _cut(g, [s[axis] for s in shapes], axis)
    return [np.reshape(p, np.shape(x)) for p, x in zip(pieces, arrays)]


def unhstack(g, tup):
    """Adjoint of ``np.hstack(tup)``."""
    return _unjoin(g, tup, 1, 0 if np.ndim(tup[0]) <= 1 else 1)


def unvstack(g, tup):
    """Adjoint of ``np.vstack(tup)``."""
    return _unjoin(g, tup, 2, 0)


def unsplit(gs, pieces, axis=0):
    """Adjoint of ``np.split``: the pieces' derivatives joined (None or a scalar
    zero stands for a piece nothing used)."""
    return np.concatenate(
        [np.zeros_like(p) if g is None or np.ndim(g) < np.ndim(p) else g for g, p in zip(gs, pieces)],
        axis=axis,
    )


def unless_integer(g, dtype=None):
    """``g``, or zero when ``dtype`` is an integer or bool type: a cast to one (``x.astype(int)``,
    ``np.array(x, dtype=int)``) is piecewise constant."""
    if dtype is not None and np.dtype(dtype).kind in "biu":
        return np.zeros_like(g) if hasattr(g, "dtype") else 0.0
    return g


unless_integer.srcad_same_when_none = 1  # with dtype the literal None, srcad writes just g


def unarray(g, obj):
    """Adjoint of ``np.array(obj)``: ``g`` in the shape of ``obj`` and, for a
    (nested) list or tuple, split into the same container."""
    g = np.reshape(g, np.shape(obj))
    if isinstance(obj, (list, tuple)):
        return type(obj)(unarray(g[i], item) for i, item in enumerate(obj))
    if isinstance(obj, (int, float)):
        return g[()]
    return cast_like(g, obj)


# ------------------------------------------------------------ elementwise bits


def arange_start_slope(y, stop=None):
    """dy/dstart for ``y = np.arange(start, stop, step)``: 1 for every element, or 0 when
    ``stop`` is None (``np.arange(n)`` counts from 0, whatever ``n`` is)."""
    return np.zeros_like(y, dtype=float_dtype(y)) if stop is None else np.ones_like(y, dtype=float_dtype(y))


def linspace_fractions(y, num=50, endpoint=True, axis=0):
    """Where each sample of ``y = np.linspace(start, stop, num, endpoint, axis=axis)`` lies
    from ``start`` (0) to ``stop`` (1), shaped to broadcast against ``y`` (not ``retstep``)."""
    if isinstance(y, tuple):
        raise NonDifferentiableError("srcad differentiates np.linspace without retstep=True: "
                                     "compute the step as (stop - start) / (num - 1) instead")
    steps = num - 1 if endpoint else num
    fraction = np.arange(num, dtype=float_dtype(y), like=like_of(y)) / max(steps, 1)
    ndim = np.ndim(y)
    return np.reshape(fraction, (num,) + (1,) * (ndim - 1 - axis % ndim))


def along_samples(t, y, axis=0):
    """``t`` (of ``start`` or ``stop``) spread over the samples ``y`` of ``np.linspace``:
    broadcast to their shape without the sample axis, which comes back with length 1."""
    others = np.shape(y)[:axis % np.ndim(y)] + np.shape(y)[axis % np.ndim(y) + 1:]
    return np.expand_dims(np.broadcast_to(t, others), axis)


def exponent_minus_one(b):
    """``b - 1``, but 1 where ``b`` is 0, so that ``b * a ** exponent_minus_one(b)``, the
    derivative of ``a ** b``, is exactly 0 there for every ``a`` (``a ** 0`` is 1, also at
    ``a = 0``, where ``0 * 0 ** -1`` would be nan or raise ZeroDivisionError)."""
    if isinstance(b, (int, float)):
        return 1 if b == 0 else b - 1
    return np.where(np.equal(b, 0), 1, np.subtract(b, 1))


exponent_minus_one.srcad_fold = True  # of a literal exponent, srcad writes the value while inlining


def power(a, b):
    """``a ** b`` as NumPy computes it: where a Python number 0 meets a negative exponent
    (``0.0 ** -0.5``, in the derivative of ``x ** 0.5`` at 0), inf rather than Python's
    ZeroDivisionError, as for arrays (and in JAX). With a literal exponent that cannot
    raise (not negative), srcad writes just ``a ** b``."""
    if isinstance(a, (int, float)) and a == 0 and np.any(np.less(b, 0)):
        return np.power(float(a), b)
    return a ** b


power.srcad_operator_unless_negative = True  # of a literal exponent, srcad writes a ** e


def standardized(y, location, scale):
    """``(y - location) / scale``: the standard draw that a random draw ``y = location + scale *
    standard`` was made from (``np.random.normal(loc, scale)``, ``uniform(low, high)`` with scale
    ``high - low``), whose derivative along the location is 1 and along the scale the standard
    draw itself (the pathwise derivative, as JAX takes it). Where the scale is 0 the draw is its
    location and the standard draw is lost: refused there, rather than guessed."""
    if np.any(np.equal(scale, 0)):
        raise NonDifferentiableError(
            "srcad cannot differentiate a random draw along its scale where the scale is 0: the draw is "
            "then its location, and the standard draw it would have been scaled from is lost. Draw that "
            "yourself (eps = rng.standard_normal(size)) and write loc + scale * eps")
    return (y - location) / scale


def xlogy(x, y):
    """``x * log(y)``, taken as 0 where ``x`` is 0 (so ``d(0 ** b)/db`` is 0)."""
    if isinstance(x, (int, float)) and isinstance(y, (int, float)):
        if x == 0:
            return 0.0
        return x * math.log(y) if y > 0 else math.nan
    zero = np.equal(x, 0)
    return np.where(zero, 0.0, np.multiply(x, np.log(np.where(zero, 1.0, y))))


def within(x, low, high):
    """True where ``low < x < high`` (a None bound is open): where ``np.clip`` passes
    ``x`` through. At a bound the bound wins the tie (``clip`` read as
    ``max(low, min(high, x))``, as the hard tanh of section 6.3.3)."""
    inside = True
    if low is not None:
        inside = np.greater(x, low)
    if high is not None:
        inside = inside & np.less(x, high)
    return inside


def at_low_bound(x, low, high):
    """True where ``np.clip(x, low, high)`` is ``low``: ``x <= low`` (the bound wins a tie),
    unless ``high`` is not above ``low`` (then NumPy's result is ``high``)."""
    below = np.less_equal(x, low)
    return below if high is None else below & np.less(low, high)


def at_high_bound(x, low, high):
    """True where ``np.clip(x, low, high)`` is ``high``: ``x >= high`` (the bound wins a tie),
    and everywhere when ``low`` is not below ``high``."""
    above = np.greater_equal(x, high)
    return above if low is None else above | np.greater_equal(low, high)


# ----------------------------------------------------- Python builtin helpers


def _picked(y, args):
    """Position of the value ``max(*args)`` / ``min(*args)`` returned (the first
    one, as Python picks the first of equal values)."""
    items = args[0] if len(args) == 1 else args
    for i, item in enumerate(items):
        if item is y:
            return i
    for i, item in enumerate(items):
        if item == y:
            return i
    raise ValueError("the result is none of the arguments")


def unpick(g, y, args):
    """Adjoint of ``max(*args)`` / ``min(*args)``: ``g`` for the picked value,
    zero for the others; with one iterable argument, a list holding its derivative."""
    i = _picked(y, args)
    if len(args) > 1:
        return [g if j == i else zeros_like(x) for j, x in enumerate(args)]
    (items,) = args
    if isinstance(items, (list, tuple)):
        out = [zeros_like(x) for x in items]
        out[i] = g
        return [type(items)(out)]
    out = np.zeros_like(items)
    out[i] = g
    return [out]


def pick(tangents, y, args):
    """Tangent of ``max(*args)`` / ``min(*args)``: the tangent of the picked value."""
    i = _picked(y, args)
    if len(args) == 1:
        tangents, args = tangents[0], args[0]
    return zeros_like(args[i]) if tangents[i] is None else tangents[i]


def unsum(g, iterable):
    """Adjoint of the builtin ``sum(iterable)``: ``g`` for every item."""
    if isinstance(iterable, (list, tuple)):
        return same_sequence(iterable, [unbroadcast(g, x) for x in iterable])
    return unbroadcast(g, iterable)


# ------------------------------------------------------------------ containers


def unlist(g, iterable):
    """Adjoint of ``list(iterable)``: the list of derivatives in ``iterable``'s own form
    (an array stacks them back; a dict view keeps the list for the dict method's rule)."""
    if isinstance(iterable, np.ndarray):
        return np.stack([zeros_like(row) if item is None else item for item, row in zip(g, iterable)])
    if isinstance(iterable, tuple):
        return tuple(g)
    return list(g)


def from_items(g, mapping):
    """Adjoint of ``mapping.items()``: ``g`` holds one (key, value) derivative pair per item."""
    return {key: zeros_like(mapping[key]) if pair is None or pair[1] is None else pair[1]
            for key, pair in zip(mapping, g)}


def unget(g, mapping, key):
    """Adjoint of ``mapping.get(key, default)`` for ``mapping``: zeros like it, ``g`` at ``key``
    when the key is there (else the default was returned, and gets ``g``)."""
    if not isinstance(mapping, dict):
        raise NonDifferentiableError(f"cannot differentiate .get() of a {type(mapping).__name__}: srcad "
                                     f"differentiates the get method of dicts")
    result = zeros_like(mapping)
    if key in mapping:
        result[key] = g
    return result


def got(g, mapping, key, default):
    """Tangent (and adjoint of the adjoint) of ``mapping.get(key, default)``: the entry of the
    derivative ``g`` of ``mapping`` at ``key`` when the key is there, else ``default``."""
    return g[key] if key in mapping else default


def sort_order(iterable, key=None, reverse=False):
    """The positions of ``iterable``'s items in the order ``sorted(iterable, key=key, reverse=reverse)``
    puts them (both sorts are stable, so equal items keep their order)."""
    items = list(iterable)
    rank = key if key is not None else (lambda item: item)
    return sorted(range(len(items)), key=lambda i: rank(items[i]), reverse=reverse)


def unsorted_items(g, iterable, key=None, reverse=False):
    """Adjoint of ``sorted(iterable)``: the derivative of each item back at its place (a dict's
    keys carry none)."""
    if isinstance(iterable, dict):
        return zeros_like(iterable)
    items = list(iterable)
    back = [zeros_like(item) for item in items]
    for position, i in enumerate(sort_order(items, key, reverse)):
        if g[position] is not None:
            back[i] = g[position]
    return unlist(back, iterable)


def sorted_tangent(t, iterable, key=None, reverse=False):
    """Tangent of ``sorted(iterable)``: the items' tangents in sorted order (none for a dict's keys)."""
    if isinstance(iterable, dict) or t is None:
        return [None] * len(iterable)
    tangents = list(t)
    return [tangents[i] for i in sort_order(iterable, key, reverse)]


def transposed(sequences):
    """``zip(*sequences)`` as a list of tuples (what ``zip(a, b)`` and ``zip(*pairs)`` are read as)."""
    return [tuple(items) for items in zip(*sequences)]


def untransposed(g, sequences):
    """Adjoint of :func:`transposed`: the derivative of each sequence in its own form, its
    ``i``-th item from the ``i``-th tuple of ``g`` (zeros past the shortest sequence)."""
    columns = []
    for position, sequence in enumerate(sequences):
        if isinstance(sequence, dict):
            columns.append(zeros_like(sequence))  # zip goes over a dict's keys
            continue
        items = [g[i][position] if i < len(g) and g[i] is not None and g[i][position] is not None
                 else zeros_like(item) for i, item in enumerate(sequence)]
        columns.append(unlist(items, sequence))
    return same_sequence(sequences, columns) if isinstance(sequences, (list, tuple)) else columns


def from_values(g, mapping):
    """Adjoint of ``mapping.values()``: one derivative per value, in the dict's order."""
    return {key: zeros_like(mapping[key]) if value is None else value for key, value in zip(mapping, g)}


def concatenation(a, b):
    """``a + b`` for two lists or two tuples: the items of ``a``, then those of ``b``
    (the derivative of a tuple may be a list, so a list and a tuple join too)."""
    return a + b if type(a) is type(b) else same_sequence(a, list(a) + list(b))


def plus(a, b):
    """``a + b``, where srcad cannot see whether it adds numbers or arrays or joins two
    lists or tuples: the operands' types decide when the code runs, as in Python."""
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return concatenation(a, b)
    return a + b


def times(a, b):
    """``a * b``, a product or a list or tuple repeated an int number of times: the
    operands' types decide when the code runs, as in Python."""
    return a * b


def joins(a, b):
    """Whether ``a + b`` joins two sequences (two lists, or two tuples)."""
    return isinstance(a, list) and isinstance(b, list) or isinstance(a, tuple) and isinstance(b, tuple)


def repeats(a, n):
    """Whether ``a * n`` repeats the list or tuple ``a`` ``n`` times."""
    return isinstance(a, (list, tuple)) and isinstance(n, (int, np.integer)) and not isinstance(n, bool)


def loop_item(xs, i):
    """The ``i``-th item a ``for`` loop over ``xs`` sees: ``xs[i]``, or the ``i``-th key of
    a dict (or the ``i``-th item of any other iterable)."""
    if isinstance(xs, (list, tuple, np.ndarray)):
        return xs[i]
    return list(xs)[i]


def backwards(xs):
    """``reversed(xs)`` as a sequence with a length, for a ``for`` loop to index: ``xs[::-1]``
    for a sequence (an array's reversed view, a range's reversed range), and the items of a
    dict (its keys) or of a dict's view, listed backwards."""
    if isinstance(xs, (dict, KeysView, ValuesView, ItemsView)):
        return list(reversed(xs))
    return xs[::-1]


def is_mapping(xs):
    """Whether a loop over ``xs`` sees its keys (a dict), whose items carry no derivative."""
    return isinstance(xs, dict)


def field_of(record, field, like=None):
    """``record.field``, for a namedtuple or a dataclass; for the derivative of a namedtuple,
    which may be a plain list or tuple, the item at the position of ``field`` in ``like``'s fields."""
    if hasattr(record, field) or like is None:
        return getattr(record, field)
    return record[type(like)._fields.index(field)]


def unfield(g, record, field):
    """Adjoint of ``record.field``: a record of zeros like ``record`` (a namedtuple, or a
    dataclass made through its constructor), with ``g`` at ``field``."""
    if isinstance(record, tuple) and hasattr(type(record), "_fields"):
        return zeros_like(record)._replace(**{field: g})
    if dataclasses.is_dataclass(record) and not isinstance(record, type):
        fields = [f.name for f in dataclasses.fields(record) if f.init]
        if field not in fields:
            raise NonDifferentiableError(
                f"cannot differentiate reading .{field} of a {type(record).__name__}: it is not a field its "
                f"constructor takes (init=False, or not a field), so srcad cannot say which fields it depends "
                f"on; read the fields it is computed from instead")
        zeros = zeros_like(record)
        return tree.rebuild(zeros, [g if name == field else item for name, item in zip(fields, tree.children(zeros))])
    raise NonDifferentiableError(
        f"cannot differentiate reading .{field} of a {type(record).__name__}: srcad differentiates the "
        f"attributes of arrays, of namedtuples and of dataclasses; pass the values themselves, or a "
        f"namedtuple, a dataclass, a tuple or a dict of them")
