"""Every rule once more, through the engine: ``srcad.vjp`` of a function that calls the op.

The rule tests run each template on its own; these run what the engine makes of it
(parameters bound by keyword, defaults, constants folded, broadcasting undone) and
compare with central finite differences of the op, in float64.
"""
import itertools
import linecache

import numpy as np
import pytest

import srcad
import test_rules_builtins
import test_rules_math
import test_rules_numpy
import test_rules_operators
from rule_harness import H, default_leaves, inner, is_float, random_like

_counter = itertools.count()


def _cases():
    for module in (test_rules_operators, test_rules_numpy, test_rules_math, test_rules_builtins):
        for param in module.CASES:
            op, args, kwargs, wrt = param.values
            leaves = default_leaves(args) if wrt is None else wrt
            # the engine differentiates whole arguments; list items and keywords are covered by the rule tests
            positions = [leaf for leaf in leaves if isinstance(leaf, int) and is_float(args[leaf])]
            if callable(op) and positions and len(positions) == len(leaves):
                yield pytest.param(op, args, kwargs, tuple(positions), id=f"{module.__name__[11:]}-{param.id}")


def _calling(op, n_args, kwargs):
    """``def apply(a0, a1, ...): return op(a0, a1, ..., key=value)``, with a source file."""
    params = [f"a{i}" for i in range(n_args)]
    keywords = [f"{key}=keywords[{key!r}]" for key in kwargs]
    source = f"def apply({', '.join(params)}):\n    return op({', '.join(params + keywords)})\n"
    filename = f"<rule through grad {next(_counter)}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
    scope = {"op": op, "keywords": kwargs}
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
