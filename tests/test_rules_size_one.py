"""Every rule case once more with arrays of one element: shapes (1,), (1, 1), ... and 0-d.

A result of one element is where shapes are easiest to get wrong: ``grad`` accepts it as a
scalar output, so the derivative the rules receive is that of the whole output. Each case of
the rule tests is shrunk (every float array argument, also inside lists, to the same number of
axes of length 1, or to a 0-d array); the variants the op itself accepts are checked at
template level (finite differences, forward against reverse) and, when the result has one
element, through ``srcad.grad`` (optimised and not) against finite differences.
"""
import numpy as np
import pytest

import srcad
import test_rules_builtins
import test_rules_math
import test_rules_numpy
import test_rules_operators
from gradcheck import numerical_gradient
from rule_harness import CHECKS, SUBSCRIPTS, call, check_by_kind, finite_difference, inner, is_float, random_like
from test_rules_through_grad import _calling

MODULES = (test_rules_operators, test_rules_numpy, test_rules_math, test_rules_builtins)


def _shrunk(value, zero_d):
    """``value`` with each float array of it shrunk to one element (0-d when ``zero_d``)."""
    if isinstance(value, (list, tuple)):
        return type(value)(_shrunk(item, zero_d) for item in value)
    if isinstance(value, np.ndarray) and is_float(value) and value.ndim:
        first = value.reshape(-1)[:1]
        return first.reshape(()) if zero_d else first.reshape((1,) * value.ndim)
    return value


def _applies(op, args, kwargs):
    """The op accepts the shrunk arguments and gives finite values (``ddof=1`` of one element
    does not)."""
    try:
        with np.errstate(all="raise"):
            result = call(op, args, kwargs)
    except Exception:  # noqa: BLE001 - the op refuses these shapes: the variant does not apply
        return False
    return all(np.all(np.isfinite(item)) for item in (result if isinstance(result, (list, tuple)) else [result]))


def _variants():
    seen = set()
    for module in MODULES:
        for param in module.CASES:
            op, args, kwargs, wrt = param.values
            for zero_d in (False, True):
                shrunk = _shrunk(list(args), zero_d)
                key = (param.id, repr(shrunk))
                if repr(shrunk) == repr(list(args)) or key in seen or not _applies(op, shrunk, kwargs):
                    continue
                seen.add(key)
                label = "0d" if zero_d else "ones"
                yield pytest.param(op, tuple(shrunk), kwargs, wrt, id=f"{module.__name__[11:]}-{param.id}-{label}")


VARIANTS = list(_variants())


def test_the_sweep_covers_the_rules_with_array_arguments():
    shrunk_ops = {v.values[0] for v in VARIANTS}
    for op in (np.sort, np.einsum, np.tensordot, np.concatenate, np.std, np.var, np.power, np.sum):
        assert op in shrunk_ops


@pytest.mark.parametrize("kind", sorted(CHECKS))
@pytest.mark.parametrize("op, args, kwargs, wrt", VARIANTS)
def test_rule_of_one_element_against_finite_differences_and_its_twin(kind, op, args, kwargs, wrt):
    check_by_kind(kind, op, list(args), kwargs, wrt)


def _one_element_outputs():
    for param in VARIANTS:
        op, args, kwargs, wrt = param.values
        positions = [p for p in (wrt or range(len(args))) if isinstance(p, int) and is_float(args[p])]
        result = call(op, list(args), kwargs)
        if callable(op) and op not in SUBSCRIPTS and positions and not isinstance(result, (list, tuple)) \
                and np.size(result) == 1:
            yield pytest.param(op, args, kwargs, tuple(positions), id=param.id)


@pytest.mark.parametrize("optimize", [True, False], ids=["optimized", "unoptimized"])
@pytest.mark.parametrize("op, args, kwargs, wrt", list(_one_element_outputs()))
def test_grad_of_a_one_element_result_matches_finite_differences(op, args, kwargs, wrt, optimize):
    apply = _calling(op, len(args), kwargs)
    grads = srcad.grad(apply, wrt=wrt, optimize=optimize)(*args)
    rng = np.random.default_rng(0)
    for position, grad in zip(wrt, grads):
        v = random_like(args[position], rng)
        expected = inner(1.0, finite_difference(op, list(args), kwargs, position, v))
        assert np.shape(grad) == np.shape(args[position])
        assert inner(grad, v) == pytest.approx(expected, rel=1e-5, abs=1e-7)


# ----------------------------------------------- the reproducers, as users write them


def _sort(x):
    return np.sort(x)


def _transpose(x):
    return np.einsum("ij->ji", x)


def _outer(x):
    return np.tensordot(x, x, axes=0)


def _join(x):
    return np.concatenate([x])


@pytest.mark.parametrize("function", [_sort, _transpose, _outer, _join], ids=lambda f: f.__name__[1:])
@pytest.mark.parametrize("shape", [(1,), (1, 1)], ids=str)
@pytest.mark.parametrize("optimize", [True, False], ids=["optimized", "unoptimized"])
def test_one_element_results_of_joins_and_permutations(function, shape, optimize):
    if function is _transpose and len(shape) != 2:
        shape = (1, 1)
    x = np.full(shape, 1.5)
    grad = srcad.grad(function, optimize=optimize)(x)
    np.testing.assert_allclose(grad, numerical_gradient(lambda a: np.sum(function(a)), [x], 0))
    value, pullback = srcad.vjp(function)(x)
    np.testing.assert_allclose(pullback(np.ones_like(value)), grad)
    _, tangent = srcad.jvp(function)(x, np.ones_like(x))
    assert np.sum(tangent) == pytest.approx(np.sum(grad))


def _power_zero(x):
    return np.power(x, 0.0)


def _pow_zero(x):
    return x ** 0.0


def _power_of(x, p):
    return np.sum(np.power(x, p))


@pytest.mark.parametrize("function", [_power_zero, _pow_zero], ids=["np.power", "**"])
@pytest.mark.parametrize("x", [0.0, np.zeros(1), np.zeros(()), np.array([0.0, 2.0])], ids=repr)
def test_power_of_zero_exponent_has_zero_derivative_at_zero(function, x):
    with np.errstate(all="raise"):
        if np.size(x) == 1:
            assert np.all(srcad.grad(function)(x) == 0.0)
        _, tangent = srcad.jvp(function)(x, np.ones_like(x) if np.ndim(x) else 1.0)
        assert np.all(tangent == 0.0)
        _, pullback = srcad.vjp(function)(x)
        assert np.all(pullback(np.ones_like(x) if np.ndim(x) else 1.0) == 0.0)


def test_power_with_a_run_time_zero_exponent_is_exact_at_zero():
    x, p = np.array([0.0, 0.5, 2.0]), np.array([0.0, 0.0, 2.0])
    np.testing.assert_array_equal(srcad.grad(_power_of)(x, p), [0.0, 0.0, 4.0])
    hessian_diagonal = srcad.hvp(_power_of)(x, p, np.ones(3))
    np.testing.assert_array_equal(hessian_diagonal, [0.0, 0.0, 2.0])


def _std(x):
    return np.std(x)


def _var(x):
    return np.var(x)


def _std_rows(x):
    return np.sum(np.std(x, axis=1))


@pytest.mark.parametrize("function, shape", [(_std, (1,)), (_std, (1, 1)), (_var, (1,)), (_var, (1, 1)),
                                             (_std_rows, (1, 1)), (_std_rows, (3, 1))])
def test_spread_of_one_element_has_zero_derivative(function, shape):
    x = np.linspace(0.5, 1.5, int(np.prod(shape))).reshape(shape)
    with np.errstate(all="raise"):
        np.testing.assert_array_equal(srcad.grad(function)(x), np.zeros(shape))
        np.testing.assert_array_equal(srcad.grad(function, optimize=False)(x), np.zeros(shape))
        _, tangent = srcad.jvp(function)(x, np.ones(shape))
        assert tangent == 0.0
