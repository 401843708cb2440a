"""Rules of the ``math`` module, checked against finite differences, forward
against reverse; derivatives of Python floats are Python floats."""
import math

import pytest

from rule_harness import away, between_jumps, case, check_by_kind, CHECKS, normal, Rule, uniform


def positive():
    return uniform(0.2, 3.0)


def unit():
    return uniform(-0.9, 0.9)


# each function with a way to draw an argument inside its domain, three draws each
UNARY = [
    (math.exp, normal), (math.expm1, normal), (math.log, positive), (math.log2, positive),
    (math.log10, positive), (math.log1p, lambda: uniform(-0.6, 2.0)), (math.sqrt, positive),
    (math.fabs, away), (math.sin, normal), (math.cos, normal), (math.tan, lambda: uniform(-1.2, 1.2)),
    (math.asin, unit), (math.acos, unit), (math.atan, normal), (math.sinh, normal),
    (math.cosh, normal), (math.tanh, normal), (math.asinh, normal),
    (math.acosh, lambda: uniform(1.2, 3.0)), (math.atanh, unit), (math.erf, normal),
    (math.erfc, normal),
]

CASES = [case(f, draw()) for f, draw in UNARY for _ in range(3)]
CASES += [
    case(math.log, positive(), 2.0),
    case(math.log, positive(), uniform(1.5, 10.0)),
    case(math.log, positive(), 0.5),
    case(math.pow, positive(), normal()),
    case(math.pow, normal(), 2.0, wrt=[0]),
    case(math.pow, normal(), 3.0, wrt=[0]),
    case(math.pow, 2.0, normal(), wrt=[1]),
    case(math.pow, 0.0, uniform(1.5, 3.0), wrt=[1]),
    case(math.hypot, away(), away()),
    case(math.hypot, away(), away(), away()),
    case(math.hypot, away()),
    case(math.atan2, away(), away()),
    case(math.atan2, -0.5, -1.5),
    case(math.atan2, 0.7, -0.2),
]
for _ in range(4):
    CASES += [case(math.fmod, *between_jumps()), case(math.remainder, *between_jumps())]
CASES.append(case(math.fmod, between_jumps()[0], 2.0, wrt=[0]))


@pytest.mark.parametrize("kind", sorted(CHECKS))
@pytest.mark.parametrize("op, args, kwargs, wrt", CASES)
def test_rule_against_finite_differences_and_its_twin(kind, op, args, kwargs, wrt):
    check_by_kind(kind, op, args, kwargs, wrt)


@pytest.mark.parametrize("op, args, kwargs, wrt", CASES)
def test_derivatives_of_floats_are_floats(op, args, kwargs, wrt):
    rule = Rule(op, args, kwargs, wrt)
    for leaf, grad in rule.run_adjoint(1.0, rule.leaves).items():
        assert isinstance(grad, float), f"d/d{leaf} of {op.__name__} is a {type(grad).__name__}"
    tangent = rule.run_tangent({leaf: 1.0 for leaf in rule.leaves})
    assert isinstance(tangent, float)
