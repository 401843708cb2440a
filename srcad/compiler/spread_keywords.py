"""``f(x, **d)``: each keyword the call may pass, read from ``d`` by name.

A call that spreads a dict into keywords passes what the dict holds when the code runs;
srcad differentiates calls whose arguments it can see. For a callee whose signature is
known (a function of the user's), the call is written with one keyword per parameter it
leaves open::

    check_keywords(params, "W b scale", "W b", "layer")
    y = layer(x, W=params["W"], b=params["b"], scale=params.get("scale", 1.0))

The check raises the TypeError Python raises for a key the function does not take or a
required one missing, so the derivative runs exactly when the function does. A dict literal
becomes the keywords it names, for any callee. A callee that takes ``**kwargs`` itself, or
a non-literal dict spread into a function that is not the user's (NumPy's defaults are
sentinels, and ``out`` is one of them), is refused.
"""
import inspect

import gast

from ..runtime.checks import check_keywords
from .passes.p04_effects import helper_name
from .resolve import is_user_function, resolve_expression
from .syntax import call, constant, expr_stmt, name, names_stored

_LITERALS = (bool, int, float, complex, str, bytes, type(None))


def spread_keywords(fn, names, stmts):
    """``stmts`` with every call ``f(..., **d)`` written out (see the module docstring)."""
    local_names = names_stored(fn.node) | {a.id for a in fn.node.args.args + fn.node.args.kwonlyargs}
    return _Spreads(fn, names, local_names).block(stmts)


class _Spreads:
    def __init__(self, fn, names, local_names):
        self.fn = fn
        self.names = names
        self.local_names = local_names

    def block(self, stmts):
        out = []
        for stmt in stmts:
            out.extend(self.statement(stmt))
        return out

    def statement(self, stmt):
        if isinstance(stmt, gast.FunctionDef):
            return [stmt]
        for field in ("body", "orelse"):
            if isinstance(getattr(stmt, field, None), list):
                setattr(stmt, field, self.block(getattr(stmt, field)))
        before = []
        for node in _own_nodes(stmt):
            if isinstance(node, gast.Call) and any(k.arg is None for k in node.keywords):
                before.extend(self.written_out(node, stmt))
        return before + [stmt]

    def written_out(self, node, stmt):
        """Rewrite the call ``node`` in place; the statements that go before ``stmt``."""
        spread = next(k for k in node.keywords if k.arg is None)
        if _is_literal_dict(spread.value):  # f(x, **{"axis": 0}) is f(x, axis=0)
            spread_at = node.keywords.index(spread)
            named = [gast.keyword(arg=key.value, value=value)
                     for key, value in zip(spread.value.keys, spread.value.values)]
            node.keywords[spread_at:spread_at + 1] = named
            return []
        signature = self.signature_of(node, spread)
        before = []
        given = spread.value
        if not isinstance(given, gast.Name):
            held = self.names.fresh("keywords")
            before.append(gast.copy_location(gast.Assign(targets=[name(held, store=True)], value=given,
                                                         type_comment=None), stmt))
            given = name(held)
        taken = _taken(signature, node)
        open_parameters = [p for p in signature.parameters.values() if p.name not in taken]
        accepted = tuple(p.name for p in open_parameters)
        required = tuple(p.name for p in open_parameters if p.default is inspect.Parameter.empty)
        label = _label(node.func)
        checker = helper_name(self.fn, self.names, "check_keywords", check_keywords)
        check = expr_stmt(call(checker, name(given.id), constant(" ".join(accepted)), constant(" ".join(required)),
                               constant(label)))
        before.append(gast.copy_location(check, stmt))
        keywords = [k for k in node.keywords if k.arg is not None]
        for parameter in open_parameters:
            keywords.append(gast.keyword(arg=parameter.name, value=self.read(given.id, parameter)))
        node.keywords = keywords
        return before

    def signature_of(self, node, spread):
        function = resolve_expression(self.fn, node.func, self.local_names)
        try:
            signature = inspect.signature(function) if is_user_function(function) else None
        except (TypeError, ValueError):
            signature = None
        if signature is None:
            raise self.fn.syntax_error(spread.value, "srcad cannot differentiate this call with **kwargs: it "
                                                     "spreads a dict into a function that is not one of yours, "
                                                     "whose parameters srcad does not read one by one",
                                       hint="pass the keywords by name, or spread a dict literal")
        kinds = {p.kind for p in signature.parameters.values()}
        if inspect.Parameter.VAR_KEYWORD in kinds or any(isinstance(a, gast.Starred) for a in node.args):
            raise self.fn.syntax_error(spread.value, "srcad cannot differentiate this call with **kwargs: the "
                                                     "function takes **kwargs itself, or the call also spreads *args",
                                       hint="pass the keywords by name")
        return signature

    def read(self, given, parameter):
        """``d["W"]``, or ``d.get("scale", default)`` for a parameter with a default."""
        key = constant(parameter.name)
        if parameter.default is inspect.Parameter.empty:
            return gast.Subscript(value=name(given), slice=key, ctx=gast.Load())
        default = parameter.default
        if isinstance(default, _LITERALS):
            fallback = constant(default)
        else:
            fallback = helper_name(self.fn, self.names, f"default_{parameter.name}", default)
        return call(gast.Attribute(value=name(given), attr="get", ctx=gast.Load()), key, fallback)


def _is_literal_dict(node):
    return isinstance(node, gast.Dict) and all(isinstance(k, gast.Constant) and isinstance(k.value, str)
                                               for k in node.keys)


def _own_nodes(stmt):
    """The nodes of ``stmt`` outside its nested blocks (a loop's or a branch's body)."""
    for field, value in gast.iter_fields(stmt):
        if field in ("body", "orelse"):
            continue
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, gast.AST):
                yield from gast.walk(item)


def _taken(signature, node):
    """The parameters the call's positional arguments and named keywords bind."""
    positional = [p.name for p in signature.parameters.values()
                  if p.kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    taken = set(positional[:len(node.args)]) | {k.arg for k in node.keywords if k.arg is not None}
    if any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in signature.parameters.values()):
        taken |= set(positional)
    return taken | {p.name for p in signature.parameters.values()
                    if p.kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.VAR_POSITIONAL)}


def _label(func):
    return func.attr if isinstance(func, gast.Attribute) else getattr(func, "id", "the function")
