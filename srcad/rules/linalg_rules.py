"""``np.linalg``: inverses and solves, determinants, factorisations, spectra, powers.

Each op's reverse rule (adjoint) and forward rule (tangent) sit side by side.
Every rule works on one matrix or a stack of them (the last two axes) and is
written with NumPy functions that have rules themselves (``solve`` rather than
``inv`` where a product with an inverse is meant), so a derivative through it
can be differentiated again. ``mT`` below is ``np.swapaxes(x, -1, -2)``, the
transpose of each matrix of a stack.

Conditions, as for any derivative of these routines: the matrices are invertible
(``inv``, ``solve``, ``det``, ``slogdet``, ``lstsq`` of full column rank), positive
definite (``cholesky``), with distinct eigenvalues (``eigh``) or distinct nonzero
singular values (``svd``), of full rank (``qr``, ``pinv``). ``eigh``, ``eigvalsh`` and
``cholesky`` read one triangle of their argument only, so the other triangle has
derivative 0 and an entry of the one read counts for itself and its mirror image.
"""
import numpy as np

from ..runtime.linalg import (
    columns,
    derivative_block,
    diagonal_blocks,
    inverse_gaps,
    lower_halved,
    not_hermitian,
    reduced_qr,
    residual_change,
    residual_spread,
    svd_factors,
    symmetrised,
    transposed_if,
    unsymmetrised,
    upper_right,
)
from ..runtime.numeric import reshape_like, unbroadcast
from .registry import adjoint, d, tangent

# ------------------------------------------------------- inverses and solves


@adjoint(np.linalg.inv)
def _(y, a):
    d[a] = -np.swapaxes(y, -1, -2) @ d[y] @ np.swapaxes(y, -1, -2)


@tangent(np.linalg.inv)
def _(y, a):
    d[y] = -y @ d[a] @ y


@adjoint(np.linalg.solve)
def _(x, a, b):
    d_rhs = np.linalg.solve(np.swapaxes(a, -1, -2), columns(d[x], a))  # a^T \ d_x, as columns
    d[b] = unbroadcast(reshape_like(d_rhs, x), b)
    d[a] = unbroadcast(-d_rhs @ np.swapaxes(columns(x, a), -1, -2), a)


@tangent(np.linalg.solve)
def _(x, a, b):
    d[x] = np.linalg.solve(a, d[b]) - reshape_like(np.linalg.solve(a, d[a] @ columns(x, a)), x)


@adjoint(np.linalg.pinv)
def _(y, a, rcond=None, hermitian=False, *, rtol=None):
    # p = pinv(a); with the projections off its ranges, d[a] = -p^T g p^T + (I - a p) g^T p p^T
    # + p^T p g^T (I - p a)
    p = not_hermitian(y, hermitian)
    off_rows = np.eye(np.shape(a)[-2]) - a @ p
    off_columns = np.eye(np.shape(a)[-1]) - p @ a
    d[a] = (-np.swapaxes(p, -1, -2) @ d[y] @ np.swapaxes(p, -1, -2)
            + off_rows @ np.swapaxes(d[y], -1, -2) @ p @ np.swapaxes(p, -1, -2)
            + np.swapaxes(p, -1, -2) @ p @ np.swapaxes(d[y], -1, -2) @ off_columns)


@tangent(np.linalg.pinv)
def _(y, a, rcond=None, hermitian=False, *, rtol=None):
    p = not_hermitian(y, hermitian)
    off_rows = np.eye(np.shape(a)[-2]) - a @ p
    off_columns = np.eye(np.shape(a)[-1]) - p @ a
    d[y] = (-p @ d[a] @ p + p @ np.swapaxes(p, -1, -2) @ np.swapaxes(d[a], -1, -2) @ off_rows
            + off_columns @ np.swapaxes(d[a], -1, -2) @ np.swapaxes(p, -1, -2) @ p)


@adjoint(np.linalg.lstsq)
def _(y, a, b, rcond=None):
    # the solution x = pinv(a) b (through pinv's rule), the residuals |a x - b|^2 and the singular values
    pseudo_inverse = np.linalg.pinv(a)
    solution, rhs, d_x = columns(y[0], a), columns(b, a), columns(d[y][0], a)
    spread = residual_spread(d[y][1], a @ solution - rhs, y[1])
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    d_pinv = d_x @ np.swapaxes(rhs, -1, -2)
    off_rows = np.eye(np.shape(a)[-2]) - a @ pseudo_inverse
    off_columns = np.eye(np.shape(a)[-1]) - pseudo_inverse @ a
    d[b] = reshape_like(np.swapaxes(pseudo_inverse, -1, -2) @ d_x - spread, b)
    d[a] = (-np.swapaxes(pseudo_inverse, -1, -2) @ d_pinv @ np.swapaxes(pseudo_inverse, -1, -2)
            + off_rows @ np.swapaxes(d_pinv, -1, -2) @ pseudo_inverse @ np.swapaxes(pseudo_inverse, -1, -2)
            + np.swapaxes(pseudo_inverse, -1, -2) @ pseudo_inverse @ np.swapaxes(d_pinv, -1, -2) @ off_columns
            + spread @ np.swapaxes(solution, -1, -2) + (u * np.expand_dims(d[y][3], -2)) @ vh)


@tangent(np.linalg.lstsq)
def _(y, a, b, rcond=None):
    pseudo_inverse = np.linalg.pinv(a)
    solution, rhs = columns(y[0], a), columns(b, a)
    residual = a @ solution - rhs
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    off_rows = np.eye(np.shape(a)[-2]) - a @ pseudo_inverse
    off_columns = np.eye(np.shape(a)[-1]) - pseudo_inverse @ a
    d[y] = (reshape_like(pseudo_inverse @ columns(d[b], a), y[0]) + reshape_like(
                -pseudo_inverse @ d[a] @ solution
                + pseudo_inverse @ np.swapaxes(pseudo_inverse, -1, -2) @ np.swapaxes(d[a], -1, -2) @ off_rows @ rhs
                + off_columns @ np.swapaxes(d[a], -1, -2) @ np.swapaxes(pseudo_inverse, -1, -2) @ solution, y[0]),
            residual_change(residual, d[a] @ solution, y[1]) - residual_change(residual, columns(d[b], a), y[1]),
            0,
            np.sum(u * (d[a] @ np.swapaxes(vh, -1, -2)), axis=-2))


# ---------------------------------------------------------------------- powers


@adjoint(np.linalg.matrix_power)
def _(y, a, n):
    d[a] = upper_right(np.linalg.matrix_power(derivative_block(np.swapaxes(a, -1, -2), d[y]), n))


@tangent(np.linalg.matrix_power)
def _(y, a, n):
    d[y] = upper_right(np.linalg.matrix_power(derivative_block(a, d[a]), n))


# ---------------------------------------------------------------- determinants


@adjoint(np.linalg.det)
def _(y, a):
    d[a] = np.expand_dims(d[y] * y, (-2, -1)) * np.swapaxes(np.linalg.inv(a), -1, -2)


@tangent(np.linalg.det)
def _(y, a):
    d[y] = y * np.trace(np.linalg.solve(a, d[a]), axis1=-2, axis2=-1)


@adjoint(np.linalg.slogdet)
def _(y, a):
    d[a] = np.expand_dims(d[y][1], (-2, -1)) * np.swapaxes(np.linalg.inv(a), -1, -2)


@tangent(np.linalg.slogdet)
def _(y, a):
    d[y] = (np.zeros_like(y[0]), np.trace(np.linalg.solve(a, d[a]), axis1=-2, axis2=-1))


# ------------------------------------------------------------ factorisations


@adjoint(np.linalg.cholesky)
def _(y, a, upper=False):
    lower = transposed_if(y, upper)
    d_lower = transposed_if(d[y], upper)
    # S = L^-T lower_halved(L^T d_L) L^-1, read back through the triangle cholesky reads
    left = np.linalg.solve(np.swapaxes(lower, -1, -2), lower_halved(np.swapaxes(lower, -1, -2) @ d_lower))
    d[a] = unsymmetrised(np.swapaxes(np.linalg.solve(np.swapaxes(lower, -1, -2), np.swapaxes(left, -1, -2)), -1, -2),
                         upper)


@tangent(np.linalg.cholesky)
def _(y, a, upper=False):
    lower = transposed_if(y, upper)
    # d_L = L lower_halved(L^-1 dA L^-T), dA the symmetric change cholesky sees
    d_lower = lower @ lower_halved(np.swapaxes(np.linalg.solve(lower, np.swapaxes(
        np.linalg.solve(lower, symmetrised(d[a], upper)), -1, -2)), -1, -2))
    d[y] = transposed_if(d_lower, upper)


@adjoint(np.linalg.qr)
def _(y, a, mode="reduced"):
    q, r = reduced_qr(y, mode)
    d_q, d_r = d[y]
    # (d_q + q symmetrised(d_r r^T - q^T d_q, upper)) r^-T
    inner = d_q + q @ symmetrised(d_r @ np.swapaxes(r, -1, -2) - np.swapaxes(q, -1, -2) @ d_q, True)
    d[a] = np.swapaxes(np.linalg.solve(r, np.swapaxes(inner, -1, -2)), -1, -2)


@tangent(np.linalg.qr)
def _(y, a, mode="reduced"):
    q, r = reduced_qr(y, mode)
    # with X = q^T dA r^-1 and M = unsymmetrised(X, upper): d_q = dA r^-1 - q M, d_r = M r
    right_solved = np.swapaxes(np.linalg.solve(np.swapaxes(r, -1, -2), np.swapaxes(d[a], -1, -2)), -1, -2)
    turn = unsymmetrised(np.swapaxes(q, -1, -2) @ right_solved, True)
    d[y] = (right_solved - q @ turn, turn @ r)


# ------------------------------------------------------------------ spectra


@adjoint(np.linalg.eigh)
def _(y, a, UPLO="L"):
    w, v = y
    d_w, d_v = d[y]
    # v (diag(d_w) + F * (v^T d_v)) v^T, F = 1 / (w_j - w_i)
    turn = inverse_gaps(w) * (np.swapaxes(v, -1, -2) @ d_v)
    d[a] = unsymmetrised((v * np.expand_dims(d_w, -2) + v @ turn) @ np.swapaxes(v, -1, -2), UPLO in ("U", "u"))


@tangent(np.linalg.eigh)
def _(y, a, UPLO="L"):
    w, v = y
    change = np.swapaxes(v, -1, -2) @ symmetrised(d[a], UPLO in ("U", "u")) @ v  # dA in the eigenbasis
    d[y] = (np.diagonal(change, axis1=-2, axis2=-1), v @ (inverse_gaps(w) * change))


@adjoint(np.linalg.eigvalsh)
def _(y, a, UPLO="L"):
    v = np.linalg.eigh(a, UPLO)[1]
    d[a] = unsymmetrised((v * np.expand_dims(d[y], -2)) @ np.swapaxes(v, -1, -2), UPLO in ("U", "u"))


@tangent(np.linalg.eigvalsh)
def _(y, a, UPLO="L"):
    v = np.linalg.eigh(a, UPLO)[1]
    d[y] = np.sum(v * (symmetrised(d[a], UPLO in ("U", "u")) @ v), axis=-2)


@adjoint(np.linalg.svd)
def _(y, a, full_matrices=True, compute_uv=True, hermitian=False):
    u, s, vh = svd_factors(y, compute_uv, hermitian)
    d_u, d_s, d_vh = d[y]
    v, d_v = np.swapaxes(vh, -1, -2), np.swapaxes(d_vh, -1, -2)
    gaps = inverse_gaps(s * s)
    # u [J s + diag(d_s) + s K] v^T + (I - u u^T) d_u s^-1 v^T + u s^-1 d_v^T (I - v v^T)
    turn_u = gaps * (np.swapaxes(u, -1, -2) @ d_u - np.swapaxes(d_u, -1, -2) @ u)
    turn_v = gaps * (vh @ d_v - d_vh @ v)
    core = turn_u * np.expand_dims(s, -2) + np.expand_dims(s, -1) * turn_v + np.expand_dims(d_s, -2) \
        * np.eye(np.shape(s)[-1])
    off_u = (d_u - u @ (np.swapaxes(u, -1, -2) @ d_u)) / np.expand_dims(s, -2)
    off_v = (d_v - v @ (vh @ d_v)) / np.expand_dims(s, -2)
    d[a] = u @ core @ vh + off_u @ vh + u @ np.swapaxes(off_v, -1, -2)


@tangent(np.linalg.svd)
def _(y, a, full_matrices=True, compute_uv=True, hermitian=False):
    u, s, vh = svd_factors(y, compute_uv, hermitian)
    v = np.swapaxes(vh, -1, -2)
    gaps = inverse_gaps(s * s)
    change = np.swapaxes(u, -1, -2) @ d[a] @ v  # dA between the singular bases
    right = change * np.expand_dims(s, -2)  # change diag(s)
    left = np.expand_dims(s, -1) * change  # diag(s) change
    d_u = u @ (gaps * (right + np.swapaxes(right, -1, -2))) \
        + (d[a] @ v - u @ change) / np.expand_dims(s, -2)
    d_v = v @ (gaps * (left + np.swapaxes(left, -1, -2))) \
        + (np.swapaxes(d[a], -1, -2) @ u - v @ np.swapaxes(change, -1, -2)) / np.expand_dims(s, -2)
    d[y] = (d_u, np.diagonal(change, axis1=-2, axis2=-1), np.swapaxes(d_v, -1, -2))


# ------------------------------------------- the helpers these rules call


@adjoint(columns)
def _(y, x, a):
    d[x] = reshape_like(d[y], x)


@tangent(columns)
def _(y, x, a):
    d[y] = columns(d[x], a)


@adjoint(transposed_if)
def _(y, x, upper=False):
    d[x] = transposed_if(d[y], upper)


@tangent(transposed_if)
def _(y, x, upper=False):
    d[y] = transposed_if(d[x], upper)


@adjoint(symmetrised)
def _(y, a, upper=False):
    d[a] = unsymmetrised(d[y], upper)


@tangent(symmetrised)
def _(y, a, upper=False):
    d[y] = symmetrised(d[a], upper)


@adjoint(unsymmetrised)
def _(y, g, upper=False):
    d[g] = symmetrised(d[y], upper)


@tangent(unsymmetrised)
def _(y, g, upper=False):
    d[y] = unsymmetrised(d[g], upper)


@adjoint(lower_halved)
def _(y, m):
    d[m] = lower_halved(d[y])


@tangent(lower_halved)
def _(y, m):
    d[y] = lower_halved(d[m])


@adjoint(inverse_gaps)
def _(f, w):
    d[w] = np.sum(d[f] * f * f, axis=-1) - np.sum(d[f] * f * f, axis=-2)


@tangent(inverse_gaps)
def _(f, w):
    d[f] = f * f * (np.expand_dims(d[w], -1) - np.expand_dims(d[w], -2))


@adjoint(svd_factors)
def _(factors, y, compute_uv=True, hermitian=False):
    d[y] = d[factors]


@tangent(svd_factors)
def _(factors, y, compute_uv=True, hermitian=False):
    d[factors] = d[y]


@adjoint(not_hermitian)
def _(r, y, hermitian=False):
    d[y] = d[r]


@tangent(not_hermitian)
def _(r, y, hermitian=False):
    d[r] = d[y]


@adjoint(reduced_qr)
def _(factors, y, mode="reduced"):
    d[y] = d[factors]


@tangent(reduced_qr)
def _(factors, y, mode="reduced"):
    d[factors] = d[y]


@adjoint(residual_change)
def _(y, residual, change, residuals):
    d[residual] = residual_spread(d[y], change, residuals)
    d[change] = residual_spread(d[y], residual, residuals)


@tangent(residual_change)
def _(y, residual, change, residuals):
    d[y] = residual_change(d[residual], change, residuals) + residual_change(residual, d[change], residuals)


@adjoint(residual_spread)
def _(y, g, residual, residuals):
    d[g] = residual_change(residual, d[y], residuals)
    d[residual] = residual_spread(g, d[y], residuals)


@tangent(residual_spread)
def _(y, g, residual, residuals):
    d[y] = residual_spread(d[g], residual, residuals) + residual_spread(g, d[residual], residuals)


@adjoint(derivative_block)
def _(m, a, da):
    d[a] = unbroadcast(diagonal_blocks(d[m]), a)
    d[da] = unbroadcast(upper_right(d[m]), da)


@tangent(derivative_block)
def _(m, a, da):
    d[m] = derivative_block(d[a], np.zeros_like(da)) + derivative_block(np.zeros_like(a), d[da])


@adjoint(upper_right)
def _(y, m):
    d[m] = derivative_block(np.zeros_like(d[y]), d[y])


@tangent(upper_right)
def _(y, m):
    d[y] = upper_right(d[m])


@adjoint(diagonal_blocks)
def _(y, m):
    d[m] = derivative_block(d[y], np.zeros_like(d[y]))


@tangent(diagonal_blocks)
def _(y, m):
    d[y] = diagonal_blocks(d[m])
