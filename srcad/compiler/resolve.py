"""What each primitive operation of the normalised code is: which function it calls.

The answer is an :class:`Operation`: the function object (``np.tanh``,
``operator.mul``, the descriptor ``np.ndarray.sum``...), the argument
expressions in call order, and the keyword arguments. Rules are looked up by
that object, whatever name the user imported it under.
"""
import inspect
import operator
import os
from dataclasses import dataclass, field

import gast
import numpy as np

from ..rules import registry

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
    integer_valued: bool = False  # a dtype= argument asks for integers or bools

    @property
    def nondifferentiable(self):
        return self.integer_valued or registry.is_nondifferentiable(self.function)


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
        indexer = _indexer(fn, value.value, local_names)
        if indexer is not None:
            return Operation(type(indexer).__getitem__, [value.value, *_index_items(value.slice)],
                             label=f"{_dotted(value.value)}[...]", integer_valued=_slices_only(indexer, value.slice))
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
        function, args, label = _array_member(func.attr), [func.value] + list(call.args), f".{func.attr}()"
    else:
        function, args, label = resolve_expression(fn, func, local_names), list(call.args), _dotted(func)
    bound = bound_arguments(function, args, keywords) or keywords
    integer_valued = _integer_dtype(fn, bound.get("dtype"), local_names)
    return Operation(function, args, keywords, label=label, integer_valued=integer_valued)


def bound_arguments(function, args, keywords):
    """The argument expressions of a call of ``function`` by parameter name, bound as Python
    binds them (``np.sum(x, 0, int)``: ``a``, ``axis`` and ``dtype``), so that what an argument
    means is never missed for being given by position. The signature is NumPy's own or, where
    NumPy gives none (C functions on NumPy 1.26, some array methods), that of the function's
    derivative rule, which follows NumPy's. None when no signature is known or the call fits
    none (a spread argument, say)."""
    if function is UNKNOWN or any(isinstance(a, gast.Starred) for a in args) or None in keywords:
        return None
    for signature in _signatures(function):
        try:
            return dict(signature.bind_partial(*args, **keywords).arguments)
        except TypeError:
            continue
    return None


# NumPy's C functions that srcad reads itself (no rule) and NumPy 1.26 gives no signature
_C_SIGNATURES = {np.copyto: inspect.signature(lambda dst, src, casting="same_kind", where=True: None)}


def _signatures(function):
    try:
        yield inspect.signature(function)
    except (TypeError, ValueError):
        pass
    try:
        known = _C_SIGNATURES.get(function)
    except TypeError:  # an unhashable callable
        known = None
    if known is not None:
        yield known
    for template in (registry.adjoint_of(function), registry.tangent_of(function)):
        if template is not None:
            signature = inspect.signature(template)
            yield signature.replace(parameters=list(signature.parameters.values())[1:])  # less the result


def _integer_dtype(fn, dtype, local_names):
    """Whether a ``dtype=`` argument names an integer or bool type (``int``, ``np.int32``,
    ``"int64"``): such a call's values are integers, piecewise constant in its arguments."""
    if dtype is None:
        return False
    value = dtype.value if isinstance(dtype, gast.Constant) else resolve_expression(fn, dtype, local_names)
    try:
        return value is not None and value is not UNKNOWN and np.dtype(value).kind in "biu"
    except TypeError:
        return False


# what a subscript of a module's object reads, rather than computes
_DATA = (np.ndarray, np.generic, list, tuple, dict, str, bytes, int, float, complex, type(None))


def _indexer(fn, node, local_names):
    """The object of ``np.r_[...]``-like subscripts: a module's object whose subscript is a call of
    its class's ``__getitem__`` (``np.r_``, ``np.c_``, ``np.s_``, ``np.mgrid``), not data; else None."""
    if not isinstance(node, (gast.Name, gast.Attribute)) or _is_local(node, local_names):
        return None
    obj = resolve_expression(fn, node, local_names)
    if obj is UNKNOWN or isinstance(obj, _DATA) or not hasattr(type(obj), "__getitem__"):
        return None
    return obj


def _slices_only(indexer, index):
    """``np.s_[1:n]``, ``np.index_exp[:, :k]``: an index made of slices (and literals), which
    carries no derivative whatever its bounds are."""
    if not isinstance(indexer, type(np.s_)):
        return False
    items = index.elts if isinstance(index, gast.Tuple) else [index]
    return all(isinstance(item, (gast.Slice, gast.Constant)) for item in items)


def _index_items(index):
    """The items of a subscript as call arguments: ``a, 0:3`` is ``a, slice(0, 3, None)``."""
    items = index.elts if isinstance(index, gast.Tuple) else [index]
    return [_slice_call(item) if isinstance(item, gast.Slice) else item for item in items]


def _slice_call(node):
    def part(p):
        return p if p is not None else gast.Constant(value=None, kind=None)
    return gast.Call(func=gast.Name(id="slice", ctx=gast.Load(), annotation=None, type_comment=None),
                     args=[part(node.lower), part(node.upper), part(node.step)], keywords=[])


_DICT_VIEWS = {"items": dict.items, "values": dict.values, "keys": dict.keys, "get": dict.get}


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


def is_user_function(obj):
    """Python functions srcad transforms itself: not NumPy's, not srcad's own, not those of an
    installed package (SciPy's, any in site-packages), which need a rule."""
    if getattr(obj, "srcad_keep_wrapper", False):
        return True
    if not inspect.isfunction(obj):
        return False
    module = getattr(obj, "__module__", "") or ""
    if module == "numpy" or module.startswith(("numpy.", "srcad.")) and module != "srcad.nn":
        return False
    return module == "srcad.nn" or installed_package(obj) is None


def has_rule(obj):
    """Whether a rule is registered for ``obj``: a rule wins over transforming its source."""
    return registry.adjoint_of(obj) is not None or registry.tangent_of(obj) is not None


_INSTALLED_DIRECTORIES = {"site-packages", "dist-packages"}


def installed_package(function):
    """The top-level package of an installed distribution whose Python source defines
    ``function`` (``"scipy"`` for ``scipy.special.logsumexp``), or None."""
    try:
        path = inspect.getsourcefile(function) or ""
    except TypeError:
        return None
    if not _INSTALLED_DIRECTORIES & set(os.path.realpath(path).split(os.sep)):
        return None
    return (getattr(function, "__module__", None) or "a package").split(".")[0]


# srcad.nn functions that compute what functions of these names in other packages do
_NN_EQUIVALENTS = {"logsumexp": "logsumexp", "softmax": "softmax", "log_softmax": "log_softmax",
                   "expit": "sigmoid", "sigmoid": "sigmoid", "softplus": "softplus", "relu": "relu"}


def not_transformed_because(function):
    """Why srcad does not transform the Python source of ``function`` (code of an installed
    package), with the srcad.nn function that does the same where there is one; or None."""
    package = installed_package(function)
    if package is None:
        return None
    why = (f"it is code of the installed package {package} ({inspect.getsourcefile(function)}), which srcad "
           f"does not transform")
    equivalent = _NN_EQUIVALENTS.get(getattr(function, "__name__", ""))
    if equivalent is not None:
        why += f"; srcad.nn.{equivalent} computes the same, with a derivative rule"
    return why


def known_at_run_time_only(value, operation, local_names):
    """A call of a local variable, an item of one (``acts["tanh"](z)``), a call's result, or a
    method of a call's result (``np.random.default_rng(0).normal(mu, sigma)``)."""
    if operation.function is not UNKNOWN or not isinstance(value, gast.Call):
        return False
    if isinstance(value.func, gast.Call) or isinstance(value.func, gast.Attribute) \
            and isinstance(value.func.value, gast.Call):
        return True  # make_activation()(z), srcad.grad(loss)(w)
    callee = value.func
    while isinstance(callee, gast.Subscript):
        callee = callee.value
    return isinstance(callee, gast.Name) and (callee.id in local_names or callee is not value.func)


def method_of_a_constant(value, operation, local_names, carrying):
    """``self.layer(x)``, ``self.layers[0].forward(x)``: a method of a local object (or of an
    attribute or item of one) that carries no derivative (``self``, a constant of the
    derivative) and is not an array's or a dict's: the run-time dispatch reads the method it
    turns out to be, with its object a constant. A method of a value that carries a derivative
    is refused (srcad cannot see how the result depends on it)."""
    if operation.function is not UNKNOWN or not isinstance(value, gast.Call) \
            or not isinstance(value.func, gast.Attribute):
        return False
    receiver = value.func.value
    while isinstance(receiver, (gast.Attribute, gast.Subscript)):
        receiver = receiver.value
    return isinstance(receiver, gast.Name) and receiver.id in local_names and receiver.id not in carrying


def listed_as(table, function):
    """What the dict ``table``, keyed by functions, says of ``function`` (None: nothing, or a
    callable that cannot be a key)."""
    try:
        return table.get(function)
    except TypeError:
        return None


def is_listed(table, function):
    """Whether ``function`` is in the set ``table`` (an unhashable callable never is)."""
    try:
        return function in table
    except TypeError:
        return False
