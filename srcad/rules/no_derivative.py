"""The functions srcad treats as constants: the one list, grouped by why.

A function is listed only when the derivative of its result with respect to every one of its
arguments is zero wherever it exists: its result is piecewise constant (rounding, comparisons,
positions of values), integer- or bool-valued, a shape, or a random draw whose distribution has
no float parameter a value could be moved along. A call to a listed function is run as it is and
its result carries no derivative. Every other function needs a rule (or Python source srcad can
transform); without one, srcad refuses it with ``NonDifferentiableError`` rather than treat it as
a constant.

Not listed, because an argument has a derivative: ``%`` and ``np.mod`` (1 with respect to ``x``),
``np.full`` (its fill value), ``np.arange`` (a float start or step), ``np.linspace`` (start and
stop), ``np.heaviside`` (its second argument, where the first is 0), and random draws with a
location or scale (``np.random.normal``, ``uniform``, ``exponential``) or that pick from their
argument (``choice``, ``permutation``, ``shuffle``).

``docs/rules.md`` shows this list; ``tests/test_rules_no_derivative.py`` checks both that the page
matches and that each entry's finite differences are zero.
"""
import math
import operator

import numpy as np

from ..runtime.arrays import median_partials, negated, partition_order, rolled_axes
from ..runtime.accumulate import check_rebinding, check_scalar_output, zeros_buffer
from ..runtime.lists import insertion_index, pop_index
from ..runtime.numeric import (arange_start_slope, at_high_bound, at_low_bound, extremum_partials, is_mapping, joins, linspace_fractions,
                               reduction_size, repeats, unreached, within, zeros_like)
from ..runtime.tape import Tape
from .registry import nondifferentiable

NO_DERIVATIVE = {
    "comparisons and tests (bool results)": (
        operator.lt, operator.le, operator.gt, operator.ge, operator.eq, operator.ne,
        operator.not_, operator.truth, operator.is_, operator.is_not, operator.contains,
        np.equal, np.not_equal, np.less, np.less_equal, np.greater, np.greater_equal,
        np.isnan, np.isinf, np.isfinite, np.isclose, np.allclose, np.array_equal, np.signbit,
        np.logical_and, np.logical_or, np.logical_not, np.logical_xor,
        np.all, np.any, np.ndarray.all, np.ndarray.any,
        math.isnan, math.isinf, math.isfinite, math.isclose, bool, isinstance,
    ),
    "rounding and steps (piecewise constant)": (
        np.sign, np.floor, np.ceil, np.round, np.around, np.rint, np.trunc, np.fix, np.floor_divide,
        operator.floordiv, math.floor, math.ceil, math.trunc, round, int,
    ),
    "positions and counts of values (integer results)": (
        np.argmax, np.argmin, np.argsort, np.nonzero, np.flatnonzero, np.count_nonzero,
        np.searchsorted, np.ndarray.argmax, np.ndarray.argmin, np.ndarray.argsort, np.ndarray.nonzero,
    ),
    "integer arithmetic and bits": (
        operator.and_, operator.or_, operator.xor, operator.invert, operator.index,
        math.factorial, math.gcd, math.comb, math.perm,
    ),
    "new arrays made from shapes alone": (
        np.zeros, np.ones, np.empty, np.eye, np.identity, np.zeros_like, np.ones_like, np.empty_like,
    ),
    "shapes, sizes and types": (
        np.shape, np.ndim, np.size, np.ndarray.shape, np.ndarray.ndim, np.ndarray.size, np.ndarray.dtype,
        len, range, dict.keys,
    ),
    "random draws without float parameters to move (uniform and normal draws of a given size, "
    "integer draws, the generator itself)": (
        np.random.seed, np.random.rand, np.random.randn, np.random.randint, np.random.random,
        np.random.random_sample, np.random.standard_normal, np.random.binomial, np.random.poisson,
        np.random.default_rng, np.random.Generator.random, np.random.Generator.standard_normal,
        np.random.Generator.integers, np.random.Generator.binomial, np.random.Generator.poisson,
    ),
    "srcad's own bookkeeping in generated code": (
        zeros_like, zeros_buffer, reduction_size, extremum_partials, within, at_low_bound, at_high_bound, unreached,
        arange_start_slope,
        linspace_fractions, joins, repeats, is_mapping, check_scalar_output, check_rebinding, Tape, insertion_index, pop_index,
        median_partials, partition_order, rolled_axes, negated,
    ),
}

nondifferentiable(*(op for group in NO_DERIVATIVE.values() for op in group))
