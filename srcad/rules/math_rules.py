"""Functions of Python's ``math`` module (Python floats in, Python floats out).

Each op's reverse rule (adjoint) and forward rule (tangent) sit side by side.
Where a function is defined but its derivative is infinite (``sqrt`` at 0,
``asin`` at 1, ``pow(0, 0.5)``), the rule divides by a NumPy number, which gives
inf as ``np.sqrt``'s rule does (and as JAX does), where a Python float would
raise ZeroDivisionError.
"""
import math

import numpy as np

from ..runtime.numeric import exponent_minus_one, power, quotient_or_zero, xlogy
from .registry import adjoint, d, tangent

# ------------------------------------------------ exponentials and logarithms


@adjoint(math.exp)
def _(y, x):
    d[x] = d[y] * y


@tangent(math.exp)
def _(y, x):
    d[y] = d[x] * y


@adjoint(math.expm1)
def _(y, x):
    d[x] = d[y] * (y + 1.0)


@tangent(math.expm1)
def _(y, x):
    d[y] = d[x] * (y + 1.0)


@adjoint(math.log)
def _(y, x, base=math.e):
    d[x] = d[y] / (x * math.log(base))
    d[base] = -d[y] * y / (base * math.log(base))


@tangent(math.log)
def _(y, x, base=math.e):
    d[y] = d[x] / (x * math.log(base)) - d[base] * y / (base * math.log(base))


@adjoint(math.log2)
def _(y, x):
    d[x] = d[y] / (x * math.log(2.0))


@tangent(math.log2)
def _(y, x):
    d[y] = d[x] / (x * math.log(2.0))


@adjoint(math.log10)
def _(y, x):
    d[x] = d[y] / (x * math.log(10.0))


@tangent(math.log10)
def _(y, x):
    d[y] = d[x] / (x * math.log(10.0))


@adjoint(math.log1p)
def _(y, x):
    d[x] = d[y] / (1.0 + x)


@tangent(math.log1p)
def _(y, x):
    d[y] = d[x] / (1.0 + x)


# ---------------------------------------------------------- powers and roots


@adjoint(math.pow)
def _(z, x, y):
    d[x] = d[z] * y * power(x, exponent_minus_one(y))
    d[y] = d[z] * xlogy(z, x)


@tangent(math.pow)
def _(z, x, y):
    d[z] = d[x] * y * power(x, exponent_minus_one(y)) + d[y] * xlogy(z, x)


@adjoint(math.sqrt)
def _(y, x):
    d[x] = d[y] / np.multiply(2.0, y)


@tangent(math.sqrt)
def _(y, x):
    d[y] = d[x] / np.multiply(2.0, y)


# the 2-norm of its arguments: at the origin, the subgradient 0 (see np.linalg.norm)
@adjoint(math.hypot)
def _(y, *coordinates):
    d[coordinates] = [quotient_or_zero(d[y] * c, y) for c in coordinates]


@tangent(math.hypot)
def _(y, *coordinates):
    d[y] = quotient_or_zero(sum(dc * c for dc, c in zip(d[coordinates], coordinates)), y)


@adjoint(math.fabs)
def _(y, x):
    d[x] = d[y] * np.sign(x)


@tangent(math.fabs)
def _(y, x):
    d[y] = d[x] * np.sign(x)


# ------------------------------------------------------------------ remainders


@adjoint(math.fmod, math.remainder)
def _(z, x, y):
    d[x] = d[z]
    d[y] = -d[z] * round((x - z) / y)  # the quotient (truncated by fmod, rounded by remainder)


@tangent(math.fmod, math.remainder)
def _(z, x, y):
    d[z] = d[x] - d[y] * round((x - z) / y)


# ---------------------------------------------------------------- trigonometry


@adjoint(math.sin)
def _(y, x):
    d[x] = d[y] * math.cos(x)


@tangent(math.sin)
def _(y, x):
    d[y] = d[x] * math.cos(x)


@adjoint(math.cos)
def _(y, x):
    d[x] = -d[y] * math.sin(x)


@tangent(math.cos)
def _(y, x):
    d[y] = -d[x] * math.sin(x)


@adjoint(math.tan)
def _(y, x):
    d[x] = d[y] * (1.0 + y * y)


@tangent(math.tan)
def _(y, x):
    d[y] = d[x] * (1.0 + y * y)


@adjoint(math.asin)
def _(y, x):
    d[x] = d[y] / np.sqrt(1.0 - x * x)


@tangent(math.asin)
def _(y, x):
    d[y] = d[x] / np.sqrt(1.0 - x * x)


@adjoint(math.acos)
def _(y, x):
    d[x] = -d[y] / np.sqrt(1.0 - x * x)


@tangent(math.acos)
def _(y, x):
    d[y] = -d[x] / np.sqrt(1.0 - x * x)


@adjoint(math.atan)
def _(y, x):
    d[x] = d[y] / (1.0 + x * x)


@tangent(math.atan)
def _(y, x):
    d[y] = d[x] / (1.0 + x * x)


@adjoint(math.atan2)
def _(z, y, x):
    d[y] = d[z] * x / np.add(x * x, y * y)
    d[x] = -d[z] * y / np.add(x * x, y * y)


@tangent(math.atan2)
def _(z, y, x):
    d[z] = d[y] * x / np.add(x * x, y * y) - d[x] * y / np.add(x * x, y * y)


# ------------------------------------------------------------------ hyperbolic


@adjoint(math.sinh)
def _(y, x):
    d[x] = d[y] * math.cosh(x)


@tangent(math.sinh)
def _(y, x):
    d[y] = d[x] * math.cosh(x)


@adjoint(math.cosh)
def _(y, x):
    d[x] = d[y] * math.sinh(x)


@tangent(math.cosh)
def _(y, x):
    d[y] = d[x] * math.sinh(x)


@adjoint(math.tanh)
def _(y, x):
    d[x] = d[y] * (1.0 - y * y)


@tangent(math.tanh)
def _(y, x):
    d[y] = d[x] * (1.0 - y * y)


@adjoint(math.asinh)
def _(y, x):
    d[x] = d[y] / math.sqrt(x * x + 1.0)


@tangent(math.asinh)
def _(y, x):
    d[y] = d[x] / math.sqrt(x * x + 1.0)


@adjoint(math.acosh)
def _(y, x):
    d[x] = d[y] / np.sqrt(x * x - 1.0)


@tangent(math.acosh)
def _(y, x):
    d[y] = d[x] / np.sqrt(x * x - 1.0)


@adjoint(math.atanh)
def _(y, x):
    d[x] = d[y] / (1.0 - x * x)


@tangent(math.atanh)
def _(y, x):
    d[y] = d[x] / (1.0 - x * x)


# ------------------------------------------------------------ special functions


@adjoint(math.erf)
def _(y, x):
    d[x] = d[y] * (2.0 / math.sqrt(math.pi)) * math.exp(-x * x)


@tangent(math.erf)
def _(y, x):
    d[y] = d[x] * (2.0 / math.sqrt(math.pi)) * math.exp(-x * x)


@adjoint(math.erfc)
def _(y, x):
    d[x] = -d[y] * (2.0 / math.sqrt(math.pi)) * math.exp(-x * x)


@tangent(math.erfc)
def _(y, x):
    d[y] = -d[x] * (2.0 / math.sqrt(math.pi)) * math.exp(-x * x)
