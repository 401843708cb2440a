"""What each primitive operation of the normalised code is: which function it calls.

The answer is an :class:`Operation`: the function object (``np.tanh``,
``operator.mul``, the descriptor ``np.ndarray.sum``...), the argument
expressions in call order, and the keyword arguments. Rules are looked up by
that object, whatever name the user imported it under.
"""
import operator
from dataclasses import dataclass, field

import gast
import numpy as np

from .rules import registry

BINARY = {
    gast.Add: operator.add, gast.Sub: operator.sub, gast.Mult: operator.mul,
    gast.Div: operator.truediv, gast.Pow: operator.pow, gast.MatMult: operator.matmul,
    gast.FloorDiv: operator.floordiv, gast.Mod: operator.mod,
}
UNARY = {gast.USub: operator.neg, gast.UAdd: operator.pos}
UNKNOWN = object()
LOGICAL = registry.nondifferentiable(object())[0]  # comparisons, and/or/not


@dataclass
class Operation:
    """One primitive operation: ``function(*args, **keywords)``."""

    function: object
    args: list
    keywords: dict = field(default_factory=dict)
    label: str = ""

    @property
    def nondifferentiable(self):
        return registry.is_nondifferentiable(self.function)


def resolve_expression(fn, node, local_names):
    """The object an expression such as ``np.linalg.norm`` names, or UNKNOWN."""
    if isinstance(node, gast.Name):
        if node.id in local_names:
            return UNKNOWN
        try:
            return fn.resolve(node.id)
        except (KeyError, AttributeError):
            return UNKNOWN
    if isinstance(node, gast.Attribute):
        base = resolve_expression(fn, node.value, local_names)
        if base is UNKNOWN:
            return UNKNOWN
        return getattr(base, node.attr, UNKNOWN)
    return UNKNOWN


def classify(fn, value, local_names):
    """The :class:`Operation` of a primitive right-hand side, or None for copies and literals."""
    if isinstance(value, gast.BinOp):
        return Operation(BINARY.get(type(value.op), UNKNOWN), [value.left, value.right],
                         label=type(value.op).__name__)
    if isinstance(value, gast.UnaryOp):
        if isinstance(value.op, gast.Not):
            return Operation(LOGICAL, [value.operand], label="not")
        return Operation(UNARY.get(type(value.op), UNKNOWN), [value.operand], label=type(value.op).__name__)
    if isinstance(value, (gast.Compare, gast.BoolOp)):
        return Operation(LOGICAL, [], label="comparison")
    if isinstance(value, gast.Subscript):
        return Operation(operator.getitem, [value.value, value.slice], label="subscript")
    if isinstance(value, gast.Attribute):
        if not _is_local(value.value, local_names):
            return None
        return Operation(_array_member(value.attr), [value.value], label=f".{value.attr}")
    if isinstance(value, gast.Call):
        return _classify_call(fn, value, local_names)
    return None


def _classify_call(fn, call, local_names):
    keywords = {k.arg: k.value for k in call.keywords}
    func = call.func
    if isinstance(func, gast.Attribute) and _is_local(func.value, local_names):
        descriptor = _array_member(func.attr)
        return Operation(descriptor, [func.value] + list(call.args), keywords, label=f".{func.attr}()")
    target = resolve_expression(fn, func, local_names)
    label = _dotted(func)
    return Operation(target, list(call.args), keywords, label=label)


_DICT_VIEWS = {"items": dict.items, "values": dict.values, "keys": dict.keys}


def _array_member(attr):
    """What ``x.attr`` is for a local ``x``: an array's member, or a dict's view method."""
    return getattr(np.ndarray, attr, _DICT_VIEWS.get(attr, UNKNOWN))


def _is_local(node, local_names):
    while isinstance(node, (gast.Attribute, gast.Subscript)):
        node = node.value
    return isinstance(node, gast.Name) and node.id in local_names


def _dotted(node):
    if isinstance(node, gast.Name):
        return node.id
    if isinstance(node, gast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return "<call>"
