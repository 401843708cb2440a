"""The numerical conventions of docs/numerics.md: strong zeros (an untaken branch of
``np.where`` gets exactly 0, never ``0 * inf``), no nan where the true derivative is
finite, stable rules at |x| = 1000 in float32 and float64, and the dtype policy."""
import warnings

import numpy as np
import pytest

import srcad
from gradcheck import numerical_gradient


def _quiet(function, *args):
    """``function(*args)`` without NumPy's warnings about the untaken branch's values."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        return function(*args)


# ------------------------------------------------ strong zeros: np.where's untaken branch
# each op is taken where `taken` holds and evaluated everywhere; the points put the op's
# singular points (0 for log, 1 for arcsin, overflow for exp) in the untaken branch


def log_branch(x):
    return np.sum(np.where(x > 0, np.log(x), 0.0))


def sqrt_branch(x):
    return np.sum(np.where(x > 0, np.sqrt(x), 0.0))


def division_branch(x):
    return np.sum(np.where(x != 0, 1.0 / x, 0.0))


def power_branch(x):
    return np.sum(np.where(x > 0, x ** 1.5 + x ** -0.5, 0.0))


def arcsin_branch(x):
    return np.sum(np.where(np.abs(x) < 1, np.arcsin(x) + np.arccos(x), 0.0))


def arctanh_branch(x):
    return np.sum(np.where(np.abs(x) < 1, np.arctanh(x), 0.0))


def entropy_branch(x):
    return np.sum(np.where(x > 0, x * np.log(x), 0.0))


def exp_branch(x):
    return np.sum(np.where(x < 50.0, np.exp(x), 1.0))


def nested_branch(x):
    y = np.where(x > 0, np.log(x), 0.0) * 3.0
    return np.sum(np.where(x < 4.0, np.sqrt(y * y + 1.0) * x, x))


def maximum_of_a_log(x):
    return np.sum(np.maximum(np.log(x), 0.0))


def indexed_log(x):
    return np.sum(np.log(x)[1:] * x[1:])


def masked_by_data(x, mask):
    return np.sum(mask * np.log(x))


BRANCHES = {
    "log": (log_branch, [-1.0, 0.0, 0.5, 2.0]),
    "sqrt": (sqrt_branch, [-1.0, 0.0, 0.5, 2.0]),
    "division": (division_branch, [0.0, -2.0, 0.5]),
    "power": (power_branch, [-1.0, 0.0, 0.5, 2.0]),
    "arcsin": (arcsin_branch, [-1.0, 1.0, 0.3, -0.6, 2.0]),
    "arctanh": (arctanh_branch, [-1.0, 1.0, 0.3, 2.0]),
    "x log x": (entropy_branch, [0.0, -1.0, 0.5, 2.0]),
    "exp overflow": (exp_branch, [1000.0, 1.0, -2.0]),
    "nested": (nested_branch, [-1.0, 0.0, 0.5, 5.0]),
    "maximum": (maximum_of_a_log, [0.0, 0.5, 3.0]),
    "indexing": (indexed_log, [0.0, 0.5, 3.0]),
}


def branch_gradient(f, x):
    """The derivative of the taken branch, elementwise by central differences (each element
    of these functions depends on its own x only), 0 where a small change stays untaken."""
    expected = np.zeros_like(x)
    for i in range(x.size):
        def one(t):
            moved = x.copy()
            moved[i] = t
            return _quiet(f, moved)
        expected[i] = numerical_gradient(one, (float(x[i]),), 0)
    return expected


@pytest.mark.parametrize("optimize", [True, False], ids=["optimized", "plain"])
@pytest.mark.parametrize("case", list(BRANCHES), ids=list(BRANCHES))
def test_the_untaken_branch_contributes_exactly_zero(case, optimize):
    f, points = BRANCHES[case]
    x = np.array(points)
    gradient = _quiet(srcad.grad(f, optimize=optimize), x)
    assert np.all(np.isfinite(gradient)), gradient
    smooth = np.array([np.isfinite(_quiet(branch_gradient, f, x)[i]) and abs(x[i]) not in (0.0, 1.0)
                       for i in range(x.size)])
    expected = _quiet(branch_gradient, f, x)
    np.testing.assert_allclose(gradient[smooth], expected[smooth], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("case", list(BRANCHES), ids=list(BRANCHES))
def test_forward_mode_and_second_order_agree_and_stay_finite(case):
    f, points = BRANCHES[case]
    x = np.array(points)
    gradient = _quiet(srcad.grad(f), x)
    for i in range(x.size):
        direction = np.zeros_like(x)
        direction[i] = 1.0
        _, tangent = _quiet(srcad.jvp(f), x, direction)
        assert tangent == pytest.approx(gradient[i], rel=1e-12, abs=1e-12)
    hessian_vector = _quiet(srcad.hvp(f), x, np.ones_like(x))
    assert np.all(np.isfinite(hessian_vector)), hessian_vector
    nested = _quiet(srcad.grad(lambda v: np.sum(srcad.grad(f)(v))), x)  # reverse over reverse
    np.testing.assert_allclose(nested, hessian_vector, rtol=1e-9, atol=1e-12)


def test_second_order_of_the_untaken_branch_matches_finite_differences():
    x = np.array([-1.0, 0.0, 0.5, 2.0])
    hessian = _quiet(srcad.hessian(entropy_branch), x)
    np.testing.assert_allclose(np.diag(hessian), [0.0, 0.0, 1 / 0.5, 1 / 2.0], rtol=1e-9)
    assert np.count_nonzero(hessian - np.diag(np.diag(hessian))) == 0


def test_a_zero_from_data_masks_a_singular_derivative():
    x, mask = np.array([0.0, 2.0]), np.array([0.0, 1.0])
    for optimize in (True, False):
        np.testing.assert_array_equal(_quiet(srcad.grad(masked_by_data, optimize=optimize), x, mask), [0.0, 0.5])


def unused_sqrt(x):
    return np.sum(0.0 * np.sqrt(x) + 0.0 * x ** 0.5 + x)


def test_a_result_multiplied_by_zero_contributes_zero():
    x = np.array([0.0, 4.0])
    np.testing.assert_array_equal(_quiet(srcad.grad(unused_sqrt), x), [1.0, 1.0])
    np.testing.assert_array_equal(_quiet(srcad.grad(unused_sqrt, optimize=False), x), [1.0, 1.0])


def test_a_cotangent_that_is_not_zero_keeps_an_infinite_derivative():
    def plain_sqrt(x):
        return np.sum(np.sqrt(x))
    gradient = _quiet(srcad.grad(plain_sqrt), np.array([0.0, 4.0]))
    assert gradient[0] == np.inf and gradient[1] == 0.25


def test_a_cotangent_given_to_a_pullback_guards_the_untaken_branch():
    def branch_values(x):
        return np.where(x > 0, x * np.log(x), 0.0)
    x = np.array([0.0, 2.0])
    _, pullback = _quiet(srcad.vjp(branch_values), x)
    np.testing.assert_allclose(_quiet(pullback, np.array([0.0, 1.0])), [0.0, np.log(2.0) + 1.0])


def test_the_guard_is_left_out_where_nothing_can_zero_the_cotangent():
    def smooth(W, lam):
        return lam * np.sum(np.tanh(W) ** 2)
    source = srcad.grad(smooth).source
    assert "cotangent_times" not in source
    assert "cotangent_times" in srcad.grad(log_branch).source


# ------------------------------------------------------------------ stable at |x| = 1000
from srcad import nn  # noqa: E402

EXTREMES = np.array([[1000.0, 1000.0, -1000.0], [-1000.0, 0.5, 3.0]])
WEIGHTS = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.5]])
LABELS = np.array([1, 2])


def _softmax64(x):
    e = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


def _sigmoid64(x):
    return np.exp(-np.logaddexp(0.0, -x))


def logsumexp_rows(x):
    return np.sum(nn.logsumexp(x, axis=-1))


def weighted_softmax(x):
    return np.sum(nn.softmax(x) * WEIGHTS.astype(x.dtype))


def weighted_log_softmax(x):
    return np.sum(nn.log_softmax(x) * WEIGHTS.astype(x.dtype))


def softplus_sum(x):
    return np.sum(nn.softplus(x))


def sigmoid_sum(x):
    return np.sum(nn.sigmoid(x))


def cross_entropy(x):
    return nn.softmax_cross_entropy(x, LABELS)


def tanh_sum(x):
    return np.sum(np.tanh(x))


def _onehot(labels, n):
    return np.eye(n)[labels]


STABLE = {  # the function, and its gradient at EXTREMES worked out in float64
    "logsumexp": (logsumexp_rows, lambda x: _softmax64(x)),
    "softmax": (weighted_softmax, lambda x: _softmax64(x) * (WEIGHTS - np.sum(_softmax64(x) * WEIGHTS, -1,
                                                                                keepdims=True))),
    "log_softmax": (weighted_log_softmax, lambda x: WEIGHTS - _softmax64(x) * np.sum(WEIGHTS, -1, keepdims=True)),
    "softplus": (softplus_sum, _sigmoid64),
    "sigmoid": (sigmoid_sum, lambda x: _sigmoid64(x) * _sigmoid64(-x)),
    "softmax cross-entropy": (cross_entropy, lambda x: (_softmax64(x) - _onehot(LABELS, 3)) / 2),
    "tanh": (tanh_sum, lambda x: 1.0 - np.tanh(x) ** 2),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("case", list(STABLE), ids=list(STABLE))
def test_rules_are_stable_at_a_thousand(case, dtype):
    f, exact = STABLE[case]
    x = EXTREMES.astype(dtype)
    expected = exact(EXTREMES)
    tolerance = dict(rtol=3e-7, atol=1e-7) if dtype == np.float32 else dict(rtol=1e-14, atol=1e-15)
    for optimize in (True, False):
        gradient = srcad.grad(f, optimize=optimize)(x)
        assert gradient.dtype == dtype
        np.testing.assert_allclose(gradient, expected, **tolerance)
    direction = np.zeros_like(x)
    direction[0, 0] = direction[1, 2] = 1
    _, tangent = srcad.jvp(f)(x, direction)
    np.testing.assert_allclose(tangent, expected[0, 0] + expected[1, 2], **tolerance)
    assert np.all(np.isfinite(srcad.hvp(f)(x, direction)))


def logsumexp_all(x):
    return nn.logsumexp(x)


def cross_entropy_one(x):
    return nn.softmax_cross_entropy(x, np.array([0]))


@pytest.mark.parametrize("f", [logsumexp_all, logsumexp_rows, cross_entropy_one])
def test_the_gradient_is_exact_where_the_exact_value_is_representable(f):
    x = np.array([[1000.0, 1000.0, -1000.0]], dtype=np.float32)
    expected = [[0.5, 0.5, 0.0]] if f is not cross_entropy_one else [[-0.5, 0.5, 0.0]]
    np.testing.assert_array_equal(srcad.grad(f)(x), np.array(expected, dtype=np.float32))
    _, tangent = srcad.jvp(f)(x, np.array([[1.0, 0.0, 0.0]], dtype=np.float32))
    assert tangent == expected[0][0]


def test_logsumexp_of_minus_infinity_entries_gives_them_zero():
    x = np.array([0.0, -np.inf, np.log(3.0)])
    np.testing.assert_allclose(srcad.grad(logsumexp_all)(x), [0.25, 0.0, 0.75], rtol=1e-15)


# ------------------------------------------------------------------------------ dtypes
import sys  # noqa: E402

from srcad.runtime.sources import is_generated_file  # noqa: E402


# Before NumPy 2 (NEP 50), a Python float times a NumPy float32 scalar is float64, in the
# user's function as in its derivative; arrays kept float32 under both rules
_SCALARS_PROMOTE = int(np.__version__.split(".")[0]) < 2


def _is_scalar(value):
    return isinstance(value, np.generic) or isinstance(value, np.ndarray) and value.ndim == 0


def float_dtypes_in_generated_code(call):
    """``{variable: dtypes}`` of the float arrays and NumPy floats held by the local variables
    of generated code (every sweep, every helper srcad generated) while ``call()`` runs (only
    arrays under NumPy 1's promotion of scalars)."""
    seen = {}

    def local(frame, event, arg):
        for variable, value in frame.f_locals.items():
            dtype = getattr(value, "dtype", None)
            if _SCALARS_PROMOTE and _is_scalar(value):
                continue
            if isinstance(dtype, np.dtype) and dtype.kind == "f":
                seen.setdefault(f"{frame.f_code.co_name}.{variable}", set()).add(dtype)
        return local

    def calls(frame, event, arg):
        return local if is_generated_file(frame.f_code.co_filename) else None

    previous = sys.gettrace()
    sys.settrace(calls)
    try:
        result = call()
    finally:
        sys.settrace(previous)
    return seen, result


def mlp(W1, W2, X, y, lam):
    H = np.maximum(0.0, X @ W1)
    U = H @ W2
    return nn.softmax_cross_entropy(U, y) + lam * (np.sum(W1 ** 2) + np.sum(W2 ** 2))


def rnn(Wx, Wh, xs):
    h = np.zeros(Wh.shape[0], dtype=Wh.dtype)
    for t in range(xs.shape[0]):
        h = np.tanh(Wx @ xs[t] + Wh @ h)
    return np.sum(h ** 2) / 2.0 + np.sum(np.where(h > 0, np.log(np.abs(h) + 1e-3), 0.0))


def _float32_mlp():
    rng = np.random.default_rng(1)
    return (rng.normal(size=(4, 5)).astype(np.float32), rng.normal(size=(5, 3)).astype(np.float32),
            rng.normal(size=(6, 4)).astype(np.float32), rng.integers(0, 3, 6), 0.01)


def _float32_rnn():
    rng = np.random.default_rng(2)
    return tuple(rng.normal(size=shape).astype(np.float32) * 0.5 for shape in [(3, 2), (3, 3), (4, 2)])


@pytest.mark.parametrize("transform", ["grad", "grad plain", "hvp", "jvp"])
@pytest.mark.parametrize("program", ["mlp", "rnn"])
def test_float32_code_stays_float32_end_to_end(program, transform):
    f, args = (mlp, _float32_mlp()) if program == "mlp" else (rnn, _float32_rnn())
    wrt = (0, 1)
    floats = [args[0], args[1]]
    calls = {
        "grad": lambda: srcad.grad(f, wrt=wrt)(*args),
        "grad plain": lambda: srcad.grad(f, wrt=wrt, optimize=False)(*args),
        "hvp": lambda: srcad.hvp(f, wrt=wrt)(*args, tuple(floats)),
        "jvp": lambda: srcad.jvp(f, wrt=wrt)(*args, *floats),
    }
    seen, result = _quiet(float_dtypes_in_generated_code, calls[transform])
    wider = {variable: dtypes for variable, dtypes in seen.items() if dtypes != {np.dtype(np.float32)}}
    assert seen and not wider, wider
    for leaf in (result if isinstance(result, tuple) else (result,)):
        assert np.asarray(leaf).dtype == np.float32 or _SCALARS_PROMOTE and np.ndim(leaf) == 0


def product_of_two(a, b):
    return np.sum(np.tanh(a) * b)


def test_mixed_float32_and_float64_follow_numpy_and_each_gradient_keeps_its_dtype():
    a, b = np.array([0.5, -1.0], dtype=np.float32), np.array([2.0, 3.0])
    da, db = srcad.grad(product_of_two, wrt=(0, 1))(a, b)
    assert da.dtype == np.float32 and db.dtype == np.float64
    np.testing.assert_allclose(da, (1 - np.tanh(a.astype(float)) ** 2) * b, rtol=1e-6)
    np.testing.assert_allclose(db, np.tanh(a.astype(float)), rtol=1e-6)


def test_float16_works_in_float16():
    x = np.array([0.5, -1.0, 2.0], dtype=np.float16)
    gradient = srcad.grad(tanh_sum)(x)
    assert gradient.dtype == np.float16
    np.testing.assert_allclose(gradient, 1 - np.tanh(x.astype(float)) ** 2, rtol=5e-3)
