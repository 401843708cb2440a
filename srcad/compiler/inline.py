"""Inline a rule template into generated code.

A template's parameters are replaced by the operation's argument expressions,
``d[...]`` by derivative variables, its local names by fresh readable names and
its global names (``np``, runtime helpers) by names bound in the generated
module. Contributions ``d[param] = expr`` are handed back to the caller, which
decides how to accumulate them, or drops them when the parameter is inactive.
"""
import ast
import builtins
import inspect
import textwrap
import warnings
from dataclasses import dataclass

import gast
import numpy as np

from ..errors import NonDifferentiableError, SrcadError
from ..rules import registry
from .syntax import clone, constant, name


@dataclass
class Contribution:
    """``d[target] = value`` in a template: ``target`` is an argument expression
    (or a tuple of them, for ``*args`` parameters)."""

    target: object
    value: object
    varargs: bool = False


class Zero:
    """The derivative of an inactive value in a tangent template; ``like`` is its primal."""

    def __init__(self, like):
        self.like = like


class Template:
    """A parsed rule template."""

    _cache = {}

    def __init__(self, function):
        self.function = function
        try:
            source = textwrap.dedent(inspect.getsource(function))
        except (OSError, TypeError):
            raise SrcadError(f"srcad cannot read the source of the rule {getattr(function, '__qualname__', function)}: "
                             f"a rule is a template whose body srcad copies, so define it with def in a "
                             f".py file") from None
        node = next(n for n in gast.walk(gast.parse(source)) if isinstance(n, gast.FunctionDef))
        self.body = node.body
        args = node.args
        self.result = args.args[0].id
        self.params = [a.id for a in args.args[1:]]
        self.kwonly = [a.id for a in args.kwonlyargs]
        self.varargs = args.vararg.id if args.vararg is not None else None
        signature = inspect.signature(function)
        self.signature = signature.replace(parameters=list(signature.parameters.values())[1:])
        self.locals = {n.id for n in gast.walk(node) if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)}
        self.locals -= {self.result, *self.params, *self.kwonly, self.varargs}
        self.globals = function.__globals__
        self._check_names(node)

    def _check_names(self, node):
        """Refuse now, naming the rule, a template whose body names a helper that does not exist
        or writes ``d[...]`` of something that is not a parameter."""
        parameters = {self.result, *self.params, *self.kwonly, self.varargs}
        for n in gast.walk(node):
            if _is_d(n):
                index = n.slice
                if not (isinstance(index, gast.Name) and index.id in parameters):
                    raise SrcadError(f"{rule_name(self.function)} reads or writes d[{ast.unparse(gast.gast_to_ast(index))}]: "
                                     f"d[...] must name one of the rule's parameters {sorted(parameters - {None})}")
        body = gast.Module(body=node.body, type_ignores=[])
        for n in gast.walk(body):
            if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load) and n.id not in parameters \
                    and n.id not in self.locals and n.id != "d":
                try:
                    self.resolve_global(n.id)
                except AttributeError:
                    raise SrcadError(f"{rule_name(self.function)} uses {n.id}, which is not defined in "
                                     f"{self.function.__module__} (a helper the rule calls must be importable "
                                     f"there)") from None

    @classmethod
    def of(cls, function):
        if function not in cls._cache:
            cls._cache[function] = cls(function)
        return cls._cache[function]

    def bind(self, args, keywords):
        """Map each parameter name to its argument expression (defaults as literals)."""
        bound = self.signature.bind(*args, **keywords)
        bound.apply_defaults()
        mapping = {}
        for param, value in bound.arguments.items():
            if param == self.varargs:
                mapping[param] = tuple(value)
            elif isinstance(value, gast.AST):
                mapping[param] = value
            else:
                mapping[param] = constant(value)
        return mapping

    def bind_operation(self, operation, where):
        """:meth:`bind` for a call in the user's code; ``where`` locates it for the error."""
        try:
            return self.bind(operation.args, operation.keywords)
        except TypeError as error:
            raise NonDifferentiableError(
                f"the call to {operation.label} does not match its derivative rule: {error}{where}") from None

    def resolve_global(self, identifier):
        if identifier in self.globals:
            return self.globals[identifier]
        return getattr(builtins, identifier)


def rule_name(template):
    """``the adjoint rule of np.tanh (srcad/rules/numpy_rules.py:120)``: a template for messages."""
    ops = [op for op, t in registry.ADJOINTS.items() if t is template]
    kind = "adjoint"
    if not ops:
        ops = [op for op, t in registry.TANGENTS.items() if t is template]
        kind = "tangent"
    code = getattr(template, "__code__", None)
    where = f" ({code.co_filename}:{code.co_firstlineno})" if code is not None else ""
    names = ", ".join(_op_label(op) for op in ops) or getattr(template, "__qualname__", repr(template))
    return f"the {kind} rule of {names}{where}"


def _op_label(op):
    module = getattr(op, "__module__", None) or ""
    label = getattr(op, "__qualname__", None) or getattr(op, "__name__", None) or repr(op)
    if isinstance(op, np.ufunc) or module.startswith("numpy"):
        return f"np.{label}"
    return label if module in ("", "builtins") else f"{module}.{label}"


class Inliner:
    """Turns a template plus bindings into statements and contributions.

    ``derivative`` maps an argument expression to the expression of its
    derivative (a name, or a :class:`Zero` in tangent mode); ``bind_global``
    gives the generated module's name for an object; ``fresh`` a new name.
    """

    def __init__(self, bind_global, fresh):
        self.bind_global = bind_global
        self.fresh = fresh

    def inline(self, template, mapping, result, derivative):
        local_names = {local: self.fresh(local) for local in sorted(template.locals)}
        context = _Context(template, mapping, result, derivative, local_names, self.bind_global)
        items = []
        for stmt in template.body:
            items.extend(context.statement(clone(stmt)))
        return items


class _Context:
    def __init__(self, template, mapping, result, derivative, local_names, bind_global):
        self.template = template
        self.mapping = mapping
        self.result = result
        self.derivative = derivative
        self.local_names = local_names
        self.bind_global = bind_global

    def statement(self, stmt):
        if isinstance(stmt, gast.Expr) and isinstance(stmt.value, gast.Constant):
            return []  # docstring
        if isinstance(stmt, gast.Assign) and _is_d(stmt.targets[0]):
            target = self.d_target(stmt.targets[0])
            value = self.expression(stmt.value)
            if isinstance(target, tuple):
                return [Contribution(target, value, varargs=True)]
            return [Contribution(target, value)]
        if isinstance(stmt, gast.If):
            test = self.expression(stmt.test)
            folded = _fold(test)
            if folded is not _UNFOLDED:
                branch = stmt.body if folded else stmt.orelse
                return [item for s in branch for item in self.statement(s)]
            body = [item for s in stmt.body for item in self.statement(s)]
            orelse = [item for s in stmt.orelse for item in self.statement(s)]
            if any(isinstance(i, Contribution) for i in body + orelse):
                raise SrcadError(f"{rule_name(self.template.function)} sets d[...] inside an if "
                                 f"that depends on values; write it as one expression (np.where) instead")
            return [gast.If(test=test, body=body or [gast.Pass()], orelse=orelse)]
        if isinstance(stmt, gast.Assign):
            stmt.value = self.expression(stmt.value)
            for target in stmt.targets:
                for n in gast.walk(target):
                    if isinstance(n, gast.Name) and n.id in self.local_names:
                        n.id = self.local_names[n.id]
            return [stmt]
        if isinstance(stmt, gast.Pass):
            return []
        raise SrcadError(f"{rule_name(self.template.function)} uses {type(stmt).__name__}: "
                         f"rule templates hold assignments, d[...] = ... and ifs on arguments only")

    def d_target(self, node):
        key = _d_key(node)
        if key == self.template.result:
            return ("result",)
        return self.mapping[key]

    def expression(self, node):
        return _Substitute(self).visit(node)


_UNFOLDED = object()


def _fold(test):
    """Evaluate a test made only of literals (``None is None``); else _UNFOLDED."""
    if any(isinstance(n, gast.Name) for n in gast.walk(test)):
        return _UNFOLDED
    try:
        tree = ast.fix_missing_locations(gast.gast_to_ast(gast.Expression(body=test)))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SyntaxWarning)  # `2.0 is None` is what we mean
            return bool(eval(compile(tree, "<rule>", "eval")))  # noqa: S307 - literals only
    except Exception:  # noqa: BLE001 - anything unfoldable stays a run-time test
        return _UNFOLDED


def _is_d(node):
    """``d[x]``, also spelled ``srcad.d[x]``."""
    if not isinstance(node, gast.Subscript):
        return False
    marker = node.value
    if isinstance(marker, gast.Attribute) and marker.attr == "d" and isinstance(marker.value, gast.Name):
        return marker.value.id == "srcad"
    return isinstance(marker, gast.Name) and marker.id == "d"


def _d_key(node):
    return node.slice.id  # a parameter's name: Template checks every d[...] when it reads the rule


def _is_number(node):
    return isinstance(node, gast.Constant) and isinstance(node.value, (int, float)) \
        and not isinstance(node.value, bool)


# a helper marked so returns its first argument unchanged when the argument at that position is the literal
_PASSES_THROUGH = (("srcad_same_when_none", None), ("srcad_same_when_false", False))


class _Substitute(gast.NodeTransformer):
    def __init__(self, context):
        self.context = context

    def visit_Subscript(self, node):
        if _is_d(node):
            key = _d_key(node)
            context = self.context
            if key == context.template.result:
                return clone(context.derivative(("result",)))
            target = context.mapping[key]
            if isinstance(target, tuple):
                return gast.Tuple(elts=[clone(context.derivative(t)) for t in target], ctx=gast.Load())
            return clone(context.derivative(target))
        self.generic_visit(node)
        return node

    def visit_Call(self, node):
        helper = None
        if isinstance(node.func, gast.Name) and node.func.id not in self.context.mapping \
                and node.func.id not in self.context.local_names:
            helper = self.context.template.resolve_global(node.func.id)
        self.generic_visit(node)
        if getattr(helper, "srcad_fold", False) and not node.keywords \
                and all(_is_number(a) for a in node.args):
            return constant(helper(*[a.value for a in node.args]))  # a helper of literals: its value
        for attribute, literal in _PASSES_THROUGH:
            position = getattr(helper, attribute, None)
            if position is not None and len(node.args) > position and not node.keywords \
                    and isinstance(node.args[position], gast.Constant) and node.args[position].value is literal:
                return node.args[0]  # the helper passes its first argument through
        return node

    def visit_IfExp(self, node):
        self.generic_visit(node)
        folded = _fold(node.test)
        if folded is _UNFOLDED:
            return node
        return node.body if folded else node.orelse  # a test of literals (prepend is None)

    def visit_Name(self, node):
        context = self.context
        identifier = node.id
        if identifier in context.local_names:
            return name(context.local_names[identifier])
        if identifier == context.template.result:
            return clone(context.result)
        if identifier in context.mapping:
            value = context.mapping[identifier]
            if isinstance(value, tuple):
                return gast.Tuple(elts=[clone(v) for v in value], ctx=gast.Load())
            return clone(value)
        obj = context.template.resolve_global(identifier)
        return name(context.bind_global(identifier, obj))
