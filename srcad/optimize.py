"""Pass 6: make generated code read like hand-written code.

* the seed ``d_out = 1.0`` is folded into the lines that read it
  (``d_y * 1.0`` is ``d_y``);
* dead code is removed: values nothing reads, empty branches and loops.
"""
import gast

from .dataflow import liveness, stores
from .syntax import names_loaded


def optimize(function_node, live_at_end):
    """Simplify ``function_node``'s body in place; ``live_at_end`` are the names it returns."""
    body = function_node.body
    body = fold_unit_seeds(body)
    changed = True
    while changed:
        body, changed = _remove_dead(body, live_at_end)
    function_node.body = body
    return function_node


def fold_unit_seeds(body):
    """Replace reads of a top-level name assigned ``1.0`` once by the literal, then
    simplify ``x * 1.0`` and ``1.0 * x`` to ``x``."""
    assigned = {}
    for stmt in body:
        for n in gast.walk(stmt):
            if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store):
                assigned[n.id] = assigned.get(n.id, 0) + 1
    seeds = {}
    out = []
    for stmt in body:
        if seeds:
            _Fold(seeds).visit(stmt)
        if isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], gast.Name) \
                and getattr(stmt, "srcad_seed", False) and assigned.get(stmt.targets[0].id) == 1:
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
