"""Shifts that contribute nothing: the max a hand-written stable logsumexp, log-softmax,
softmax or softmax cross-entropy subtracts.

``m = np.max(z, axis=k, keepdims=True)``, then ``z - m``, ``np.exp``, a sum over axis ``k``,
``np.log``, and ``m + log(...)`` (logsumexp), ``s - log(...)`` (log-softmax) or
``e / sum(e)`` (softmax): what comes out does not change when ``m`` changes, for every value
of ``m``, so the derivative that flows through ``m`` is exactly zero (the max is there only to
keep ``exp`` from overflowing). Differentiating it anyway costs a reduction, a comparison and
a division per element (``extremum_partials``) to add a rounding error. This analysis proves,
from the code, which maxima are such shifts; activity analysis then treats them as constants.

The proof follows how each value depends on ``m``: *affine* (``a + c*m``), or *scaling*
(``a * exp(c*m)``), with ``c`` an exact fraction, ``m`` laid out with axis ``k`` kept or
dropped. ``exp`` turns affine into scaling, ``log`` the other way, a sum over axis ``k`` keeps
a scaling, and sums, differences, products and quotients add or subtract ``c``. A value with
``c == 0`` no longer depends on ``m``. The shift contributes nothing when every value that
still depends on ``m`` is read only by such steps, in the straight-line code after ``m``: any
other read (the output, a branch, a loop, a call), any other operand, or a write to ``z`` on
the way, and ``m`` keeps its derivative.
"""
import fractions
import operator

import gast
import numpy as np

from ..resolve import classify

_EXTREMA = {np.max, np.amax, np.ndarray.max, np.min, np.amin, np.ndarray.min}
_SUMS = {np.sum, np.ndarray.sum, np.mean, np.ndarray.mean}
# what writes into an array it is given (a method of the array, or a NumPy function)
_WRITING = {"sort", "fill", "put", "itemset", "resize", "partition", "setfield", "byteswap", "copyto", "place",
            "putmask", "fill_diagonal"}
_AFFINE, _SCALING = "affine", "scaling"
_KEPT, _DROPPED = "kept", "dropped"


def inert_shifts(fn, node, local_names):
    """The names of the maxima in ``node`` (A-normal form) whose derivative contributes nothing
    to anything the function computes after them."""
    reads = _count_reads(node)
    stores = _count_stores(node)
    inert = set()
    for block in _blocks(node):
        for position, stmt in enumerate(block):
            shift = _shift(fn, stmt, local_names, stores)
            if shift is not None and _contributes_nothing(fn, shift, block[position + 1:], local_names, reads,
                                                          stores):
                inert.add(shift.name)
    return inert


class _Shift:
    """``name = max(source, axis=axis, keepdims=...)``."""

    def __init__(self, name, source, axis):
        self.name, self.source, self.axis = name, source, axis


def _shift(fn, stmt, local_names, stores):
    if not (isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], gast.Name)):
        return None
    operation = classify(fn, stmt.value, local_names)
    if operation is None or not _is_listed(_EXTREMA, operation.function) or len(operation.args) != 1:
        return None
    source = operation.args[0]
    options = _literal_options(operation.keywords)
    if not isinstance(source, gast.Name) or options is None or set(options) - {"axis", "keepdims"}:
        return None
    axis, keepdims = options.get("axis"), options.get("keepdims", False)
    target = stmt.targets[0].id
    if stores.get(target) != 1 or (axis is not None and (type(axis) is not int or keepdims is not True)):
        return None  # a max over one axis must keep it, to line up with the values it shifts
    if axis is None and keepdims is not False:
        return None
    return _Shift(target, source.id, axis)


def _contributes_nothing(fn, shift, following, local_names, reads, stores):
    """Whether the steps ``following`` the shift's definition read it, and what depends on it,
    only in ways whose result no longer depends on it."""
    forms = {shift.name: (_AFFINE, fractions.Fraction(1), _KEPT)}  # values that depend on the shift
    tracked_reads = {}
    for stmt in following:
        depending = _loaded(stmt) & set(forms)
        if not depending:
            if _may_change(stmt, shift.source, forms):
                return False
            continue
        if not (isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], gast.Name)):
            return False
        target = stmt.targets[0].id
        if target == shift.source or target in forms or stores.get(target) != 1:
            return False
        form = _form_of(fn, stmt.value, shift, forms, local_names)
        if form is None:
            return False
        for identifier in depending:
            tracked_reads[identifier] = tracked_reads.get(identifier, 0) + _loads_of(stmt.value, identifier)
        if form[1] != 0:
            forms[target] = form
        if all(tracked_reads.get(n, 0) == reads.get(n, 0) for n in forms):
            return True  # what still depends on the shift is read nowhere else
    return False


def _may_change(stmt, source, forms):
    """Whether ``stmt`` may write the shifted array or a value that depends on the shift."""
    if isinstance(stmt, gast.Assign) and all(isinstance(t, gast.Name) for t in stmt.targets):
        return any(t.id == source or t.id in forms for t in stmt.targets) or _writes_into_an_array(stmt.value)
    return True  # a branch, a loop, a write into an array: not followed


def _writes_into_an_array(value):
    """Whether ``value`` calls what may write into an array (the shifted one, through an alias)."""
    return any(isinstance(n, gast.Call) and (isinstance(n.func, gast.Attribute) and n.func.attr in _WRITING
                                              or any(k.arg == "out" for k in n.keywords))
               for n in gast.walk(value))


def _form_of(fn, value, shift, forms, local_names):
    """How ``value`` depends on the shift, given ``forms`` of the names it reads; None when
    that is not one of the forms this analysis follows."""
    if isinstance(value, gast.Name):
        return forms.get(value.id)
    if isinstance(value, gast.Subscript):
        return _dropped_axis(value, shift, forms)
    operation = classify(fn, value, local_names)
    if operation is None:
        return None
    function, args = operation.function, operation.args
    if isinstance(value, (gast.BinOp, gast.UnaryOp)):
        return _arithmetic(function, [_operand(a, shift, forms) for a in args])
    if len(args) != 1 or not isinstance(args[0], gast.Name) or args[0].id not in forms:
        return None
    kind, c, layout = forms[args[0].id]
    options = _literal_options(operation.keywords)
    if _is_listed({np.exp}, function) and kind == _AFFINE and not operation.keywords:
        return (_SCALING, c, layout)
    if _is_listed({np.log}, function) and kind == _SCALING and not operation.keywords:
        return (_AFFINE, c, layout)
    if _is_listed(_SUMS, function) and kind == _SCALING and options is not None and layout == _KEPT \
            and not set(options) - {"axis", "keepdims"} and (shift.axis is None or options.get("axis") == shift.axis):
        keepdims = options.get("keepdims", False)
        if keepdims is True or shift.axis is None:
            return (_SCALING, c, _KEPT)
        return (_SCALING, c, _DROPPED) if keepdims is False else None
    return None


def _operand(node, shift, forms):
    """An operand's form; ``"source"`` for the shifted array itself; a Fraction for a number."""
    if isinstance(node, gast.Name):
        if node.id in forms:
            return forms[node.id]
        return "source" if node.id == shift.source else None
    if isinstance(node, gast.Constant) and type(node.value) in (int, float):
        return fractions.Fraction(node.value)
    return None


def _arithmetic(function, operands):
    """The form of ``function(*operands)`` for +, -, *, / and unary minus."""
    if function is operator.neg and len(operands) == 1 and isinstance(operands[0], tuple):
        kind, c, layout = operands[0]
        return (kind, -c, layout) if kind == _AFFINE else operands[0]
    if len(operands) != 2 or None in operands:
        return None
    left, right = operands
    forms = [o for o in operands if isinstance(o, tuple)]
    layouts = {form[2] for form in forms}
    if "source" in operands and layouts != {_KEPT} or len(layouts) != 1:
        return None  # the array itself lines up with the shift only where the axis is kept
    layout = layouts.pop()
    if function in (operator.add, operator.sub):
        sign = 1 if function is operator.add else -1
        if any(isinstance(o, fractions.Fraction) for o in operands) or "source" in operands:
            if len(forms) != 1 or forms[0][0] != _AFFINE:
                return None
            return (_AFFINE, forms[0][1] * (sign if right is forms[0] else 1), layout)
        if left[0] != right[0] or left[0] != _AFFINE:
            return None
        return (_AFFINE, left[1] + sign * right[1], layout)
    if function in (operator.mul, operator.truediv) and "source" not in operands:
        return _scaled(function, left, right, layout)
    return None


def _scaled(function, left, right, layout):
    """Products and quotients: a scaling times or over a scaling adds or subtracts ``c``; an
    affine form only scales by a number."""
    if isinstance(left, tuple) and isinstance(right, tuple):
        if left[0] != _SCALING or right[0] != _SCALING:
            return None
        c = left[1] + right[1] if function is operator.mul else left[1] - right[1]
        return (_SCALING, c, layout)
    form, number = (left, right) if isinstance(left, tuple) else (right, left)
    if form[0] == _SCALING:
        if function is operator.truediv and form is right:
            return (_SCALING, -form[1], layout)
        return form
    if number == 0 or function is operator.truediv and form is right:
        return None
    return (_AFFINE, form[1] * number if function is operator.mul else form[1] / number, layout)


def _dropped_axis(value, shift, forms):
    """``v[:, 0]`` of a value laid out with the shift's axis kept: an integer on that axis drops it."""
    if not (isinstance(value.value, gast.Name) and value.value.id in forms) or shift.axis is None:
        return None
    kind, c, layout = forms[value.value.id]
    items = value.slice.elts if isinstance(value.slice, gast.Tuple) else [value.slice]
    if layout != _KEPT or not items or not _is_int(items[-1]):
        return None
    leading = items[:-1]
    if shift.axis >= 0:
        whole = len(leading) == shift.axis and all(_is_whole_slice(item) for item in leading)
    else:
        whole = shift.axis == -1 and len(leading) == 1 and isinstance(leading[0], gast.Constant) \
            and leading[0].value is Ellipsis
    return (kind, c, _DROPPED) if whole else None


def _is_int(node):
    return isinstance(node, gast.Constant) and type(node.value) is int


def _is_whole_slice(node):
    return isinstance(node, gast.Slice) and node.lower is None and node.upper is None and node.step is None


def _literal_options(keywords):
    """Keyword arguments whose values are all literals, as Python values; None otherwise."""
    options = {}
    for key, node in keywords.items():
        if isinstance(node, gast.UnaryOp) and isinstance(node.op, gast.USub) and isinstance(node.operand, gast.Constant) \
                and type(node.operand.value) is int:
            options[key] = -node.operand.value
        elif isinstance(node, gast.Constant):
            options[key] = node.value
        else:
            return None
    return options


def _is_listed(functions, function):
    try:
        return function in functions
    except TypeError:  # an unhashable callable
        return False


def _blocks(node):
    """Every list of statements in ``node``: the body, and those of its branches and loops."""
    for child in gast.walk(node):
        for field in ("body", "orelse"):
            block = getattr(child, field, None)
            if isinstance(block, list) and block and isinstance(block[0], gast.stmt):
                yield block


def _loaded(node):
    return {n.id for n in gast.walk(node) if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load)}


def _loads_of(node, identifier):
    return sum(1 for n in gast.walk(node) if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load)
               and n.id == identifier)


def _count_reads(node):
    counts = {}
    for n in gast.walk(node):
        if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load):
            counts[n.id] = counts.get(n.id, 0) + 1
    return counts


def _count_stores(node):
    counts = {}
    for n in gast.walk(node):
        if isinstance(n, gast.Name) and isinstance(n.ctx, (gast.Store, gast.Del)):
            counts[n.id] = counts.get(n.id, 0) + 1
    return counts
