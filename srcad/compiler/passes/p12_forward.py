"""Forward mode: the output and its tangent in one sweep, no tape.

After the shared passes (read, desugar, A-normal form: ``pipeline.Pipeline``)
the statements are walked in order. After each primal statement
``y = op(x1, x2)`` comes its tangent ``t_y = ...``: the op's ``@tangent``
template inlined with ``d[x]`` replaced by ``t_x``. A variable's tangent is
named ``t_<variable>`` (``t_h`` is the tangent of ``h``, ``t_d_W`` of ``d_W``);
the ``d_`` prefix is left to adjoints, so a Hessian-vector product, which is
the tangent of a gradient, reads ``t_d_W``.

Zeros are symbolic (``compiler/tangent_zeros.py``). An argument that carries
no tangent reads as a zero in the template, and the template simplifies; a
variable whose tangent is zero gets no code at all. When dropping a term could
leave a smaller shape than the result's (a broadcasting ``+``), the tangent is
wrapped in ``broadcast_like(t, y)``, only where the shape classes cannot show
the shapes are equal.

What both modes share (the walk, the kinds of value and call, branches and
loops) is ``p12_walker.Walker``; this module says what forward mode emits.

Control flow keeps its structure: branches and loops hold their tangent
statements next to their primal ones. Where a tangent is zero on one path and
not on another, it is set to an explicit zero on the first path, so every
path leaves it defined.

Generated code is differentiated like user code. Its tape is a value like
any other: the tangent of ``tape`` is a second tape ``t_tape`` that holds the
tangents of what ``tape`` holds, so ``tape.push(h)`` is followed by
``t_tape.push(t_h)`` and ``h = tape.pop()`` by ``t_h = t_tape.pop()``.
``add_at(d_x, i, g)``, which updates a gradient buffer in place, is followed
by the same update of the buffer's tangent.

A call to a Python function without a rule (a user function, a helper, a
``srcad.grad`` derivative) calls that function's own forward-mode version:
``y, t_y = jvp_g(x, t_x)``.
"""
import inspect
import numbers

import gast
import numpy as np

from .p11_activity import flowing_names, refuse_carrying_callee
from .p09_anf import hint
from ..inline import Contribution
from .p01_parse import filename_is_generated
from .p10_kinds import Kinds
from ..resolve import UNKNOWN, classify, is_user_function, resolve_expression
from ...rules import registry
from ...runtime.accumulate import add_at, zeros_buffer
from ...runtime.dispatch import call_backward, call_forward
from ...runtime.forward import attribute_tangent, broadcast_like, call_backward_jvp, call_forward_jvp, call_jvp, \
    fresh_copy, no_tangents
from ...runtime.numeric import zeros_like
from ...runtime.tape import Tape
from .p13_shapes import SCALAR, ShapeClasses, loop_targets
from ..tangent_zeros import ZERO, TangentShapes, Zeros, zero
from ..syntax import appended, assign, assigned_variables, call, clone, constant, expr_stmt, function_def, located, name, \
    names_loaded, names_stored, substitute
from .p12_walker import NOT_SPECIAL, Site, Walker
from ..pipeline import Pipeline, all_callees, finish, is_stale

TANGENT_PREFIX = "t_"


def forward_function(func, wrt_names, *, optimize=True, tangent_only=False, prefix="jvp_", record=None):
    """Generate, compile and return the forward-mode derivative of ``func``.

    The generated function takes ``func``'s parameters (all positional, no
    defaults) followed by one tangent per name of ``wrt_names``, and returns
    ``(output, output_tangent)``, or only the tangent with ``tangent_only``.
    """
    key = (func, tuple(wrt_names))
    cacheable = optimize and not tangent_only and prefix == "jvp_" and record is None
    if not cacheable:
        return _generate(func, list(wrt_names), optimize, tangent_only, prefix, record, None)
    if key not in _GENERATED or is_stale(_GENERATED[key]):
        _IN_PROGRESS[key] = _variant_name(func)  # a recursive call finds its function by this name
        try:
            _GENERATED[key] = _generate(func, list(wrt_names), optimize, tangent_only, prefix, record, key)
        finally:
            del _IN_PROGRESS[key]
    return _GENERATED[key]


_GENERATED = {}
_IN_PROGRESS = {}
_VARIANTS = {}


def _variant_name(func):
    """``jvp_f`` for the first forward-mode function of ``f``, then ``jvp_f_2``
    (``f`` called with other arguments carrying tangents), ..."""
    label = "jvp_" + _label(func)
    try:
        count = _VARIANTS[func] = _VARIANTS.get(func, 0) + 1
    except TypeError:
        count = 1
    return label if count == 1 else f"{label}_{count}"


def _label(func):
    label = getattr(func, "__name__", None) or getattr(getattr(func, "__wrapped__", None), "__name__", "f")
    return label if label.isidentifier() else "f"


def _generate(func, wrt, optimize, tangent_only, prefix, record, key):
    pipeline = Pipeline(func, wrt, record)
    pipeline.location = _user_location(pipeline)
    fn, names, namespace = pipeline.fn, pipeline.names, pipeline.namespace
    body, output = pipeline.split_return()
    node = fn.node
    function_name = names.reserve(_IN_PROGRESS[key]) if key is not None else names.fresh(prefix + node.name)
    params = [a.id for a in node.args.posonlyargs + node.args.args + node.args.kwonlyargs]
    classes = ShapeClasses(fn, body, params, pipeline.local_names, loop_targets(body), namespace.objects)
    forward = Forward(pipeline, classes, key, function_name)
    forward.find_carriers(node, wrt)
    tangents = [forward.t(w) for w in wrt]
    state = State(nonzero=wrt, must=params, maybe=params)
    stmts = forward.block(body, state)
    forward.origin = getattr(output, "srcad_origin", None)
    output_tangent = forward.tangent_value(output, state)
    result = output_tangent if tangent_only else gast.Tuple(elts=[output, output_tangent], ctx=gast.Load())
    returned = located(gast.Return(value=result), _last_origin(body))
    generated_node = function_def(function_name, params + tangents)
    generated_node.body = stmts + [returned]
    pipeline.snapshot("forward mode", generated_node)
    generated = finish(pipeline, [(generated_node, names_loaded(returned))], optimize)
    generated.callees = forward.callees
    callee_sources = []
    for callee in all_callees(forward.callees):
        if callee.source not in callee_sources:
            callee_sources.append(callee.source)
    generated.source = "\n\n".join([generated.source] + callee_sources)
    return generated


def _user_location(pipeline):
    """Where a line comes from: in generated code read back (an HVP reads the
    gradient's code), the user's line that line's own comment names."""
    fn, plain = pipeline.fn, pipeline.location

    def location(origin):
        if not filename_is_generated(fn.filename):
            return plain(origin)
        text = fn.line_text(origin)
        comment = text.rsplit("#", 1)[1].strip() if "#" in text else ""
        return comment if comment and " " not in comment else None

    return location


def _last_origin(body):
    for stmt in reversed(body):
        if getattr(stmt, "srcad_origin", None):
            return stmt.srcad_origin
    return None


class State:
    """What is known at a point of the forward sweep: which variables have a
    tangent variable holding a value (``nonzero``; the others' tangents are
    zero), which tangents are arrays only srcad refers to (``owned``: safe to
    update in place), and which variables surely (``must``) or possibly
    (``maybe``) exist."""

    def __init__(self, nonzero=(), owned=(), must=(), maybe=()):
        self.nonzero = set(nonzero)
        self.owned = set(owned)
        self.must = set(must)
        self.maybe = set(maybe)

    def copy(self):
        return State(self.nonzero, self.owned, self.must, self.maybe)

    def assigned(self, variables):
        self.must.update(variables)
        self.maybe.update(variables)


class Forward(Walker):
    """Builds the forward sweep of one function in A-normal form."""

    prefix = TANGENT_PREFIX
    rule_kind = "tangent"
    rule_decorator = "tangent"
    strong_zeros = "forward"
    mode_phrase = " in forward mode"
    emits_primal = True

    def __init__(self, pipeline, classes, key=None, function_name=None):
        super().__init__(pipeline.fn, pipeline.names, pipeline.namespace, pipeline.local_names)
        self.key = key
        self.function_name = function_name
        self.classes = classes
        self.shapes = TangentShapes(classes, self.resolve)
        self.kinds = Kinds(pipeline.fn, pipeline.fn.node, pipeline.local_names, pipeline.namespace.objects)
        self.carriers = set()
        self.tapes = set()

    # -- names ------------------------------------------------------------
    t = Walker.derivative_name  # t(x) is "t_x", the name of x's tangent

    def tangent_name(self, var):
        node = name(self.t(var))
        node.srcad_tangent = var
        return node

    def zeros_helper(self):
        """``zeros_like``: NumPy-style zeros of a value's shape (in generated code read
        back, the name may already stand for the reverse mode's ``zeros_buffer``)."""
        if self.namespace.objects.get("zeros_like") is zeros_buffer:
            return name("zeros_like")
        return self.helper("zeros_like", zeros_like)

    def emit(self, out, stmt):
        out.append(located(self.without_defaults(stmt), self.origin))

    def without_defaults(self, node):
        """Drop keyword arguments a template passes with the callee's default value
        (``np.sum(t, axis=None, keepdims=False)`` is ``np.sum(t)``)."""
        for n in gast.walk(node):
            if isinstance(n, gast.Call) and n.keywords:
                defaults = _defaults(self.resolve(n.func))
                n.keywords = [k for k in n.keywords if not (
                    k.arg in defaults and isinstance(k.value, gast.Constant)
                    and type(k.value.value) is type(defaults[k.arg]) and k.value.value == defaults[k.arg])]
        return node

    def resolve(self, func):
        """The object a callee expression names: a helper bound in the generated
        module, or a global of the function."""
        if isinstance(func, gast.Name) and func.id not in self.local_names and func.id in self.namespace.objects:
            return self.namespace.objects[func.id]
        return resolve_expression(self.fn, func, self.local_names)

    # -- which values carry a tangent at all (flow-insensitive) -------------
    def find_carriers(self, node, wrt):
        """Variables that may carry a tangent somewhere, counting values that go
        through a tape (``tape.push(v)``) or into a buffer (``add_at``). Tapes
        among them get a tangent tape."""
        flows = []
        for stmt in gast.walk(node):
            if isinstance(stmt, gast.Assign):
                targets = set(assigned_variables(stmt))
                if self.is_tape_constructor(stmt.value) and isinstance(stmt.targets[0], gast.Name):
                    self.tapes.add(stmt.targets[0].id)
                flows.append((targets, self.sources(stmt.value)))
            elif isinstance(stmt, gast.Expr) and isinstance(stmt.value, gast.Call):
                receiver, argument = self.stored_value(stmt.value)
                if receiver is not None:
                    flows.append(({receiver}, flowing_names(argument)))
                growth = appended(stmt)
                if receiver is None and growth is not None:
                    flows.append(({growth[0]}, flowing_names(growth[1])))
        carriers = set(wrt)
        changed = True
        while changed:
            changed = False
            for targets, sources in flows:
                if sources & carriers and not targets <= carriers:
                    carriers |= targets
                    changed = True
        self.carriers = carriers
        self.tapes &= carriers

    def sources(self, value):
        operation = classify(self.fn, value, self.local_names)
        if operation is not None and operation.nondifferentiable:
            return set()
        if isinstance(value, gast.Call):
            found = set()
            for arg in list(value.args) + [k.value for k in value.keywords]:
                found |= flowing_names(arg)
            if isinstance(value.func, gast.Attribute):
                found |= flowing_names(value.func.value)
            return found
        return flowing_names(value)

    def is_tape_constructor(self, value):
        return isinstance(value, gast.Call) and not value.args and self.resolve(value.func) is Tape

    def method(self, value, *methods):
        """``(variable, method)`` for a call ``variable.method(...)`` of one of ``methods``."""
        if isinstance(value, gast.Call) and isinstance(value.func, gast.Attribute) \
                and value.func.attr in methods and isinstance(value.func.value, gast.Name) \
                and value.func.value.id in self.local_names and not value.keywords:
            return value.func.value.id, value.func.attr
        return None, None

    def stored_value(self, value):
        """For ``add_at(buffer, index, v)``: (buffer, v)."""
        if self.resolve(value.func) is add_at and len(value.args) == 3 and isinstance(value.args[0], gast.Name):
            return value.args[0].id, value.args[2]
        return None, None

    # -- zeros --------------------------------------------------------------
    def zeros_of(self, like):
        """An explicit zero tangent for a value ``like`` (an expression)."""
        if isinstance(like, gast.Constant) or like is None:
            value = getattr(like, "value", None)
            return constant(0.0) if isinstance(value, numbers.Number) and not isinstance(value, bool) \
                else constant(None)
        if isinstance(like, gast.Name) and self.classes.classes.get(like.id) == SCALAR:
            return constant(0.0)
        return call(self.zeros_helper(), clone(like))

    def materialize(self, var, state, out):
        """Give ``var`` an explicit zero tangent, where the path has left it zero."""
        if var in state.must:
            value = self.zeros_of(name(var))
            if not isinstance(value, gast.Constant):
                state.owned.add(var)
        elif var in state.maybe:
            value = constant(0.0)  # the variable may not exist here: a shapeless zero
        else:
            state.nonzero.add(var)
            return
        self.emit(out, assign(self.t(var), value))
        state.nonzero.add(var)

    def tangent_value(self, expr, state):
        """The tangent of an operand as an expression, zeros made explicit."""
        if isinstance(expr, gast.Name) and expr.id in state.nonzero:
            return name(self.t(expr.id))
        return self.zeros_of(expr)

    # -- statements -------------------------------------------------------------
    def loop_exit(self, stmt, state, out_so_far):
        """Leaving a loop early: the tangents are settled just before (see :meth:`loop`)."""
        if not self.exits:
            return None  # generated code read back: an ``if`` like any other
        self.exits[-1].append((out_so_far, len(out_so_far), state.copy()))
        return [clone(stmt)]

    # -- assignments ----------------------------------------------------------
    def assignment(self, stmt, state):
        out = []
        target, value = stmt.targets[0], stmt.value
        value = self.atomize(value, state, out)
        if isinstance(target, gast.Subscript):
            out.extend(self.store(stmt, target, value, state))
            return out
        if isinstance(target, (gast.Tuple, gast.List)):
            out.extend(self.unpacking(stmt, target, value, state))
            return out
        var = target.id
        if var in names_loaded(value) and self.carries(value, state):
            # ``x = f(x)``: the tangent reads the old x, so the new value waits in a temporary
            fresh = self.names.fresh(var + "_new")
            out.extend(self.assignment(located(assign(fresh, value), getattr(stmt, "srcad_origin", None)), state))
            out.extend(self.assignment(located(assign(var, name(fresh)), getattr(stmt, "srcad_origin", None)), state))
            return out
        primal = located(clone(stmt), getattr(stmt, "srcad_origin", None))
        primal.value = clone(value)
        tangent = self.assignment_tangent(var, value, state, out, primal)
        state.assigned([var])
        state.owned.discard(var)
        if tangent is None:
            state.nonzero.discard(var)
            return out
        if tangent is not _DONE:
            self.emit(out, assign(self.t(var), tangent))
            if isinstance(tangent, (gast.BinOp, gast.UnaryOp)) or isinstance(tangent, gast.Call) \
                    and self.resolve(tangent.func) is fresh_copy:
                state.owned.add(var)  # a new array: it may be written into in place
        state.nonzero.add(var)
        return out

    def store(self, stmt, target, value, state):
        """``y[i] = v``: ``t_y[i] = t_v``, on a tangent array no other variable shares."""
        out = []
        primal = located(clone(stmt), getattr(stmt, "srcad_origin", None))
        primal.value = clone(value)
        base = target.value.id
        carries = isinstance(value, gast.Name) and value.id in state.nonzero
        if base not in state.nonzero:
            out.append(primal)
            if not carries:
                return out
            self.emit(out, assign(self.t(base), self.zeros_of(name(base))))
        else:
            self.make_writable(base, state, out)
            out.append(primal)
        state.nonzero.add(base)
        state.owned.add(base)
        written = gast.Subscript(value=name(self.t(base)), slice=clone(target.slice), ctx=gast.Store())
        self.emit(out, gast.Assign(targets=[written], value=name(self.t(value.id)) if carries else constant(0.0),
                                   type_comment=None))
        return out

    @staticmethod
    def carrying(state):
        return state.nonzero

    def assignment_tangent(self, var, value, state, out, primal):
        """Emit the primal statement and what its tangent needs; return the tangent
        expression, None for a zero tangent, or _DONE when already assigned."""
        if self.is_tape_constructor(value):
            out.append(primal)
            if var in self.tapes:
                self.emit(out, assign(self.t(var), call(self.helper("Tape", Tape))))
                return _DONE
            return None
        sequence, _ = self.method(value, "pop")
        if sequence is not None:
            # what the tape (or list) held: its tangent holds that value's tangent
            out.append(primal)
            if sequence not in state.nonzero:
                return None
            pop = assign(self.t(var), call(gast.Attribute(value=name(self.t(sequence)), attr="pop", ctx=gast.Load()),
                                           *[clone(a) for a in value.args]))
            pop.srcad_keep = True
            self.emit(out, pop)
            return _DONE
        return self.assigned_value(Site(primal, var, value, state, out))

    def alias(self, site):
        site.out.append(site.stmt)
        return name(self.t(site.value.id))

    def container(self, site, items):
        """The same container of the items' tangents."""
        site.out.append(site.stmt)
        tangents = [self.tangent_value(item, site.state) for _, item in items]
        if isinstance(site.value, gast.Dict):
            return gast.Dict(keys=[clone(key) for key, _ in items], values=tangents)
        return type(site.value)(elts=tangents, ctx=gast.Load())

    @property
    def judges_indices(self):
        return not filename_is_generated(self.fn.filename)

    def selected_item(self, site):
        site.out.append(site.stmt)
        return gast.Subscript(value=name(self.t(site.value.value.id)), slice=clone(site.value.slice), ctx=gast.Load())

    def unpacking(self, stmt, target, value, state):
        primal = located(clone(stmt), getattr(stmt, "srcad_origin", None))
        primal.value = clone(value)
        out = [primal]
        variables = [n.id for n in gast.walk(target) if isinstance(n, gast.Name)]
        state.assigned(variables)
        state.owned.difference_update(variables)
        if isinstance(value, gast.Name) and value.id in state.nonzero:
            renamed = clone(target)
            for n in gast.walk(renamed):
                if isinstance(n, gast.Name):
                    n.id = self.t(n.id)
            self.emit(out, gast.Assign(targets=[renamed], value=name(self.t(value.id)), type_comment=None))
            state.nonzero.update(variables)
        else:
            state.nonzero.difference_update(variables)
        return out

    def atomize(self, value, state, out):
        """Make each operand of ``value`` that carries a tangent a name, as A-normal
        form does (generated code read back may hold larger expressions)."""
        if isinstance(value, (gast.Compare, gast.BoolOp)) or not self.carries(value, state):
            return value

        def operand(expr):
            if isinstance(expr, (gast.Name, gast.Constant)) or not self.carries(expr, state):
                return expr
            if isinstance(expr, gast.Starred):
                return gast.Starred(value=operand(expr.value), ctx=gast.Load())
            temp = self.names.fresh(hint(expr))
            out.extend(self.assignment(located(assign(temp, expr), self.origin), state))
            return name(temp)

        value = clone(value)
        if isinstance(value, gast.BinOp):
            value.left, value.right = operand(value.left), operand(value.right)
        elif isinstance(value, gast.UnaryOp):
            value.operand = operand(value.operand)
        elif isinstance(value, gast.Call):
            if isinstance(value.func, gast.Attribute):
                value.func.value = operand(value.func.value)
            value.args = [operand(a) for a in value.args]
            for keyword in value.keywords:
                keyword.value = operand(keyword.value)
        elif isinstance(value, (gast.Attribute, gast.Subscript)):
            value.value = operand(value.value)
        elif isinstance(value, (gast.Tuple, gast.List)):
            value.elts = [operand(e) for e in value.elts]
        elif isinstance(value, gast.Dict):
            value.values = [operand(v) for v in value.values]
        return value

    # -- calls: what forward mode emits for each kind the walker tells apart -------
    rule_of = staticmethod(registry.tangent_of)

    @staticmethod
    def transforms(function):
        return _readable(function)

    @staticmethod
    def constant_call(site):
        site.out.append(site.stmt)
        return None

    def special_call(self, site):
        """A copy (whose tangent is a copy too), reverse-mode code's run-time dispatch, an
        attribute of an object, and a checkpointed function (forward mode keeps nothing anyway)."""
        operation, value = site.operation, site.value
        if _is_one_of(operation.function, _COPIES) and len(operation.args) == 1 \
                and not isinstance(operation.args[0], gast.Starred):
            # the primal copies so that later writes into one leave the other: so must the tangent
            site.out.append(site.stmt)
            source = operation.args[0]
            if isinstance(source, gast.Name) and source.id in site.state.nonzero:
                return call(self.helper("fresh_copy", fresh_copy), name(self.t(source.id)))
            return None
        if _is_one_of(operation.function, (call_forward, call_backward)):
            return self.dispatched_call(site)
        if operation.function is UNKNOWN and isinstance(value, gast.Attribute) and isinstance(value.value, gast.Name):
            # an attribute of an object (self.weights, params.W): the same attribute of its tangent
            site.out.append(site.stmt)
            return call(self.helper("attribute_tangent", attribute_tangent), name(self.t(value.value.id)),
                        clone(value.value), constant(value.attr))
        while getattr(operation.function, "srcad_checkpoint", False):
            operation.function = operation.function.__wrapped__
        return NOT_SPECIAL

    def rule_call(self, site, template, mapping):
        """The tangent template inlined, zero tangents simplified away: the tangent expression."""
        var, value, state, out = site.var, site.value, site.state, site.out
        out.append(site.stmt)

        def derivative(target):
            if isinstance(target, gast.Name) and target.id in state.nonzero:
                return self.tangent_name(target.id)
            return zero(target)

        items = self.inliner.inline(template, mapping, name(var), derivative)
        zero_locals = {}
        tangent = None
        zeros = Zeros(self)
        for item in items:
            if isinstance(item, Contribution):
                contribution, kind = zeros.top(substitute(item.value, zero_locals))
                if kind != ZERO:
                    tangent = contribution if tangent is None else gast.BinOp(
                        left=tangent, op=gast.Add(), right=contribution)
                continue
            if isinstance(item, gast.Assign) and isinstance(item.targets[0], gast.Name):
                item.value, kind = Zeros(self).visit(substitute(item.value, zero_locals))
                if kind == ZERO:
                    zero_locals[item.targets[0].id] = zero(None)
                    continue
            self.emit(out, item)
        if tangent is None:
            return None
        if zeros.dropped and not self.shapes.keeps_shape(zeros.dropped, tangent, var, value):
            tangent = call(self.helper("broadcast_like", broadcast_like), tangent, name(var))
        return tangent

    # -- calls to Python functions ----------------------------------------------
    def user_call(self, site):
        """``y = g(x)`` for a Python function ``g``: ``y, t_y = jvp_g(x, t_x)``."""
        callee, var = site.operation.function, site.var
        arguments, carried = self.bound_parameters(site)
        if not carried:
            site.out.append(site.stmt)
            return None
        key = (callee, tuple(parameter for parameter, _ in carried))
        if key == self.key:
            callee_name = name(self.function_name)  # a recursive call: the function being written
        else:
            function, generated = _forward_callee(key)
            if generated is not None and all(generated is not c for c in self.callees):
                self.callees.append(generated)
            callee_name = self.helper(function.__name__, function)
        args = [self.argument_node(callee, parameter, value) for parameter, value in arguments]
        args += [name(self.t(variable.id)) for _, variable in carried]
        self.replace_primal(site, call(callee_name, *args))
        return _DONE

    def run_time_call(self, site):
        """``y = act(z)`` with ``act`` known only when the code runs (an argument, a list
        item): ``y, t_y = call_jvp(act, (z,), (t_z,))`` finds or makes its forward mode then."""
        value = site.value
        refuse_carrying_callee(self.fn, site.stmt, value, site.state.nonzero)
        args = self.arguments_and_tangents(value.args, value.keywords, site.state)
        self.replace_primal(site, call(self.helper("call_jvp", call_jvp), clone(value.func), *args))
        return _DONE

    spread_call = run_time_call  # call_jvp spreads the tangents of ``*xs`` too

    def dispatched_call(self, site):
        """Reverse-mode code's calls of functions known only at run time:
        ``call_forward(f, wrt, *args)`` and ``call_backward(saved, d_y)`` become
        ``call_forward_jvp`` and ``call_backward_jvp``, which run the forward mode of
        the sweeps ``call_forward`` would choose."""
        value, state = site.value, site.state
        if site.operation.function is call_forward:
            function, wrt, *args = value.args
            arguments = self.arguments_and_tangents(args, value.keywords, state)
            replacement = call(self.helper("call_forward_jvp", call_forward_jvp), clone(function), clone(wrt),
                               *arguments)
        else:
            saved, d_y = value.args
            replacement = call(self.helper("call_backward_jvp", call_backward_jvp), clone(saved),
                               self.tangent_or_none(saved, state), clone(d_y), self.tangent_or_none(d_y, state))
        self.replace_primal(site, replacement)
        return _DONE

    def replace_primal(self, site, pair):
        """``y, t_y = pair``: a call that computes the value and its tangent, in place of the primal."""
        stmt = assign([site.var, self.t(site.var)], pair)
        site.out.append(located(stmt, getattr(site.stmt, "srcad_origin", None)))

    def arguments_and_tangents(self, args, keywords, state):
        """A call's arguments and their tangents as ``call_jvp`` takes them: a tuple of the
        positional arguments, a tuple of their tangents (None: no tangent; a spread ``*xs``
        spreads its items' tangents), then the same two as dicts for keyword arguments."""
        def tangent(arg):
            if isinstance(arg, gast.Starred):
                items = arg.value
                if isinstance(items, gast.Name) and items.id in state.nonzero:
                    return gast.Starred(value=name(self.t(items.id)), ctx=gast.Load())
                return gast.Starred(value=call(self.helper("no_tangents", no_tangents), clone(items)),
                                    ctx=gast.Load())
            return self.tangent_or_none(arg, state)

        arguments = [gast.Tuple(elts=[clone(a) for a in args], ctx=gast.Load()),
                     gast.Tuple(elts=[tangent(a) for a in args], ctx=gast.Load())]
        if keywords:
            keys = [constant(k.arg) for k in keywords]
            arguments.append(gast.Dict(keys=keys, values=[clone(k.value) for k in keywords]))
            arguments.append(gast.Dict(keys=[clone(k) for k in keys],
                                       values=[self.tangent_or_none(k.value, state) for k in keywords]))
        return arguments

    def tangent_or_none(self, arg, state):
        """``t_arg`` when ``arg`` carries a tangent, else ``None``."""
        return name(self.t(arg.id)) if isinstance(arg, gast.Name) and arg.id in state.nonzero else constant(None)

    def argument_node(self, callee, parameter, value):
        if isinstance(value, gast.AST):
            return value
        if value is None or isinstance(value, (bool, int, float, str)):
            return constant(value)
        return self.helper(f"{getattr(callee, '__name__', 'f')}_{parameter}", value)

    # -- expression statements: tapes and buffers ---------------------------------
    @staticmethod
    def primal_statement(stmt):
        return located(clone(stmt), getattr(stmt, "srcad_origin", None))

    def call_statement(self, stmt, state):
        """The call as written; a tape's ``pop()`` whose value is dropped pops its tangent tape too."""
        out = [self.primal_statement(stmt)]
        sequence, method = self.method(stmt.value, "pop") if isinstance(stmt.value, gast.Call) else (None, None)
        if method == "pop" and not stmt.value.args and sequence in state.nonzero:
            self.emit(out, expr_stmt(call(gast.Attribute(value=name(self.t(sequence)), attr="pop", ctx=gast.Load()))))
        return out

    def accumulation(self, stmt, state):
        """``add_at(buffer, index, v)`` updates a buffer in place: the same update of its tangent."""
        out = [self.primal_statement(stmt)]
        receiver, stored = self.stored_value(stmt.value)
        if receiver is not None and isinstance(stored, gast.Name) and stored.id in state.nonzero:
            buffer, index = stmt.value.args[0], stmt.value.args[1]
            if receiver not in state.nonzero:
                self.emit(out, assign(self.t(receiver), self.zeros_of(buffer)))
            else:
                self.make_writable(receiver, state, out)
            state.nonzero.add(receiver)
            state.owned.add(receiver)
            self.emit(out, expr_stmt(call(self.helper("add_at", add_at), name(self.t(receiver)), clone(index),
                                          name(self.t(stored.id)))))
        return out

    def grow(self, stmt, state):
        """``tape.push(v)``, ``xs.append(v)``, ``xs.insert(i, v)``: the tangent tape (list)
        grows by ``t_v`` in the same way."""
        out, primal = [], self.primal_statement(stmt)
        sequence, item = appended(stmt)
        method = stmt.value.func.attr
        carries = isinstance(item, gast.Name) and item.id in state.nonzero
        if sequence not in state.nonzero:
            if not carries:
                return [primal]
            # until now it held values without tangents: their tangents are zeros
            self.emit(out, assign(self.t(sequence), call(self.helper("zeros_like", zeros_like), name(sequence))))
            state.nonzero.add(sequence)
        out.append(primal)
        grown = gast.Attribute(value=name(self.t(sequence)), attr=method, ctx=gast.Load())
        arguments = [clone(a) for a in stmt.value.args[:-1]] + [self.tangent_value(item, state)]
        self.emit(out, expr_stmt(call(grown, *arguments)))
        return out

    # -- control flow -------------------------------------------------------------
    def join_branches(self, stmt, state, body, orelse):
        """A tangent one branch leaves nonzero and the other zero: an explicit zero there."""
        (body_state, body_out), (else_state, else_out) = body, orelse
        nonzero = body_state.nonzero | else_state.nonzero
        for lacking, branch_out in ((body_state, body_out), (else_state, else_out)):
            for var in sorted(nonzero - lacking.nonzero):
                self.materialize(var, lacking, branch_out)
        state.nonzero = nonzero
        state.owned = body_state.owned & else_state.owned
        state.must = body_state.must & else_state.must
        state.maybe = body_state.maybe | else_state.maybe

    @staticmethod
    def loop_trial(stmt, entry):
        trial = entry.copy()
        trial.must |= set(_loop_target(stmt))
        trial.maybe |= names_stored(stmt)
        return trial

    @staticmethod
    def loop_change(state, entry, trial, body, exits):
        """The tangents nonzero, and owned, at the start of the body after a step (None: as
        at the entry)."""
        nonzero = entry.nonzero | trial.nonzero
        # owned at the start of the body: on entering (explicit zeros are new arrays) and after a step
        owned = (state.owned | (nonzero - state.nonzero)) & trial.owned
        for _, _, exit_state in exits:
            nonzero |= exit_state.nonzero
            owned &= exit_state.owned
        return None if nonzero == entry.nonzero and owned == entry.owned else (nonzero, owned)

    @staticmethod
    def widen_loop(entry, change, before):
        entry.nonzero, entry.owned = change

    def leave_loop(self, stmt, state, entry, last, before):
        """A tangent carried around the loop is defined on every path into the body's start:
        explicit zeros at the end of the body, at each early exit and before the loop."""
        trial, body, exits = last
        for var in sorted(entry.nonzero - trial.nonzero):
            self.materialize(var, trial, body)
        for block, position, exit_state in reversed(exits):
            settle = []
            for var in sorted(entry.nonzero - exit_state.nonzero):
                self.materialize(var, exit_state, settle)
            block[position:position] = settle
        for var in sorted(entry.nonzero - state.nonzero):
            self.materialize(var, state, before)
        state.nonzero = set(entry.nonzero)
        state.owned = set(entry.owned)
        state.maybe |= names_stored(stmt) | set(_loop_target(stmt))

    def loop_statements(self, stmt, body):
        node = clone(stmt)
        node.body = body
        return [located(node, self.origin)]


_DONE = object()


_COPIES = (np.copy, np.ndarray.copy)


def _loop_target(stmt):
    return [stmt.target.id] if isinstance(stmt, gast.For) else []


def _is_one_of(obj, candidates):
    return any(obj is c for c in candidates)


def _readable(obj):
    """A Python function srcad transforms from its source (a user's, or one srcad generated),
    or a srcad derivative of one; not NumPy's, nor srcad's own helpers."""
    if obj is UNKNOWN:
        return False
    if inspect.isfunction(obj):
        return is_user_function(obj)
    return inspect.isfunction(getattr(getattr(obj, "generated", None), "function", None))


def _defaults(function):
    """A function's keyword parameters with their default values ({} if unknown)."""
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return {}
    defaults = {p.name: p.default for p in parameters if p.default is not inspect.Parameter.empty}
    if defaults.get("keepdims", False) is getattr(np, "_NoValue", None):
        defaults["keepdims"] = False  # NumPy's reductions: not passing keepdims means False
    return defaults


class _Deferred:
    """The forward-mode function of a function still being written (mutual
    recursion), looked up when it is called."""

    def __init__(self, key):
        self.key = key
        self.__name__ = _IN_PROGRESS[key]

    def __call__(self, *args):
        return _GENERATED[self.key].function(*args)


def _forward_callee(key):
    """The forward-mode function of a called function: (callable, Generated or None)."""
    if key in _IN_PROGRESS:
        return _Deferred(key), None
    generated = forward_function(key[0], list(key[1]))
    return generated.function, generated


__all__ = ["forward_function", "TANGENT_PREFIX"]
