"""Central finite differences in float64, to check generated derivatives."""
import dataclasses

import numpy as np

STEP = 1e-6


def numerical_gradient(f, args, position, step=STEP):
    """d f / d args[position] by central differences (array or float argument)."""
    x = args[position]

    def at(value):
        changed = list(args)
        changed[position] = value
        return float(f(*changed))

    if isinstance(x, float):
        return (at(x + step) - at(x - step)) / (2 * step)
    x = np.asarray(x, dtype=np.float64)
    gradient = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        bump = np.zeros_like(x)
        bump[index] = step
        gradient[index] = (at(x + bump) - at(x - bump)) / (2 * step)
    return gradient


def assert_gradient(df, f, args, wrt=(0,), rtol=1e-5, atol=1e-7):
    """``df(*args)`` (a tuple when ``wrt`` has several entries) matches finite differences."""
    result = df(*args)
    results = result if len(wrt) > 1 else (result,)
    assert len(results) == len(wrt)
    for got, position in zip(results, wrt):
        expected = numerical_gradient(f, args, position)
        assert np.shape(got) == np.shape(expected)
        np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol)


def _is_dataclass(value):
    return dataclasses.is_dataclass(value) and not isinstance(value, type)


def _fields(record):
    """A dataclass's constructor fields, as a dict."""
    return {f.name: getattr(record, f.name) for f in dataclasses.fields(record) if f.init}


def leaves(tree):
    """The float leaves of a nested list, tuple (namedtuple), dict or dataclass, in order."""
    if _is_dataclass(tree):
        return leaves(_fields(tree))
    if isinstance(tree, dict):
        return [leaf for key in tree for leaf in leaves(tree[key])]
    if isinstance(tree, (list, tuple)):
        return [leaf for item in tree for leaf in leaves(item)]
    return [tree] if isinstance(tree, (float, np.ndarray)) and np.asarray(tree).dtype.kind == "f" else []


def replace_leaves(tree, new):
    """``tree`` with its float leaves replaced, in order, by the items of the iterator ``new``."""
    if _is_dataclass(tree):
        return type(tree)(**replace_leaves(_fields(tree), new))
    if isinstance(tree, dict):
        return {key: replace_leaves(value, new) for key, value in tree.items()}
    if isinstance(tree, (list, tuple)):
        items = [replace_leaves(item, new) for item in tree]
        return type(tree)._make(items) if hasattr(tree, "_fields") else type(tree)(items)
    return next(new) if leaves(tree) else tree


def numerical_tree_gradient(f, args, position, step=STEP):
    """:func:`numerical_gradient` for an argument that is a container of floats and arrays:
    a container of the same structure."""
    tree = args[position]
    gradients = []
    for k, leaf in enumerate(leaves(tree)):
        def at_leaf(value, k=k):
            new = [value if j == k else other for j, other in enumerate(leaves(tree))]
            changed = list(args)
            changed[position] = replace_leaves(tree, iter(new))
            return f(*changed)
        gradients.append(numerical_gradient(at_leaf, [leaf], 0, step))
    return replace_leaves(tree, iter(gradients))


def assert_same_tree(got, expected, rtol=1e-5, atol=1e-7):
    """``got`` has ``expected``'s structure (container types, namedtuple types, keys) and values."""
    if isinstance(expected, float):
        assert isinstance(got, float), type(got)  # a float or a NumPy float64
    else:
        assert type(got) is type(expected), (type(got), type(expected))
    if _is_dataclass(expected):
        assert_same_tree(_fields(got), _fields(expected), rtol, atol)
    elif isinstance(expected, dict):
        assert list(got) == list(expected)
        for key in expected:
            assert_same_tree(got[key], expected[key], rtol, atol)
    elif isinstance(expected, (list, tuple)):
        assert len(got) == len(expected)
        for g, e in zip(got, expected):
            assert_same_tree(g, e, rtol, atol)
    else:
        assert np.shape(got) == np.shape(expected)
        np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol)


def assert_modes_agree(f, args, wrt=0, rtol=1e-5, atol=1e-7, forward=True):
    """Reverse mode (optimised and not) against finite differences, and forward mode
    (``jvp`` in a random direction, unless ``forward`` is false) against the same, for
    one argument ``wrt``."""
    import srcad

    expected = numerical_gradient(f, args, wrt)
    for optimize in (True, False):
        got = srcad.grad(f, wrt, optimize=optimize)(*args)
        assert np.shape(got) == np.shape(expected)
        np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol)
    if not forward:
        return
    direction = np.random.default_rng(0).normal(size=np.shape(args[wrt]))
    if isinstance(args[wrt], float):
        direction = float(direction)
    _, tangent = srcad.jvp(f, wrt)(*args, direction)
    np.testing.assert_allclose(tangent, np.sum(expected * direction), rtol=rtol, atol=atol)


def tree_direction(params, seed=1):
    """A random direction with the structure of ``params``."""
    directions = np.random.default_rng(seed)
    return replace_leaves(params, iter(directions.standard_normal(np.shape(leaf)) if np.ndim(leaf)
                                       else directions.standard_normal() for leaf in leaves(params)))


def tree_inner(a, b):
    """The inner product of two trees of the same structure."""
    return sum(float(np.sum(x * y)) for x, y in zip(leaves(a), leaves(b)))


def assert_all_modes(f, args, wrt=0, second_order=True):
    """grad (optimised and not), vjp, jvp and hvp of ``f`` against finite differences."""
    import srcad

    args = list(args)
    expected = numerical_tree_gradient(f, args, wrt)
    for optimize in (True, False):
        assert_same_tree(srcad.grad(f, wrt, optimize=optimize)(*args), expected)
    _, pullback = srcad.vjp(f, wrt)(*args)
    assert_same_tree(pullback(1.0), expected)
    direction = tree_direction(args[wrt])
    _, tangent = srcad.jvp(f, wrt)(*args, direction)
    assert np.isclose(tangent, tree_inner(expected, direction))
    if not second_order:
        return
    gradient = srcad.grad(f, wrt)
    step = 1e-6

    def gradient_at(sign):
        moved = list(args)
        moved[wrt] = replace_leaves(args[wrt], iter(
            p + sign * step * v for p, v in zip(leaves(args[wrt]), leaves(direction))))
        return leaves(gradient(*moved))

    expected_hvp = replace_leaves(args[wrt], iter(
        (gp - gm) / (2 * step) for gp, gm in zip(gradient_at(1), gradient_at(-1))))
    assert_same_tree(srcad.hvp(f, wrt)(*args, direction), expected_hvp, rtol=1e-4, atol=1e-6)
