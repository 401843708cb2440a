"""``scipy.stats``: ``norm.logpdf``, ``pdf``, ``cdf``, ``logcdf`` (with ``loc`` and ``scale``), and
``multivariate_normal.logpdf``.

SciPy is optional: the registry imports this module only once ``scipy.stats`` is imported
(by the user's code). Each op's reverse rule (adjoint) and forward rule (tangent) sit side by
side. ``z = (x - loc) / scale`` is the standardised value in the rules of ``norm``.
"""
import math

import numpy as np
from scipy import stats

from ..runtime.numeric import reshape_like, unbroadcast
from ..runtime.special import as_rows, centred, covariance_matrix, uncovariance_matrix
from .registry import adjoint, d, tangent

SQRT_2PI = math.sqrt(2.0 * math.pi)

# ---------------------------------------------------------- the normal distribution


@adjoint(stats.norm.logpdf)
def _(y, x, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    d[x] = unbroadcast(-d[y] * z / scale, x)
    d[loc] = unbroadcast(d[y] * z / scale, loc)
    d[scale] = unbroadcast(d[y] * (z * z - 1.0) / scale, scale)


@tangent(stats.norm.logpdf)
def _(y, x, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    d[y] = -d[x] * z / scale + d[loc] * z / scale + d[scale] * (z * z - 1.0) / scale


@adjoint(stats.norm.pdf)
def _(y, x, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    d[x] = unbroadcast(-d[y] * y * z / scale, x)
    d[loc] = unbroadcast(d[y] * y * z / scale, loc)
    d[scale] = unbroadcast(d[y] * y * (z * z - 1.0) / scale, scale)


@tangent(stats.norm.pdf)
def _(y, x, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    d[y] = -d[x] * y * z / scale + d[loc] * y * z / scale + d[scale] * y * (z * z - 1.0) / scale


@adjoint(stats.norm.cdf)
def _(y, x, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    density = np.exp(-0.5 * z * z) / (SQRT_2PI * scale)
    d[x] = unbroadcast(d[y] * density, x)
    d[loc] = unbroadcast(-d[y] * density, loc)
    d[scale] = unbroadcast(-d[y] * density * z, scale)


@tangent(stats.norm.cdf)
def _(y, x, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    density = np.exp(-0.5 * z * z) / (SQRT_2PI * scale)
    d[y] = d[x] * density - d[loc] * density - d[scale] * density * z


@adjoint(stats.norm.logcdf)
def _(y, x, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    ratio = np.exp(-0.5 * z * z - y) / (SQRT_2PI * scale)  # pdf / cdf, without underflow far left
    d[x] = unbroadcast(d[y] * ratio, x)
    d[loc] = unbroadcast(-d[y] * ratio, loc)
    d[scale] = unbroadcast(-d[y] * ratio * z, scale)


@tangent(stats.norm.logcdf)
def _(y, x, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    ratio = np.exp(-0.5 * z * z - y) / (SQRT_2PI * scale)
    d[y] = d[x] * ratio - d[loc] * ratio - d[scale] * ratio * z


# ------------------------------------------------ the multivariate normal distribution


@adjoint(stats.multivariate_normal.logpdf)
def _(y, x, mean=None, cov=1, allow_singular=False):
    # with r = x - mean and p = cov^-1 r: d[x] = -g p, d[cov] = (g p p^T - g cov^-1) / 2
    matrix = covariance_matrix(cov, np.shape(x)[-1])
    towards = np.transpose(np.linalg.solve(matrix, np.transpose(centred(x, mean))))
    weights = np.reshape(d[y], (-1, 1))
    rows = as_rows(towards)
    d[x] = reshape_like(-weights * rows, x)
    d[mean] = unbroadcast(reshape_like(weights * rows, x), mean)
    d[cov] = uncovariance_matrix(0.5 * (np.transpose(rows * weights) @ rows - np.sum(d[y]) * np.linalg.inv(matrix)),
                                 cov)


@tangent(stats.multivariate_normal.logpdf)
def _(y, x, mean=None, cov=1, allow_singular=False):
    matrix = covariance_matrix(cov, np.shape(x)[-1])
    rows = as_rows(np.transpose(np.linalg.solve(matrix, np.transpose(centred(x, mean)))))
    d[y] = reshape_like(-np.sum(as_rows(d[x]) * rows, axis=-1), y) + reshape_like(np.sum(as_rows(d[mean]) * rows, axis=-1), y) \
        + reshape_like(0.5 * np.sum((rows @ covariance_matrix(d[cov], np.shape(x)[-1])) * rows, axis=-1)
                       - 0.5 * np.trace(np.linalg.solve(matrix, covariance_matrix(d[cov], np.shape(x)[-1]))), y)


# ------------------------------------------------------ the helpers these rules call


@adjoint(centred)
def _(r, x, mean=None):
    d[x] = d[r]
    d[mean] = unbroadcast(-d[r], mean)


@tangent(centred)
def _(r, x, mean=None):
    d[r] = d[x] - d[mean]


@adjoint(covariance_matrix)
def _(m, cov, size):
    d[cov] = uncovariance_matrix(d[m], cov)


@tangent(covariance_matrix)
def _(m, cov, size):
    d[m] = covariance_matrix(d[cov], size)


@adjoint(uncovariance_matrix)
def _(r, g, cov):
    d[g] = covariance_matrix(d[r], np.shape(g)[-1])


@tangent(uncovariance_matrix)
def _(r, g, cov):
    d[r] = uncovariance_matrix(d[g], cov)


@adjoint(as_rows)
def _(r, x):
    d[x] = reshape_like(d[r], x)


@tangent(as_rows)
def _(r, x):
    d[r] = as_rows(d[x])
