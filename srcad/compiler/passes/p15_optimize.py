"""Make generated code read like hand-written code.

* the seed ``d_out = 1.0`` is folded into the lines that read it
  (``d_y * 1.0`` is ``d_y``), and arithmetic on literals is done (``2 - 1`` is ``1``);
* copies are propagated (``d_a = d_b`` then ``f(d_a)`` is ``f(d_b)``), and a first
  contribution followed by a second becomes one sum;
* helper calls lose trailing arguments equal to their defaults;
* dead code is removed: values nothing reads, empty branches and loops;
* a "regular" ``cotangent_times(d_y, b)`` is written ``d_y * b`` where its cotangent
  cannot have been zeroed by a selection (see :func:`drop_idle_strong_zeros`).
"""
import inspect
import operator

import gast

import numpy as np

from ..dataflow import liveness, stores
from ..syntax import names_loaded
from ...runtime import numeric
from ...runtime.accumulate import add_at, zeros_buffer


def optimize(function_node, live_at_end, generated_globals, derivative_names=()):
    """Simplify ``function_node``'s body in place; ``live_at_end`` are the names it returns,
    ``derivative_names`` the adjoint variables (literals assigned to them are folded)."""
    body = function_node.body
    _FoldConstants(generated_globals).visit(function_node)
    body = fold_unit_seeds(body, set(derivative_names))
    body = propagate_copies(body, _assignment_counts(body))
    if body and isinstance(body[-1], gast.Return):
        live_at_end = names_loaded(body[-1])
    changed = True
    while changed:
        body, changed = _remove_dead(body, live_at_end)
        folded = fold_unit_seeds(body, set(derivative_names))
        body = propagate_copies(folded, _assignment_counts(folded))
    function_node.body = merge_contributions(body)
    count_repeats(function_node, set(derivative_names))
    return function_node


def count_repeats(function_node, derivative_names):
    """Write a term added twice to a derivative once, doubled (see :class:`_CountRepeats`).
    Only derivatives: they are floats or float arrays, where doubling is adding; the user's own
    ``mask + mask`` of booleans is not ``2 * mask``."""
    for stmt in gast.walk(function_node):
        if isinstance(stmt, (gast.Assign, gast.AugAssign)):
            targets = stmt.targets if isinstance(stmt, gast.Assign) else [stmt.target]
            if len(targets) == 1 and isinstance(targets[0], gast.Name) and targets[0].id in derivative_names:
                stmt.value = _CountRepeats().visit(stmt.value)


def _assignment_counts(body):
    counts = {}
    for stmt in body:
        for n in gast.walk(stmt):
            if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store):
                counts[n.id] = counts.get(n.id, 0) + 1
    return counts


def propagate_copies(stmts, counts):
    """Replace reads of ``a`` after ``a = b`` by ``b`` while neither is reassigned."""
    out = []
    for position, stmt in enumerate(stmts):
        for field in ("body", "orelse"):
            if isinstance(getattr(stmt, field, None), list):
                setattr(stmt, field, propagate_copies(getattr(stmt, field), counts))
        if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name) \
                and isinstance(stmt.value, gast.Name):
            copy, source = stmt.targets[0].id, stmt.value.id
            if copy == source:
                continue
            if counts.get(copy) == 1 and not getattr(stmt, "srcad_keep", False):
                _substitute_forward(stmts[position + 1:], copy, source)
        out.append(stmt)
    return out


def _substitute_forward(stmts, copy, source):
    replace = {copy: source}
    for stmt in stmts:
        assigned = {n.id for n in gast.walk(stmt) if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)}
        if isinstance(stmt, gast.AugAssign):
            assigned |= {n.id for n in gast.walk(stmt.target) if isinstance(n, gast.Name)}
        simple = isinstance(stmt, gast.Assign)
        if assigned & {copy, source}:
            if simple:
                _Rename(replace).visit(stmt.value)
            return
        _Rename(replace).visit(stmt)


class _Rename(gast.NodeTransformer):
    def __init__(self, replace):
        self.replace = replace

    def visit_Name(self, node):
        if isinstance(node.ctx, gast.Load) and node.id in self.replace:
            node.id = self.replace[node.id]
        return node


def merge_contributions(stmts):
    """``d = a`` followed by ``d = d + b`` is ``d = a + b``."""
    out = []
    for stmt in stmts:
        for field in ("body", "orelse"):
            if isinstance(getattr(stmt, field, None), list):
                setattr(stmt, field, merge_contributions(getattr(stmt, field)))
        previous = out[-1] if out else None
        if _is_accumulation(stmt) and isinstance(previous, gast.Assign) \
                and isinstance(previous.targets[0], gast.Name) \
                and previous.targets[0].id == stmt.targets[0].id \
                and not getattr(previous, "srcad_keep", False) \
                and previous.targets[0].id not in names_loaded(stmt.value.right):
            previous.value = gast.BinOp(left=previous.value, op=gast.Add(), right=stmt.value.right)
            continue
        out.append(stmt)
    return out


def _is_accumulation(stmt):
    return isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name) \
        and isinstance(stmt.value, gast.BinOp) and isinstance(stmt.value.op, gast.Add) \
        and isinstance(stmt.value.left, gast.Name) and stmt.value.left.id == stmt.targets[0].id


class _CountRepeats(gast.NodeTransformer):
    """A term added twice is added once, doubled: ``d * W + d * W`` is ``2 * d * W`` (a value
    read twice, as in ``W * W``, contributes twice the same product). ``x + x`` and ``2 * x``
    are equal for float numbers and arrays (doubling is exact), and for lists and tuples too."""

    def visit_BinOp(self, node):
        self.generic_visit(node)
        if not isinstance(node.op, gast.Add) or not _is_plain_arithmetic(node.right):
            return node
        if _same(node.left, node.right):
            return _doubled(node.right)
        if isinstance(node.left, gast.BinOp) and isinstance(node.left.op, gast.Add) and _same(node.left.right, node.right):
            return gast.BinOp(left=node.left.left, op=gast.Add(), right=_doubled(node.right))
        return node


def _same(a, b):
    return gast.dump(a) == gast.dump(b)


def _is_plain_arithmetic(node):
    """Names, numbers, arithmetic and ``.T``: no call, so reading it twice is reading one value."""
    return all(isinstance(n, (gast.Name, gast.Constant, gast.BinOp, gast.UnaryOp, gast.operator, gast.unaryop,
                              gast.expr_context)) or isinstance(n, gast.Attribute) and n.attr == "T"
               for n in gast.walk(node))


def _doubled(term):
    """``2 * term``, the 2 on the leftmost factor of a product (``2 * d * W``: doubling is exact)."""
    if isinstance(term, gast.BinOp) and isinstance(term.op, gast.Mult):
        return gast.BinOp(left=_doubled(term.left), op=gast.Mult(), right=term.right)
    if isinstance(term, gast.Constant) and type(term.value) in (int, float):
        return gast.Constant(value=2 * term.value, kind=None)
    return gast.BinOp(left=gast.Constant(value=2, kind=None), op=gast.Mult(), right=term)


_ARITHMETIC = {gast.Add: operator.add, gast.Sub: operator.sub, gast.Mult: operator.mul,
               gast.Div: operator.truediv, gast.Pow: operator.pow}


class _FoldConstants(gast.NodeTransformer):
    """``2 - 1`` is ``1``; ``x ** 1`` is ``x``; helper calls drop default trailing arguments."""

    def __init__(self, generated_globals):
        self.generated_globals = generated_globals

    def visit_BinOp(self, node):
        self.generic_visit(node)
        left, right = node.left, node.right
        fold = _ARITHMETIC.get(type(node.op))
        if fold and _is_number(left) and _is_number(right):
            try:
                value = fold(left.value, right.value)
            except (ArithmeticError, ValueError):
                return node
            if isinstance(value, (int, float)) and abs(value) < 1e15:
                return gast.Constant(value=value, kind=None)
        if isinstance(node.op, gast.Pow) and _is_number(right) and right.value == 1:
            return left
        return node

    def visit_Call(self, node):
        self.generic_visit(node)
        function = self.generated_globals.get(node.func.id) if isinstance(node.func, gast.Name) else None
        if function is None or not inspect.isfunction(function) or node.keywords:
            return node
        parameters = list(inspect.signature(function).parameters.values())
        while node.args and len(node.args) <= len(parameters):
            parameter = parameters[len(node.args) - 1]
            last = node.args[-1]
            if parameter.default is inspect.Parameter.empty or not isinstance(last, gast.Constant) \
                    or last.value is not parameter.default and last.value != parameter.default \
                    or type(last.value) is not type(parameter.default):
                break
            node.args.pop()
        return node


def _is_number(node):
    return isinstance(node, gast.Constant) and isinstance(node.value, (int, float)) \
        and not isinstance(node.value, bool)


def fold_unit_seeds(body, seeds_too=(), counts=None, seeds=None):
    """Replace reads of a name assigned a literal once (the seed ``1.0``, and derivatives
    in ``seeds_too``) by the literal, then simplify ``x * 1.0`` to ``x``."""
    counts = _assignment_counts(body) if counts is None else counts
    seeds = dict(seeds or {})
    out = []
    for stmt in body:
        if seeds:
            _Fold(seeds).visit(stmt)
        for field in ("body", "orelse"):
            if isinstance(getattr(stmt, field, None), list):
                setattr(stmt, field, fold_unit_seeds(getattr(stmt, field), seeds_too, counts, seeds))
        if isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], gast.Name) \
                and (getattr(stmt, "srcad_seed", False) or stmt.targets[0].id in seeds_too) \
                and _is_number(stmt.value) and counts.get(stmt.targets[0].id) == 1:
            seeds[stmt.targets[0].id] = stmt.value.value
        out.append(stmt)
    return out


class _Fold(gast.NodeTransformer):
    def __init__(self, seeds):
        self.seeds = seeds

    def visit_Name(self, node):
        if isinstance(node.ctx, gast.Load) and node.id in self.seeds:
            return gast.Constant(value=self.seeds[node.id], kind=None)
        return node

    def visit_Subscript(self, node):
        # a number has no items: ``d_out[0]`` keeps its name (``1.0[0]`` is not code)
        node.slice = self.visit(node.slice)
        return node

    def visit_BinOp(self, node):
        self.generic_visit(node)
        if isinstance(node.op, gast.Mult):
            if _is_one(node.left):
                return node.right
            if _is_one(node.right):
                return node.left
        if isinstance(node.op, gast.Div) and _is_one(node.right):
            return node.left
        return node


def _is_one(node):
    return isinstance(node, gast.Constant) and node.value == 1.0 and not isinstance(node.value, bool)


def _remove_dead(body, live_at_end):
    record = {}
    liveness(body, live_at_end, record)
    changed = [False]

    def sweep(stmts):
        out = []
        for stmt in stmts:
            if isinstance(stmt, gast.Assign) and not getattr(stmt, "srcad_keep", False):
                targets = stores(stmt)
                if targets and not targets & record.get(id(stmt), set()) and _pure(stmt.value):
                    changed[0] = True
                    continue
            if isinstance(stmt, gast.If):
                stmt.body = sweep(stmt.body)
                stmt.orelse = sweep(stmt.orelse)
                if _empty(stmt.body) and _empty(stmt.orelse):
                    changed[0] = True
                    continue
                if _empty(stmt.body):
                    stmt.body = [gast.Pass()]
                if _empty(stmt.orelse):
                    stmt.orelse = []
            elif isinstance(stmt, gast.For):
                stmt.body = sweep(stmt.body)
                if _empty(stmt.body):
                    changed[0] = True
                    continue
            elif isinstance(stmt, gast.While):
                stmt.body = sweep(stmt.body)
            out.append(stmt)
        return out

    return sweep(body), changed[0]


def _empty(stmts):
    return all(isinstance(s, gast.Pass) for s in stmts)


def _pure(value):
    """Operations safe to drop when their result is unused: everything but calls
    that may act on the world (list.append and the like are statements, not values)."""
    for n in gast.walk(value):
        if isinstance(n, gast.Call) and isinstance(n.func, gast.Attribute) and n.func.attr in ("pop", "append"):
            return False
    return True


__all__ = ["optimize", "names_loaded"]


# ------------------------------------------------------------ strong zeros
# what may leave zeros in a cotangent where the forward sweep set a value aside
_SELECTIONS = {np.where, numeric.extremum_partials, numeric.unindex, numeric.untake, numeric.within,
               numeric.at_low_bound, numeric.at_high_bound,
               numeric.unpick, numeric.undiagonal, numeric.untrace, numeric.zeros_like, zeros_buffer, add_at}


def drop_idle_strong_zeros(function_nodes, generated_globals, cotangent_inputs=()):
    """Write the "regular" ``cotangent_times(d_y, b)`` (a cotangent times a value, see
    ``inline.py``) as ``d_y * b`` where no selection can have zeroed ``d_y``: no ``np.where``,
    comparison or selecting helper (``unindex``, ...) flows into it, in any of
    ``function_nodes`` (a forward and a backward sweep are read together), and it is not
    one of ``cotangent_inputs`` (a cotangent given from outside may hold anything)."""
    selected = _maybe_selected(function_nodes, generated_globals, set(cotangent_inputs))
    unwrap = _UnwrapIdle(selected, generated_globals, _numbers_assigned_once(function_nodes))
    for node in function_nodes:
        unwrap.visit(node)


def _maybe_selected(function_nodes, generated_globals, inputs):
    """Names whose value may hold zeros a selection made, by a fixed point over every
    assignment (loops and branches included, in any order)."""
    assignments = []
    for node in function_nodes:
        for stmt in gast.walk(node):
            if isinstance(stmt, (gast.Assign, gast.AugAssign)):
                targets = stmt.targets if isinstance(stmt, gast.Assign) else [stmt.target]
                stored = {n.id for t in targets for n in gast.walk(t) if isinstance(n, gast.Name)}
                assignments.append((stored, stmt.value))
            elif isinstance(stmt, gast.Expr) and isinstance(stmt.value, gast.Call) and stmt.value.args \
                    and _resolve(stmt.value.func, generated_globals) is add_at:
                assignments.append(({n.id for n in gast.walk(stmt.value.args[0]) if isinstance(n, gast.Name)},
                                    stmt.value))
    selected = set(inputs)
    changed = True
    while changed:
        changed = False
        for stored, value in assignments:
            if not stored <= selected and _selects(value, selected, generated_globals):
                selected |= stored
                changed = True
    return selected


def _selects(value, selected, generated_globals):
    for node in gast.walk(value):
        if isinstance(node, gast.Compare) or isinstance(node, gast.Name) and node.id in selected:
            return True
        if isinstance(node, gast.Call) and _is_selection(_resolve(node.func, generated_globals)):
            return True
    return False


def _is_selection(function):
    try:
        return function in _SELECTIONS
    except TypeError:  # an unhashable callable
        return False


def _resolve(func, generated_globals):
    """The object a call's ``func`` (``name`` or ``module.attr``) names in generated code."""
    if isinstance(func, gast.Name):
        return generated_globals.get(func.id)
    if isinstance(func, gast.Attribute):
        owner = _resolve(func.value, generated_globals)
        return getattr(owner, func.attr, None) if owner is not None else None
    return None


def _numbers_assigned_once(function_nodes):
    """The names assigned exactly once in ``function_nodes``, to a number (the seed
    ``d_out = 1.0``, then ``d_t = -d_out``), with that number."""
    counts, values = {}, {}
    for node in function_nodes:
        for stmt in gast.walk(node):
            if isinstance(stmt, gast.Name) and isinstance(stmt.ctx, (gast.Store, gast.Del)):
                counts[stmt.id] = counts.get(stmt.id, 0) + 1
            if isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], gast.Name):
                values[stmt.targets[0].id] = stmt.value
    once = {identifier: value for identifier, value in values.items() if counts.get(identifier) == 1}
    numbers = {}

    def number(expr, seen):
        if isinstance(expr, gast.Constant):
            return expr.value if type(expr.value) in (int, float) else None
        if isinstance(expr, gast.UnaryOp) and isinstance(expr.op, gast.USub):
            inner = number(expr.operand, seen)
            return -inner if inner is not None else None
        if isinstance(expr, gast.Name) and expr.id in once and expr.id not in seen:
            return number(once[expr.id], seen | {expr.id})
        return None

    for identifier, value in once.items():
        found = number(value, {identifier})
        if found is not None:
            numbers[identifier] = found
    return numbers


class _UnwrapIdle(gast.NodeTransformer):
    def __init__(self, selected, generated_globals, numbers=None):
        self.selected = selected
        self.generated_globals = generated_globals
        self.numbers = numbers or {}

    def visit_Call(self, node):
        self.generic_visit(node)
        marking = getattr(node, "srcad_strong_zero", None)
        if marking is None:
            return node
        cotangent, partial = node.args
        number = cotangent.value if isinstance(cotangent, gast.Constant) else \
            self.numbers.get(cotangent.id) if isinstance(cotangent, gast.Name) else None
        if type(number) in (int, float) and number != 0:
            # a cotangent that is a number other than 0 has no zero to keep, singular partial or not
            return _times(cotangent, partial)
        if marking != "regular":
            return node
        if isinstance(cotangent, gast.Name) and cotangent.id not in self.selected:
            return _times(cotangent, partial)
        return node


def _times(cotangent, partial):
    """``cotangent * partial`` with the factors of ``partial`` taken left to right (``d_y * 2 * x``,
    as the rule wrote it)."""
    if isinstance(partial, gast.BinOp) and isinstance(partial.op, gast.Mult):
        return gast.BinOp(left=_times(cotangent, partial.left), op=gast.Mult(), right=partial.right)
    return gast.BinOp(left=cotangent, op=gast.Mult(), right=partial)
