"""Rewrite the function into the few forms the later passes know.

After this pass the body has:
* no ``return``, ``break`` or ``continue`` except one ``return`` at the very end,
  and loops that may stop early end with ``if <flag>: break`` (see :mod:`srcad.jumps`);
* ``for`` loops only over ``range(...)``: ``for x in xs`` reads ``x = xs[i]``;
* no augmented, annotated or chained assignment: ``x += y`` is ``x = x + y``,
  ``x: T = e`` is ``x = e``, ``a = b = e`` is ``a = e; b = a``;
* ``and``/``or`` only as truth values: ``y = a or b`` is ``y = a if a else b``.

The function has passed :func:`language.check_language`: every node is of a supported kind.
"""
import ast

import gast

from .p04_effects import translate_effects
from .p06_jumps import lower_jumps
from .p02_language import is_value_boolop
from .p03_lift import lift_nested_functions
from ..syntax import assign, call, clone, constant, name, names_stored


def _augmented_source(stmt):
    """``x *= 2.0``, as the user wrote it (for messages)."""
    operator_source = gast.gast_to_ast(gast.BinOp(left=gast.Name(id="a", ctx=gast.Load(), annotation=None,
                                                                 type_comment=None),
                                                  op=stmt.op, right=gast.Constant(value=1, kind=None)))
    symbol = ast.unparse(operator_source).split()[1]
    return f"{stmt.target.id} {symbol}= {ast.unparse(gast.gast_to_ast(clone(stmt.value)))}"


def desugar(fn, names):
    """Rewrite ``fn.node`` in place into the normalised forms; returns the node."""
    lift_nested_functions(fn)
    translate_effects(fn, names)
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
        _lower_value_boolops(stmt)
        if isinstance(stmt, gast.AnnAssign):
            if stmt.value is None:
                return []  # a declaration computes nothing
            node = gast.Assign(targets=[stmt.target], value=stmt.value, type_comment=None)
            return [gast.copy_location(node, stmt)]
        if isinstance(stmt, gast.Assign) and len(stmt.targets) > 1:
            return self.chained_assignment(stmt)
        if isinstance(stmt, gast.AugAssign):
            current = clone(stmt.target)
            for n in gast.walk(current):
                if hasattr(n, "ctx"):
                    n.ctx = gast.Load()
            value = gast.BinOp(left=current, op=stmt.op, right=stmt.value)
            node = gast.Assign(targets=[stmt.target], value=value, type_comment=None)
            if isinstance(stmt.target, gast.Name):
                # on an array or a list Python changes the value in place: see aliasing.py
                node.srcad_augmented = _augmented_source(stmt)
            return [gast.copy_location(node, stmt)]
        if isinstance(stmt, gast.If):
            stmt.body = self.visit_block(stmt.body) or [gast.Pass()]
            stmt.orelse = self.visit_block(stmt.orelse)
        elif isinstance(stmt, gast.While):
            stmt.body = self.visit_block(stmt.body) or [gast.Pass()]
        elif isinstance(stmt, gast.For):
            return self.visit_for(stmt)
        return [stmt]

    def chained_assignment(self, stmt):
        """``a = b = e``: ``e`` once, then each target in order, as Python does. The value is
        read from the first target (or is ``e`` itself, a name or a literal) when no target
        before the last rebinds that name; else it is kept in a new variable."""
        first, *others = stmt.targets
        rebound = {n for target in stmt.targets[:-1] for n in names_stored(target)}
        out = []
        if isinstance(stmt.value, gast.Constant) \
                or isinstance(stmt.value, gast.Name) and stmt.value.id not in rebound:
            value = stmt.value
        elif isinstance(first, gast.Name) and first.id not in {n for t in others[:-1] for n in names_stored(t)}:
            value = name(first.id)
        else:
            value = name(self.names.fresh("assigned"))
            out.append(gast.copy_location(assign(value.id, stmt.value), stmt))
        for target in stmt.targets:
            rhs = stmt.value if target is first and not out else clone(value)
            out.append(gast.copy_location(gast.Assign(targets=[target], value=rhs, type_comment=None), stmt))
        return out

    def visit_for(self, stmt):
        stmt.body = self.visit_block(stmt.body) or [gast.Pass()]
        iterable = stmt.iter
        if _is_call_to(iterable, "range"):
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
        rebound = {n for s in stmt.body for n in names_stored(s)}
        for sequence in sequences:
            if isinstance(sequence, gast.Name) and sequence.id not in rebound:
                sequence_names.append(sequence.id)
                continue  # (a name the body rebinds is hoisted: the loop goes over the old value)
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
        loop.srcad_item_reads = len(reads)  # a dict gives its keys: see kinds.read_keys_of_dicts
        return before + [gast.copy_location(loop, stmt)]


def _lower_value_boolops(node):
    """``a or b`` used for its value becomes ``a if a else b`` (``a and b``: ``b if a else a``),
    so that the operand it returns carries its derivative. Nested statements are left to
    their own visit; the language check made sure the operands repeated are names or literals."""
    for field, value in gast.iter_fields(node):
        children = value if isinstance(value, list) else [value]
        lowered = []
        for child in children:
            if isinstance(child, gast.AST) and not isinstance(child, gast.stmt):
                child = _lower_value_boolops(child)
                if is_value_boolop(child, node):
                    child = gast.copy_location(_as_conditional(child.op, child.values), child)
            lowered.append(child)
        if isinstance(value, list):
            setattr(node, field, lowered)
        elif value is not None:
            setattr(node, field, lowered[0])
    return node


def _as_conditional(op, values):
    first, rest = values[0], values[1:]
    if not rest:
        return _as_conditional(first.op, first.values) if is_value_boolop(first, None) else first
    remaining = _as_conditional(op, rest)
    if isinstance(op, gast.Or):
        return gast.IfExp(test=first, body=clone(first), orelse=remaining)
    return gast.IfExp(test=first, body=remaining, orelse=clone(first))


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
