"""Helpers the rules of ``np.linalg`` share (``rules/linalg_rules.py``).

Each works on one matrix or on a stack of them (the last two axes), calls only
NumPy functions on the arrays it is given, and is linear in the derivative it
carries, so its own rules (next to the rules that call it) are short and a
generated derivative that calls it can be differentiated again.
"""
import numpy as np

from ..errors import NonDifferentiableError
from .numeric import identity_like


def _matrix_size(x):
    """The number of rows (and columns) of the square matrices ``x`` stacks."""
    return np.shape(x)[-1]


# --------------------------------------------------- right-hand sides of solve


def columns(x, a):
    """``x`` as a stack of matrices, as ``np.linalg.solve(a, b)`` reads ``b``: a vector
    (one axis fewer than ``a``, the solution of a vector ``b``) becomes one column."""
    return x[..., None] if np.ndim(x) < np.ndim(a) else x


# ------------------------------------------- routines that read one triangle


def transposed_if(x, upper=False):
    """``x`` with each matrix transposed when ``upper`` (a factor given as ``U = L^T``)."""
    return np.swapaxes(x, -1, -2) if upper else x


transposed_if.srcad_same_when_false = 1  # with upper the literal False, srcad writes just x


def symmetrised(a, upper=False):
    """The symmetric matrix a routine that reads only one triangle of ``a`` factors:
    ``eigh`` and ``cholesky`` read the lower one (``upper=False``) by default."""
    if upper:
        return np.triu(a) + np.swapaxes(np.triu(a, 1), -1, -2)
    return np.tril(a) + np.swapaxes(np.tril(a, -1), -1, -2)


def unsymmetrised(g, upper=False):
    """Adjoint of :func:`symmetrised`: an entry of the triangle that is read stands for
    itself and its mirror image, and the other triangle has derivative 0."""
    if upper:
        return np.triu(g) + np.triu(np.swapaxes(g, -1, -2), 1)
    return np.tril(g) + np.tril(np.swapaxes(g, -1, -2), -1)


def lower_halved(m):
    """The strictly lower triangle of ``m`` with half its diagonal: the part of a
    symmetric change a Cholesky factor takes up (a mask, so its own adjoint)."""
    return np.tril(m, -1) + 0.5 * m * identity_like(_matrix_size(m), m.dtype, m)


# ------------------------------------------------------------- spectra


def inverse_gaps(w):
    """``F[..., i, j] = 1 / (w[j] - w[i])`` off the diagonal and 0 on it, for distinct ``w``:
    how fast eigenvectors (singular vectors, with ``w = s ** 2``) turn into each other."""
    on_diagonal = identity_like(np.shape(w)[-1], bool, w)
    gaps = np.expand_dims(w, -2) - np.expand_dims(w, -1)
    return np.where(on_diagonal, 0.0, 1.0 / np.where(on_diagonal, 1.0, gaps))


def svd_factors(y, compute_uv=True, hermitian=False):
    """``(u, s, vh)`` of ``y = np.linalg.svd(a, ...)``, or a clear refusal where the
    derivative is not one srcad writes: singular values alone, the extra columns of
    ``full_matrices=True`` for a matrix that is not square, and ``hermitian=True``
    (which reads one triangle of ``a``)."""
    if not compute_uv:
        raise NonDifferentiableError(
            "srcad differentiates np.linalg.svd with compute_uv=True: take the singular values "
            "from u, s, vh = np.linalg.svd(a, full_matrices=False)")
    if hermitian:
        raise NonDifferentiableError("srcad differentiates np.linalg.svd with hermitian=False only")
    u, s, vh = y
    if np.shape(u)[-1] != np.shape(vh)[-2]:
        raise NonDifferentiableError(
            "srcad differentiates np.linalg.svd of a matrix that is not square with "
            "full_matrices=False: the extra columns full_matrices=True adds are not unique")
    return y


def not_hermitian(y, hermitian=False):
    """``y``, or a clear refusal for ``hermitian=True``, with which ``np.linalg.pinv`` reads one
    triangle of its argument only."""
    if hermitian:
        raise NonDifferentiableError("srcad differentiates np.linalg.pinv with hermitian=False only")
    return y


not_hermitian.srcad_same_when_false = 1  # with hermitian the literal False, srcad writes just y


def reduced_qr(y, mode="reduced"):
    """``(q, r)`` of ``y = np.linalg.qr(a, mode)`` for a matrix with at least as many
    rows as columns, or a clear refusal."""
    if mode not in ("reduced", "complete"):
        raise NonDifferentiableError(f"srcad differentiates np.linalg.qr with mode='reduced', not {mode!r}")
    q, r = y
    if np.shape(r)[-2] > np.shape(r)[-1] or np.shape(q)[-1] != np.shape(r)[-2] or np.shape(q)[-2] < np.shape(r)[-1]:
        raise NonDifferentiableError(
            "srcad differentiates np.linalg.qr of a matrix with at least as many rows as columns, "
            "with mode='reduced'")
    return y


def residual_change(residual, change, residuals):
    """The change of ``np.linalg.lstsq``'s ``residuals`` (the squared norms of the columns of
    ``residual = a @ x - b``) when ``a @ x - b`` changes by ``change``, the solution held
    still (it is the least-squares one, so moving it changes them to first order by 0);
    empty when ``lstsq`` gave no residuals (``a`` of deficient rank, or not tall)."""
    if np.size(residuals) == 0:
        return np.zeros_like(residuals)
    return 2.0 * np.sum(residual * change, axis=-2)


def residual_spread(g, residual, residuals):
    """Adjoint of :func:`residual_change` in ``change``: ``2 residual`` times the derivative of each
    column's residual."""
    if np.size(residuals) == 0:
        return np.zeros_like(residual)
    return 2.0 * residual * np.expand_dims(g, -2)


# ------------------------------------------------------- matrix power


def derivative_block(a, da):
    """``[[a, da], [0, a]]``: any integer power of it holds the derivative of that power
    of ``a`` in the direction ``da`` in its upper right block."""
    zeros = np.zeros_like(a) + np.zeros_like(da)
    return np.concatenate([np.concatenate([a + zeros, da + zeros], -1),
                           np.concatenate([zeros, a + zeros], -1)], -2)


def upper_right(m):
    """The upper right block of a :func:`derivative_block`."""
    n = _matrix_size(m) // 2
    return m[..., :n, n:]


def diagonal_blocks(m):
    """The two diagonal blocks of a :func:`derivative_block`, added: adjoint in ``a``."""
    n = _matrix_size(m) // 2
    return m[..., :n, :n] + m[..., n:, n:]
