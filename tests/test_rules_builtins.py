"""Rules of Python builtins (abs, pow, sum, max, min, float), checked against
finite differences and forward against reverse."""
import numpy as np
import pytest

from rule_harness import away, case, check_dtypes, check_by_kind, CHECKS, distinct, normal, Rule, uniform

CASES = [
    case(abs, away()), case(abs, away(())), case(abs, away((2, 3))),
    case(pow, uniform(0.5, 2.0), normal()), case(pow, normal((3,)), 2, wrt=[0]),
    case(pow, uniform(0.5, 2.0, (2, 3)), normal((3,))),
    # sum of a list of values, of arrays that broadcast, of an array's rows
    case(sum, [normal(), normal(), normal()], wrt=[(0, 0), (0, 1), (0, 2)]),
    case(sum, (normal((3,)), normal((2, 3)), normal()), wrt=[(0, 0), (0, 1), (0, 2)]),
    case(sum, normal((4, 3))),
    case(sum, normal((5,))),
    case(sum, [normal((2,)), normal((2,))], normal((2,)), wrt=[(0, 0), (0, 1), 1]),
    case(sum, [normal(), normal()], start=normal(), wrt=[(0, 1), "start"]),
    # max and min of several values, and of one list or 1-D array
    case(max, *distinct(None, None)), case(min, *distinct(None, None)),
    case(max, *distinct(None, None, None)), case(min, *distinct(None, None, None)),
    case(max, distinct(None, None, None, None), wrt=[(0, 0), (0, 1), (0, 2), (0, 3)]),
    case(min, tuple(distinct(None, None, None)), wrt=[(0, 0), (0, 1), (0, 2)]),
    case(max, distinct((5,))[0]), case(min, distinct((5,))[0]),
    case(max, 0.0, away(), wrt=[1]),
    case(max, distinct(())[0], 0.0, wrt=[0]),
    # sorted() of a list of numbers: each derivative goes back to its item's place
    case(sorted, distinct(None, None, None), wrt=[(0, 0), (0, 1), (0, 2)]),
    case(sorted, distinct(None, None, None), reverse=True, wrt=[(0, 0), (0, 1), (0, 2)]),
    # float() of a float, a 0-d array, a NumPy scalar
    case(float, normal()), case(float, normal(())), case(float, np.float64(normal())),
]


@pytest.mark.parametrize("kind", sorted(CHECKS))
@pytest.mark.parametrize("op, args, kwargs, wrt", CASES)
def test_rule_against_finite_differences_and_its_twin(kind, op, args, kwargs, wrt):
    check_by_kind(kind, op, args, kwargs, wrt)


DTYPE_CASES = [
    case(abs, away((2, 3)).astype(np.float32)),
    case(pow, uniform(0.5, 2.0, (3,)).astype(np.float32), 2, wrt=[0]),
    case(sum, normal((4, 3)).astype(np.float32)),
    case(sum, [normal((2,)).astype(np.float32), normal((2,)).astype(np.float32)], wrt=[(0, 0), (0, 1)]),
    case(max, np.float32(1.5), np.float32(-0.5)),
]


@pytest.mark.parametrize("op, args, kwargs, wrt", DTYPE_CASES)
def test_float32_stays_float32(op, args, kwargs, wrt):
    check_dtypes(op, args, kwargs, wrt)


def test_float_of_a_float32_value_gives_a_float32_derivative():
    grad = Rule(float, [np.float32(1.5)]).run_adjoint(2.0, [0])[0]
    assert grad == 2.0 and np.result_type(grad) == np.float32


@pytest.mark.parametrize("op", [max, min])
def test_the_first_of_equal_values_takes_the_derivative(op):
    a, b = 1.5, 1.5
    rule = Rule(op, [a, b])
    grads = rule.run_adjoint(2.0, [0, 1])
    assert grads == {0: 2.0, 1: 0.0}
    assert rule.run_tangent({0: 3.0, 1: 5.0}) == 3.0


def test_max_of_a_list_puts_the_derivative_on_the_largest_element():
    xs = [0.5, 2.5, -1.0]
    rule = Rule(max, [xs], wrt=[(0, 0), (0, 1), (0, 2)])
    grads = rule.run_adjoint(4.0, rule.leaves)
    assert [grads[leaf] for leaf in rule.leaves] == [0.0, 4.0, 0.0]
