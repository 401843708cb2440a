"""``scipy.special``: the logistic function and its inverse, the error function, the normal
distribution function, gamma functions, ``xlogy`` and ``xlog1py``, and ``logsumexp``,
``softmax``, ``log_softmax``.

SciPy is optional: the registry imports this module only once ``scipy.special`` is
imported (by the user's code), so srcad itself never imports SciPy. Each op's reverse rule
(adjoint) and forward rule (tangent) sit side by side; the binary functions broadcast.
"""
import math

import numpy as np
from scipy import special

from ..runtime.numeric import unbroadcast, unreduce
from ..runtime.special import weighted, without_sign
from .registry import adjoint, d, tangent

SQRT_2PI = math.sqrt(2.0 * math.pi)

# ------------------------------------------------------------ logistic function


@adjoint(special.expit)
def _(y, x):
    d[x] = d[y] * y * (1.0 - y)


@tangent(special.expit)
def _(y, x):
    d[y] = d[x] * y * (1.0 - y)


@adjoint(special.logit)
def _(y, x):
    d[x] = d[y] / (x * (1.0 - x))


@tangent(special.logit)
def _(y, x):
    d[y] = d[x] / (x * (1.0 - x))


# ----------------------------------------------- error function and normal distribution


@adjoint(special.erf)
def _(y, z):
    d[z] = d[y] * (2.0 / math.sqrt(math.pi)) * np.exp(-z * z)


@tangent(special.erf)
def _(y, z):
    d[y] = d[z] * (2.0 / math.sqrt(math.pi)) * np.exp(-z * z)


@adjoint(special.erfc)
def _(y, x):
    d[x] = -d[y] * (2.0 / math.sqrt(math.pi)) * np.exp(-x * x)


@tangent(special.erfc)
def _(y, x):
    d[y] = -d[x] * (2.0 / math.sqrt(math.pi)) * np.exp(-x * x)


@adjoint(special.erfinv)
def _(y, z):
    d[z] = d[y] * (math.sqrt(math.pi) / 2.0) * np.exp(y * y)


@tangent(special.erfinv)
def _(y, z):
    d[y] = d[z] * (math.sqrt(math.pi) / 2.0) * np.exp(y * y)


@adjoint(special.ndtr)
def _(y, x):
    d[x] = d[y] * np.exp(-0.5 * x * x) / SQRT_2PI


@tangent(special.ndtr)
def _(y, x):
    d[y] = d[x] * np.exp(-0.5 * x * x) / SQRT_2PI


@adjoint(special.log_ndtr)
def _(y, x):
    d[x] = d[y] * np.exp(-0.5 * x * x - y) / SQRT_2PI  # pdf / cdf, without underflow far left


@tangent(special.log_ndtr)
def _(y, x):
    d[y] = d[x] * np.exp(-0.5 * x * x - y) / SQRT_2PI


# --------------------------------------------------------------- gamma functions


@adjoint(special.gammaln)
def _(y, x):
    d[x] = d[y] * special.digamma(x)


@tangent(special.gammaln)
def _(y, x):
    d[y] = d[x] * special.digamma(x)


@adjoint(special.digamma)
def _(y, z):
    d[z] = d[y] * special.polygamma(1, z)


@tangent(special.digamma)
def _(y, z):
    d[y] = d[z] * special.polygamma(1, z)


@adjoint(special.polygamma)
def _(y, n, x):
    d[x] = d[y] * special.polygamma(n + 1, x)  # n counts derivatives: an integer, not differentiated


@tangent(special.polygamma)
def _(y, n, x):
    d[y] = d[x] * special.polygamma(n + 1, x)


# ------------------------------------------------------------ x log y, x log(1 + y)


@adjoint(special.xlogy)
def _(z, x, y):
    d[x] = unbroadcast(d[z] * np.log(y), x)
    d[y] = unbroadcast(d[z] * x / y, y)


@tangent(special.xlogy)
def _(z, x, y):
    d[z] = d[x] * np.log(y) + d[y] * x / y


@adjoint(special.xlog1py)
def _(z, x, y):
    d[x] = unbroadcast(d[z] * np.log1p(y), x)
    d[y] = unbroadcast(d[z] * x / (1.0 + y), y)


@tangent(special.xlog1py)
def _(z, x, y):
    d[z] = d[x] * np.log1p(y) + d[y] * x / (1.0 + y)


# ------------------------------------------------------ logsumexp and the softmaxes


@adjoint(special.logsumexp)
def _(y, a, axis=None, b=None, keepdims=False, return_sign=False):
    # d/da log sum b exp(a) = b exp(a - y): the softmax, weighted
    share = np.exp(a - unreduce(without_sign(y, return_sign), a, axis, keepdims))
    d[a] = unreduce(d[y], a, axis, keepdims) * weighted(share, b)
    d[b] = unbroadcast(unreduce(d[y], a, axis, keepdims) * share, b)


@tangent(special.logsumexp)
def _(y, a, axis=None, b=None, keepdims=False, return_sign=False):
    share = np.exp(a - unreduce(without_sign(y, return_sign), a, axis, keepdims))
    d[y] = np.sum(d[a] * weighted(share, b), axis=axis, keepdims=keepdims) \
        + np.sum(d[b] * share, axis=axis, keepdims=keepdims)


@adjoint(special.softmax)
def _(y, x, axis=None):
    d[x] = y * (d[y] - np.sum(d[y] * y, axis=axis, keepdims=True))


@tangent(special.softmax)
def _(y, x, axis=None):
    d[y] = y * (d[x] - np.sum(d[x] * y, axis=axis, keepdims=True))


@adjoint(special.log_softmax)
def _(y, x, axis=None):
    d[x] = d[y] - np.exp(y) * np.sum(d[y], axis=axis, keepdims=True)


@tangent(special.log_softmax)
def _(y, x, axis=None):
    d[y] = d[x] - np.sum(d[x] * np.exp(y), axis=axis, keepdims=True)


# ------------------------------------------------------ the helpers these rules call


@adjoint(weighted)
def _(y, e, b=None):
    d[e] = weighted(d[y], b)
    d[b] = unbroadcast(d[y] * e, b)


@tangent(weighted)
def _(y, e, b=None):
    d[y] = weighted(d[e], b) + d[b] * e


@adjoint(without_sign)
def _(value, y, return_sign=False):
    d[y] = d[value]


@tangent(without_sign)
def _(value, y, return_sign=False):
    d[value] = d[y]
