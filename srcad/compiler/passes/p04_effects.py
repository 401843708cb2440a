"""Calls that write into their arguments: rewritten into the writes srcad differentiates, or refused.

A call made for what it does to its arguments has a result nobody reads, so
without this step it would vanish from the derivative. Run inside desugar,
before any other pass reads the body, this turns each such call into the
forms the later passes know, evaluated exactly as the call would be:

* ``np.copyto(dst, src)`` is ``dst[...] = src`` (with ``where=m``,
  ``dst[...] = where(m, src, dst)``);
* ``out=buf`` on a NumPy function or an array method, and a ufunc's extra
  positional argument: ``buf[...] = f(...)``, and the call's value is ``buf``;
* ``np.add.at(buf, i, v)`` is ``add_at(buf, i, v)``, srcad's unbuffered
  scatter-add (``np.subtract.at`` adds ``-v``);
* ``y.__setitem__(i, v)`` is ``y[i] = v``;
* ``xs.extend(items)`` appends the items one by one; ``xs.insert(i, v)`` and
  ``xs.pop(i)`` act at a position counted from the start, worked out first
  (``insertion_index``, ``pop_index``), and a ``pop`` whose value is unused keeps
  it (``discarded = xs.pop()``);
* ``d.update(m, k=v)`` writes ``d[key] = value`` for each entry.

Every other call known to write into an argument (``np.put``, ``x.sort()``,
``random.shuffle``, ...) is refused with what to write instead, and so is every
other call whose result is unused, unless srcad knows it changes nothing
(a function with a derivative rule, ``print``).
"""
import bisect
import heapq
import inspect
import operator
import random
import types
import warnings

import gast
import numpy as np

from ...errors import NonDifferentiableError
from ..resolve import UNKNOWN, bound_arguments, classify, resolve_expression
from ...rules import registry
from ...runtime.accumulate import add_at
from ...runtime.checks import check_keywords
from ...runtime.lists import insertion_index, pop_index
from ..syntax import assign, call, clone, constant, expr_stmt, name, names_loaded, names_stored, popped, source_text

_PERMUTE = "index with a permutation instead: x = x[rng.permutation(len(x))]"
_REFUSED_FUNCTIONS = {
    np.put: "write a[ind] = v (a 1-D array) instead",
    np.place: "write arr[mask] = vals instead",
    np.putmask: "write a[...] = np.where(mask, values, a) instead",
    np.fill_diagonal: "write a[np.diag_indices_from(a)] = val instead",
    np.put_along_axis: "build the new array and assign it instead",
    random.shuffle: _PERMUTE,
    np.random.shuffle: _PERMUTE,
    **{f: "build a new list instead" for f in (heapq.heappush, heapq.heappop, heapq.heapify, heapq.heapreplace,
                                              heapq.heappushpop, bisect.insort, bisect.insort_left,
                                              bisect.insort_right)},
    **{f: "write the operator (y[i] = v, y += v) instead" for f in (
        operator.setitem, operator.delitem, operator.iadd, operator.isub, operator.imul, operator.imatmul,
        operator.itruediv, operator.ifloordiv, operator.imod, operator.ipow, operator.iconcat)},
}

# methods that change their object, whatever it is (an array, a list, a dict, a set)
_REFUSED_METHODS = {
    "fill": "write {x}[...] = value instead",
    "sort": "write {x} = np.sort({x}) (an array) or {x} = sorted({x}) (a list) instead",
    "put": "write {x}[ind] = v (a 1-D array) instead",
    "itemset": "write {x}[i] = v instead",
    "partition": "write {x} = np.partition({x}, k) instead",
    "resize": "make a new array (np.resize, np.pad, np.concatenate) instead",
    "shuffle": _PERMUTE,
    "remove": "build a new list without the item instead",
    "reverse": "write {x} = {x}[::-1] instead",
    "clear": "assign a new empty container instead",
    "pop": "read the item and build a new dict without it instead",
    "popitem": "read the item and build a new dict without it instead",
    "setdefault": "write if key not in {x}: {x}[key] = value instead",
    "appendleft": "build a new list instead",
    "extendleft": "build a new list instead",
    "popleft": "build a new list instead",
    "rotate": "build a new list instead",
}
_REFUSED_METHODS.update({method: "srcad does not differentiate through it" for method in (
    "setfield", "setflags", "byteswap", "add", "discard", "difference_update", "intersection_update",
    "symmetric_difference_update", "__delitem__", "__setattr__", "__delattr__")})
_REFUSED_METHODS.update({f"__i{op}__": f"write {{x}} {symbol}= value instead" for op, symbol in (
    ("add", "+"), ("sub", "-"), ("mul", "*"), ("matmul", "@"), ("truediv", "/"), ("floordiv", "//"),
    ("mod", "%"), ("pow", "**"), ("and", "&"), ("or", "|"), ("xor", "^"), ("lshift", "<<"), ("rshift", ">>"))})

_SIMPLE = (gast.Expr, gast.Assign, gast.AugAssign, gast.AnnAssign, gast.Return)

# statements srcad knows change nothing it differentiates
_HARMLESS = (print, warnings.warn, check_keywords)


def translate_effects(fn, names):
    """Rewrite (or refuse) every call in ``fn``'s body that may write into its arguments."""
    node = fn.node
    parameters = [a.id for a in node.args.args + node.args.kwonlyargs + node.args.posonlyargs]
    if node.args.vararg is not None:
        parameters.append(node.args.vararg.id)
    translator = _Effects(fn, names, set(parameters) | names_stored(node))
    node.body = translator.block(node.body)


def helper_name(fn, names, preferred, obj):
    """A name (a node) ``fn``'s code can call the runtime helper ``obj`` by, chosen among
    the names left for variables and known to the passes that resolve calls."""
    for identifier, known in fn.extra_names.items():
        if known is obj:
            return name(identifier)
    identifier = names.fresh(preferred)
    fn.extra_names[identifier] = obj
    return name(identifier)


class _Effects:
    """The statement walk: each statement becomes the statements it stands for."""

    def __init__(self, fn, names, local_names):
        self.fn = fn
        self.names = names
        self.local_names = local_names
        self.loaded = names_loaded(fn.node)
        self.maybe_none = _maybe_none(fn.node)

    # -- statements -------------------------------------------------------
    def block(self, stmts):
        out = []
        for stmt in stmts:
            out.extend(self.statement(stmt))
        return out

    def statement(self, stmt):
        for field in ("body", "orelse"):
            if isinstance(getattr(stmt, field, None), list):
                setattr(stmt, field, self.block(getattr(stmt, field)))
        hoisted = self.hoist_pops(stmt) if isinstance(stmt, _SIMPLE) else []
        value = getattr(stmt, "value", None)
        if isinstance(stmt, _SIMPLE) and isinstance(value, gast.Call):
            parts = [value.func] + value.args + [k.value for k in value.keywords]
            parts += [child for child in gast.iter_child_nodes(stmt) if child is not value]
            for part in parts:
                self.refuse_nested(part, stmt)
            rewritten = self.rewrite(value, stmt)
            if rewritten is None:
                if isinstance(stmt, gast.Expr) or self.never_read(stmt) and popped(value) is None \
                        and self.unknown_callee(value):
                    self.check_harmless(value, stmt)
                return hoisted + [stmt]
            before, result = rewritten
            if isinstance(stmt, gast.Expr):
                return hoisted + before
            stmt.value = result
            return hoisted + before + [stmt]
        for child in gast.iter_child_nodes(stmt):
            if not isinstance(child, gast.stmt):
                self.refuse_nested(child, stmt)
        return hoisted + [stmt]

    def hoist_pops(self, stmt):
        """``xs.pop(i)`` inside a larger expression that reads ``xs`` nowhere else is taken out
        before the statement (when it runs does not matter), where its position is worked out."""
        before = []
        effects = self

        class _Hoist(gast.NodeTransformer):
            def visit_Call(self, node):
                self.generic_visit(node)
                if node is stmt.value or not node.args or not _lone_pop(node, stmt):
                    return node
                positioned, popped_call = effects.pop(node, stmt)
                item = effects.names.fresh("item")
                before.extend(positioned + [effects.located(assign(item, popped_call), stmt)])
                return name(item)

        _Hoist().visit(stmt)
        return before

    def refuse_nested(self, expr, stmt):
        """An effect inside a larger expression would happen in the middle of it: refused."""
        for node in gast.walk(expr):
            if _lone_pop(node, stmt) and not node.args:
                continue  # d_h + d_states.pop() (generated code): nothing else reads the list
            if isinstance(node, gast.Call) and self.rewrite(node, stmt, dry=True) is not None:
                raise self.fn.syntax_error(stmt, f"srcad differentiates {_label(node)}(...), which writes into "
                                                 f"its arguments, only as a statement of its own (or the whole "
                                                 f"right-hand side of an assignment); call it on its own line")

    def never_read(self, stmt):
        """An assignment to names the function never reads: its call is made for what it does."""
        if not isinstance(stmt, (gast.Assign, gast.AnnAssign)):
            return False
        targets = stmt.targets if isinstance(stmt, gast.Assign) else [stmt.target]
        if not all(isinstance(n, (gast.Name, gast.Tuple, gast.List, gast.Starred)) for t in targets
                   for n in gast.walk(t) if not isinstance(n, gast.expr_context)):
            return False
        assigned = {n.id for t in targets for n in gast.walk(t) if isinstance(n, gast.Name)}
        return not assigned & self.loaded

    def unknown_callee(self, value):
        """Whether srcad cannot tell what the callee does to its arguments: a function passed in,
        a method of an object (a user function's writes are read from its source, and NumPy's
        and the builtins' writers are listed above)."""
        function = self.callee(value)
        return function is UNKNOWN or inspect.ismethod(function) \
            and not isinstance(function.__self__, (types.ModuleType, np.random.RandomState, np.random.Generator))

    def callee(self, value):
        """The function a call's value comes from, as far as srcad can tell before it runs."""
        operation = classify(self.fn, value, self.local_names)
        function = operation.function if operation is not None else UNKNOWN
        func = value.func
        if function is UNKNOWN and isinstance(func, gast.Attribute) and not isinstance(func.value, gast.Name):
            function = getattr(np.ndarray, func.attr, UNKNOWN)  # (-x).prod(): a method of a value made here
        return function

    def check_harmless(self, value, stmt):
        """A call whose result is unused is made for what it does: allowed only if it does nothing."""
        function = self.callee(value)
        if function is add_at or changes_nothing(function):
            return
        if isinstance(value.func, gast.Attribute) and value.func.attr in ("append", "push") \
                and isinstance(value.func.value, gast.Name) and len(value.args) == 1 and not value.keywords:
            return
        raise NonDifferentiableError(
            f"cannot differentiate the statement {_label(value)}(...): its result is not used, so it is "
            f"called for what it does to its arguments, which srcad does not follow. Use its result "
            f"instead (y = {_label(value)}(...), then read y), or write the change it makes as an assignment"
            f"{self.fn.where(stmt)}")

    # -- which calls write, and what they are rewritten into -----------------
    def rewrite(self, node, stmt, dry=False):
        """``(statements, value)`` standing for the call ``node``, None if it writes nothing;
        refused calls raise. With ``dry``, only whether it writes (any non-None answer)."""
        outputs = self.out_arguments(node)
        if outputs:
            return True if dry else self.written_out(node, outputs, stmt)
        func = node.func
        if isinstance(func, gast.Attribute):
            receiver = resolve_expression(self.fn, func.value, self.local_names)
            if not isinstance(receiver, types.ModuleType):
                return self.method(node, receiver, stmt, dry)
        function = resolve_expression(self.fn, func, self.local_names)
        if function is np.copyto:
            return True if dry else self.copy_to(node, stmt)
        advice = _refused_function(function)
        if advice is not None:
            raise self.refusal(node, stmt, advice)
        return None

    def method(self, node, receiver, stmt, dry):
        attr, target = node.func.attr, node.func.value
        if isinstance(receiver, np.ufunc) and attr == "at":
            if receiver not in (np.add, np.subtract) or len(node.args) != 3 or node.keywords:
                raise self.refusal(node, stmt, "srcad differentiates np.add.at(a, indices, b) and np.subtract.at; "
                                               "write the update with a[indices] = ... instead")
            return True if dry else self.scatter_add(node, receiver, stmt)
        rewrites = {"extend": self.extend, "update": self.update, "__setitem__": self.set_item,
                    "append": self.append, "insert": self.insert, "pop": self.popped}
        if attr in rewrites and (attr != "pop" or _pops_a_position(node)):
            if not isinstance(target, gast.Name):
                raise self.fn.syntax_error(stmt, f"srcad follows {attr}() on a variable (xs.{attr}(...)), not on "
                                                 f"{source_text(target)}; assign it to a variable first")
            if attr == "pop" and isinstance(stmt, gast.Assign) and stmt.value is node and not node.args:
                return None  # y = xs.pop() is differentiated as it is
            if dry:
                return True
            return rewrites[attr](node, stmt)
        if attr in _REFUSED_METHODS:
            raise self.refusal(node, stmt, _REFUSED_METHODS[attr].format(x=source_text(target)))
        return None

    def out_arguments(self, node):
        """The arrays a NumPy call writes its result into: its ``out`` argument, by keyword or by
        position (``np.sum(x, 0, None, buf)``), or a ufunc's extra arguments. ``out=None`` is no
        array, and leaves the call."""
        function = resolve_expression(self.fn, node.func, self.local_names)
        if isinstance(function, np.ufunc) and len(node.args) > function.nin:
            if all(_is_none(a) for a in node.args[function.nin:]):
                node.args = node.args[:function.nin]  # np.add(a, b, None): no array to write into
                return []
            return node.args[function.nin:]
        if not self.is_numpy(node, function):
            return []
        out = _out_argument(self.fn, node, self.local_names)
        if out is None or _is_none(out):
            if out is not None and any(k.value is out for k in node.keywords):
                _drop_argument(node, out)  # out=None: the call as if it were not given
            return []
        return list(out.elts) if isinstance(out, (gast.Tuple, gast.List)) else [out]

    def is_numpy(self, node, function):
        if isinstance(function, np.ufunc) or isinstance(getattr(function, "__self__", None), np.ufunc):
            return True
        if (getattr(function, "__module__", None) or "").startswith("numpy"):
            return True
        func = node.func
        return isinstance(func, gast.Attribute) and hasattr(np.ndarray, func.attr) \
            and function is UNKNOWN and _root(func.value) in self.local_names

    # -- the rewrites ---------------------------------------------------------
    def written_out(self, node, outputs, stmt):
        """``f(a, out=buf)`` is ``buf[...] = f(a)``; its value is ``buf``."""
        function = resolve_expression(self.fn, node.func, self.local_names)
        if len(outputs) != 1 or isinstance(function, np.ufunc) and function.nout != 1:
            raise self.refusal(node, stmt, "srcad follows out= with one output array; assign the results instead")
        buffer = outputs[0]
        if not isinstance(buffer, gast.Name):
            raise self.fn.syntax_error(stmt, f"srcad follows out= only into a variable (out=buf), not into "
                                             f"{source_text(buffer)}; assign the result instead")
        value = clone(node)
        if isinstance(function, np.ufunc):
            value.args = value.args[:function.nin]
        else:
            _drop_argument(value, _out_argument(self.fn, value, self.local_names))
        value.keywords = [k for k in value.keywords if k.arg != "out" and not (
            k.arg == "where" and isinstance(function, np.ufunc))]
        mask = next((k.value for k in node.keywords if k.arg == "where"), None)
        if mask is not None and isinstance(function, np.ufunc):
            value = call(self.helper("where", np.where), clone(mask), value, name(buffer.id))
        if buffer.id in self.maybe_none:
            return self.written_out_unless_none(buffer, value, stmt)
        return [self.write_whole(buffer, value, stmt)], name(buffer.id)

    def written_out_unless_none(self, buffer, value, stmt):
        """``out=buf`` where ``buf`` may be None (a parameter, or a name once set to None): the
        call writes into ``buf`` when it is an array, and returns a new array when it is None."""
        result = self.names.fresh(buffer.id + "_result")
        test = gast.Compare(left=name(buffer.id), ops=[gast.Is()], comparators=[constant(None)])
        branch = gast.If(test=test, body=[self.located(assign(result, value), stmt)],
                         orelse=[self.write_whole(buffer, clone(value), stmt),
                                 self.located(assign(result, name(buffer.id)), stmt)])
        return [self.located(branch, stmt)], name(result)

    def copy_to(self, node, stmt):
        """``np.copyto(dst, src)`` is ``dst[...] = src``, broadcast the same way."""
        arguments = bound_arguments(np.copyto, list(node.args), {k.arg: k.value for k in node.keywords})
        if arguments is None:
            raise self.refusal(node, stmt, "srcad differentiates np.copyto(dst, src, casting=..., where=...); "
                                           "write dst[...] = src instead")
        dst, src = arguments.get("dst"), arguments.get("src")
        casting = arguments.get("casting")
        if not isinstance(dst, gast.Name) or src is None or casting is not None and not (
                isinstance(casting, gast.Constant) and casting.value in ("same_kind", "unsafe")):
            raise self.refusal(node, stmt, "write dst[...] = src, with dst a variable, instead")
        value = clone(src)
        if "where" in arguments:
            value = call(self.helper("where", np.where), clone(arguments["where"]), value, name(dst.id))
        return [self.write_whole(dst, value, stmt)], constant(None)

    def scatter_add(self, node, ufunc, stmt):
        """``np.add.at(buf, i, v)``: ``add_at(buf, i, v)``, where repeated indices accumulate."""
        buffer, index, values = (clone(a) for a in node.args)
        if not isinstance(buffer, gast.Name):
            raise self.fn.syntax_error(stmt, "srcad follows np.add.at only into a variable (np.add.at(buf, i, v))")
        before = []
        if ufunc is np.subtract:
            values = self.temporary("negated", gast.UnaryOp(op=gast.USub(), operand=values), stmt, before)
        scatter = call(self.helper("add_at", add_at), buffer, index, values)
        return before + [self.located(expr_stmt(scatter), stmt)], constant(None)

    def set_item(self, node, stmt):
        if len(node.args) != 2 or node.keywords:
            raise self.refusal(node, stmt, "write y[i] = v instead")
        target = gast.Subscript(value=clone(node.func.value), slice=clone(node.args[0]), ctx=gast.Store())
        return [self.located(gast.Assign(targets=[target], value=clone(node.args[1]), type_comment=None), stmt)], \
            constant(None)

    def append(self, node, stmt):
        """``y = xs.append(v)``: the append, then ``y = None``."""
        return [self.located(expr_stmt(clone(node)), stmt)], constant(None)

    def popped(self, node, stmt):
        """``y = xs.pop(i)``, and ``xs.pop(...)`` as a statement, which keeps the popped value
        (``discarded = xs.pop()``) so that its derivative has a place."""
        before, popped_call = self.pop(node, stmt)
        if isinstance(stmt, gast.Expr):
            discarded = self.located(assign(self.names.fresh("discarded"), popped_call), stmt)
            return before + [discarded], constant(None)
        return before, popped_call

    def pop(self, node, stmt):
        """``xs.pop(i)`` as ``xs.pop(position)``, the position counted from the start worked out first."""
        if not node.args:
            return [], clone(node)
        sequence = node.func.value
        where = call(self.helper("pop_index", pop_index), clone(sequence), clone(node.args[0]))
        before = []
        position = self.temporary("position", where, stmt, before)
        popped_call = call(gast.Attribute(value=clone(sequence), attr="pop", ctx=gast.Load()), position)
        return before, popped_call

    def insert(self, node, stmt):
        """``xs.insert(i, v)`` as ``xs.insert(position, v)``, the position counted from the start
        (where the backward sweep takes the derivative back out)."""
        if len(node.args) != 2 or node.keywords:
            raise self.refusal(node, stmt, "srcad differentiates xs.insert(i, v)")
        sequence, (index, value) = node.func.value, node.args
        before = []
        position = clone(index)
        if not (isinstance(index, gast.Constant) and index.value == 0):
            where = call(self.helper("insertion_index", insertion_index), clone(sequence), position)
            position = self.temporary("position", where, stmt, before)
        insertion = call(gast.Attribute(value=clone(sequence), attr="insert", ctx=gast.Load()), position, clone(value))
        return before + [self.located(expr_stmt(insertion), stmt)], constant(None)

    def extend(self, node, stmt):
        """``xs.extend(items)`` appends each item: a literal's one by one, others in a loop."""
        if len(node.args) != 1 or node.keywords:
            raise self.refusal(node, stmt, "srcad differentiates xs.extend(items) with one argument")
        sequence = node.func.value
        items = node.args[0]
        append = gast.Attribute(value=clone(sequence), attr="append", ctx=gast.Load())
        if isinstance(items, (gast.List, gast.Tuple)) and not any(isinstance(e, gast.Starred) for e in items.elts):
            before = []
            values = [self.temporary("item", clone(e), stmt, before) for e in items.elts]
            return before + [self.located(expr_stmt(call(clone(append), v)), stmt) for v in values], constant(None)
        item = self.names.fresh("item")
        target, appended_item = name(item, store=True), name(item)
        if isinstance(items, gast.Call) and resolve_expression(self.fn, items.func, self.local_names) is zip \
                and items.args and not items.keywords and not any(isinstance(a, gast.Starred) for a in items.args):
            # zip's tuples, rebuilt from a loop over zip (which srcad reads item by item)
            parts = [self.names.fresh("item") for _ in items.args]
            target = gast.Tuple(elts=[name(p, store=True) for p in parts], ctx=gast.Store())
            appended_item = gast.Tuple(elts=[name(p) for p in parts], ctx=gast.Load())
        loop = gast.For(target=target, iter=clone(items),
                        body=[self.located(expr_stmt(call(append, appended_item)), stmt)], orelse=[], type_comment=None)
        return [self.located(loop, stmt)], constant(None)

    def update(self, node, stmt):
        """``d.update(m, k=v)``: each entry of ``m``, then each keyword, written as ``d[key] = value``,
        with every value read before the first write (as the call reads them)."""
        if len(node.args) > 1:
            raise self.refusal(node, stmt, "srcad differentiates d.update(mapping, key=value, ...)")
        mapping = node.func.value
        before, entries, writes = [], [], []
        if node.args:
            source = node.args[0]
            if isinstance(source, gast.Dict) and None not in source.keys:
                for key, value in zip(source.keys, source.values):
                    key = self.temporary("key", clone(key), stmt, before)
                    entries.append((key, self.temporary("value", clone(value), stmt, before)))
            else:
                writes.append(self.copy_entries(mapping, source, stmt, before))
        for keyword in node.keywords:
            entries.append((constant(keyword.arg), self.temporary("value", clone(keyword.value), stmt, before)))
        for key, value in entries:
            target = gast.Subscript(value=clone(mapping), slice=key, ctx=gast.Store())
            writes.append(self.located(gast.Assign(targets=[target], value=value, type_comment=None), stmt))
        return before + writes, constant(None)

    def copy_entries(self, mapping, source, stmt, before):
        """``for key in source.keys(): d[key] = source[key]`` (or over pairs, for zip(...) and literals)."""
        key = self.names.fresh("key")
        if isinstance(source, (gast.List, gast.Tuple)) or isinstance(source, gast.Call) \
                and resolve_expression(self.fn, source.func, self.local_names) in (zip, enumerate):
            value = self.names.fresh("value")
            target = gast.Tuple(elts=[name(key, store=True), name(value, store=True)], ctx=gast.Store())
            written, pairs = name(value), clone(source)
        else:
            source = self.temporary("entries", clone(source), stmt, before)
            target = name(key, store=True)
            written = gast.Subscript(value=clone(source), slice=name(key), ctx=gast.Load())
            pairs = call(gast.Attribute(value=clone(source), attr="keys", ctx=gast.Load()))
        store = gast.Subscript(value=clone(mapping), slice=name(key), ctx=gast.Store())
        body = [self.located(gast.Assign(targets=[store], value=written, type_comment=None), stmt)]
        return self.located(gast.For(target=target, iter=pairs, body=body, orelse=[], type_comment=None), stmt)

    # -- helpers ------------------------------------------------------------------
    def write_whole(self, buffer, value, stmt):
        whole = gast.Subscript(value=name(buffer.id), slice=constant(Ellipsis), ctx=gast.Store())
        return self.located(gast.Assign(targets=[whole], value=value, type_comment=None), stmt)

    def temporary(self, hint, value, stmt, out):
        """``value`` as a name or literal, evaluated now (appended to ``out`` when it needs a name)."""
        if isinstance(value, (gast.Name, gast.Constant)):
            return value
        identifier = self.names.fresh(hint, meaning=source_text(value))
        out.append(self.located(assign(identifier, value), stmt))
        return name(identifier)

    def helper(self, preferred, obj):
        """A name the function's code can call ``obj`` by."""
        return helper_name(self.fn, self.names, preferred, obj)

    def located(self, node, stmt):
        for n in gast.walk(node):
            if isinstance(n, (gast.stmt, gast.expr)):
                gast.copy_location(n, stmt)
        return node

    def refusal(self, node, stmt, advice):
        return NonDifferentiableError(
            f"cannot differentiate {_label(node)}(...): it writes into its arguments in a way srcad does "
            f"not follow; {advice}{self.fn.where(stmt)}")


def _refused_function(function):
    """The advice for a function object known to write into an argument, or None."""
    try:
        advice = _REFUSED_FUNCTIONS.get(function)
    except TypeError:
        return None
    if advice is not None:
        return advice
    method = getattr(function, "__name__", None)
    owner = getattr(function, "__objclass__", None) or getattr(function, "__self__", None)
    if method in _REFUSED_METHODS and owner is not None and not isinstance(owner, types.ModuleType):
        return _REFUSED_METHODS[method].format(x="x")  # np.ndarray.sort(x), rng.shuffle, list.append(...)
    if method in ("append", "extend", "update", "__setitem__") and isinstance(owner, type):
        return "call it as a method of a variable (xs.append(v)) instead"
    return None


def _pops_a_position(node):
    """``xs.pop()`` or ``xs.pop(i)``: not a dict's ``d.pop("key")`` or ``d.pop(key, default)``."""
    if node.keywords or len(node.args) > 1:
        return False
    return not (node.args and isinstance(node.args[0], gast.Constant) and not isinstance(node.args[0].value, int))


def _lone_pop(node, stmt):
    """``xs.pop(...)`` inside a statement that reads ``xs`` nowhere else: when it runs does not matter."""
    if not (isinstance(node, gast.Call) and isinstance(node.func, gast.Attribute) and node.func.attr == "pop"
            and isinstance(node.func.value, gast.Name) and _pops_a_position(node)):
        return False
    sequence = node.func.value.id
    reads = [n for n in gast.walk(stmt) if isinstance(n, gast.Name) and n.id == sequence]
    return len(reads) == 1


def changes_nothing(function):
    """Whether a call of ``function`` whose result is unused may be left out of a derivative:
    ``print``, and functions with a derivative rule (a rule describes a pure function)."""
    if function in _HARMLESS:
        return True
    return registry.adjoint_of(function) is not None or registry.tangent_of(function) is not None \
        or registry.is_nondifferentiable(function)


def _out_argument(fn, node, local_names):
    """The expression the call ``node`` passes as ``out``, by keyword or by position, or None
    (a ufunc's extra positional arguments are its outputs too: see ``out_arguments``)."""
    keyword = next((k.value for k in node.keywords if k.arg == "out"), None)
    operation = classify(fn, node, local_names)
    if keyword is not None or isinstance(operation.function, np.ufunc):
        return keyword
    arguments = bound_arguments(operation.function, operation.args, operation.keywords)
    return (arguments or {}).get("out")


def _drop_argument(node, argument):
    """The call ``node`` without ``argument``: without its keyword, or with None in the
    position it fills (the arguments after it keep their places)."""
    node.keywords = [k for k in node.keywords if k.value is not argument]
    node.args = [constant(None) if a is argument else a for a in node.args]


def _maybe_none(node):
    """The names of ``node``'s function that may hold None: set to the literal None somewhere,
    or parameters that default to it."""
    names = {t.id for s in gast.walk(node) if isinstance(s, gast.Assign) and _is_none(s.value)
             for t in s.targets if isinstance(t, gast.Name)}
    args = node.args
    positional = args.posonlyargs + args.args
    defaults = list(zip(positional[len(positional) - len(args.defaults):], args.defaults))
    defaults += [(a, v) for a, v in zip(args.kwonlyargs, args.kw_defaults) if v is not None]
    return names | {a.id for a, default in defaults if _is_none(default)}


def _is_none(node):
    return isinstance(node, gast.Constant) and node.value is None


def _root(node):
    while isinstance(node, (gast.Attribute, gast.Subscript)):
        node = node.value
    return node.id if isinstance(node, gast.Name) else None


def _label(node):
    return _label_of(node.func)


def _label_of(node):
    if isinstance(node, gast.Name):
        return node.id
    if isinstance(node, gast.Attribute):
        return f"{_label_of(node.value)}.{node.attr}"
    if isinstance(node, gast.Subscript):
        return f"{_label_of(node.value)}[...]"
    return "<call>"
