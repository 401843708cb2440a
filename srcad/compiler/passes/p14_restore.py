"""The tape. Which values the forward sweep overwrites and the backward sweep reads.

The backward sweep carries a *restore marker* after the adjoint of every
statement that overwrites a variable. A liveness analysis of the backward
sweep decides which markers matter: a value is pushed on the tape just before
it is overwritten, and popped at its marker, only when the backward sweep reads
it afterwards. Appends are undone by ``pop()`` and writes into arrays by putting
the old slots back, with no other bookkeeping.
"""
import gast

from ..dataflow import liveness
from ...runtime.tape import Tape
from ..syntax import assign, call, clone, constant, expr_stmt, grow, located, name, names_loaded, shrink


def restore_marker(stmt, variables):
    """A placeholder where the backward sweep may restore ``variables`` (see :func:`place_tape`)."""
    marker = gast.Expr(value=gast.Constant(value=None, kind=None))
    marker.srcad_restore = list(variables)
    marker.srcad_statement = stmt
    marker.srcad_needed = set()
    return marker



def place_tape(primal, adjoint, live_at_end, names, namespace):
    """Decide which overwritten values the backward sweep reads; add pushes and pops.

    Returns the primal and adjoint statement lists and whether a tape is used.
    """
    markers = {}

    def hook(stmt, live_after):
        variables = getattr(stmt, "srcad_restore", None)
        if variables is None:
            return None
        stmt.srcad_needed |= {v for v in variables if v in live_after}
        markers[id(stmt)] = stmt
        position = names_loaded(stmt.srcad_position) if getattr(stmt, "srcad_position", None) else set()
        if getattr(stmt, "srcad_unpop", None) is not None:
            # putting the popped value back reads the list, the value and where it was
            return live_after | (set(stmt.srcad_unpop) | position if stmt.srcad_needed else set())
        if getattr(stmt, "srcad_shrink", False) and stmt.srcad_needed:
            # xs.pop() changes xs in place: the list before it is the list it shrinks, so an
            # earlier pop (of an earlier append) is needed as much as this one
            return live_after | position
        if getattr(stmt, "srcad_store", False):
            # restoring part of an array reads the array and the index
            written = stmt.srcad_statement.srcad_written
            return live_after | (names_loaded(written) if stmt.srcad_needed else set())
        return live_after - set(variables)

    while True:
        markers.clear()
        liveness(adjoint, live_at_end, hook=hook)
        adjoint, pruned = _prune(adjoint)
        if not pruned:
            break
        for marker in markers.values():
            marker.srcad_needed = set()
    pushes = {}
    for marker in markers.values():
        if marker.srcad_needed and not getattr(marker, "srcad_shrink", False) \
                and getattr(marker, "srcad_unpop", None) is None:
            ordered = [v for v in marker.srcad_restore if v in marker.srcad_needed]
            pushes[id(marker.srcad_statement)] = ordered
    tape = names.fresh("tape") if pushes else None
    adjoint = _replace_markers(adjoint, tape)
    primal = _insert_pushes(primal, pushes, tape)
    if tape:
        tape_class = namespace.bind("Tape", Tape)
        primal.insert(0, assign(tape, call(tape_class)))
    return primal, adjoint, tape is not None


def _prune(stmts):
    """Drop restore markers nothing needs, then branches and loops left empty."""
    out, pruned = [], False
    for stmt in stmts:
        if getattr(stmt, "srcad_restore", None) is not None and not stmt.srcad_needed:
            pruned = True
            continue
        if isinstance(stmt, (gast.If, gast.For)):
            stmt.body, body_pruned = _prune(stmt.body)
            stmt.orelse, else_pruned = _prune(stmt.orelse)
            pruned = pruned or body_pruned or else_pruned
            if all(isinstance(s, gast.Pass) for s in stmt.body + stmt.orelse):
                pruned = True
                continue
            if not stmt.body:
                stmt.body = [gast.Pass()]
        out.append(stmt)
    return out, pruned


def _replace_markers(stmts, tape):
    out = []
    for stmt in stmts:
        variables = getattr(stmt, "srcad_restore", None)
        if variables is not None and getattr(stmt, "srcad_store", False):
            if stmt.srcad_needed:
                written = clone(stmt.srcad_statement.srcad_written)
                pop = gast.Assign(targets=[written], value=call(gast.Attribute(value=name(tape), attr="pop",
                                                                               ctx=gast.Load())), type_comment=None)
                out.append(located(pop, getattr(stmt.srcad_statement, "srcad_origin", None)))
            continue
        if variables is not None and getattr(stmt, "srcad_unpop", None) is not None:
            if stmt.srcad_needed:
                sequence, value = stmt.srcad_unpop
                regrown = grow(sequence, stmt.srcad_position, name(value))
                out.append(expr_stmt(regrown, getattr(stmt.srcad_statement, "srcad_origin", None)))
            continue
        if variables is not None and getattr(stmt, "srcad_shrink", False):
            for var in stmt.srcad_needed:
                shrunk = shrink(var, stmt.srcad_position)
                out.append(expr_stmt(shrunk, getattr(stmt.srcad_statement, "srcad_origin", None)))
            continue
        if variables is not None:
            for var in reversed([v for v in variables if v in stmt.srcad_needed]):
                pop = assign(var, call(gast.Attribute(value=name(tape), attr="pop", ctx=gast.Load())),
                             getattr(stmt.srcad_statement, "srcad_origin", None))
                pop.srcad_keep = True
                out.append(pop)
            continue
        for field in ("body", "orelse"):
            if isinstance(getattr(stmt, field, None), list):
                setattr(stmt, field, _replace_markers(getattr(stmt, field), tape) or
                        ([gast.Pass()] if field == "body" else []))
        out.append(stmt)
    return out


def _insert_pushes(stmts, pushes, tape):
    """Add ``tape.push(v)`` before each statement that overwrites a value the backward
    sweep reads. A variable that may not exist yet at a push starts as ``None``: just
    before the push, or, inside a loop, just before the outermost loop, where no path
    has defined it yet; else at the start of the function (a value some path made
    must not be lost)."""
    at_start = set()
    stmts = _pushes_in_block(stmts, pushes, tape, None, at_start)
    return [assign(v, constant(None)) for v in sorted(at_start)] + stmts


def _pushes_in_block(stmts, pushes, tape, loop_inits, at_start):
    out = []
    for stmt in stmts:
        inits = loop_inits
        if isinstance(stmt, (gast.For, gast.While)):
            inits = set() if loop_inits is None else loop_inits
            stmt.body = _pushes_in_block(stmt.body, pushes, tape, inits, at_start)
        elif isinstance(stmt, gast.If):
            stmt.body = _pushes_in_block(stmt.body, pushes, tape, loop_inits, at_start)
            stmt.orelse = _pushes_in_block(stmt.orelse, pushes, tape, loop_inits, at_start)
        missing = {v for v in pushes.get(id(stmt), []) if v not in stmt.srcad_must_defined}
        if loop_inits is not None:
            loop_inits.update(missing)  # initialised before the outermost loop
            missing = set()
        elif inits:
            missing |= inits  # stmt is the outermost loop
        at_start.update(v for v in missing if v in stmt.srcad_maybe_defined)
        origin = getattr(stmt, "srcad_origin", None)
        out.extend(assign(v, constant(None), origin) for v in sorted(missing - at_start))
        out.extend(_pushes_before(stmt, pushes, tape))
        out.append(stmt)
    return out


def _pushes_before(stmt, pushes, tape):
    origin = getattr(stmt, "srcad_origin", None)
    push = gast.Attribute(value=name(tape), attr="push", ctx=gast.Load()) if tape else None
    written = getattr(stmt, "srcad_written", None)
    if written is not None and id(stmt) in pushes:
        # the slots about to be written, copied (a view would change with them)
        old = gast.Subscript(value=clone(written.value), slice=clone(written.slice), ctx=gast.Load())
        kept = call(name(stmt.srcad_copy_of), old)  # a list or a dict may hold plain numbers
        return [expr_stmt(call(push, kept), origin)]
    return [expr_stmt(call(push, name(var)), origin) for var in pushes.get(id(stmt), [])]
