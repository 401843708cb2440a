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
from ..runtime.numeric import cotangent_times
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

    def __init__(self, bind_global, fresh, strong_zeros=None):
        self.bind_global = bind_global
        self.fresh = fresh
        self.strong_zeros = strong_zeros

    def inline(self, template, mapping, result, derivative):
        local_names = {local: self.fresh(local) for local in sorted(template.locals)}
        context = _Context(template, mapping, result, derivative, local_names, self.bind_global)
        context.strong_zeros = self.strong_zeros
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
        self.strong_zeros = None  # "reverse" or "forward": the products where a zero wins

    def statement(self, stmt):
        if isinstance(stmt, gast.Expr) and isinstance(stmt.value, gast.Constant):
            return []  # docstring
        if isinstance(stmt, gast.Assign) and _is_d(stmt.targets[0]):
            target = self.d_target(stmt.targets[0])
            if self.strong_zeros == "reverse":
                _mark_chain_rule_products(stmt.value, self.template)
            elif self.strong_zeros == "forward":
                _mark_masked_tangents(stmt.value, self.template)
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


# -------------------------------------------------- strong zeros in the chain rule
# A reverse rule multiplies the cotangent d[y] by a local derivative (d[y] / x,
# d[y] * b). Where d[y] is 0 the value does not reach the output (np.where's untaken
# branch, an element indexing left out, a result times 0), and its contribution must be
# 0 even where the local derivative is inf or nan there: such a product is written
# cotangent_times(d_y, partial). A "singular" product (a division, a log, a power with
# a computed exponent) can be non-finite at finite arguments and is always guarded; a
# "regular" one only where the forward sweep may have left a non-finite value aside
# (the optimiser writes it back as d_y * partial where no np.where, comparison or
# selection precedes it).

# the factors of a product that are not finite at some finite argument
_SINGULAR_FUNCTIONS = {"log", "log2", "log10", "log1p", "xlogy", "log_softmax", "reciprocal"}
# factors that are finite whatever they are given
_FINITE_FUNCTIONS = {"sign", "within", "at_low_bound", "at_high_bound"}


def _mark_chain_rule_products(expr, template):
    """Mark, in a reverse template's ``d[x] = expr``, each product or quotient that has
    ``d[result]`` as a factor and a factor that may not be finite, "singular" or
    "regular" (see above): :class:`_Substitute` writes them with :func:`cotangent_times`."""
    _mark_products(expr, lambda factors: [f for f in factors if _is_d(f) and _d_key(f) == template.result],
                   template)


def _mark_masked_tangents(expr, template):
    """Mark, in a tangent template's ``d[y] = expr``, each product of a tangent and a mask
    (``d[x1] * (x1 >= x2)``): the mask's zeros win over an infinite tangent, as in reverse
    mode (the tangent of ``np.maximum(np.log(x), 0)`` at 0 is 0)."""
    def masks(factors):
        return [f for f in factors if _is_mask(f)][:1] if any(_is_d(f) for f in factors) else []
    _mark_products(expr, masks, template, always="mask")


def _is_mask(node):
    return isinstance(node, gast.Compare) or isinstance(node, gast.Call) and _called_name(node) in _FINITE_FUNCTIONS


def _mark_products(expr, zero_factors, template, always=None):
    """Mark the products of ``expr`` whose factor ``zero_factors(factors)`` names (one) is to
    win when it is 0: with a ``kind`` (``always``, or singular/regular by the other factors)."""
    for node in gast.walk(expr):
        if hasattr(node, "srcad_strong_zero") or not _is_product(node):
            continue
        factors, divisors = _product_parts(node)
        cotangents = zero_factors(factors)
        if len(cotangents) != 1:
            continue
        others = [f for f in factors if f is not cotangents[0]]
        powers = [f for f in others if _is_power(f) and _is_singular_factor(f, template)]
        singular = bool([f for f in divisors if not _is_constant(f, template)]) \
            or any(_is_singular_factor(f, template) for f in others if not _is_power(f))
        if always or singular or powers or any(not _is_finite_factor(f, template) for f in others):
            node.srcad_strong_zero = always or ("singular" if singular or powers else "regular")
            cotangents[0].srcad_cotangent = True
            # a power is singular only until its exponent turns out to be a literal >= 0
            node.srcad_singular_powers = [] if singular else powers
            for inner in gast.walk(node):
                if inner is not node and _is_product(inner):
                    inner.srcad_strong_zero = None  # inside a marked product: the outer one guards


def _is_product(node):
    return isinstance(node, gast.BinOp) and isinstance(node.op, (gast.Mult, gast.Div)) \
        or isinstance(node, gast.UnaryOp) and isinstance(node.op, (gast.USub, gast.UAdd))


def _product_parts(node):
    """The factors and the divisors of ``-a * b / c``: ([a, b], [c])."""
    if isinstance(node, gast.UnaryOp) and isinstance(node.op, (gast.USub, gast.UAdd)):
        return _product_parts(node.operand)
    if isinstance(node, gast.BinOp) and isinstance(node.op, gast.Mult):
        left, right = _product_parts(node.left), _product_parts(node.right)
        return left[0] + right[0], left[1] + right[1]
    if isinstance(node, gast.BinOp) and isinstance(node.op, gast.Div):
        left = _product_parts(node.left)
        return left[0], left[1] + [node.right]
    return [node], []


def _is_constant(node, template):
    """An expression of literals and module constants (``math.log(2.0)``), of no argument."""
    names = {n.id for n in gast.walk(node) if isinstance(n, gast.Name)}
    parameters = {template.result, *template.params, *template.kwonly, template.varargs} | template.locals
    return not any(_is_d(n) for n in gast.walk(node)) and not names & parameters


def _is_power(node):
    """``a ** b``, or ``power(a, b)`` (the rules' spelling of it that gives inf at 0 for floats)."""
    return isinstance(node, gast.BinOp) and isinstance(node.op, gast.Pow) \
        or isinstance(node, gast.Call) and _called_name(node) == "power" and len(node.args) == 2


def _exponent(power_node):
    return power_node.right if isinstance(power_node, gast.BinOp) else power_node.args[1]


def _is_natural_power(node):
    return _is_number(_exponent(node)) and _exponent(node).value >= 0


def _is_singular_factor(node, template):
    if _is_power(node):
        exponent = _exponent(node)
        return not (_is_number(exponent) and exponent.value >= 0) and not _is_constant(node, template)
    if isinstance(node, gast.Call) and not _is_constant(node, template):
        return _called_name(node) in _SINGULAR_FUNCTIONS
    return False


def _is_finite_factor(node, template):
    return isinstance(node, gast.Compare) or _is_constant(node, template) \
        or isinstance(node, gast.Call) and _called_name(node) in _FINITE_FUNCTIONS


def _called_name(call):
    func = call.func
    return func.attr if isinstance(func, gast.Attribute) else getattr(func, "id", None)


def _partial(product):
    """``product`` (a substituted chain of ``*`` and ``/``) without its cotangent factor:
    ``d_y * b * c`` gives ``b * c``, ``-d_y / x`` gives ``-1.0 / x``."""
    if getattr(product, "srcad_cotangent", False):
        return constant(1.0)
    if isinstance(product, gast.UnaryOp):
        return gast.UnaryOp(op=product.op, operand=_partial(product.operand))
    if isinstance(product.op, gast.Mult) and _holds_cotangent(product.right):
        left, right = product.right, product.left
    else:
        left, right = product.left, product.right
    if not _holds_cotangent(left):
        return gast.BinOp(left=left, op=product.op, right=right)  # only in a quotient's denominator: not here
    rest = _partial(left)
    if isinstance(product.op, gast.Mult) and _is_number(rest) and rest.value == 1.0:
        return right
    return gast.BinOp(left=rest, op=product.op, right=right)


def _without_marks(node):
    copy = clone(node)
    copy.srcad_cotangent = False
    return copy


def _holds_cotangent(node):
    return any(getattr(n, "srcad_cotangent", False) for n in gast.walk(node))


# a helper marked so returns its first argument unchanged when the argument at that position is the literal
_PASSES_THROUGH = (("srcad_same_when_none", None), ("srcad_same_when_false", False))


class _Substitute(gast.NodeTransformer):
    def __init__(self, context):
        self.context = context

    def visit_BinOp(self, node):
        return self._guarded(node)

    def visit_UnaryOp(self, node):
        return self._guarded(node)

    def _guarded(self, node):
        self.generic_visit(node)
        kind = getattr(node, "srcad_strong_zero", None)
        if kind is None:
            return node
        powers = getattr(node, "srcad_singular_powers", [])
        if kind == "singular" and powers and all(_is_natural_power(p) for p in powers):
            kind = "regular"  # x ** exponent_minus_one(2) became x ** 1
        cotangent = next(n for n in gast.walk(node) if getattr(n, "srcad_cotangent", False))
        if _is_number(cotangent) and cotangent.value != 0:
            return node  # a cotangent of ones reaches every element
        helper = name(self.context.bind_global("cotangent_times", cotangent_times))
        guarded = gast.Call(func=helper, args=[_without_marks(cotangent), _partial(node)], keywords=[])
        guarded.srcad_strong_zero = kind
        return guarded

    def visit_Subscript(self, node):
        if _is_d(node):
            key = _d_key(node)
            context = self.context
            if key == context.template.result:
                cotangent = clone(context.derivative(("result",)))
                cotangent.srcad_cotangent = getattr(node, "srcad_cotangent", False)
                return cotangent
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
        if getattr(helper, "srcad_operator_unless_negative", False) and len(node.args) == 2 \
                and _is_number(node.args[1]) and node.args[1].value >= 0:
            return gast.BinOp(left=node.args[0], op=gast.Pow(), right=node.args[1])  # it cannot raise
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
