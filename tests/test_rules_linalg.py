"""Rules of np.linalg, checked against finite differences and forward against reverse,
on single matrices and stacks of them; then second order through each rule (hvp and
grad of grad), against differences of the gradient."""
import numpy as np
import pytest

import srcad
from rule_harness import CHECKS, case, check_by_kind, check_dtypes, distinct, normal
from srcad.runtime import linalg as L

_RNG = np.random.default_rng(77)


def invertible(*shape):
    """Well-conditioned square matrices: random, plus a multiple of the identity."""
    n = shape[-1]
    return _RNG.standard_normal(shape) + 3.0 * np.eye(n)


def positive_definite(*shape, junk="upper"):
    """A positive definite matrix in one triangle, and unrelated values in the other
    (which cholesky and eigh never read)."""
    n = shape[-1]
    b = _RNG.standard_normal(shape)
    spd = b @ np.swapaxes(b, -1, -2) + n * np.eye(n)
    noise = _RNG.standard_normal(shape)
    return np.tril(spd) + np.triu(noise, 1) if junk == "upper" else np.triu(spd) + np.tril(noise, -1)


def symmetric_spread(*shape, junk="upper"):
    """A matrix whose read triangle has well separated eigenvalues."""
    n = shape[-1]
    q, _ = np.linalg.qr(_RNG.standard_normal((n, n)))
    full = q @ np.diag(np.arange(1.0, n + 1.0) * 1.5 - 2.0) @ q.T + 0.0 * _RNG.standard_normal(shape)
    noise = _RNG.standard_normal(shape)
    return np.tril(full) + np.triu(noise, 1) if junk == "upper" else np.triu(full) + np.tril(noise, -1)


def spread_singular(*shape):
    """A matrix with well separated singular values (none zero)."""
    m, n = shape[-2:]
    k = min(m, n)
    u, _ = np.linalg.qr(_RNG.standard_normal(shape[:-2] + (m, k)))
    v, _ = np.linalg.qr(_RNG.standard_normal(shape[:-2] + (n, k)))
    return (u * (np.arange(1.0, k + 1.0) + 0.5)[None, :]) @ np.swapaxes(v, -1, -2)


NUMPY_2 = int(np.__version__.split(".")[0]) >= 2

CASES = [
    case(np.linalg.inv, invertible(3, 3)), case(np.linalg.inv, invertible(2, 3, 3)),
    case(np.linalg.inv, invertible(1, 1)),
    case(np.linalg.solve, invertible(3, 3), normal((3,))),
    case(np.linalg.solve, invertible(3, 3), normal((3, 2))),
    case(np.linalg.solve, invertible(2, 3, 3), normal((2, 3, 4))),
    # a stack of systems sharing one right-hand side matrix (NumPy 1 reads a b with one axis
    # fewer than a as a stack of vectors instead: there, a stack of vectors)
    case(np.linalg.solve, invertible(2, 3, 3), normal((3, 2)) if NUMPY_2 else normal((2, 3))),
    case(np.linalg.solve, invertible(3, 3), normal((2, 3, 2))),
    case(np.linalg.solve, invertible(3, 3), normal((3,)), wrt=[0]),
    case(np.linalg.solve, np.eye(3) * 2.0, normal((3, 2)), wrt=[1]),
    case(np.linalg.det, invertible(3, 3)), case(np.linalg.det, invertible(2, 3, 3)),
    case(np.linalg.det, -invertible(2, 2)),
    case(np.linalg.slogdet, invertible(3, 3)), case(np.linalg.slogdet, -invertible(3, 3)),
    case(np.linalg.slogdet, invertible(2, 4, 4)),
    case(np.linalg.cholesky, positive_definite(3, 3)), case(np.linalg.cholesky, positive_definite(2, 4, 4)),
    case(np.linalg.eigh, symmetric_spread(3, 3)), case(np.linalg.eigh, symmetric_spread(4, 4)),
    case(np.linalg.eigh, symmetric_spread(3, 3, junk="lower"), "U"),
    case(np.linalg.eigh, symmetric_spread(3, 3, junk="lower"), UPLO="U"),
    case(np.linalg.eigh, np.stack([symmetric_spread(3, 3), symmetric_spread(3, 3)])),
    case(np.linalg.eigvalsh, symmetric_spread(3, 3)), case(np.linalg.eigvalsh, symmetric_spread(3, 3, junk="lower"), "U"),
    case(np.linalg.eigvalsh, np.stack([symmetric_spread(4, 4), symmetric_spread(4, 4)])),
    case(np.linalg.svd, spread_singular(4, 3), full_matrices=False),
    case(np.linalg.svd, spread_singular(3, 5), full_matrices=False),
    case(np.linalg.svd, spread_singular(3, 3)),
    case(np.linalg.svd, spread_singular(2, 4, 3), False),
    case(np.linalg.qr, invertible(3, 3)), case(np.linalg.qr, normal((5, 3))),
    case(np.linalg.qr, normal((2, 4, 2))), case(np.linalg.qr, normal((4, 3)), mode="reduced"),
    case(np.linalg.pinv, spread_singular(4, 3)), case(np.linalg.pinv, spread_singular(3, 4)),
    case(np.linalg.pinv, invertible(3, 3)), case(np.linalg.pinv, spread_singular(2, 4, 3)),
    case(np.linalg.lstsq, spread_singular(5, 3), normal((5,)), rcond=None),
    case(np.linalg.lstsq, spread_singular(5, 3), normal((5, 2)), rcond=None),
    case(np.linalg.lstsq, invertible(3, 3), normal((3,)), rcond=None),
    case(np.linalg.lstsq, spread_singular(3, 4), normal((3, 2)), None),
]
for n in (0, 1, 2, 3, 5, -1, -2):
    CASES.append(case(np.linalg.matrix_power, invertible(3, 3) / 3.0, n, wrt=[0]))
CASES += [case(np.linalg.matrix_power, invertible(2, 3, 3) / 3.0, 3, wrt=[0]),
          case(np.linalg.matrix_power, invertible(2, 2) / 3.0, n=-3, wrt=[0])]
if np.lib.NumpyVersion(np.__version__) >= "2.0.0":
    CASES += [case(np.linalg.cholesky, positive_definite(3, 3, junk="lower"), upper=True),
              case(np.linalg.cholesky, positive_definite(2, 3, 3, junk="lower"), upper=True)]


@pytest.mark.parametrize("kind", sorted(CHECKS))
@pytest.mark.parametrize("op, args, kwargs, wrt", CASES)
def test_rule_against_finite_differences_and_its_twin(kind, op, args, kwargs, wrt):
    check_by_kind(kind, op, args, kwargs, wrt)


def f32(x):
    return x.astype(np.float32)


DTYPE_CASES = [
    case(np.linalg.inv, f32(invertible(3, 3))), case(np.linalg.det, f32(invertible(3, 3))),
    case(np.linalg.solve, f32(invertible(3, 3)), f32(normal((3,)))),
    case(np.linalg.cholesky, f32(positive_definite(3, 3))),
    case(np.linalg.eigvalsh, f32(symmetric_spread(3, 3))),
    case(np.linalg.matrix_power, f32(invertible(3, 3) / 3.0), 2, wrt=[0]),
]


@pytest.mark.parametrize("op, args, kwargs, wrt", DTYPE_CASES)
def test_float32_stays_float32(op, args, kwargs, wrt):
    check_dtypes(op, args, kwargs, wrt)


# ----------------------------------------------------- the helpers the rules call
HELPER_CASES = [
    case(L.columns, normal((3,)), np.zeros((3, 3)), wrt=[0]),
    case(L.columns, normal((3, 2)), np.zeros((3, 3)), wrt=[0]),
    case(L.columns, normal((2, 3)), np.zeros((2, 3, 3)), wrt=[0]),
    case(L.transposed_if, normal((2, 3)), True, wrt=[0]), case(L.transposed_if, normal((2, 3)), wrt=[0]),
    case(L.symmetrised, normal((3, 3))), case(L.symmetrised, normal((2, 3, 3)), True, wrt=[0]),
    case(L.unsymmetrised, normal((3, 3))), case(L.unsymmetrised, normal((2, 3, 3)), True, wrt=[0]),
    case(L.lower_halved, normal((3, 3))), case(L.lower_halved, normal((2, 4, 4))),
    case(L.inverse_gaps, distinct((4,))[0]), case(L.inverse_gaps, distinct((2, 3))[0]),
    case(L.svd_factors, (normal((4, 3)), normal((3,)), normal((3, 3))), wrt=[(0, 0), (0, 1), (0, 2)]),
    case(L.not_hermitian, normal((3, 3))),
    case(L.reduced_qr, (normal((4, 3)), normal((3, 3))), wrt=[(0, 0), (0, 1)]),
    case(L.residual_change, normal((5, 2)), normal((5, 2)), np.zeros(2), wrt=[0, 1]),
    case(L.residual_change, normal((5, 1)), normal((5, 1)), np.zeros(1), wrt=[0, 1]),
    case(L.residual_change, normal((3, 2)), normal((3, 2)), np.zeros(0), wrt=[0, 1]),
    case(L.residual_spread, normal((2,)), normal((5, 2)), np.zeros(2), wrt=[0, 1]),
    case(L.residual_spread, np.zeros(0), normal((3, 2)), np.zeros(0), wrt=[0, 1]),
    case(L.derivative_block, normal((3, 3)), normal((3, 3))),
    case(L.derivative_block, normal((2, 3, 3)), normal((2, 3, 3))),
    case(L.upper_right, normal((6, 6))), case(L.diagonal_blocks, normal((2, 6, 6))),
]
CASES += HELPER_CASES



# ------------------------------------------------ second order through each rule
W = normal((3, 3))
B = normal((5, 2))
EYE = np.eye(3)


def _inv(a):
    return np.sum(np.linalg.inv(a) * W)


def _solve(a):
    return np.sum(np.linalg.solve(a, a[0] * a[1]) ** 2) + np.sum(np.linalg.solve(a, a @ a) * W)


def _det(a):
    return np.linalg.det(a) ** 2


def _slogdet(a):
    sign, logdet = np.linalg.slogdet(a)
    return sign * logdet ** 2


def _cholesky(a):
    return np.sum(np.linalg.cholesky(a @ a.T + 3.0 * EYE) * W)


def _eigh(a):
    w, v = np.linalg.eigh(a + a.T)
    return np.sum(w ** 3) + np.sum(v ** 2 * W)


def _eigvalsh(a):
    return np.sum(np.sin(np.linalg.eigvalsh(a, UPLO="U")))


def _svd(a):
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    return np.sum(s ** 3) + np.sum(u ** 2 * W[:, :2]) + np.sum(vh ** 2 * W[:2, :2])


def _qr(a):
    q, r = np.linalg.qr(a)
    return np.sum(q * W[:, :2]) + np.sum(r ** 2 * W[:2, :2])


def _pinv(a):
    return np.sum(np.linalg.pinv(a) ** 2 * W[:2])


def _matrix_power(a):
    return np.sum(np.linalg.matrix_power(a, 3) * W) + np.sum(np.linalg.matrix_power(a, -2) * W.T)


def _lstsq(a):
    x, residuals, rank, s = np.linalg.lstsq(a, B, rcond=None)
    return np.sum(x ** 2) + np.sum(residuals) + np.sum(s ** 3)


SECOND_ORDER = [
    (_inv, invertible(3, 3)), (_solve, invertible(3, 3)), (_det, invertible(3, 3)),
    (_slogdet, -invertible(3, 3)), (_cholesky, normal((3, 3))), (_eigh, symmetric_spread(3, 3)),
    (_eigvalsh, symmetric_spread(3, 3, junk="lower")), (_svd, spread_singular(3, 2)),
    (_qr, normal((3, 2))), (_pinv, spread_singular(3, 2)), (_matrix_power, invertible(3, 3) / 3.0),
    (_lstsq, spread_singular(5, 3)),
]


def _differences_of_the_gradient(f, a, v, step=1e-5):
    df = srcad.grad(f)
    return (df(a + step * v) - df(a - step * v)) / (2 * step)


@pytest.mark.parametrize("f, a", SECOND_ORDER, ids=lambda x: getattr(x, "__name__", "")[1:])
def test_hvp_through_the_rule_matches_differences_of_the_gradient(f, a):
    v = np.random.default_rng(5).standard_normal(a.shape)
    np.testing.assert_allclose(srcad.hvp(f)(a, v), _differences_of_the_gradient(f, a, v), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("optimize", [True, False], ids=["optimized", "unoptimized"])
@pytest.mark.parametrize("f, a", SECOND_ORDER, ids=lambda x: getattr(x, "__name__", "")[1:])
def test_grad_of_grad_through_the_rule_matches_differences_of_the_gradient(f, a, optimize):
    v = np.random.default_rng(6).standard_normal(a.shape)
    df = srcad.grad(f, optimize=optimize)

    def slope(a):
        return np.sum(df(a) * v)

    np.testing.assert_allclose(srcad.grad(slope, optimize=optimize)(a), _differences_of_the_gradient(f, a, v),
                               rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("f, a", SECOND_ORDER, ids=lambda x: getattr(x, "__name__", "")[1:])
def test_gradient_matches_finite_differences_and_jvp(f, a):
    from gradcheck import numerical_gradient

    grad = srcad.grad(f)(a)
    np.testing.assert_allclose(grad, numerical_gradient(f, [a], 0), rtol=1e-6, atol=1e-7)
    v = np.random.default_rng(7).standard_normal(a.shape)
    _, forward = srcad.jvp(f)(a, v)
    assert forward == pytest.approx(np.sum(grad * v), rel=1e-10, abs=1e-12)


# ------------------------------------------------------- what is refused, and why
def _svd_values_only(a):
    return np.sum(np.linalg.svd(a, compute_uv=False))


def _svd_full_of_a_tall_matrix(a):
    u, s, vh = np.linalg.svd(a)
    return np.sum(s)


def _qr_r_only(a):
    return np.sum(np.linalg.qr(a, mode="r") ** 2)


def _pinv_hermitian(a):
    return np.sum(np.linalg.pinv(a.T @ a, hermitian=True))


def _qr_of_a_wide_matrix(a):
    q, r = np.linalg.qr(a.T)
    return np.sum(r)


@pytest.mark.parametrize("f, match", [
    (_svd_values_only, "compute_uv=True"), (_svd_full_of_a_tall_matrix, "full_matrices=False"),
    (_qr_r_only, "mode='reduced'"), (_pinv_hermitian, "hermitian=False"), (_qr_of_a_wide_matrix, "at least as many rows"),
], ids=lambda x: getattr(x, "__name__", "")[1:])
def test_a_derivative_srcad_does_not_write_is_refused(f, match):
    a = spread_singular(4, 3)
    with pytest.raises(srcad.NonDifferentiableError, match=match):
        srcad.grad(f)(a)
    with pytest.raises(srcad.NonDifferentiableError, match=match):
        srcad.jvp(f)(a, np.ones_like(a))


def test_eigh_and_cholesky_read_one_triangle_only():
    a = positive_definite(3, 3)
    grad = srcad.grad(_cholesky_of)(a)
    assert np.all(np.triu(grad, 1) == 0.0)
    from gradcheck import numerical_gradient
    np.testing.assert_allclose(grad, numerical_gradient(_cholesky_of, [a], 0), rtol=1e-6, atol=1e-8)


def _cholesky_of(a):
    return np.sum(np.linalg.cholesky(a) ** 3)
