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
from ...errors import NonDifferentiableError, SrcadError
from .p02_language import check_language
from ..names import Names
from .p01_parse import filename_is_generated, read_function
from ..resolve import UNKNOWN, classify, is_user_function
from ...rules import registry
from ...runtime.accumulate import check_rebinding, copy_of, unchanged_in_place, writable, writable_copy, zeros_buffer
from ...runtime.forward import fresh_copy
from ...runtime.numeric import zeros_like
from ..syntax import appended, popped, assign, call, clone, constant, expr_stmt, name, names_loaded, names_stored, source_text

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
_FRESH_HELPERS = {fresh_copy, zeros_buffer, zeros_like, copy_of, writable_copy}


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
        self.update = None                  # (parameter, path, _Update) of a call's op= on it


class _PointsTo:
    """One run of the analysis; ``copied`` are the subscript reads that will be copies."""

    def __init__(self, fn, parameters, local_names, copied, summarising=False):
        self.fn = fn
        self.parameters = parameters
        self.local_names = local_names
        self.copied = copied
        # reading a function of the user's for what its calls do (see summary_of): the writes
        # its own calls make are its writes, not refusals
        self.summarising = summarising
        self.writes = {}
        self.list_changes = []  # _Written of xs.append(v), xs.insert(i, v), xs.pop(): see changed_list
        self.containers = set()  # the sites that make a Python container (a literal, list(...)): not arrays
        self.reads = {}
        self.checked_arguments = {}  # id(argument) -> (expression, path, message): checked when run
        self.access_paths = {}  # name -> (parameter, path) for names bound once to an item of one
        self.sized = {}  # name -> length, for names bound once to a tuple literal
        self.current_names = {}
        self.live_after = {}  # id(statement) -> names live after it (checking a function, not summarising)
        self.returned = frozenset()  # what the function's result may share memory with
        self.current = None  # the statement being read
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
        self.current = stmt
        self.current_names = state.names
        if isinstance(stmt, gast.Assign):
            return self.assignment(stmt, state)
        if isinstance(stmt, gast.Return):
            self.returned |= state.reach(self.value(stmt.value, state))
            return state
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
                self.changed_list(stmt, append[0], state)
                self.hold(state, state.names[append[0]], items)
                if self.summarising:
                    self.record_write(state.names[append[0]], in_place=True)  # the caller's list grows
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
        return out if _runs_at_least_once(stmt, self.sized) else state.join(out)

    def assignment(self, stmt, state):
        target = stmt.targets[0]
        if isinstance(target, gast.Subscript):
            return self.store(stmt, target, state)
        shrunk = popped(stmt.value)
        if shrunk is not None and shrunk in state.names:
            self.changed_list(stmt, shrunk, state)
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

    def changed_list(self, stmt, base, state):
        """``base.append(v)``, ``base.insert(i, v)`` or ``v = base.pop()``: srcad differentiates
        the list as a value (a new list each time), so another name that refers to the same
        list and is read later would see a change the derivative does not (checked in
        :func:`check_writes`)."""
        change = _Written(stmt, base, in_place=True)
        change.objects = state.names[base]
        for other, referred in state.names.items():
            if other != base and state.reach(referred) & change.objects:
                change.sharing[other] = state.reach(referred) & change.objects
        self.list_changes.append(change)

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
            return self.intermediate(self.items_of(inner, state), state)
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

    def items_of(self, objects, state):
        """What an item (or a slice) of ``objects`` may share memory with: a Python container's
        items, an array's own memory (a view of it)."""
        return state.reach(objects) - {o for o in objects if o[0] in self.containers}

    def outside_data(self, identifier):
        """Whether the global ``identifier`` may be data the function could write into."""
        try:
            obj = self.fn.resolve(identifier)
        except (KeyError, AttributeError):
            return True
        return not (inspect.ismodule(obj) or callable(obj))

    def container(self, expr, elements, state):
        items = frozenset().union(*(self.value(e, state) for e in elements)) if elements else frozenset()
        self.containers.add(id(expr))
        made = self.fresh(expr, state)
        self.hold(state, {made}, items)
        state.ghosts = state.ghosts | items  # a literal's items are read by its derivative
        return frozenset({made})

    def call(self, expr, state):
        values = {}
        for arg in list(expr.args) + [k.value for k in expr.keywords]:
            values[id(arg)] = self.value(arg, state)
        arguments = frozenset().union(*values.values())
        receiver = self.value(expr.func.value, state) if isinstance(expr.func, gast.Attribute) else frozenset()
        function = self.user_callee(expr)
        if function is not None:
            return self.user_call(expr, function, values, state)
        if self.summarising and isinstance(expr.func, gast.Attribute) and expr.func.attr == "pop":
            self.record_write(receiver, in_place=True)  # xs.pop(): the caller's list shrinks
        if popped(expr) is not None:
            return self.intermediate(self.items_of(receiver, state), state)  # an item, not the list
        kind = self.kind(expr)
        if kind == "fresh":
            return frozenset({self.fresh(expr, state)})
        if kind == "same":
            return self.intermediate(arguments, state)  # its argument itself (or a 0-d array made of a number)
        made = self.fresh(expr, state)
        if kind == "container":
            self.containers.add(id(expr))
            spread = frozenset().union(*(values[id(a)] for a in expr.args))
            held = frozenset().union(*(values[id(k.value)] for k in expr.keywords)) | receiver
            # list(xs) holds what xs holds, and not xs (unless xs is an array: its rows are views)
            self.hold(state, {made}, self.items_of(spread, state) | state.reach(held))
            return self.intermediate(frozenset({made}), state)
        # a view, a function that may return or keep its argument, or one srcad cannot see into
        return self.intermediate(frozenset({made}) | state.reach(arguments | receiver), state)

    def user_callee(self, expr):
        """The function of the user's that ``expr`` calls (not generated code calling the
        generated halves of its functions), or None."""
        if filename_is_generated(self.fn.filename):
            return None
        operation = classify(self.fn, expr, self.local_names)
        function = operation.function if operation is not None else UNKNOWN
        if not is_user_function(function) or registry.adjoint_of(function) is not None:
            return None
        return function

    # -- calls of the user's functions: what they do to the memory passed to them ------
    def user_call(self, expr, function, values, state):
        """A call of the user's ``function``, read through its summary: its writes into what
        it is passed are refused (or, inside a function being summarised, are that function's
        writes); its result shares memory with the arguments it may return, or is new."""
        summary = summary_of(function)
        call_ = _Call(self, expr, function, values, state)
        if summary.refusal is not None:
            call_.unreadable(summary.refusal)
        for parameter, (location, text) in summary.written.items():
            call_.written(parameter, location, text)
        for global_name, (location, text) in summary.globals_written.items():
            call_.written_global(global_name, location, text)
        for parameter, update in summary.augmented.items():
            call_.augmented(parameter, update)
        made = self.fresh(expr, state)
        passed = state.reach(frozenset().union(*values.values()))
        self.intermediate(passed, state)  # the function's backward sweep reads what it was passed
        if summary.returned is None:
            shared = passed
        else:
            shared = state.reach(frozenset().union(*(call_.objects_of(p) for p in summary.returned)))
            shared |= {(("outside", g), "recent") for g in summary.returned_globals}
        # a new result is still what the function's own backward sweep reads: copied on write
        return self.intermediate(frozenset({made}) | shared, state)

    def record_write(self, objects, in_place):
        """Inside a summarised function: the current statement (a call of another function,
        ``xs.append(v)``, ``xs.pop()``) writes into ``objects``."""
        written = self.writes.setdefault(("call", id(self.current), in_place),
                                         _Written(self.current, None, in_place))
        written.objects |= objects

    def result_read(self):
        """Whether the current statement's value is read later (so its calls are not left out):
        the condition of a branch or a loop, or an assignment to a name still live after it."""
        stmt = self.current
        if isinstance(stmt, (gast.If, gast.While, gast.For, gast.Return)):
            return True
        return isinstance(stmt, gast.Assign) and bool(names_stored(stmt) & self.live_after.get(id(stmt), set()))

    def record_update(self, objects, argument, path, update):
        """Inside a summarised function: a call of another updates ``argument`` (at ``path``) in
        place when it is an array or a list: an update of the parameter it is an item of."""
        written = self.writes.setdefault(("update", id(argument)), _Written(self.current, None, False))
        written.objects |= objects
        reached = self.path_of(argument)
        written.update = (reached[0], reached[1] + path, update) if reached is not None else (None, None, update)

    def path_of(self, expr):
        """``(parameter, path)`` when ``expr`` is (an item of) a parameter still holding the
        caller's value, or a name bound once to one (``a, b = params``); else None."""
        if isinstance(expr, gast.Name):
            if expr.id in self.parameters and (("argument", expr.id), "recent") in self.current_names.get(expr.id, ()):
                return expr.id, ()
            return self.access_paths.get(expr.id)
        if isinstance(expr, gast.Subscript) and isinstance(expr.slice, gast.Constant):
            inner = self.path_of(expr.value)
            return None if inner is None else (inner[0], inner[1] + (("item", expr.slice.value),))
        return None


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
        if function is writable:
            return "same"
        return "fresh" if function is not UNKNOWN and _fresh_function(function) else "view"

    def fresh(self, expr, state):
        return state.renew(id(expr))

    def intermediate(self, objects, state):
        """A value that A-normal form will name and the backward sweep may read."""
        state.ghosts = state.ghosts | objects
        return objects


class _Call:
    """One call of a function of the user's, as the analysis reads it: the memory each
    parameter is bound to, and what its writes mean (refusals, checks when the code runs,
    or, in a function being summarised, that function's own writes)."""

    def __init__(self, analysis, expr, function, values, state):
        self.analysis = analysis
        self.expr = expr
        self.function = function
        self.values = values
        self.state = state
        self.label = getattr(function, "__name__", "the function")
        self.bound = _bound_arguments(function, expr)

    def arguments_of(self, parameter):
        """The argument expressions the call may bind to ``parameter`` (all of them when the
        call spreads ``*xs`` or ``**d``)."""
        if self.bound is None:
            return list(self.expr.args) + [k.value for k in self.expr.keywords]
        return self.bound.get(parameter, [])

    def objects_of(self, parameter):
        return frozenset().union(*(self.values[id(a)] for a in self.arguments_of(parameter)))

    def error(self, message):
        return NonDifferentiableError(f"cannot differentiate this call of {self.label}: {message}"
                                      f"{self.analysis.fn.where(self.analysis.current)}")

    def unreadable(self, refusal):
        """srcad cannot read what the function does: if it is passed anything that can be
        written into, the call is refused (summarised: it may write into all of it)."""
        passed = frozenset().union(*self.values.values())
        if not passed:
            return
        if self.analysis.summarising:
            self.analysis.record_write(self.state.reach(passed), in_place=True)
            return
        reason = str(refusal).split("\n")[0]
        raise self.error(f"srcad cannot read what it does to its arguments ({reason})")

    def written(self, parameter, location, text):
        for argument in self.arguments_of(parameter):
            objects = self.state.reach(self.values[id(argument)])
            if self.analysis.summarising:
                self.analysis.record_write(objects, in_place=True)
                continue
            shown = source_text(argument)
            raise self.error(
                f"it writes into its parameter {parameter} ({location}: {text}), which changes {shown} "
                f"here; srcad differentiates values and would miss that change. Make {self.label} return "
                f"the new value and assign it, or work on a copy inside it ({parameter} = {parameter}.copy())")

    def written_global(self, global_name, location, text):
        if self.analysis.summarising:
            self.analysis.record_write(frozenset({(("outside", global_name), "recent")}), in_place=True)
            return
        raise self.error(f"it writes into the global {global_name} ({location}: {text}), which srcad "
                         f"does not follow; pass the array in and return the new value instead")

    def augmented(self, parameter, update):
        """``p op= v`` (``update``, an :class:`_Update`) is in place for an array or a list: fine
        for a number, a tuple, or a new value made for this call only; anything else the call
        passes is checked when it runs (``unchanged_in_place``, which passes the value through)."""
        arguments = self.arguments_of(parameter)
        if self.bound is not None and not arguments:
            if isinstance(_default_of(self.function, parameter), _MUTABLE):
                raise self.error(f"{update.text} ({update.location}) changes the default value of {parameter} "
                                 f"in place (an array or a list shared by every call); write {update.rebound}")
            return
        path = update.path if update.path is not None else (("any",),)
        for argument in arguments:
            objects = self.values[id(argument)]
            if path:
                objects = self.state.reach(objects)  # an item of it is updated
            if not {site for site, _ in objects} - {id(n) for n in gast.walk(argument)}:
                continue  # a number, or a new array made for this call alone
            if self.analysis.summarising:
                self.analysis.record_update(objects, argument, path, update)
                continue
            checked = argument.value if isinstance(argument, gast.Starred) else argument
            path = (("each",),) + path if isinstance(argument, gast.Starred) else path
            fn = self.analysis.fn
            line = fn.user_line(getattr(self.analysis.current, "lineno", 1))
            why = (f"{self.label}(...) changes {_item_shown(source_text(checked), path)} in place when it is an "
                   f"array or a list ({update.text}, at {update.location}), and srcad differentiates "
                   f"{update.rebound}, a new value, only. Write that, or pass a copy")
            # checked as it is passed (it cannot be read twice), unless the call may be left out
            passed = not _names_only(checked) or isinstance(self.analysis.current, gast.While)
            if passed and not self.analysis.result_read():
                raise self.error(why)
            self.analysis.checked_arguments[id(argument)] = (checked, path, f"{fn.short_filename}:{line}: {why}",
                                                             passed)


def _item_shown(shown, path):
    """``pair[1]``, ``the item 0 of params``, ``xs or an item of it``: what ``path`` reaches."""
    for step in path:
        if step[0] == "item":
            shown = f"{shown}[{step[1]!r}]"
        elif step[0] == "unpacked":
            shown = f"the item {step[1]} of {shown}"
        elif step[0] == "each":
            shown = f"an item of {shown}"
        else:
            shown = f"{shown} or an item of it"
    return shown


class _Update:
    """An augmented assignment ``text`` (``p += v``, at ``location``) that srcad differentiates as
    ``rebound`` (``p = p + v``), and that updates in place, for an array or a list, the argument
    at ``path`` (the steps of :func:`unchanged_in_place`; None when srcad cannot tell which item)."""

    def __init__(self, path, location, text, rebound):
        self.path = path
        self.location = location
        self.text = text
        self.rebound = rebound


class _Summary:
    """What calling a function of the user's does to the memory it is passed, read from its
    body by the points-to analysis: ``written`` (parameter -> (location, line)) the parameters
    whose memory it writes into, ``globals_written`` the globals, ``augmented`` the parameters
    it updates with ``op=`` while they may still hold the caller's value (in place for an array
    or a list), ``returned`` the parameters whose memory its result may share (None: any),
    ``returned_globals`` the globals, and ``refusal`` the error that kept srcad from reading a
    function that may write."""

    def __init__(self, written=None, globals_written=None, augmented=None, returned=None,
                 returned_globals=frozenset(), refusal=None):
        self.written = written or {}
        self.globals_written = globals_written or {}
        self.augmented = augmented or {}
        self.returned = returned
        self.returned_globals = returned_globals
        self.refusal = refusal


_MUTABLE = (np.ndarray, list, dict, set, bytearray)
_UNREAD = _Summary()  # a function srcad cannot read: its own transform tells what it does
_SUMMARIES = {}


def summary_of(function):
    """The :class:`_Summary` of the user's ``function`` (cached; a recursive call, while the
    function is read, finds a result that may share every argument)."""
    if function not in _SUMMARIES:
        _SUMMARIES[function] = _UNREAD
        _SUMMARIES[function] = _summarise(function)
    return _SUMMARIES[function]


def _summarise(function):
    try:
        fn = read_function(function)
    except SrcadError:
        return _UNREAD
    if filename_is_generated(fn.filename):
        return _UNREAD
    may_write = _may_write(fn.node)
    try:
        check_language(fn)
        desugar(fn, Names.for_tree(fn.node))
    except SrcadError as error:
        return _Summary(refusal=error) if may_write else _UNREAD
    node = fn.node
    arguments = node.args
    parameters = [a.id for a in arguments.posonlyargs + arguments.args + arguments.kwonlyargs] + [
        extra.id for extra in (arguments.vararg, arguments.kwarg) if extra is not None]
    analysis = _PointsTo(fn, parameters, set(parameters) | names_stored(node), copied=set(), summarising=True)
    analysis.access_paths, analysis.sized = _access_paths(node.body, parameters)
    analysis.run(node.body)
    summary = _Summary(returned=frozenset(o for o in _caller_memory(analysis.returned) if o in parameters),
                       returned_globals=frozenset(o for o in _caller_memory(analysis.returned)
                                                  if o not in parameters))
    for write in analysis.writes.values():
        place = (fn.location(write.stmt), fn.line_text(write.stmt.lineno).strip())
        for owner in _caller_memory(write.objects):
            if owner not in parameters:
                summary.globals_written.setdefault(owner, place)
            elif write.in_place:
                summary.written.setdefault(owner, place)
            elif owner not in summary.augmented:
                summary.augmented[owner] = _update_of(write, owner, place[0], analysis)
    return summary


def _update_of(write, parameter, location, analysis):
    """The :class:`_Update` of ``parameter`` that the augmented ``write`` of a summarised function
    makes (itself ``k op= v``, or a call of a function that updates its argument)."""
    if write.update is None:
        reached = (parameter, ()) if write.base == parameter else analysis.access_paths.get(write.base)
        path = reached[1] if reached is not None and reached[0] == parameter else None
        rebound = f"{write.base} = {source_text(write.stmt.value)}"
        return _Update(path, location, write.stmt.srcad_augmented, rebound)
    reached_parameter, path, inner = write.update
    return _Update(path if reached_parameter == parameter else None, inner.location, inner.text, inner.rebound)


def _access_paths(body, parameters):
    """Names bound once in the whole function, at its top level, to (an item of) a parameter:
    ``a, b = params``, ``first = rest[0]``, ``s = first`` (``rest = (rest_0, rest_1)`` too, the
    tuple a ``*rest`` parameter becomes): name -> (parameter, path of unchanged_in_place); and
    the names bound once to a tuple literal, with its length."""
    counts = {}
    for stmt in body:
        for n in gast.walk(stmt):
            if isinstance(n, gast.Assign) and getattr(n, "srcad_augmented", None) is None:
                for stored in names_stored(n):
                    counts[stored] = counts.get(stored, 0) + 1
    paths = {p: (p, ()) for p in parameters if p not in counts}
    tuples = {}

    def path_of(expr):
        if isinstance(expr, gast.Name):
            return paths.get(expr.id)
        if isinstance(expr, gast.Subscript) and isinstance(expr.slice, gast.Constant):
            index = expr.slice.value
            if isinstance(expr.value, gast.Name) and expr.value.id in tuples:
                items = tuples[expr.value.id]
                inside = isinstance(index, int) and -len(items) <= index < len(items)
                return path_of(items[index]) if inside else None
            inner = path_of(expr.value)
            return None if inner is None else (inner[0], inner[1] + (("item", index),))
        return None

    for stmt in body:
        if not isinstance(stmt, gast.Assign) or getattr(stmt, "srcad_augmented", None) is not None:
            continue
        target, value = stmt.targets[0], stmt.value
        if isinstance(target, gast.Name) and counts.get(target.id) == 1:
            if isinstance(value, gast.Tuple) and not any(isinstance(e, gast.Starred) for e in value.elts):
                tuples[target.id] = value.elts
            elif path_of(value) is not None:
                paths[target.id] = path_of(value)
        elif isinstance(target, gast.Tuple) and all(isinstance(e, gast.Name) for e in target.elts):
            source = path_of(value)
            for position, element in enumerate(target.elts):
                if source is not None and counts.get(element.id) == 1:
                    paths[element.id] = (source[0], source[1] + (("unpacked", position),))
    return paths, {identifier: len(items) for identifier, items in tuples.items()}


def _may_write(node):
    """Whether a function's syntax may write into what it is passed (for one srcad cannot
    read further): a store into a subscript or attribute, ``op=``, ``out=``, a call as a statement."""
    for n in gast.walk(node):
        if isinstance(n, (gast.Subscript, gast.Attribute)) and isinstance(n.ctx, gast.Store) \
                or isinstance(n, gast.AugAssign) or isinstance(n, gast.keyword) and n.arg == "out" \
                or isinstance(n, gast.Expr) and isinstance(n.value, gast.Call):
            return True
    return False


def _bound_arguments(function, expr):
    """The call ``expr``'s argument expressions by the parameter of ``function`` they may bind
    (a list: ``*args`` takes several, and so does each parameter a spread ``*xs`` may fill:
    the arguments from the first spread on), or None when srcad cannot bind them."""
    spread = next((i for i, a in enumerate(expr.args) if isinstance(a, gast.Starred)), len(expr.args))
    if any(k.arg is None for k in expr.keywords):
        return None
    try:
        signature = inspect.signature(function)
        parameters = list(signature.parameters.values())
        given = {k.arg for k in expr.keywords}
        # the parameters a spread may fill: positional ones after the arguments before it
        open_ = [p.name for p in parameters[spread:] if p.kind in (
            inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD,
            inspect.Parameter.VAR_POSITIONAL) and p.name not in given] if spread < len(expr.args) else []
        bound = signature.bind_partial(*range(spread), **{k.arg: k.arg for k in expr.keywords})
    except (TypeError, ValueError):
        return None
    keywords = {k.arg: k.value for k in expr.keywords}
    out = {}
    for parameter, value in bound.arguments.items():
        kind = signature.parameters[parameter].kind
        items = value if kind == inspect.Parameter.VAR_POSITIONAL else value.values() \
            if kind == inspect.Parameter.VAR_KEYWORD else [value]
        out[parameter] = [expr.args[v] if isinstance(v, int) else keywords[v] for v in items]
    for parameter in open_:
        out[parameter] = out.get(parameter, []) + list(expr.args[spread:])
    return out


def _names_only(expr):
    """A variable, or an item or attribute of one: reading it again reads the same value."""
    while isinstance(expr, (gast.Subscript, gast.Attribute)):
        if isinstance(expr, gast.Subscript) and not all(isinstance(n, (
                gast.Name, gast.Constant, gast.Slice, gast.Tuple, gast.expr_context, gast.UnaryOp, gast.USub))
                for n in gast.walk(expr.slice)):
            return False
        expr = expr.value
    return isinstance(expr, gast.Name)


def _default_of(function, parameter):
    try:
        return inspect.signature(function).parameters[parameter].default
    except (TypeError, ValueError, KeyError):
        return None


def _runs_at_least_once(loop, sized=None):
    """A ``for`` over ``range`` of literal bounds that is not empty, or over a tuple of known
    length, ``range(len(t))`` (``sized``: the names bound once to a tuple literal, by length)."""
    if not isinstance(loop, gast.For) or not isinstance(loop.iter, gast.Call):
        return False
    bounds = loop.iter.args
    if len(bounds) == 1 and isinstance(bounds[0], gast.Call) and isinstance(bounds[0].func, gast.Name) \
            and bounds[0].func.id == "len" and len(bounds[0].args) == 1 and isinstance(bounds[0].args[0], gast.Name):
        return (sized or {}).get(bounds[0].args[0].id, 0) > 0
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
    as_written.live_after = live_after
    as_written.run(node.body)
    # code srcad generated writes only into arrays it owns and puts old values back (the tape):
    # its writes need no refusal, its augmented assignments on buffers no check
    generated = filename_is_generated(fn.filename)
    written_sites = set()
    for write in as_written.writes.values():
        if write.in_place:
            written_sites |= {site for site, _ in write.objects}
        if not generated:
            _refuse_visible(fn, write, live_after.get(id(write.stmt), set()), wrt_names, names)
    for change in [] if generated else as_written.list_changes:
        _refuse_shared_list(fn, change, live_after.get(id(change.stmt), set()), names)
    # a read of an array written into is a copy; what then still shares memory with one?
    copied = {read for read, objects in as_written.reads.items() if {site for site, _ in objects} & written_sites}
    as_run = _PointsTo(fn, parameters, local_names, copied)
    as_run.live_after = live_after
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
    copy, check, unchanged = (_helper(fn, names, bind, helper)
                              for helper in (fresh_copy, check_rebinding, unchanged_in_place))
    writes = {id(w.stmt): w.base for w in as_run.writes.values() if w.in_place}
    rewrite = _Rewrite(names, copied, writes, copy_before, copy, check, (unchanged, as_written.checked_arguments))
    node.body = rewrite.block(node.body)
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

    def __init__(self, names, copied, writes, copy_before, copy, check, calls_checked):
        self.names = names
        self.copied = copied
        self.writes = writes
        self.copy_before = copy_before
        self.copy = copy
        self.check = check
        # the arguments a call's op= may change in place: checked as they are passed
        self.unchanged, self.checked_arguments = calls_checked

    def block(self, stmts):
        out = []
        for stmt in stmts:
            for field in ("body", "orelse"):
                if isinstance(getattr(stmt, field, None), list):
                    setattr(stmt, field, self.block(getattr(stmt, field)))
            self.check_arguments(stmt, out)
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

    def check_arguments(self, stmt, out):
        """``f(y)`` where ``f`` may update ``y`` (or an item of it) with ``op=``: checked before
        the statement, where it stays even if the call's result is unused and the call left out
        (in a ``while`` test, or an argument that is not a variable or an item of one, as it is
        passed: ``f(unchanged_in_place(g(y), ...))``)."""
        headers = [stmt.test] if isinstance(stmt, (gast.If, gast.While)) else [stmt.iter] \
            if isinstance(stmt, gast.For) else [stmt]
        for header in headers:
            for node in gast.walk(header):
                if not isinstance(node, gast.Call):
                    continue
                for argument in node.args + [k.value for k in node.keywords]:
                    if id(argument) not in self.checked_arguments:
                        continue
                    checked, path, message, passed = self.checked_arguments[id(argument)]
                    test = call(self.unchanged, clone(checked), constant(message), constant(path))
                    if not passed:
                        out.append(gast.copy_location(expr_stmt(test), stmt))
                        continue
                    test.args[0] = checked
                    if isinstance(argument, gast.Starred):
                        argument.value = test
                    else:
                        node.args = [test if a is argument else a for a in node.args]
                        for keyword in node.keywords:
                            keyword.value = test if keyword.value is argument else keyword.value

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


def _refuse_shared_list(fn, change, live, names):
    seen_later = [names.shown(n) for n in sorted(change.sharing, key=lambda n: (n in names.meanings, n)) if n in live]
    if seen_later:
        base, alias = change.base, seen_later[0]
        raise fn.syntax_error(change.stmt, f"srcad cannot differentiate this change of the list {base}: {alias} "
                                           f"refers to the same list (or holds it) and is read later, and srcad "
                                           f"differentiates lists as values, so it would not see {alias} change. "
                                           f"Read {base} itself after the change, or make {alias} a copy "
                                           f"({alias} = list({base}))")


def _refuse_visible(fn, write, live, wrt_names, names):
    stmt, base = write.stmt, write.base
    augmented = None if write.in_place else stmt.srcad_augmented
    # the user's own names first; a variable srcad made is named by what it holds
    seen_later = [names.shown(n) for n in sorted(write.sharing, key=lambda n: (n in names.meanings, n)) if n in live]
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
