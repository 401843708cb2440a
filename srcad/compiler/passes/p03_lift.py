"""Nested functions: lift each ``def`` inside the function out of it.

A nested function that reads variables of its enclosing function gets them
as keyword-only parameters, and every call passes them: ``inner(x)`` becomes
``inner(x, factor=factor)``. Derivatives then flow through the captured
variables like through any argument. A default that is not a literal
(``def inner(a, k=s * 2.0)``) is computed where the ``def`` stood, as Python
computes it when the ``def`` runs (``inner_k = s * 2.0``), and passed by each
call that leaves it out. A nested function that captures variables may only be
called directly (passing it around would hide what it captures); one that captures
nothing is a plain function, and may be passed to other functions too.

A ``lambda`` is a nested function like any other: :func:`lambda_as_definition`.
"""
import ast
import types

import gast

from .p01_parse import Function, register_parsed
from ..syntax import clone, constant, name


def lift_nested_functions(fn, names):
    """Lift every ``def`` in ``fn``'s body (not counting deeper ones) in place; ``names``
    names the variables holding defaults that are not literals."""
    nested = [s for s in _statements(fn.node.body) if isinstance(s, gast.FunctionDef)]
    if not nested:
        return
    enclosing = _stored(fn.node.body) | {a.id for a in fn.node.args.args + fn.node.args.kwonlyargs}
    enclosing |= set(fn.func.__code__.co_freevars)
    lifted = {}
    for node in nested:
        own = _stored(node.body) | {a.id for a in node.args.args + node.args.kwonlyargs}
        body_loads = {n.id for stmt in node.body for n in gast.walk(stmt)
                      if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load)}
        captured = sorted((body_loads - own - {node.name}) & (enclosing - {d.name for d in nested}))
        lifted[node.name] = _Lifted(node, captured, _computed_defaults(fn, node, names))
    for nested_function in lifted.values():
        _pass_captured(fn, nested_function.node, lifted, inside=nested_function)
        _extend_signature(nested_function.node, nested_function.captured)
    for identifier, nested_function in lifted.items():
        fn.extra_names[identifier] = _compile(fn, nested_function.node)
    for identifier, nested_function in lifted.items():
        register_parsed(fn.extra_names[identifier], Function(
            fn.extra_names[identifier], nested_function.node, fn.filename, fn.line_offset, fn.source_lines,
            dict(fn.extra_names)))
    fn.node.body = _without_defs(fn.node.body, lifted)
    _pass_captured(fn, fn.node, lifted)
    _refuse_other_uses(fn, lifted)


class _Lifted:
    """A nested ``def`` being lifted: the enclosing variables it reads (``captured``), and its
    defaults that are not literals (``computed``: parameter -> (variable, default expression))."""

    def __init__(self, node, captured, computed):
        self.node = node
        self.captured = captured
        self.computed = computed

    def computing_statements(self):
        """What the ``def`` statement leaves in the enclosing function: its defaults, computed."""
        return [gast.copy_location(gast.Assign(targets=[name(variable, store=True)], value=default,
                                               type_comment=None), default)
                for variable, default in self.computed.values()]


def _computed_defaults(fn, node, names):
    """The defaults of ``node`` that are not literals, each given a variable of the enclosing
    function, which every call that leaves it out passes."""
    arguments = node.args
    positional = arguments.args[len(arguments.args) - len(arguments.defaults):]
    pairs = list(zip(positional, arguments.defaults)) + [
        (a, d) for a, d in zip(arguments.kwonlyargs, arguments.kw_defaults) if d is not None]
    computed = {}
    for parameter_node, default in pairs:
        if _is_literal(default):
            continue
        if isinstance(default, gast.Lambda) or any(isinstance(n, gast.Name) and n.id == node.name
                                                   for n in gast.walk(default)):
            raise fn.syntax_error(default, f"srcad cannot read this default of the nested function {node.name}; "
                                           f"pass {parameter_node.id} in each call instead")
        variable = names.fresh(f"{node.name}_{parameter_node.id}",
                               meaning=f"the default value of {parameter_node.id} in {node.name}")
        computed[parameter_node.id] = (variable, default)
    # the def keeps a placeholder (it is compiled alone, away from the names its defaults read)
    arguments.defaults = [constant(None) if a.id in computed else d for a, d in zip(positional, arguments.defaults)]
    arguments.kw_defaults = [constant(None) if d is not None and a.id in computed else d
                             for a, d in zip(arguments.kwonlyargs, arguments.kw_defaults)]
    return computed


def _is_literal(default):
    try:
        ast.literal_eval(gast.gast_to_ast(clone(default)))
    except ValueError:
        return False
    return True


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
    """Each direct call of a nested function passes what it captures and the computed
    defaults it leaves out."""

    def __init__(self, fn, lifted, inside):
        self.fn = fn
        self.lifted = lifted
        self.inside = inside

    def visit_Call(self, node):
        self.generic_visit(node)
        if isinstance(node.func, gast.Name) and node.func.id in self.lifted:
            node.func.srcad_lifted_call = True
            callee = self.lifted[node.func.id]
            given = {k.arg for k in node.keywords}
            node.keywords += [gast.keyword(arg=c, value=name(c)) for c in callee.captured if c not in given]
            for parameter_name, (variable, _) in callee.computed.items():
                if parameter_name in given or self.passed_by_position(node, callee.node, parameter_name):
                    continue
                if self.inside is not None:
                    raise self.fn.syntax_error(node, f"srcad cannot pass the default value of {parameter_name} "
                                                     f"from {self.inside.node.name} to the nested function "
                                                     f"{callee.node.name}; pass {parameter_name} in this call")
                node.keywords.append(gast.keyword(arg=parameter_name, value=name(variable)))
        return node

    def passed_by_position(self, call_node, definition, parameter_name):
        positional = [a.id for a in definition.args.args]
        if parameter_name not in positional:
            return False
        if any(isinstance(a, gast.Starred) for a in call_node.args):
            raise self.fn.syntax_error(call_node, f"srcad cannot tell whether this call passes "
                                                  f"{parameter_name} of {definition.name} (its default is not "
                                                  f"a literal); pass it by name")
        return positional.index(parameter_name) < len(call_node.args)


def _pass_captured(fn, node, lifted, inside=None):
    for stmt in node.body:
        _PassCaptured(fn, lifted, inside).visit(stmt)


def _compile(fn, node):
    """A function object for a lifted definition, with the enclosing module's globals and
    its defaults (literals, read once as Python reads them when the ``def`` runs)."""
    positional = [ast.literal_eval(gast.gast_to_ast(clone(d))) for d in node.args.defaults]
    keyword_only = {a.id: ast.literal_eval(gast.gast_to_ast(clone(d)))
                    for a, d in zip(node.args.kwonlyargs, node.args.kw_defaults) if d is not None}
    return compile_definition(node, fn.filename, fn.func.__globals__, defaults=tuple(positional) or None,
                              kwdefaults=keyword_only or None)


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


def _without_defs(stmts, lifted):
    out = []
    for stmt in stmts:
        if isinstance(stmt, gast.FunctionDef):
            out.extend(lifted[stmt.name].computing_statements() if stmt.name in lifted else [])
            continue
        for field in ("body", "orelse"):
            if isinstance(getattr(stmt, field, None), list):
                setattr(stmt, field, _without_defs(getattr(stmt, field), lifted) or [gast.Pass()] * (field == "body"))
        out.append(stmt)
    return out


def _refuse_other_uses(fn, lifted):
    for n in gast.walk(fn.node):
        if isinstance(n, gast.Name) and n.id in lifted and not getattr(n, "srcad_lifted_call", False):
            nested = lifted[n.id]
            what = "a lambda" if getattr(nested.node, "srcad_lambda", False) else f"the nested function {n.id}()"
            if nested.captured:
                listed = ", ".join(nested.captured)
                raise fn.syntax_error(n, f"srcad can only differentiate direct calls of {what} that reads {listed} "
                                         f"of the function around it; pass {listed} to it as arguments, or "
                                         f"define it at module level")
            if nested.computed:
                listed = ", ".join(nested.computed)
                raise fn.syntax_error(n, f"srcad can only differentiate direct calls of {what} whose default of "
                                         f"{listed} is not a literal (each call is given the value computed where "
                                         f"the def stands); pass {listed} in each call, or define it at module level")
