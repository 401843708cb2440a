"""Rules of Python's operators (and the ufuncs that share them), checked against
finite differences, forward against reverse, and for dtype."""
import operator

import numpy as np
import pytest

from rule_harness import away, between_jumps, case, check_dtypes, check_by_kind, CHECKS, normal, Rule, uniform

# argument shapes for binary ops: None is a Python float, () a 0-d array
BROADCAST = [
    (None, None), ((), ()), ((4,), (4,)), ((2, 3), (2, 3)), ((3, 1), (4,)),
    ((2, 3, 4), (3, 4)), ((2, 1, 4), (3, 1)), (None, (3,)), ((2, 3), None), ((), (2, 3)),
    ((1,), (2, 3)),
]

CASES = []
for a, b in BROADCAST:
    for op in (operator.add, np.add, operator.sub, np.subtract, operator.mul, np.multiply):
        CASES.append(case(op, normal(a), normal(b)))
    for op in (operator.truediv, np.divide):
        CASES.append(case(op, normal(a), away(b)))
    for op in (operator.pow, np.power):
        CASES.append(case(op, uniform(0.5, 2.0, a), normal(b)))

CASES += [
    # integer and float exponents of bases of either sign (exponent constant)
    case(operator.pow, normal((3, 4)), 2, wrt=[0]),
    case(operator.pow, normal((5,)), 3.0, wrt=[0]),
    case(np.power, normal(None), 3, wrt=[0]),
    case(operator.pow, uniform(0.5, 2.0, (4,)), -1.5, wrt=[0]),
    # a constant base: 2 ** x
    case(operator.pow, 2.0, normal((3,)), wrt=[1]),
    # a zero base: the exponent's derivative is 0, not nan
    case(operator.pow, np.zeros(3), uniform(1.5, 3.0, (3,)), wrt=[1]),
]

# remainders, away from their jumps: 1 in a, -(a // b) in b
for a, b in [(None, None), ((), ()), ((4,), (4,)), ((2, 3), (2, 3)), ((2, 3), (3,)), ((3,), None),
             ((2, 3), ())]:
    for op in (operator.mod, np.mod, np.remainder):
        CASES.append(case(op, *between_jumps(a, b)))
CASES.append(case(operator.mod, between_jumps((3,), None)[0], 1.0, wrt=[0]))

for shape in [None, (), (4,), (2, 3), (2, 3, 4)]:
    for op in (operator.neg, np.negative, operator.pos, np.positive):
        CASES.append(case(op, normal(shape)))

MATMUL_SHAPES = [
    ((3, 4), (4, 2)), ((4,), (4,)), ((3, 4), (4,)), ((4,), (4, 2)), ((5, 3, 4), (5, 4, 2)),
    ((3, 4), (5, 4, 2)), ((5, 3, 4), (4, 2)), ((5, 3, 4), (4,)), ((4,), (5, 4, 2)),
    ((2, 1, 3, 4), (5, 4, 2)), ((1, 3, 4), (2, 4, 1)),
]
for a, b in MATMUL_SHAPES:
    CASES.append(case(operator.matmul, normal(a), normal(b)))
    CASES.append(case(np.matmul, normal(a), normal(b)))

CASES += [
    # basic indices
    case(operator.getitem, normal((5,)), 2, wrt=[0]),
    case(operator.getitem, normal((5,)), -1, wrt=[0]),
    case(operator.getitem, normal((5,)), slice(1, 4), wrt=[0]),
    case(operator.getitem, normal((5,)), slice(None, None, -2), wrt=[0]),
    case(operator.getitem, normal((3, 4)), (1, slice(None)), wrt=[0]),
    case(operator.getitem, normal((3, 4)), (slice(None), 2), wrt=[0]),
    case(operator.getitem, normal((3, 4)), 1, wrt=[0]),
    case(operator.getitem, normal((2, 3, 4)), (Ellipsis, 1), wrt=[0]),
    case(operator.getitem, normal((3, 4)), (None, slice(1, 3)), wrt=[0]),
    case(operator.getitem, normal(()), (), wrt=[0]),
    # fancy indices, repeated indices accumulate
    case(operator.getitem, normal((5,)), np.array([0, 2, 0, 4, 2]), wrt=[0]),
    case(operator.getitem, normal((5,)), [1, 1, 1], wrt=[0]),
    case(operator.getitem, normal((4, 3)), (np.array([0, 3, 0]), slice(None)), wrt=[0]),
    case(operator.getitem, normal((4, 3)), (np.array([0, 3, 0]), np.array([2, 1, 2])), wrt=[0]),
    case(operator.getitem, normal((4, 3)), np.array([[True, False, True]] * 4), wrt=[0]),
    case(operator.getitem, normal((4, 3)), np.array([True, False, False, True]), wrt=[0]),
    # containers: lists, tuples and dicts of values
    case(operator.getitem, [normal(None), normal(None), normal(None)], 1, wrt=[(0, 0), (0, 1), (0, 2)]),
    case(operator.getitem, [normal((2,)), normal((3,)), normal(())], -2, wrt=[(0, 0), (0, 1), (0, 2)]),
    case(operator.getitem, [normal((2,)), normal((3,)), normal(())], slice(0, 2),
         wrt=[(0, 0), (0, 1), (0, 2)]),
    case(operator.getitem, (normal((2, 2)), normal(None)), 0, wrt=[(0, 0), (0, 1)]),
    case(operator.getitem, {"W": normal((3, 2)), "b": normal((2,))}, "b", wrt=[(0, "W"), (0, "b")]),
]


@pytest.mark.parametrize("kind", sorted(CHECKS))
@pytest.mark.parametrize("op, args, kwargs, wrt", CASES)
def test_rule_against_finite_differences_and_its_twin(kind, op, args, kwargs, wrt):
    check_by_kind(kind, op, args, kwargs, wrt)


def f32(shape):
    return normal(shape).astype(np.float32)


DTYPE_CASES = [
    case(operator.add, f32((3, 1)), f32((4,))),
    case(operator.sub, f32((2, 3)), 1.5, wrt=[0]),
    case(operator.mul, f32((2, 3)), f32(())),
    case(operator.truediv, f32((2, 3)), away((3,)).astype(np.float32)),
    case(operator.truediv, 2.0, away((3,)).astype(np.float32), wrt=[1]),
    case(operator.pow, f32((2, 3)), 2, wrt=[0]),
    case(operator.pow, uniform(0.5, 2.0, (3,)).astype(np.float32), f32((3,))),
    case(operator.neg, f32((3,))),
    case(operator.matmul, f32((3, 4)), f32((4, 2))),
    case(operator.matmul, f32((4,)), f32((5, 4, 2))),
    case(operator.getitem, f32((4, 3)), (np.array([0, 3, 0]), slice(None)), wrt=[0]),
]


@pytest.mark.parametrize("op, args, kwargs, wrt", DTYPE_CASES)
def test_float32_stays_float32(op, args, kwargs, wrt):
    check_dtypes(op, args, kwargs, wrt)


def test_getitem_scatters_repeated_indices():
    x = np.arange(5.0)
    (grad,) = Rule(operator.getitem, [x, [3, 1, 3]], wrt=[0]).run_adjoint(np.array([1.0, 2.0, 4.0]), [0]).values()
    np.testing.assert_array_equal(grad, [0.0, 2.0, 0.0, 5.0, 0.0])


def test_getitem_of_a_list_gives_a_list():
    xs = [1.0, np.ones(2), 3.0]
    grads = Rule(operator.getitem, [xs, 1], wrt=[(0, 0), (0, 1), (0, 2)]).adjoint
    out = grads.run("adjoint", {"y": np.array([5.0, 6.0])}, {"a"}, xs[1], [xs, 1], {})
    value = out["a"][0]
    assert isinstance(value, list) and value[0] == 0.0 and value[2] == 0.0
    np.testing.assert_array_equal(value[1], [5.0, 6.0])


def test_pow_of_zero_base_has_finite_exponent_derivative():
    rule = Rule(operator.pow, [np.zeros(2), np.array([2.0, 3.0])], wrt=[1])
    grad = rule.run_adjoint(np.ones(2), [1])[1]
    np.testing.assert_array_equal(grad, [0.0, 0.0])
