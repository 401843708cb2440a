"""Jumps lowered into structured code (part of pass 2, desugar).

Afterwards a function's only ``return`` is its last statement, there is no
``break`` or ``continue`` but the one that ends a loop able to stop early
(``if <flag>: break``, marked ``srcad_loop_exit``), and no statement that no
path reaches.

A jump ends its block: what follows it is dropped. What follows an ``if`` one
of whose branches may jump moves into its branches (tail duplication), where it
ends up after the paths that do not jump; so an early exit needs no flag.
Leaving a loop early sets the loop's stop flag, tested once at the end of its
body; a ``return`` inside a loop also sets the function's ``returned`` flag,
tested after every loop it leaves. Every block is visited, however deeply it
is nested in branches and loops.
"""
import gast

from .errors import SrcadError
from .syntax import assign, clone, constant, name

_JUMPS = (gast.Return, gast.Break, gast.Continue)


def lower_jumps(body, names):
    """``body`` (a function's statements) with its jumps lowered; new flags are named by ``names``."""
    return _JumpLowering(names).function_body(body)


def refuse_unlowered_jump(fn, stmt):
    """Raise if ``stmt`` is a jump this pass should have lowered: a sweep built around it
    would replay the wrong path, so no derivative is better than a wrong one."""
    if isinstance(stmt, _JUMPS):
        raise SrcadError(f"internal error: a {type(stmt).__name__.lower()} statement was left in structured "
                         f"code; please report this with the function{fn.where(stmt)}")


class _Loop:
    """The loop whose body is being lowered: the flag that stops it early, made when needed."""

    def __init__(self, names):
        self.names = names
        self.stop_flag = None

    def flag(self):
        if self.stop_flag is None:
            self.stop_flag = self.names.fresh("stop")
        return self.stop_flag


class _JumpLowering:
    def __init__(self, names):
        self.names = names
        self.result = None
        self.returned = None

    def function_body(self, body):
        returns = [n for s in body for n in gast.walk(s) if isinstance(n, gast.Return)]
        if not returns:
            return self.block(body, None)
        if len(returns) == 1 and body[-1] is returns[0] and not _has(body, (gast.Break, gast.Continue)):
            return self.block(body[:-1], None) + [body[-1]]
        self.result = self.names.fresh("result")
        if any(_has(loop.body, gast.Return) for loop in _loops(body)):
            self.returned = self.names.fresh("returned")
        if _may_finish(body):
            body = body + [gast.Return(value=None)]  # falling off the end returns None
        lowered = self.block(body, None)
        last = gast.copy_location(gast.Return(value=name(self.result)), returns[-1])
        prologue = [assign(self.returned, constant(False))] if self.returned else []
        return prologue + lowered + [last]

    def block(self, stmts, loop):
        """Lower ``stmts`` (inside ``loop``, a :class:`_Loop`, or None); what cannot run is dropped."""
        out = []
        for position, stmt in enumerate(stmts):
            rest = stmts[position + 1:]
            if isinstance(stmt, gast.Return):
                out.extend(self.lower_return(stmt, loop))
                return out
            if isinstance(stmt, gast.Break):
                out.append(gast.copy_location(assign(loop.flag(), constant(True)), stmt))
                return out
            if isinstance(stmt, gast.Continue):
                return out
            if isinstance(stmt, gast.Raise):
                out.append(stmt)
                return out
            if isinstance(stmt, gast.If) and _may_jump(stmt, loop is not None):
                stmt.body = self.block(stmt.body + [clone(s) for s in rest], loop)
                stmt.orelse = self.block(stmt.orelse + rest, loop)
                out.append(stmt)
                return out
            if isinstance(stmt, gast.If):
                stmt.body = self.block(stmt.body, loop)
                stmt.orelse = self.block(stmt.orelse, loop)
            elif isinstance(stmt, (gast.For, gast.While)):
                out.extend(self.after_loop(stmt, rest, loop))
                return out
            out.append(stmt)
        return out

    def after_loop(self, stmt, rest, loop):
        """The lowered loop ``stmt`` and what follows it: after a ``return`` inside it, the
        function leaves every enclosing loop; after a loop that never ends, nothing runs."""
        returns_inside = _has(stmt.body, gast.Return)
        endless = _is_endless(stmt)
        out = self.lower_loop(stmt)
        if not returns_inside:
            return out if endless else out + self.block(rest, loop)
        leave = gast.copy_location(gast.Return(value=None), stmt)
        leave.srcad_value_stored = True
        if endless:
            return out + self.block([leave], loop)  # the loop ends only by returning
        guard = gast.copy_location(gast.If(test=name(self.returned), body=[leave], orelse=[]), stmt)
        return out + self.block([guard] + rest, loop)

    def lower_return(self, stmt, loop):
        stored = getattr(stmt, "srcad_value_stored", False)
        out = []
        if not stored:
            value = stmt.value if stmt.value is not None else constant(None)
            out.append(gast.copy_location(assign(self.result, value), stmt))
        if loop is not None:
            if not stored:
                out.append(gast.copy_location(assign(self.returned, constant(True)), stmt))
            out.append(gast.copy_location(assign(loop.flag(), constant(True)), stmt))
        return out

    def lower_loop(self, stmt):
        loop = _Loop(self.names)
        stmt.body = self.block(stmt.body, loop)
        if loop.stop_flag is None:
            return [stmt]
        leave = gast.copy_location(gast.If(test=name(loop.stop_flag), body=[gast.Break()], orelse=[]), stmt)
        leave.srcad_loop_exit = True
        stmt.body.append(leave)
        stmt.srcad_stop_flag = loop.stop_flag
        return [gast.copy_location(assign(loop.stop_flag, constant(False)), stmt), stmt]


def _statements_in(stmts, into_loops):
    """Every statement of ``stmts`` and of the blocks nested in them (in loops only if asked)."""
    for stmt in stmts:
        yield stmt
        if isinstance(stmt, gast.If):
            yield from _statements_in(stmt.body + stmt.orelse, into_loops)
        elif isinstance(stmt, (gast.For, gast.While)) and into_loops:
            yield from _statements_in(stmt.body, into_loops)


def _has(stmts, kind):
    """Whether ``stmts`` hold a ``kind`` statement at any depth."""
    return any(isinstance(s, kind) for s in _statements_in(stmts, into_loops=True))


def _loops(stmts):
    return [s for s in _statements_in(stmts, into_loops=True) if isinstance(s, (gast.For, gast.While))]


def _may_jump(stmt, in_loop):
    """Whether running ``stmt`` may leave its block: a ``return`` anywhere in it, or, in a
    loop, a ``break`` or ``continue`` that is not in a loop of its own."""
    if _has([stmt], gast.Return):
        return True
    own = _statements_in([stmt], into_loops=False)
    return in_loop and any(isinstance(s, (gast.Break, gast.Continue)) for s in own)


def _is_endless(stmt):
    """A ``while`` on a true constant that no ``break`` of its own leaves."""
    if not (isinstance(stmt, gast.While) and isinstance(stmt.test, gast.Constant) and stmt.test.value):
        return False
    return not any(isinstance(s, gast.Break) for s in _statements_in(stmt.body, into_loops=False))


def _may_finish(stmts):
    """Whether running ``stmts`` may reach their end, rather than jump or loop forever."""
    for stmt in stmts:
        if isinstance(stmt, _JUMPS + (gast.Raise,)) or _is_endless(stmt):
            return False
        if isinstance(stmt, gast.If) and not (_may_finish(stmt.body) or _may_finish(stmt.orelse)):
            return False
    return True
