"""Small helpers to build, copy and inspect gast trees."""
import ast
import copy

import gast


def name(identifier, store=False):
    """A ``Name`` node loading (or storing) ``identifier``."""
    ctx = gast.Store() if store else gast.Load()
    return gast.Name(id=identifier, ctx=ctx, annotation=None, type_comment=None)


def constant(value):
    """A literal node for a Python constant (numbers, strings, None, tuples)."""
    if isinstance(value, tuple):
        return gast.Tuple(elts=[constant(v) for v in value], ctx=gast.Load())
    if isinstance(value, float) and value < 0 or isinstance(value, int) and value < 0 and not isinstance(value, bool):
        return gast.UnaryOp(op=gast.USub(), operand=constant(-value))
    return gast.Constant(value=value, kind=None)


def assign(target, value, origin=None):
    """``target = value``; ``target`` may be a str, a node, or a list of names (unpacking)."""
    if isinstance(target, str):
        target = name(target, store=True)
    elif isinstance(target, (list, tuple)):
        target = gast.Tuple(elts=[name(t, store=True) for t in target], ctx=gast.Store())
    node = gast.Assign(targets=[target], value=value, type_comment=None)
    return located(node, origin)


def call(func, *args, keywords=()):
    """A call node; ``func`` may be a dotted string or a node."""
    if isinstance(func, str):
        func = parse_expr(func)
    return gast.Call(func=func, args=list(args), keywords=list(keywords))


def expr_stmt(value, origin=None):
    """An expression statement."""
    return located(gast.Expr(value=value), origin)


def parse_expr(source):
    """The expression node of a source string."""
    return gast.parse(source, mode="eval").body




def located(node, origin):
    """Tag ``node`` with the user's line it comes from (``origin``)."""
    if origin is not None:
        node.srcad_origin = origin
    return node




def clone(node):
    """A deep copy of a node (tags included)."""
    return copy.deepcopy(node)


def source_text(node):
    """A node as Python source, for messages (``x.T``, ``bufs[0]``)."""
    return ast.unparse(gast.gast_to_ast(clone(node)))


def names_loaded(node):
    """Identifiers read anywhere inside ``node``."""
    return {n.id for n in gast.walk(node) if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load)}


def names_stored(node):
    """Identifiers assigned anywhere inside ``node`` (not descending into nested defs)."""
    return {n.id for n in gast.walk(node) if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)}






def substitute(node, mapping):
    """Replace loaded names by expressions (copied) according to ``mapping``."""

    class _Substitute(gast.NodeTransformer):
        def visit_Name(self, n):
            if isinstance(n.ctx, gast.Load) and n.id in mapping:
                return clone(mapping[n.id])
            return n

    return _Substitute().visit(node)




def function_def(identifier, parameters):
    """``def identifier(*parameters): pass``."""
    args = gast.arguments(args=[name(p) for p in parameters], posonlyargs=[], vararg=None, kwonlyargs=[],
                          kw_defaults=[], kwarg=None, defaults=[])
    for arg in args.args:
        arg.ctx = gast.Param()
    return gast.FunctionDef(name=identifier, args=args, body=[gast.Pass()], decorator_list=[], returns=None,
                            type_comment=None, type_params=[])


def clone_signature(function_node, identifier):
    """A new function with ``function_node``'s parameters (and defaults) and an empty body."""
    return gast.FunctionDef(name=identifier, args=clone(function_node.args), body=[gast.Pass()],
                            decorator_list=[], returns=None, type_comment=None, type_params=[])


def appended(stmt):
    """``(list_name, value)`` for a statement ``list_name.append(value)`` (or a tape's
    ``push``, the same operation) or ``list_name.insert(position, value)``, else None."""
    if isinstance(stmt, gast.Expr) and isinstance(stmt.value, gast.Call):
        func, arity = stmt.value.func, len(stmt.value.args)
        if isinstance(func, gast.Attribute) and isinstance(func.value, gast.Name) and not stmt.value.keywords \
                and (func.attr in ("append", "push") and arity == 1 or func.attr == "insert" and arity == 2):
            return func.value.id, stmt.value.args[-1]
    return None


def inserted_at(stmt):
    """The position of a statement ``xs.insert(position, value)``; None for an append (at the end)."""
    call_node = stmt.value
    return call_node.args[0] if call_node.func.attr == "insert" else None


def popped(value):
    """``list_name`` for a right-hand side ``list_name.pop()`` or ``list_name.pop(position)``, else None."""
    if isinstance(value, gast.Call) and isinstance(value.func, gast.Attribute) and value.func.attr == "pop" \
            and isinstance(value.func.value, gast.Name) and len(value.args) <= 1 and not value.keywords:
        return value.func.value.id
    return None


def popped_at(value):
    """The position of ``xs.pop(position)``; None for ``xs.pop()`` (the end)."""
    return value.args[0] if value.args else None


def grow(sequence, position, value):
    """The call ``sequence.append(value)``, or ``sequence.insert(position, value)`` (nodes, copied)."""
    if position is None:
        return call(gast.Attribute(value=name(sequence), attr="append", ctx=gast.Load()), clone(value))
    return call(gast.Attribute(value=name(sequence), attr="insert", ctx=gast.Load()), clone(position), clone(value))


def shrink(sequence, position):
    """The call ``sequence.pop()``, or ``sequence.pop(position)``: undoes :func:`grow`."""
    return call(gast.Attribute(value=name(sequence), attr="pop", ctx=gast.Load()),
                *([] if position is None else [clone(position)]))


def assigned_variables(stmt):
    """The variables an assignment writes: ``a, b = ...`` writes a and b; ``y[i] = v`` writes y."""
    written = []
    for target in stmt.targets:
        if isinstance(target, gast.Subscript):
            base = target.value
            while isinstance(base, gast.Subscript):
                base = base.value
            if isinstance(base, gast.Name):
                written.append(base.id)
            continue
        written.extend(n.id for n in gast.walk(target) if isinstance(n, gast.Name))
    return written
