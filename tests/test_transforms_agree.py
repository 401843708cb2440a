"""Everything grad accepts, jvp, vjp and hvp accept and get right: a corpus of programs (the
control-flow cases, the whole programs, loops over dict views and computed arrays) through
the four transforms, each checked against the others (jvp against grad, vjp's pullback
against grad, hvp against differences of grad)."""
import numpy as np
import pytest

import srcad
from gradcheck import leaves, replace_leaves
from test_control_flow import CASES
from test_programs import (builds_containers, calls_a_closure, closure, decay_over_items, decay_over_values,
                           helper_in_branch, helper_in_loop, imported_by_name, keyword_and_default_arguments,
                           module_constant, nested_with_loop, other_module, recursive, same_helper_twice,
                           through_several_levels, tuple_returning_helper, activations_in_a_list)

X = np.array([-0.7, 0.2, 0.45])


def over_values(x):
    d = {"a": x, "b": 2.0 * x}
    total = 0.0
    for v in d.values():
        total = total + np.sum(np.sin(v) * v)
    return total


def over_items(x):
    d = {"a": x, "b": np.tanh(x)}
    total = 0.0
    for key, v in d.items():
        total = total + np.sum(v * v * x)
    return total


def over_a_computed_array(x):
    total = 0.0
    for row in np.outer(x, np.sin(x)):
        total = total + np.sum(row * row)
    return total


def over_a_list_of_arrays(x):
    total = 0.0
    for part in [x, x * x, np.exp(x)]:
        total = total + np.sum(part * np.cos(x))
    return total


ARRAY_PROGRAMS = [(f, extra) for f, extra in CASES] + [(f, ()) for f in (
    recursive, helper_in_loop, helper_in_branch, tuple_returning_helper, keyword_and_default_arguments,
    same_helper_twice, through_several_levels, other_module, imported_by_name, module_constant,
    calls_a_closure, closure, nested_with_loop, builds_containers, activations_in_a_list,
    over_values, over_items, over_a_computed_array, over_a_list_of_arrays)]


def _name(case):
    f, extra = case
    return f.__name__ + "".join(f"-{e}" for e in extra)


def _hvp_by_differences(gradient, args, v, step=1e-5):
    def at(sign):
        moved = replace_leaves(args[0], iter([x + sign * step * t for x, t in zip(leaves(args[0]), leaves(v))]))
        return leaves(gradient(moved, *args[1:]))
    return [(a - b) / (2 * step) for a, b in zip(at(1.0), at(-1.0))]


def _random_like(tree, seed):
    rng = np.random.default_rng(seed)
    return replace_leaves(tree, iter([rng.normal(size=np.shape(x)) for x in leaves(tree)]))


def _inner(a, b):
    return sum(np.sum(x * y) for x, y in zip(leaves(a), leaves(b)))


def _check_four_transforms(f, args):
    gradient = srcad.grad(f)(*args)
    v = _random_like(args[0], 3)
    out, tangent = srcad.jvp(f)(*args, v)
    assert out == pytest.approx(f(*args), rel=1e-12)
    assert tangent == pytest.approx(_inner(gradient, v), rel=1e-9, abs=1e-12)
    out, pullback = srcad.vjp(f)(*args)
    assert out == pytest.approx(f(*args), rel=1e-12)
    for got, expected in zip(leaves(pullback(1.0)), leaves(gradient)):
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-14)
    product = srcad.hvp(f)(*args, v)
    for got, expected in zip(leaves(product), _hvp_by_differences(srcad.grad(f), args, v)):
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-6)
    unoptimised = srcad.grad(f, optimize=False)(*args)
    for got, expected in zip(leaves(unoptimised), leaves(gradient)):
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("case", ARRAY_PROGRAMS, ids=_name)
def test_the_four_transforms_agree_on_a_program_of_an_array(case):
    f, extra = case
    _check_four_transforms(f, (X.copy(),) + extra)


@pytest.mark.parametrize("f", [decay_over_items, decay_over_values], ids=lambda f: f.__name__)
def test_the_four_transforms_agree_on_a_dict_of_parameters(f):
    rng = np.random.default_rng(5)
    params = {"W": rng.normal(size=(3, 2)), "b": rng.normal(size=2)}
    _check_four_transforms(f, (params, rng.normal(size=(4, 3))))
