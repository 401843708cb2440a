"""Check derivative rule templates on their own, without the engine.

A template is read the way the engine reads it (``inspect.getsource`` and
``ast``): ``d[name]`` reads become dictionary reads, and each ``d[p] = expr``
becomes a contribution, kept only when ``p`` is active (adjoints) or, in a
tangent, with the additive terms of inactive parameters dropped. The body
then runs with concrete values, and the result is compared with central
finite differences of the op itself, in float64:

* ``check_adjoint``: ``<adjoint(g), v> == <g, (f(x + hv) - f(x - hv)) / 2h>``;
* ``check_tangent``: ``tangent(v) == (f(x + hv) - f(x - hv)) / 2h``;
* ``check_forward_reverse``: ``<g, tangent(v)> == <adjoint(g), v>`` to 1e-10.

An argument to differentiate (a *leaf*) is named by its position (``0``), its
keyword (``"axis"``), or a path into a list argument or ``*args`` (``(0, 1)``
is the second element of the first argument).
"""
import ast
import copy
import inspect
import itertools
import textwrap

import numpy as np

from srcad.rules.registry import ADJOINTS, TANGENTS
from srcad.runtime.numeric import same_sequence, zeros_like

H = 1e-6
FD_RTOL = 1e-6
PAIR_RTOL = 1e-10


# ------------------------------------------------------------ reading templates


def _d_key(node):
    """The parameter name of ``d[name]``, or None for anything else."""
    if (isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name)
            and node.value.id == "d" and isinstance(node.slice, ast.Name)):
        return node.slice.id
    return None


def _terms(node, sign=1):
    """The additive terms of an expression, as (sign, node) pairs."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)):
        right_sign = sign if isinstance(node.op, ast.Add) else -sign
        return _terms(node.left, sign) + _terms(node.right, right_sign)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return _terms(node.operand, -sign)
    return [(sign, node)]


def _reads(node):
    return {_d_key(n) for n in ast.walk(node)} - {None}


def _join(terms):
    sign, total = terms[0]
    if sign < 0:
        total = ast.UnaryOp(op=ast.USub(), operand=total)
    for sign, term in terms[1:]:
        total = ast.BinOp(left=total, op=ast.Add() if sign > 0 else ast.Sub(), right=term)
    return total


class _Rewrite(ast.NodeTransformer):
    """``d[x]`` reads to ``__d__["x"]``; ``d[p] = e`` to a guarded ``__put__``."""

    def __init__(self, result, active, mode):
        self.result = result
        self.active = active
        self.mode = mode

    def visit_Subscript(self, node):
        key = _d_key(node)
        if key is None:
            return self.generic_visit(node)
        return ast.Subscript(value=ast.Name("__d__", ast.Load()), slice=ast.Constant(key), ctx=ast.Load())

    def visit_Assign(self, node):
        key = _d_key(node.targets[0])
        if key is None:
            return self.generic_visit(node)
        value, dropped = node.value, False
        if self.mode == "tangent":
            value, dropped = self._active_terms(value)
        put = ast.Expr(ast.Call(
            func=ast.Name("__put__", ast.Load()),
            args=[ast.Constant(key), self.visit(value), ast.Constant(dropped)], keywords=[]))
        if self.mode == "adjoint":
            test = ast.Compare(left=ast.Constant(key), ops=[ast.In()],
                               comparators=[ast.Name("__active__", ast.Load())])
            return ast.If(test=test, body=[put], orelse=[])
        return put


    def _active_terms(self, value):
        """The terms of a tangent that read active derivatives only (all of them in a tuple
        of tangents, one per item of the result); whether some term was dropped."""
        if isinstance(value, ast.Tuple):
            return value, False  # inside a tuple the engine writes zeros out, and so does run_tangent
        inactive = _reads(value) - self.active - {self.result}
        terms = [t for t in _terms(value) if not (_reads(t[1]) & inactive)]
        return (_join(terms) if terms else ast.Constant(None)), len(terms) < len(_terms(value))


class Template:
    """A rule template, runnable with concrete values."""

    def __init__(self, function):
        self.function = function
        self.signature = inspect.signature(function)
        names = list(self.signature.parameters)
        self.result, self.params = names[0], names[1:]
        self.varargs = next((p.name for p in self.signature.parameters.values()
                             if p.kind is p.VAR_POSITIONAL), None)
        source = textwrap.dedent(inspect.getsource(function))
        self.tree = ast.parse(source).body[0]
        ast.increment_lineno(self.tree, function.__code__.co_firstlineno - 1)
        self._compiled = {}

    def _compile(self, active, mode):
        key = (frozenset(active), mode)
        if key not in self._compiled:
            node = _Rewrite(self.result, set(active), mode).visit(copy.deepcopy(self.tree))
            node.name, node.decorator_list = "__rule__", []
            node.args.args[:0] = [ast.arg("__d__"), ast.arg("__active__"), ast.arg("__put__")]
            module = ast.fix_missing_locations(ast.Module(body=[node], type_ignores=[]))
            namespace = dict(self.function.__globals__)
            exec(compile(module, inspect.getsourcefile(self.function), "exec"), namespace)
            self._compiled[key] = namespace["__rule__"]
        return self._compiled[key]

    def run(self, mode, derivatives, active, y, args, kwargs):
        """Run the body; returns {name: (value, some_term_dropped)}."""
        out = {}

        def put(name, value, dropped):
            if name in out:  # several statements for one parameter accumulate
                value = out[name][0] + value
            out[name] = (value, dropped)

        self._compile(active, mode)(derivatives, set(active), put, y, *args, **kwargs)
        return out

    def param_of(self, y, args, kwargs, position):
        """(parameter name, index path inside it) for a top-level argument."""
        if isinstance(position, str):
            return position, ()
        slots = [_Slot(i) for i in range(len(args))]
        bound = self.signature.bind(y, *slots, **kwargs)
        for name, value in bound.arguments.items():
            if name == self.varargs and slots[position] in value:
                return name, (value.index(slots[position]),)
            if value is slots[position]:
                return name, ()
        raise AssertionError(f"argument {position} binds no parameter")


class _Slot:
    def __init__(self, i):
        self.i = i


_TEMPLATES = {}


def template(function):
    if function not in _TEMPLATES:
        _TEMPLATES[function] = Template(function)
    return _TEMPLATES[function]


# ------------------------------------------------------------- values, leaves


def is_float(x):
    return isinstance(x, float) or (hasattr(x, "dtype") and np.issubdtype(x.dtype, np.floating))


def default_leaves(args):
    """Every floating argument, and every floating element of a list argument."""
    leaves = []
    for i, a in enumerate(args):
        if isinstance(a, (list, tuple)):
            leaves += [(i, j) for j, item in enumerate(a) if is_float(item)]
        elif is_float(a):
            leaves.append(i)
    return leaves


def _path(leaf):
    return leaf if isinstance(leaf, tuple) else (leaf,)


def get_leaf(args, kwargs, leaf):
    head, *rest = _path(leaf)
    value = kwargs[head] if isinstance(head, str) else args[head]
    for i in rest:
        value = value[i]
    return value


def _replace(container, path, value):
    if not path:
        return value
    head, *rest = path
    if isinstance(container, dict):
        new = dict(container)
    else:
        new = list(container)
    new[head] = _replace(container[head], rest, value)
    return type(container)(new) if isinstance(container, tuple) else new


def with_leaf(args, kwargs, leaf, value):
    head, *rest = _path(leaf)
    if isinstance(head, str):
        kwargs = dict(kwargs)
        kwargs[head] = _replace(kwargs[head], rest, value)
        return args, kwargs
    return _replace(list(args), [head, *rest], value), kwargs


def random_like(x, rng):
    """A random value with the structure, shape and float dtype of ``x``."""
    if isinstance(x, (list, tuple)):
        return same_sequence(x, [random_like(item, rng) for item in x])
    if isinstance(x, (float, int)):
        return float(rng.standard_normal())
    dtype = x.dtype if np.issubdtype(x.dtype, np.floating) else np.float64
    value = rng.standard_normal(np.shape(x)).astype(dtype)
    return value if isinstance(x, np.ndarray) else value[()]


def inner(a, b):
    """Sum of elementwise products, through lists and tuples, in float64 (None, the tangent of
    an integer, is zero)."""
    if a is None or b is None:
        return 0.0
    if isinstance(a, (list, tuple)):
        return sum(inner(x, y) for x, y in zip(a, b))
    return float(np.sum(np.asarray(a, dtype=np.float64) * np.asarray(b, dtype=np.float64)))


def _combine(a, b, scale):
    """``(a - b) * scale`` through lists and tuples."""
    if isinstance(a, (list, tuple)):
        return same_sequence(a, [_combine(x, y, scale) for x, y in zip(a, b)])
    return (np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)) * scale


# ops that code spells as a subscript ``obj[a, b]``; their rules take the key spread out
SUBSCRIPTS = {type(np.r_).__getitem__}


def call(op, args, kwargs):
    """Apply ``op``; an attribute descriptor such as ``np.ndarray.T`` reads the attribute, and
    ``np.r_``'s ``__getitem__`` (with ``args`` the object and the key's items) subscripts."""
    if not callable(op) and hasattr(op, "__get__"):
        return op.__get__(args[0])
    if op in SUBSCRIPTS:
        return args[0][tuple(args[1:])]
    return op(*args, **kwargs)


def _moved(x, step):
    """``x + step``, a 0-d array staying a 0-d array (NumPy would give a scalar)."""
    moved = x + step
    return np.array(moved) if isinstance(x, np.ndarray) and not isinstance(moved, np.ndarray) else moved


def finite_difference(op, args, kwargs, leaf, v):
    x = get_leaf(args, kwargs, leaf)
    plus_args, plus_kwargs = with_leaf(args, kwargs, leaf, _moved(x, H * v))
    minus_args, minus_kwargs = with_leaf(args, kwargs, leaf, _moved(x, -H * v))
    plus, minus = call(op, plus_args, plus_kwargs), call(op, minus_args, minus_kwargs)
    return _combine(plus, minus, 1.0 / (2.0 * H))


# --------------------------------------------------------------- running rules


class Rule:
    """One op applied to concrete arguments, with both its templates ready to run."""

    def __init__(self, op, args, kwargs=None, wrt=None):
        self.op = op
        self.args = list(args)
        self.kwargs = dict(kwargs or {})
        self.leaves = default_leaves(self.args) if wrt is None else list(wrt)
        assert self.leaves, "nothing to differentiate"
        self.y = call(op, self.args, self.kwargs)
        self.adjoint = template(ADJOINTS[op])
        self.tangent = template(TANGENTS[op])

    def _where(self, template, leaf):
        head, *rest = _path(leaf)
        name, inside = template.param_of(self.y, self.args, self.kwargs, head)
        return name, (*inside, *rest)

    def run_adjoint(self, g, leaves):
        """The adjoint's derivative of each leaf, given the result's derivative ``g``."""
        t = self.adjoint
        where = {leaf: self._where(t, leaf) for leaf in leaves}
        out = t.run("adjoint", {t.result: g}, {name for name, _ in where.values()},
                    self.y, self.args, self.kwargs)
        grads = {}
        for leaf, (name, inside) in where.items():
            assert name in out, f"the adjoint of {self.op} contributes nothing to {name!r}"
            value = out[name][0]
            for i in inside:
                value = value[i]
            grads[leaf] = value
        return grads

    def run_tangent(self, directions):
        """The tangent of the result, given a direction for each active leaf."""
        t = self.tangent
        derivatives = {}
        for leaf, v in directions.items():
            name, inside = self._where(t, leaf)
            if name not in derivatives:
                derivatives[name] = zeros_like(_param_value(t, self.y, self.args, self.kwargs, name))
            derivatives[name] = _replace(derivatives[name], list(inside), v)
        active = set(derivatives)
        derivatives = _ZerosByDefault(derivatives)  # zero tangents, read by the items of a tuple of tangents
        derivatives.value_of = lambda name: _param_value(t, self.y, self.args, self.kwargs, name)
        out = t.run("tangent", derivatives, active, self.y, self.args, self.kwargs)
        assert t.result in out, f"the tangent of {self.op} writes no d[{t.result}]"
        value, dropped = out[t.result]
        if value is None:
            return zeros_like(self.y)
        if dropped and not isinstance(self.y, (list, tuple)) and np.shape(value) != np.shape(self.y):
            value = np.broadcast_to(value, np.shape(self.y))  # what the engine does
        return value


class _ZerosByDefault(dict):
    """Tangents of the active parameters, and a zero tangent for any other that is read."""

    def __missing__(self, name):
        return zeros_like(self.value_of(name))


def _param_value(template, y, args, kwargs, name):
    bound = template.signature.bind(y, *args, **kwargs)
    bound.apply_defaults()
    return bound.arguments[name]


def _assert_close(actual, expected, rtol, what):
    actual = np.asarray(actual, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    scale = 1.0 + max(np.max(np.abs(expected), initial=0.0), np.max(np.abs(actual), initial=0.0))
    error = np.max(np.abs(actual - expected), initial=0.0)
    assert error <= rtol * scale, f"{what}: off by {error:.3g}\n got {actual}\n expected {expected}"


def _assert_same_structure(value, like, what):
    if isinstance(like, (list, tuple)):
        assert isinstance(value, (list, tuple)) and len(value) == len(like), what
        for a, b in zip(value, like):
            _assert_same_structure(a, b, what)
    else:
        assert np.shape(value) == np.shape(like), f"{what}: shape {np.shape(value)} != {np.shape(like)}"


# ---------------------------------------------------------------------- checks


def check_adjoint(op, args, kwargs=None, wrt=None, seed=0):
    """Each leaf's adjoint agrees with central differences, and has its shape."""
    rule = Rule(op, args, kwargs, wrt)
    rng = np.random.default_rng(seed)
    g = random_like(rule.y, rng)
    for leaf in rule.leaves:
        grad = rule.run_adjoint(g, [leaf])[leaf]
        x = get_leaf(rule.args, rule.kwargs, leaf)
        _assert_same_structure(grad, x, f"adjoint of {op} for leaf {leaf}")
        v = random_like(x, rng)
        fd = finite_difference(op, rule.args, rule.kwargs, leaf, v)
        _assert_close(inner(grad, v), inner(g, fd), FD_RTOL, f"adjoint of {op} for leaf {leaf}")


def check_tangent(op, args, kwargs=None, wrt=None, seed=0):
    """Each leaf's tangent (the others inactive) equals central differences."""
    rule = Rule(op, args, kwargs, wrt)
    rng = np.random.default_rng(seed)
    for leaf in rule.leaves:
        v = random_like(get_leaf(rule.args, rule.kwargs, leaf), rng)
        dy = rule.run_tangent({leaf: v})
        _assert_same_structure(dy, rule.y, f"tangent of {op} for leaf {leaf}")
        fd = finite_difference(op, rule.args, rule.kwargs, leaf, v)
        for got, want in zip(_flat(dy), _flat(fd)):
            _assert_close(got, want, FD_RTOL, f"tangent of {op} for leaf {leaf}")


def check_forward_reverse(op, args, kwargs=None, wrt=None, seed=0):
    """With every leaf active at once: ``<g, tangent(v)> == <adjoint(g), v>``."""
    rule = Rule(op, args, kwargs, wrt)
    rng = np.random.default_rng(seed)
    g = random_like(rule.y, rng)
    v = {leaf: random_like(get_leaf(rule.args, rule.kwargs, leaf), rng) for leaf in rule.leaves}
    dy = rule.run_tangent(v)
    _assert_same_structure(dy, rule.y, f"tangent of {op}")
    grads = rule.run_adjoint(g, rule.leaves)
    forward = inner(g, dy)
    reverse = sum(inner(grads[leaf], v[leaf]) for leaf in rule.leaves)
    _assert_close(forward, reverse, PAIR_RTOL, f"forward and reverse rules of {op} disagree")


def check_rule(op, args, kwargs=None, wrt=None, seed=0):
    check_adjoint(op, args, kwargs, wrt, seed)
    check_tangent(op, args, kwargs, wrt, seed)
    check_forward_reverse(op, args, kwargs, wrt, seed)


def check_dtypes(op, args, kwargs=None, wrt=None, seed=0):
    """Adjoints keep each leaf's dtype; the tangent keeps the result's dtype."""
    rule = Rule(op, args, kwargs, wrt)
    rng = np.random.default_rng(seed)
    grads = rule.run_adjoint(random_like(rule.y, rng), rule.leaves)
    for leaf, grad in grads.items():
        x = get_leaf(rule.args, rule.kwargs, leaf)
        assert np.result_type(grad) == np.result_type(x), (
            f"adjoint of {op} for leaf {leaf}: {np.result_type(grad)}, argument {np.result_type(x)}")
    v = {leaf: random_like(get_leaf(rule.args, rule.kwargs, leaf), rng) for leaf in rule.leaves}
    dy = rule.run_tangent(v)
    assert np.result_type(dy) == np.result_type(rule.y), (
        f"tangent of {op}: {np.result_type(dy)}, result {np.result_type(rule.y)}")


def _flat(value):
    if isinstance(value, (list, tuple)):
        return [x for item in value for x in _flat(item)]
    return [value]


# ------------------------------------------------------- values for test cases

_RNG = np.random.default_rng(1234)


def _shaped(values, shape):
    """``shape`` None gives a Python float, ``()`` a 0-d array."""
    if shape is None:
        return float(np.ravel(values)[0])
    return np.reshape(values, shape)


def normal(shape=None):
    return _shaped(_RNG.standard_normal(np.prod(shape or (), dtype=int) or 1), shape)


def uniform(low, high, shape=None):
    return _shaped(_RNG.uniform(low, high, np.prod(shape or (), dtype=int) or 1), shape)


def away(shape=None, low=0.2, high=1.5):
    """Values whose magnitude is in [low, high], of either sign (no kinks near 0)."""
    n = np.prod(shape or (), dtype=int) or 1
    return _shaped(_RNG.choice([-1.0, 1.0], n) * _RNG.uniform(low, high, n), shape)


def distinct(*shapes, gap=0.25):
    """Arrays (or floats) whose values are all at least ``gap`` apart (no ties)."""
    sizes = [np.prod(s or (), dtype=int) or 1 for s in shapes]
    grid = _RNG.permutation(sum(sizes)) * gap - sum(sizes) * gap / 2 + 0.05
    pieces = np.split(grid, list(itertools.accumulate(sizes))[:-1])
    return [_shaped(p, s) for p, s in zip(pieces, shapes)]


def between_jumps(a_shape=None, b_shape=None):
    """``(a, b)`` of either sign, broadcasting, with ``a / b`` at least 0.2 from an integer: away
    from the jumps of ``a % b``, ``fmod`` and ``a // b``."""
    b = away(b_shape, low=0.6, high=1.4)
    shape = np.broadcast_shapes(np.shape(b), a_shape or ())
    n = int(np.prod(shape, dtype=int))
    quotient = _RNG.integers(-3, 4, n) + _RNG.uniform(0.2, 0.8, n)
    a = np.reshape(quotient, shape) * b
    if a_shape is not None and np.shape(a) != tuple(a_shape):  # a has fewer elements: b varies
        raise ValueError("between_jumps: b may not have more elements than a")
    return _shaped(a, a_shape), b


def _describe(x):
    if isinstance(x, np.ndarray):
        return "x".join(map(str, x.shape)) or "0d"
    if isinstance(x, (list, tuple)):
        return "[" + ",".join(_describe(i) for i in x) + "]"
    if isinstance(x, dict):
        return "{" + ",".join(map(str, x)) + "}"
    if isinstance(x, float):
        return "f"
    return repr(x)


def op_name(op):
    name = getattr(op, "__qualname__", None) or getattr(op, "__name__", None) or repr(op)
    module = getattr(op, "__module__", None) or ""
    if module.startswith("numpy.random"):
        return "np.random." + name  # a generator's method: rng.normal is np.random.Generator.normal
    if module.startswith("numpy") and "linalg" in module:
        return "np.linalg." + name
    if isinstance(op, np.ufunc) or module.startswith("numpy") or name.startswith("ndarray."):
        return "np." + name
    return f"{module}.{name}" if module not in ("", "builtins") else name


def case(op, *args, wrt=None, id=None, **kwargs):
    """A pytest parameter set ``(op, args, kwargs, wrt)`` with a readable id."""
    import pytest

    if id is None:
        parts = [_describe(a) for a in args] + [f"{k}={_describe(v)}" for k, v in kwargs.items()]
        id = f"{op_name(op)}({', '.join(parts)})"
    return pytest.param(op, args, kwargs, wrt, id=id)


CHECKS = {"adjoint": check_adjoint, "tangent": check_tangent, "forward_vs_reverse": check_forward_reverse}


def check_by_kind(kind, op, args, kwargs=None, wrt=None):
    """One of the three checks by name, so a test file parametrises over them once."""
    CHECKS[kind](op, args, kwargs, wrt)
