"""Symbolic zeros in forward mode's inlined tangent templates, and the shapes they may leave.

An argument that carries no tangent (a constant, data, a value computed from constants) reads
as a zero in the template (:func:`zero`), and the template simplifies (:class:`Zeros`): a
product with a zero is zero, a zero term leaves a sum, a call, attribute or subscript of zeros
is zero (templates are linear in the ``d[...]`` they read). When dropping a term could leave a
smaller shape than the result's (a broadcasting ``+``), :class:`TangentShapes` says whether the
shape classes of ``p13_shapes`` show the shapes are equal anyway.
"""
import numbers

import gast

from ..runtime.numeric import einsum_tangent, pick
from .passes.p13_shapes import SCALAR, elementwise_operands
from .syntax import clone, constant, name

ZERO, CONST, LINEAR = 0, 1, 2
# helpers that take a tuple of tangents and read None as a zero tangent
NONE_IS_ZERO = (einsum_tangent, pick)




def zero(like):
    """A symbolic zero: the tangent of ``like``, which carries none."""
    marker = name("srcad_zero")
    marker.srcad_zero_like = like
    return marker


def is_zero(node):
    return isinstance(node, gast.Name) and hasattr(node, "srcad_zero_like")


class Zeros:
    """Simplify an inlined tangent expression in which some derivatives are zero.

    Each node is classified ZERO (reads only zero derivatives: it is zero, the
    template being linear in them), LINEAR (reads a nonzero tangent) or CONST
    (reads no derivative). ``dropped`` collects ``(kept, dropped)`` pairs of the
    terms left out of the top-level sum, for the shape check.
    """

    def __init__(self, forward):
        self.forward = forward
        self.dropped = []

    def top(self, node):
        return self.visit(node, top=True)

    def visit(self, node, top=False):
        if is_zero(node):
            return node, ZERO
        if isinstance(node, gast.Name):
            return node, LINEAR if getattr(node, "srcad_tangent", None) else CONST
        if isinstance(node, gast.BinOp):
            return self.binop(node, top)
        if isinstance(node, gast.UnaryOp) and isinstance(node.op, (gast.USub, gast.UAdd)):
            node.operand, kind = self.visit(node.operand, top)
            return node, kind
        if isinstance(node, gast.Call) and self.forward.resolve(node.func) in NONE_IS_ZERO:
            for arg in node.args:
                if isinstance(arg, gast.Tuple):
                    kinds = [self.visit(e)[1] for e in arg.elts]
                    if LINEAR in kinds:
                        arg.elts = [constant(None) if k == ZERO else e for e, k in zip(arg.elts, kinds)]
        return self.generic(node)

    def binop(self, node, top):
        additive = isinstance(node.op, (gast.Add, gast.Sub))
        node.left, left = self.visit(node.left, top and additive)
        node.right, right = self.visit(node.right, top and additive)
        if ZERO not in (left, right):
            return node, max(left, right)
        if not additive or left == right == ZERO:
            if isinstance(node.op, (gast.Div, gast.FloorDiv, gast.Mod)) and right == ZERO and left != ZERO:
                raise NotImplementedError("a tangent template divides by a derivative")
            return node, ZERO
        kept, zero = (node.left, node.right) if right == ZERO else (node.right, node.left)
        kind = max(left, right)
        if top or self.forward.shapes.same_shape(kept, zero):
            if top:
                self.dropped.append((kept, zero))
            if left == ZERO and isinstance(node.op, gast.Sub):
                kept = gast.UnaryOp(op=gast.USub(), operand=kept)
            return kept, kind
        # inside a larger expression a zero term may set the shape: keep it, explicit
        node.left, node.right = self.explicit(node.left, left), self.explicit(node.right, right)
        return node, kind

    def generic(self, node):
        kinds = []
        for field, value in gast.iter_fields(node):
            if isinstance(value, gast.AST):
                new, kind = self.visit(value)
                setattr(node, field, new)
                kinds.append((field, None, kind))
            elif isinstance(value, list):
                for index, item in enumerate(value):
                    if isinstance(item, gast.AST):
                        value[index], kind = self.visit(item)
                        kinds.append((field, index, kind))
        found = {kind for _, _, kind in kinds}
        if LINEAR in found:
            for field, index, kind in kinds:
                if kind == ZERO:
                    if index is None:
                        setattr(node, field, self.explicit(getattr(node, field), kind))
                    else:
                        getattr(node, field)[index] = self.explicit(getattr(node, field)[index], kind)
            return node, LINEAR
        return node, (ZERO if ZERO in found else CONST)

    def explicit(self, node, kind):
        """A zero subexpression, with explicit zeros (``zeros_like(x)``) for its zero tangents."""
        if kind != ZERO:
            return node
        if is_zero(node):
            return self.forward.zeros_of(node.srcad_zero_like)
        forward = self.forward

        class _Explicit(gast.NodeTransformer):
            def visit_Name(self, n):
                return forward.zeros_of(n.srcad_zero_like) if is_zero(n) else n

        return _Explicit().visit(node)


class TangentShapes:
    """Whether a tangent expression has its result's shape, from the shape classes of the
    function (``classes``); ``resolve`` gives the object a callee expression names."""

    def __init__(self, classes, resolve):
        self.classes = classes
        self.resolve = resolve

    def keeps_shape(self, dropped, tangent, var, value):
        """Whether dropping zero terms surely left the result's shape."""
        if all(self.same_shape(kept, zero) for kept, zero in dropped):
            return True
        if gast.dump(self.as_primal(tangent)) == gast.dump(value):
            return True
        cls = self.classes.classes.get(var)
        return cls is not None and self.shape_class(self.as_primal(tangent)) == cls

    def same_shape(self, a, b):
        a, b = self.as_primal(a), self.as_primal(b)
        if gast.dump(a) == gast.dump(b):
            return True
        class_a, class_b = self.shape_class(a), self.shape_class(b)
        return class_a is not None and class_b is not None and (class_b == SCALAR or class_a == class_b)

    def as_primal(self, node):
        """``node`` with each tangent read as its variable and each zero as its value:
        an expression of the shape the tangent expression has."""
        node = clone(node)

        class _Primal(gast.NodeTransformer):
            def visit_Name(self, n):
                if is_zero(n):
                    like = n.srcad_zero_like
                    return clone(like) if like is not None else constant(0.0)
                if getattr(n, "srcad_tangent", None):
                    return name(n.srcad_tangent)
                return n

        return _Primal().visit(node)

    def shape_class(self, node):
        """Like :meth:`ShapeClasses.expression`, also through comparisons and masks."""
        if isinstance(node, gast.Constant):
            return SCALAR if isinstance(node.value, numbers.Number) else None
        if isinstance(node, gast.UnaryOp) and not isinstance(node.op, gast.Not):
            return self.shape_class(node.operand)
        operands = None
        if isinstance(node, gast.BinOp) and not isinstance(node.op, gast.MatMult):
            operands = [node.left, node.right]
        elif isinstance(node, gast.Compare):
            operands = [node.left] + list(node.comparators)
        elif isinstance(node, gast.Call):
            operands = elementwise_operands(self.resolve(node.func), node)
        if operands is None:
            return self.classes.expression(node)
        result = SCALAR
        for operand in operands:
            cls = self.shape_class(operand)
            if cls is None:
                return None
            if result == SCALAR:
                result = cls
            elif cls != SCALAR and cls != result:
                return ("node", id(node))
        return result
