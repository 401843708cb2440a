"""Helpers the rules of SciPy's functions share (``rules/scipy_special.py``,
``rules/scipy_stats.py``). They use NumPy only: srcad never imports SciPy itself."""
import numpy as np

from ..errors import NonDifferentiableError
from .linalg import symmetrised, unsymmetrised


def weighted(e, b=None):
    """``e * b``, or ``e`` when there are no weights (``b`` None, as in ``logsumexp``)."""
    return e if b is None else e * b


weighted.srcad_same_when_none = 1  # with b the literal None, srcad writes just e


def without_sign(y, return_sign=False):
    """``y``, or a clear refusal for ``logsumexp(..., return_sign=True)``."""
    if return_sign:
        raise NonDifferentiableError(
            "srcad differentiates scipy.special.logsumexp with return_sign=False only: "
            "with positive weights b the sign is 1")
    return y


without_sign.srcad_same_when_false = 1  # with return_sign the literal False, srcad writes just y


def centred(x, mean=None):
    """``x - mean``, or ``x`` when there is no mean (None, as in ``multivariate_normal``)."""
    return x if mean is None else x - mean


centred.srcad_same_when_none = 1  # with mean the literal None, srcad writes just x


def covariance_matrix(cov, size):
    """The covariance matrix ``multivariate_normal`` uses: a number times the identity, a
    diagonal from a vector, or the symmetric matrix of ``cov``'s lower triangle (which is
    what SciPy reads, through ``eigh``)."""
    if np.ndim(cov) == 0:
        return cov * np.eye(size)
    if np.ndim(cov) == 1:
        return np.diag(cov)
    return symmetrised(cov)


def uncovariance_matrix(g, cov):
    """Adjoint of :func:`covariance_matrix`: the derivative of ``cov`` in its own form."""
    if np.ndim(cov) == 0:
        return np.trace(g)
    if np.ndim(cov) == 1:
        return np.diagonal(g)
    return unsymmetrised(g)


def as_rows(x):
    """``x`` as a matrix of rows: one point (a vector) or several (a matrix)."""
    return np.reshape(x, (-1, np.shape(x)[-1]))
