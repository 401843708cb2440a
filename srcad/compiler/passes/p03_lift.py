"""Nested functions: lift each ``def`` inside the function out of it.

A nested function that reads variables of its enclosing function gets them
as keyword-only parameters, and every call passes them: ``inner(x)`` becomes
``inner(x, factor=factor)``. Derivatives then flow through the captured
variables like through any argument. A nested function that captures variables may only be
called directly (passing it around would hide what it captures); one that captures
nothing is a plain function, and may be passed to other functions too.

A ``lambda`` is a nested function like any other: :func:`lambda_as_definition`.
"""
import ast
import types

import gast

from .p01_parse import Function, register_parsed
from ..syntax import clone, name


def lift_nested_functions(fn):
    """Lift every ``def`` in ``fn``'s body (not counting deeper ones) in place."""
    nested = [s for s in _statements(fn.node.body) if isinstance(s, gast.FunctionDef)]
    if not nested:
        return
    enclosing = _stored(fn.node.body) | {a.id for a in fn.node.args.args + fn.node.args.kwonlyargs}
    enclosing |= set(fn.func.__code__.co_freevars)
    lifted = {}
    for node in nested:
        own = _stored(node.body) | {a.id for a in node.args.args + node.args.kwonlyargs}
        loads = {n.id for n in gast.walk(node) if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load)}
        captured = sorted((loads - own - {node.name}) & (enclosing - {d.name for d in nested}))
        lifted[node.name] = (node, captured)
    for node, captured in lifted.values():
        _pass_captured(node, lifted)
        _extend_signature(node, captured)
    for identifier, (node, captured) in lifted.items():
        fn.extra_names[identifier] = _compile(fn, node)
    for identifier, (node, _) in lifted.items():
        register_parsed(fn.extra_names[identifier], Function(
            fn.extra_names[identifier], node, fn.filename, fn.line_offset, fn.source_lines, dict(fn.extra_names)))
    fn.node.body = _without_defs(fn.node.body)
    _pass_captured(fn.node, lifted)
    _refuse_other_uses(fn, lifted)


def lambda_as_definition(node, identifier):
    """``def identifier(params): return body`` for the ``lambda params: body`` ``node``."""
    definition = gast.FunctionDef(name=identifier, args=node.args, body=[gast.Return(value=node.body)],
                                  decorator_list=[], returns=None, type_comment=None, type_params=[])
    definition.srcad_lambda = True  # for messages: the user wrote no def
    return gast.copy_location(definition, node)


def _statements(stmts):
    for stmt in stmts:
        yield stmt
        if isinstance(stmt, gast.FunctionDef):
            continue
        for field in ("body", "orelse"):
            yield from _statements(getattr(stmt, field, []) or [])


def _stored(stmts):
    stored = set()
    for stmt in _statements(stmts):
        if isinstance(stmt, gast.FunctionDef):
            stored.add(stmt.name)
            continue
        for n in gast.walk(stmt):
            if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store):
                stored.add(n.id)
    return stored


def _extend_signature(node, captured):
    for identifier in captured:
        node.args.kwonlyargs.append(parameter(identifier))
        node.args.kw_defaults.append(None)


class _PassCaptured(gast.NodeTransformer):
    def __init__(self, lifted):
        self.lifted = lifted

    def visit_Call(self, node):
        self.generic_visit(node)
        if isinstance(node.func, gast.Name) and node.func.id in self.lifted:
            node.func.srcad_lifted_call = True
            _, captured = self.lifted[node.func.id]
            given = {k.arg for k in node.keywords}
            node.keywords += [gast.keyword(arg=c, value=name(c)) for c in captured if c not in given]
        return node


def _pass_captured(node, lifted):
    for stmt in node.body:
        _PassCaptured(lifted).visit(stmt)


def _compile(fn, node):
    """A function object for a lifted definition, with the enclosing module's globals and
    its defaults (literals, read once as Python reads them when the ``def`` runs)."""
    positional = [_literal_default(fn, node, d) for d in node.args.defaults]
    keyword_only = {a.id: _literal_default(fn, node, d)
                    for a, d in zip(node.args.kwonlyargs, node.args.kw_defaults) if d is not None}
    return compile_definition(node, fn.filename, fn.func.__globals__, defaults=tuple(positional) or None,
                              kwdefaults=keyword_only or None)


def _literal_default(fn, node, default):
    try:
        return ast.literal_eval(gast.gast_to_ast(clone(default)))
    except ValueError:
        raise fn.syntax_error(default, f"srcad reads the defaults of the nested function {node.name} when they "
                                       f"are literals (k=2.0); pass this argument in each call or define "
                                       f"{node.name} at module level") from None


def compile_definition(node, filename, globals_, cells=None, defaults=None, kwdefaults=None):
    """A function object for the gast ``def`` ``node`` running in ``globals_``, with the given
    ``__defaults__`` and ``__kwdefaults__``; its free variables read the closure ``cells``
    (a dict from name to cell)."""
    cells = cells or {}
    definition = clone(node)
    definition.decorator_list = []
    body = [definition]
    if cells:
        # an enclosing function makes the names free variables of the definition, not globals
        enclosing = gast.FunctionDef(
            name="srcad_enclosing", body=[definition, gast.Return(value=name(node.name))],
            args=gast.arguments(args=[parameter(c) for c in cells], posonlyargs=[], vararg=None, kwonlyargs=[],
                                kw_defaults=[], kwarg=None, defaults=[]),
            decorator_list=[], returns=None, type_comment=None, type_params=[])
        body = [enclosing]
    tree = gast.gast_to_ast(gast.Module(body=body, type_ignores=[]))
    ast.fix_missing_locations(tree)
    code = compile(tree, filename, "exec")
    if cells:
        code = next(c for c in code.co_consts if isinstance(c, types.CodeType))
    function_code = next(c for c in code.co_consts if isinstance(c, types.CodeType) and c.co_name == node.name)
    closure = tuple(cells[free] for free in function_code.co_freevars) or None
    function = types.FunctionType(function_code, globals_, node.name, defaults, closure)
    function.__kwdefaults__ = kwdefaults
    return function


def parameter(identifier):
    """A parameter node named ``identifier``."""
    node = name(identifier)
    node.ctx = gast.Param()
    return node


def _without_defs(stmts):
    out = []
    for stmt in stmts:
        if isinstance(stmt, gast.FunctionDef):
            continue
        for field in ("body", "orelse"):
            if isinstance(getattr(stmt, field, None), list):
                setattr(stmt, field, _without_defs(getattr(stmt, field)) or [gast.Pass()] * (field == "body"))
        out.append(stmt)
    return out


def _refuse_other_uses(fn, lifted):
    for n in gast.walk(fn.node):
        if isinstance(n, gast.Name) and n.id in lifted and not getattr(n, "srcad_lifted_call", False):
            node, captured = lifted[n.id]
            if captured:
                listed = ", ".join(captured)
                what = "a lambda" if getattr(node, "srcad_lambda", False) else f"the nested function {n.id}()"
                raise fn.syntax_error(n, f"srcad can only differentiate direct calls of {what} that reads {listed} "
                                         f"of the function around it; pass {listed} to it as arguments, or "
                                         f"define it at module level")
