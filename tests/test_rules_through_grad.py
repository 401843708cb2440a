"""Every rule once more, through the engine: ``srcad.vjp`` of a function that calls the op.

The rule tests run each template on its own; these run what the engine makes of it
(parameters bound by keyword, defaults, constants folded, broadcasting undone) and
compare with central finite differences of the op, in float64.
"""
import itertools
import linecache
import math

import numpy as np
import pytest

import srcad
import test_rules_builtins
import test_rules_linalg
import test_rules_math
import test_rules_numpy
import test_rules_operators
import test_rules_scipy
from gradcheck import numerical_gradient
from rule_harness import H, SUBSCRIPTS, default_leaves, inner, is_float, random_like

_counter = itertools.count()


def _cases():
    for module in (test_rules_operators, test_rules_numpy, test_rules_linalg, test_rules_math, test_rules_builtins,
                   test_rules_scipy):
        for param in module.CASES:
            op, args, kwargs, wrt = param.values
            leaves = default_leaves(args) if wrt is None else wrt
            # the engine differentiates whole arguments; list items and keywords are covered by the rule tests
            positions = [leaf for leaf in leaves if isinstance(leaf, int) and is_float(args[leaf])]
            if callable(op) and op not in SUBSCRIPTS and positions and len(positions) == len(leaves):
                yield pytest.param(op, args, kwargs, tuple(positions), id=f"{module.__name__[11:]}-{param.id}")


def _calling(op, n_args, kwargs, returns="{call}"):
    """``def apply(a0, a1, ...): return op(a0, a1, ..., key=value)``, with a source file;
    ``returns`` may put the call in a larger expression (``np`` is NumPy)."""
    params = [f"a{i}" for i in range(n_args)]
    keywords = [f"{key}=keywords[{key!r}]" for key in kwargs]
    expression = returns.format(call=f"op({', '.join(params + keywords)})")
    source = f"def apply({', '.join(params)}):\n    return {expression}\n"
    filename = f"<rule through grad {next(_counter)}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
    scope = {"op": op, "keywords": kwargs, "np": np}
    exec(compile(source, filename, "exec"), scope)  # noqa: S102
    return scope["apply"]


def _moved(args, position, step):
    changed = list(args)
    changed[position] = args[position] + step
    return changed


@pytest.mark.parametrize("op, args, kwargs, wrt", list(_cases()))
def test_vjp_of_a_call_matches_finite_differences(op, args, kwargs, wrt):
    apply = _calling(op, len(args), kwargs)
    rng = np.random.default_rng(0)
    out, pullback = srcad.vjp(apply, wrt=wrt)(*args)
    g = random_like(out, rng)
    grads = pullback(g)  # a tuple, as wrt is one
    for position, grad in zip(wrt, grads):
        v = random_like(args[position], rng)
        plus, minus = apply(*_moved(args, position, H * v)), apply(*_moved(args, position, -H * v))
        expected = (inner(g, plus) - inner(g, minus)) / (2 * H)
        assert np.shape(grad) == np.shape(args[position])
        assert inner(grad, v) == pytest.approx(expected, rel=1e-5, abs=1e-7)


@pytest.mark.parametrize("op, args, kwargs, wrt", list(_cases()))
def test_jvp_of_a_call_matches_finite_differences(op, args, kwargs, wrt):
    apply = _calling(op, len(args), kwargs)
    rng = np.random.default_rng(1)
    tangents = [random_like(args[position], rng) for position in wrt]
    _, tangent_out = srcad.jvp(apply, wrt=wrt)(*args, *tangents)
    plus, minus = list(args), list(args)
    for position, v in zip(wrt, tangents):
        plus[position] = args[position] + H * v
        minus[position] = args[position] - H * v
    g = random_like(apply(*args), rng)
    expected = (inner(g, apply(*plus)) - inner(g, apply(*minus))) / (2 * H)
    assert inner(g, tangent_out) == pytest.approx(expected, rel=1e-5, abs=1e-7)


# ------------------------------ functions that were once taken for constants, as users write them

def _percent(x, y):
    return np.sum((x % y) * x)


def _mod(x, y):
    return np.sum(np.mod(x, y) ** 2 + np.remainder(y, x))


def _fmod(x, y):
    return np.sum(np.fmod(x, y) * y)


def _math_fmod(x, y):
    return math.fmod(x, y) * y + math.remainder(y, x) * x


def _linspace(x, y):
    return np.sum(np.linspace(x[0], y[1], 5) ** 2) + np.sum(np.linspace(x, y, 3, axis=-1) * x[:, None])


def _full(x, y):
    return np.sum(np.full((2, 3), x[0]) * y[1]) + np.sum(np.full_like(y, x[1]) ** 2)


def _arange(x, y):
    return np.sum(np.arange(x[0], 4.0, y[0] * y[0] + 0.5) ** 2)


def _einsum_sublist(x, y):
    a, b = np.outer(x, y), np.outer(y, x * x)
    return np.sum(np.einsum(a, [0, 1], b, [1, 2], [0, 2]) ** 2) + np.einsum(x, [0], y, [0], [])


def _einsum_string(x, y):
    a, b = np.outer(x, y), np.outer(y, x * x)
    return np.sum(np.einsum("ij,jk->ik", a, b) ** 2) + np.einsum("i,i->", x, y)


def _shifts(x, y):
    return np.sum(np.roll(x, 1) * y ** 2) + np.sum(np.diff(x * y) ** 2) + np.sum(np.pad(x, 2, mode="reflect") ** 3) \
        + np.sum(np.pad(np.outer(x, y), 1, mode="edge") * np.rot90(np.outer(y, y)).sum())


def _products(x, y):
    return np.sum(np.kron(x, y * y) ** 2) + np.sum(np.convolve(x, y, "same") ** 2) \
        + np.sum(np.cross(x, y) ** 2) + np.sum(np.cumprod(x * x + 1.0)) + np.sum(np.float_power(y * y, 1.5))


def _positions(x, y):
    return np.median(x * y) ** 2 + np.sum(np.take_along_axis(x * y, np.array([2, 0, 0]), axis=0) ** 2) \
        + np.sum(np.partition(x + y, 1) * np.array([1.0, 2.0, 3.0])) ** 2 \
        + np.sum(np.append(x, y * y) ** 2) + np.sum(np.atleast_2d(x) @ np.atleast_2d(y).T) ** 2


X, Y = np.array([1.37, -2.21, 0.83]), np.array([0.71, 1.29, -0.93])
REPRODUCERS = [_percent, _mod, _fmod, _linspace, _full, _arange, _einsum_sublist, _shifts, _products, _positions]


def test_the_sublist_form_of_einsum_is_the_string_form():
    np.testing.assert_allclose(srcad.grad(_einsum_sublist, wrt=(0, 1))(X, Y),
                               srcad.grad(_einsum_string, wrt=(0, 1))(X, Y), rtol=1e-12)


def _numerical(f, args, position, step=1e-6):
    return numerical_gradient(f, args, position, step)


@pytest.mark.parametrize("optimize", [True, False], ids=["optimized", "unoptimized"])
@pytest.mark.parametrize("f", REPRODUCERS + [_math_fmod], ids=lambda f: f.__name__[1:])
def test_grad_of_a_function_that_was_a_constant(f, optimize):
    args = [2.37, -0.61] if f is _math_fmod else [X, Y]
    grads = srcad.grad(f, wrt=(0, 1), optimize=optimize)(*args)
    for position, grad in enumerate(grads):
        np.testing.assert_allclose(grad, _numerical(f, args, position), rtol=1e-6, atol=1e-8)
        assert np.any(grad != 0.0)


@pytest.mark.parametrize("f", REPRODUCERS + [_math_fmod], ids=lambda f: f.__name__[1:])
def test_jvp_agrees_with_vjp(f):
    args = [2.37, -0.61] if f is _math_fmod else [X, Y]
    rng = np.random.default_rng(3)
    tangents = [random_like(a, rng) for a in args]
    _, forward = srcad.jvp(f, wrt=(0, 1))(*args, *tangents)
    _, pullback = srcad.vjp(f, wrt=(0, 1))(*args)
    grads = pullback(1.0)
    assert forward == pytest.approx(sum(inner(g, t) for g, t in zip(grads, tangents)), rel=1e-12)


@pytest.mark.parametrize("f", REPRODUCERS + [_einsum_string], ids=lambda f: f.__name__[1:])
def test_second_order_matches_differences_of_the_gradient(f):
    v = np.array([0.3, -0.7, 0.4])
    df = srcad.grad(f)
    expected = (df(X + 1e-5 * v, Y) - df(X - 1e-5 * v, Y)) / 2e-5
    np.testing.assert_allclose(srcad.hvp(f)(X, Y, v), expected, rtol=1e-5, atol=1e-7)


DIRECTION = np.array([0.3, -0.7, 0.4])


def _percent_slope(x, y):
    return np.sum(srcad.grad(_percent)(x, y) * DIRECTION)


def _linspace_slope(x, y):
    return np.sum(srcad.grad(_linspace)(x, y) * DIRECTION)


def _shifts_slope(x, y):
    return np.sum(srcad.grad(_shifts)(x, y) * DIRECTION)


def _products_slope(x, y):
    return np.sum(srcad.grad(_products)(x, y) * DIRECTION)


def _positions_slope(x, y):
    return np.sum(srcad.grad(_positions)(x, y) * DIRECTION)


@pytest.mark.parametrize("f, slope", [(_percent, _percent_slope), (_linspace, _linspace_slope),
                                      (_shifts, _shifts_slope), (_products, _products_slope),
                                      (_positions, _positions_slope)],
                         ids=["percent", "linspace", "shifts", "products", "positions"])
def test_grad_of_grad_matches_differences_of_the_gradient(f, slope):
    df = srcad.grad(f)
    expected = (df(X + 1e-5 * DIRECTION, Y) - df(X - 1e-5 * DIRECTION, Y)) / 2e-5
    np.testing.assert_allclose(srcad.grad(slope)(X, Y), expected, rtol=1e-5, atol=1e-7)


# ----------------------------------------- np.r_ and np.c_, as users write them (and refusals)

from numpy import r_  # noqa: E402 - the bare name must be found as np.r_ is


def _r(x, y):
    return np.sum(np.r_[x, 2.0 * y, 0:3] ** 2) + np.sum(np.r_[x[0], y] * np.r_[0.0:1.0:4j])


def _c(x, y):
    return np.sum(np.c_[x, y * y, x] @ np.array([1.0, -2.0, 0.5]))


def _bare_r(x, y):
    return np.sum(r_["0,2", x, y] ** 3)


JOINS = [_r, _c, _bare_r]


@pytest.mark.parametrize("optimize", [True, False], ids=["optimized", "unoptimized"])
@pytest.mark.parametrize("f", JOINS, ids=lambda f: f.__name__[1:])
def test_joins_by_subscript_match_finite_differences(f, optimize):
    grads = srcad.grad(f, wrt=(0, 1), optimize=optimize)(X, Y)
    for position, grad in enumerate(grads):
        np.testing.assert_allclose(grad, _numerical(f, [X, Y], position), rtol=1e-6, atol=1e-8)
    rng = np.random.default_rng(4)
    tangents = [random_like(X, rng), random_like(Y, rng)]
    _, forward = srcad.jvp(f, wrt=(0, 1))(X, Y, *tangents)
    assert forward == pytest.approx(sum(inner(g, t) for g, t in zip(grads, tangents)), rel=1e-12)
    v = np.array([0.3, -0.7, 0.4])
    expected = (srcad.grad(f)(X + 1e-5 * v, Y) - srcad.grad(f)(X - 1e-5 * v, Y)) / 2e-5
    np.testing.assert_allclose(srcad.hvp(f)(X, Y, v), expected, rtol=1e-5, atol=1e-7)


def _index_expression(x):
    return np.sum(X[np.s_[x[0]:]])


def _float_index(x):
    return np.sum(Y[x.astype(int)])


def _aliased_r(x):
    join = np.r_
    return np.sum(join[x, x])


def test_an_index_cast_to_integers_carries_no_derivative():
    # x.astype(int) is piecewise constant (its dtype bound by position as by keyword): zero
    np.testing.assert_array_equal(srcad.grad(_float_index)(np.array([1.0, 2.0])), [0.0, 0.0])


def test_a_slice_bound_that_is_not_an_integer_fails_as_the_function_does():
    # an index made of slices carries no derivative: a float bound fails in NumPy, in the
    # function and in its derivative alike
    with pytest.raises(TypeError, match="slice indices"):
        _index_expression(np.array([1.0, 2.0]))
    with pytest.raises(TypeError, match="slice indices"):
        srcad.grad(_index_expression)(np.array([1.0, 2.0]))


def _sliced_by_a_parameter(x, n):
    return np.sum(x[np.s_[1:n]] ** 2) + np.sum(x[np.index_exp[:n:2]] ** 3)


def test_an_index_of_slices_with_bounds_from_the_arguments_is_differentiated():
    x = np.array([0.5, -1.0, 2.0, 0.25])
    expected = np.array([3 * 0.25, -2.0, 4.0 + 12.0, 0.0])
    np.testing.assert_allclose(srcad.grad(_sliced_by_a_parameter)(x, 3), expected)
    _, tangent = srcad.jvp(_sliced_by_a_parameter)(x, 3, np.ones(4))
    assert tangent == pytest.approx(np.sum(expected))
    np.testing.assert_allclose(srcad.hvp(_sliced_by_a_parameter)(x, 3, np.ones(4)), [6 * 0.5, 2.0, 2.0 + 12.0, 0.0])


@pytest.mark.parametrize("f", [_aliased_r], ids=lambda f: f.__name__[1:])
def test_an_index_that_carries_a_derivative_is_refused(f):
    with pytest.raises(srcad.NonDifferentiableError, match="test_rules_through_grad.py"):
        srcad.grad(f)(np.array([1.0, 2.0]))
    with pytest.raises(srcad.NonDifferentiableError, match="test_rules_through_grad.py"):
        srcad.vjp(f)(np.array([1.0, 2.0]))
    with pytest.raises(srcad.NonDifferentiableError, match="test_rules_through_grad.py"):
        srcad.jvp(f)(np.array([1.0, 2.0]), np.array([1.0, -1.0]))


def _einsum_of_a_row(x):
    return np.sum(np.einsum("ij,j->i", x, x[0]))


def _einsum_sublist_square(x):
    return np.sum(np.einsum(x, [0, 1], x, [1, 2], [0, 2]) ** 2)


@pytest.mark.parametrize("f, shape", [(_einsum_of_a_row, (2, 3)), (_einsum_sublist_square, (3, 3))],
                         ids=["row", "sublist-square"])
def test_hvp_through_einsum_matches_differences_of_the_gradient(f, shape):
    rng = np.random.default_rng(8)
    x, v = rng.normal(size=shape), rng.normal(size=shape)
    df = srcad.grad(f)
    expected = (df(x + 1e-6 * v) - df(x - 1e-6 * v)) / 2e-6
    np.testing.assert_allclose(srcad.hvp(f)(x, v), expected, rtol=1e-5, atol=1e-6)


# ------------------------------------ a cast to integers is piecewise constant, to floats is not

def _astype_int(x):
    return np.sum(x.astype(int) * 2.0) + np.sum(x)


def _array_int(x):
    return np.sum(np.array(x, dtype=int) * 2.0) + np.sum(np.asarray(x, dtype=np.int64) * x)


def _astype_float32(x):
    return np.sum(x.astype(np.float32) * 2.0)


@pytest.mark.parametrize("f", [_astype_int, _array_int, _astype_float32], ids=lambda f: f.__name__[1:])
@pytest.mark.parametrize("optimize", [True, False], ids=["optimized", "unoptimized"])
def test_casts_to_integers_carry_no_derivative(f, optimize):
    x = np.array([1.37, -2.21, 0.83])
    grad = srcad.grad(f, optimize=optimize)(x)
    exact = {_astype_int: np.ones(3), _array_int: x.astype(int), _astype_float32: np.full(3, 2.0)}[f]
    np.testing.assert_allclose(grad, exact, rtol=1e-12)
    if f is not _astype_float32:  # (float32 is too coarse for differences of this step)
        np.testing.assert_allclose(grad, numerical_gradient(f, [x], 0), rtol=1e-6, atol=1e-8)
    _, tangent = srcad.jvp(f)(x, np.ones(3))
    assert tangent == pytest.approx(np.sum(grad))
