"""``srcad.tree``: flatten, unflatten, leaves, map and registration over every kind of node,
and the runtime's walks over derivatives (adding, zeros, matching) using the same definition."""
import dataclasses
from collections import OrderedDict, defaultdict, namedtuple

import numpy as np
import pytest

import srcad
from srcad.api.transform import match_like
from srcad.runtime.accumulate import add_grads
from srcad.runtime.numeric import zeros_like
from doc_blocks import assert_prints_what_it_says, run_page
from gradcheck import numerical_tree_gradient

Pair = namedtuple("Pair", "W b")


@dataclasses.dataclass
class Layer:
    W: np.ndarray
    b: np.ndarray


@dataclasses.dataclass(frozen=True)
class FrozenLayer:
    W: np.ndarray
    b: float = 0.0
    size: int = dataclasses.field(init=False, default=0)

    def __post_init__(self):
        object.__setattr__(self, "size", int(np.size(self.W)))  # derived: not an item of the tree


class Box:
    """A user container: ``value`` is its item, ``label`` data kept alongside."""

    def __init__(self, value, label):
        self.value, self.label = value, label

    def __eq__(self, other):
        return isinstance(other, Box) and self.label == other.label and _same(self.value, other.value)


srcad.tree.register(Box, lambda box: ([box.value], box.label), lambda label, items: Box(items[0], label))


def _same(a, b):
    return type(a) is type(b) and srcad.tree.structure(a) == srcad.tree.structure(b) and all(
        np.array_equal(x, y) for x, y in zip(srcad.tree.leaves(a), srcad.tree.leaves(b)))


W, b = np.arange(6.0).reshape(2, 3), np.array([0.5, -1.0, 2.0])

TREES = {
    "leaf": (W, [W]),
    "list": ([W, b, 3.0], [W, b, 3.0]),
    "tuple": ((W, (b,)), [W, b]),
    "dict in key order": ({"z": W, "a": b, "m": 1.5}, [W, b, 1.5]),
    "namedtuple": (Pair(W, b), [W, b]),
    "dataclass": (Layer(W, b), [W, b]),
    "frozen dataclass": (FrozenLayer(W, 2.0), [W, 2.0]),
    "None": (None, []),
    "None inside": ([W, None, {"x": None, "y": b}], [W, b]),
    "registered": (Box(b, "bias"), [b]),
    "empty containers": ([(), {}, []], []),
    "nested": ({"layers": [Pair(W, b), (Layer(W, b), {"k": [2.0]})], "scale": 0.1},
               [W, b, W, b, 2.0, 0.1]),
    "OrderedDict": (OrderedDict([("b", b), ("a", W)]), [b, W]),
}


@pytest.fixture(params=list(TREES), name="case")
def case_fixture(request):
    return TREES[request.param]


def test_leaves_in_order(case):
    tree, expected = case
    found = srcad.tree.leaves(tree)
    assert len(found) == len(expected)
    assert all(x is y for x, y in zip(found, expected))


def test_unflatten_of_flatten_is_the_tree(case):
    tree, _ = case
    leaves, treedef = srcad.tree.flatten(tree)
    assert treedef.num_leaves == len(leaves)
    rebuilt = srcad.tree.unflatten(treedef, leaves)
    assert _same(rebuilt, tree)
    assert srcad.tree.structure(rebuilt) == treedef


def test_map_keeps_types_and_applies_to_every_leaf(case):
    tree, expected = case
    doubled = srcad.tree.map(lambda leaf: leaf * 2, tree)
    assert type(doubled) is type(tree)
    assert srcad.tree.structure(doubled) == srcad.tree.structure(tree)
    for got, leaf in zip(srcad.tree.leaves(doubled), expected):
        np.testing.assert_array_equal(got, leaf * 2)


def test_map_over_several_trees_pairs_their_leaves(case):
    tree, _ = case
    negated = srcad.tree.map(lambda leaf: -leaf, tree)
    total = srcad.tree.map(lambda x, y: x + y, tree, negated)
    assert all(np.all(leaf == 0) for leaf in srcad.tree.leaves(total))


def test_dict_keys_keep_their_order_and_match_in_any_order():
    first = {"z": 1.0, "a": 2.0}
    assert list(srcad.tree.map(lambda x: x, first)) == ["z", "a"]
    assert srcad.tree.map(lambda x, y: x - y, first, {"a": 2.0, "z": 1.0}) == {"z": 0.0, "a": 0.0}
    assert srcad.tree.structure(first) != srcad.tree.structure({"a": 2.0, "z": 1.0})  # leaves in another order


def test_defaultdict_keeps_its_factory():
    counts = defaultdict(list, {"a": 1.0})
    mapped = srcad.tree.map(lambda x: x + 1, counts)
    assert isinstance(mapped, defaultdict) and mapped.default_factory is list and mapped["a"] == 2.0


def test_frozen_dataclass_is_rebuilt_through_its_constructor():
    layer = FrozenLayer(np.ones((2, 2)), 1.0)
    wider = srcad.tree.map(lambda leaf: np.ones((3, 3)) if np.ndim(leaf) else leaf, layer)
    assert isinstance(wider, FrozenLayer) and wider.size == 9  # derived again by __post_init__
    with pytest.raises(dataclasses.FrozenInstanceError):
        wider.b = 2.0


def test_map_passes_subtrees_where_the_first_tree_has_leaves():
    # the gradient of an integer is None: a parameter tree and its gradient still map together
    params = {"W": W, "steps": 3}
    grads = {"W": np.ones_like(W), "steps": None}
    updated = srcad.tree.map(lambda p, g: p if g is None else p - g, params, grads)
    assert updated["steps"] == 3
    np.testing.assert_array_equal(updated["W"], W - 1)
    assert srcad.tree.map(lambda x, y: y, [1.0], [{"k": (2.0,)}]) == [{"k": (2.0,)}]


@pytest.mark.parametrize("other, where, what", [
    ({"layers": [(W, b)], "scale": 1.0}, "['layers'][0]", "tuple of 2"),
    ({"layers": [Pair(W, b), Pair(W, b)], "scale": 1.0}, "['layers']", "list of 2"),
    ({"layers": [Pair(W, b)]}, "", "dict with keys 'layers'"),
    ({"layers": [Pair(W, None)], "scale": 1.0}, None, None),  # None where the first has a leaf: fine
])
def test_map_names_where_structures_differ(other, where, what):
    tree = {"layers": [Pair(W, b)], "scale": 1.0}
    if where is None:
        srcad.tree.map(lambda x, y: x, tree, other)
        return
    with pytest.raises(ValueError) as error:
        srcad.tree.map(lambda x, y: x, tree, other)
    message = str(error.value)
    assert "tree 2 differs from the first" in message and what in message
    assert (f"at {where}:" in message) if where else " at " not in message


def test_is_leaf_keeps_nodes_whole():
    tree = [Pair(W, b), (1.0, 2.0)]
    found = srcad.tree.leaves(tree, is_leaf=lambda value: isinstance(value, Pair))
    assert found[0] is tree[0] and found[1:] == [1.0, 2.0]
    swapped = srcad.tree.map(lambda p: Pair(p.b, p.W) if isinstance(p, Pair) else p, tree,
                             is_leaf=lambda value: isinstance(value, Pair))
    assert swapped[0].W is b


def test_treedef_repr_and_unflatten_checks_the_count():
    treedef = srcad.tree.structure({"a": [1.0, (2.0,)], "p": Pair(1.0, None), "l": Layer(1.0, 2.0)})
    assert repr(treedef) == "TreeDef({'a': [*, (*,)], 'p': Pair(*, None), 'l': Layer(*, *)})"
    with pytest.raises(ValueError, match="has 5 leaves, but 3 were given"):
        srcad.tree.unflatten(treedef, [1.0, 2.0, 3.0])


def test_register_refuses_what_is_not_a_class_or_already_a_node():
    with pytest.raises(TypeError):
        srcad.tree.register(Box(1.0, "x"), lambda node: ([], None), lambda aux, items: None)
    with pytest.raises(ValueError):
        srcad.tree.register(list, lambda node: (node, None), lambda aux, items: list(items))


# ------------------------------------------ the runtime's derivatives use the same nodes


@pytest.mark.parametrize("make", [Layer, FrozenLayer, lambda W, b: Box([W, b], "layer")],
                         ids=["dataclass", "frozen dataclass", "registered"])
def test_derivatives_of_any_node_add_and_have_zeros(make):
    a, c = make(W, b), make(2 * W, 3 * b)
    total = add_grads(a, c)
    assert type(total) is type(a)
    for got, x, y in zip(srcad.tree.leaves(total), srcad.tree.leaves(a), srcad.tree.leaves(c)):
        np.testing.assert_array_equal(got, x + y)
    zero = zeros_like(a)
    assert type(zero) is type(a) and all(np.all(leaf == 0) for leaf in srcad.tree.leaves(zero))
    assert _same(add_grads(zero, a), a)
    assert _same(match_like(None, a), zero)


def test_adding_derivatives_of_different_nodes_is_refused():
    with pytest.raises(srcad.SrcadError, match="different structures"):
        add_grads(Layer(W, b), Pair(W, b))
    with pytest.raises(srcad.SrcadError, match="different structures"):
        add_grads(Box(b, "one"), Box(b, "two"))


def loss_of_layers(params, x):
    h = x
    for W_, b_ in params["layers"]:
        h = np.tanh(h @ W_ + b_)
    return np.sum(h ** 2) * params["scale"]


@pytest.mark.parametrize("optimize", [True, False])
def test_gradient_has_the_structure_of_its_parameters_and_maps_with_them(optimize):
    rng = np.random.default_rng(3)
    params = {"layers": [Pair(rng.standard_normal((3, 4)), rng.standard_normal(4)),
                         (rng.standard_normal((4, 2)), rng.standard_normal(2))],
              "scale": 0.7}
    x = rng.standard_normal((5, 3))
    grads = srcad.grad(loss_of_layers, optimize=optimize)(params, x)
    assert srcad.tree.structure(grads) == srcad.tree.structure(params)
    expected = numerical_tree_gradient(loss_of_layers, (params, x), 0)
    for got, want in zip(srcad.tree.leaves(grads), srcad.tree.leaves(expected)):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-7)
    stepped = srcad.tree.map(lambda p, g: p - 1e-3 * g, params, grads)
    assert loss_of_layers(stepped, x) < loss_of_layers(params, x)


def test_the_code_in_docs_trees_runs_and_prints_what_it_says(tmp_path):
    source, printed = run_page("trees.md", tmp_path)
    assert assert_prints_what_it_says(source, printed) >= 6
    assert "at ['layers'][0]: list of 2 (float, float) where the first has tuple of 2" in printed


def test_a_cotangent_must_have_the_structure_of_its_value_for_every_node():
    from srcad.api.transform import structure_mismatch
    like = {"layer": Layer(W, b), "box": Box([W], "x"), "pair": (W, b)}
    assert structure_mismatch({"layer": Layer(W, b), "box": Box([W], "x"), "pair": [W, b]}, like) is None
    assert structure_mismatch({"layer": Pair(W, b), "box": Box([W], "x"), "pair": (W, b)}, like) == \
        " at ['layer']"
    assert structure_mismatch({"layer": Layer(W, b), "box": Box([W], "y"), "pair": (W, b)}, like) == " at ['box']"
    assert structure_mismatch({"layer": Layer(W, b[:2]), "box": Box([W], "x"), "pair": (W, b)}, like) == \
        " at ['layer'][1]: array (2,) for array (3,)"
