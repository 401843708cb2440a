"""An analysis: which names may share memory with an array the function writes into.

srcad differentiates values: ``y[i] = v`` gives ``y`` a new value and nothing
else. In Python the write changes every name that shares ``y``'s memory (a
slice ``y[1:]``, ``y.T``, ``y.reshape(...)``, ``z = y``, an item of a list
holding ``y``, the caller's array when ``y`` is an argument). This pass runs on
the desugared function, before A-normal form, and makes the two views agree or
refuses:

* a write whose effect another name would see later (the name is read after
  the write, in the function or, for an argument, by the caller) is refused,
  unless it carries no derivative into a caller's array;
* ``x op= v`` on a name that shares memory with such a name is checked when
  the code runs: srcad rebinds ``x`` (``x = x op v``), which is the same only
  when ``x`` is a number or a tuple, not an array or a list;
* everything else is made exact: a subscript read of an array written later is
  a copy (cheap, and the backward sweep reads the value the read saw), and an
  array that something else still refers to (a view, an intermediate value,
  the tape) is copied just before it is written (copy on write).

The analysis is a flow-sensitive points-to analysis on structured code: each
name maps to the abstract objects it may refer to (an argument's array, the
result of one expression, the most recent one or an older one), containers map
to the objects they may hold, and "ghosts" are objects that intermediate values
and overwritten bindings (the tape) may still refer to.
"""
import builtins
import inspect

import gast
import numpy as np

from .p11_activity import accumulation, flowing_names
from ..dataflow import liveness
from .p05_desugar import desugar
from ...errors import SrcadError
from .p02_language import check_language
from ..names import Names
from .p01_parse import read_function
from ..resolve import UNKNOWN, classify, is_user_function
from ...runtime.accumulate import check_rebinding, copy_of, zeros_buffer
from ...runtime.forward import fresh_copy
from ...runtime.numeric import zeros_like
from ..syntax import appended, assign, call, constant, expr_stmt, name, names_loaded, names_stored

_SHAPE_ATTRIBUTES = {"shape", "ndim", "size", "dtype", "itemsize", "nbytes"}
# array methods whose result is a new array (or a number), never a view of the array
_FRESH_METHODS = {
    "copy", "sum", "mean", "prod", "max", "min", "std", "var", "dot", "cumsum", "cumprod", "round",
    "clip", "flatten", "repeat", "take", "trace", "all", "any", "argmax", "argmin", "argsort", "tolist",
    "item", "nonzero", "ptp", "conj", "conjugate", "compress", "choose", "astype",
}
_FRESH_NUMPY = {
    "zeros", "ones", "empty", "full", "zeros_like", "ones_like", "empty_like", "full_like", "eye",
    "identity", "arange", "linspace", "logspace", "copy", "sum", "mean", "prod", "max", "amax", "min",
    "amin", "std", "var", "dot", "vdot", "inner", "outer", "tensordot", "kron", "cross", "stack",
    "vstack", "hstack", "dstack", "concatenate", "column_stack", "tile", "repeat", "where", "clip",
    "cumsum", "cumprod", "sort", "argsort", "argmax", "argmin", "trace", "diff", "round", "around",
    "take", "pad", "roll", "median", "average", "cov", "corrcoef", "percentile", "quantile", "nansum",
    "nanmean", "nanmax", "nanmin", "polyval", "interp", "convolve", "correlate", "unique", "allclose",
    "array_equal", "count_nonzero", "meshgrid", "tril", "triu", "diag", "trapezoid", "trapz", "sinc",
    "logaddexp", "cbrt", "count_nonzero", "select", "piecewise", "histogram", "bincount", "digitize",
    "searchsorted", "isclose", "all", "any", "shape", "ndim", "size", "result_type", "array",
}
_FRESH_LINALG = {"inv", "solve", "det", "norm", "cholesky", "eigh", "eigvalsh", "svd", "qr", "slogdet",
                 "pinv", "lstsq", "matrix_power", "eig", "eigvals", "multi_dot"}
_FRESH_BUILTINS = {len, range, float, int, bool, str, abs, round, isinstance, print, divmod, pow, hash}
# builtins that build a new container holding the items of their argument
_CONTAINER_BUILDERS = {list, tuple, dict, sorted, set, frozenset, sum, zip, enumerate, reversed, map}
_FRESH_HELPERS = {fresh_copy, zeros_buffer, zeros_like, copy_of}


def _fresh_function(function):
    """Whether calling ``function`` always returns a new object (not its argument, not a view)."""
    if isinstance(function, np.ufunc) or function in _FRESH_HELPERS or function in _FRESH_BUILTINS:
        return True
    if getattr(function, "__module__", None) == "srcad.nn":
        return True  # activations and losses: each computes a new array
    name = getattr(function, "__name__", None)
    module = getattr(function, "__module__", "") or ""
    if name in _FRESH_NUMPY and module.startswith("numpy") and getattr(np, name, None) is function:
        return True
    if name in _FRESH_LINALG and getattr(np.linalg, name, None) is function:
        return True
    descriptor = getattr(np.ndarray, name, None) if name in _FRESH_METHODS else None
    return descriptor is not None and descriptor is function or isinstance(function, type) \
        and issubclass(function, (int, float, complex, bool, str))


class _State:
    """What each name may refer to, what each container may hold, and the ghosts."""

    def __init__(self, names=None, contents=None, ghosts=frozenset()):
        self.names = dict(names or {})
        self.contents = dict(contents or {})
        self.ghosts = frozenset(ghosts)

    def copy(self):
        return _State(self.names, self.contents, self.ghosts)

    def join(self, other):
        joined = self.copy()
        for key, value in other.names.items():
            joined.names[key] = joined.names.get(key, frozenset()) | value
        for key, value in other.contents.items():
            joined.contents[key] = joined.contents.get(key, frozenset()) | value
        joined.ghosts = self.ghosts | other.ghosts
        return joined

    def same(self, other):
        return self.names == other.names and self.contents == other.contents and self.ghosts == other.ghosts

    def reach(self, objects):
        """``objects`` and everything they may hold, transitively."""
        seen, todo = set(), list(objects)
        while todo:
            obj = todo.pop()
            if obj not in seen:
                seen.add(obj)
                todo.extend(self.contents.get(obj[0], ()))
        return frozenset(seen)

    def renew(self, site):
        """A new object is made at ``site``: what referred to its last one refers to an older one."""
        recent, old = (site, "recent"), (site, "old")

        def age(objects):
            return frozenset(old if obj == recent else obj for obj in objects) if recent in objects else objects

        self.names = {key: age(value) for key, value in self.names.items()}
        self.contents = {key: age(value) for key, value in self.contents.items()}
        self.ghosts = age(self.ghosts)
        return recent


def writes_into(fn, stmt, local_names):
    """The name ``stmt`` writes into, for ``y[i] = v`` and ``add_at(y, i, v)`` (what
    ``np.add.at`` becomes), else None."""
    if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Subscript):
        return stmt.targets[0].value.id
    accumulated = accumulation(fn, stmt, local_names)
    return accumulated[0] if accumulated is not None else None


def _written_value(stmt):
    """The value a write stores: ``v`` of ``y[i] = v`` or of ``add_at(y, i, v)``."""
    return stmt.value if isinstance(stmt, gast.Assign) else stmt.value.args[2]


def _replace_written_value(stmt, value):
    if isinstance(stmt, gast.Assign):
        stmt.value = value
    else:
        stmt.value.args[2] = value


class _Written:
    """A write ``y[i] = v`` (``base`` y) or an augmented ``x op= v`` (``base`` x, not
    ``in_place``) as the analysis saw it."""

    def __init__(self, stmt, base, in_place):
        self.stmt = stmt
        self.base = base
        self.in_place = in_place
        self.objects = frozenset()          # what the written name may refer to
        self.sharing = {}                   # other names that may share that memory -> their objects
        self.ghosts = frozenset()           # older values and intermediates that may hold it


class _PointsTo:
    """One run of the analysis; ``copied`` are the subscript reads that will be copies."""

    def __init__(self, fn, parameters, local_names, copied):
        self.fn = fn
        self.parameters = parameters
        self.local_names = local_names
        self.copied = copied
        self.writes = {}
        self.reads = {}
        self.depth = 0  # inside how many branches and loops

    def run(self, body):
        entry = _State({p: frozenset({(("argument", p), "recent")}) for p in self.parameters})
        state = self.block(body, entry)
        while True:  # container contents flow around loops: repeat until nothing grows
            again = self.block(body, entry.join(_State(contents=state.contents)))
            if again.same(state):
                return
            state = again

    # -- statements --------------------------------------------------------
    def block(self, stmts, state):
        for stmt in stmts:
            state = self.statement(stmt, state)
        return state

    def statement(self, stmt, state):
        if isinstance(stmt, gast.Assign):
            return self.assignment(stmt, state)
        if isinstance(stmt, gast.If):
            self.value(stmt.test, state)
            self.depth += 1
            joined = self.block(stmt.body, state.copy()).join(self.block(stmt.orelse, state.copy()))
            self.depth -= 1
            return joined
        if isinstance(stmt, (gast.For, gast.While)):
            self.depth += 1
            out = self.loop(stmt, state)
            self.depth -= 1
            return out
        if isinstance(stmt, gast.Expr):
            append = appended(stmt)
            if append is not None and append[0] in state.names:
                items = self.value(append[1], state)
                self.hold(state, state.names[append[0]], items)
                return state
            base = writes_into(self.fn, stmt, self.local_names)
            if base is not None:
                self.value(stmt.value.args[1], state)
                return self.write(stmt, base, state, self.value(_written_value(stmt), state))
        for child in gast.iter_child_nodes(stmt):
            if isinstance(child, gast.expr):
                self.value(child, state)
        return state

    def loop(self, stmt, state):
        if isinstance(stmt, gast.For):
            self.value(stmt.iter, state)
        else:
            self.value(stmt.test, state)
        inside = state.copy()
        # what the body makes is new in each iteration: what an earlier iteration (or the code
        # before the loop) made there is an older object, so the two are never confused
        for node in gast.walk(gast.Module(body=stmt.body, type_ignores=[])):
            if isinstance(node, gast.expr):
                inside.renew(id(node))
        while True:
            if isinstance(stmt, gast.For):
                inside.names[stmt.target.id] = frozenset()  # a counter: range() is all desugar leaves
            out = self.block(stmt.body, inside.copy())
            widened = inside.join(out)
            if widened.same(inside):
                break
            inside = widened
        return out if _runs_at_least_once(stmt) else state.join(out)

    def assignment(self, stmt, state):
        target = stmt.targets[0]
        if isinstance(target, gast.Subscript):
            return self.store(stmt, target, state)
        augmented = getattr(stmt, "srcad_augmented", None)
        if augmented is not None and isinstance(target, gast.Name):
            self.note(stmt, target.id, state, in_place=False)
        # A-normal form splits ``x = f(x)`` in a loop into ``x_new = f(x); x = x_new``, and
        # ``a, b = b, a`` into ``b_old = b; a, b = b_old, a``: names that keep the new value
        renamed = self.depth or not all(t.id in state.names for t in gast.walk(target) if isinstance(t, gast.Name))
        keeps_new = renamed and {t.id for t in gast.walk(target) if isinstance(t, gast.Name)} & names_loaded(stmt.value)
        if isinstance(target, (gast.Tuple, gast.List)) and isinstance(stmt.value, (gast.Tuple, gast.List)) \
                and len(stmt.value.elts) == len(target.elts):
            values = [self.value(v, state) for v in stmt.value.elts]
            for element, objects in zip(target.elts, values):
                self.bind(element, objects, state)
                if keeps_new:
                    state.ghosts = state.ghosts | objects
            return state
        objects = self.value(stmt.value, state)
        if keeps_new:
            state.ghosts = state.ghosts | objects
        if isinstance(target, gast.Name):
            self.bind(target, objects, state)
        else:
            self.bind(target, state.reach(objects), state)  # an unpacked item: any item
        return state

    def store(self, stmt, target, state):
        held = self.value(stmt.value, state)
        self.value(target.slice, state)
        return self.write(stmt, target.value.id, state, held)

    def write(self, stmt, base, state, held):
        if base not in state.names:
            state.names[base] = frozenset({(("outside", base), "recent")})
        self.note(stmt, base, state)
        self.hold(state, state.names[base], held)
        return state

    def note(self, stmt, base, state, in_place=True):
        written = self.writes.setdefault(id(stmt), _Written(stmt, base, in_place))
        objects = state.names.get(base, frozenset({(("outside", base), "recent")}))
        written.objects |= objects
        for other, referred in state.names.items():
            shared = state.reach(referred) & objects
            if other != base and shared:
                written.sharing[other] = written.sharing.get(other, frozenset()) | shared
        written.ghosts |= state.reach(state.ghosts) & objects

    def bind(self, target, objects, state):
        for node in gast.walk(target):
            if isinstance(node, gast.Name):
                old = state.names.get(node.id)
                if old:
                    state.ghosts = state.ghosts | state.reach(old)  # the tape may keep the old value
                state.names[node.id] = frozenset(objects)

    def hold(self, state, containers, items):
        for site, _ in containers:
            state.contents[site] = state.contents.get(site, frozenset()) | items

    # -- expressions ---------------------------------------------------------
    def value(self, expr, state):
        """The objects ``expr`` may evaluate to."""
        if expr is None or isinstance(expr, gast.Constant):
            return frozenset()
        if isinstance(expr, gast.Name):
            if expr.id in state.names:
                return state.names[expr.id]
            if expr.id in self.local_names or not self.outside_data(expr.id):
                return frozenset()  # not bound yet on this path; a module or a function
            return frozenset({(("outside", expr.id), "recent")})
        if isinstance(expr, gast.Attribute):
            inner = self.value(expr.value, state)
            return frozenset() if expr.attr in _SHAPE_ATTRIBUTES else self.intermediate(inner, state)
        if isinstance(expr, gast.Subscript):
            inner = self.value(expr.value, state)
            self.value(expr.slice, state)
            self.reads[id(expr)] = self.reads.get(id(expr), frozenset()) | inner
            if id(expr) in self.copied:
                return frozenset({self.fresh(expr, state)})
            return self.intermediate(state.reach(inner), state)
        if isinstance(expr, gast.BinOp):
            operands = self.value(expr.left, state) | self.value(expr.right, state)
            made = self.fresh(expr, state)
            # ``[a] + [b]`` holds a and b: what the operands hold, the result holds
            self.hold(state, {made}, state.reach(operands) - operands)
            return frozenset({made})
        if isinstance(expr, (gast.UnaryOp, gast.Compare)):
            for child in gast.iter_child_nodes(expr):
                if isinstance(child, gast.expr):
                    self.value(child, state)
            return frozenset() if isinstance(expr, gast.Compare) else frozenset({self.fresh(expr, state)})
        if isinstance(expr, gast.BoolOp):
            return frozenset().union(*(self.value(v, state) for v in expr.values))
        if isinstance(expr, gast.IfExp):
            self.value(expr.test, state)
            return self.value(expr.body, state) | self.value(expr.orelse, state)
        if isinstance(expr, (gast.Tuple, gast.List, gast.Set)):
            return self.container(expr, expr.elts, state)
        if isinstance(expr, gast.Dict):
            for key in expr.keys:
                self.value(key, state)
            return self.container(expr, expr.values, state)
        if isinstance(expr, gast.Starred):
            return self.value(expr.value, state)
        if isinstance(expr, gast.Call):
            return self.call(expr, state)
        for child in gast.iter_child_nodes(expr):
            if isinstance(child, gast.expr):
                self.value(child, state)
        return frozenset({self.fresh(expr, state)}) | self.intermediate(frozenset(), state)

    def outside_data(self, identifier):
        """Whether the global ``identifier`` may be data the function could write into."""
        try:
            obj = self.fn.resolve(identifier)
        except (KeyError, AttributeError):
            return True
        return not (inspect.ismodule(obj) or callable(obj))

    def container(self, expr, elements, state):
        items = frozenset().union(*(self.value(e, state) for e in elements)) if elements else frozenset()
        made = self.fresh(expr, state)
        self.hold(state, {made}, items)
        state.ghosts = state.ghosts | items  # a literal's items are read by its derivative
        return frozenset({made})

    def call(self, expr, state):
        arguments = frozenset()
        for arg in list(expr.args) + [k.value for k in expr.keywords]:
            arguments |= self.value(arg, state)
        receiver = self.value(expr.func.value, state) if isinstance(expr.func, gast.Attribute) else frozenset()
        kind = self.kind(expr)
        self.refuse_writing_callee(expr)
        if kind == "fresh":
            return frozenset({self.fresh(expr, state)})
        made = self.fresh(expr, state)
        if kind == "container":
            self.hold(state, {made}, state.reach(arguments | receiver))
            return self.intermediate(frozenset({made}), state)
        # a view, a function that may return or keep its argument, or one srcad cannot see into
        return self.intermediate(frozenset({made}) | state.reach(arguments | receiver), state)

    def refuse_writing_callee(self, expr):
        """A function of the user's that writes into an argument changes the caller's array
        behind the caller's back (its values, which the caller's derivative reads)."""
        if self.fn.filename.startswith("<srcad"):
            return  # generated code calls the generated halves of its functions
        operation = classify(self.fn, expr, self.local_names)
        function = operation.function if operation is not None else UNKNOWN
        written = argument_written(function) if is_user_function(function) else None
        if written is not None:
            parameter, where = written
            label = getattr(function, "__name__", "the function")
            raise self.fn.syntax_error(expr, f"srcad cannot differentiate this call: {label} writes into its "
                                             f"argument {parameter}, which would change the caller's array."
                                             f" Make {label} return a new array instead{where}")

    def kind(self, expr):
        if any(k.arg in ("out", "copy") for k in expr.keywords):
            return "view"  # np.add(a, b, out=a), np.array(a, copy=False), a.astype(t, copy=False)
        operation = classify(self.fn, expr, self.local_names)
        function = operation.function if operation is not None else UNKNOWN
        if function is UNKNOWN and isinstance(expr.func, gast.Attribute):
            # a method of a value srcad does not name (np.sin(z).copy()): judged by its name
            return "fresh" if expr.func.attr in _FRESH_METHODS else "view"
        if function in _CONTAINER_BUILDERS and getattr(builtins, function.__name__, None) is function:
            return "container"
        return "fresh" if function is not UNKNOWN and _fresh_function(function) else "view"

    def fresh(self, expr, state):
        return state.renew(id(expr))

    def intermediate(self, objects, state):
        """A value that A-normal form will name and the backward sweep may read."""
        state.ghosts = state.ghosts | objects
        return objects


_ARGUMENT_WRITTEN = {}


def argument_written(function):
    """``(parameter, where)`` for the first argument the user's ``function`` writes into
    through any name that shares its memory (``b = buf.T; b[i] = v``), or None. (A write
    into the parameter itself is refused earlier, by ``effects.py``.) A function srcad
    cannot read is taken to write nothing, as its own transform would tell otherwise."""
    if function in _ARGUMENT_WRITTEN:
        return _ARGUMENT_WRITTEN[function]
    _ARGUMENT_WRITTEN[function] = None  # a recursive call, while this one is read
    try:
        fn = read_function(function)
        if fn.filename.startswith("<srcad"):
            return None
        check_language(fn)
        desugar(fn, Names.for_tree(fn.node))
    except SrcadError:
        return None
    node = fn.node
    parameters = [a.id for a in node.args.args + node.args.kwonlyargs] + (
        [node.args.vararg.id] if node.args.vararg is not None else [])
    local_names = set(parameters) | names_stored(node)
    analysis = _PointsTo(fn, parameters, local_names, copied=set())
    analysis.run(node.body)
    for write in analysis.writes.values():
        owners = [owner for owner in _caller_memory(write.objects) if owner in parameters]
        if write.in_place and owners:
            _ARGUMENT_WRITTEN[function] = (owners[0], fn.where(write.stmt))
            break
    return _ARGUMENT_WRITTEN[function]


def _runs_at_least_once(loop):
    """A ``for`` over ``range`` of literal bounds that is not empty."""
    if not isinstance(loop, gast.For) or not isinstance(loop.iter, gast.Call):
        return False
    bounds = loop.iter.args
    if not bounds or not all(isinstance(b, gast.Constant) and isinstance(b.value, int) for b in bounds):
        return False
    values = [b.value for b in bounds]
    return len(range(*values)) > 0


def _caller_memory(objects):
    """The caller's names among ``objects``: arguments and globals the function did not make."""
    return sorted(site[1] for site, _ in objects if isinstance(site, tuple))


def check_writes(fn, node, names, wrt_names, parameters, varied, bind):
    """Make the desugared function ``node`` write into arrays the way srcad differentiates
    them (see the module docstring), or raise :class:`UnsupportedSyntaxError` at a write
    srcad cannot follow. ``names`` makes new variable names, ``bind(identifier, obj)`` names a
    runtime helper for the code."""
    local_names = set(parameters) | {n.id for n in gast.walk(node) if isinstance(n, gast.Name)
                                     and isinstance(n.ctx, gast.Store)}
    live_after = {}
    liveness(node.body, set(), live_after)
    # the program as the user wrote it: which writes another name would see
    as_written = _PointsTo(fn, parameters, local_names, copied=set())
    as_written.run(node.body)
    # code srcad generated writes only into arrays it owns and puts old values back (the tape):
    # its writes need no refusal, its augmented assignments on buffers no check
    generated = fn.filename.startswith("<srcad")
    written_sites = set()
    for write in as_written.writes.values():
        if write.in_place:
            written_sites |= {site for site, _ in write.objects}
        if not generated:
            _refuse_visible(fn, write, live_after.get(id(write.stmt), set()), wrt_names, varied)
    # a read of an array written into is a copy; what then still shares memory with one?
    copied = {read for read, objects in as_written.reads.items() if {site for site, _ in objects} & written_sites}
    as_run = _PointsTo(fn, parameters, local_names, copied)
    as_run.run(node.body)
    copy_before = set()
    for write in as_run.writes.values():
        stmt, base = write.stmt, write.base
        if not write.in_place or not (write.ghosts or write.sharing):
            continue
        caller = _caller_memory(write.objects)
        if caller and generated:
            continue
        if caller:
            raise fn.syntax_error(stmt, f"srcad cannot differentiate this write into {base}: {base} may be the "
                                        f"caller's array {caller[0]}, and values the derivative reads share its "
                                        f"memory. Work on a copy ({base} = {base}.copy()) first")
        copy_before.add(id(stmt))
    copy, check = (_helper(fn, names, bind, helper) for helper in (fresh_copy, check_rebinding))
    writes = {id(w.stmt): w.base for w in as_run.writes.values() if w.in_place}
    node.body = _Rewrite(names, copied, writes, copy_before, copy, check).block(node.body)
    return node


def _helper(fn, names, bind, function):
    """The name the code calls runtime ``function`` by, known to the passes that resolve it
    and taken from the names left for variables (another function may have bound it first)."""
    identifier = bind(function.__name__, function)
    fn.extra_names[identifier] = function
    names.reserve(identifier)
    return identifier


class _Rewrite:
    """Puts the copies and checks :func:`check_writes` decided into the code."""

    def __init__(self, names, copied, writes, copy_before, copy, check):
        self.names = names
        self.copied = copied
        self.writes = writes
        self.copy_before = copy_before
        self.copy = copy
        self.check = check

    def block(self, stmts):
        out = []
        for stmt in stmts:
            for field in ("body", "orelse"):
                if isinstance(getattr(stmt, field, None), list):
                    setattr(stmt, field, self.block(getattr(stmt, field)))
            self.copy_reads(stmt)
            base = self.writes.get(id(stmt))
            if base is not None:
                value = _written_value(stmt)
                if id(stmt) in self.copy_before:
                    # copy on write, after the value is computed (it may read the old array):
                    # what else refers to the old array keeps its values
                    if not isinstance(value, (gast.Name, gast.Constant)):
                        computed = self.names.fresh(base + "_value")
                        out.append(gast.copy_location(assign(computed, value), stmt))
                        _replace_written_value(stmt, name(computed))
                    out.append(gast.copy_location(assign(base, call(self.copy, name(base))), stmt))
                if isinstance(value, gast.Name) and value.id == base:
                    _replace_written_value(stmt, call(self.copy, value))  # y[:] = y: the old y
            message = getattr(stmt, "srcad_in_place_check", None)
            if message is not None:
                target = stmt.targets[0].id
                out.append(gast.copy_location(expr_stmt(call(self.check, name(target), constant(message))), stmt))
            out.append(stmt)
        return out

    def copy_reads(self, stmt):
        if isinstance(stmt, (gast.If, gast.While)):
            return self.copy_reads(gast.Expr(value=stmt.test))
        if isinstance(stmt, gast.For):
            return self.copy_reads(gast.Expr(value=stmt.iter))
        for node in gast.walk(stmt):
            for field, value in gast.iter_fields(node):
                if isinstance(value, gast.Subscript) and id(value) in self.copied:
                    setattr(node, field, call(self.copy, value))
                elif isinstance(value, list):
                    for position, item in enumerate(value):
                        if isinstance(item, gast.Subscript) and id(item) in self.copied:
                            value[position] = call(self.copy, item)


def _refuse_visible(fn, write, live, wrt_names, varied):
    stmt, base = write.stmt, write.base
    augmented = None if write.in_place else stmt.srcad_augmented
    seen_later = sorted(name for name in write.sharing if name in live)
    caller = _caller_memory(write.objects)
    if augmented is not None:
        if seen_later:
            why = f"{base} in place, and {seen_later[0]}, which may share its memory, is read later"
        elif caller and caller[0] == base:
            why = f"the caller's array {base} in place"
        elif caller:
            why = f"{base} in place, and {base} may be the caller's array {caller[0]}"
        else:
            return
        rebound = augmented.replace("=", "", 1).strip()
        stmt.srcad_in_place_check = (f"{fn.short_filename}:{fn.user_line(stmt.lineno)}: {augmented} changes {why}; "
                                     f"srcad differentiates {base} = {rebound}, a new array, only. Write that, "
                                     f"or work on a copy ({base} = {base}.copy()) first")
        return
    if seen_later:
        alias = seen_later[0]
        raise fn.syntax_error(stmt, f"srcad cannot differentiate this write into {base}: {alias} may share "
                                    f"{base}'s memory (a view, the same array, or an item of a container) and is "
                                    f"read after the write, which srcad would not see change. Write into a copy "
                                    f"({base} = {base}.copy()) or make {alias} one (.copy())")
    if caller:
        owner = caller[0]
        role = "an argument being differentiated" if owner in wrt_names else "the caller's array"
        which = f"{base}, which is {role}" if owner == base else f"{base}, which may be {owner} ({role})"
        raise fn.syntax_error(stmt, f"srcad cannot differentiate writing into {which}: the write would change "
                                    f"the caller's array. Work on a copy ({base} = {base}.copy()) first")
