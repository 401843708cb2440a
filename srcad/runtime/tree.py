"""Trees of values: the one definition of the containers srcad walks.

A tree is a value made of *nodes*, containers whose items are trees again, and
*leaves*, everything else (arrays, numbers, strings, objects). The nodes are
lists, tuples, namedtuples, dicts (in their key order), dataclasses (their
constructor's fields, frozen or not), ``None`` (a node with no items), and any
type given to :func:`register`. Parameters and their derivatives are trees of
one structure, so an optimiser or a user's loop can walk both without knowing
how they are nested::

    params = {"hidden": (W1, b1), "out": (W2, b2)}
    params = srcad.tree.map(lambda p, g: p - 0.1 * g, params, grads)

The runtime's own walks over derivatives (adding two of them, zeros of a
value's structure, giving a gradient its argument's type) ask this module what
a node is, so a type registered here is a container everywhere.
"""
import builtins
import dataclasses

import numpy as np

__all__ = ["TreeDef", "flatten", "leaves", "map", "register", "structure", "unflatten"]


class _Kind:
    """How one kind of node is taken apart and put back together.

    ``items(node)`` lists its items; ``aux(node)`` is what besides them rebuilding it
    needs (its type, its keys); ``join(aux, items)`` rebuilds it. Two nodes have the
    same structure at the top when their kinds and auxes are equal."""

    def __init__(self, name, items, aux, join):
        self.name, self.items, self.aux, self.join = name, items, aux, join

    def split(self, node):
        return self.items(node), self.aux(node)

    def __repr__(self):
        return f"<tree node kind {self.name}>"


def _dict_aux(node):
    return type(node), tuple(node), getattr(node, "default_factory", None)


def _join_dict(aux, items):
    cls, keys, default_factory = aux
    pairs = zip(keys, items)
    if default_factory is not None:
        return cls(default_factory, pairs)  # a defaultdict keeps its factory
    return dict(pairs) if cls is dict else cls(pairs)


def _dataclass_aux(node):
    return type(node), tuple(field.name for field in dataclasses.fields(node) if field.init)


def _dataclass_items(node):
    return [getattr(node, name) for name in _dataclass_aux(node)[1]]


def _join_dataclass(aux, items):
    # Through the constructor: fields it derives (init=False, __post_init__) are derived again.
    cls, names = aux
    return cls(**dict(zip(names, items)))


def _sequence_aux(node):
    return type(node), len(node)


_NONE = _Kind("None", lambda node: [], lambda node: None, lambda aux, items: None)
_LIST = _Kind("list", list, _sequence_aux, lambda aux, items: list(items) if aux[0] is list else aux[0](items))
_TUPLE = _Kind("tuple", list, _sequence_aux, lambda aux, items: tuple(items) if aux[0] is tuple else aux[0](items))
_NAMEDTUPLE = _Kind("namedtuple", list, type, lambda aux, items: aux._make(items))
_DICT = _Kind("dict", lambda node: list(node.values()), _dict_aux, _join_dict)
_DATACLASS = _Kind("dataclass", _dataclass_items, _dataclass_aux, _join_dataclass)

_registered = {}  # a registered type -> its _Kind


def register(cls, flatten, unflatten):
    """Make instances of ``cls`` nodes of trees, so that :func:`map`, :func:`leaves`,
    :func:`flatten` (and srcad's derivatives) look inside them.

    ``flatten(node)`` returns ``(children, aux)``: the node's items (an iterable of
    trees) and anything else needed to rebuild it (hashable or comparable with ``==``;
    two nodes match when their auxes are equal). ``unflatten(aux, children)`` builds
    the node back from them. Returns ``cls``, and the registration applies to ``cls``
    itself, not to its subclasses::

        class Layer:
            def __init__(self, W, b, name):
                self.W, self.b, self.name = W, b, name

        srcad.tree.register(Layer, lambda layer: ((layer.W, layer.b), layer.name),
                            lambda name, children: Layer(*children, name))
    """
    if not isinstance(cls, type):
        raise TypeError(f"srcad.tree.register takes a class, not {cls!r}")
    if cls in (list, tuple, dict, type(None)):
        raise ValueError(f"{cls.__name__} is already a node of srcad trees")
    _registered[cls] = _Kind(cls.__qualname__, lambda node: list(flatten(node)[0]), lambda node: flatten(node)[1],
                             unflatten)
    return cls


def _kind_of(value):
    """The kind of node ``value`` is, or None for a leaf."""
    kind = _registered.get(type(value))
    if kind is not None:
        return kind
    if value is None:
        return _NONE
    if isinstance(value, tuple):
        return _NAMEDTUPLE if hasattr(type(value), "_fields") else _TUPLE
    if isinstance(value, list):
        return _LIST
    if isinstance(value, dict):
        return _DICT
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _DATACLASS
    return None


# ------------------------------------------------- one level (for srcad's own walks)


def is_container(value):
    """Whether ``value`` is a node that holds items (any node but None)."""
    return value is not None and _kind_of(value) is not None


def children(node):
    """The items of the node ``node``, in order (a dict's values in its key order)."""
    return _kind_of(node).items(node)


def rebuild(like, items):
    """A node like ``like`` (its type, keys, fields) holding ``items`` instead."""
    kind = _kind_of(like)
    return kind.join(kind.aux(like), items)


def same_node(a, b):
    """Whether ``a`` and ``b`` are nodes of the same kind and structure at the top
    (their items may differ): the same type, and the same length, keys or fields."""
    kind = _kind_of(a)
    return kind is not None and kind is _kind_of(b) and kind.aux(a) == kind.aux(b)


def stands_for(given, like):
    """Whether the node ``given`` can stand for the node ``like`` as its derivative: the same
    node (:func:`same_node`), or, for a list or tuple, any list or tuple of its length."""
    if isinstance(like, (list, tuple)) and isinstance(given, (list, tuple)):
        return len(given) == len(like)
    return same_node(given, like)


# ------------------------------------------------------------- whole trees


class TreeDef:
    """The structure of a tree without its leaves, as :func:`flatten` and :func:`structure`
    give it; :meth:`unflatten` puts leaves back. Two trees with equal ``TreeDef``\\ s have
    the same nodes and their leaves in the same order."""

    def __init__(self, kind, aux, subtrees):
        self._kind, self._aux, self._subtrees = kind, aux, tuple(subtrees)

    @property
    def num_leaves(self):
        """How many leaves a tree of this structure has."""
        if self._kind is None:
            return 1
        return sum(subtree.num_leaves for subtree in self._subtrees)

    def unflatten(self, leaves):
        """The tree of this structure whose leaves, in order, are ``leaves``."""
        leaves = list(leaves)
        if len(leaves) != self.num_leaves:
            raise ValueError(f"srcad.tree.unflatten: this structure has {self.num_leaves} leaves, "
                             f"but {len(leaves)} were given")
        return self._build(iter(leaves))

    def _build(self, leaves):
        if self._kind is None:
            return next(leaves)
        return self._kind.join(self._aux, [subtree._build(leaves) for subtree in self._subtrees])

    def _key(self):
        return (self._kind, self._aux, self._subtrees)

    def __eq__(self, other):
        return isinstance(other, TreeDef) and self._key() == other._key()

    def __hash__(self):
        return hash((id(self._kind), self._subtrees))

    def __repr__(self):
        return f"TreeDef({self._sketch()})"

    def _sketch(self):
        if self._kind is None:
            return "*"
        items = [subtree._sketch() for subtree in self._subtrees]
        if self._kind is _DICT:
            return "{" + ", ".join(f"{key!r}: {item}" for key, item in zip(self._aux[1], items)) + "}"
        if self._kind is _LIST:
            return "[" + ", ".join(items) + "]"
        if self._kind is _TUPLE:
            return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
        if self._kind is _NONE:
            return "None"
        name = {_NAMEDTUPLE: lambda: self._aux.__name__, _DATACLASS: lambda: self._aux[0].__name__}.get(
            self._kind, lambda: self._kind.name)()
        return f"{name}({', '.join(items)})"


def flatten(tree, is_leaf=None):
    """``(leaves, treedef)``: the leaves of ``tree`` in order (depth first, a dict's in its
    key order) and its structure, from which :func:`unflatten` rebuilds it.
    ``is_leaf(value)``, if given, marks values to keep whole even if they are nodes."""
    found = []
    return found, _flatten_into(tree, found, is_leaf)


def _flatten_into(tree, found, is_leaf):
    kind = None if is_leaf is not None and is_leaf(tree) else _kind_of(tree)
    if kind is None:
        found.append(tree)
        return TreeDef(None, None, ())
    items, aux = kind.split(tree)
    return TreeDef(kind, aux, [_flatten_into(item, found, is_leaf) for item in items])


def unflatten(treedef, leaves):
    """The tree of structure ``treedef`` (from :func:`flatten`) whose leaves are ``leaves``."""
    return treedef.unflatten(leaves)


def leaves(tree, is_leaf=None):
    """The leaves of ``tree``, in order, as a list (None holds no leaf)."""
    return flatten(tree, is_leaf)[0]


def structure(tree, is_leaf=None):
    """The :class:`TreeDef` of ``tree``."""
    return flatten(tree, is_leaf)[1]


def map(f, tree, *rest, is_leaf=None):
    """A tree of ``tree``'s structure whose leaves are ``f(leaf, *others)``.

    Each tree of ``rest`` has ``tree``'s structure, or ``tree``'s structure with larger
    subtrees (None among them) where ``tree`` has leaves: ``f`` then gets those subtrees
    whole. A dict matches a dict with the same keys in any order. A difference in
    structure is a ValueError that says where it is."""
    return _map_at(f, tree, rest, is_leaf, "")


def _map_at(f, tree, rest, is_leaf, path):
    kind = None if is_leaf is not None and is_leaf(tree) else _kind_of(tree)
    if kind is None:
        return f(tree, *rest)
    items, aux = kind.split(tree)
    keys = aux[1] if kind is _DICT else builtins.range(len(items))
    others = [_items_like(other, tree, kind, aux, path, position) for position, other in enumerate(rest, 2)]
    return kind.join(aux, [_map_at(f, item, [other[index] for other in others], is_leaf, f"{path}[{key!r}]")
                           for index, (key, item) in enumerate(zip(keys, items))])


def _items_like(other, tree, kind, aux, path, position):
    """The items of ``other`` in the order of ``tree``'s, or a ValueError if their nodes differ."""
    if kind is _DICT and isinstance(other, dict) and set(other) == set(aux[1]):
        return [other[key] for key in aux[1]]
    if kind is not _DICT and _kind_of(other) is kind and kind.aux(other) == aux:
        return kind.items(other)
    where = f" at {path}" if path else ""
    raise ValueError(f"srcad.tree.map: tree {position} differs from the first{where}: "
                     f"{describe_structure(other)} where the first has {describe_structure(tree)}")


def describe_structure(value):
    """A short description of a value's structure, for error messages:
    ``tuple of 2 (array (3, 2), float)``, ``dict with keys 'W', 'b'``."""
    kind = _kind_of(value)
    if kind is _DICT:
        return f"dict with keys {', '.join(builtins.map(repr, value))}" if value else "empty dict"
    if kind is _NONE:
        return "None"
    if kind is not None:
        items = children(value)
        shown = ", ".join(describe_structure(item) for item in items[:4]) + (", ..." if len(items) > 4 else "")
        return f"{type(value).__name__} of {len(items)} ({shown})"
    if isinstance(value, np.ndarray):
        return f"array {value.shape}"
    return type(value).__name__
