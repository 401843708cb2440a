"""Which values are surely arrays or numbers, and which surely lists, tuples or dicts.

A derivative has the structure of its value, and structures add differently:
arrays and numbers with ``+``, containers leaf by leaf (``add_grads``), since
``+`` concatenates lists and tuples. The same ``+`` in the user's code is an
addition or a concatenation depending on what its operands are. The passes ask
this module which it is, and decide at transform time only what is proven;
everything else is decided when the code runs, by a helper that checks types.

Every variable of a function in A-normal form (or of generated code read back)
gets a *kind*, flow-insensitively: the kind all its assignments agree on, or
none. Parameters and globals have none (a caller may pass anything; code specialised
on a call's signature knows its parameters' kinds), and so
has whatever comes out of a call srcad knows nothing about.

* ``ARRAY``: an array, a NumPy scalar or a float: ``+`` and ``*`` are arithmetic
  whatever the other operand is (results of ufuncs, reductions, ``@``, ``/``,
  float literals, ...);
* ``INTEGER``: an int or a bool (literals, ``len``, loop counters), which
  ``*`` makes repeat a list;
* ``NUMBER``: one of those two, not known which;
* ``LIST``, ``TUPLE``, ``DICT``: literals and ``list(...)``, ``tuple(...)``,
  ``dict(...)``, slices of those, ``+`` and ``*`` of sequences.
"""
import builtins

import gast
import numpy as np

from ... import nn
from ..resolve import UNKNOWN, listed_as, resolve_expression
from ...runtime import accumulate, forward as forward_helpers, numeric

ARRAY, INTEGER, NUMBER = "array", "integer", "number"
LIST, TUPLE, DICT = "list", "tuple", "dict"
NUMERIC = (ARRAY, INTEGER, NUMBER)
SEQUENCES = (LIST, TUPLE)
_PENDING = "pending"  # not known yet, during the fixed point

_NUMPY_ARRAY_FUNCTIONS = (
    "sum", "mean", "prod", "max", "min", "amax", "amin", "var", "std", "average", "median", "nansum", "nanmean",
    "ptp", "dot", "vdot", "inner", "outer", "matmul", "tensordot", "einsum", "kron", "cross", "array", "asarray",
    "asanyarray", "ascontiguousarray", "copy", "stack", "concatenate", "hstack", "vstack", "column_stack", "dstack",
    "reshape", "ravel", "transpose", "swapaxes", "moveaxis", "squeeze", "expand_dims", "clip", "cumsum", "cumprod",
    "diff", "sort", "take", "take_along_axis", "trace", "diag", "diagonal", "tile", "repeat", "broadcast_to", "zeros",
    "ones", "empty", "full", "zeros_like", "ones_like", "full_like", "empty_like", "eye", "identity", "linspace",
    "arange", "logspace", "flip", "fliplr", "flipud", "roll", "rot90", "triu", "tril", "pad", "interp",
    "nan_to_num", "real", "imag", "conj", "angle", "round", "around", "sinc", "convolve", "correlate",
)
_LINALG_ARRAY_FUNCTIONS = ("norm", "inv", "det", "solve", "pinv", "cholesky", "matrix_power")
_HELPER_ARRAY_FUNCTIONS = (
    numeric.unreduce, numeric.sum_to_scalar, numeric.unmatmul_a, numeric.unmatmul_b, numeric.untensordot_a,
    numeric.untensordot_b, numeric.undot_a, numeric.undot_b, numeric.uninner_a, numeric.uninner_b, numeric.xlogy,
    numeric.power, numeric.quotient_or_zero, numeric.uncumsum, numeric.untile, numeric.untake, numeric.unsort,
    numeric.undiag, numeric.undiagonal, numeric.untrace, numeric.untranspose, numeric.unrepeat, numeric.reshape_like,
    numeric.transpose_by, numeric.sort_along,
)
# helpers whose result has the structure of one of their arguments (its position)
_LIKE_ARGUMENT = {
    numeric.unbroadcast: 0, numeric.cast_like: 0, numeric.zeros_like: 0, numeric.unindex: 1,
    accumulate.zeros_buffer: 0, accumulate.copy_of: 0, accumulate.writable: 0, accumulate.writable_copy: 0,
    forward_helpers.broadcast_like: 0, forward_helpers.fresh_copy: 0,
}
_ARRAY_METHODS = {
    "sum", "mean", "prod", "max", "min", "std", "var", "reshape", "dot", "copy", "astype", "transpose", "ravel",
    "flatten", "squeeze", "clip", "cumsum", "cumprod", "round", "trace", "diagonal", "repeat", "take", "swapaxes",
    "conj", "conjugate", "__neg__",
}
_ARRAY_ATTRIBUTES = {"T", "mT", "real", "imag"}
_CONSTRUCTORS = {list: LIST, sorted: LIST, tuple: TUPLE, dict: DICT, float: ARRAY, int: INTEGER, len: INTEGER,
                 bool: INTEGER}


def _numpy_functions():
    found = [getattr(np, n) for n in _NUMPY_ARRAY_FUNCTIONS if hasattr(np, n)]
    found += [getattr(np.linalg, n) for n in _LINALG_ARRAY_FUNCTIONS if hasattr(np.linalg, n)]
    return found


_ARRAY_FUNCTIONS = _numpy_functions() + list(_HELPER_ARRAY_FUNCTIONS)


class Kinds:
    """The kinds of the variables of one function; see the module's docstring."""

    def __init__(self, fn, node, local_names, generated_globals, numbers=()):
        """``numbers`` are variables known to hold numbers whatever their definitions
        say: the output of a gradient, which is checked to be a scalar."""
        self.fn = fn
        self.local_names = local_names
        self.generated_globals = generated_globals
        parameters = node.args.posonlyargs + node.args.args + node.args.kwonlyargs
        parameters += [a for a in (node.args.vararg, node.args.kwarg) if a is not None]
        # a parameter is anything a caller passes, unless the call being specialised proves more
        proven = getattr(fn, "argument_kinds", {})
        self.kinds = {p.id: proven.get(p.id) for p in parameters}
        definitions = list(_definitions(node))
        numbers = _copied_numbers(definitions, set(numbers) - set(self.kinds))
        self.kinds.update({var: ARRAY for var in numbers})
        definitions = [(target, value) for target, value in definitions if target not in numbers]
        changed = True
        while changed:
            changed = False
            for target, value in definitions:
                old = self.kinds.get(target, _PENDING)
                new = _meet(old, self.of(value) if isinstance(value, gast.AST) else value)
                if new != old:
                    self.kinds[target] = new
                    changed = True
        self.kinds = {var: (None if kind == _PENDING else kind) for var, kind in self.kinds.items()}

    def is_numeric(self, node, derivatives=None):
        """Whether ``node`` is surely an array or a number (so is its derivative)."""
        return self.of(node, derivatives) in NUMERIC

    def of(self, node, derivatives=None):
        """The kind of an expression, or None. ``derivatives`` maps the names of
        derivatives to their variables: a derivative has its variable's structure
        (an array or a float for a number, a list or a tuple for a tuple)."""
        return _Expression(self, derivatives or {}).kind(node)

    def function(self, func):
        if isinstance(func, gast.Name) and func.id not in self.local_names and func.id in self.generated_globals:
            return self.generated_globals[func.id]
        return resolve_expression(self.fn, func, self.local_names)


class _Expression:
    def __init__(self, kinds, derivatives):
        self.kinds = kinds
        self.derivatives = derivatives

    def kind(self, node):
        method = getattr(self, "kind_" + type(node).__name__, None)
        return method(node) if method is not None else None

    def kind_Name(self, node):
        if node.id in self.derivatives:
            primal = self.kinds.kinds.get(self.derivatives[node.id], _PENDING)
            return ARRAY if primal in NUMERIC else primal if primal in (LIST, DICT, _PENDING) else None
        if node.id in self.kinds.kinds:
            return self.kinds.kinds[node.id]
        return _PENDING if node.id in self.kinds.local_names else None

    @staticmethod
    def kind_Constant(node):
        value = node.value
        if isinstance(value, (bool, int)):
            return INTEGER
        return ARRAY if isinstance(value, (float, complex)) else None

    @staticmethod
    def kind_List(node):
        return LIST

    @staticmethod
    def kind_Tuple(node):
        return TUPLE

    @staticmethod
    def kind_Dict(node):
        return DICT

    def kind_BinOp(self, node):
        left, right = self.kind(node.left), self.kind(node.right)
        if isinstance(node.op, (gast.Add, gast.Mult)):
            return _add_or_multiply(left, right, multiply=isinstance(node.op, gast.Mult))
        if ARRAY in (left, right) or isinstance(node.op, (gast.Div, gast.MatMult)):
            return ARRAY
        return INTEGER if left == right == INTEGER else NUMBER

    def kind_UnaryOp(self, node):
        if isinstance(node.op, gast.Not):
            return INTEGER
        operand = self.kind(node.operand)
        return operand if operand in (ARRAY, INTEGER) else NUMBER

    @staticmethod
    def kind_Compare(node):
        return NUMBER

    def kind_IfExp(self, node):
        return _meet(self.kind(node.body), self.kind(node.orelse))

    def kind_Subscript(self, node):
        container = self.kind(node.value)
        if container == ARRAY:
            return ARRAY
        if container in SEQUENCES and isinstance(node.slice, gast.Slice):
            return container
        return _PENDING if container == _PENDING else None

    def kind_Attribute(self, node):
        if node.attr in ("size", "ndim"):
            return INTEGER
        if node.attr == "shape":
            return TUPLE
        owner = self.kind(node.value)
        if node.attr in _ARRAY_ATTRIBUTES and owner in (ARRAY, _PENDING):
            return owner
        return None

    def kind_Call(self, node):
        func = node.func
        if isinstance(func, gast.Attribute) and isinstance(func.value, gast.Name) \
                and func.value.id in self.kinds.local_names:
            receiver = self.kind(func.value)
            if receiver in (ARRAY, _PENDING) and func.attr in _ARRAY_METHODS:
                return receiver
            if receiver in (LIST, DICT) and func.attr == "copy":
                return receiver
            return None
        function = self.kinds.function(func)
        if function is UNKNOWN:
            return None
        position = listed_as(_LIKE_ARGUMENT, function)
        if position is not None:
            like = self.kind(node.args[position]) if len(node.args) > position else None
            if function is accumulate.zeros_buffer and like == TUPLE:
                return LIST
            return ARRAY if like in NUMERIC else like
        if function is accumulate.add_grads and len(node.args) == 2:
            return _meet(self.kind(node.args[0]), self.kind(node.args[1]))
        constructed = listed_as(_CONSTRUCTORS, function)
        if constructed is not None:
            return constructed
        if function is builtins.abs or function is builtins.round and len(node.args) == 1:
            argument = self.kind(node.args[0]) if node.args else None
            return argument if argument in (ARRAY, INTEGER) else NUMBER
        return ARRAY if _returns_array(function, node) else None


def read_keys_of_dicts(node, kinds, bind):
    """A ``for x in xs`` loop reads ``x = xs[i]`` (see desugar.py), but a loop over a dict
    sees its keys: where ``xs`` is not proven an array, a list or a tuple, the read becomes
    ``x = loop_item(xs, i)``, which tests that when the code runs. ``bind`` names the helper."""
    for loop in gast.walk(node):
        reads = getattr(loop, "srcad_item_reads", 0) if isinstance(loop, gast.For) else 0
        for stmt in loop.body if reads else ():
            value = getattr(stmt, "value", None)
            if not (isinstance(stmt, gast.Assign) and isinstance(value, gast.Subscript)
                    and isinstance(value.value, gast.Name) and isinstance(value.slice, gast.Name)
                    and value.slice.id == loop.target.id):
                continue
            if kinds.of(value.value) not in (ARRAY, LIST, TUPLE):
                stmt.value = gast.Call(func=gast.Name(id=bind("loop_item", numeric.loop_item), ctx=gast.Load(),
                                                      annotation=None, type_comment=None),
                                       args=[value.value, value.slice], keywords=[])
            reads -= 1
            if not reads:
                break


def binary_function(kinds, value, function):
    """What ``value`` is differentiated as when it is ``a + b`` or ``a * b``: ``function``
    itself (the arithmetic operator) where the operands' kinds prove arithmetic,
    ``concatenation`` of two proven lists or tuples, and ``plus`` or ``times``
    otherwise, whose rules see the operands' types when the code runs."""
    if not isinstance(value, gast.BinOp) or not isinstance(value.op, (gast.Add, gast.Mult)):
        return function
    kind = kinds.of(value)
    if kind in NUMERIC:
        return function
    if isinstance(value.op, gast.Add):
        return numeric.concatenation if kind in SEQUENCES else numeric.plus
    return numeric.times


def _returns_array(function, node):
    if isinstance(function, np.ufunc):
        return function.nout == 1
    if isinstance(function, type):
        return issubclass(function, np.generic)
    if function is np.where:
        return len(node.args) == 3
    if getattr(function, "__module__", None) == nn.__name__:
        return True
    return any(function is candidate for candidate in _ARRAY_FUNCTIONS)


def _add_or_multiply(left, right, multiply):
    """The kind of ``left + right`` (or ``left * right``): arithmetic if either is an
    array (a number and a list do not add), else a concatenation of two lists or two
    tuples, or (``*``) a sequence repeated by an int."""
    if ARRAY in (left, right):
        return ARRAY
    if left in NUMERIC and right in NUMERIC:
        return INTEGER if left == right == INTEGER else NUMBER
    if not multiply and (left in NUMERIC or right in NUMERIC):
        return NUMBER
    if not multiply and left == right and left in SEQUENCES:
        return left
    if multiply and INTEGER in (left, right) and {left, right} & set(SEQUENCES):
        return right if left == INTEGER else left
    return _PENDING if _PENDING in (left, right) else None


def _meet(old, new):
    """The kind of a variable assigned values of kinds ``old`` and ``new``."""
    if old == _PENDING:
        return new
    if new == _PENDING or old == new:
        return old
    if old in NUMERIC and new in NUMERIC:
        return NUMBER
    return None


def _copied_numbers(definitions, numbers):
    """``numbers`` and the variables they are copies of (``out = total``), where each
    side has one definition: the copy then holds the number all its life."""
    counts = {}
    for target, _ in definitions:
        counts[target] = counts.get(target, 0) + 1
    found = {var for var in numbers if counts.get(var) == 1}
    changed = True
    while changed:
        changed = False
        for target, value in definitions:
            if target in found and isinstance(value, gast.Name) and counts.get(value.id) == 1 \
                    and value.id not in found:
                found.add(value.id)
                changed = True
    return found


def _definitions(node):
    """``(variable, value expression or kind)`` for every assignment in ``node``."""
    for stmt in gast.walk(node):
        if isinstance(stmt, gast.Assign):
            target = stmt.targets[0]
            if isinstance(target, gast.Name):
                yield target.id, stmt.value
            elif not isinstance(target, (gast.Subscript, gast.Attribute)):
                for element in gast.walk(target):
                    if isinstance(element, gast.Name):
                        yield element.id, None  # an item of a container: anything
        elif isinstance(stmt, gast.AugAssign) and isinstance(stmt.target, gast.Name):
            yield stmt.target.id, gast.BinOp(left=gast.Name(id=stmt.target.id, ctx=gast.Load(), annotation=None,
                                                            type_comment=None), op=stmt.op, right=stmt.value)
        elif isinstance(stmt, gast.For) and isinstance(stmt.target, gast.Name):
            counts = isinstance(stmt.iter, gast.Call) and isinstance(stmt.iter.func, gast.Name) \
                and stmt.iter.func.id in ("range", "reversed")
            yield stmt.target.id, INTEGER if counts else None
        elif isinstance(stmt, gast.For):
            for element in gast.walk(stmt.target):
                if isinstance(element, gast.Name):
                    yield element.id, None


__all__ = ["Kinds", "binary_function", "read_keys_of_dicts", "ARRAY", "INTEGER", "NUMBER", "LIST", "TUPLE", "DICT", "NUMERIC", "SEQUENCES"]
