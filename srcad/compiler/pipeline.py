"""The pipeline: read → desugar → A-normal form → activity → reverse → optimise → emit.

:func:`reverse_function` runs it; :func:`stages` returns the source after
each pass, which is how ``docs/how-it-works.md`` is written.
"""
import inspect
from dataclasses import dataclass

import gast
import numpy as np

from .passes import p16_emit as emit
from .passes.p11_activity import active_variables
from .passes.p11_shifts import inert_shifts
from .passes.p07_calls import bind_calls
from .passes.p08_aliasing import check_writes
from .passes.p09_anf import may_vary, to_anf
from .passes.p05_desugar import desugar
from ..errors import SrcadError
from .passes.p02_language import check_language
from .names import Names
from .namespace import Globals, Namespace, home_of
from .passes.p15_optimize import drop_idle_strong_zeros, optimize as simplify
from .passes.p01_parse import filename_is_generated, read_function
from .dataflow import annotate_definitions, liveness
from .passes.p14_restore import place_tape
from .passes.p12_reverse import Reverse, State, count_iterations
from .passes.p13_shapes import SCALAR, ShapeClasses, loop_targets, simplify_broadcasts
from .passes.p10_kinds import DICT, LIST, TUPLE, Kinds, read_keys_of_dicts
from ..runtime.accumulate import NonScalarOutputError, check_scalar_output
from ..runtime.numeric import sum_to_scalar, unbroadcast, zeros_like
from .signature import known_arguments
from .syntax import assign, call, clone_signature, constant, expr_stmt, function_def, name, names_loaded, names_stored


_UNBOUND = object()


def _rename_global(node, old, new):
    for n in gast.walk(node):
        if isinstance(n, gast.Name) and n.id == old:
            n.id = new


class Program:
    """Everything generated for one transform: the shared globals, the forward/backward
    pairs of the user functions it calls (made once each), and their sources in order."""

    def __init__(self, optimize=True):
        self.globals = Globals()
        self.splits = {}
        self.sources = []
        self.optimize = optimize  # the functions it calls are optimised as the caller is

    def split(self, func, wrt_names):
        """Names of the forward and backward functions of ``func`` for ``wrt_names``."""
        key = (func, tuple(wrt_names))
        if key not in self.splits:
            namespace = Namespace(Names(), self.globals)
            base = getattr(func, "__name__", "function").strip("<>")
            entry = (namespace.fresh(base + "_forward"), namespace.fresh(base + "_backward"))
            self.splits[key] = entry
            reverse_split(func, wrt_names, optimize=self.optimize, program=self, function_names=entry)
        return self.splits[key]


@dataclass
class Generated:
    """A compiled derivative: its source, its function and the names it runs with."""

    source: str
    function: object
    namespace: Namespace
    # how the caller makes sure a gradient's function had a scalar output: ("code",) the
    # generated code checks it; ("value",) check the returned value; ("argument", name) the
    # output has that argument's shape; ("scalar",) it is a scalar by construction
    scalar_check: tuple = ("code",)
    output_where: str = ""  # the user's return line, for errors about the output


class Pipeline:
    """The passes up to activity analysis, shared by every transform."""

    def __init__(self, func, wrt_names, record=None, program=None, optimize=True, signature=None):
        """``signature`` (see :mod:`srcad.compiler.signature`) is what the one call the code is
        specialised for proves of each parameter; None for code that takes anything."""
        self.record = record
        self.program = program or Program(optimize)
        self.fn = read_function(func)
        check_language(self.fn)
        node = self.fn.node
        variadic = [node.args.vararg.id] if node.args.vararg is not None else []
        self.params = [a.id for a in node.args.args + node.args.kwonlyargs] + variadic
        if signature is not None and not variadic:
            self.fn.argument_kinds, self.fn.argument_shapes = known_arguments(self.params, signature)
        for wrt_name in wrt_names:
            if wrt_name not in self.params:
                raise SrcadError(f"{node.name} has no parameter {wrt_name!r} to differentiate")
        self.wrt = list(wrt_names)
        self.names = Names.for_tree(node)
        self.snapshot("parsed", node)
        desugar(self.fn, self.names)
        bind_calls(self.fn, self.names)
        self.namespace = Namespace(self.names, self.program.globals)
        check_writes(self.fn, node, self.names, self.wrt, self.params, may_vary(node, self.wrt), self.namespace.bind)
        self.snapshot("desugared", node)
        to_anf(node, self.names, self.wrt)
        self.snapshot("A-normal form", node)
        self.namespace.shared.local_names |= self.names.taken  # the temporaries A-normal form named
        self.local_names = set(self.params) | names_stored(node)
        self._bind_user_globals(node)
        read_keys_of_dicts(node, Kinds(self.fn, node, self.local_names, self.namespace.objects), self.bind_helper)

    def bind_helper(self, identifier, obj):
        """Name a runtime helper that a pass writes into the user's code: bound in the
        generated module, and found by every later pass as the function's own name is."""
        bound = self.namespace.bind(identifier, obj)
        self.fn.extra_names[bound] = obj
        return bound

    def snapshot(self, stage, node):
        if self.record is not None:
            self.record.append((stage, emit.to_source(node, self.location)))

    def location(self, origin):
        if filename_is_generated(self.fn.filename):
            return None  # a call srcad wrote itself: no user line to point at
        return f"{self.fn.short_filename}:{self.fn.user_line(origin)}"

    def _bind_user_globals(self, node):
        for n in gast.walk(node):
            if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load) and n.id not in self.local_names:
                try:
                    obj = self.fn.resolve(n.id)
                except (KeyError, AttributeError):
                    continue
                if self.namespace.objects.get(n.id, _UNBOUND) is obj:
                    continue  # another function of the program reads the same object by this name
                bound = self.namespace.bind_user(n.id, obj, self.fn.resolve, home_of(self.fn.func, n.id))
                if bound != n.id:
                    _rename_global(node, n.id, bound)
                    self.fn.extra_names[bound] = obj  # the passes after this resolve the new name

    def split_return(self):
        """The body without its final ``return``, and the returned expression."""
        body = self.fn.node.body
        if not body or not isinstance(body[-1], gast.Return):
            raise SrcadError(f"{self.fn.node.name} returns nothing to differentiate"
                             f"{self.fn.where(self.fn.node)}")
        self.return_statement = body[-1]
        return body[:-1], body[-1].value


class _Sweeps:
    """The primal and adjoint sweeps of a function, before they are assembled."""

    def __init__(self, pipeline, *, has_aux, optimize, seeded):
        fn, names, namespace = pipeline.fn, pipeline.names, pipeline.namespace
        self.pipeline = pipeline
        body, output = pipeline.split_return()
        body = count_iterations(body, names)
        self.aux = None
        if has_aux:
            body, output, self.aux = _split_aux(body, output, names)
        self.output = output
        outputs = [output.id] if isinstance(output, gast.Name) else []
        inert = inert_shifts(fn, fn.node, pipeline.local_names) if optimize else set()
        active = active_variables(fn, fn.node, pipeline.wrt, outputs, pipeline.local_names, inert)
        _, self.surely_defined = annotate_definitions(body, set(pipeline.params), set(pipeline.params))
        if seeded:
            _refuse_container_output(pipeline, output)
        self.reverse = reverse = Reverse(fn, names, namespace, active, pipeline.local_names, pipeline.program,
                                         scalar_output=outputs[0] if seeded and outputs else None)
        state = State()
        self.seed = []
        self.seed_name = None
        if outputs and outputs[0] in active:
            self.seed_name = reverse.d(outputs[0])
            state.defined.add(outputs[0])
            if seeded:
                # the output's derivative has the output's shape: 1.0 spread over an array of one
                # element (the optimiser keeps the plain 1.0 where the output is a scalar)
                seed = call(namespace.bind("unbroadcast", unbroadcast), constant(1.0), output)
                seed_stmt = assign(self.seed_name, seed)
                seed_stmt.srcad_seed = True
                self.seed.append(seed_stmt)
        self.body = body
        adjoint = reverse.block(body, state)
        self.output_class = None
        if optimize:
            classes = ShapeClasses(fn, body, pipeline.params, pipeline.local_names, loop_targets(body),
                                   namespace.objects)
            stable = set(pipeline.params) - names_stored(fn.node)
            if fn.argument_kinds:  # specialised: only floats lend their shape (unbroadcast takes the dtype too)
                stable &= set(fn.argument_shapes)
            scalars = [self.seed_name] if self.seed and classes.classes.get(output.id) == SCALAR else []
            simplified = simplify_broadcasts(self.seed + adjoint, classes, reverse.derivative_names, stable,
                                             namespace.bind("sum_to_scalar", sum_to_scalar), scalars,
                                             lambda: namespace.bind("np", np))
            self.seed, adjoint = simplified[:len(self.seed)], simplified[len(self.seed):]
            if isinstance(output, gast.Name):
                self.output_class = classes.classes.get(output.id)
        self.adjoint = adjoint
        zeros = namespace.bind("zeros_like", zeros_like)
        gradients = [name(reverse.d(p)) if p in state.defined else call(zeros, name(p)) for p in pipeline.wrt]
        self.gradients = gradients[0] if len(gradients) == 1 else gast.Tuple(elts=gradients, ctx=gast.Load())

    def place_tape(self, live_at_end):
        pipeline = self.pipeline
        return place_tape(self.body, self.adjoint, live_at_end, pipeline.names, pipeline.namespace)

    def value(self, captures):
        """The returned value (and aux): kept aside, as the backward sweep may restore its variables."""
        names = self.pipeline.names
        value = _capture(self.output, "value", names, captures)
        if self.aux is not None:
            value = gast.Tuple(elts=[value, _capture(self.aux, "aux", names, captures)], ctx=gast.Load())
        return value


def namespaces(generated):
    """The namespaces of generated code and of the code generated for the functions it calls
    (forward mode generates one function per callee)."""
    return [generated.namespace] + [callee.namespace for callee in all_callees(getattr(generated, "callees", []))]


def all_callees(callees, seen=None):
    """``callees`` and, recursively, the generated code they call, each once."""
    seen = [] if seen is None else seen
    for callee in callees:
        if all(callee is not s for s in seen):
            seen.append(callee)
            all_callees(getattr(callee, "callees", []), seen)
    return seen


def is_stale(generated):
    """Whether generated code calls a function that a global name of the user's no longer
    names (a helper redefined after the derivative was made): it must be generated again."""
    return any(namespace.stale() for namespace in namespaces(generated))


def _refuse_container_output(pipeline, output):
    """``grad`` of a function that surely returns a list, tuple or dict: refused here, where
    the user's return line can be shown (other outputs are checked when the code runs)."""
    kinds = Kinds(pipeline.fn, pipeline.fn.node, pipeline.local_names, pipeline.namespace.objects)
    kind = kinds.of(output)
    if kind in (LIST, TUPLE, DICT):
        raise NonScalarOutputError(
            f"grad needs a function whose output is a scalar, but {pipeline.fn.node.name} returns a {kind}; "
            f"use srcad.vjp for container outputs, or has_aux=True to return (value, aux)"
            f"{pipeline.fn.where(pipeline.return_statement)}")


def reverse_function(func, wrt_names, *, with_value=False, has_aux=False, optimize=True, record=None,
                     signature=None):
    """Generate, compile and return the reverse-mode derivative of the scalar function ``func``
    (specialised on ``signature``, the arguments' kinds and shapes, when it is given)."""
    pipeline = Pipeline(func, wrt_names, record, optimize=optimize, signature=signature)
    namespace = pipeline.namespace
    sweeps = _Sweeps(pipeline, has_aux=has_aux, optimize=optimize, seeded=True)
    result = sweeps.gradients
    captures = []
    if with_value:
        result = gast.Tuple(elts=[sweeps.value(captures), result], ctx=gast.Load())
    elif has_aux:
        aux = _capture(sweeps.aux, "aux", pipeline.names, captures)
        result = gast.Tuple(elts=[result, aux], ctx=gast.Load())
    returned = gast.Return(value=result)
    live_at_end = names_loaded(returned)
    primal, adjoint, _ = sweeps.place_tape(live_at_end)
    scalar_check = _scalar_check(sweeps, with_value, pipeline.params)
    checks = []
    if scalar_check == ("code",):
        checks.append(expr_stmt(call(namespace.bind("check_scalar_output", check_scalar_output), sweeps.output)))
    node = pipeline.fn.node
    node.name = namespace.fresh(("value_and_d_" if with_value else "d_") + node.name)
    node.body = primal + checks + captures + sweeps.seed + adjoint + [returned]
    pipeline.snapshot("reverse mode", node)
    generated = finish(pipeline, [(node, live_at_end)], optimize, sweeps.reverse.derivative_names.values())
    generated.scalar_check = scalar_check
    generated.output_where = pipeline.fn.where(pipeline.return_statement)
    return generated


def _scalar_check(sweeps, with_value, params):
    """Where to check that the output is a scalar without computing it needlessly: its shape
    class may say it is one, or that it has the shape of an argument (``lam * loss``). An
    output that does not depend on the arguments may be an int or a bool: its value is checked."""
    if with_value:
        return ("value",)
    if sweeps.seed_name is None:
        return ("code",)
    cls = sweeps.output_class
    if cls == SCALAR:
        return ("scalar",)
    proven = sweeps.pipeline.fn.argument_kinds
    if cls is not None and cls[0] == "param" and cls[1] in params:
        # specialised code trusts only a parameter proven an array (None or an object passed
        # where NumPy takes None, as in np.clip(x, None, 1.0), has no shape to lend)
        kind = proven.get(cls[1])
        if kind == "array" or kind is None and not proven:
            return ("argument", cls[1])
    return ("code",)


def reverse_split(func, wrt_names, *, has_aux=False, optimize=True, program=None, function_names=None):
    """The forward sweep and the backward sweep of ``func`` as two functions.

    ``f_forward(*args)`` returns ``(value, saved)``; ``f_backward(saved, d_out)``
    returns the derivatives for ``wrt_names`` given the output's cotangent ``d_out``
    (any structure the output has). This is what ``vjp`` runs.
    """
    pipeline = Pipeline(func, wrt_names, program=program, optimize=optimize)
    names, node = pipeline.names, pipeline.fn.node
    forward_name, backward_name = function_names or (pipeline.namespace.fresh(node.name + "_forward"),
                                                      pipeline.namespace.fresh(node.name + "_backward"))
    sweeps = _Sweeps(pipeline, has_aux=has_aux, optimize=optimize, seeded=False)
    backward_return = gast.Return(value=sweeps.gradients)
    live_at_end = names_loaded(backward_return)
    primal, adjoint, _ = sweeps.place_tape(live_at_end)
    seed = sweeps.seed_name or names.fresh("d_out")
    defined = set(pipeline.params) | {n for stmt in primal for n in names_stored(stmt)}
    saved = sorted((liveness(adjoint, live_at_end) - {seed}) & defined)
    saved_name = names.fresh("saved")
    forward = clone_signature(node, forward_name)
    captures = []
    value = sweeps.value(captures)
    saved_tuple = gast.Tuple(elts=[name(v) for v in saved], ctx=gast.Load())
    forward_return = gast.Return(value=gast.Tuple(elts=[value, saved_tuple], ctx=gast.Load()))
    # what only some paths define still has a value to save
    maybe_undefined = [assign(v, constant(None)) for v in saved if v not in sweeps.surely_defined]
    forward.body = maybe_undefined + primal + captures + [forward_return]
    backward = function_def(backward_name, [saved_name, seed])
    unpack = [assign(saved, name(saved_name))] if saved else []
    backward.body = unpack + adjoint + [backward_return]
    return finish(pipeline, [(forward, names_loaded(forward_return)), (backward, live_at_end)], optimize,
                   sweeps.reverse.derivative_names.values(), cotangent_inputs=[seed])


def finish(pipeline, functions, optimize, derivative_names=(), cotangent_inputs=()):
    """Optimise, print and compile generated functions; the last one is returned.
    ``cotangent_inputs`` are the cotangents the caller gives (a backward sweep's d_out)."""
    sources = []
    if optimize:
        drop_idle_strong_zeros([node for node, _ in functions], pipeline.namespace.objects, cotangent_inputs)
    for node, live_at_end in functions:
        if optimize:
            simplify(node, live_at_end, pipeline.namespace.objects, derivative_names)
            pipeline.snapshot("optimised", node)
        sources.append(emit.to_source(node, pipeline.location, emit.run_time_notes(pipeline.namespace.objects)))
    source = "\n\n".join(sources)
    label = functions[-1][0].name
    emit.compile_source(source, label, pipeline.namespace.objects, label)
    pipeline.program.sources.append(source)
    compiled = [pipeline.namespace.objects[node.name] for node, _ in functions]
    program_source = "\n\n".join(pipeline.program.sources)
    return Generated(program_source, compiled[-1] if len(compiled) == 1 else tuple(compiled), pipeline.namespace)


def _capture(expr, hint, names, captures):
    if not isinstance(expr, gast.Name):
        return expr
    captured = names.fresh(hint)
    captures.append(assign(captured, expr))
    return name(captured)


def _split_aux(body, output, names):
    """With ``has_aux`` the function returns ``(value, aux)``: differentiate ``value``."""
    last = body[-1] if body else None
    if isinstance(output, gast.Name) and isinstance(last, gast.Assign) and isinstance(last.value, gast.Tuple) \
            and isinstance(last.targets[0], gast.Name) and last.targets[0].id == output.id \
            and len(last.value.elts) == 2:
        value, aux = last.value.elts
        return body[:-1], value, aux
    value, aux = names.fresh("value"), names.fresh("aux")
    body = body + [assign([value, aux], output)]
    return body, name(value), name(aux)


def stages(func, wrt_names=(0,)):
    """The source of ``func`` after each pass, as a list of (stage, source) pairs."""
    record = []
    params = list(inspect.signature(func).parameters)
    wrt = [params[w] if isinstance(w, int) else w for w in wrt_names]
    generated = reverse_function(func, wrt, record=record)
    record.append(("emitted", generated.source))
    return record
