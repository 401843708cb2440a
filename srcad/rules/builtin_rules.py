"""Python builtins that compute with numbers.

Each op's reverse rule (adjoint) and forward rule (tangent) sit side by side.
``max`` and ``min`` take either several values or one iterable; the derivative
goes to the value they return (the first of equal values, as Python picks).
"""
import numpy as np

from ..runtime.numeric import cast_like, exponent_minus_one, pick, power, sorted_tangent, unbroadcast, \
    unpick, unsorted_items, unsum, xlogy
from .registry import adjoint, d, tangent

# ------------------------------------------------------------------ arithmetic


@adjoint(abs)
def _(y, x):
    d[x] = d[y] * np.sign(x)


@tangent(abs)
def _(y, x):
    d[y] = d[x] * np.sign(x)


@adjoint(pow)
def _(y, base, exp, mod=None):
    d[base] = unbroadcast(d[y] * exp * power(base, exponent_minus_one(exp)), base)
    d[exp] = unbroadcast(d[y] * xlogy(y, base), exp)


@tangent(pow)
def _(y, base, exp, mod=None):
    d[y] = d[base] * exp * power(base, exponent_minus_one(exp)) + d[exp] * xlogy(y, base)


@adjoint(sum)
def _(y, iterable, start=0):
    d[iterable] = unsum(d[y], iterable)
    d[start] = unbroadcast(d[y], start)


@tangent(sum)
def _(y, iterable, start=0):
    d[y] = sum(d[iterable]) + d[start]


# ------------------------------------------------------------------- selection


@adjoint(max, min)
def _(y, *args):
    d[args] = unpick(d[y], y, args)


@tangent(max, min)
def _(y, *args):
    d[y] = pick(d[args], y, args)


@adjoint(sorted)
def _(y, iterable, key=None, reverse=False):
    d[iterable] = unsorted_items(d[y], iterable, key, reverse)


@tangent(sorted)
def _(y, iterable, key=None, reverse=False):
    d[y] = sorted_tangent(d[iterable], iterable, key, reverse)


# --------------------------------------------------------------------- casting


@adjoint(float)
def _(y, x=0):
    d[x] = cast_like(d[y], x)


@tangent(float)
def _(y, x=0):
    d[y] = float(d[x])
