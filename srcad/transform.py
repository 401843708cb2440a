"""The pipeline: read → desugar → A-normal form → activity → reverse → optimise → emit.

:func:`reverse_function` runs it; :func:`stages` returns the source after
each pass, which is how ``docs/how-it-works.md`` is written.
"""
from dataclasses import dataclass

import gast

from . import emit
from .activity import active_variables
from .anf import to_anf
from .desugar import desugar
from .errors import SrcadError
from .names import Names
from .namespace import Namespace
from .optimize import optimize as simplify
from .parse import read_function
from .reverse import Reverse, State, annotate_definitions, count_iterations, place_tape
from .shapes import ShapeClasses, loop_targets, simplify_broadcasts
from .runtime.accumulate import check_scalar_output
from .runtime.numeric import zeros_like
from .syntax import assign, call, constant, expr_stmt, name, names_stored


@dataclass
class Generated:
    """A compiled derivative: its source, its function and the names it runs with."""

    source: str
    function: object
    namespace: Namespace


class _Pipeline:
    """The passes up to activity analysis, shared by every transform."""

    def __init__(self, func, wrt_names, record=None):
        self.record = record
        self.fn = read_function(func)
        node = self.fn.node
        self.params = [a.id for a in node.args.args + node.args.kwonlyargs]
        for wrt_name in wrt_names:
            if wrt_name not in self.params:
                raise SrcadError(f"{node.name} has no parameter {wrt_name!r} to differentiate")
        self.wrt = list(wrt_names)
        self.names = Names.for_tree(node)
        self.snapshot("parsed", node)
        desugar(self.fn, self.names)
        self.snapshot("desugared", node)
        to_anf(node, self.names, self.wrt)
        self.snapshot("A-normal form", node)
        self.namespace = Namespace(self.names)
        self.local_names = set(self.params) | names_stored(node)
        self._bind_user_globals(node)

    def snapshot(self, stage, node):
        if self.record is not None:
            self.record.append((stage, emit.to_source(node, self.location)))

    def location(self, origin):
        return f"{self.fn.short_filename}:{self.fn.user_line(origin)}"

    def _bind_user_globals(self, node):
        for n in gast.walk(node):
            if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load) and n.id not in self.local_names \
                    and n.id not in self.namespace.objects:
                try:
                    obj = self.fn.resolve(n.id)
                except (KeyError, AttributeError):
                    continue
                self.namespace.bind_user(n.id, obj, self.fn.resolve)

    def split_return(self):
        """The body without its final ``return``, and the returned expression."""
        body = self.fn.node.body
        if not body or not isinstance(body[-1], gast.Return):
            raise SrcadError(f"{self.fn.node.name} returns nothing to differentiate"
                             f"{self.fn.where(self.fn.node)}")
        return body[:-1], body[-1].value


def reverse_function(func, wrt_names, *, with_value=False, has_aux=False, optimize=True, record=None):
    """Generate, compile and return the reverse-mode derivative of ``func``."""
    pipeline = _Pipeline(func, wrt_names, record)
    fn, names, namespace = pipeline.fn, pipeline.names, pipeline.namespace
    body, output = pipeline.split_return()
    body = count_iterations(body, names)
    aux = None
    if has_aux:
        body, output, aux = _split_aux(body, output, names)
    outputs = [output.id] if isinstance(output, gast.Name) else []
    active = active_variables(fn, fn.node, pipeline.wrt, outputs, pipeline.local_names)
    annotate_definitions(body, set(pipeline.params), set(pipeline.params))
    reverse = Reverse(fn, names, namespace, active, pipeline.local_names)
    state = State()
    seed = []
    if outputs and outputs[0] in active:
        seed_stmt = assign(reverse.d(outputs[0]), constant(1.0))
        seed_stmt.srcad_seed = True
        seed.append(seed_stmt)
        state.defined.add(outputs[0])
    adjoint = reverse.block(body, state)
    if optimize:
        classes = ShapeClasses(fn, body, pipeline.params, pipeline.local_names, loop_targets(body),
                               namespace.objects)
        stable = set(pipeline.params) - names_stored(fn.node)
        adjoint = simplify_broadcasts(adjoint, classes, reverse.adjoint_names, stable)
    gradients = [name(reverse.d(p)) if p in state.defined
                 else call(namespace.bind("zeros_like", zeros_like), name(p)) for p in pipeline.wrt]
    result = gradients[0] if len(gradients) == 1 else gast.Tuple(elts=gradients, ctx=gast.Load())
    captures = []
    if with_value:
        # the backward sweep may restore the output's variable: keep its value aside
        value = _capture(output, "value", names, captures)
        if aux is not None:
            value = gast.Tuple(elts=[value, _capture(aux, "aux", names, captures)], ctx=gast.Load())
        result = gast.Tuple(elts=[value, result], ctx=gast.Load())
    returned = gast.Return(value=result)
    live_at_end = {n.id for n in gast.walk(returned) if isinstance(n, gast.Name)}
    primal, adjoint, _ = place_tape(body, adjoint, live_at_end, names, namespace)
    check = expr_stmt(call(namespace.bind("check_scalar_output", check_scalar_output), output))
    node = fn.node
    node.name = names.fresh("d_" + node.name) if not with_value else names.fresh("value_and_d_" + node.name)
    node.body = primal + [check] + captures + seed + adjoint + [returned]
    pipeline.snapshot("reverse mode", node)
    if optimize:
        simplify(node, live_at_end, namespace.objects)
        pipeline.snapshot("optimised", node)
    source = emit.to_source(node, pipeline.location)
    function = emit.compile_source(source, node.name, namespace.objects, node.name)
    return Generated(source, function, namespace)


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
    import inspect
    params = list(inspect.signature(func).parameters)
    wrt = [params[w] if isinstance(w, int) else w for w in wrt_names]
    generated = reverse_function(func, wrt, record=record)
    record.append(("emitted", generated.source))
    return record
