"""The functions with no derivative (``srcad/rules/no_derivative.py``): each entry is checked.

Every entry with a float argument is called at random points: its finite differences are zero
(piecewise constant, integer or bool results; random draws with the generator reset before each
call), and ``srcad.grad``/``srcad.jvp`` of a function calling it give zero. The list on
docs/rules.md is the module's (``python tests/test_rules_no_derivative.py`` rewrites it).
"""
import math
import operator
import pathlib
import re
import sys

import numpy as np
import pytest

import srcad
from rule_harness import H, finite_difference, inner, random_like
from srcad.rules import no_derivative
from srcad.rules.registry import NONDIFFERENTIABLE
from gradcheck import assert_modes_agree
from test_rules_through_grad import _calling

RNG = np.random.default_rng(5)
X = RNG.uniform(-2.0, 2.0, (3, 4)) + 0.01  # no integers, no ties, no zeros
Y = RNG.uniform(-2.0, 2.0, (3, 4)) + 0.01
V = RNG.uniform(0.1, 0.9, (4,))
SORTED = np.sort(RNG.uniform(-2.0, 2.0, 6))
PROBABILITY = 0.37
DOCS = pathlib.Path(__file__).resolve().parent.parent / "docs" / "rules.md"


def _seeded(draw):
    """The draw with NumPy's global generator reset first: the same numbers every call."""
    def call(*args, **kwargs):
        np.random.seed(0)
        return draw(*args, **kwargs)
    return call


def _generator(method):
    """``method`` of a fresh generator seeded the same way every call."""
    def call(*args, **kwargs):
        return method(np.random.default_rng(0), *args, **kwargs)
    return call


# entry -> calls at points with float arguments: (how to call it, args, positions of floats)
SAMPLES = {
    operator.lt: [(operator.lt, (X, Y), (0, 1))], operator.le: [(operator.le, (X, Y), (0, 1))],
    operator.gt: [(operator.gt, (X, Y), (0, 1))], operator.ge: [(operator.ge, (X, Y), (0, 1))],
    operator.eq: [(operator.eq, (X, Y), (0, 1))], operator.ne: [(operator.ne, (X, Y), (0, 1))],
    operator.not_: [(operator.not_, (0.7,), (0,))], operator.truth: [(operator.truth, (0.7,), (0,))],
    operator.is_: [(operator.is_, (0.7, 0.2), (0, 1))], operator.is_not: [(operator.is_not, (0.7, 0.2), (0, 1))],
    operator.contains: [(operator.contains, (X, 0.3), (0, 1))],
    np.equal: [(np.equal, (X, Y), (0, 1))], np.not_equal: [(np.not_equal, (X, Y), (0, 1))],
    np.less: [(np.less, (X, Y), (0, 1))], np.less_equal: [(np.less_equal, (X, Y), (0, 1))],
    np.greater: [(np.greater, (X, Y), (0, 1))], np.greater_equal: [(np.greater_equal, (X, Y), (0, 1))],
    np.isnan: [(np.isnan, (X,), (0,))], np.isinf: [(np.isinf, (X,), (0,))],
    np.isfinite: [(np.isfinite, (X,), (0,))], np.isclose: [(np.isclose, (X, Y), (0, 1))],
    np.allclose: [(np.allclose, (X, Y), (0, 1))], np.array_equal: [(np.array_equal, (X, Y), (0, 1))],
    np.signbit: [(np.signbit, (X,), (0,))],
    np.logical_and: [(np.logical_and, (X, Y), (0, 1))], np.logical_or: [(np.logical_or, (X, Y), (0, 1))],
    np.logical_not: [(np.logical_not, (X,), (0,))], np.logical_xor: [(np.logical_xor, (X, Y), (0, 1))],
    np.all: [(np.all, (X,), (0,))], np.any: [(np.any, (X,), (0,))],
    np.ndarray.all: [(np.ndarray.all, (X,), (0,))], np.ndarray.any: [(np.ndarray.any, (X,), (0,))],
    math.isnan: [(math.isnan, (0.7,), (0,))], math.isinf: [(math.isinf, (0.7,), (0,))],
    math.isfinite: [(math.isfinite, (0.7,), (0,))], math.isclose: [(math.isclose, (0.7, 0.2), (0, 1))],
    bool: [(bool, (0.7,), (0,))], isinstance: [(isinstance, (0.7, float), (0,))],
    np.sign: [(np.sign, (X,), (0,))], np.floor: [(np.floor, (X,), (0,))], np.ceil: [(np.ceil, (X,), (0,))],
    np.round: [(np.round, (X,), (0,)), (np.round, (X, 1), (0,))], np.around: [(np.around, (X,), (0,))],
    np.rint: [(np.rint, (X,), (0,))], np.trunc: [(np.trunc, (X,), (0,))], np.fix: [(np.fix, (X,), (0,))],
    np.floor_divide: [(np.floor_divide, (X, Y), (0, 1))],
    operator.floordiv: [(operator.floordiv, (X, Y), (0, 1)), (operator.floordiv, (2.7, 0.4), (0, 1))],
    math.floor: [(math.floor, (2.7,), (0,))], math.ceil: [(math.ceil, (2.7,), (0,))],
    math.trunc: [(math.trunc, (-2.7,), (0,))], round: [(round, (2.7,), (0,)), (round, (2.73, 1), (0,))],
    int: [(int, (2.7,), (0,))],
    np.argmax: [(np.argmax, (X,), (0,))], np.argmin: [(np.argmin, (X,), (0,))],
    np.argsort: [(np.argsort, (X,), (0,))], np.nonzero: [(np.nonzero, (X,), (0,))],
    np.flatnonzero: [(np.flatnonzero, (X,), (0,))], np.count_nonzero: [(np.count_nonzero, (X,), (0,))],
    np.searchsorted: [(np.searchsorted, (SORTED, X), (0, 1))],
    np.ndarray.argmax: [(np.ndarray.argmax, (X,), (0,))], np.ndarray.argmin: [(np.ndarray.argmin, (X,), (0,))],
    np.ndarray.argsort: [(np.ndarray.argsort, (X,), (0,))], np.ndarray.nonzero: [(np.ndarray.nonzero, (X,), (0,))],
    np.zeros_like: [(np.zeros_like, (X,), (0,))], np.ones_like: [(np.ones_like, (X,), (0,))],
    np.empty_like: [(lambda x: np.empty_like(x) * 0.0, (X,), (0,))],
    np.shape: [(np.shape, (X,), (0,))], np.ndim: [(np.ndim, (X,), (0,))], np.size: [(np.size, (X,), (0,))],
    len: [(len, (X,), (0,))],
    np.random.binomial: [(_seeded(np.random.binomial), (10, PROBABILITY), (1,))],
    np.random.poisson: [(_seeded(np.random.poisson), (2.5, 5), (0,))],
    np.random.Generator.binomial: [(_generator(np.random.Generator.binomial), (10, PROBABILITY), (1,))],
    np.random.Generator.poisson: [(_generator(np.random.Generator.poisson), (2.5, 5), (0,))],
    no_derivative.zeros_like: [(no_derivative.zeros_like, (X,), (0,))],
    no_derivative.reduction_size: [(no_derivative.reduction_size, (X,), (0,))],
    no_derivative.extremum_partials: [(lambda x: no_derivative.extremum_partials(x, np.max(x)), (X,), (0,))],
    no_derivative.within: [(no_derivative.within, (X, -0.5, 0.5), (0, 1, 2))],
    no_derivative.at_low_bound: [(no_derivative.at_low_bound, (X, -0.5, 0.5), (0, 1, 2))],
    no_derivative.at_high_bound: [(no_derivative.at_high_bound, (X, -0.5, 0.5), (0, 1, 2))],
    no_derivative.unreached: [(no_derivative.unreached, (X, X), (0, 1))],
    no_derivative.arange_start_slope: [(no_derivative.arange_start_slope, (X, 2.0), (0,))],
    no_derivative.linspace_fractions: [(no_derivative.linspace_fractions, (np.linspace(X, Y, 3), 3), (0,))],
    no_derivative.median_partials: [(no_derivative.median_partials, (X,), (0,))],
    no_derivative.partition_order: [(lambda x: no_derivative.partition_order(x, np.partition(x, 1)), (X,), (0,))],
}
# entries without a float argument to move: their arguments are shapes, counts, seeds, objects
NO_FLOAT_ARGUMENT = {
    operator.and_, operator.or_, operator.xor, operator.invert, operator.index,
    math.factorial, math.gcd, math.comb, math.perm,
    np.zeros, np.ones, np.empty, np.eye, np.identity,
    np.ndarray.shape, np.ndarray.ndim, np.ndarray.size, np.ndarray.dtype, range, dict.keys,
    np.random.seed, np.random.rand, np.random.randn, np.random.randint, np.random.random,
    np.random.random_sample, np.random.standard_normal, np.random.default_rng,
    np.random.Generator.random, np.random.Generator.standard_normal, np.random.Generator.integers,
    no_derivative.zeros_buffer, no_derivative.check_scalar_output, no_derivative.Tape,
    no_derivative.joins, no_derivative.repeats, no_derivative.is_mapping, no_derivative.check_rebinding, no_derivative.insertion_index,
    no_derivative.pop_index, no_derivative.rolled_axes, no_derivative.negated,
}
ENTRIES = [op for group in no_derivative.NO_DERIVATIVE.values() for op in group]


def _name(op):
    for prefix, module in (("np.random.Generator.", np.random.Generator), ("np.ndarray.", np.ndarray),
                           ("np.random.", np.random), ("np.", np), ("math.", math),
                           ("operator.", operator), ("dict.", dict), ("", __builtins__ if isinstance(
                               __builtins__, dict) else vars(__builtins__))):
        attributes = module if isinstance(module, dict) else vars(module)
        found = [name for name, value in attributes.items() if value is op and not name.startswith("_")]
        if found:
            return prefix + sorted(found, key=len)[0]
    return f"srcad.runtime.{op.__name__}"


def test_every_entry_is_sampled_or_takes_no_float():
    assert {_name(op) for op in ENTRIES if op not in SAMPLES and op not in NO_FLOAT_ARGUMENT} == set()
    assert set(SAMPLES) | NO_FLOAT_ARGUMENT == set(ENTRIES)


def test_no_other_library_function_is_declared_without_derivative():
    declared_elsewhere = {op for op in NONDIFFERENTIABLE if op not in ENTRIES}
    modules = {getattr(op, "__module__", None) for op in declared_elsewhere}
    # srcad.nn declares its own bookkeeping (as a user's library would), srcad itself stop_gradient,
    # and resolve.py one marker object for comparisons and and/or/not
    assert modules <= {"srcad.nn", "srcad.api.gradients", None}, sorted(map(str, modules))


def _samples():
    for op, calls in SAMPLES.items():
        for number, (function, args, positions) in enumerate(calls):
            yield pytest.param(function, args, positions, id=f"{_name(op)}-{number}")


def _numeric(value):
    """The result as float numbers (bools and integers too), or None when it holds none."""
    if isinstance(value, tuple) and value and all(isinstance(v, np.ndarray) for v in value):
        return [np.asarray(v, dtype=float) for v in value]
    try:
        return np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return None


@pytest.mark.parametrize("function, args, positions", list(_samples()))
def test_finite_differences_are_zero_at_random_points(function, args, positions):
    for position in positions:
        v = random_like(args[position], RNG)
        plus, minus = list(args), list(args)
        plus[position] = args[position] + H * v
        minus[position] = args[position] - H * v
        high, low = _numeric(function(*plus)), _numeric(function(*minus))
        assert inner(high, high) == inner(low, low) and inner(high, low) == inner(high, high), (
            f"{function} moves when argument {position} moves")


def _through_the_engine():
    for op, calls in SAMPLES.items():
        function, args, positions = calls[0]
        if function is op and _numeric(function(*args)) is not None and not isinstance(function(*args), tuple):
            floats = tuple(p for p in positions if isinstance(args[p], (float, np.ndarray)))
            if floats:
                yield pytest.param(op, args, floats, id=_name(op))


def _total(op, n_args):
    """``sum(op(a0, ...) * 1.0) + sum(a0)``: op's result is a constant, a0's own derivative flows."""
    return _calling(op, n_args, {}, returns="np.sum(np.multiply({call}, 1.0)) + np.sum(a0)")


@pytest.mark.parametrize("optimize", [True, False], ids=["optimized", "unoptimized"])
@pytest.mark.parametrize("op, args, positions", list(_through_the_engine()))
def test_srcad_gives_zero_through_the_call(op, args, positions, optimize):
    total = _total(op, len(args))
    grads = srcad.grad(total, wrt=positions, optimize=optimize)(*args)
    tangents = [np.ones_like(args[p]) if isinstance(args[p], np.ndarray) else 1.0 for p in positions]
    _, tangent = srcad.jvp(total, wrt=positions)(*args, *tangents)
    for grad, position in zip(grads, positions):
        own = 1.0 if position == 0 else 0.0  # from np.sum(a0)
        assert np.shape(grad) == np.shape(args[position])
        assert np.all(np.asarray(grad) == own)
    assert tangent == pytest.approx(np.size(args[0]))


# ------------------------------------------------------- the page shows the list


def listing():
    """The Markdown table of docs/rules.md, made from the module."""
    lines = ["| why | functions |", "|---|---|"]
    for why, group in no_derivative.NO_DERIVATIVE.items():
        lines.append(f"| {why} | {', '.join(f'`{_name(op)}`' for op in group)} |")
    return "\n".join(lines) + "\n"


MARKERS = re.compile(r"(<!-- no-derivative list: start -->\n)(.*?)(<!-- no-derivative list: end -->)", re.S)


def test_docs_show_the_list():
    found = MARKERS.search(DOCS.read_text())
    assert found is not None, "docs/rules.md has no no-derivative list"
    assert found.group(2) == listing(), "docs/rules.md is out of date: run python tests/test_rules_no_derivative.py"


if __name__ == "__main__":
    text = DOCS.read_text()
    DOCS.write_text(MARKERS.sub(lambda m: m.group(1) + listing() + m.group(3), text))
    sys.exit(0)


# ---- a dtype= argument that asks for integers or bools: the call's result carries no derivative

def _sum_as_int(x):
    return np.sum(x, dtype=int) + np.sum(x ** 2)


def _method_sum_as_int32(x):
    return x.sum(dtype=np.int32) * 1.0 + np.sum(np.sin(x))


def _cumsum_as_named_int64(x):
    return np.sum(np.cumsum(x, dtype="int64")) + np.sum(x, dtype=np.float64)


def _array_as_bool(x):
    return np.sum(np.array(x, dtype=bool) * x)


def _float_dtype_keeps_the_derivative(x):
    return np.sum(np.cumsum(x, dtype=np.float64) ** 2)


# the same dtype given by position: the call's arguments are bound to the function's signature
def _sum_as_int_by_position(x):
    return np.sum(np.sum(np.outer(x, x), 0, int) * x)


def _method_mean_as_int_by_position(x):
    return np.sum(np.outer(x, x).mean(1, int) * x) + x.sum(0, int) * np.sum(x)


def _cumsum_prod_trace_as_int_by_position(x):
    m = np.outer(x, x)
    return np.sum((np.cumsum(x, 0, int) + np.prod(m, 0, int) + np.trace(m, 0, 0, 1, int)) * x)


def _full_and_array_as_int_by_position(x):
    return np.sum((np.full(x.shape, x[0], int) + np.array(x, int) + np.asarray(x * 2.0, bool)) * x)


def _float_dtype_by_position_keeps_the_derivative(x):
    return np.sum(np.sum(np.outer(x, x), 0, np.float64) * x) + np.std(x, 0, float)


@pytest.mark.parametrize("function", [_sum_as_int, _method_sum_as_int32, _cumsum_as_named_int64,
                                      _array_as_bool, _float_dtype_keeps_the_derivative,
                                      _sum_as_int_by_position, _method_mean_as_int_by_position,
                                      _cumsum_prod_trace_as_int_by_position, _full_and_array_as_int_by_position,
                                      _float_dtype_by_position_keeps_the_derivative])
def test_an_integer_dtype_argument_makes_a_constant(function):
    x = X[0] * 1.7  # away from integers, so the integer parts are locally constant
    assert_modes_agree(function, (x,))
