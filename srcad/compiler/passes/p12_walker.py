"""What reverse and forward mode share when they walk a function in A-normal form.

Both modes visit the same statements (``p12_reverse`` backwards, ``p12_forward`` in order)
and, for each, emit the statements of its derivative. A :class:`Walker` holds what does not
depend on the mode: the walk over a block and the kinds of statement, the names of
derivatives (``d_x`` or ``t_x``), the helpers generated code calls, the user's line each
emitted statement comes from, the structure of a branch, the binding of a call's arguments
to a Python function's parameters, and the refusal of what no rule covers. Each mode is a
subclass that supplies what it emits for each kind of statement (``assignment``,
``expression_statement``, ``loop``, ``loop_exit``), what one branch must add so that both
leave the same derivatives defined (``join_branches``), the order of the walk, and the
rule kind and decorator its messages name.
"""
import inspect

import gast

from ...errors import NonDifferentiableError, no_rule_hint
from ..inline import Inliner
from ..resolve import UNKNOWN, not_transformed_because
from ..syntax import clone, located, name
from .p02_language import without_derivative
from .p06_jumps import refuse_unlowered_jump


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

    def derivative_name(self, var):
        """The name of ``var``'s derivative: ``d_var`` or ``t_var``, fresh once, then kept."""
        if var not in self.derivative_names:
            self.derivative_names[var] = self.names.fresh(self.prefix + var)
        return self.derivative_names[var]

    def helper(self, identifier, obj):
        """A name for the runtime helper ``obj``, bound in the generated module."""
        return name(self.namespace.bind(identifier, obj))

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

    # -- calls -----------------------------------------------------------------
    def bound_arguments(self, operation, stmt):
        """The arguments of a call of the Python function ``operation.function``, bound to
        its parameters (``inspect.BoundArguments``); a call that does not fit is refused."""
        try:
            return inspect.signature(operation.function).bind(*operation.args, **operation.keywords)
        except (TypeError, ValueError) as error:
            raise NonDifferentiableError(f"cannot differentiate the call to {operation.label}: it does not match "
                                         f"the function's signature: {error}", self.fn.locate(stmt)) from None

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
