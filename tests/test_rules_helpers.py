"""The runtime helpers that rules share: their own rules (so generated
derivatives can be differentiated again) against finite differences, and exact
values, containers, dtypes and ties that finite differences do not reach."""
import numpy as np
import pytest

from rule_harness import CHECKS, case, check_by_kind, distinct, normal, uniform
from srcad.runtime import arrays as A
from srcad.runtime import numeric as n


CASES = [
    case(n.unbroadcast, normal((2, 3, 4)), np.zeros((3, 1)), wrt=[0]),
    case(n.unbroadcast, normal((3, 1)), np.zeros((2, 3, 4)), wrt=[0]),
    case(n.unbroadcast, normal((2, 3)), 1.0, wrt=[0]),
    case(n.unbroadcast, normal(None), np.zeros((3,)), wrt=[0]),
    case(n.sum_to_scalar, normal((2, 3))),
    case(n.sum_to_scalar, normal(None)),
    case(n.unreduce, normal((2,)), np.zeros((2, 3)), 1, wrt=[0]),
    case(n.unreduce, normal(None), np.zeros((3, 4)), wrt=[0]),
    case(n.unreduce, normal((1, 4)), np.zeros((3, 4)), 0, True, wrt=[0]),
    case(n.unreduce, normal((3,)), np.zeros((2, 3, 4)), (0, -1), wrt=[0]),
    case(n.cast_like, normal((3,)), np.zeros(3), wrt=[0]),
    case(n.unindex, normal((3,)), np.zeros((5,)), [0, 4, 0], wrt=[0]),
    case(n.unindex, normal((4,)), np.zeros((3, 4)), 1, wrt=[0]),
    case(n.unindex, normal(None), [1.0, 2.0], 1, wrt=[0]),
    case(n.xlogy, normal((3,)), uniform(0.5, 2.0, (2, 3))),
    case(n.xlogy, normal(None), uniform(0.5, 2.0)),
    case(n.exponent_minus_one, normal((2, 3))),
    case(n.unless_integer, normal((2, 3)), np.float32, wrt=[0]),
    case(n.unless_integer, normal((2, 3)), wrt=[0]),
    case(n.unjoin_index, normal((4,)), np.r_, (np.zeros(3), 1.0), wrt=[0], id="unjoin_index(4, np.r_, [3, f])"),
    case(n.unjoin_index, normal((3, 2)), np.c_, (np.zeros(3), np.zeros(3)), wrt=[0],
         id="unjoin_index(3x2, np.c_, [3, 3])"),
    case(n.join_index_tangent, np.r_, (np.zeros(3), slice(0, 2), 1.0), [normal((3,)), None, normal(None)],
         wrt=[(2, 0), (2, 2)], id="join_index_tangent(np.r_, [3, 0:2, f], [3, None, f])"),
    case(n.exponent_minus_one, normal(None)),
    case(n.power, uniform(0.5, 2.0, (2, 3)), normal((2, 3))),
    case(n.power, uniform(0.5, 2.0), -0.5, wrt=[0]),
    case(n.quotient_or_zero, normal((3,)), uniform(0.5, 2.0, (2, 3))),
    case(n.quotient_or_zero, normal(None), uniform(-2.0, -0.5)),
    case(n.standardized, normal((3,)), normal(None), uniform(0.5, 2.0)),
    case(n.standardized, normal((2, 3)), normal((3,)), uniform(0.5, 2.0, (2, 1))),
    case(n.prod_partials, normal((3, 4)), 1, wrt=[0]),
    case(n.prod_partials, normal((4,)), wrt=[0]),
    case(n.uneinsum, normal((3,)), "ij,j->i", (normal((3, 4)), normal((4,))), wrt=[0, (2, 0), (2, 1)],
         id="uneinsum(3, ij,j->i, [3x4, 4])"),
    case(n.uneinsum, normal((3, 3)), "ij,jk->ik", (normal((3, 2)), normal((2, 3))), wrt=[0, (2, 0), (2, 1)],
         id="uneinsum(3x3, ij,jk->ik, [3x2, 2x3])"),
    case(n.uneinsum_leading, normal((3,)), normal((3, 4)), ([0, 1], normal((4,)), [1], [0]), wrt=[0, (2, 1)],
         id="uneinsum_leading(3, sublists [3x4, 4])"),
    case(n.var_partials, normal((3, 4)), wrt=[0]),
    case(n.var_partials, normal((3, 4)), 1, 1, wrt=[0]),
    case(n.std_partials, normal((3, 4)), uniform(0.5, 2.0, (4,)), 0),
    case(n.std_partials, normal((3, 4)), uniform(0.5, 2.0, (3, 1)), 1, True, 1),
    case(n.std_partials, normal((5,)), uniform(0.5, 2.0)),
    case(n.reshape_like, normal((2, 6)), np.zeros((3, 4)), wrt=[0]),
    case(n.reshape_like, normal((2, 6)), np.zeros((4, 3)), "F", wrt=[0]),
    case(n.uncumsum, normal((6,)), np.zeros((2, 3)), wrt=[0]),
    case(n.uncumsum, normal((2, 3)), np.zeros((2, 3)), 1, wrt=[0]),
    case(n.untranspose, normal((3, 4, 2)), (1, 2, 0), wrt=[0]),
    case(n.untranspose, normal((3, 4)), (), wrt=[0]),
    case(n.transpose_by, normal((3, 4, 2)), ((2, 0, 1),), wrt=[0]),
    case(n.untile, normal((4, 6)), np.zeros((2, 3)), (2, 2), wrt=[0]),
    case(n.unrepeat, normal((6,)), np.zeros((3,)), 2, wrt=[0]),
    case(n.unrepeat, normal((2, 3)), np.zeros((2, 2)), [1, 2], 1, wrt=[0]),
    case(n.untake, normal((4,)), np.zeros((5,)), [0, 2, 0, 4], wrt=[0]),
    case(n.untake, normal((3, 2)), np.zeros((3, 4)), [1, 1], 1, wrt=[0]),
    case(n.undiag, normal((3, 3)), np.zeros(3), wrt=[0]),
    case(n.undiag, normal((3,)), np.zeros((3, 4)), 1, wrt=[0]),
    case(n.undiagonal, normal((2, 3)), np.zeros((2, 3, 4)), 0, 1, 2, wrt=[0]),
    case(n.untrace, normal(None), np.zeros((3, 3)), wrt=[0]),
    case(n.untrace, normal((2,)), np.zeros((3, 2, 3)), 1, 0, 2, wrt=[0]),
    case(n.unsort, normal((3, 4)), distinct((3, 4))[0], 0, wrt=[0]),
    case(n.sort_along, normal((5,)), distinct((5,))[0], wrt=[0]),
    case(n.sort_along, normal((2, 3)), distinct((2, 3))[0], None, wrt=[0]),
    case(n.unconcatenate, normal((5, 2)), [np.zeros((2, 2)), np.zeros((3, 2))], wrt=[0]),
    case(n.unconcatenate, normal((7,)), [np.zeros((2, 2)), np.zeros((3,))], None, wrt=[0]),
    case(n.unsplit, [normal((2, 2)), normal((3, 2))], [np.zeros((2, 2)), np.zeros((3, 2))],
         wrt=[(0, 0), (0, 1)]),
    case(n.unstack, normal((2, 3)), 1, wrt=[0]),
    case(n.unhstack, normal((5,)), [np.zeros(2), np.zeros(3)], wrt=[0]),
    case(n.unvstack, normal((3, 2)), [np.zeros(2), np.zeros((2, 2))], wrt=[0]),
    case(n.unarray, normal((3,)), [1.0, 2.0, 3.0], wrt=[0]),
    case(n.unarray, normal((1, 2)), np.zeros(2), wrt=[0]),
    case(n.unpick, normal(None), 2.0, (1.0, 2.0), wrt=[0]),
    case(n.unpick, normal(None), 2.0, ([1.0, 2.0, 0.5],), wrt=[0]),
    case(n.pick, (normal(None), normal(None)), 2.0, (1.0, 2.0), wrt=[(0, 0), (0, 1)]),
]
for op, a_op, shapes in [
    (n.unmatmul_a, np.matmul, [((3, 4), (4, 2)), ((4,), (4,)), ((3, 4), (4,)), ((4,), (5, 4, 2)),
                               ((5, 3, 4), (4, 2))]),
    (n.unmatmul_b, np.matmul, [((3, 4), (4, 2)), ((4,), (4,)), ((3, 4), (4,)), ((4,), (5, 4, 2)),
                               ((3, 4), (5, 4, 2))]),
    (n.undot_a, np.dot, [((2, 3), (3, 4)), ((2, 3, 4), (5, 4, 2)), ((3,), (3,)), (None, (3,))]),
    (n.undot_b, np.dot, [((2, 3), (3, 4)), ((2, 3, 4), (4,)), ((2, 3), None)]),
    (n.uninner_a, np.inner, [((2, 3), (4, 3)), ((3,), (3,))]),
    (n.uninner_b, np.inner, [((2, 3), (4, 3)), ((3,), ())]),
]:
    for a, b in shapes:
        y_shape = np.shape(a_op(np.ones(a or ()), np.ones(b or ())))
        wrt = [0, 2] if op.__name__.endswith("_a") else [0, 1]
        CASES.append(case(op, normal(y_shape), normal(a), normal(b), wrt=wrt))
for op, wrt in [(n.untensordot_a, [0, 2]), (n.untensordot_b, [0, 1])]:
    for a, b, axes in [((2, 3, 4), (3, 4, 5), 2), ((3, 2, 4), (4, 5, 3), ((0, 2), (2, 0))),
                       ((2, 3), (4,), 0)]:
        y_shape = np.shape(np.tensordot(np.ones(a), np.ones(b), axes))
        CASES.append(case(op, normal(y_shape), normal(a), normal(b), axes, wrt=wrt))

CASES += [
    # the helpers of the rules of NumPy array functions
    case(A.real_only, normal((3,)), np.zeros(3), wrt=[0]),
    case(A.undiff, normal((4,)), np.zeros(5), wrt=[0]), case(A.undiff, normal((3, 2)), np.zeros((5, 2)), 2, 0, wrt=[0]),
    case(A.unpad, normal((7,)), np.zeros(3), 2, wrt=[0]), case(A.unpad, normal((5, 4)), np.zeros((3, 2)), 1, "edge", wrt=[0]),
    case(A.unpad, normal((7,)), np.zeros(3), 2, "reflect", wrt=[0]),
    case(A.pad_like, normal((3,)), np.zeros(3), 2, "reflect", wrt=[0]), case(A.pad_like, normal((3,)), np.zeros(3), 1, wrt=[0]),
    case(A.full_from_mode, normal((5,)), np.zeros(5), np.zeros(3), "same", wrt=[0]),
    case(A.mode_from_full, normal((7,)), np.zeros(5), np.zeros(3), "valid", wrt=[0]),
    case(A.unatleast, normal((1, 3)), (np.zeros(3),), wrt=[0]),
    case(A.atleast_like, (normal((3,)),), np.zeros((1, 3)), wrt=[(0, 0)]),
    case(A.unappend, normal((5,)), np.zeros(3), np.zeros(2), wrt=[0]),
    case(A.uncolumn_stack, normal((3, 3)), [np.zeros(3), np.zeros((3, 2))], wrt=[0]),
    case(A.undstack, normal((2, 3, 2)), [np.zeros((2, 3)), np.zeros((2, 3))], wrt=[0]),
    case(A.untake_along_axis, normal((3, 2)), np.zeros((3, 4)), np.array([[0, 3], [1, 1], [2, 0]]), 1, wrt=[0]),
    case(A.unkron_a, normal((6, 6)), normal((2, 3)), normal((3, 2)), wrt=[0, 2]),
    case(A.unkron_b, normal((6, 6)), normal((2, 3)), normal((3, 2)), wrt=[0, 1]),
]


@pytest.mark.parametrize("kind", sorted(CHECKS))
@pytest.mark.parametrize("op, args, kwargs, wrt", CASES)
def test_rule_against_finite_differences_and_its_twin(kind, op, args, kwargs, wrt):
    check_by_kind(kind, op, args, kwargs, wrt)


def test_unbroadcast_sums_stretched_and_leading_axes():
    g = np.arange(24.0).reshape(2, 3, 4)
    np.testing.assert_array_equal(n.unbroadcast(g, np.zeros((3, 1))), g.sum(axis=(0, 2)).reshape(3, 1))
    assert n.unbroadcast(g, 1.5) == g.sum()
    assert n.unbroadcast(g, np.zeros((2, 3, 4))) is g


@pytest.mark.parametrize("helper, args", [
    (n.unbroadcast, (1.0, np.zeros((2, 3), np.float32))),
    (n.unreduce, (1.0, np.zeros((2, 3), np.float32))),
    (n.unreduce, (2, np.zeros((2, 3), np.float32), 1)),
])
def test_a_python_number_spreads_in_the_arguments_dtype(helper, args):
    out = helper(*args)
    assert out.dtype == np.float32 and out.shape == (2, 3)
    out += 1.0  # a fresh array, not a read-only view


def test_unreduce_restores_reduced_axes():
    x = np.zeros((2, 3, 4))
    g = np.arange(6.0).reshape(2, 3)
    out = n.unreduce(g, x, axis=-1)
    assert out.shape == x.shape
    np.testing.assert_array_equal(out[:, :, 2], g)
    np.testing.assert_array_equal(n.unreduce(np.ones((1, 3, 1)), x, (0, 2), True), np.ones(x.shape))


def test_reduction_size():
    x = np.zeros((2, 3, 4))
    assert n.reduction_size(x) == 24
    assert n.reduction_size(x, (0, -1)) == 8
    assert n.reduction_size(x, 1) == 3
    assert isinstance(n.reduction_size(x, 1), int)


def test_extremum_partials_give_a_tie_to_the_first_in_the_argument_dtype():
    x = np.array([[3.0, 1.0, 3.0], [0.0, 2.0, 1.0]], dtype=np.float32)
    w = n.extremum_partials(x, np.max(x, axis=1), axis=1)
    np.testing.assert_array_equal(w, [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    assert w.dtype == np.float32


def test_prod_partials_are_exact_at_zeros():
    x = np.array([[2.0, 0.0, 3.0], [0.0, 0.0, 5.0]])
    np.testing.assert_array_equal(n.prod_partials(x, axis=1), [[0.0, 6.0, 0.0], [0.0, 0.0, 0.0]])
    np.testing.assert_array_equal(n.prod_partials(np.array([2.0, 0.0, 3.0])), [0.0, 6.0, 0.0])
    assert n.prod_partials(4.0) == 1.0


def test_unindex_scatters_into_arrays_and_containers():
    np.testing.assert_array_equal(n.unindex(np.ones(3), np.zeros(4), [0, 0, 2]), [2.0, 0.0, 1.0, 0.0])
    np.testing.assert_array_equal(n.unindex(5.0, np.zeros((2, 2)), (1, 0)), [[0.0, 0.0], [5.0, 0.0]])
    assert n.unindex(2.0, [1.0, 2.0, 3.0], -1) == [0.0, 0.0, 2.0]
    assert n.unindex([4.0, 5.0], (1.0, 2.0, 3.0), slice(1, 3)) == (0.0, 4.0, 5.0)
    out = n.unindex(np.ones(2), {"W": np.ones((2, 2)), "b": np.ones(2)}, "b")
    np.testing.assert_array_equal(out["W"], np.zeros((2, 2)))
    np.testing.assert_array_equal(out["b"], np.ones(2))


def test_unindex_with_a_mask():
    mask = np.array([True, False, True])
    np.testing.assert_array_equal(n.unindex(np.array([1.0, 2.0]), np.zeros(3), mask), [1.0, 0.0, 2.0])


def test_xlogy_is_zero_where_x_is_zero():
    assert n.xlogy(0.0, 0.0) == 0.0
    assert n.xlogy(2.0, 1.0) == 0.0
    assert isinstance(n.xlogy(2.0, 3.0), float)
    out = n.xlogy(np.array([0.0, 1.0], np.float32), np.array([0.0, np.e], np.float32))
    np.testing.assert_allclose(out, [0.0, 1.0], rtol=1e-6)
    assert out.dtype == np.float32


def test_within_treats_none_as_open():
    x = np.array([-2.0, 0.0, 2.0])
    np.testing.assert_array_equal(n.within(x, -1.0, None), [False, True, True])
    np.testing.assert_array_equal(n.within(x, None, 1.0), [True, True, False])
    np.testing.assert_array_equal(n.within(x, 0.0, 0.0), [False, False, False])  # a bound wins its tie


def test_the_bound_clip_returns_is_the_one_that_gets_the_derivative():
    x = np.array([-2.0, -1.0, 0.0, 1.0, 2.0])
    np.testing.assert_array_equal(n.at_low_bound(x, -1.0, 1.0), [True, True, False, False, False])
    np.testing.assert_array_equal(n.at_high_bound(x, -1.0, 1.0), [False, False, False, True, True])
    np.testing.assert_array_equal(n.at_low_bound(x, -1.0, None), [True, True, False, False, False])
    np.testing.assert_array_equal(n.at_high_bound(x, None, 1.0), [False, False, False, True, True])
    # equal or crossed bounds: NumPy's clip returns the high one everywhere
    np.testing.assert_array_equal(n.at_low_bound(x, 1.0, -1.0), [False] * 5)
    np.testing.assert_array_equal(n.at_high_bound(x, 0.0, 0.0), [True] * 5)
    np.testing.assert_array_equal(np.clip(x, 1.0, -1.0), [-1.0] * 5)


def test_cast_like_restores_the_dtype():
    assert n.cast_like(np.ones(2), np.zeros(2, np.float32)).dtype == np.float32
    assert n.cast_like(1.5, np.float32(2.0)).dtype == np.float32
    assert n.cast_like(1.5, 2.0) == 1.5


def test_pick_and_unpick_follow_the_first_of_equal_values():
    a, b = 2.0, 2.0
    assert n.unpick(1.0, a, (a, b)) == [1.0, 0.0]
    assert n.pick((3.0, None), a, (a, b)) == 3.0
    assert n.pick((None, 3.0), a, (a, b)) == 0.0
    assert n.unpick(1.0, 5.0, ([1.0, 5.0, 5.0],)) == [[0.0, 1.0, 0.0]]


def test_unsum_gives_every_item_the_derivative():
    assert n.unsum(2.0, [1.0, 3.0]) == [2.0, 2.0]
    out = n.unsum(np.ones(3), (np.zeros(3), 0.0))
    assert isinstance(out, tuple) and out[1] == 3.0


def test_uneinsum_writes_diagonals_back():
    (grad,) = n.uneinsum(np.array([1.0, 2.0]), "ii->i", (np.zeros((2, 2)),))
    np.testing.assert_array_equal(grad, [[1.0, 0.0], [0.0, 2.0]])


def test_einsum_tangent_skips_inactive_operands():
    a, b = np.ones((2, 3)), np.full((3, 2), 2.0)
    out = n.einsum_tangent("ij,jk->ik", (a, b), (None, np.ones((3, 2))))
    np.testing.assert_array_equal(out, np.einsum("ij,jk->ik", a, np.ones((3, 2))))


def test_unsplit_fills_unused_pieces_with_zeros():
    pieces = np.split(np.arange(6.0), 3)
    out = n.unsplit([None, np.ones(2), 0.0], pieces)
    np.testing.assert_array_equal(out, [0.0, 0.0, 1.0, 1.0, 0.0, 0.0])


def test_untranspose_inverts_every_spelling_of_axes():
    x = np.arange(24.0).reshape(2, 3, 4)
    for axes in [(1, 2, 0), ((1, 2, 0),), (-2, -1, 0)]:
        perm = axes[0] if len(axes) == 1 else axes
        np.testing.assert_array_equal(n.untranspose(np.transpose(x, perm), axes), x)
    np.testing.assert_array_equal(n.untranspose(x.T, ()), x)
    np.testing.assert_array_equal(n.untranspose(x.T, None), x)


def test_exponent_minus_one_is_one_where_the_exponent_is_zero():
    assert n.exponent_minus_one(0) == 1 and n.exponent_minus_one(0.0) == 1
    assert n.exponent_minus_one(2.5) == 1.5
    np.testing.assert_array_equal(n.exponent_minus_one(np.array([0.0, 3.0, -1.0])), [1.0, 2.0, -2.0])


def test_a_literal_exponent_is_folded_while_inlining():
    import srcad

    def cube(x):
        return x ** 3.0

    assert "exponent_minus_one" not in srcad.grad(cube).source
    assert srcad.grad(cube)(2.0) == 12.0
