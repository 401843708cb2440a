"""What reverse and forward mode share when they walk a function in A-normal form.

Both modes visit the same statements (``p12_reverse`` backwards, ``p12_forward`` in order)
and, for each, emit the statements of its derivative. A :class:`Walker` decides everything
that does not depend on the mode, once:

- the structure: the walk over a block, the kind of each statement, a branch (both arms
  walked from one state, then joined) and a loop (walked until the derivatives it carries
  around are stable, its early exits recorded);
- the value of an assignment by its form (:meth:`Walker.assigned_value`): constant, another
  variable, a container of items, an item of a variable (an index only selects), or an
  operation;
- the kind of a call (:meth:`Walker.operation`): spread, known only at run time, with a rule,
  a Python function to transform, or refused; its binding to a Python function's parameters;
- a call statement: a list or tape that grows, a buffer updated in place, another call;
- the names of derivatives (``d_x``, ``t_x``), the runtime helpers generated code calls, the
  copy of a derivative before it is written into, and the user's line of each statement.

Each mode is a subclass that supplies what it emits for each of those kinds (``alias``,
``container``, ``selected_item``, ``rule_call``, ``user_call``, ``run_time_call``,
``spread_call``, ``grow``, ``accumulation``, ...), how two branches join and how a loop's
entry widens, the order of the walk, and the rule kind and decorator its messages name.
"""
import inspect
import operator
from dataclasses import dataclass

import gast

from ...errors import NonDifferentiableError, no_rule_hint
from ..inline import Inliner, Template
from ..resolve import UNKNOWN, classify, known_at_run_time_only, method_of_a_constant, not_transformed_because
from ...runtime.accumulate import writable_copy
from ..syntax import appended, assign, call, clone, constant, located, name
from .p02_language import without_derivative
from .p06_jumps import refuse_unlowered_jump
from .p10_kinds import binary_function
from .p11_activity import accumulation, flowing_names, refuse_active_index

NOT_SPECIAL = object()  # what a mode's special_call returns for a call it leaves to the walker


@dataclass
class Site:
    """One ``var = value`` being differentiated: ``stmt``, the statement the mode emits (or
    rewrites) and errors point at; the walk's ``state`` there; ``out``, the statements
    emitted so far; and, once classified, the ``operation`` that ``value`` performs."""

    stmt: gast.AST
    var: str
    value: gast.AST
    state: object
    out: list
    operation: object = None


class Walker:
    """The part of a mode's walk over one function that both modes share."""

    prefix = ""  # of a derivative's name: "d_" for an adjoint, "t_" for a tangent
    rule_decorator = ""  # what a user registers a missing rule with, in messages
    mode_phrase = ""  # how messages name the mode (" in forward mode")
    emits_primal = False  # whether the walk writes the user's statements too (forward mode)
    strong_zeros = None  # which products of a rule the inliner guards: "reverse" or "forward"

    def __init__(self, fn, names, namespace, local_names):
        self.fn = fn
        self.names = names
        self.namespace = namespace
        self.local_names = local_names
        self.inliner = Inliner(namespace.bind, names.fresh, strong_zeros=self.strong_zeros)
        self.derivative_names = {}
        self.origin = None  # the user's line of the statement being walked
        self.kept_names = set()  # names a rewritten user statement holds on to (reverse: ``y_saved``)
        self.callees = []  # the generated functions this one calls (forward: ``jvp_g``)
        self.exits = []  # per loop being walked: where the walk leaves it early, (out, position, state)

    def derivative_name(self, var):
        """The name of ``var``'s derivative: ``d_var`` or ``t_var``, fresh once, then kept."""
        if var not in self.derivative_names:
            self.derivative_names[var] = self.names.fresh(self.prefix + var)
        return self.derivative_names[var]

    def helper(self, identifier, obj):
        """A name for the runtime helper ``obj``, bound in the generated module."""
        return name(self.namespace.bind(identifier, obj))

    def make_writable(self, var, state, out):
        """Before ``var``'s derivative is written into in place: a copy only srcad holds, unless
        it is one already (``state.owned``); the derivative may be another's or the caller's."""
        if var not in state.owned:
            derivative = self.derivative_name(var)
            self.emit(out, assign(derivative, call(self.helper("writable_copy", writable_copy), name(derivative))))
        state.owned.add(var)

    # -- structure -------------------------------------------------------------
    def block(self, stmts, state):
        """The derivative code of a block, each statement walked in the mode's order."""
        out = []
        for stmt in self.in_walk_order(stmts):
            self.origin = getattr(stmt, "srcad_origin", self.origin)
            out.extend(self.statement(stmt, state, out))
        return out

    @staticmethod
    def in_walk_order(stmts):
        return stmts

    def statement(self, stmt, state, out_so_far):
        """One statement, to the mode's method for its kind; anything else is refused unless
        it has no derivative to carry."""
        if isinstance(stmt, gast.Assign):
            return self.assignment(stmt, state)
        if isinstance(stmt, gast.If):
            if getattr(stmt, "srcad_loop_exit", False):
                exit_code = self.loop_exit(stmt, state, out_so_far)
                if exit_code is not None:
                    return exit_code
            return self.branch(stmt, state)
        if isinstance(stmt, (gast.For, gast.While)):
            return self.loop(stmt, state)
        if isinstance(stmt, gast.Expr):
            return self.expression_statement(stmt, state)
        refuse_unlowered_jump(self.fn, stmt)
        return without_derivative(self.fn, stmt, [clone(stmt)] if self.emits_primal else [])

    def expression_statement(self, stmt, state):
        """A call whose value is not kept: a list or tape that grows (``grow``: ``append``,
        ``insert``, ``push``), a derivative buffer updated in place (``accumulation``: generated
        code's ``add_at``), or another call (``call_statement``)."""
        if appended(stmt) is not None:
            return self.grow(stmt, state)
        if accumulation(self.fn, stmt, self.local_names) is not None:
            return self.accumulation(stmt, state)
        return self.call_statement(stmt, state)

    def branch(self, stmt, state):
        """``if``: each branch walked from the same state, the two joined, the test kept."""
        body_state, else_state = state.copy(), state.copy()
        body = self.block(stmt.body, body_state)
        orelse = self.block(stmt.orelse, else_state)
        self.join_branches(stmt, state, (body_state, body), (else_state, orelse))
        self.origin = getattr(stmt, "srcad_origin", self.origin)
        node = gast.If(test=clone(stmt.test), body=body or [gast.Pass()], orelse=orelse)
        return [located(node, self.origin)]

    def join_branches(self, stmt, state, body, orelse):
        """Make ``state`` what holds after the branch, from ``(state, statements)`` of each."""
        raise NotImplementedError

    def loop(self, stmt, state):
        """``for`` or ``while``: the body walked from an entry state that widens until what one
        iteration leaves is what the next starts from (the derivatives carried around the
        loop are then known), the names and callees of a discarded attempt forgotten. The
        mode says how an attempt starts (``loop_trial``), what changed (``loop_change``, None
        once settled), how the entry widens (``widen_loop``), what holds after the loop
        (``leave_loop``) and the statements the loop becomes (``loop_statements``)."""
        entry, before = state.copy(), []
        snapshot, callees = set(self.names.taken), list(self.callees)
        while True:
            trial = self.loop_trial(stmt, entry)
            self.exits.append([])
            body = self.block(stmt.body, trial)
            exits = self.exits.pop()
            change = self.loop_change(state, entry, trial, body, exits)
            if change is None:
                break
            # forget the names of the discarded attempt, not those other statements hold on to
            self.names.taken = set(snapshot) | set(self.derivative_names.values()) | self.kept_names
            self.callees = list(callees)
            self.widen_loop(entry, change, before)
        self.leave_loop(stmt, state, entry, (trial, body, exits), before)
        self.origin = getattr(stmt, "srcad_origin", self.origin)
        return before + self.loop_statements(stmt, body or [gast.Pass()])

    @staticmethod
    def loop_trial(stmt, entry):
        return entry.copy()

    # -- values ----------------------------------------------------------------
    judges_indices = True  # whether an index that carries a derivative is refused (see item)

    def assigned_value(self, site):
        """``y = value``, by the form of ``value``, once for both modes: what carries no
        derivative (:meth:`constant_call`), another variable (``alias``), a tuple, list or
        dict built of items (``container``, with each item's key), an item of a variable
        (:meth:`item`), or an operation (:meth:`operation`)."""
        value = site.value
        if not self.carries(value, site.state):
            return self.constant_call(site)
        if isinstance(value, gast.Name):
            return self.alias(site)
        if isinstance(value, (gast.Tuple, gast.List)):
            return self.container(site, [(constant(index), item) for index, item in enumerate(value.elts)])
        if isinstance(value, gast.Dict):
            return self.container(site, list(zip(value.keys, value.values)))
        if isinstance(value, gast.Subscript) and isinstance(value.value, gast.Name) \
                and classify(self.fn, value, self.local_names).function is operator.getitem:
            return self.item(site)
        return self.operation(site)

    def item(self, site):
        """``y = x[i]``: an index only selects, so ``y``'s derivative is the item of ``x``'s
        (``selected_item``). Where ``x`` carries none, a derivative the index carries would
        be dropped (a local ``np.r_`` computes something): refused (in code srcad generated,
        which the mode may not judge so, a value popped from a tape carries one anyway)."""
        source, carrying = site.value.value.id, self.carrying(site.state)
        if source in carrying:
            return self.selected_item(site)
        if self.judges_indices:
            refuse_active_index(self.fn, site.stmt, site.value.slice, carrying)
        return self.constant_call(site)

    # -- calls -----------------------------------------------------------------
    def carrying(self, state):
        """The variables whose derivative may be nonzero at ``state``."""
        raise NotImplementedError

    def carries(self, expr, state):
        """Whether a derivative can flow into ``expr`` (a value of constants, such as
        ``np.sin(z).copy()`` with ``z`` constant, is not even classified)."""
        return bool(flowing_names(expr) & self.carrying(state))

    def operation(self, site):
        """``y = op(...)``: what ``op`` is, told apart once for both modes, and the mode's
        emitter for that kind. A call that spreads a sequence, of a callable known only at
        run time, of a method of a constant object or of a checkpointed function is dispatched
        when the code runs; a call with a rule inlines it; a Python function is transformed;
        anything else is refused. The mode may take a call first (:meth:`special_call`)."""
        operation = classify(self.fn, site.value, self.local_names)
        if operation is None or operation.nondifferentiable:
            return self.constant_call(site)
        operation.function = binary_function(self.kinds, site.value, operation.function)
        site.operation = operation
        special = self.special_call(site)
        if special is not NOT_SPECIAL:
            return special
        if any(isinstance(arg, gast.Starred) for arg in site.operation.args):
            return self.spread_call(site)
        if self.dispatched_at_run_time(site):
            return self.run_time_call(site)
        rule = self.rule_of(site.operation.function)
        if rule is None and self.transforms(site.operation.function):
            return self.user_call(site)
        if rule is None:
            raise self.missing_rule(site.stmt, site.operation, site.value)
        template = Template.of(rule)
        return self.rule_call(site, template, template.bind_operation(site.operation, self.fn.where(site.stmt)))

    def dispatched_at_run_time(self, site):
        """Whether the function a call runs is chosen only when the code runs."""
        value, operation = site.value, site.operation
        return known_at_run_time_only(value, operation, self.local_names) \
            or method_of_a_constant(value, operation, self.local_names, self.carrying(site.state)) \
            or getattr(operation.function, "srcad_checkpoint", False)

    def special_call(self, site):
        """A call the mode differentiates its own way, before the walker classifies it: what
        the mode emits for it, or ``NOT_SPECIAL``."""
        return NOT_SPECIAL

    def bound_arguments(self, operation, stmt):
        """The arguments of a call of the Python function ``operation.function``, bound to
        its parameters (``inspect.BoundArguments``); a call that does not fit is refused."""
        try:
            return inspect.signature(operation.function).bind(*operation.args, **operation.keywords)
        except (TypeError, ValueError) as error:
            raise NonDifferentiableError(f"cannot differentiate the call to {operation.label}: it does not match "
                                         f"the function's signature: {error}", self.fn.locate(stmt)) from None

    def bound_parameters(self, site):
        """A call of a Python function bound to its parameters: ``(arguments, carried)``, each
        parameter's name with what the call passes it (its default where it passes nothing),
        and the ``(parameter, variable)`` pairs whose variable carries a derivative. A call
        that does not fit, or of a function with ``*args`` or ``**kwargs``, is refused."""
        bound = self.bound_arguments(site.operation, site.stmt)
        bound.apply_defaults()
        arguments = []
        for parameter in bound.signature.parameters.values():
            if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
                raise NonDifferentiableError(
                    f"cannot differentiate the call to {site.operation.label}: srcad differentiates functions "
                    f"without *args and **kwargs parameters", self.fn.locate(site.stmt))
            arguments.append((parameter.name, bound.arguments[parameter.name]))
        carrying = self.carrying(site.state)
        carried = [(parameter, value) for parameter, value in arguments
                   if isinstance(value, gast.Name) and value.id in carrying]
        return arguments, carried

    def missing_rule(self, stmt, operation, value):
        """The refusal of a call (``value``, at ``stmt``) that no rule covers and that has no
        source to transform, saying why and what to do."""
        label = operation.label or getattr(operation.function, "__name__", "this call")
        method_of = value.func.value if isinstance(value, gast.Call) and isinstance(value.func, gast.Attribute) \
            else None
        module = getattr(operation.function, "__module__", None) or ""
        hint = no_rule_hint(label, self.rule_decorator)
        if operation.function is UNKNOWN and isinstance(method_of, gast.Name):
            label = f"{method_of.id}.{value.func.attr}()"
            why = (f"it is a method of {method_of.id}, an object srcad cannot see into (an instance of "
                   f"a class, not an array)")
            hint = "call a plain function of arrays instead"
        elif operation.function is UNKNOWN:
            why = "srcad cannot tell what it calls"
        elif module.startswith("srcad."):
            why = (f"it is a helper of srcad's generated code without a {self.rule_kind} rule yet (second "
                   f"derivatives through the function whose rule calls {label} are not supported)")
        else:
            why = not_transformed_because(operation.function) or \
                f"it has no {self.rule_kind} rule and no Python source to transform"
        return NonDifferentiableError(f"cannot differentiate {label}{self.mode_phrase}: {why}", self.fn.locate(stmt),
                                      hint)
