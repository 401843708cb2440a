"""Rules of NumPy functions and array methods, checked against finite
differences, forward against reverse, and for dtype."""
import numpy as np
import pytest

from rule_harness import away, between_jumps, case, check_dtypes, check_by_kind, CHECKS, distinct, normal, Rule, uniform

SHAPES = [None, (), (4,), (2, 3), (2, 3, 2)]  # None: a Python float, (): a 0-d array

# each unary function with a way to draw inputs inside its domain
UNARY = [
    (np.exp, normal), (np.exp2, normal), (np.expm1, normal),
    (np.log, lambda s: uniform(0.2, 3.0, s)), (np.log2, lambda s: uniform(0.2, 3.0, s)),
    (np.log10, lambda s: uniform(0.2, 3.0, s)), (np.log1p, lambda s: uniform(-0.6, 2.0, s)),
    (np.square, normal), (np.sqrt, lambda s: uniform(0.2, 3.0, s)), (np.cbrt, away),
    (np.reciprocal, away),
    (np.sin, normal), (np.cos, normal), (np.tan, lambda s: uniform(-1.2, 1.2, s)),
    (np.arcsin, lambda s: uniform(-0.9, 0.9, s)), (np.arccos, lambda s: uniform(-0.9, 0.9, s)),
    (np.arctan, normal),
    (np.sinh, normal), (np.cosh, normal), (np.tanh, normal), (np.arcsinh, normal),
    (np.arccosh, lambda s: uniform(1.2, 3.0, s)), (np.arctanh, lambda s: uniform(-0.9, 0.9, s)),
    (np.abs, away), (np.absolute, away), (np.fabs, away),
]

BROADCAST = [((4,), (4,)), ((2, 3), (2, 3)), ((3, 1), (4,)), (None, (2, 3)), ((2, 3), ()),
             ((2, 1, 3), (4, 1))]

CASES = [case(f, draw(shape)) for f, draw in UNARY for shape in SHAPES]

for a, b in BROADCAST:
    CASES += [
        case(np.logaddexp, normal(a), normal(b)),
        case(np.logaddexp2, normal(a), normal(b)),
        case(np.arctan2, away(a), away(b)),
        case(np.hypot, away(a), away(b)),
        case(np.maximum, *distinct(a, b)),
        case(np.minimum, *distinct(a, b)),
        case(np.fmax, *distinct(a, b)),
        case(np.fmin, *distinct(a, b)),
        case(np.where, normal(a) > 0, normal(a), normal(b)),
    ]

CASES += [
    # relu: maximum(0, u) passes where u > 0
    case(np.maximum, 0.0, away((3, 4)), wrt=[1]),
    case(np.minimum, away((5,)), 0.0, wrt=[0]),
    # fmax and fmin ignore nan
    case(np.fmax, np.array([0.5, -1.0, 2.0]), np.array([np.nan, 0.3, 1.0]), wrt=[0]),
    case(np.fmin, np.array([np.nan, -1.0, 2.0]), np.array([0.5, 0.3, 1.0]), wrt=[1]),
    # clip: bounds as scalars, arrays that broadcast, or None
    case(np.clip, np.array([-1.2, -0.3, 0.1, 0.45, 0.9, 2.0]), -0.5, 0.5, wrt=[0]),
    case(np.clip, np.arange(-1.55, 1.6, 0.1)[[0, 5, 9, 11, 12, 14, 17, 19, 22, 25, 27, 31]].reshape(3, 4),
         np.array([-0.9, -0.7, -0.5, -0.3]), np.array([[0.3], [0.6], [0.8]])),
    case(np.clip, np.array([-1.2, 0.1, 0.9]), None, 0.5, wrt=[0]),
    case(np.clip, np.array([-1.2, 0.1, 0.9]), -0.5, None, wrt=[0, 1]),
    case(np.clip, np.array([[-1.2, 0.1, 0.9]]), a_min=-0.5, a_max=0.5, wrt=[0, "a_min", "a_max"]),
    case(np.ndarray.clip, np.array([-1.2, -0.3, 0.1, 0.9]), -0.5, 0.5),
    case(np.ndarray.clip, np.array([-1.2, -0.3, 0.1, 0.9]), max=0.5, wrt=[0, "max"]),
    case(np.where, np.array([True, False, True]), normal((3,)), 0.0, wrt=[1]),
]

# remainders truncated toward zero, and the step whose second argument is its value at 0
for a, b in [(None, None), ((4,), (4,)), ((2, 3), (3,)), ((3,), None), ((2, 3), ())]:
    CASES.append(case(np.fmod, *between_jumps(a, b)))
CASES += [
    case(np.heaviside, np.array([-1.0, 0.0, 2.0, 0.0]), normal((4,)), wrt=[1]),
    case(np.heaviside, np.array([[0.0], [1.5]]), normal((3,)), wrt=[1]),
    case(np.heaviside, 0.0, normal(None), wrt=[1]),
]

# ----------------------------------------------------- new arrays made from values
CASES += [
    case(np.full, (2, 3), normal(None), wrt=[1]),
    case(np.full, (2, 3), normal((3,)), wrt=[1]),
    case(np.full, 4, normal(()), wrt=[1]),
    case(np.full, (2, 2), fill_value=normal((2, 1)), wrt=["fill_value"]),
    case(np.full_like, np.zeros((2, 3)), normal(None), wrt=[1]),
    case(np.full_like, np.zeros((2, 3)), normal((2, 1)), wrt=[1]),
    case(np.arange, normal(None), 4.0, wrt=[0]),
    case(np.arange, 0.25, 3.0, uniform(0.4, 0.6), wrt=[2]),
    case(np.arange, normal(None), 4.0, 0.75, wrt=[0]),
    case(np.arange, 0.3, 2.5, step=0.5, wrt=[0]),
    case(np.linspace, normal(None), normal(None), 5),
    case(np.linspace, normal(None), normal(None), 4, endpoint=False),
    case(np.linspace, normal(None), normal(None), 1),
    case(np.linspace, normal((3,)), normal((3,)), 4),
    case(np.linspace, normal((2, 3)), normal(None), 3, axis=-1),
    case(np.linspace, normal(None), normal((3,)), 4, axis=1),
    case(np.linspace, normal((2, 1)), normal((3,)), 3, True, axis=1),
    case(np.linspace, 0.0, normal(None), num=6, wrt=[1]),
]

# ----------------------------------------------------------- products of arrays
for a, b in [((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 2)), ((2, 3), (3, 4)), ((2, 3, 4), (4,)),
             ((2, 3, 4), (5, 4, 2)), (None, (3,)), ((2, 3), None), ((), ())]:
    CASES.append(case(np.dot, normal(a), normal(b)))
CASES += [case(np.ndarray.dot, normal((2, 3)), normal((3, 4))),
          case(np.ndarray.dot, normal((3,)), normal((3,)))]
for a, b in [((3,), (3,)), ((2, 3), (4, 3)), ((2, 2, 3), (3,)), ((3,), (2, 3)), (None, (2, 3)),
             ((2, 3), ())]:
    CASES.append(case(np.inner, normal(a), normal(b)))
for a, b in [((3,), (4,)), ((2, 2), (3,)), (None, (3,)), ((3,), ())]:
    CASES.append(case(np.outer, normal(a), normal(b)))
CASES += [
    case(np.tensordot, normal((2, 3, 4)), normal((3, 4, 5))),
    case(np.tensordot, normal((2, 3)), normal((3, 4)), axes=1),
    case(np.tensordot, normal((2, 3)), normal((4,)), axes=0),
    case(np.tensordot, normal((3, 2, 4)), normal((2, 3, 5)), axes=([1, 0], [0, 1])),
    case(np.tensordot, normal((3, 2, 4)), normal((4, 5, 3)), axes=((0, 2), (2, 0))),
    case(np.tensordot, normal((2, 3)), normal((3, 4)), axes=([-1], [0])),
    case(np.tensordot, normal((2, 3)), normal((4, 2)), axes=(0, 1)),
]
EINSUMS = [
    ("ij,jk->ik", (3, 4), (4, 2)), ("ij,jk", (3, 4), (4, 2)), ("i,i->", (4,), (4,)),
    ("i,i", (4,), (4,)), ("i,j->ij", (3,), (4,)), ("ii->i", (3, 3)), ("ii", (3, 3)),
    ("ij->ji", (2, 3)), ("ij->", (2, 3)), ("ij", (2, 3)), ("ba", (2, 3)),
    ("bij,bjk->bik", (5, 2, 3), (5, 3, 4)), ("...ij,...jk->...ik", (5, 2, 3), (3, 4)),
    ("...i,...i", (1, 3), (4, 3)), ("ij,ij,ij->i", (2, 3), (2, 3), (2, 3)),
    ("ij,k->i", (2, 3), (4,)), ("iij->j", (3, 3, 2)), ("Ab,bc", (2, 3), (3, 4)),
    ("i, j -> ij", (2,), (3,)), ("i...->...", (3, 2, 2)),
]
for subscripts, *shapes in EINSUMS:
    CASES.append(case(np.einsum, subscripts, *[normal(s) for s in shapes]))
CASES.append(case(np.einsum, "ij,jk,kl->il", normal((2, 3)), normal((3, 4)), normal((4, 2)),
                  optimize=True))
# the sublist form: each operand followed by its axes, then (optionally) the output's
CASES += [
    case(np.einsum, normal((3, 4)), [0, 1], normal((4, 2)), [1, 2], [0, 2]),
    case(np.einsum, normal((3, 4)), [0, 1], normal((4, 2)), [1, 2]),
    case(np.einsum, normal((2, 3)), [0, 1], [1, 0]),
    case(np.einsum, normal((3, 3)), [0, 0]),
    case(np.einsum, normal((4,)), [0], normal((4,)), [0], []),
    case(np.einsum, normal((5, 2, 3)), [Ellipsis, 0, 1], normal((3, 4)), [1, 2], [Ellipsis, 0, 2]),
    case(np.einsum, normal((2, 3)), [0, 1], normal((3, 4)), [1, 2], normal((4, 2)), [2, 3], [0, 3],
         optimize=True),
    case(np.einsum, np.ones((3, 4)), [0, 1], normal((4, 2)), [1, 2], [0, 2], wrt=[2]),
]

# np.r_[...] and np.c_[...]: the rule takes the key spread out; ranges are constants
JOIN = type(np.r_).__getitem__
CASES += [
    case(JOIN, np.r_, normal((3,)), normal((2,)), wrt=[1, 2], id="np.r_[3, 2]"),
    case(JOIN, np.r_, normal((3,)), slice(0, 3), normal(None), wrt=[1, 3], id="np.r_[3, 0:3, f]"),
    case(JOIN, np.r_, normal(None), slice(0.0, 1.0, 4j), normal((3,)), wrt=[1, 3], id="np.r_[f, 0:1:4j, 3]"),
    case(JOIN, np.r_, "0,2", normal((3,)), normal((2, 3)), wrt=[2, 3], id="np.r_['0,2', 3, 2x3]"),
    case(JOIN, np.r_, "-1", normal((2, 3)), normal((2, 1)), wrt=[2, 3], id="np.r_['-1', 2x3, 2x1]"),
    case(JOIN, np.r_, normal((4,)), wrt=[1], id="np.r_[4]"),
    case(JOIN, np.c_, normal((3,)), normal((3,)), wrt=[1, 2], id="np.c_[3, 3]"),
    case(JOIN, np.c_, normal((3, 2)), normal((3,)), slice(0, 3), wrt=[1, 2], id="np.c_[3x2, 3, 0:3]"),
]

# ------------------------------------------------------------------ reductions
REDUCE_AXES = [
    ((5,), {}), ((5,), {"axis": 0}), ((3, 4), {}), ((3, 4), {"axis": 0}), ((3, 4), {"axis": -1}),
    ((3, 4), {"axis": 1, "keepdims": True}), ((3, 4), {"keepdims": True}),
    ((2, 3, 4), {"axis": (0, 2)}), ((2, 3, 4), {"axis": (2, 0), "keepdims": True}),
    ((2, 3, 4), {"axis": -2}),
]
for shape, kw in REDUCE_AXES:
    for op in (np.sum, np.ndarray.sum, np.mean, np.ndarray.mean, np.prod, np.ndarray.prod,
               np.var, np.ndarray.var, np.std, np.ndarray.std):
        CASES.append(case(op, uniform(0.5, 1.5, shape) if "prod" in op.__name__ else normal(shape), **kw))
    for op in (np.max, np.amax, np.ndarray.max, np.min, np.amin, np.ndarray.min):
        CASES.append(case(op, distinct(shape)[0], **kw))
CASES += [
    case(np.sum, normal(None)), case(np.sum, normal(())), case(np.mean, normal(())),
    case(np.max, normal(())), case(np.prod, normal(None)),
    case(np.sum, [normal(None), normal(None)], wrt=[(0, 0), (0, 1)]),
    case(np.prod, np.array([[1.5, 0.0, 2.0], [0.0, 0.0, 3.0]]), axis=1),  # exact at zeros
    case(np.prod, np.array([0.5, 0.0, 2.0, -1.5])),
    case(np.var, normal((3, 4)), axis=0, ddof=1),
    case(np.std, normal((3, 4)), ddof=1),
    case(np.ndarray.std, normal((2, 3, 4)), axis=(1, 2), ddof=1, keepdims=True),
]
for shape, kw in [((5,), {}), ((3, 4), {}), ((3, 4), {"axis": 0}), ((3, 4), {"axis": -1}),
                  ((4,), {"axis": 0})]:
    CASES += [case(np.cumsum, normal(shape), **kw), case(np.ndarray.cumsum, normal(shape), **kw)]

NORMS = [
    ((5,), {}), ((5,), {"ord": 2}), ((5,), {"ord": 1}), ((5,), {"ord": np.inf}),
    ((5,), {"ord": -np.inf}), ((5,), {"ord": 3}), ((5,), {"ord": 0.5}), ((5,), {"ord": 0}),
    ((5,), {"axis": 0, "keepdims": True}), ((3, 4), {}), ((3, 4), {"ord": "fro"}),
    ((3, 4), {"ord": "nuc"}), ((3, 4), {"ord": 2}), ((3, 4), {"ord": -2}), ((3, 4), {"ord": 1}),
    ((3, 4), {"ord": -1}), ((3, 4), {"ord": np.inf}), ((3, 4), {"ord": -np.inf}),
    ((3, 4), {"axis": 1}), ((3, 4), {"axis": 0, "ord": 1}), ((3, 4), {"keepdims": True}),
    ((3, 4), {"axis": (0, 1), "ord": 2, "keepdims": True}), ((2, 3, 4), {}),
    ((2, 3, 4), {"axis": (1, 2)}), ((2, 3, 4), {"axis": (1, 2), "ord": 2}),
    ((2, 3, 4), {"axis": (2, 0), "ord": "nuc"}), ((2, 3, 4), {"axis": (1, 2), "ord": 1}),
    ((2, 3, 4), {"axis": -1, "ord": np.inf}),
]


def _norm_data(shape, kw):
    """Values without ties where the norm takes a maximum: distinct values for a vector norm,
    continuous ones where it compares the sums of rows or columns (sums of distinct values on
    a grid can tie)."""
    if shape == (5,):
        return away(shape)
    sums = kw.get("ord") in (1, -1, np.inf, -np.inf) and not isinstance(kw.get("axis"), int)
    return normal(shape) if sums else distinct(shape)[0]


for shape, kw in NORMS:
    CASES.append(case(np.linalg.norm, _norm_data(shape, kw), **kw))

# --------------------------------------------------------------------- shapes
CASES += [
    case(np.reshape, normal((2, 6)), (3, 4), wrt=[0]),
    case(np.reshape, normal((2, 3, 2)), -1, wrt=[0]),
    case(np.reshape, normal((2, 6)), (4, 3), order="F", wrt=[0]),
    case(np.ndarray.reshape, normal((2, 6)), 3, 4, wrt=[0]),
    case(np.ndarray.reshape, normal((2, 6)), (3, 4), wrt=[0]),
    case(np.ndarray.reshape, normal((2, 6)), (4, 3), order="F", wrt=[0]),
    case(np.ravel, normal((2, 3))), case(np.ravel, normal((2, 3)), order="F"),
    case(np.ndarray.ravel, normal((2, 3, 2))), case(np.ndarray.flatten, normal((2, 3))),
    case(np.ndarray.flatten, normal((2, 3)), "F"),
    case(np.squeeze, normal((1, 3, 1))), case(np.squeeze, normal((1, 3, 1)), axis=2),
    case(np.ndarray.squeeze, normal((3, 1))),
    case(np.expand_dims, normal((3,)), 0, wrt=[0]), case(np.expand_dims, normal((3, 2)), (0, 3), wrt=[0]),
    case(np.broadcast_to, normal((3,)), (2, 3), wrt=[0]),
    case(np.broadcast_to, normal((3, 1)), (2, 3, 4), wrt=[0]),
    case(np.broadcast_to, normal(()), (2, 2), wrt=[0]),
    case(np.ndarray.T, normal((2, 3))), case(np.ndarray.T, normal((2, 3, 4))),
    case(np.ndarray.T, normal((3,))),
    case(np.transpose, normal((2, 3))), case(np.transpose, normal((2, 3, 4)), (1, 2, 0)),
    case(np.transpose, normal((2, 3, 4)), axes=(-1, 0, 1)),
    case(np.ndarray.transpose, normal((2, 3))),
    case(np.ndarray.transpose, normal((2, 3, 4)), 2, 0, 1),
    case(np.ndarray.transpose, normal((2, 3, 4)), (1, 2, 0)),
    case(np.ndarray.transpose, normal((2, 3, 4)), None),
    case(np.swapaxes, normal((2, 3, 4)), 0, 2), case(np.ndarray.swapaxes, normal((2, 3)), 1, 0),
    case(np.moveaxis, normal((2, 3, 4)), 0, -1),
    case(np.moveaxis, normal((2, 3, 4)), (0, 1), (2, 0)),
    case(np.flip, normal((2, 3))), case(np.flip, normal((2, 3)), 0), case(np.flip, normal((2, 3, 2)), (0, 2)),
    # joining and splitting
    case(np.concatenate, [normal((2, 3)), normal((4, 3))], wrt=[(0, 0), (0, 1)]),
    case(np.concatenate, [normal((2, 3)), normal((2, 1)), normal((2, 2))], axis=1,
         wrt=[(0, 0), (0, 1), (0, 2)]),
    case(np.concatenate, [normal((2, 3)), normal((4,))], axis=None, wrt=[(0, 0), (0, 1)]),
    case(np.concatenate, (normal((2, 2)), normal((2, 2))), -1, wrt=[(0, 0), (0, 1)]),
    case(np.concatenate, [normal((2, 3)), np.ones((1, 3))], wrt=[(0, 0)]),
    case(np.stack, [normal((3,)), normal((3,))], wrt=[(0, 0), (0, 1)]),
    case(np.stack, [normal((2, 3)), normal((2, 3)), normal((2, 3))], axis=1, wrt=[(0, 0), (0, 1), (0, 2)]),
    case(np.stack, [normal((2, 3)), normal((2, 3))], axis=-1, wrt=[(0, 0), (0, 1)]),
    case(np.stack, [normal(None), normal(None)], wrt=[(0, 0), (0, 1)]),
    case(np.hstack, [normal((3,)), normal((2,))], wrt=[(0, 0), (0, 1)]),
    case(np.hstack, [normal((2, 3)), normal((2, 1))], wrt=[(0, 0), (0, 1)]),
    case(np.hstack, [normal(()), normal((2,)), normal(None)], wrt=[(0, 0), (0, 1), (0, 2)]),
    case(np.vstack, [normal((3,)), normal((3,))], wrt=[(0, 0), (0, 1)]),
    case(np.vstack, [normal((2, 3)), normal((1, 3)), normal((3,))], wrt=[(0, 0), (0, 1), (0, 2)]),
    case(np.split, normal((6,)), 3, wrt=[0]),
    case(np.split, normal((2, 6)), [1, 4], axis=1, wrt=[0]),
    case(np.split, normal((4, 3)), 2, wrt=[0]),
    case(np.array_split, normal((7,)), 3, wrt=[0]),
    case(np.array_split, normal((2, 5)), 2, axis=1, wrt=[0]),
    case(np.tile, normal((3,)), 2, wrt=[0]), case(np.tile, normal((2, 3)), (2, 2), wrt=[0]),
    case(np.tile, normal((3,)), (2, 1, 2), wrt=[0]), case(np.tile, normal((2, 3)), (2,), wrt=[0]),
    case(np.repeat, normal((3,)), 2, wrt=[0]), case(np.repeat, normal((2, 3)), 2, wrt=[0]),
    case(np.repeat, normal((2, 3)), 3, axis=1, wrt=[0]),
    case(np.repeat, normal((2, 3)), [1, 0, 2], axis=1, wrt=[0]),
    case(np.repeat, normal((2, 3)), np.array([2, 1]), axis=0, wrt=[0]),
    case(np.ndarray.repeat, normal((2, 3)), 2, axis=-1, wrt=[0]),
    # picking out elements
    case(np.take, normal((5,)), [0, 3, 0, 4], wrt=[0]),
    case(np.take, normal((3, 4)), np.array([[0, 2], [2, 2]]), wrt=[0]),
    case(np.take, normal((3, 4)), [2, 0, 2], axis=1, wrt=[0]),
    case(np.take, normal((3, 4)), 1, axis=0, wrt=[0]),
    case(np.take, normal((5,)), [6, -1, 2], mode="wrap", wrt=[0]),
    case(np.take, normal((5,)), [7, -2, 2], mode="clip", wrt=[0]),
    case(np.ndarray.take, normal((3, 4)), [1, 1], axis=-1, wrt=[0]),
    case(np.sort, distinct((5,))[0]), case(np.sort, distinct((3, 4))[0], axis=0),
    case(np.sort, distinct((3, 4))[0], axis=None), case(np.sort, distinct((2, 3, 2))[0]),
    case(np.diag, normal((3,))), case(np.diag, normal((3,)), 1), case(np.diag, normal((3,)), k=-2),
    case(np.diag, normal((3, 3))), case(np.diag, normal((3, 4)), 1), case(np.diag, normal((4, 3)), -1),
    case(np.diagonal, normal((3, 3))), case(np.diagonal, normal((3, 4)), 1),
    case(np.diagonal, normal((2, 3, 4)), 0, 1, 2), case(np.diagonal, normal((3, 2, 3)), axis1=2, axis2=0),
    case(np.ndarray.diagonal, normal((4, 3)), -1),
    case(np.trace, normal((3, 3))), case(np.trace, normal((3, 4)), 1),
    case(np.trace, normal((2, 3, 3)), 0, 1, 2), case(np.trace, normal((3, 2, 3)), axis1=2, axis2=0),
    case(np.ndarray.trace, normal((4, 4)), -1),
    case(np.triu, normal((3, 4))), case(np.triu, normal((3, 3)), 1), case(np.triu, normal((2, 3, 3)), -1),
    case(np.tril, normal((3, 4))), case(np.tril, normal((4, 3)), -1),
    # copying and casting
    case(np.array, normal((2, 3))),
    case(np.array, [normal(None), normal(None), normal(None)], wrt=[(0, 0), (0, 1), (0, 2)]),
    case(np.array, [normal((2,)), normal((2,))], wrt=[(0, 0), (0, 1)]),
    case(np.array, [[normal(None), normal(None)], [normal(None), normal(None)]],
         wrt=[(0, 0, 0), (0, 0, 1), (0, 1, 1)]),
    case(np.array, normal((3,)), ndmin=2), case(np.array, normal(None)),
    case(np.asarray, normal((2, 3))), case(np.asarray, [normal(None), normal(None)], wrt=[(0, 0), (0, 1)]),
    case(np.copy, normal((2, 3))), case(np.ndarray.copy, normal((3,))),
    case(np.ndarray.astype, normal((2, 3)), np.float64, wrt=[0]),
]


# ------------------------------------------- angles, casts, shifts, pads, joins, positions

CASES += [case(f, normal(shape)) for f in (np.deg2rad, np.radians, np.rad2deg, np.degrees, np.real, np.conj,
                                          np.imag) for shape in (None, (3,), (2, 3))]
CASES += [
    case(np.ndarray.conj, normal((2, 3))), case(np.float64, normal((3,))), case(np.float64, normal(None)),
    case(np.float_power, uniform(0.5, 2.0, (3,)), normal((3,))),
    case(np.float_power, uniform(0.5, 2.0, (2, 3)), 2.5, wrt=[0]),
    case(np.nan_to_num, np.array([1.5, np.nan, -0.5, np.inf, -np.inf]), posinf=10.0, neginf=-10.0, wrt=[0]),
    case(np.nan_to_num, np.array([1.5, np.nan, -np.inf]), nan=normal(None), neginf=normal(None),
         wrt=[0, "nan", "neginf"]),
    case(np.roll, normal((5,)), 2, wrt=[0]), case(np.roll, normal((3, 4)), -1, axis=1, wrt=[0]),
    case(np.roll, normal((3, 4)), (1, 2), axis=(0, 1), wrt=[0]), case(np.roll, normal((3, 4)), 5, wrt=[0]),
    case(np.diff, normal((5,)), wrt=[0]), case(np.diff, normal((3, 5)), 2, wrt=[0]),
    case(np.diff, normal((4, 3)), axis=0, wrt=[0]), case(np.diff, normal((4, 5)), n=3, axis=-1, wrt=[0]),
    case(np.diff, normal((2, 2)), 3, wrt=[0]),  # no differences left: derivative 0
    case(np.cumprod, uniform(0.5, 1.5, (5,))), case(np.cumprod, uniform(0.5, 1.5, (3, 4)), axis=0),
    case(np.cumprod, -uniform(0.5, 1.5, (3, 4))), case(np.ndarray.cumprod, uniform(0.5, 1.5, (2, 3)), 1),
    case(np.convolve, normal((5,)), normal((3,))), case(np.convolve, normal((5,)), normal((3,)), "same"),
    case(np.convolve, normal((5,)), normal((3,)), mode="valid"), case(np.convolve, normal((2,)), normal((4,)), "same"),
    case(np.convolve, normal((3,)), normal((6,)), mode="valid"),
    case(np.flipud, normal((3, 2))), case(np.fliplr, normal((3, 2))), case(np.rot90, normal((2, 3))),
    case(np.rot90, normal((2, 3)), 3), case(np.rot90, normal((2, 3, 4)), k=2, axes=(1, 2)),
    case(np.rollaxis, normal((2, 3, 4)), 2, wrt=[0]), case(np.rollaxis, normal((2, 3, 4)), 0, 3, wrt=[0]),
    case(np.rollaxis, normal((2, 3, 4)), -1, 1, wrt=[0]),
    case(np.atleast_1d, normal(None)), case(np.atleast_2d, normal((3,))), case(np.atleast_3d, normal((2, 3))),
    case(np.atleast_2d, normal((3,)), normal((2, 2))),
    case(np.append, normal((3,)), normal((2,))), case(np.append, normal((2, 3)), normal((1, 3)), axis=0),
    case(np.append, normal((2, 3)), normal((2, 2))),
    case(np.column_stack, [normal((3,)), normal((3, 2))], wrt=[(0, 0), (0, 1)]),
    case(np.dstack, [normal((2, 3)), normal((2, 3, 2)), normal((2, 3))], wrt=[(0, 0), (0, 1), (0, 2)]),
    case(np.hsplit, normal((2, 6)), 3, wrt=[0]), case(np.hsplit, normal((6,)), [1, 4], wrt=[0]),
    case(np.vsplit, normal((4, 3)), 2, wrt=[0]), case(np.dsplit, normal((2, 2, 4)), [1], wrt=[0]),
    case(np.kron, normal((2, 3)), normal((3, 2))), case(np.kron, normal((3,)), normal((2,))),
    case(np.kron, normal((2,)), normal((2, 3))),
    case(np.cross, normal((3,)), normal((3,))), case(np.cross, normal((4, 3)), normal((3,))),
    case(np.cross, normal((3, 4)), normal((3, 4)), axis=0),
    case(np.take_along_axis, normal((3, 4)), np.array([[0, 3], [1, 1], [2, 0]]), 1, wrt=[0]),
    case(np.take_along_axis, normal((3, 4)), np.array([[0, 2, 2, 1]]), axis=0, wrt=[0]),
    case(np.take_along_axis, normal((5,)), np.array([4, 4, 0]), None, wrt=[0]),
    case(np.partition, distinct((6,))[0], 2), case(np.partition, distinct((3, 5))[0], 1, axis=0),
    case(np.partition, distinct((3, 5))[0], (1, 3)),
    case(np.median, distinct((5,))[0]), case(np.median, distinct((4,))[0]),
    case(np.median, distinct((3, 4))[0], axis=1), case(np.median, distinct((3, 5))[0], axis=0, keepdims=True),
    case(np.pad, normal((3,)), 2, wrt=[0]), case(np.pad, normal((3, 2)), ((1, 0), (2, 1)), wrt=[0]),
    case(np.pad, normal((3, 2)), 2, "edge", wrt=[0]), case(np.pad, normal((4,)), (2, 5), mode="reflect", wrt=[0]),
    case(np.pad, normal((3, 3)), 1, mode="reflect", wrt=[0]),
    case(np.pad, normal((3,)), 1, constant_values=normal(None), wrt=[0]),
]


@pytest.mark.parametrize("kind", sorted(CHECKS))
@pytest.mark.parametrize("op, args, kwargs, wrt", CASES)
def test_rule_against_finite_differences_and_its_twin(kind, op, args, kwargs, wrt):
    check_by_kind(kind, op, args, kwargs, wrt)


# ---------------------------------------------------------------------- dtypes


def f32(x):
    return np.float32(x) if np.ndim(x) == 0 and not isinstance(x, np.ndarray) else x.astype(np.float32)


DTYPE_CASES = [case(f, f32(draw((2, 3)))) for f, draw in UNARY]
if np.lib.NumpyVersion(np.__version__) >= "2.0.0":
    # NumPy 1.x turns a float32 scalar times a Python float into float64; 2.x keeps float32
    DTYPE_CASES += [case(f, f32(draw(()))) for f, draw in UNARY[:6]]
DTYPE_CASES += [
    case(np.float32, normal((3,))), case(np.float64, f32(normal((3,)))),
    case(np.logaddexp, f32(normal((3, 1))), f32(normal((4,)))),
    case(np.arctan2, f32(away((3,))), f32(away((3,)))),
    case(np.hypot, f32(away((3,))), 2.0, wrt=[0]),
    case(np.maximum, 0.0, f32(away((3, 4))), wrt=[1]),
    case(np.minimum, *[f32(x) for x in distinct((3, 1), (4,))]),
    case(np.clip, f32(np.array([-1.2, 0.1, 0.9])), -0.5, 0.5, wrt=[0]),
    case(np.where, np.array([True, False]), f32(normal((2,))), 0.0, wrt=[1]),
    case(np.dot, f32(normal((2, 3))), f32(normal((3,)))),
    case(np.inner, f32(normal((2, 3))), f32(normal((4, 3)))),
    case(np.outer, f32(normal((2,))), f32(normal((3,)))),
    case(np.tensordot, f32(normal((2, 3))), f32(normal((3, 4))), axes=1),
    case(np.einsum, "ii,ij->j", f32(normal((3, 3))), f32(normal((3, 2)))),
    case(np.sum, f32(normal((3, 4))), axis=0), case(np.mean, f32(normal((3, 4)))),
    case(np.prod, f32(uniform(0.5, 1.5, (3, 4))), axis=1),
    case(np.max, f32(distinct((3, 4))[0]), axis=1), case(np.min, f32(distinct((3, 4))[0])),
    case(np.var, f32(normal((3, 4))), axis=0, ddof=1), case(np.std, f32(normal((3, 4)))),
    case(np.linalg.norm, f32(normal((5,)))), case(np.linalg.norm, f32(normal((3, 4))), ord="nuc"),
    case(np.linalg.norm, f32(distinct((3, 4))[0]), ord=1),
    case(np.linalg.norm, f32(away((5,))), ord=3),
    case(np.cumsum, f32(normal((3, 4))), axis=1),
    case(np.reshape, f32(normal((2, 3))), (3, 2), wrt=[0]),
    case(np.concatenate, [f32(normal((2,))), f32(normal((3,)))], wrt=[(0, 0), (0, 1)]),
    case(np.take, f32(normal((5,))), [1, 1], wrt=[0]),
    case(np.sort, f32(distinct((4,))[0])),
    case(np.trace, f32(normal((3, 3)))),
    case(np.repeat, f32(normal((3,))), [1, 2, 0], wrt=[0]),
]


@pytest.mark.parametrize("op, args, kwargs, wrt", DTYPE_CASES)
def test_float32_stays_float32(op, args, kwargs, wrt):
    check_dtypes(op, args, kwargs, wrt)


def test_astype_derivative_is_cast_back_to_the_input_dtype():
    x = normal((2, 3)).astype(np.float32)
    rule = Rule(np.ndarray.astype, [x, np.float64], wrt=[0])
    assert rule.y.dtype == np.float64
    grad = rule.run_adjoint(np.ones((2, 3)), [0])[0]
    assert grad.dtype == np.float32
    np.testing.assert_array_equal(grad, np.ones((2, 3), dtype=np.float32))
    assert rule.run_tangent({0: x}).dtype == np.float64


# --------------------------------------------------------- ties and selection


def test_max_gives_the_derivative_to_the_first_of_tied_elements():
    x = np.array([[1.0, 3.0, 3.0], [2.0, 0.0, 2.0]])
    rule = Rule(np.max, [x], {"axis": 1}, wrt=[0])
    grad = rule.run_adjoint(np.array([1.0, 4.0]), [0])[0]
    np.testing.assert_array_equal(grad, [[0.0, 1.0, 0.0], [4.0, 0.0, 0.0]])
    tangent = rule.run_tangent({0: np.array([[9.0, 1.0, 3.0], [1.0, 9.0, 5.0]])})
    np.testing.assert_array_equal(tangent, [1.0, 1.0])


def test_min_over_everything_gives_the_derivative_to_the_first_tie():
    grad = Rule(np.min, [np.array([2.0, 1.0, 1.0, 1.0])]).run_adjoint(3.0, [0])[0]
    np.testing.assert_array_equal(grad, [0.0, 3.0, 0.0, 0.0])


def test_max_over_several_axes_gives_the_derivative_to_the_first_tie_in_c_order():
    x = np.array([[[1.0, 5.0], [5.0, 0.0]], [[2.0, 2.0], [1.0, 2.0]]])
    grad = Rule(np.max, [x], {"axis": (1, 2)}, wrt=[0]).run_adjoint(np.array([1.0, 2.0]), [0])[0]
    np.testing.assert_array_equal(grad, [[[0.0, 1.0], [0.0, 0.0]], [[2.0, 0.0], [0.0, 0.0]]])


@pytest.mark.parametrize("op, first, second", [(np.maximum, 1.0, 0.0), (np.minimum, 1.0, 0.0),
                                               (np.fmax, 1.0, 0.0), (np.fmin, 1.0, 0.0)])
def test_first_argument_wins_elementwise_ties(op, first, second):
    rule = Rule(op, [np.array([2.0, -1.0]), np.array([2.0, -1.0])])
    grads = rule.run_adjoint(np.ones(2), [0, 1])
    np.testing.assert_array_equal(grads[0], [first, first])
    np.testing.assert_array_equal(grads[1], [second, second])


def test_relu_derivative_is_zero_at_zero():
    u = np.array([-1.0, 0.0, 2.0])
    grad = Rule(np.maximum, [0.0, u], wrt=[1]).run_adjoint(np.ones(3), [1])[1]
    np.testing.assert_array_equal(grad, [0.0, 0.0, 1.0])


def test_split_adjoint_accepts_unused_pieces():
    x = normal((6,))
    rule = Rule(np.split, [x, 3], wrt=[0])
    out = rule.adjoint.run("adjoint", {"y": [None, np.ones(2), 0.0]}, {"ary"}, rule.y, rule.args, {})
    np.testing.assert_array_equal(out["ary"][0], [0.0, 0.0, 1.0, 1.0, 0.0, 0.0])


# np.select, np.interp (in x away from the knots, in fp, left and right), np.sinc (at 0 too),
# and reductions with where= and initial=
_CONDITIONS = [np.array([True, False, False, True]), np.array([True, True, False, False])]
_KNOTS = np.array([-1.0, 0.0, 0.5, 2.0])
_POINTS = np.array([-1.5, -0.4, 0.2, 1.1, 2.5])
_MASK = np.array([[True, False, True], [False, True, True]])
CASES += [
    case(np.select, _CONDITIONS, [normal((4,)), normal((4,))], normal((4,)), wrt=[(1, 0), (1, 1), 2]),
    case(np.select, _CONDITIONS, [normal((4,)), normal(None)], wrt=[(1, 0), (1, 1)]),
    case(np.interp, _POINTS, _KNOTS, normal((4,)), wrt=[0, 2]),
    case(np.interp, _POINTS, _KNOTS, normal((4,)), left=normal(None), right=normal(None), wrt=[2, "left", "right"]),
    case(np.sinc, normal((5,))), case(np.sinc, np.array([0.0, 0.5, -1.5])),
    case(np.max, normal((2, 3)), axis=1, initial=-5.0, where=_MASK, wrt=[0]),
    case(np.max, np.array([[-3.0, -2.0], [1.0, 0.5]]), axis=1, initial=normal(None) * 0.1 - 1.0, wrt=[0, "initial"]),
    case(np.min, normal((2, 3)), axis=0, initial=5.0, where=_MASK, wrt=[0]),
    case(np.sum, normal((2, 3)), axis=1, where=_MASK, wrt=[0]),
    case(np.sum, normal((2, 3)), initial=normal(None), wrt=[0, "initial"]),
    case(np.mean, normal((2, 3)), axis=1, where=_MASK, wrt=[0]),
    case(np.mean, normal((2, 3)), where=_MASK, wrt=[0]),
]
