"""Liveness on structured code: which variables are read before being written again.

One analysis serves two passes: deciding which overwritten values the
backward sweep needs restored (reverse mode), and removing dead code.
"""
import gast

from .syntax import assigned_variables, names_loaded


def loads(node):
    return names_loaded(node) if node is not None else set()


def stores(stmt):
    if isinstance(stmt, gast.Assign):
        return {n.id for t in stmt.targets for n in gast.walk(t)
                if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)}
    return set()


def liveness(stmts, live_out, record=None, hook=None):
    """Variables live before ``stmts`` given those live after.

    ``record`` collects, per statement id, the variables live after it (a union
    over loop iterations); ``hook(stmt, live_after)`` may return the live-before
    set of statements it knows (None to use the default rules).
    """
    live = set(live_out)
    for stmt in reversed(stmts):
        live = _transfer(stmt, live, record, hook)
    return live


def _transfer(stmt, live, record, hook):
    if record is not None:
        record.setdefault(id(stmt), set()).update(live)
    if hook is not None:
        result = hook(stmt, live)
        if result is not None:
            return result
    if isinstance(stmt, gast.If):
        return loads(stmt.test) | liveness(stmt.body, live, record, hook) | liveness(stmt.orelse, live, record, hook)
    if isinstance(stmt, gast.For):
        target = {n.id for n in gast.walk(stmt.target) if isinstance(n, gast.Name)}
        return loads(stmt.iter) | _loop(stmt, live, target, set(), record, hook)
    if isinstance(stmt, gast.While):
        test = loads(stmt.test)
        return test | _loop(stmt, live, set(), test, record, hook)
    if isinstance(stmt, gast.Assign):
        targets_read = set()
        for target in stmt.targets:
            if not isinstance(target, (gast.Name, gast.Tuple, gast.List)):
                targets_read |= loads(target)
        return (live - stores(stmt)) | loads(stmt.value) | targets_read
    if isinstance(stmt, gast.AugAssign):
        return live | loads(stmt.target) | loads(stmt.value) | {n.id for n in gast.walk(stmt.target)
                                                                if isinstance(n, gast.Name)}
    return live | loads(stmt)


def _loop(stmt, live_after, target, test, record, hook):
    """Live-in of a loop body iterated to a fixed point (``target`` is set by the header)."""
    end_of_body = set(live_after) | test
    while True:
        body_in = liveness(stmt.body, end_of_body, record, hook)
        grown = end_of_body | (body_in - target)
        if grown == end_of_body:
            return live_after | (body_in - target)
        end_of_body = grown


def annotate_definitions(stmts, maybe, must):
    """Tag compound statements with the variables that may exist before them,
    and every statement with those that surely do. Returns (maybe, must) after."""
    for stmt in stmts:
        stmt.srcad_maybe_defined = frozenset(maybe)
        stmt.srcad_must_defined = frozenset(must)
        if isinstance(stmt, gast.If):
            maybe_body, must_body = annotate_definitions(stmt.body, maybe, must)
            maybe_else, must_else = annotate_definitions(stmt.orelse, maybe, must)
            maybe, must = maybe_body | maybe_else, must_body & must_else
        elif isinstance(stmt, (gast.For, gast.While)):
            inner_maybe = set(maybe)
            if isinstance(stmt, gast.For):
                inner_maybe.add(stmt.target.id)
            # a second pass sees what earlier iterations defined
            first, _ = annotate_definitions(stmt.body, inner_maybe, must | set(_loop_target(stmt)))
            annotate_definitions(stmt.body, inner_maybe | first, must | set(_loop_target(stmt)))
            maybe = set(maybe) | first
        elif isinstance(stmt, gast.Assign):
            defined = set(assigned_variables(stmt))
            maybe, must = set(maybe) | defined, set(must) | defined
    return set(maybe), set(must)


def _loop_target(stmt):
    return [stmt.target.id] if isinstance(stmt, gast.For) else []
