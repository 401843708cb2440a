"""Pass 2: rewrite the function into the few forms the later passes know.

After this pass the body has:
* no ``return``, ``break`` or ``continue`` except one ``return`` at the very end,
  and loops that may stop early end with ``if <flag>: break`` (see :mod:`srcad.jumps`);
* ``for`` loops only over ``range(...)``: ``for x in xs`` reads ``x = xs[i]``;
* no augmented assignment: ``x += y`` is ``x = x + y``.
"""
import gast

from .jumps import lower_jumps
from .lift import lift_nested_functions
from .syntax import assign, call, clone, constant, name

_UNSUPPORTED = {
    gast.Try: "try/except",
    gast.With: "with",
    gast.AsyncWith: "async with",
    gast.AsyncFor: "async for",
    gast.AsyncFunctionDef: "async def",
    gast.Await: "await",
    gast.Yield: "yield",
    gast.YieldFrom: "yield from",
    gast.Global: "global",
    gast.Nonlocal: "nonlocal",
    gast.ClassDef: "class definitions",
    gast.Lambda: "lambda",
    gast.Delete: "del",
    gast.ListComp: "list comprehensions",
    gast.SetComp: "set comprehensions",
    gast.DictComp: "dict comprehensions",
    gast.GeneratorExp: "generator expressions",
    gast.NamedExpr: "assignment expressions (:=)",
}
if hasattr(gast, "Match"):
    _UNSUPPORTED[gast.Match] = "match statements"
if hasattr(gast, "TryStar"):
    _UNSUPPORTED[gast.TryStar] = "try/except*"


def check_syntax(fn):
    """Raise :class:`UnsupportedSyntaxError` at the first construct srcad cannot differentiate."""
    for stmt in fn.node.body:
        spread_arguments = {id(a) for n in gast.walk(stmt) if isinstance(n, gast.Call) for a in n.args}
        for node in gast.walk(stmt):
            if isinstance(node, gast.Starred) and id(node) not in spread_arguments:
                raise fn.syntax_error(node, "srcad can differentiate *xs only as a call's argument (f(*xs)), "
                                            "not in other starred expressions")
            construct = _UNSUPPORTED.get(type(node))
            if construct is not None:
                raise fn.syntax_error(node, f"srcad cannot differentiate {construct}")
            if isinstance(node, (gast.For, gast.While)) and node.orelse:
                raise fn.syntax_error(node, "srcad cannot differentiate a loop with an else clause")
            if isinstance(node, (gast.Assign, gast.AugAssign)):
                targets = node.targets if isinstance(node, gast.Assign) else [node.target]
                for target in targets:
                    _check_target(fn, target)
    if fn.node.args.kwarg is not None:
        raise fn.syntax_error(fn.node, "srcad cannot differentiate a function with a **kwargs parameter")
    for node in gast.walk(fn.node):
        if isinstance(node, gast.Call) and any(k.arg is None for k in node.keywords):
            raise fn.syntax_error(node, "srcad cannot differentiate a call with **kwargs; pass the keywords "
                                        "by name")


def _check_target(fn, target):
    if isinstance(target, gast.Name):
        return
    if isinstance(target, (gast.Tuple, gast.List)):
        for element in target.elts:
            _check_target(fn, element)
        return
    if isinstance(target, gast.Attribute):
        raise fn.syntax_error(target, "srcad cannot differentiate assignment to an attribute")
    if isinstance(target, gast.Subscript) and not isinstance(target.value, gast.Name):
        raise fn.syntax_error(target, "srcad can assign into a subscript of a variable (y[i] = v), "
                                      "not into a nested one (y[i][j] = v); index with a tuple: y[i, j] = v")


def desugar(fn, names):
    """Rewrite ``fn.node`` in place into the normalised forms; returns the node."""
    check_syntax(fn)
    lift_nested_functions(fn)
    node = fn.node
    node.body = _Normalise(names).visit_block(node.body)
    node.body = lower_jumps(node.body, names)
    return node


class _Normalise:
    """Augmented assignment and ``for`` over sequences, recursively."""

    def __init__(self, names):
        self.names = names

    def visit_block(self, stmts):
        out = []
        for stmt in stmts:
            out.extend(self.visit(stmt))
        return out

    def visit(self, stmt):
        if isinstance(stmt, gast.Expr) and isinstance(stmt.value, gast.Constant):
            return []  # a docstring or a bare literal computes nothing
        if isinstance(stmt, gast.AugAssign):
            current = clone(stmt.target)
            for n in gast.walk(current):
                if hasattr(n, "ctx"):
                    n.ctx = gast.Load()
            value = gast.BinOp(left=current, op=stmt.op, right=stmt.value)
            node = gast.Assign(targets=[stmt.target], value=value, type_comment=None)
            return [gast.copy_location(node, stmt)]
        if isinstance(stmt, gast.If):
            stmt.body = self.visit_block(stmt.body)
            stmt.orelse = self.visit_block(stmt.orelse)
        elif isinstance(stmt, gast.While):
            stmt.body = self.visit_block(stmt.body)
        elif isinstance(stmt, gast.For):
            return self.visit_for(stmt)
        return [stmt]

    def visit_for(self, stmt):
        stmt.body = self.visit_block(stmt.body)
        iterable = stmt.iter
        if _is_call_to(iterable, "range"):
            if not isinstance(stmt.target, gast.Name):
                raise_target = stmt.target
                raise SyntaxError(f"cannot unpack a range element at line {raise_target.lineno}")
            return [stmt]
        before = []
        if _is_call_to(iterable, "reversed") and len(iterable.args) == 1:
            # the same items backwards, as a sequence with a length (a reversed range stays a range)
            backwards = gast.Slice(lower=None, upper=None, step=constant(-1))
            iterable = gast.Subscript(value=iterable.args[0], slice=backwards, ctx=gast.Load())
        if _is_call_to(iterable, "enumerate") and len(iterable.args) == 1 and _is_pair(stmt.target):
            counter, element = stmt.target.elts
            sequences, targets = [iterable.args[0]], [element]
            index = counter.id if isinstance(counter, gast.Name) else None
        elif _is_call_to(iterable, "zip") and isinstance(stmt.target, gast.Tuple) \
                and len(stmt.target.elts) == len(iterable.args):
            sequences, targets, index = list(iterable.args), list(stmt.target.elts), None
        else:
            sequences, targets, index = [iterable], [stmt.target], None
        sequence_names = []
        for sequence in sequences:
            if isinstance(sequence, gast.Name):
                sequence_names.append(sequence.id)
                continue
            if isinstance(sequence, gast.Call):
                # params.items(), a generator, ...: a list can be indexed and has a length
                sequence = call("list", sequence)
            hoisted = self.names.fresh("sequence")
            before.append(gast.copy_location(assign(hoisted, sequence), stmt))
            sequence_names.append(hoisted)
        if index is None:
            index = self.names.fresh("i")
        lengths = [call("len", name(s)) for s in sequence_names]
        stop = lengths[0] if len(lengths) == 1 else call("min", *lengths)
        reads = [
            gast.copy_location(
                gast.Assign(targets=[_as_store(target)], value=gast.Subscript(
                    value=name(seq), slice=name(index), ctx=gast.Load()), type_comment=None),
                stmt)
            for seq, target in zip(sequence_names, targets)
        ]
        loop = gast.For(target=name(index, store=True), iter=call("range", stop),
                        body=reads + stmt.body, orelse=[], type_comment=None)
        return before + [gast.copy_location(loop, stmt)]


def _as_store(target):
    for n in gast.walk(target):
        if isinstance(n, (gast.Name, gast.Tuple, gast.List)):
            n.ctx = gast.Store()
    return target


def _is_pair(target):
    return isinstance(target, gast.Tuple) and len(target.elts) == 2


def _is_call_to(node, builtin_name):
    return (isinstance(node, gast.Call) and isinstance(node.func, gast.Name)
            and node.func.id == builtin_name and not node.keywords)
