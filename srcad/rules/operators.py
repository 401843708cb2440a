"""Python's arithmetic operators, and the NumPy ufuncs they dispatch to.

Each op's reverse rule (adjoint) and forward rule (tangent) sit side by side.
``%`` has slope 1 in ``a`` and ``-(a // b)`` in ``b``
between its jumps. Binary rules broadcast: ``unbroadcast`` sums a derivative back to its
argument's shape (generated code keeps it only where shapes may differ).
"""
import operator

import numpy as np

from ..runtime.numeric import exponent_minus_one, power, unbroadcast, unindex, unmatmul_a, unmatmul_b, xlogy
from .registry import adjoint, d, tangent

# ------------------------------------------------------- sums and differences


@adjoint(operator.add, np.add)
def _(y, a, b):
    d[a] = unbroadcast(d[y], a)
    d[b] = unbroadcast(d[y], b)


@tangent(operator.add, np.add)
def _(y, a, b):
    d[y] = d[a] + d[b]


@adjoint(operator.sub, np.subtract)
def _(y, a, b):
    d[a] = unbroadcast(d[y], a)
    d[b] = unbroadcast(-d[y], b)


@tangent(operator.sub, np.subtract)
def _(y, a, b):
    d[y] = d[a] - d[b]


@adjoint(operator.neg, np.negative)
def _(y, a):
    d[a] = -d[y]


@tangent(operator.neg, np.negative)
def _(y, a):
    d[y] = -d[a]


@adjoint(operator.pos, np.positive)
def _(y, a):
    d[a] = d[y]


@tangent(operator.pos, np.positive)
def _(y, a):
    d[y] = d[a]


# ------------------------------------------------------ products and quotients


@adjoint(operator.mul, np.multiply)
def _(y, a, b):
    d[a] = unbroadcast(d[y] * b, a)
    d[b] = unbroadcast(d[y] * a, b)


@tangent(operator.mul, np.multiply)
def _(y, a, b):
    d[y] = d[a] * b + a * d[b]


@adjoint(operator.truediv, np.divide, np.true_divide)
def _(y, a, b):
    d[a] = unbroadcast(d[y] / b, a)
    d[b] = unbroadcast(-d[y] * y / b, b)


@tangent(operator.truediv, np.divide, np.true_divide)
def _(y, a, b):
    d[y] = d[a] / b - d[b] * y / b


@adjoint(operator.pow, np.power, power)
def _(y, a, b):
    d[a] = unbroadcast(d[y] * b * power(a, exponent_minus_one(b)), a)
    d[b] = unbroadcast(d[y] * xlogy(y, a), b)


@tangent(operator.pow, np.power, power)
def _(y, a, b):
    d[y] = d[a] * b * power(a, exponent_minus_one(b)) + d[b] * xlogy(y, a)


# ------------------------------------------- remainders: a % b is a - (a // b) * b


@adjoint(operator.mod, np.mod, np.remainder)
def _(y, a, b):
    d[a] = unbroadcast(d[y], a)
    d[b] = unbroadcast(-d[y] * (a // b), b)


@tangent(operator.mod, np.mod, np.remainder)
def _(y, a, b):
    d[y] = d[a] - d[b] * (a // b)


# ------------------------------------------------ matrix product (1-D, 2-D, batched)


@adjoint(operator.matmul, np.matmul)
def _(y, a, b):
    d[a] = unmatmul_a(d[y], a, b)
    d[b] = unmatmul_b(d[y], a, b)


@tangent(operator.matmul, np.matmul)
def _(y, a, b):
    d[y] = d[a] @ b + a @ d[b]


# ---------------------------------------------------------- subscript read: a[b]


@adjoint(operator.getitem)
def _(y, a, b):
    d[a] = unindex(d[y], a, b)


@tangent(operator.getitem)
def _(y, a, b):
    d[y] = d[a][b]
