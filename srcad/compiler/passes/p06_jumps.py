"""Jumps lowered into structured code (run by desugar, p05).

Afterwards a function's only ``return`` is its last statement, there is no
``break`` or ``continue`` but the one that ends a loop able to stop early
(``if <flag>: break``, marked ``srcad_loop_exit``), and no statement that no
path reaches.

A jump ends its block: what follows it is dropped. What follows an ``if``
whose branch always jumps moves into the other branch, so the common early
exit needs no flag. When only some paths through a branch jump, what follows
runs under a flag the jumps set: leaving a loop early sets the loop's stop
flag (tested once at the end of its body), ``continue`` its skip flag (reset at
the start of each step), and ``return`` the function's ``returned`` flag. No
statement is copied, so the lowered code grows with the original, not with the
number of its jumps. Every block is visited, however deeply nested.
"""
import gast

from ...errors import SrcadError
from ..syntax import assign, constant, name

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


class _Scope:
    """The block being lowered belongs to a loop's body, or to the function's (``in_loop``)."""

    def __init__(self, names, in_loop):
        self.names = names
        self.in_loop = in_loop
        self.stop_flag = None  # break, and return: the loop ends after this step
        self.skip_flag = None  # continue where what follows runs under a flag
        self.guarded = 0  # how many enclosing ifs have what follows them run under a flag

    def stop(self):
        if self.stop_flag is None:
            self.stop_flag = self.names.fresh("stop")
        return self.stop_flag

    def skip(self):
        if self.skip_flag is None:
            self.skip_flag = self.names.fresh("skip")
        return self.skip_flag


class _JumpLowering:
    def __init__(self, names):
        self.names = names
        self.result = None
        self.returned_flag = None

    def returned(self):
        if self.returned_flag is None:
            self.returned_flag = self.names.fresh("returned")
        return self.returned_flag

    def function_body(self, body):
        scope = _Scope(self.names, in_loop=False)
        returns = [n for s in body for n in gast.walk(s) if isinstance(n, gast.Return)]
        if not returns:
            return self.block(body, scope)
        if len(returns) == 1 and body[-1] is returns[0] and not _has(body, (gast.Break, gast.Continue)):
            return self.block(body[:-1], scope) + [body[-1]]
        self.result = self.names.fresh("result")
        if _may_finish(body):
            body = body + [gast.Return(value=None)]  # falling off the end returns None
        lowered = self.block(body, scope)
        last = gast.copy_location(gast.Return(value=name(self.result)), returns[-1])
        prologue = [assign(self.returned_flag, constant(False))] if self.returned_flag else []
        return prologue + lowered + [last]

    def block(self, stmts, scope):
        """Lower ``stmts``, a block of ``scope``; what cannot run is dropped."""
        out = []
        for position, stmt in enumerate(stmts):
            rest = stmts[position + 1:]
            if isinstance(stmt, _JUMPS):
                out.extend(self.lower_jump(stmt, scope))
                return out
            if isinstance(stmt, gast.Raise):
                out.append(stmt)
                return out
            if isinstance(stmt, gast.If) and _jump_kinds([stmt], scope.in_loop):
                out.extend(self.lower_if(stmt, rest, scope))
                return out
            if isinstance(stmt, gast.If):
                stmt.body = self.block(stmt.body, scope)
                stmt.orelse = self.block(stmt.orelse, scope)
            elif isinstance(stmt, (gast.For, gast.While)):
                out.extend(self.after_loop(stmt, rest, scope))
                return out
            out.append(stmt)
        return out

    def lower_jump(self, stmt, scope):
        origin = stmt
        flags = []
        if isinstance(stmt, gast.Return):
            out = []
            if not getattr(stmt, "srcad_value_stored", False):
                value = stmt.value if stmt.value is not None else constant(None)
                out.append(gast.copy_location(assign(self.result, value), origin))
                if scope.in_loop or scope.guarded:
                    flags.append(self.returned())
            if scope.in_loop:
                flags.append(scope.stop())
            return out + [gast.copy_location(assign(flag, constant(True)), origin) for flag in flags]
        if isinstance(stmt, gast.Break):
            flags.append(scope.stop())
        elif scope.guarded:
            flags.append(scope.skip())  # a continue, where what follows runs under the skip flag
        return [gast.copy_location(assign(flag, constant(True)), origin) for flag in flags]

    def lower_if(self, stmt, rest, scope):
        """An ``if`` that may jump, and what follows it."""
        kinds = {"body": _branch(stmt.body, scope.in_loop), "orelse": _branch(stmt.orelse, scope.in_loop)}
        if "some" not in kinds.values():
            # each branch jumps on every path or on none: what follows goes after the one that does not
            stmt.body = self.block(stmt.body + (rest if kinds["body"] == "none" else []), scope)
            stmt.orelse = self.block(stmt.orelse + (rest if kinds["orelse"] == "none" else []), scope)
            return [stmt]
        # some paths jump and some do not: what follows runs under the flags the jumps set
        flags = self.guard_flags(stmt, scope)
        scope.guarded += 1
        stmt.body = self.block(stmt.body, scope)
        stmt.orelse = self.block(stmt.orelse, scope)
        scope.guarded -= 1
        guarded = self.block(rest, scope)
        for flag in reversed(flags):
            if guarded:
                test = gast.UnaryOp(op=gast.Not(), operand=name(flag))
                guarded = [gast.copy_location(gast.If(test=test, body=guarded, orelse=[]), stmt)]
        return [stmt] + guarded

    def guard_flags(self, stmt, scope):
        """The flags that will tell, after ``stmt``, whether one of its jumps ran."""
        if not scope.in_loop:
            return [self.returned()]
        kinds = _jump_kinds([stmt], in_loop=True)
        flags = [scope.stop()] if kinds & {gast.Break, gast.Return} else []
        return flags + ([scope.skip()] if gast.Continue in kinds else [])

    def after_loop(self, stmt, rest, scope):
        """The lowered loop ``stmt`` and what follows it: after a ``return`` inside it, the
        function leaves every enclosing loop; after a loop that never ends, nothing runs."""
        returns_inside = _has(stmt.body, gast.Return)
        endless = _is_endless(stmt)
        out = self.lower_loop(stmt)
        if not returns_inside:
            return out if endless else out + self.block(rest, scope)
        leave = gast.copy_location(gast.Return(value=None), stmt)
        leave.srcad_value_stored = True
        if endless:
            return out + self.block([leave], scope)  # the loop ends only by returning
        guard = gast.copy_location(gast.If(test=name(self.returned()), body=[leave], orelse=[]), stmt)
        return out + self.block([guard] + rest, scope)

    def lower_loop(self, stmt):
        scope = _Scope(self.names, in_loop=True)
        stmt.body = self.block(stmt.body, scope)
        before = []
        if scope.skip_flag is not None:
            stmt.body.insert(0, gast.copy_location(assign(scope.skip_flag, constant(False)), stmt))
        if scope.stop_flag is not None:
            leave = gast.copy_location(gast.If(test=name(scope.stop_flag), body=[gast.Break()], orelse=[]), stmt)
            leave.srcad_loop_exit = True
            stmt.body.append(leave)
            stmt.srcad_stop_flag = scope.stop_flag
            before.append(gast.copy_location(assign(scope.stop_flag, constant(False)), stmt))
        return before + [stmt]


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


def _jump_kinds(stmts, in_loop):
    """The kinds of jump that may leave ``stmts``: a ``return`` anywhere in them, and in a loop
    a ``break`` or ``continue`` that is not in a loop of its own."""
    kinds = {gast.Return} if _has(stmts, gast.Return) else set()
    if in_loop:
        kinds |= {type(s) for s in _statements_in(stmts, into_loops=False) if isinstance(s, (gast.Break, gast.Continue))}
    return kinds


def _branch(stmts, in_loop):
    """Whether ``stmts`` jump (or raise) on ``"every"`` path, on ``"none"``, or on ``"some"``."""
    if not _may_finish(stmts):
        return "every"
    return "some" if _jump_kinds(stmts, in_loop) else "none"


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
