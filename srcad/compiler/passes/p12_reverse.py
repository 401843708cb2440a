"""Reverse mode. The forward (primal) sweep and the backward (adjoint) sweep.

The backward sweep visits the statements in reverse order and inlines each
operation's adjoint rule. Loops run backwards (``reversed(range(...))``),
branches take the branch the forward sweep took, and a value the forward
sweep overwrites is pushed on a tape just before it is overwritten and popped
right after its statement's adjoint, but only when the backward sweep reads
that value: a liveness analysis of the backward sweep decides.
"""

import gast

from .p04_effects import changes_nothing
from ...errors import NonDifferentiableError
from ..inline import Contribution
from .p10_kinds import Kinds
from .p14_restore import restore_marker
from ..resolve import UNKNOWN, Operation, classify, is_user_function
from ...rules import registry
from ...runtime import dispatch, numeric
from ...runtime.accumulate import add_at, add_grads, copy_of, zeros_buffer
from ...runtime.numeric import zeros_like
from ..syntax import appended, assign, assigned_variables, call, clone, constant, expr_stmt, grow, inserted_at, \
    located, name, popped, popped_at, shrink
from .p12_walker import NOT_SPECIAL, Site, Walker
import numpy as np


class State:
    """Which adjoints hold a value at this point of the backward sweep (``defined``),
    and which of those are zero-initialised buffers srcad owns (``owned``: ``+=`` is safe)."""

    def __init__(self, defined=(), owned=()):
        self.defined = set(defined)
        self.owned = set(owned)

    def copy(self):
        return State(self.defined, self.owned)


class Reverse(Walker):
    """Builds the two sweeps of one function in A-normal form."""

    prefix = "d_"
    rule_kind = "derivative"
    rule_decorator = "adjoint"
    strong_zeros = "reverse"

    def __init__(self, fn, names, namespace, active, local_names, program=None, scalar_output=None):
        super().__init__(fn, names, namespace, local_names)
        self.program = program
        self.active = active
        self.kinds = Kinds(fn, fn.node, local_names, namespace.objects, [scalar_output] if scalar_output else ())
        self.written_into = set()
        self.resized = set()  # lists whose derivatives grow or shrink in place

    d = Walker.derivative_name  # d(x) is "d_x", the name of x's adjoint

    def emit(self, out, stmt):
        # a copy, so that no node is shared between statements that later passes rewrite
        out.append(located(clone(stmt), self.origin))

    # -- accumulation -----------------------------------------------------
    def contribute(self, target, value, state, out):
        """Add ``value`` to the adjoint of the argument expression ``target``."""
        if not (isinstance(target, gast.Name) and target.id in self.active):
            return
        var = target.id
        d_var = self.d(var)
        if var not in state.defined:
            self.emit(out, assign(d_var, value))
            state.defined.add(var)
            state.owned.discard(var)
        elif not self.adds_as_numbers(var, value):
            # a list, tuple or dict of derivatives (or what may be one) adds up leaf by leaf
            self.emit(out, assign(d_var, call(self.helper("add_grads", add_grads), name(d_var), value)))
            state.owned.discard(var)  # a new value (or one of the two): not a buffer to write into
        elif var in state.owned:
            self.emit(out, gast.AugAssign(target=name(d_var, store=True), op=gast.Add(), value=value))
        else:
            self.emit(out, assign(d_var, gast.BinOp(left=name(d_var), op=gast.Add(), right=value)))
            state.owned.discard(var)

    def adds_as_numbers(self, var, value):
        """Whether a contribution ``value`` to ``d_var`` is surely an array or a number
        (then so is ``d_var``: ``+`` adds them), proven from ``var`` or from ``value``."""
        derivatives = {d_var: primal for primal, d_var in self.derivative_names.items()}
        return self.kinds.is_numeric(name(var)) or self.kinds.is_numeric(value, derivatives)

    def zero(self, var, state, out):
        """``d_var = zeros_like(var)``: an owned buffer to accumulate into."""
        self.emit(out, assign(self.d(var), call(self.helper("zeros_like", zeros_buffer), name(var))))
        state.defined.add(var)
        state.owned.add(var)

    def consume(self, var, state):
        state.defined.discard(var)
        state.owned.discard(var)

    # -- statements -------------------------------------------------------
    @staticmethod
    def in_walk_order(stmts):
        return reversed(stmts)  # the backward sweep

    def assignment(self, stmt, state):
        if isinstance(stmt.targets[0], gast.Subscript):
            return self.store(stmt, state)
        if popped(stmt.value) is not None:
            return self.pop(stmt, state)
        out = self.value_assignment(stmt, state)
        out.append(restore_marker(stmt, assigned_variables(stmt)))
        return out

    @staticmethod
    def loop_exit(stmt, state, out_so_far):
        return []  # the backward loop runs exactly the recorded steps

    def call_statement(self, stmt, state):
        """A call whose value is not used: a call that changes nothing (``print``, a function
        with a rule) has no adjoint, and any other call that may change its arguments in place,
        on values that carry a derivative, is refused rather than ignored (``effects.py``
        refuses most of them earlier)."""
        value = stmt.value
        if not isinstance(value, gast.Call):
            return []
        operation = classify(self.fn, value, self.local_names)
        if operation is not None and changes_nothing(operation.function):
            return []
        arguments = list(value.args) + [k.value for k in value.keywords]
        if isinstance(value.func, gast.Attribute):
            arguments.append(value.func.value)
        carrying = [a for a in arguments if isinstance(a, gast.Name) and a.id in self.active]
        if carrying and not (operation is not None and operation.nondifferentiable):
            raise NonDifferentiableError(
                f"cannot differentiate the statement {operation.label if operation else 'call'}(...): a call "
                f"whose result is not used may change {carrying[0].id} in place, which srcad cannot follow. "
                f"Assign its result instead{self.fn.where(stmt)}")
        return []

    def accumulation(self, stmt, state):
        """``add_at(buffer, index, g)``: ``g`` takes ``d_buffer[index]``; the buffer's derivative
        passes through unchanged, and its old slots come back from the tape when read."""
        out = []
        buffer, index, g = stmt.value.args
        if isinstance(buffer, gast.Name) and buffer.id in self.active and buffer.id in state.defined:
            piece = gast.Subscript(value=name(self.d(buffer.id)), slice=clone(index), ctx=gast.Load())
            self.contribute(g, call(self.helper("unbroadcast", numeric.unbroadcast), piece, g), state, out)
        written = gast.Subscript(value=clone(buffer), slice=clone(index), ctx=gast.Store())
        stmt.srcad_written = written
        stmt.srcad_copy_of = self.namespace.bind("copy_of", copy_of)
        marker = restore_marker(stmt, [buffer.id] if isinstance(buffer, gast.Name) else [])
        marker.srcad_store = True
        out.append(marker)
        return out

    def pop(self, stmt, state):
        """``y = xs.pop()`` (a tape's pop, in generated code) or ``y = xs.pop(position)``: ``d_xs``
        grows back by ``d_y`` there, and ``xs`` gets ``y`` back when the backward sweep still reads it."""
        out = []
        var, sequence = stmt.targets[0].id, popped(stmt.value)
        position = popped_at(stmt.value)
        if sequence in self.active:
            if sequence not in state.defined and var in state.defined:
                self.zero(sequence, state, out)
            if sequence in state.defined:
                self.own_sequence(sequence, state, out)
                last = name(self.d(var)) if var in state.defined and var in self.active \
                    else call(self.helper("zeros_like", zeros_like), name(var))
                self.emit(out, expr_stmt(grow(self.d(sequence), position, last)))
        self.consume(var, state)
        unpop = restore_marker(stmt, [sequence])
        unpop.srcad_unpop = (sequence, var)
        unpop.srcad_position = position
        out.append(unpop)
        out.append(restore_marker(stmt, [var]))
        return out

    def value_assignment(self, stmt, state):
        out = []
        # a call already rewritten into its forward sweep is differentiated as written
        target, value = getattr(stmt, "srcad_original", (stmt.targets[0], stmt.value))
        if isinstance(target, gast.Tuple):
            return self.unpacking(target, value, state)
        var = target.id
        if var not in self.active or var not in state.defined:
            self.consume(var, state)
            return out
        self.consume(var, state)
        self.assigned_value(Site(stmt, var, value, state, out))
        return out

    def alias(self, site):
        self.contribute(site.value, name(self.d(site.var)), site.state, site.out)

    def container(self, site, items):
        for key, item in items:
            piece = gast.Subscript(value=name(self.d(site.var)), slice=key, ctx=gast.Load())
            self.contribute(item, piece, site.state, site.out)

    def carrying(self, state):
        return self.active

    def store(self, stmt, state):
        """``y[i] = v``: ``v`` takes ``d_y[i]``, and those slots of ``d_y`` become zero (the
        old values there did not reach the output); ``y[i]`` is restored when still read."""
        out = []
        target = stmt.targets[0]
        base, value = target.value.id, stmt.value
        self.written_into.add(base)
        if base in self.active and base in state.defined:
            d_base = self.d(base)
            self.make_writable(base, state, out)
            if isinstance(value, gast.Name) and value.id in self.active:
                piece = gast.Subscript(value=name(d_base), slice=clone(target.slice), ctx=gast.Load())
                piece = call(self.helper("copy_of", copy_of), piece)  # an item may be a number
                self.contribute(value, call(self.helper("unbroadcast", numeric.unbroadcast), piece, value),
                                state, out)
            cleared = gast.Subscript(value=name(d_base), slice=clone(target.slice), ctx=gast.Store())
            self.emit(out, gast.Assign(targets=[cleared], value=constant(0.0), type_comment=None))
        stmt.srcad_written = clone(target)
        stmt.srcad_copy_of = self.namespace.bind("copy_of", copy_of)
        marker = restore_marker(stmt, [base])
        marker.srcad_store = True
        out.append(marker)
        return out

    def grow(self, stmt, state):
        """``xs.append(v)`` or ``xs.insert(position, v)``: ``v`` takes the derivative at that place
        in ``xs``'s, which shrinks back; ``xs`` itself shrinks back too when the backward sweep
        still reads it."""
        out = []
        sequence, value = appended(stmt)
        position = inserted_at(stmt)
        if sequence in self.active and sequence in state.defined:
            self.own_sequence(sequence, state, out)
            taken = shrink(self.d(sequence), position)
            if isinstance(value, gast.Name) and value.id in self.active:
                self.contribute(value, taken, state, out)
            else:
                self.emit(out, expr_stmt(taken))
        marker = restore_marker(stmt, [sequence])
        marker.srcad_shrink = True
        marker.srcad_position = position
        out.append(marker)
        return out

    def own_sequence(self, sequence, state, out):
        """Before ``d_xs`` grows or shrinks in place: a copy, unless srcad made it (it may be an
        item of another derivative or the caller's cotangent). In a loop, once before it."""
        if sequence not in state.owned:
            self.emit(out, assign(self.d(sequence), call("list", name(self.d(sequence)))))
            state.owned.add(sequence)
        self.resized.add(sequence)

    def unpacking(self, target, value, state):
        out = []
        targets = [t.id for t in target.elts]
        parts = []
        for t in targets:
            parts.append(name(self.d(t)) if t in state.defined and t in self.active
                         else call(self.helper("zeros_like", zeros_like), name(t)))
        any_defined = any(t in state.defined and t in self.active for t in targets)
        for t in targets:
            self.consume(t, state)
        if any_defined and isinstance(value, gast.Name):
            self.contribute(value, gast.Tuple(elts=parts, ctx=gast.Load()), state, out)
        return out

    def selected_item(self, site):
        """``d_x[i] += d_y``: into a buffer srcad owns, else a new array scattered from ``d_y``."""
        value, state, out, d_var = site.value, site.state, site.out, name(self.d(site.var))
        source = value.value
        index = self.index_value(value.slice)
        var = source.id
        if var not in state.defined:
            self.zero(var, state, out)
        if var in state.owned:
            self.emit(out, expr_stmt(call(self.helper("add_at", add_at), name(self.d(var)), index, d_var)))
        else:
            scattered = call(self.helper("unindex", numeric.unindex), d_var, name(var), index)
            self.contribute(source, scattered, state, out)

    def index_value(self, index):
        """An index as a value: ``1:3`` becomes ``np.s_[1:3]``."""
        if isinstance(index, gast.Slice) or isinstance(index, gast.Tuple) and any(
                isinstance(e, gast.Slice) for e in index.elts):
            return gast.Subscript(value=gast.Attribute(value=self.helper("np", np), attr="s_", ctx=gast.Load()),
                                  slice=index, ctx=gast.Load())
        return index

    # -- calls: what reverse mode emits for each kind the walker tells apart ------
    rule_of = staticmethod(registry.adjoint_of)

    def transforms(self, function):
        return is_user_function(function) and self.program is not None

    @staticmethod
    def constant_call(site):
        return None  # no derivative flows through it

    @staticmethod
    def special_call(site):
        site.operation = field_read(site.value, site.operation)
        return NOT_SPECIAL

    def rule_call(self, site, template, mapping):
        """The adjoint template inlined: its contributions to the arguments' adjoints."""
        d_var = name(self.d(site.var))
        derivative = lambda key: d_var  # noqa: E731 - adjoint templates read only d[result]
        for item in self.inliner.inline(template, mapping, name(site.var), derivative):
            if isinstance(item, Contribution):
                self.contribution(item, site.state, site.out)
            else:
                self.emit(site.out, item)

    def user_call(self, site):
        """``y = f(a, b)`` with ``f`` a Python function: its own forward and backward pair.

        The forward sweep becomes ``y, f_saved = f_forward(a, b)``; the backward
        sweep calls ``f_backward(f_saved, d_y)`` for the derivatives of the
        arguments that carry one.
        """
        _, carried = self.bound_parameters(site)
        if not carried:
            return
        forward, backward = self.program.split(site.operation.function, [parameter for parameter, _ in carried])
        saved = self.rewrite_as_forward(site.stmt, site.var, forward)
        self.distribute(call(backward, name(saved), name(self.d(site.var))), [variable for _, variable in carried],
                        site.state, site.out)

    def distribute(self, derivatives, arguments, state, out):
        """Contribute each element of the tuple ``derivatives`` to its argument; unpack
        straight into ``d_a, d_b`` when those are first contributions to distinct names."""
        if len(arguments) == 1:
            self.contribute(arguments[0], derivatives, state, out)
            return
        identifiers = [a.id for a in arguments]
        if len(set(identifiers)) == len(identifiers) and not set(identifiers) & state.defined:
            self.emit(out, assign([self.d(i) for i in identifiers], derivatives))
            state.defined.update(identifiers)
            state.owned.difference_update(identifiers)
            return
        parts = [self.names.fresh(f"d_{i}_part") for i in identifiers]
        self.emit(out, assign(parts, derivatives))
        for part, argument in zip(parts, arguments):
            self.contribute(argument, name(part), state, out)

    def spread_call(self, site):
        """``y = f(a, *xs)``: which positions carry a derivative is known only when the code runs,
        so ``call_forward(f, None, a, *xs)`` decides then; the backward sweep gives ``a`` and
        every item of ``xs`` their derivatives (one starred argument at most)."""
        stmt, value, var, state, out = site.stmt, site.value, site.var, site.state, site.out
        starred = [position for position, arg in enumerate(value.args) if isinstance(arg, gast.Starred)]
        if len(starred) > 1 or any(isinstance(k.value, gast.Name) and k.value.id in self.active
                                   for k in value.keywords):
            raise NonDifferentiableError(
                f"srcad differentiates calls with one *sequence and no differentiated keyword arguments"
                f"{self.fn.where(stmt)}")
        saved = self.rewrite_as_run_time_call(stmt, value, var, None)
        parts = self.names.fresh(f"d_{var}_arguments")
        self.emit(out, assign(parts, call(self.helper("call_backward", dispatch.call_backward), name(saved),
                                          name(self.d(var)))))
        star = starred[0]
        after = len(value.args) - star - 1
        for position, arg in enumerate(value.args):
            if position == star:
                end = constant(-after) if after else None
                spread = gast.Subscript(value=name(parts), slice=gast.Slice(lower=constant(star), upper=end, step=None),
                                        ctx=gast.Load())
                self.contribute(arg.value, call("list", spread), state, out)
            elif isinstance(arg, gast.Name) and arg.id in self.active:
                index = position if position < star else position - len(value.args)
                self.contribute(arg, _item(name(parts), index), state, out)

    def rewrite_as_run_time_call(self, stmt, value, var, wrt):
        """The forward sweep's ``y = f(...)`` as ``y, y_saved = call_forward(f, wrt, ...)`` (once)."""
        forward = self.helper("call_forward", dispatch.call_forward)
        return self.save_call(stmt, var, lambda: call(forward, value.func, constant(wrt), *value.args,
                                                      keywords=value.keywords))

    def run_time_call(self, site):
        """``y = act(z)`` where ``act`` is known only at run time (an argument, a list item):
        ``call_forward`` and ``call_backward`` choose the rule or transform when the code runs."""
        stmt, value, var, state, out = site.stmt, site.value, site.var, site.state, site.out
        wrt = [position for position, arg in enumerate(value.args)
               if isinstance(arg, gast.Name) and arg.id in self.active]
        wrt += [k.arg for k in value.keywords if isinstance(k.value, gast.Name) and k.value.id in self.active]
        if not wrt:
            return
        saved = self.rewrite_as_run_time_call(stmt, value, var, tuple(wrt))
        arguments = [value.args[w] if isinstance(w, int) else next(k.value for k in value.keywords if k.arg == w)
                     for w in wrt]
        derivatives = call(self.helper("call_backward", dispatch.call_backward), name(saved), name(self.d(var)))
        if len(arguments) == 1:
            derivatives = _item(derivatives, 0)
        self.distribute(derivatives, arguments, state, out)

    def rewrite_as_forward(self, stmt, var, forward):
        """Turn the forward sweep's ``y = f(...)`` into ``y, f_saved = f_forward(...)`` (once)."""
        return self.save_call(stmt, var, lambda: call(name(forward), *stmt.value.args, keywords=stmt.value.keywords))

    def save_call(self, stmt, var, forward_call):
        """Rewrite ``y = call`` as ``y, y_saved = forward_call()`` once (the backward sweep may be
        built several times for a loop); the original stays for differentiating it again."""
        saved = getattr(stmt, "srcad_saved", None)
        if saved is None:
            saved = self.names.fresh(f"{var}_saved")
            self.kept_names.add(saved)
            stmt.srcad_saved = saved
            stmt.srcad_original = (stmt.targets[0], clone(stmt.value))
            stmt.value = forward_call()
            stmt.targets = [gast.Tuple(elts=[name(var, store=True), name(saved, store=True)], ctx=gast.Store())]
        self.names.reserve(saved)
        return saved

    def contribution(self, item, state, out):
        if not item.varargs:
            self.contribute(item.target, item.value, state, out)
            return
        active = [t for t in item.target if isinstance(t, gast.Name) and t.id in self.active]
        if not active:
            return
        parts = self.names.fresh("parts")
        self.emit(out, assign(parts, item.value))
        for position, target in enumerate(item.target):
            self.contribute(target, _item(name(parts), position), state, out)

    # -- control flow -------------------------------------------------------
    def join_branches(self, stmt, state, body, orelse):
        """An adjoint one branch defines and the other does not: zero on the other (a shapeless
        zero where the variable may not exist there), or dropped when the variable did not
        exist before the ``if``."""
        (body_state, body_out), (else_state, else_out) = body, orelse
        existing = stmt.srcad_maybe_defined
        for var in body_state.defined ^ else_state.defined:
            if var not in existing:
                self.consume(var, body_state)
                self.consume(var, else_state)
                continue
            lacking, branch_out = (else_state, else_out) if var in body_state.defined else (body_state, body_out)
            if var in stmt.srcad_must_defined:
                self.zero(var, lacking, branch_out)
            else:
                # the variable may not exist on this path: a shapeless zero will do
                self.emit(branch_out, assign(self.d(var), constant(0.0)))
                lacking.defined.add(var)
        state.defined = body_state.defined
        state.owned = body_state.owned & else_state.owned

    def loop_change(self, state, entry, trial, body, exits):
        """After one backward step: the adjoints it starts to carry around the loop, those it
        no longer owns, and the arrays written into whose adjoint it now owns (None: none)."""
        for var in sorted(entry.defined - trial.defined):
            self.zero(var, trial, body)
        carried = trial.defined - entry.defined
        disowned = entry.owned - trial.owned
        # an array written into in the loop: copy its derivative once, before the loop
        gained = ((trial.owned & entry.defined) - entry.owned) & (self.written_into | self.resized)
        return (carried, disowned, gained) if carried or disowned or gained else None

    def widen_loop(self, entry, change, before):
        carried, disowned, gained = change
        for var in sorted(carried):
            self.zero(var, entry, before)
        for var in sorted(gained):
            if var in self.resized:
                self.own_sequence(var, entry, before)
            else:
                self.make_writable(var, entry, before)
        entry.owned -= disowned

    def leave_loop(self, stmt, state, entry, last, before):
        """Before the loop (the backward sweep's after): the entry's adjoints, less those of
        variables that do not exist before the loop."""
        state.defined, state.owned = entry.defined, entry.owned
        existing = stmt.srcad_maybe_defined
        for var in list(state.defined):
            if var not in existing:
                self.consume(var, state)

    def loop_statements(self, stmt, body):
        header = self.reversed_header(stmt)
        header.body = body
        marker = restore_marker(stmt, [stmt.target.id] if isinstance(stmt, gast.For) else [])
        return [located(header, self.origin), marker]

    def reversed_header(self, stmt):
        steps = getattr(stmt, "srcad_steps", None)
        if isinstance(stmt, gast.While):
            counter = name(self.names.fresh("_"), store=True)
            return gast.For(target=counter, iter=call("range", name(steps)), body=[], orelse=[], type_comment=None)
        iterations = clone(stmt.iter)
        if steps is not None:
            iterations = gast.Subscript(value=iterations, slice=gast.Slice(lower=None, upper=name(steps), step=None),
                                        ctx=gast.Load())
        return gast.For(target=name(stmt.target.id, store=True), iter=call("reversed", iterations),
                        body=[], orelse=[], type_comment=None)


def _item(container, index):
    return gast.Subscript(value=container, slice=constant(index), ctx=gast.Load())


def field_read(value, operation):
    """``p.W`` where ``W`` is not a member of arrays: the field of a namedtuple, read by
    ``field_of(p, "W")`` (whose rules make the derivative a namedtuple too)."""
    if isinstance(value, gast.Attribute) and operation.function is UNKNOWN:
        return Operation(numeric.field_of, [value.value, constant(value.attr)], label=f".{value.attr}")
    return operation


# -- loops: counters for loops that may stop early, and while loops ----------
def count_iterations(stmts, names):
    """Give each ``while`` loop, and each ``for`` loop that may stop early, a step counter."""
    out = []
    for stmt in stmts:
        if isinstance(stmt, gast.If):
            stmt.body = count_iterations(stmt.body, names)
            stmt.orelse = count_iterations(stmt.orelse, names)
        elif isinstance(stmt, (gast.For, gast.While)):
            stmt.body = count_iterations(stmt.body, names)
            if isinstance(stmt, gast.While) or getattr(stmt, "srcad_stop_flag", None):
                steps = names.fresh("steps")
                stmt.srcad_steps = steps
                origin = getattr(stmt, "srcad_origin", None)
                out.append(assign(steps, constant(0), origin))
                increment = gast.BinOp(left=name(steps), op=gast.Add(), right=constant(1))
                stmt.body.insert(0, assign(steps, increment, origin))
        out.append(stmt)
    return out
