"""NumPy functions and array methods.

Each op's reverse rule (adjoint) and forward rule (tangent) sit side by side,
grouped by kind. Arithmetic ufuncs (add, subtract, multiply, divide, power,
negative, positive, matmul) share their rules with the Python operators in
``operators.py``. Array methods whose parameters line up with the function's
(``x.sum(axis)`` and ``np.sum(x, axis)``) share its rules. The last group
differentiates the runtime helpers that generated derivatives call.

A keyword argument ``name=name`` in a template passes the parameter of that
name on, and the template's default for it means what the callee's default
means, so a call may leave out any such argument the user did not give.
"""
import math

import numpy as np

from ..runtime.numeric import (
    along_samples,
    arange_start_slope,
    at_high_bound,
    at_low_bound,
    sum_to_scalar,
    cast_like,
    einsum_tangent,
    einsum_tangent_leading,
    exponent_minus_one,
    extremum_partials,
    initial_won,
    mean_weights,
    join_index_tangent,
    linspace_fractions,
    norm_partials,
    pick,
    prod_partials,
    prod_partials_tangent,
    quotient_or_zero,
    reduction_size,
    reshape_like,
    sort_along,
    standardized,
    std_partials,
    transpose_by,
    unarray,
    unbroadcast,
    uncumsum,
    unconcatenate,
    undiag,
    undiagonal,
    undot_a,
    undot_b,
    uneinsum,
    uneinsum_leading_tangent,
    uneinsum_tangent,
    unjoin_index,
    unless_integer,
    uneinsum_leading,
    unhstack,
    unindex,
    uninner_a,
    uninner_b,
    unmatmul_a,
    unmatmul_b,
    unpick,
    unreduce,
    unrepeat,
    unsort,
    unsplit,
    unstack,
    untake,
    untensordot_a,
    untensordot_b,
    untile,
    untrace,
    untranspose,
    unvstack,
    var_partials,
    within,
    xlogy,
)
from ..runtime.arrays import (
    atleast_like,
    beyond_knots,
    interp_in_fp,
    interp_slope,
    selected_choice,
    unselect,
    unselect_default,
    uninterp,
    full_from_mode,
    median_partials,
    mode_from_full,
    negated,
    not_differentiated,
    pad_like,
    partition_order,
    real_only,
    rolled_axes,
    unappend,
    unatleast,
    uncolumn_stack,
    undiff,
    undstack,
    unkron_a,
    unkron_b,
    unpad,
    untake_along_axis,
)
from .registry import adjoint, bound_methods, d, tangent

# ------------------------------------------------ exponentials and logarithms


@adjoint(np.exp)
def _(y, x):
    d[x] = d[y] * y


@tangent(np.exp)
def _(y, x):
    d[y] = d[x] * y


@adjoint(np.exp2)
def _(y, x):
    d[x] = d[y] * y * math.log(2.0)


@tangent(np.exp2)
def _(y, x):
    d[y] = d[x] * y * math.log(2.0)


@adjoint(np.expm1)
def _(y, x):
    d[x] = d[y] * (y + 1.0)


@tangent(np.expm1)
def _(y, x):
    d[y] = d[x] * (y + 1.0)


@adjoint(np.log)
def _(y, x):
    d[x] = d[y] / x


@tangent(np.log)
def _(y, x):
    d[y] = d[x] / x


@adjoint(np.log2)
def _(y, x):
    d[x] = d[y] / (x * math.log(2.0))


@tangent(np.log2)
def _(y, x):
    d[y] = d[x] / (x * math.log(2.0))


@adjoint(np.log10)
def _(y, x):
    d[x] = d[y] / (x * math.log(10.0))


@tangent(np.log10)
def _(y, x):
    d[y] = d[x] / (x * math.log(10.0))


@adjoint(np.log1p)
def _(y, x):
    d[x] = d[y] / (1.0 + x)


@tangent(np.log1p)
def _(y, x):
    d[y] = d[x] / (1.0 + x)


@adjoint(np.logaddexp)
def _(y, x1, x2):
    d[x1] = unbroadcast(d[y] * np.exp(x1 - y), x1)
    d[x2] = unbroadcast(d[y] * np.exp(x2 - y), x2)


@tangent(np.logaddexp)
def _(y, x1, x2):
    d[y] = d[x1] * np.exp(x1 - y) + d[x2] * np.exp(x2 - y)


@adjoint(np.logaddexp2)
def _(y, x1, x2):
    d[x1] = unbroadcast(d[y] * np.exp2(x1 - y), x1)
    d[x2] = unbroadcast(d[y] * np.exp2(x2 - y), x2)


@tangent(np.logaddexp2)
def _(y, x1, x2):
    d[y] = d[x1] * np.exp2(x1 - y) + d[x2] * np.exp2(x2 - y)


# --------------------------------------------------------- powers and roots


@adjoint(np.square)
def _(y, x):
    d[x] = d[y] * 2.0 * x


@tangent(np.square)
def _(y, x):
    d[y] = d[x] * 2.0 * x


@adjoint(np.sqrt)
def _(y, x):
    d[x] = d[y] / (2.0 * y)


@tangent(np.sqrt)
def _(y, x):
    d[y] = d[x] / (2.0 * y)


@adjoint(np.cbrt)
def _(y, x):
    d[x] = d[y] / (3.0 * y * y)


@tangent(np.cbrt)
def _(y, x):
    d[y] = d[x] / (3.0 * y * y)


@adjoint(np.reciprocal)
def _(y, x):
    d[x] = -d[y] * y * y


@tangent(np.reciprocal)
def _(y, x):
    d[y] = -d[x] * y * y


# ---------------------------------------------------------------- trigonometry


@adjoint(np.sin)
def _(y, x):
    d[x] = d[y] * np.cos(x)


@tangent(np.sin)
def _(y, x):
    d[y] = d[x] * np.cos(x)


@adjoint(np.cos)
def _(y, x):
    d[x] = -d[y] * np.sin(x)


@tangent(np.cos)
def _(y, x):
    d[y] = -d[x] * np.sin(x)


@adjoint(np.tan)
def _(y, x):
    d[x] = d[y] * (1.0 + y * y)


@tangent(np.tan)
def _(y, x):
    d[y] = d[x] * (1.0 + y * y)


@adjoint(np.arcsin)
def _(y, x):
    d[x] = d[y] / np.sqrt(1.0 - x * x)


@tangent(np.arcsin)
def _(y, x):
    d[y] = d[x] / np.sqrt(1.0 - x * x)


@adjoint(np.arccos)
def _(y, x):
    d[x] = -d[y] / np.sqrt(1.0 - x * x)


@tangent(np.arccos)
def _(y, x):
    d[y] = -d[x] / np.sqrt(1.0 - x * x)


@adjoint(np.arctan)
def _(y, x):
    d[x] = d[y] / (1.0 + x * x)


@tangent(np.arctan)
def _(y, x):
    d[y] = d[x] / (1.0 + x * x)


@adjoint(np.arctan2)
def _(y, x1, x2):
    d[x1] = unbroadcast(d[y] * x2 / (x1 * x1 + x2 * x2), x1)
    d[x2] = unbroadcast(-d[y] * x1 / (x1 * x1 + x2 * x2), x2)


@tangent(np.arctan2)
def _(y, x1, x2):
    d[y] = d[x1] * x2 / (x1 * x1 + x2 * x2) - d[x2] * x1 / (x1 * x1 + x2 * x2)


@adjoint(np.hypot)
def _(y, x1, x2):
    d[x1] = unbroadcast(d[y] * x1 / y, x1)
    d[x2] = unbroadcast(d[y] * x2 / y, x2)


@tangent(np.hypot)
def _(y, x1, x2):
    d[y] = d[x1] * x1 / y + d[x2] * x2 / y


# ------------------------------------------------------------------ hyperbolic


@adjoint(np.sinh)
def _(y, x):
    d[x] = d[y] * np.cosh(x)


@tangent(np.sinh)
def _(y, x):
    d[y] = d[x] * np.cosh(x)


@adjoint(np.cosh)
def _(y, x):
    d[x] = d[y] * np.sinh(x)


@tangent(np.cosh)
def _(y, x):
    d[y] = d[x] * np.sinh(x)


@adjoint(np.tanh)
def _(y, x):
    d[x] = d[y] * (1.0 - y * y)


@tangent(np.tanh)
def _(y, x):
    d[y] = d[x] * (1.0 - y * y)


@adjoint(np.arcsinh)
def _(y, x):
    d[x] = d[y] / np.sqrt(x * x + 1.0)


@tangent(np.arcsinh)
def _(y, x):
    d[y] = d[x] / np.sqrt(x * x + 1.0)


@adjoint(np.arccosh)
def _(y, x):
    d[x] = d[y] / np.sqrt(x * x - 1.0)


@tangent(np.arccosh)
def _(y, x):
    d[y] = d[x] / np.sqrt(x * x - 1.0)


@adjoint(np.arctanh)
def _(y, x):
    d[x] = d[y] / (1.0 - x * x)


@tangent(np.arctanh)
def _(y, x):
    d[y] = d[x] / (1.0 - x * x)


# ------------------- piecewise: magnitude and selection (ties: first argument wins)


@adjoint(np.abs, np.absolute, np.fabs)
def _(y, x):
    d[x] = d[y] * np.sign(x)


@tangent(np.abs, np.absolute, np.fabs)
def _(y, x):
    d[y] = d[x] * np.sign(x)


@adjoint(np.maximum)
def _(y, x1, x2):
    d[x1] = unbroadcast(d[y] * (x1 >= x2), x1)
    d[x2] = unbroadcast(d[y] * (x2 > x1), x2)


@tangent(np.maximum)
def _(y, x1, x2):
    d[y] = d[x1] * (x1 >= x2) + d[x2] * (x2 > x1)


@adjoint(np.minimum)
def _(y, x1, x2):
    d[x1] = unbroadcast(d[y] * (x1 <= x2), x1)
    d[x2] = unbroadcast(d[y] * (x2 < x1), x2)


@tangent(np.minimum)
def _(y, x1, x2):
    d[y] = d[x1] * (x1 <= x2) + d[x2] * (x2 < x1)


@adjoint(np.fmax)
def _(y, x1, x2):
    d[x1] = unbroadcast(d[y] * ((x1 >= x2) | np.isnan(x2)), x1)
    d[x2] = unbroadcast(d[y] * ((x2 > x1) | np.isnan(x1)), x2)


@tangent(np.fmax)
def _(y, x1, x2):
    d[y] = d[x1] * ((x1 >= x2) | np.isnan(x2)) + d[x2] * ((x2 > x1) | np.isnan(x1))


@adjoint(np.fmin)
def _(y, x1, x2):
    d[x1] = unbroadcast(d[y] * ((x1 <= x2) | np.isnan(x2)), x1)
    d[x2] = unbroadcast(d[y] * ((x2 < x1) | np.isnan(x1)), x2)


@tangent(np.fmin)
def _(y, x1, x2):
    d[y] = d[x1] * ((x1 <= x2) | np.isnan(x2)) + d[x2] * ((x2 < x1) | np.isnan(x1))


@adjoint(np.clip)
def _(y, a, a_min=None, a_max=None, out=None):
    d[a] = unbroadcast(d[y] * within(a, a_min, a_max), a)
    d[a_min] = unbroadcast(d[y] * at_low_bound(a, a_min, a_max), a_min)
    d[a_max] = unbroadcast(d[y] * at_high_bound(a, a_min, a_max), a_max)


@tangent(np.clip)
def _(y, a, a_min=None, a_max=None, out=None):
    d[y] = d[a] * within(a, a_min, a_max) + d[a_min] * at_low_bound(a, a_min, a_max) \
        + d[a_max] * at_high_bound(a, a_min, a_max)


@adjoint(np.ndarray.clip)
def _(y, a, min=None, max=None, out=None):
    d[a] = unbroadcast(d[y] * within(a, min, max), a)
    d[min] = unbroadcast(d[y] * at_low_bound(a, min, max), min)
    d[max] = unbroadcast(d[y] * at_high_bound(a, min, max), max)


@tangent(np.ndarray.clip)
def _(y, a, min=None, max=None, out=None):
    d[y] = d[a] * within(a, min, max) + d[min] * at_low_bound(a, min, max) + d[max] * at_high_bound(a, min, max)


@adjoint(np.where)
def _(z, condition, x, y):
    d[x] = unbroadcast(np.where(condition, d[z], 0.0), x)
    d[y] = unbroadcast(np.where(condition, 0.0, d[z]), y)


@tangent(np.where)
def _(z, condition, x, y):
    d[z] = np.where(condition, d[x], 0.0) + np.where(condition, 0.0, d[y])


@adjoint(np.fmod)
def _(y, x1, x2):
    d[x1] = unbroadcast(d[y], x1)
    d[x2] = unbroadcast(-d[y] * np.rint((x1 - y) / x2), x2)  # the quotient, truncated


@tangent(np.fmod)
def _(y, x1, x2):
    d[y] = d[x1] - d[x2] * np.rint((x1 - y) / x2)


@adjoint(np.heaviside)
def _(y, x1, x2):
    d[x2] = unbroadcast(d[y] * (x1 == 0), x2)  # x2 is the value at x1 == 0; x1 only picks


@tangent(np.heaviside)
def _(y, x1, x2):
    d[y] = d[x2] * (x1 == 0)


# ---------------------------------------------------------- products of arrays


@adjoint(np.dot, np.ndarray.dot)
def _(y, a, b, out=None):
    d[a] = undot_a(d[y], a, b)
    d[b] = undot_b(d[y], a, b)


@tangent(np.dot, np.ndarray.dot)
def _(y, a, b, out=None):
    d[y] = np.dot(d[a], b) + np.dot(a, d[b])


@adjoint(np.inner)
def _(y, a, b):
    d[a] = uninner_a(d[y], a, b)
    d[b] = uninner_b(d[y], a, b)


@tangent(np.inner)
def _(y, a, b):
    d[y] = np.inner(d[a], b) + np.inner(a, d[b])


@adjoint(np.outer)
def _(y, a, b, out=None):
    d[a] = np.reshape(d[y] @ np.ravel(b), np.shape(a))
    d[b] = np.reshape(np.ravel(a) @ d[y], np.shape(b))


@tangent(np.outer)
def _(y, a, b, out=None):
    d[y] = np.outer(d[a], b) + np.outer(a, d[b])


@adjoint(np.tensordot)
def _(y, a, b, axes=2):
    d[a] = untensordot_a(d[y], a, b, axes)
    d[b] = untensordot_b(d[y], a, b, axes)


@tangent(np.tensordot)
def _(y, a, b, axes=2):
    d[y] = np.tensordot(d[a], b, axes=axes) + np.tensordot(a, d[b], axes=axes)


@adjoint(np.einsum)
def _(y, subscripts, *operands, optimize=False):
    # subscripts is the first array in the sublist form, np.einsum(a, [0, 1], b, [1, 2], [0, 2])
    d[subscripts] = uneinsum_leading(d[y], subscripts, operands)
    d[operands] = uneinsum(d[y], subscripts, operands)


@tangent(np.einsum)
def _(y, subscripts, *operands, optimize=False):
    d[y] = einsum_tangent_leading(subscripts, operands, d[subscripts], optimize) + \
        einsum_tangent(subscripts, operands, d[operands], optimize)


# ------------------------------------------------------------------ reductions


@adjoint(np.sum, np.ndarray.sum)
def _(y, a, axis=None, dtype=None, out=None, keepdims=False, initial=0, where=True):
    d[a] = unreduce(d[y], a, axis, keepdims) if where is True else unreduce(d[y], a, axis, keepdims) * where
    d[initial] = np.sum(d[y])


@tangent(np.sum, np.ndarray.sum)
def _(y, a, axis=None, dtype=None, out=None, keepdims=False, initial=0, where=True):
    d[y] = (np.sum(d[a], axis=axis, keepdims=keepdims) if where is True else
            np.sum(d[a], axis=axis, keepdims=keepdims, where=where)) + d[initial]


@adjoint(np.mean, np.ndarray.mean)
def _(y, a, axis=None, dtype=None, out=None, keepdims=False, where=True):
    d[a] = unreduce(d[y], a, axis, keepdims) / reduction_size(a, axis) if where is True else \
        unreduce(d[y], a, axis, keepdims) * mean_weights(a, axis, where)


@tangent(np.mean, np.ndarray.mean)
def _(y, a, axis=None, dtype=None, out=None, keepdims=False, where=True):
    d[y] = np.mean(d[a], axis=axis, keepdims=keepdims) if where is True else \
        np.mean(d[a], axis=axis, keepdims=keepdims, where=where)


@adjoint(np.prod, np.ndarray.prod)
def _(y, a, axis=None, dtype=None, out=None, keepdims=False):
    d[a] = unreduce(d[y], a, axis, keepdims) * prod_partials(a, axis)


@tangent(np.prod, np.ndarray.prod)
def _(y, a, axis=None, dtype=None, out=None, keepdims=False):
    d[y] = np.sum(d[a] * prod_partials(a, axis), axis=axis, keepdims=keepdims)


@adjoint(np.max, np.amax, np.ndarray.max, np.min, np.amin, np.ndarray.min)
def _(y, a, axis=None, out=None, keepdims=False, initial=None, where=True):
    d[a] = unreduce(d[y], a, axis, keepdims) * extremum_partials(a, y, axis, keepdims, where)
    d[initial] = np.sum(d[y] * initial_won(a, y, axis, keepdims, where))


@tangent(np.max, np.amax, np.ndarray.max, np.min, np.amin, np.ndarray.min)
def _(y, a, axis=None, out=None, keepdims=False, initial=None, where=True):
    d[y] = np.sum(d[a] * extremum_partials(a, y, axis, keepdims, where), axis=axis, keepdims=keepdims) \
        + d[initial] * initial_won(a, y, axis, keepdims, where)


@adjoint(np.var, np.ndarray.var)
def _(y, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    d[a] = unreduce(d[y], a, axis, keepdims) * var_partials(a, axis, ddof)


@tangent(np.var, np.ndarray.var)
def _(y, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    d[y] = np.sum(d[a] * var_partials(a, axis, ddof), axis=axis, keepdims=keepdims)


@adjoint(np.std, np.ndarray.std)
def _(y, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    d[a] = unreduce(d[y], a, axis, keepdims) * std_partials(a, y, axis, keepdims, ddof)


@tangent(np.std, np.ndarray.std)
def _(y, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    d[y] = np.sum(d[a] * std_partials(a, y, axis, keepdims, ddof), axis=axis, keepdims=keepdims)


@adjoint(np.linalg.norm)
def _(y, x, ord=None, axis=None, keepdims=False):
    d[x] = unreduce(d[y], x, axis, keepdims) * norm_partials(x, y, ord, axis, keepdims)


@tangent(np.linalg.norm)
def _(y, x, ord=None, axis=None, keepdims=False):
    d[y] = np.sum(d[x] * norm_partials(x, y, ord, axis, keepdims), axis=axis, keepdims=keepdims)


@adjoint(np.cumsum, np.ndarray.cumsum)
def _(y, a, axis=None, dtype=None, out=None):
    d[a] = uncumsum(d[y], a, axis)


@tangent(np.cumsum, np.ndarray.cumsum)
def _(y, a, axis=None, dtype=None, out=None):
    d[y] = np.cumsum(d[a], axis=axis)


# ---------------------------------------------------------------- reshaping


@adjoint(np.reshape)
def _(y, a, shape=None, order="C", newshape=None, copy=None):
    d[a] = reshape_like(d[y], a, order)


@tangent(np.reshape)
def _(y, a, shape=None, order="C", newshape=None, copy=None):
    d[y] = reshape_like(d[a], y, order)


@adjoint(np.ndarray.reshape)
def _(y, a, *shape, order="C", copy=None):
    d[a] = reshape_like(d[y], a, order)


@tangent(np.ndarray.reshape)
def _(y, a, *shape, order="C", copy=None):
    d[y] = reshape_like(d[a], y, order)


@adjoint(np.ravel, np.ndarray.ravel, np.ndarray.flatten)
def _(y, a, order="C"):
    d[a] = reshape_like(d[y], a, order)


@tangent(np.ravel, np.ndarray.ravel, np.ndarray.flatten)
def _(y, a, order="C"):
    d[y] = reshape_like(d[a], y, order)


@adjoint(np.squeeze, np.ndarray.squeeze)
def _(y, a, axis=None):
    d[a] = reshape_like(d[y], a)


@tangent(np.squeeze, np.ndarray.squeeze)
def _(y, a, axis=None):
    d[y] = reshape_like(d[a], y)


@adjoint(np.expand_dims)
def _(y, a, axis):
    d[a] = reshape_like(d[y], a)


@tangent(np.expand_dims)
def _(y, a, axis):
    d[y] = reshape_like(d[a], y)


@adjoint(np.broadcast_to)
def _(y, array, shape, subok=False):
    d[array] = unbroadcast(d[y], array)


@tangent(np.broadcast_to)
def _(y, array, shape, subok=False):
    d[y] = np.broadcast_to(d[array], shape)


# ------------------------------------------------------------- permuting axes


@adjoint(np.ndarray.T)
def _(y, a):
    d[a] = d[y].T


@tangent(np.ndarray.T)
def _(y, a):
    d[y] = d[a].T


@adjoint(np.transpose)
def _(y, a, axes=None):
    d[a] = untranspose(d[y], axes)


@tangent(np.transpose)
def _(y, a, axes=None):
    d[y] = np.transpose(d[a], axes=axes)


@adjoint(np.ndarray.transpose)
def _(y, a, *axes):
    d[a] = untranspose(d[y], axes)


@tangent(np.ndarray.transpose)
def _(y, a, *axes):
    d[y] = d[a].transpose(*axes)


@adjoint(np.swapaxes, np.ndarray.swapaxes)
def _(y, a, axis1, axis2):
    d[a] = np.swapaxes(d[y], axis1, axis2)


@tangent(np.swapaxes, np.ndarray.swapaxes)
def _(y, a, axis1, axis2):
    d[y] = np.swapaxes(d[a], axis1, axis2)


@adjoint(np.moveaxis)
def _(y, a, source, destination):
    d[a] = np.moveaxis(d[y], destination, source)


@tangent(np.moveaxis)
def _(y, a, source, destination):
    d[y] = np.moveaxis(d[a], source, destination)


@adjoint(np.flip)
def _(y, m, axis=None):
    d[m] = np.flip(d[y], axis=axis)


@tangent(np.flip)
def _(y, m, axis=None):
    d[y] = np.flip(d[m], axis=axis)


# ------------------------------------------------------- joining and splitting


@adjoint(type(np.r_).__getitem__)  # np.r_[a, b, 0:3] and np.c_[...]: slices are constant ranges
def _(y, self, *key):
    d[key] = unjoin_index(d[y], self, key)


@tangent(type(np.r_).__getitem__)
def _(y, self, *key):
    d[y] = join_index_tangent(self, key, d[key])



@adjoint(np.concatenate)
def _(y, arrays, axis=0, out=None, dtype=None, casting="same_kind"):
    d[arrays] = unconcatenate(d[y], arrays, axis)


@tangent(np.concatenate)
def _(y, arrays, axis=0, out=None, dtype=None, casting="same_kind"):
    d[y] = np.concatenate(d[arrays], axis=axis)


@adjoint(np.stack)
def _(y, arrays, axis=0, out=None, dtype=None, casting="same_kind"):
    d[arrays] = unstack(d[y], axis)


@tangent(np.stack)
def _(y, arrays, axis=0, out=None, dtype=None, casting="same_kind"):
    d[y] = np.stack(d[arrays], axis=axis)


@adjoint(np.hstack)
def _(y, tup, dtype=None, casting="same_kind"):
    d[tup] = unhstack(d[y], tup)


@tangent(np.hstack)
def _(y, tup, dtype=None, casting="same_kind"):
    d[y] = np.hstack(d[tup])


@adjoint(np.vstack)
def _(y, tup, dtype=None, casting="same_kind"):
    d[tup] = unvstack(d[y], tup)


@tangent(np.vstack)
def _(y, tup, dtype=None, casting="same_kind"):
    d[y] = np.vstack(d[tup])


@adjoint(np.split, np.array_split)
def _(y, ary, indices_or_sections, axis=0):
    d[ary] = unsplit(d[y], y, axis)


@tangent(np.split)
def _(y, ary, indices_or_sections, axis=0):
    d[y] = np.split(d[ary], indices_or_sections, axis=axis)


@tangent(np.array_split)
def _(y, ary, indices_or_sections, axis=0):
    d[y] = np.array_split(d[ary], indices_or_sections, axis=axis)


@adjoint(np.tile)
def _(y, A, reps):
    d[A] = untile(d[y], A, reps)


@tangent(np.tile)
def _(y, A, reps):
    d[y] = np.tile(d[A], reps)


@adjoint(np.repeat, np.ndarray.repeat)
def _(y, a, repeats, axis=None):
    d[a] = unrepeat(d[y], a, repeats, axis)


@tangent(np.repeat, np.ndarray.repeat)
def _(y, a, repeats, axis=None):
    d[y] = np.repeat(d[a], repeats, axis=axis)


# ------------------------------------------------------ picking out elements


@adjoint(np.take, np.ndarray.take)
def _(y, a, indices, axis=None, out=None, mode="raise"):
    d[a] = untake(d[y], a, indices, axis, mode)


@tangent(np.take, np.ndarray.take)
def _(y, a, indices, axis=None, out=None, mode="raise"):
    d[y] = np.take(d[a], indices, axis=axis, mode=mode)


@adjoint(np.sort)
def _(y, a, axis=-1, kind=None, order=None):
    d[a] = unsort(d[y], a, axis)


@tangent(np.sort)
def _(y, a, axis=-1, kind=None, order=None):
    d[y] = sort_along(d[a], a, axis)


@adjoint(np.diag)
def _(y, v, k=0):
    d[v] = undiag(d[y], v, k)


@tangent(np.diag)
def _(y, v, k=0):
    d[y] = np.diag(d[v], k=k)


@adjoint(np.diagonal, np.ndarray.diagonal)
def _(y, a, offset=0, axis1=0, axis2=1):
    d[a] = undiagonal(d[y], a, offset, axis1, axis2)


@tangent(np.diagonal, np.ndarray.diagonal)
def _(y, a, offset=0, axis1=0, axis2=1):
    d[y] = np.diagonal(d[a], offset=offset, axis1=axis1, axis2=axis2)


@adjoint(np.trace, np.ndarray.trace)
def _(y, a, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    d[a] = untrace(d[y], a, offset, axis1, axis2)


@tangent(np.trace, np.ndarray.trace)
def _(y, a, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    d[y] = np.trace(d[a], offset=offset, axis1=axis1, axis2=axis2)


@adjoint(np.triu)
def _(y, m, k=0):
    d[m] = np.triu(d[y], k=k)


@tangent(np.triu)
def _(y, m, k=0):
    d[y] = np.triu(d[m], k=k)


@adjoint(np.tril)
def _(y, m, k=0):
    d[m] = np.tril(d[y], k=k)


@tangent(np.tril)
def _(y, m, k=0):
    d[y] = np.tril(d[m], k=k)


# ----------------------------------------------- new arrays made from values


@adjoint(np.full)
def _(y, shape, fill_value, dtype=None, order="C", *, device=None, like=None):
    d[fill_value] = unbroadcast(d[y], fill_value)


@tangent(np.full)
def _(y, shape, fill_value, dtype=None, order="C", *, device=None, like=None):
    d[y] = np.full_like(y, d[fill_value])


@adjoint(np.full_like)
def _(y, a, fill_value, dtype=None, order="K", subok=True, shape=None, *, device=None):
    d[fill_value] = unbroadcast(d[y], fill_value)  # a gives only the shape


@tangent(np.full_like)
def _(y, a, fill_value, dtype=None, order="K", subok=True, shape=None, *, device=None):
    d[y] = np.full_like(y, d[fill_value])


@adjoint(np.arange)
def _(y, start, stop=None, step=1, dtype=None, *, device=None, like=None):
    d[start] = np.sum(d[y] * arange_start_slope(y, stop))
    d[step] = np.sum(d[y] * np.arange(np.size(y)))  # y[i] = start + i * step


@tangent(np.arange)
def _(y, start, stop=None, step=1, dtype=None, *, device=None, like=None):
    d[y] = d[start] * arange_start_slope(y, stop) + d[step] * np.arange(np.size(y))


@adjoint(np.linspace)
def _(y, start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0, *, device=None):
    fraction = linspace_fractions(y, num, endpoint, axis)  # y = start + fraction * (stop - start)
    d[start] = unbroadcast(np.sum(d[y] * (1.0 - fraction), axis=axis), start)
    d[stop] = unbroadcast(np.sum(d[y] * fraction, axis=axis), stop)


@tangent(np.linspace)
def _(y, start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0, *, device=None):
    fraction = linspace_fractions(y, num, endpoint, axis)
    d[y] = along_samples(d[start], y, axis) * (1.0 - fraction) + along_samples(d[stop], y, axis) * fraction


# --------------------------------------------------------- copying and casting


@adjoint(np.array)
def _(y, object, dtype=None, copy=True, order="K", subok=False, ndmin=0, like=None):
    d[object] = unarray(unless_integer(d[y], dtype), object)


@tangent(np.array)
def _(y, object, dtype=None, copy=True, order="K", subok=False, ndmin=0, like=None):
    d[y] = unless_integer(np.array(d[object], dtype=dtype, ndmin=ndmin), dtype)


@adjoint(np.asarray)
def _(y, a, dtype=None, order=None, device=None, copy=None, like=None):
    d[a] = unarray(unless_integer(d[y], dtype), a)


@tangent(np.asarray)
def _(y, a, dtype=None, order=None, device=None, copy=None, like=None):
    d[y] = unless_integer(np.asarray(d[a], dtype=dtype), dtype)


@adjoint(np.copy, np.ndarray.copy)
def _(y, a, order="K", subok=False):
    d[a] = d[y]


@tangent(np.copy, np.ndarray.copy)
def _(y, a, order="K", subok=False):
    d[y] = np.copy(d[a])  # a copy: writes into y must not reach a's tangent


@adjoint(np.ndarray.astype)
def _(y, a, dtype, order="K", casting="unsafe", subok=True, copy=True):
    d[a] = cast_like(unless_integer(d[y], dtype), a)


@tangent(np.ndarray.astype)
def _(y, a, dtype, order="K", casting="unsafe", subok=True, copy=True):
    d[y] = cast_like(unless_integer(d[a], dtype), y)


# ------------------- random draws with a location and a scale: pathwise derivatives
# A draw is location + scale * (a standard draw), and its derivative holds the standard draw
# fixed (the reparameterisation JAX uses): 1 along the location, the standard draw along the
# scale. The draw itself is the user's call, unchanged, so the numbers are the same for a seed;
# the standard draw is read back from it (standardized). The same rules serve NumPy's global
# generator (np.random.normal), a RandomState and a Generator (rng.normal).
def _draws(name):
    return bound_methods(getattr(np.random.RandomState, name)), bound_methods(getattr(np.random.Generator, name))


@adjoint(*_draws("normal"), *_draws("logistic"), *_draws("laplace"), *_draws("gumbel"))
def _(y, loc=0.0, scale=1.0, size=None):
    d[loc] = unbroadcast(d[y], loc)
    d[scale] = unbroadcast(d[y] * standardized(y, loc, scale), scale)


@tangent(*_draws("normal"), *_draws("logistic"), *_draws("laplace"), *_draws("gumbel"))
def _(y, loc=0.0, scale=1.0, size=None):
    d[y] = d[loc] + d[scale] * standardized(y, loc, scale)


@adjoint(*_draws("uniform"))
def _(y, low=0.0, high=1.0, size=None):
    d[low] = unbroadcast(d[y] * (1.0 - standardized(y, low, high - low)), low)
    d[high] = unbroadcast(d[y] * standardized(y, low, high - low), high)


@tangent(*_draws("uniform"))
def _(y, low=0.0, high=1.0, size=None):
    d[y] = d[low] * (1.0 - standardized(y, low, high - low)) + d[high] * standardized(y, low, high - low)


@adjoint(*_draws("exponential"), *_draws("rayleigh"))
def _(y, scale=1.0, size=None):
    d[scale] = unbroadcast(d[y] * standardized(y, 0.0, scale), scale)


@tangent(*_draws("exponential"), *_draws("rayleigh"))
def _(y, scale=1.0, size=None):
    d[y] = d[scale] * standardized(y, 0.0, scale)


@adjoint(*_draws("lognormal"))
def _(y, mean=0.0, sigma=1.0, size=None):
    d[mean] = unbroadcast(d[y] * y, mean)
    d[sigma] = unbroadcast(d[y] * y * standardized(np.log(y), mean, sigma), sigma)


@tangent(*_draws("lognormal"))
def _(y, mean=0.0, sigma=1.0, size=None):
    d[y] = y * d[mean] + y * d[sigma] * standardized(np.log(y), mean, sigma)


# --------------------------------------------------------- angles and casts


@adjoint(np.deg2rad, np.radians)
def _(y, x):
    d[x] = d[y] * (math.pi / 180.0)


@tangent(np.deg2rad, np.radians)
def _(y, x):
    d[y] = d[x] * (math.pi / 180.0)


@adjoint(np.rad2deg, np.degrees)
def _(y, x):
    d[x] = d[y] * (180.0 / math.pi)


@tangent(np.rad2deg, np.degrees)
def _(y, x):
    d[y] = d[x] * (180.0 / math.pi)


@adjoint(np.real, np.conj, np.ndarray.conj)
def _(y, val):
    d[val] = real_only(d[y], val)


@tangent(np.real, np.conj, np.ndarray.conj)
def _(y, val):
    d[y] = real_only(d[val], val)


@adjoint(np.imag)
def _(y, val):
    d[val] = 0.0 * real_only(d[y], val)  # the imaginary part of a real array is 0, whatever the array


@tangent(np.imag)
def _(y, val):
    d[y] = 0.0 * real_only(d[val], val)


@adjoint(np.float64, np.float32)
def _(y, x):
    d[x] = cast_like(d[y], x)


@tangent(np.float64, np.float32)
def _(y, x):
    d[y] = cast_like(d[x], y)


@adjoint(np.float_power)
def _(y, x1, x2):
    d[x1] = unbroadcast(d[y] * x2 * np.float_power(x1, exponent_minus_one(x2)), x1)
    d[x2] = unbroadcast(d[y] * xlogy(y, x1), x2)


@tangent(np.float_power)
def _(y, x1, x2):
    d[y] = d[x1] * x2 * np.float_power(x1, exponent_minus_one(x2)) + d[x2] * xlogy(y, x1)


@adjoint(np.nan_to_num)
def _(y, x, copy=True, nan=0.0, posinf=None, neginf=None):
    d[x] = d[y] * np.isfinite(x)
    d[nan] = unbroadcast(d[y] * np.isnan(x), nan)
    d[posinf] = unbroadcast(d[y] * np.isposinf(x), posinf)
    d[neginf] = unbroadcast(d[y] * np.isneginf(x), neginf)


@tangent(np.nan_to_num)
def _(y, x, copy=True, nan=0.0, posinf=None, neginf=None):
    d[y] = d[x] * np.isfinite(x) + d[nan] * np.isnan(x) + d[posinf] * np.isposinf(x) + d[neginf] * np.isneginf(x)


# ------------------------------------------------------ shifting, padding, differences


@adjoint(np.roll)
def _(y, a, shift, axis=None):
    d[a] = np.roll(d[y], negated(shift), axis=axis)


@tangent(np.roll)
def _(y, a, shift, axis=None):
    d[y] = np.roll(d[a], shift, axis=axis)


@adjoint(np.diff)
def _(y, a, n=1, axis=-1, prepend=None, append=None):
    d[a] = undiff(d[y], a, n, axis) if prepend is None and append is None else not_differentiated(
        "np.diff with prepend= or append=: join them to the array with np.concatenate first")


@tangent(np.diff)
def _(y, a, n=1, axis=-1, prepend=None, append=None):
    d[y] = np.diff(d[a], n=n, axis=axis) if prepend is None and append is None else not_differentiated(
        "np.diff with prepend= or append=: join them to the array with np.concatenate first")


@adjoint(np.pad)
def _(y, array, pad_width, mode="constant", constant_values=0):
    d[array] = unpad(d[y], array, pad_width, mode)
    d[constant_values] = not_differentiated("np.pad in constant_values")


@tangent(np.pad)
def _(y, array, pad_width, mode="constant", constant_values=0):
    d[y] = pad_like(d[array], array, pad_width, mode) + not_differentiated("np.pad in constant_values") \
        * d[constant_values]


@adjoint(np.cumprod, np.ndarray.cumprod)
def _(y, a, axis=None, dtype=None, out=None):
    d[a] = uncumsum(d[y] * y, a, axis) / a  # for entries other than 0


@tangent(np.cumprod, np.ndarray.cumprod)
def _(y, a, axis=None, dtype=None, out=None):
    d[y] = y * np.cumsum(d[a] / a, axis=axis)


@adjoint(np.convolve)
def _(y, a, v, mode="full"):
    d[a] = reshape_like(np.convolve(full_from_mode(d[y], a, v, mode), np.flip(np.ravel(v)), mode="valid"), a)
    d[v] = reshape_like(np.convolve(full_from_mode(d[y], a, v, mode), np.flip(np.ravel(a)), mode="valid"), v)


@tangent(np.convolve)
def _(y, a, v, mode="full"):
    d[y] = np.convolve(d[a], v, mode=mode) + np.convolve(a, d[v], mode=mode)


# --------------------------------------------- more permutations, joins and splits


@adjoint(np.flipud)
def _(y, m):
    d[m] = np.flipud(d[y])


@tangent(np.flipud)
def _(y, m):
    d[y] = np.flipud(d[m])


@adjoint(np.fliplr)
def _(y, m):
    d[m] = np.fliplr(d[y])


@tangent(np.fliplr)
def _(y, m):
    d[y] = np.fliplr(d[m])


@adjoint(np.rot90)
def _(y, m, k=1, axes=(0, 1)):
    d[m] = np.rot90(d[y], -k, axes=axes)


@tangent(np.rot90)
def _(y, m, k=1, axes=(0, 1)):
    d[y] = np.rot90(d[m], k, axes=axes)


@adjoint(np.rollaxis)
def _(y, a, axis, start=0):
    d[a] = untranspose(d[y], rolled_axes(np.ndim(a), axis, start))


@tangent(np.rollaxis)
def _(y, a, axis, start=0):
    d[y] = np.rollaxis(d[a], axis, start)


@adjoint(np.atleast_1d, np.atleast_2d, np.atleast_3d)
def _(y, *arys):
    d[arys] = unatleast(d[y], arys)


@tangent(np.atleast_1d)
def _(y, *arys):
    d[y] = atleast_like(d[arys], y)


@tangent(np.atleast_2d)
def _(y, *arys):
    d[y] = atleast_like(d[arys], y)


@tangent(np.atleast_3d)
def _(y, *arys):
    d[y] = atleast_like(d[arys], y)


@adjoint(np.append)
def _(y, arr, values, axis=None):
    d[arr] = unappend(d[y], arr, values, axis)[0]
    d[values] = unappend(d[y], arr, values, axis)[1]


@tangent(np.append)
def _(y, arr, values, axis=None):
    d[y] = np.append(d[arr], np.zeros_like(values), axis=axis) + np.append(np.zeros_like(arr), d[values], axis=axis)


@adjoint(np.column_stack)
def _(y, tup):
    d[tup] = uncolumn_stack(d[y], tup)


@tangent(np.column_stack)
def _(y, tup):
    d[y] = np.column_stack(d[tup])


@adjoint(np.dstack)
def _(y, tup):
    d[tup] = undstack(d[y], tup)


@tangent(np.dstack)
def _(y, tup):
    d[y] = np.dstack(d[tup])


@adjoint(np.hsplit)
def _(y, ary, indices_or_sections):
    d[ary] = unsplit(d[y], y, 1 if np.ndim(ary) > 1 else 0)


@tangent(np.hsplit)
def _(y, ary, indices_or_sections):
    d[y] = np.hsplit(d[ary], indices_or_sections)


@adjoint(np.vsplit)
def _(y, ary, indices_or_sections):
    d[ary] = unsplit(d[y], y, 0)


@tangent(np.vsplit)
def _(y, ary, indices_or_sections):
    d[y] = np.vsplit(d[ary], indices_or_sections)


@adjoint(np.dsplit)
def _(y, ary, indices_or_sections):
    d[ary] = unsplit(d[y], y, 2)


@tangent(np.dsplit)
def _(y, ary, indices_or_sections):
    d[y] = np.dsplit(d[ary], indices_or_sections)


@adjoint(np.kron)
def _(y, a, b):
    d[a] = unkron_a(d[y], a, b)
    d[b] = unkron_b(d[y], a, b)


@tangent(np.kron)
def _(y, a, b):
    d[y] = np.kron(d[a], b) + np.kron(a, d[b])


@adjoint(np.cross)
def _(y, a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    d[a] = unbroadcast(np.cross(b, d[y], axisa=axisb, axisb=axisc, axisc=axisa, axis=axis), a)
    d[b] = unbroadcast(np.cross(d[y], a, axisa=axisc, axisb=axisa, axisc=axisb, axis=axis), b)


@tangent(np.cross)
def _(y, a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    d[y] = np.cross(d[a], b, axisa=axisa, axisb=axisb, axisc=axisc, axis=axis) \
        + np.cross(a, d[b], axisa=axisa, axisb=axisb, axisc=axisc, axis=axis)


# ------------------------------------------------------------- picking by position


@adjoint(np.take_along_axis)
def _(y, arr, indices, axis=-1):
    d[arr] = untake_along_axis(d[y], arr, indices, axis)


@tangent(np.take_along_axis)
def _(y, arr, indices, axis=-1):
    d[y] = np.take_along_axis(d[arr], indices, axis=axis)


@adjoint(np.partition)
def _(y, a, kth, axis=-1, kind="introselect", order=None):
    d[a] = untake_along_axis(d[y], a, partition_order(a, y, axis), axis)


@tangent(np.partition)
def _(y, a, kth, axis=-1, kind="introselect", order=None):
    d[y] = np.take_along_axis(d[a], partition_order(a, y, axis), axis=axis)


@adjoint(np.median)
def _(y, a, axis=None, out=None, overwrite_input=False, keepdims=False):
    d[a] = unreduce(d[y], a, axis, keepdims) * median_partials(a, axis)


@tangent(np.median)
def _(y, a, axis=None, out=None, overwrite_input=False, keepdims=False):
    d[y] = np.sum(d[a] * median_partials(a, axis), axis=axis, keepdims=keepdims)


# ------------------------ runtime helpers: derivatives of generated derivatives
# Generated derivative code calls these helpers; their rules let srcad
# differentiate that code again (Hessians, derivatives of gradients). Most are
# linear in the derivative they carry, so each one's adjoint is its forward op.


@adjoint(unjoin_index)
def _(r, g, indexer, key):
    d[g] = join_index_tangent(indexer, key, d[r])


@tangent(unjoin_index)
def _(r, g, indexer, key):
    d[r] = unjoin_index(d[g], indexer, key)


@adjoint(join_index_tangent)
def _(r, indexer, key, tangents):
    d[tangents] = unjoin_index(d[r], indexer, key)


@tangent(join_index_tangent)
def _(r, indexer, key, tangents):
    d[r] = join_index_tangent(indexer, key, d[tangents])


# uneinsum is linear in g and in each array: the adjoint along g is einsum with one array
# replaced by its cotangent, and along an array the adjoint with another array so replaced (the
# sums uneinsum_tangent makes)
@adjoint(uneinsum)
def _(r, g, subscripts, operands):
    d[g] = einsum_tangent(subscripts, operands, d[r])
    d[subscripts] = uneinsum_leading_tangent(g, subscripts, operands, d[r])
    d[operands] = uneinsum_tangent(g, subscripts, operands, None, d[r])


@adjoint(uneinsum_leading)
def _(r, g, subscripts, operands):
    d[g] = einsum_tangent_leading(subscripts, operands, d[r])
    d[operands] = uneinsum_tangent(g, subscripts, operands, d[r], None)


@tangent(uneinsum)
def _(r, g, subscripts, operands):
    d[r] = uneinsum(d[g], subscripts, operands) + uneinsum_tangent(g, subscripts, operands, None, d[operands]) \
        + uneinsum_tangent(g, subscripts, operands, d[subscripts], None)


@tangent(uneinsum_leading)
def _(r, g, subscripts, operands):
    d[r] = uneinsum_leading(d[g], subscripts, operands) + uneinsum_leading_tangent(g, subscripts, operands, d[operands])


@adjoint(unless_integer)
def _(r, g, dtype=None):
    d[g] = unless_integer(d[r], dtype)


@tangent(unless_integer)
def _(r, g, dtype=None):
    d[r] = unless_integer(d[g], dtype)


# the partials' Jacobian (the products of all but two elements) is symmetric: it is its own
# transpose
@adjoint(prod_partials)
def _(p, x, axis=None):
    d[x] = prod_partials_tangent(x, d[p], axis)


@tangent(prod_partials)
def _(p, x, axis=None):
    d[p] = prod_partials_tangent(x, d[x], axis)


@adjoint(exponent_minus_one)
def _(y, b):
    d[b] = d[y]


@tangent(exponent_minus_one)
def _(y, b):
    d[y] = d[b]


@adjoint(unbroadcast)
def _(y, g, x):
    d[g] = unbroadcast(d[y], g)


@tangent(unbroadcast)
def _(y, g, x):
    d[y] = unbroadcast(d[g], x)


@adjoint(sum_to_scalar)
def _(y, g):
    d[g] = unbroadcast(d[y], g)


@tangent(sum_to_scalar)
def _(y, g):
    d[y] = sum_to_scalar(d[g])


@adjoint(unreduce)
def _(y, g, x, axis=None, keepdims=False):
    d[g] = np.sum(d[y], axis=axis, keepdims=keepdims)


@tangent(unreduce)
def _(y, g, x, axis=None, keepdims=False):
    d[y] = unreduce(d[g], x, axis, keepdims)


@adjoint(cast_like)
def _(y, g, x):
    d[g] = cast_like(d[y], g)


@tangent(cast_like)
def _(y, g, x):
    d[y] = cast_like(d[g], x)


@adjoint(unindex)
def _(y, g, x, index):
    d[g] = d[y][index]


@tangent(unindex)
def _(y, g, x, index):
    d[y] = unindex(d[g], x, index)


@adjoint(unmatmul_a)
def _(r, g, a, b):
    d[g] = d[r] @ b
    d[b] = unmatmul_b(g, d[r], b)


@tangent(unmatmul_a)
def _(r, g, a, b):
    d[r] = unmatmul_a(d[g], a, b) + unmatmul_a(g, a, d[b])


@adjoint(unmatmul_b)
def _(r, g, a, b):
    d[g] = a @ d[r]
    d[a] = unmatmul_a(g, a, d[r])


@tangent(unmatmul_b)
def _(r, g, a, b):
    d[r] = unmatmul_b(d[g], a, b) + unmatmul_b(g, d[a], b)


@adjoint(undot_a)
def _(r, g, a, b):
    d[g] = np.dot(d[r], b)
    d[b] = undot_b(g, d[r], b)


@tangent(undot_a)
def _(r, g, a, b):
    d[r] = undot_a(d[g], a, b) + undot_a(g, a, d[b])


@adjoint(undot_b)
def _(r, g, a, b):
    d[g] = np.dot(a, d[r])
    d[a] = undot_a(g, a, d[r])


@tangent(undot_b)
def _(r, g, a, b):
    d[r] = undot_b(d[g], a, b) + undot_b(g, d[a], b)


@adjoint(uninner_a)
def _(r, g, a, b):
    d[g] = np.inner(d[r], b)
    d[b] = uninner_b(g, d[r], b)


@tangent(uninner_a)
def _(r, g, a, b):
    d[r] = uninner_a(d[g], a, b) + uninner_a(g, a, d[b])


@adjoint(uninner_b)
def _(r, g, a, b):
    d[g] = np.inner(a, d[r])
    d[a] = uninner_a(g, a, d[r])


@tangent(uninner_b)
def _(r, g, a, b):
    d[r] = uninner_b(d[g], a, b) + uninner_b(g, d[a], b)


@adjoint(untensordot_a)
def _(r, g, a, b, axes=2):
    d[g] = np.tensordot(d[r], b, axes=axes)
    d[b] = untensordot_b(g, d[r], b, axes)


@tangent(untensordot_a)
def _(r, g, a, b, axes=2):
    d[r] = untensordot_a(d[g], a, b, axes) + untensordot_a(g, a, d[b], axes)


@adjoint(untensordot_b)
def _(r, g, a, b, axes=2):
    d[g] = np.tensordot(a, d[r], axes=axes)
    d[a] = untensordot_a(g, a, d[r], axes)


@tangent(untensordot_b)
def _(r, g, a, b, axes=2):
    d[r] = untensordot_b(d[g], a, b, axes) + untensordot_b(g, d[a], b, axes)


@adjoint(xlogy)
def _(z, x, y):
    d[x] = unbroadcast(d[z] * np.log(y), x)
    d[y] = unbroadcast(d[z] * x / y, y)


@tangent(xlogy)
def _(z, x, y):
    d[z] = d[x] * np.log(y) + d[y] * x / y


@adjoint(var_partials)
def _(p, x, axis=None, ddof=0):
    d[x] = var_partials(d[p], axis, ddof)


@tangent(var_partials)
def _(p, x, axis=None, ddof=0):
    d[p] = var_partials(d[x], axis, ddof)


@adjoint(standardized)
def _(z, y, location, scale):
    d[y] = unbroadcast(d[z] / scale, y)
    d[location] = unbroadcast(-d[z] / scale, location)
    d[scale] = unbroadcast(-d[z] * z / scale, scale)


@tangent(standardized)
def _(z, y, location, scale):
    d[z] = d[y] / scale - d[location] / scale - d[scale] * z / scale


@adjoint(quotient_or_zero)
def _(q, a, b):
    d[a] = unbroadcast(quotient_or_zero(d[q], b), a)
    d[b] = unbroadcast(-quotient_or_zero(d[q] * q, b), b)


@tangent(quotient_or_zero)
def _(q, a, b):
    d[q] = quotient_or_zero(d[a], b) - quotient_or_zero(d[b] * q, b)


# where y is 0 (all values equal), the partials are 0 and so are their derivatives
@adjoint(std_partials)
def _(p, x, y, axis=None, keepdims=False, ddof=0):
    d[x] = var_partials(quotient_or_zero(d[p], unreduce(y, x, axis, keepdims)), axis, ddof) / 2.0
    d[y] = -np.sum(quotient_or_zero(d[p] * p, unreduce(y, x, axis, keepdims)), axis=axis, keepdims=keepdims)


@tangent(std_partials)
def _(p, x, y, axis=None, keepdims=False, ddof=0):
    d[p] = quotient_or_zero(var_partials(d[x], axis, ddof) / 2.0, unreduce(y, x, axis, keepdims)) \
        - quotient_or_zero(p * unreduce(d[y], x, axis, keepdims), unreduce(y, x, axis, keepdims))


@adjoint(reshape_like)
def _(y, t, x, order="C"):
    d[t] = reshape_like(d[y], t, order)


@tangent(reshape_like)
def _(y, t, x, order="C"):
    d[y] = reshape_like(d[t], x, order)


@adjoint(uncumsum)
def _(y, g, x, axis=None):
    d[g] = np.cumsum(d[y], axis=axis)


@tangent(uncumsum)
def _(y, g, x, axis=None):
    d[y] = uncumsum(d[g], x, axis)


@adjoint(untranspose)
def _(y, g, axes=None):
    d[g] = transpose_by(d[y], axes)


@tangent(untranspose)
def _(y, g, axes=None):
    d[y] = untranspose(d[g], axes)


@adjoint(transpose_by)
def _(y, x, axes=None):
    d[x] = untranspose(d[y], axes)


@tangent(transpose_by)
def _(y, x, axes=None):
    d[y] = transpose_by(d[x], axes)


@adjoint(untile)
def _(y, g, x, reps):
    d[g] = np.tile(d[y], reps)


@tangent(untile)
def _(y, g, x, reps):
    d[y] = untile(d[g], x, reps)


@adjoint(unrepeat)
def _(y, g, x, repeats, axis=None):
    d[g] = np.repeat(d[y], repeats, axis=axis)


@tangent(unrepeat)
def _(y, g, x, repeats, axis=None):
    d[y] = unrepeat(d[g], x, repeats, axis)


@adjoint(untake)
def _(y, g, x, indices, axis=None, mode="raise"):
    d[g] = np.take(d[y], indices, axis=axis, mode=mode)


@tangent(untake)
def _(y, g, x, indices, axis=None, mode="raise"):
    d[y] = untake(d[g], x, indices, axis, mode)


@adjoint(undiag)
def _(y, g, v, k=0):
    d[g] = np.diag(d[y], k=k)


@tangent(undiag)
def _(y, g, v, k=0):
    d[y] = undiag(d[g], v, k)


@adjoint(undiagonal)
def _(y, g, x, offset=0, axis1=0, axis2=1):
    d[g] = np.diagonal(d[y], offset=offset, axis1=axis1, axis2=axis2)


@tangent(undiagonal)
def _(y, g, x, offset=0, axis1=0, axis2=1):
    d[y] = undiagonal(d[g], x, offset, axis1, axis2)


@adjoint(untrace)
def _(y, g, x, offset=0, axis1=0, axis2=1):
    d[g] = np.trace(d[y], offset=offset, axis1=axis1, axis2=axis2)


@tangent(untrace)
def _(y, g, x, offset=0, axis1=0, axis2=1):
    d[y] = untrace(d[g], x, offset, axis1, axis2)


@adjoint(unsort)
def _(y, g, x, axis=-1):
    d[g] = sort_along(d[y], x, axis)


@tangent(unsort)
def _(y, g, x, axis=-1):
    d[y] = unsort(d[g], x, axis)


@adjoint(sort_along)
def _(y, t, x, axis=-1):
    d[t] = unsort(d[y], x, axis)


@tangent(sort_along)
def _(y, t, x, axis=-1):
    d[y] = sort_along(d[t], x, axis)


@adjoint(unconcatenate)
def _(y, g, arrays, axis=0):
    d[g] = unsplit(d[y], y, axis)


@tangent(unconcatenate)
def _(y, g, arrays, axis=0):
    d[y] = unconcatenate(d[g], arrays, axis)


@adjoint(unsplit)
def _(y, gs, pieces, axis=0):
    d[gs] = unconcatenate(d[y], pieces, axis)


@tangent(unsplit)
def _(y, gs, pieces, axis=0):
    d[y] = unsplit(d[gs], pieces, axis)


@adjoint(unstack)
def _(y, g, axis=0):
    d[g] = np.stack(d[y], axis=axis)


@tangent(unstack)
def _(y, g, axis=0):
    d[y] = unstack(d[g], axis)


@adjoint(unhstack)
def _(y, g, tup):
    d[g] = np.hstack(d[y])


@tangent(unhstack)
def _(y, g, tup):
    d[y] = unhstack(d[g], tup)


@adjoint(unvstack)
def _(y, g, tup):
    d[g] = np.vstack(d[y])


@tangent(unvstack)
def _(y, g, tup):
    d[y] = unvstack(d[g], tup)


@adjoint(unarray)
def _(y, g, obj):
    d[g] = reshape_like(np.array(d[y]), g)


@tangent(unarray)
def _(y, g, obj):
    d[y] = unarray(d[g], obj)


@adjoint(unpick)
def _(r, g, y, args):
    d[g] = pick(d[r], y, args)


@tangent(unpick)
def _(r, g, y, args):
    d[r] = unpick(d[g], y, args)


@adjoint(pick)
def _(r, tangents, y, args):
    d[tangents] = unpick(d[r], y, args)


@tangent(pick)
def _(r, tangents, y, args):
    d[r] = pick(d[tangents], y, args)


@adjoint(real_only)
def _(r, g, val):
    d[g] = real_only(d[r], val)


@tangent(real_only)
def _(r, g, val):
    d[r] = real_only(d[g], val)


@adjoint(undiff)
def _(r, g, x, n=1, axis=-1):
    d[g] = np.diff(d[r], n=n, axis=axis)


@tangent(undiff)
def _(r, g, x, n=1, axis=-1):
    d[r] = undiff(d[g], x, n, axis)


@adjoint(unpad)
def _(r, g, array, pad_width, mode="constant"):
    d[g] = pad_like(d[r], array, pad_width, mode)


@tangent(unpad)
def _(r, g, array, pad_width, mode="constant"):
    d[r] = unpad(d[g], array, pad_width, mode)


@adjoint(pad_like)
def _(r, t, array, pad_width, mode="constant"):
    d[t] = unpad(d[r], array, pad_width, mode)


@tangent(pad_like)
def _(r, t, array, pad_width, mode="constant"):
    d[r] = pad_like(d[t], array, pad_width, mode)


@adjoint(full_from_mode)
def _(r, g, a, v, mode="full"):
    d[g] = mode_from_full(d[r], a, v, mode)


@tangent(full_from_mode)
def _(r, g, a, v, mode="full"):
    d[r] = full_from_mode(d[g], a, v, mode)


@adjoint(mode_from_full)
def _(r, f, a, v, mode="full"):
    d[f] = full_from_mode(d[r], a, v, mode)


@tangent(mode_from_full)
def _(r, f, a, v, mode="full"):
    d[r] = mode_from_full(d[f], a, v, mode)


@adjoint(unatleast)
def _(r, g, arys):
    d[g] = atleast_like(d[r], g)


@tangent(unatleast)
def _(r, g, arys):
    d[r] = unatleast(d[g], arys)


@adjoint(atleast_like)
def _(r, ts, y):
    d[ts] = unatleast(d[r], ts)


@tangent(atleast_like)
def _(r, ts, y):
    d[r] = atleast_like(d[ts], y)


@adjoint(unappend)
def _(r, g, arr, values, axis=None):
    d[g] = np.append(d[r][0], d[r][1], axis=axis)


@tangent(unappend)
def _(r, g, arr, values, axis=None):
    d[r] = unappend(d[g], arr, values, axis)


@adjoint(uncolumn_stack)
def _(r, g, tup):
    d[g] = np.column_stack(d[r])


@tangent(uncolumn_stack)
def _(r, g, tup):
    d[r] = uncolumn_stack(d[g], tup)


@adjoint(undstack)
def _(r, g, tup):
    d[g] = np.dstack(d[r])


@tangent(undstack)
def _(r, g, tup):
    d[r] = undstack(d[g], tup)


@adjoint(untake_along_axis)
def _(r, g, arr, indices, axis):
    d[g] = np.take_along_axis(d[r], indices, axis=axis)


@tangent(untake_along_axis)
def _(r, g, arr, indices, axis):
    d[r] = untake_along_axis(d[g], arr, indices, axis)


@adjoint(unkron_a)
def _(r, g, a, b):
    d[g] = np.kron(d[r], b)
    d[b] = unkron_b(g, d[r], b)


@tangent(unkron_a)
def _(r, g, a, b):
    d[r] = unkron_a(d[g], a, b) + unkron_a(g, a, d[b])


@adjoint(unkron_b)
def _(r, g, a, b):
    d[g] = np.kron(a, d[r])
    d[a] = unkron_a(g, a, d[r])


@tangent(unkron_b)
def _(r, g, a, b):
    d[r] = unkron_b(d[g], a, b) + unkron_b(g, d[a], b)


# ---------------------------------------------------------- select, interp, sinc


@adjoint(np.select)
def _(y, condlist, choicelist, default=0):
    d[choicelist] = unselect(d[y], condlist, choicelist)
    d[default] = unselect_default(d[y], condlist, default)


@tangent(np.select)
def _(y, condlist, choicelist, default=0):
    d[y] = np.select(condlist, d[choicelist]) + d[default] * (selected_choice(condlist, np.shape(y)) == len(condlist))


@adjoint(np.interp)
def _(y, x, xp, fp, left=None, right=None, period=None):
    d[x] = d[y] * interp_slope(x, xp, fp, left, right, period)
    d[xp] = not_differentiated("np.interp in xp (the knots)")
    d[fp] = uninterp(d[y], x, xp, fp, left, right, period)
    d[left] = np.sum(d[y] * beyond_knots(x, xp, "left"))
    d[right] = np.sum(d[y] * beyond_knots(x, xp, "right"))


@tangent(np.interp)
def _(y, x, xp, fp, left=None, right=None, period=None):
    d[y] = d[x] * interp_slope(x, xp, fp, left, right, period) + not_differentiated("np.interp in xp (the knots)") \
        * d[xp] + interp_in_fp(d[fp], x, xp, left, right, period) + d[left] * beyond_knots(x, xp, "left") \
        + d[right] * beyond_knots(x, xp, "right")


@adjoint(np.sinc)
def _(y, x):
    # (cos(pi x) - sinc(x)) / x, and at 0 its series -(pi^2 / 3) x: 0 there, with the right slope
    d[x] = d[y] * np.where(x == 0, -(np.pi ** 2 / 3.0) * x, (np.cos(np.pi * x) - y) / np.where(x == 0, 1.0, x))


@tangent(np.sinc)
def _(y, x):
    d[y] = d[x] * np.where(x == 0, -(np.pi ** 2 / 3.0) * x, (np.cos(np.pi * x) - y) / np.where(x == 0, 1.0, x))
