"""Which values surely have the same shape: enough to drop needless ``unbroadcast``.

Every variable gets a *shape class*. Python numbers, reductions to a scalar and
loop counters are ``SCALAR``; an elementwise operation of a value with a scalar
(or with a value of its own class) keeps that class; anything else is a class
of its own. Broadcasting can only change a shape when two classes differ, so
``unbroadcast(g, x)`` is ``g`` whenever ``g`` and ``x`` share a class; and when
it is still needed, its shape argument can be read from any variable of the same
class that is never overwritten (a parameter), so no tape has to keep ``x``.

Code specialised on a call's signature knows its parameters' shapes: their classes are then
*concrete* (``("shape", (16, 64))``), and so are the classes computed from them by NumPy's
rules (broadcasting, ``@``, ``.T``, an integer index, ``np.zeros(X.shape[0])``). Two values of
one concrete class have that shape; a shape that depends on values (a slice, a mask) is a
class of its own, as without a signature.
"""
import math

import gast
import numpy as np

from ..resolve import UNKNOWN, is_listed, listed_as, resolve_expression
from ..syntax import clone
from ... import nn
from ...runtime import numeric

SCALAR = ("scalar",)
# Every fact below holds whatever the operands are (arrays, numbers, lists of either): a
# function is listed only where its result's shape follows from its operands' classes alone.

# one argument, no axis: a scalar, whatever the argument
_SCALAR_REDUCTIONS = {np.sum, np.mean, np.prod, np.max, np.min, np.amax, np.amin, np.var, np.std,
                      np.linalg.norm}
# a Python number or an error, whatever they are given
_NUMBER_BUILTINS = {len, float, int, bool}
# math functions return one number, except these
_MATH_NOT_A_NUMBER = {math.prod, math.frexp, math.modf}
# the shape of their first argument (``round(a, 2)``, ``abs(a)`` on arrays too)
_SAME_AS_FIRST = {abs, round, nn.softmax, nn.log_softmax}
# elementwise in every argument, keywords too: the broadcast of all of them
_ELEMENTWISE_EXTRA = {np.clip, nn.relu, nn.leaky_relu, nn.hard_tanh, nn.sigmoid, nn.softplus, numeric.power,
                      numeric.quotient_or_zero, numeric.cotangent_times}
_SCALAR_RESULT = {nn.softmax_cross_entropy, numeric.sum_to_scalar}
# reductions over ``axis`` (an int literal), ``keepdims`` a bool literal
_AXIS_REDUCTIONS = {np.sum, np.mean, np.prod, np.max, np.min, np.amax, np.amin}
# the shape is their first argument (an int or a tuple of ints)
_SHAPED_CONSTRUCTORS = {np.zeros, np.ones, np.empty, np.full}
_SHAPE_OF_ARGUMENT = {numeric.unbroadcast: 1, numeric.unreduce: 1, numeric.cast_like: 0, numeric.zeros_like: 0,
                      numeric.unmatmul_a: 1, numeric.unmatmul_b: 2}


class ShapeClasses:
    """Shape classes of the variables of a function in A-normal form."""

    def __init__(self, fn, body, params, local_names, loop_targets, generated_globals):
        self.fn = fn
        self.generated_globals = generated_globals
        self.local_names = local_names
        proven = getattr(fn, "argument_shapes", {})
        self.classes = {p: concrete(proven[p]) if p in proven else ("param", p) for p in params}
        for target in loop_targets:
            self.classes[target] = SCALAR
        self._definitions = _definitions(body)
        defined = {target for target, _ in self._definitions}
        self._counters = set(loop_targets) - defined - set(params)  # surely ints: they index arrays
        self._read_only_displays = self._displays_only_read(body)
        changed = True
        while changed:
            changed = False
            for target, value in self._definitions:
                new = self.meet(target, self.expression(value))
                if new != self.classes.get(target):
                    self.classes[target] = new
                    changed = True

    def meet(self, var, cls):
        old = self.classes.get(var)
        if old is None or old == cls or cls is None:
            return old if cls is None else cls
        if old[0] == "var" and old[1] == var:
            return old
        return ("var", var)

    def _displays_only_read(self, body):
        """Variables bound once to a list or tuple display and then only read (indexed, or
        given to ``sum``/``min``/``max``/``len``): their items are known."""
        bound = {}
        for target, value in self._definitions:
            bound.setdefault(target, []).append(value)
        displays = {target: values[0].elts for target, values in bound.items()
                    if len(values) == 1 and isinstance(values[0], (gast.List, gast.Tuple))}
        loads, reads = {}, {}
        for stmt in body:
            for n in gast.walk(stmt):
                if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load):
                    loads[n.id] = loads.get(n.id, 0) + 1
                read = []
                if isinstance(n, gast.Subscript) and isinstance(n.ctx, gast.Load):
                    read = [n.value]
                elif isinstance(n, gast.Call) and self.function(n.func) in (sum, min, max, len):
                    read = n.args
                for r in read:
                    if isinstance(r, gast.Name):
                        reads[r.id] = reads.get(r.id, 0) + 1
        return {target: items for target, items in displays.items() if loads.get(target) == reads.get(target)}

    def of(self, node):
        """The class of an expression, or None when nothing is known yet."""
        return self.expression(node)

    def expression(self, node):
        if isinstance(node, gast.Constant):
            return SCALAR if isinstance(node.value, (int, float)) else ("literal", id(node))
        if isinstance(node, gast.UnaryOp):
            return SCALAR if isinstance(node.op, gast.Not) else self.expression(node.operand)
        if isinstance(node, gast.Name):
            if node.id in self.classes:
                return self.classes[node.id]
            return None if node.id in self.local_names else ("global", node.id)
        if isinstance(node, gast.BinOp):
            if isinstance(node.op, gast.MatMult):
                return _matmul(self.expression(node.left), self.expression(node.right), node)
            return _broadcast(self.expression(node.left), self.expression(node.right), node)
        if isinstance(node, gast.Call):
            return self.call(node)
        if isinstance(node, gast.Compare):
            result = self.expression(node.left)
            for comparator in node.comparators:
                result = _broadcast(result, self.expression(comparator), node)
            return result
        if isinstance(node, gast.Attribute) and node.attr in ("size", "ndim"):
            return SCALAR
        if isinstance(node, gast.Attribute) and node.attr == "T":
            shape = shape_of(self.expression(node.value))
            return concrete(shape[::-1]) if shape is not None else ("node", id(node))
        if isinstance(node, gast.Subscript):
            return self.subscript(node)
        return ("node", id(node))

    def subscript(self, node):
        """``x[i]``, ``x[:, 0]``: ints (literals or loop counters) and whole slices ``:`` drop or keep
        the axes of a known shape; any other index is a class of its own."""
        shape = shape_of(self.expression(node.value))
        index = node.slice.elts if isinstance(node.slice, gast.Tuple) else [node.slice]
        if shape is None or len(index) > len(shape):
            return ("node", id(node))
        kept = []
        for axis, item in enumerate(index):
            if isinstance(item, gast.Slice) and item.lower is item.upper is item.step is None:
                kept.append(shape[axis])
            elif not (isinstance(item, gast.Constant) and type(item.value) is int and -shape[axis] <= item.value
                      < shape[axis] or isinstance(item, gast.Name) and item.id in self._counters):
                return ("node", id(node))
        return concrete(tuple(kept) + shape[len(index):])

    def reduction(self, node):
        """``np.sum(x, axis=k, keepdims=...)`` of a known shape, with literal ``k`` and ``keepdims``."""
        shape = shape_of(self.expression(node.args[0]))
        options = dict(zip(("axis", "dtype", "out", "keepdims"), node.args[1:]))
        options.update({k.arg: k.value for k in node.keywords})
        axis, keepdims = options.pop("axis", None), options.pop("keepdims", None)
        literal = all(isinstance(v, gast.Constant) and v.value is None for v in options.values())
        if shape is None or not literal or not isinstance(axis, gast.Constant) or type(axis.value) is not int \
                or keepdims is not None and not (isinstance(keepdims, gast.Constant)
                                                 and type(keepdims.value) is bool):
            return ("node", id(node))
        if not -len(shape) <= axis.value < len(shape):
            return ("node", id(node))
        position = axis.value % len(shape)
        reduced = (1,) if keepdims is not None and keepdims.value else ()
        return concrete(shape[:position] + reduced + shape[position + 1:])

    def static_shape(self, node):
        """The value of a shape expression known before the code runs (``3``, ``(2, n)`` of such,
        ``X.shape``, ``X.shape[0]`` for ``X`` of a concrete class), or None."""
        if isinstance(node, gast.Constant) and type(node.value) is int:
            return node.value
        if isinstance(node, gast.Tuple):
            items = [self.static_shape(item) for item in node.elts]
            return tuple(items) if all(type(item) is int for item in items) else None
        if isinstance(node, gast.Attribute) and node.attr == "shape":
            return shape_of(self.expression(node.value))
        if isinstance(node, gast.Subscript) and isinstance(node.slice, gast.Constant) \
                and type(node.slice.value) is int:
            shape = self.static_shape(node.value)
            if isinstance(shape, tuple) and -len(shape) <= node.slice.value < len(shape):
                return shape[node.slice.value]
        return None

    def function(self, func):
        """The object a callee expression of generated or user code names."""
        if isinstance(func, gast.Name) and func.id in self.generated_globals:
            return self.generated_globals[func.id]
        return resolve_expression(self.fn, func, self.local_names)

    def call(self, node):
        function = self.function(node.func)
        position = listed_as(_SHAPE_OF_ARGUMENT, function)
        if position is not None and len(node.args) > position:
            return self.expression(node.args[position])
        if is_listed(_SAME_AS_FIRST, function) and node.args:
            return self.expression(node.args[0])
        if is_listed(_SCALAR_RESULT, function) or is_listed(_NUMBER_BUILTINS, function) \
                or _is_math_number(function) \
                or is_listed(_SCALAR_REDUCTIONS, function) and len(node.args) == 1 and not node.keywords:
            return SCALAR
        if function in (sum, min, max) and not node.keywords:
            return self.builtin_reduction(function, node)
        if is_listed(_AXIS_REDUCTIONS, function) and node.args:
            return self.reduction(node)
        if is_listed(_SHAPED_CONSTRUCTORS, function) and node.args:
            shape = self.static_shape(node.args[0])
            # not of shape (): a 0-d array can be written into (acc[...] = v), which a number,
            # what the class SCALAR stands for, cannot
            if shape not in (None, ()) and all(k.arg in ("dtype", "fill_value") for k in node.keywords):
                return concrete((shape,) if type(shape) is int else shape)
        operands = elementwise_operands(function, node)
        if operands is not None:
            return self.broadcast_all(operands, node)
        return ("node", id(node))

    def builtin_reduction(self, function, node):
        """``sum(items)`` is the broadcast of the items (``sum([z, z])`` has ``z``'s shape);
        ``min``/``max`` are scalars when every candidate is. Known only for a list or tuple
        display, or a variable that is one and is only read."""
        items = node.args
        if len(node.args) == 1 or function is sum and len(node.args) == 2:
            items = self.display_items(node.args[0])
            if items is None:
                return ("node", id(node))
        if function is sum:
            start = node.args[1:] or [gast.Constant(value=0, kind=None)]
            return self.broadcast_all(list(items) + start, node)
        classes = [self.expression(item) for item in items]
        if any(cls is None for cls in classes):
            return None
        return SCALAR if classes and all(cls == SCALAR for cls in classes) else ("node", id(node))

    def display_items(self, node):
        """The items of a list or tuple display, or of a variable bound once to one and only read."""
        if isinstance(node, (gast.List, gast.Tuple)):
            return node.elts
        if isinstance(node, gast.Name):
            return self._read_only_displays.get(node.id)
        return None

    def broadcast_all(self, operands, node):
        result = SCALAR
        for operand in operands:
            result = _broadcast(result, self.expression(operand), node)
        return result


def elementwise_operands(function, node):
    """The operands whose broadcast is the shape of the call ``node`` of ``function``, when it
    is elementwise (a ufunc, ``np.where(c, a, b)``, ``np.clip``, ...), else None."""
    if isinstance(function, np.ufunc):  # not a generalised one (np.matmul has a signature)
        return node.args if function.nout == 1 and function.signature is None and not node.keywords else None
    if function is np.where:
        return node.args if len(node.args) == 3 and not node.keywords else None
    if is_listed(_ELEMENTWISE_EXTRA, function):
        return list(node.args) + [k.value for k in node.keywords]
    return None


def _is_math_number(function):
    return getattr(function, "__module__", None) == "math" and not is_listed(_MATH_NOT_A_NUMBER, function)


def concrete(shape):
    """The class of the values of shape ``shape`` (``SCALAR`` for ``()``)."""
    return SCALAR if shape == () else ("shape", tuple(shape))


def shape_of(cls):
    """The shape of the values of class ``cls`` when it is concrete, else None."""
    if cls == SCALAR:
        return ()
    return cls[1] if cls is not None and cls[0] == "shape" else None


def _broadcast(left, right, node):
    if left is None or right is None:
        return None
    if left == SCALAR:
        return right
    if right == SCALAR or left == right:
        return left
    if left[0] == right[0] == "shape":
        try:
            return concrete(np.broadcast_shapes(left[1], right[1]))
        except ValueError:
            pass  # the code raises NumPy's error when it runs
    return ("node", id(node))


def _matmul(left, right, node):
    """The class of ``a @ b``: concrete when both operands' shapes are known (NumPy's rules)."""
    if left is None or right is None:
        return None
    a, b = shape_of(left), shape_of(right)
    if not a or not b:
        return ("node", id(node))
    a2 = a if len(a) > 1 else (1,) + a
    b2 = b if len(b) > 1 else b + (1,)
    if a2[-1] != b2[-2]:
        return ("node", id(node))
    try:
        batch = np.broadcast_shapes(a2[:-2], b2[:-2])
    except ValueError:
        return ("node", id(node))
    return concrete(batch + (a2[-2],) * (len(a) > 1) + (b2[-1],) * (len(b) > 1))


def _definitions(body):
    out = []
    for stmt in body:
        for n in gast.walk(stmt):
            if isinstance(n, gast.Assign):
                target = n.targets[0]
                if isinstance(target, gast.Name):
                    out.append((target.id, n.value))
                else:
                    for element in gast.walk(target):
                        if isinstance(element, gast.Name) and isinstance(element.ctx, gast.Store):
                            out.append((element.id, gast.Call(func=gast.Name(id="?", ctx=gast.Load(),
                                                                             annotation=None, type_comment=None),
                                                              args=[], keywords=[])))
    return out


def loop_targets(body):
    """Names bound by ``for ... in range(...)``: integers."""
    return {n.target.id for stmt in body for n in gast.walk(stmt)
            if isinstance(n, gast.For) and isinstance(n.target, gast.Name) and isinstance(n.iter, gast.Call)
            and isinstance(n.iter.func, gast.Name) and n.iter.func.id == "range"}


def simplify_broadcasts(adjoint, classes, adjoint_names, stable, sum_name, scalars=(), numpy_name=None):
    """Drop ``unbroadcast`` where shapes match; read shapes from ``stable`` variables; write
    ``unmatmul_a/b`` of matrices and vectors of known shapes as the product they are.
    ``sum_name`` is ``sum_to_scalar``'s name in the generated code; ``scalars`` are
    derivative names known to hold a Python number (the seed ``1.0``); ``numpy_name()``
    names NumPy in the generated code (for ``np.outer``)."""
    for var, d_var in adjoint_names.items():
        if var in classes.classes:
            classes.classes[d_var] = classes.classes[var]
    for scalar in scalars:
        classes.classes[scalar] = SCALAR
    derivative_names = {d_var for var, d_var in adjoint_names.items() if var in classes.classes}
    derivative_names -= set(scalars)
    witnesses = {}
    for var in sorted(stable):
        if classes.classes.get(var) is not None:
            witnesses.setdefault(classes.classes[var], var)
    spread = {}
    simplify = _Simplify(classes, witnesses, spread, sum_name, numpy_name)
    assigned = {}
    for stmt in adjoint:
        for node in gast.walk(stmt):
            if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Store):
                assigned[node.id] = assigned.get(node.id, 0) + 1
    for stmt in adjoint:
        for node in gast.walk(stmt):
            if isinstance(node, gast.Assign) and isinstance(node.targets[0], gast.Name):
                node.value = simplify.visit(node.value)
                target = node.targets[0].id
                if target not in derivative_names:  # a derivative always has its variable's shape
                    classes.classes[target] = classes.meet(target, classes.expression(node.value))
                if assigned.get(target) == 1:
                    _note_spread_scalar(node, target, classes, spread)
            elif isinstance(node, (gast.AugAssign, gast.Expr)):
                node.value = simplify.visit(node.value)
    return adjoint


def _note_spread_scalar(node, target, classes, spread):
    """``t = unreduce(g, x)`` with a scalar ``g`` only spreads ``g`` over ``x``'s shape."""
    spread.pop(target, None)
    value = node.value
    if isinstance(value, gast.Name) and value.id in spread:  # a copy spreads the same number
        spread[target] = spread[value.id]
        return
    if isinstance(value, gast.Call) and classes.function(value.func) is numeric.unreduce \
            and len(value.args) >= 2 and _full_reduction(value.args[2:]) \
            and classes.expression(value.args[0]) == SCALAR:
        spread[target] = (value.args[0], classes.expression(value.args[1]))


def _full_reduction(axis_and_keepdims):
    defaults = (None, False)
    return all(isinstance(arg, gast.Constant) and arg.value is default
               for arg, default in zip(axis_and_keepdims, defaults))


class _Simplify(gast.NodeTransformer):
    def __init__(self, classes, witnesses, spread, sum_to_scalar, numpy_name):
        self.numpy_name = numpy_name
        self.classes = classes
        self.witnesses = witnesses
        self.spread = spread
        self.sum_to_scalar = sum_to_scalar

    def visit_BinOp(self, node):
        """In a product whose other factors already have ``x``'s shape, a scalar spread
        over ``x`` (see :func:`_note_spread_scalar`) is just the scalar: ``2 * lam * W``."""
        self.generic_visit(node)
        if not isinstance(node.op, gast.Mult):
            return node
        factors = _factors(node)
        for position, (parent, side) in enumerate(factors):
            factor = getattr(parent, side)
            if not (isinstance(factor, gast.Name) and factor.id in self.spread):
                continue
            scalar, shape_class = self.spread[factor.id]
            others = SCALAR
            for other_parent, other_side in factors[:position] + factors[position + 1:]:
                others = _broadcast(others, self.classes.expression(getattr(other_parent, other_side)), node)
            if shape_class is not None and others == shape_class:
                setattr(parent, side, clone(scalar))
        return node


    def visit_Call(self, node):
        self.generic_visit(node)
        function = self.classes.function(node.func)
        if function in (numeric.unmatmul_a, numeric.unmatmul_b) and len(node.args) == 3 and not node.keywords:
            product = self.matrix_adjoint(function is numeric.unmatmul_a, *node.args)
            if product is not None:
                return product
        scalar = self._spread_scalar(node.args[0], node.args[1]) if function is numeric.cotangent_times else None
        if scalar is not None:
            # a cotangent of one number everywhere, times a partial of its shape: that number
            # (zero where it is), as in a product (see visit_BinOp)
            if isinstance(scalar, gast.Constant) and scalar.value != 0:
                return gast.BinOp(left=clone(scalar), op=gast.Mult(), right=node.args[1])
            node.args[0] = clone(scalar)
        if function is numeric.unbroadcast and len(node.args) == 2:
            gradient, like = node.args
            cls = self.classes.expression(like)
            if cls is not None and cls == self.classes.expression(gradient):
                return gradient
        if function is numeric.unbroadcast and len(node.args) == 2 and self.numpy_name is not None:
            total = self.sum_over_leading_axes(*node.args)
            if total is not None:
                return total
        if function is numeric.unbroadcast and len(node.args) == 2 \
                and self.classes.expression(node.args[1]) == SCALAR:
            # summing back to a scalar needs no value to take the shape from
            total = gast.Name(id=self.sum_to_scalar, ctx=gast.Load(), annotation=None, type_comment=None)
            return gast.Call(func=total, args=[node.args[0]], keywords=[])
        if function in (numeric.unbroadcast, numeric.unreduce) and len(node.args) >= 2:
            witness = self.witnesses.get(self.classes.expression(node.args[1]))
            if witness is not None:
                node.args[1] = gast.Name(id=witness, ctx=gast.Load(), annotation=None, type_comment=None)
        return node

    def _spread_scalar(self, cotangent, partial):
        """The scalar that ``cotangent`` spreads over an array of ``partial``'s shape, or None."""
        if not (isinstance(cotangent, gast.Name) and cotangent.id in self.spread):
            return None
        scalar, shape_class = self.spread[cotangent.id]
        if shape_class is None or self.classes.expression(partial) != shape_class:
            return None
        return scalar

    def sum_over_leading_axes(self, gradient, like):
        """``unbroadcast(g, b)`` as ``np.sum(g, axis=0)`` where ``b``'s known shape is the end of
        ``g``'s (a bias added to a batch), else None."""
        g_shape = shape_of(self.classes.expression(gradient))
        shape = shape_of(self.classes.expression(like))
        if not g_shape or not shape or len(shape) >= len(g_shape) or g_shape[len(g_shape) - len(shape):] != shape:
            return None
        lead = len(g_shape) - len(shape)
        axis = gast.Constant(value=0, kind=None) if lead == 1 else \
            gast.Tuple(elts=[gast.Constant(value=i, kind=None) for i in range(lead)], ctx=gast.Load())
        total = gast.Attribute(value=gast.Name(id=self.numpy_name(), ctx=gast.Load(), annotation=None,
                                               type_comment=None), attr="sum", ctx=gast.Load())
        return gast.Call(func=total, args=[gradient], keywords=[gast.keyword(arg="axis", value=axis)])

    def matrix_adjoint(self, for_left, gradient, a, b):
        """``unmatmul_a(g, a, b)`` as ``g @ b.T`` (and the like) when ``a`` and ``b`` are known
        to be matrices or vectors, so that no broadcast can be undone; else None."""
        ranks = tuple(len(shape) if shape is not None else None
                      for shape in (shape_of(self.classes.expression(a)), shape_of(self.classes.expression(b))))
        if ranks == (2, 2):
            return _matmul_node(gradient, _transposed(b)) if for_left else _matmul_node(_transposed(a), gradient)
        if ranks == (2, 1) and not for_left or ranks == (1, 2) and for_left:
            return _matmul_node(gradient, a) if ranks == (2, 1) else _matmul_node(b, gradient)
        if ranks in ((2, 1), (1, 2)) and self.numpy_name is not None:
            outer = gast.Attribute(value=gast.Name(id=self.numpy_name(), ctx=gast.Load(), annotation=None,
                                                   type_comment=None), attr="outer", ctx=gast.Load())
            return gast.Call(func=outer, args=[gradient, b] if for_left else [a, gradient], keywords=[])
        return None


def _matmul_node(left, right):
    return gast.BinOp(left=left, op=gast.MatMult(), right=right)


def _transposed(node):
    return gast.Attribute(value=node, attr="T", ctx=gast.Load())


def _factors(product):
    """The factors of ``a * b * c``, as (parent node, attribute) places."""
    places = []
    for side in ("left", "right"):
        child = getattr(product, side)
        if isinstance(child, gast.BinOp) and isinstance(child.op, gast.Mult):
            places.extend(_factors(child))
        else:
            places.append((product, side))
    return places


__all__ = ["ShapeClasses", "SCALAR", "UNKNOWN", "simplify_broadcasts", "loop_targets", "math"]
