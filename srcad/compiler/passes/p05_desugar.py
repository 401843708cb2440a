"""Rewrite the function into the few forms the later passes know.

After this pass the body has:
* no comprehensions and no lambdas: ``[f(v) for v in xs if c]`` is a loop that appends to
  a list, ``{k: e for ...}`` one that fills a dict, and ``lambda z: e`` a nested ``def``
  (lifted out by :mod:`srcad.lift`);
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

from .p04_effects import helper_name, translate_effects
from .p06_jumps import lower_jumps
from .p02_language import COMPREHENSIONS, is_value_boolop
from .p09_anf import hint
from .p03_lift import lambda_as_definition, lift_nested_functions
from ...runtime.accumulate import writable
from ...runtime.numeric import backwards, transposed
from ..spread_keywords import spread_keywords
from ..syntax import assign, call, clone, constant, expr_stmt, name, names_stored, source_text


def _augmented_source(stmt):
    """``x *= 2.0``, as the user wrote it (for messages)."""
    operator_source = gast.gast_to_ast(gast.BinOp(left=gast.Name(id="a", ctx=gast.Load(), annotation=None,
                                                                 type_comment=None),
                                                  op=stmt.op, right=gast.Constant(value=1, kind=None)))
    symbol = ast.unparse(operator_source).split()[1]
    return f"{stmt.target.id} {symbol}= {ast.unparse(gast.gast_to_ast(clone(stmt.value)))}"


def desugar(fn, names):
    """Rewrite ``fn.node`` in place into the normalised forms; returns the node."""
    fn.node.body = _Comprehensions(fn.node, names).block(fn.node.body)
    lift_nested_functions(fn, names)
    fn.node.body = spread_keywords(fn, names, fn.node.body)
    translate_effects(fn, names)
    node = fn.node
    node.body = _Normalise(fn, names).visit_block(node.body)
    node.body = lower_jumps(node.body, names)
    return node


class _Normalise:
    """Augmented assignment and ``for`` over sequences, recursively."""

    def __init__(self, fn, names):
        self.fn = fn
        self.names = names
        self.written_into = {_root(t) for s in gast.walk(fn.node) if isinstance(s, (gast.Assign, gast.AugAssign))
                             for t in (s.targets if isinstance(s, gast.Assign) else [s.target])
                             if isinstance(t, gast.Subscript)}
        self.transposed = None  # the name of the helper zip(...) values are read with

    def visit_block(self, stmts):
        out = []
        for stmt in stmts:
            out.extend(self.visit(stmt))
        return out

    def visit(self, stmt):
        if isinstance(stmt, gast.Expr) and isinstance(stmt.value, gast.Constant):
            return []  # a docstring or a bare literal computes nothing
        _lower_value_boolops(stmt)
        if _is_print_assignment(stmt):
            # print returns None: the call stays a statement, which both sweeps keep
            printed = gast.copy_location(gast.Expr(value=stmt.value), stmt)
            stmt.value = constant(None)
            return [printed] + self.visit(stmt)
        if not isinstance(stmt, gast.For):
            self.zips_as_values(stmt)
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
            if isinstance(stmt.target, gast.Name) and stmt.target.id in self.written_into:
                value = call(helper_name(self.fn, self.names, "writable", writable), value)  # a 0-d array stays one
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

    def backwards(self, reversal):
        """``reversed(xs)`` as a sequence with a length: ``xs[::-1]`` for a range or a literal list
        or tuple (a reversed range stays a range), else ``backwards(xs)``, which sees when the
        code runs whether ``xs`` is a sequence or a dict (or a dict's view) that lists backwards."""
        sequence = reversal.args[0]
        if _is_call_to(sequence, "range") or isinstance(sequence, (gast.List, gast.Tuple)):
            step = gast.Slice(lower=None, upper=None, step=constant(-1))
            return gast.Subscript(value=sequence, slice=step, ctx=gast.Load())
        listed = call(helper_name(self.fn, self.names, "backwards", backwards), sequence)
        listed.srcad_sequence = True  # already one that can be indexed
        return listed

    def zips_as_values(self, node):
        """``zip(a, b)`` and ``zip(*pairs)`` outside a ``for`` header: the list of tuples
        ``transposed((a, b))``, ``transposed(pairs)``, whose rules send each item's derivative
        back to its sequence. Nested statements are left to their own visit."""
        for field, value in gast.iter_fields(node):
            if field in ("body", "orelse"):
                continue
            for child in value if isinstance(value, list) else [value]:
                if isinstance(child, gast.AST):
                    self.zips_as_values(child)
        if not (_is_call_to(node, "zip") and node.args and _resolves_to(self.fn, "zip", zip)):
            return node
        starred = [a for a in node.args if isinstance(a, gast.Starred)]
        if starred and len(node.args) > 1:
            return node  # zip(a, *bs): refused as a call of zip without a rule
        if self.transposed is None:
            self.transposed = self.names.fresh("transposed")
            self.fn.extra_names[self.transposed] = transposed
        sequences = starred[0].value if starred else gast.Tuple(elts=node.args, ctx=gast.Load())
        node.func, node.args = name(self.transposed), [sequences]
        return node

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
            value = name(self.names.fresh("assigned", meaning=f"the value of {source_text(stmt.value)}"))
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
        if _is_call_to(iterable, "enumerate") and len(iterable.args) == 1 and _is_pair(stmt.target):
            counter, element = stmt.target.elts
            sequences, targets = _zipped(iterable.args[0], element)
            index = counter.id if isinstance(counter, gast.Name) else None
        else:
            (sequences, targets), index = _zipped(iterable, stmt.target), None
        sequences = [self.backwards(s) if _is_call_to(s, "reversed") and len(s.args) == 1 else s for s in sequences]
        sequences = [self.zips_as_values(sequence) for sequence in sequences]
        sequence_names = []
        rebound = {n for s in stmt.body for n in names_stored(s)}
        sequences_written = [source_text(s) for s in sequences] if len(sequences) > 1 else [source_text(stmt.iter)]
        for sequence, written in zip(sequences, sequences_written):
            if isinstance(sequence, gast.Name) and sequence.id not in rebound:
                sequence_names.append(sequence.id)
                continue  # (a name the body rebinds is hoisted: the loop goes over the old value)
            if isinstance(sequence, gast.Call) and not getattr(sequence, "srcad_sequence", False):
                # params.items(), a generator, ...: a list can be indexed and has a length
                sequence = call("list", sequence)
            hoisted = self.names.fresh("sequence", meaning=f"the sequence the loop goes over ({written})")
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


class _Comprehensions:
    """Comprehensions become the loops they stand for, and lambdas nested ``def`` statements, each
    just before the statement that uses it (a ``while`` condition: at the top of each step).

    ``total = sum([w * x for w, x in zip(ws, xs)])`` reads::

        w_times_x_values = []
        for w, x in zip(ws, xs):
            w_times_x_values.append(w * x)
        total = sum(w_times_x_values)

    and ``q = {k: v for ...}`` fills ``q`` itself. A comprehension's variables are its own in
    Python: one whose name the function uses elsewhere (or an enclosing comprehension does)
    is renamed in the loop, so that the loop does not overwrite it. The language check has
    refused comprehensions whose evaluation depends on a condition (in ``a if c else b`` or
    after ``and``/``or``). Nested functions are left to their own turn."""

    def __init__(self, function_node, names):
        self.names = names
        self.stores = _store_counts(function_node)
        self.claimed = _names_outside_comprehensions(function_node)

    def block(self, stmts):
        out = []
        for stmt in stmts:
            out.extend(self.statement(stmt))
        return out

    def is_local(self, identifier):
        return identifier in self.stores

    def statement(self, stmt):
        if isinstance(stmt, gast.FunctionDef):
            return [stmt]
        for field in ("body", "orelse"):
            if isinstance(getattr(stmt, field, None), list):
                setattr(stmt, field, self.block(getattr(stmt, field)))
        direct = self.lowered_in_place(stmt)
        if direct is not None:
            return direct
        before = []
        if isinstance(stmt, gast.While):
            return self.while_condition(stmt)
        for field, value in gast.iter_fields(stmt):
            if field in ("body", "orelse"):
                continue
            if isinstance(value, list):
                setattr(stmt, field, [self.expression(v, before, stmt) for v in value])
            elif isinstance(value, gast.AST):
                setattr(stmt, field, self.expression(value, before, stmt))
        return before + [stmt]

    def lowered_in_place(self, stmt):
        """``q = [...]`` and ``act = lambda z: ...``: the loop fills ``q``, the ``def`` is
        named ``act`` (when nothing else assigns that name)."""
        if not (isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], gast.Name)):
            return None
        target, value = stmt.targets[0].id, stmt.value
        if isinstance(value, gast.Lambda) and self.stores.get(target) == 1:
            return self.lambda_definition(value, target, stmt)
        if isinstance(value, (gast.ListComp, gast.DictComp)) and target not in _loaded(value):
            return self.comprehension(value, target, stmt)
        return None

    def while_condition(self, stmt):
        """``while cond:`` whose condition holds a comprehension: ``while True:`` that computes
        the condition first in each step and stops when it is false."""
        before = []
        test = self.expression(stmt.test, before, stmt)
        if not before:
            return [stmt]
        stop = gast.copy_location(gast.If(test=gast.UnaryOp(op=gast.Not(), operand=test), body=[gast.Break()],
                                          orelse=[]), stmt)
        stmt.test = constant(True)
        stmt.body = before + [stop] + stmt.body
        return [stmt]

    def expression(self, node, before, stmt):
        """``node`` with its comprehensions and lambdas replaced by names; the statements that
        compute them go to ``before``."""
        if isinstance(node, gast.Lambda):
            identifier = self.names.fresh(hint(node.body, self.is_local))
            before.extend(self.lambda_definition(node, identifier, stmt))
            return gast.copy_location(name(identifier), node)
        if isinstance(node, COMPREHENSIONS):
            value_hint = hint(node.value if isinstance(node, gast.DictComp) else node.elt, self.is_local)
            identifier = self.names.fresh(f"{value_hint}_values")
            before.extend(self.comprehension(node, identifier, stmt))
            value = call("set", name(identifier)) if isinstance(node, gast.SetComp) else name(identifier)
            return gast.copy_location(value, node)
        if isinstance(node, gast.AST):
            for field, value in gast.iter_fields(node):
                if isinstance(value, list):
                    setattr(node, field, [self.expression(v, before, stmt) for v in value])
                elif isinstance(value, gast.AST):
                    setattr(node, field, self.expression(value, before, stmt))
        return node

    def lambda_definition(self, node, identifier, stmt):
        return self.block([gast.copy_location(lambda_as_definition(node, identifier), node)])

    def comprehension(self, node, accumulator, stmt):
        """The statements that build the value of ``node`` into the new list or dict ``accumulator``."""
        own = self.rename_variables(node)
        if isinstance(node, gast.DictComp):
            start = gast.Dict(keys=[], values=[])
            target = gast.Subscript(value=name(accumulator), slice=node.key, ctx=gast.Store())
            body = [gast.Assign(targets=[target], value=node.value, type_comment=None)]
        else:
            start = gast.List(elts=[], ctx=gast.Load())
            append = gast.Attribute(value=name(accumulator), attr="append", ctx=gast.Load())
            body = [expr_stmt(call(append, node.elt))]
        for generator in reversed(node.generators):
            if generator.ifs:
                test = generator.ifs[0] if len(generator.ifs) == 1 else gast.BoolOp(op=gast.And(), values=generator.ifs)
                body = [gast.If(test=test, body=body, orelse=[])]
            body = [gast.For(target=generator.target, iter=generator.iter, body=body, orelse=[], type_comment=None)]
        loops = [assign(accumulator, start)] + body
        for statement_node in loops:
            for n in gast.walk(statement_node):
                if isinstance(n, gast.stmt):
                    gast.copy_location(n, node)
        self.claimed |= own
        lowered = self.block(loops)
        self.claimed -= own
        return lowered

    def rename_variables(self, node):
        """Give the variables of the comprehension ``node`` names no one else uses; returns them."""
        own = set()
        for position, generator in enumerate(node.generators):
            for variable in sorted(names_stored(generator.target)):
                if variable in self.claimed or variable in own:
                    renamed = self.names.fresh(variable)
                    parts = [generator.target] + generator.ifs + node.generators[position + 1:] \
                        + ([node.key, node.value] if isinstance(node, gast.DictComp) else [node.elt])
                    for part in parts:
                        _rename(part, variable, renamed)
                    variable = renamed
                own.add(variable)
        return own


def _rename(node, old, new):
    for n in gast.walk(node):
        if isinstance(n, gast.Name) and n.id == old:
            n.id = new


def _loaded(node):
    return {n.id for n in gast.walk(node) if isinstance(n, gast.Name)}


def _store_counts(function_node):
    counts = {}
    for n in gast.walk(function_node):
        if isinstance(n, gast.Name) and isinstance(n.ctx, (gast.Store, gast.Param)):
            counts[n.id] = counts.get(n.id, 0) + 1
        elif isinstance(n, gast.FunctionDef) and n is not function_node:
            counts[n.name] = counts.get(n.name, 0) + 1
    return counts


def _names_outside_comprehensions(node):
    """Every identifier of ``node`` except those only inside comprehensions."""
    if isinstance(node, COMPREHENSIONS):
        return _names_outside_comprehensions(node.generators[0].iter)  # the first iterable is read outside
    found = {node.id} if isinstance(node, gast.Name) else set()
    for child in gast.iter_child_nodes(node):
        found |= _names_outside_comprehensions(child)
    return found


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


def _zipped(iterable, target):
    """``(sequences, targets)`` a loop ``for target in iterable`` reads one item of each from:
    ``zip(a, b)`` unpacked into as many names goes over ``a`` and ``b`` side by side."""
    if _is_call_to(iterable, "zip") and isinstance(target, gast.Tuple) and len(target.elts) == len(iterable.args) \
            and not any(isinstance(a, gast.Starred) for a in iterable.args):
        return list(iterable.args), list(target.elts)
    return [iterable], [target]


def _resolves_to(fn, identifier, obj):
    """Whether the free name ``identifier`` of ``fn`` is ``obj`` (not a variable of the function)."""
    if identifier in names_stored(fn.node):
        return False
    try:
        return fn.resolve(identifier) is obj
    except (KeyError, AttributeError):
        return False


def _is_print_assignment(stmt):
    """``_ = print(...)``: an assignment of the value of a call of ``print``."""
    value = getattr(stmt, "value", None)
    return isinstance(stmt, gast.Assign) and isinstance(value, gast.Call) and isinstance(value.func, gast.Name) \
        and value.func.id == "print"


def _as_store(target):
    for n in gast.walk(target):
        if isinstance(n, (gast.Name, gast.Tuple, gast.List)):
            n.ctx = gast.Store()
    return target


def _root(target):
    while isinstance(target, (gast.Subscript, gast.Attribute)):
        target = target.value
    return target.id if isinstance(target, gast.Name) else None


def _is_pair(target):
    return isinstance(target, gast.Tuple) and len(target.elts) == 2


def _is_call_to(node, builtin_name):
    return (isinstance(node, gast.Call) and isinstance(node.func, gast.Name)
            and node.func.id == builtin_name and not node.keywords)
