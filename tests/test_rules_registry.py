"""The rule library as a whole: every op has both rules, every rule is tested,
templates keep to the form the engine inlines, and their parameters bind the
way the real functions' do."""
import ast
import builtins
import inspect
import math
import operator
import re
import textwrap
from pathlib import Path

import numpy as np
import pytest
import scipy.special
import scipy.stats

import test_rules_builtins
import test_rules_helpers
import test_rules_linalg
import test_rules_math
import test_rules_numpy
import test_rules_operators
import test_rules_random
import test_rules_scipy
import srcad
from rule_harness import op_name
from srcad import SrcadError, adjoint, d, tangent
from srcad.compiler.inline import Template
from srcad.runtime import numeric
from srcad.rules.registry import ADJOINTS, NONDIFFERENTIABLE, TANGENTS

# ops with only one of the two rules, and why
ONE_SIDED = {}

LIBRARY = ("srcad.rules.operators", "srcad.rules.numpy_rules", "srcad.rules.linalg_rules",
           "srcad.rules.math_rules", "srcad.rules.builtin_rules", "srcad.rules.scipy_special",
           "srcad.rules.scipy_stats")
# the rule library's own rules (other modules, such as srcad.nn, register theirs too)
OWN_ADJOINTS = {op: t for op, t in ADJOINTS.items() if t.__module__ in LIBRARY}
OWN_TANGENTS = {op: t for op, t in TANGENTS.items() if t.__module__ in LIBRARY}

TEMPLATES = sorted({*OWN_ADJOINTS.values(), *OWN_TANGENTS.values()},
                   key=lambda t: (t.__module__, t.__code__.co_firstlineno))


def _template_id(t):
    return f"{t.__module__.rsplit('.', 1)[-1]}:{t.__code__.co_firstlineno}"


def test_every_adjoint_has_a_tangent_and_back():
    assert set(OWN_ADJOINTS) - set(OWN_TANGENTS) == {op for op, side in ONE_SIDED.items() if side == "adjoint"}
    assert set(OWN_TANGENTS) - set(OWN_ADJOINTS) == {op for op, side in ONE_SIDED.items() if side == "tangent"}


def test_nothing_is_both_differentiable_and_not():
    assert not (set(OWN_ADJOINTS) | set(OWN_TANGENTS)) & NONDIFFERENTIABLE


def test_every_rule_is_exercised_by_a_test_case():
    tested = set()
    for module in (test_rules_operators, test_rules_numpy, test_rules_linalg, test_rules_math,
                   test_rules_builtins, test_rules_helpers, test_rules_scipy):
        for cases in (getattr(module, "CASES", []), getattr(module, "DTYPE_CASES", [])):
            tested.update(case.values[0] for case in cases)
    tested.update(test_rules_random.PATHWISE)  # random draws: checked with the generator seeded
    untested = [op_name(op) for op in OWN_ADJOINTS if op not in tested]
    assert not untested, f"no test case for {untested}"


REQUIRED = [
    operator.add, operator.sub, operator.mul, operator.truediv, operator.pow, operator.matmul,
    operator.neg, operator.pos, operator.getitem,
    math.sin, math.cos, math.tan, math.exp, math.log, math.log1p, math.expm1, math.sqrt, math.tanh,
    math.sinh, math.cosh, math.atan, math.asin, math.acos, math.pow, math.fabs, math.hypot,
    abs, sum, min, max, float,
    np.add, np.subtract, np.multiply, np.divide, np.true_divide, np.negative, np.positive, np.power,
    np.square, np.sqrt, np.cbrt, np.reciprocal, np.exp, np.exp2, np.expm1, np.log, np.log2, np.log10,
    np.log1p, np.logaddexp, np.sin, np.cos, np.tan, np.arcsin, np.arccos, np.arctan, np.arctan2,
    np.sinh, np.cosh, np.tanh, np.arcsinh, np.arccosh, np.arctanh, np.abs, np.absolute, np.fabs,
    np.maximum, np.minimum, np.fmax, np.fmin, np.clip, np.where, np.dot, np.matmul, np.inner,
    np.outer, np.tensordot, np.einsum, np.sum, np.mean, np.prod, np.max, np.amax, np.min, np.amin,
    np.var, np.std, np.cumsum, np.linalg.norm, np.reshape, np.ravel, np.transpose, np.swapaxes,
    np.moveaxis, np.squeeze, np.expand_dims, np.broadcast_to, np.concatenate, np.stack, np.hstack,
    np.vstack, np.split, np.tile, np.repeat, np.flip, np.diag, np.trace, np.triu, np.tril, np.take,
    np.array, np.asarray, np.copy,
    np.ndarray.T, np.ndarray.sum, np.ndarray.mean, np.ndarray.max, np.ndarray.min, np.ndarray.prod,
    np.ndarray.reshape, np.ndarray.ravel, np.ndarray.flatten, np.ndarray.dot, np.ndarray.transpose,
    np.ndarray.astype, np.ndarray.copy, np.ndarray.squeeze, np.ndarray.var, np.ndarray.std,
    np.ndarray.cumsum, np.ndarray.clip,
]

REQUIRED_NONDIFFERENTIABLE = [
    operator.lt, operator.le, operator.gt, operator.ge, operator.eq, operator.ne,
    operator.floordiv, len, range, int, bool, round,
    np.greater, np.less, np.equal, np.argmax, np.argmin, np.argsort, np.floor, np.ceil, np.round,
    np.rint, np.trunc, np.sign, np.isnan, np.isfinite, np.logical_and, np.logical_not,
    np.zeros, np.ones, np.empty, np.eye, np.zeros_like,
    np.ones_like, np.empty_like, np.random.randn, np.random.rand,
    np.ndarray.shape, np.ndarray.ndim, np.ndarray.size, np.ndarray.dtype,
]


@pytest.mark.parametrize("op", REQUIRED, ids=op_name)
def test_required_op_has_both_rules(op):
    assert op in ADJOINTS and op in TANGENTS


@pytest.mark.parametrize("op", REQUIRED_NONDIFFERENTIABLE, ids=op_name)
def test_required_op_is_declared_nondifferentiable(op):
    assert op in NONDIFFERENTIABLE


# ------------------------------------------------- the form the engine inlines


def _parse(template):
    return ast.parse(textwrap.dedent(inspect.getsource(template))).body[0]


def _d_subscripts(node):
    return [n for n in ast.walk(node) if isinstance(n, ast.Subscript)
            and isinstance(n.value, ast.Name) and n.value.id == "d"]


def _terms(node):
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)):
        return _terms(node.left) + _terms(node.right)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return _terms(node.operand)
    return [node]


def _kind(template):
    return "adjoint" if template in OWN_ADJOINTS.values() else "tangent"


@pytest.mark.parametrize("template", TEMPLATES, ids=_template_id)
def test_template_is_straight_line_assignments(template):
    tree = _parse(template)
    for stmt in tree.body:
        docstring = isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)
        assert isinstance(stmt, ast.Assign) or docstring, ast.unparse(stmt)
        if isinstance(stmt, ast.Assign):
            assert len(stmt.targets) == 1, ast.unparse(stmt)
    subscripts = _d_subscripts(tree)
    for sub in subscripts:
        assert isinstance(sub.slice, ast.Name), f"d[...] must name a parameter: {ast.unparse(sub)}"
    marker_uses = [n for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id == "d"]
    assert len(marker_uses) == len(subscripts), "d appears outside d[name]"


@pytest.mark.parametrize("template", TEMPLATES, ids=_template_id)
def test_template_reads_and_writes_the_right_derivatives(template):
    assert template in OWN_ADJOINTS.values() or template in OWN_TANGENTS.values()
    assert not (template in OWN_ADJOINTS.values() and template in OWN_TANGENTS.values())
    names = list(inspect.signature(template).parameters)
    result, params = names[0], set(names[1:])
    writes, reads = [], set()
    for stmt in _parse(template).body:
        if isinstance(stmt, ast.Assign) and _d_subscripts(stmt.targets[0]):
            writes.append(stmt.targets[0].slice.id)
        reads |= {s.slice.id for s in _d_subscripts(stmt.value if isinstance(stmt, ast.Assign) else stmt)}
    if _kind(template) == "adjoint":
        assert reads == {result}, f"an adjoint reads d[{result}] only, not {reads}"
        assert writes and set(writes) <= params and len(writes) == len(set(writes))
    else:
        assert writes == [result], f"a tangent writes d[{result}] once, not {writes}"
        assert reads and reads <= params


def _derivatives_read(node, locals_read):
    """The parameters whose derivatives ``node`` reads, directly or through a local computed from them."""
    read = {s.slice.id for s in _d_subscripts(node)}
    for n in ast.walk(node):
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load):
            read |= locals_read.get(n.id, set())
    return read


@pytest.mark.parametrize("template", [t for t in TEMPLATES if t in OWN_TANGENTS.values()], ids=_template_id)
def test_each_tangent_term_is_linear_in_one_derivative(template):
    body = _parse(template).body
    (stmt,) = [s for s in body if isinstance(s, ast.Assign) and _d_subscripts(s.targets[0])]
    locals_read = {}
    for local in body:
        if isinstance(local, ast.Assign) and local is not stmt:
            read = _derivatives_read(local.value, locals_read)
            for target in ast.walk(local.targets[0]):
                if isinstance(target, ast.Name):
                    locals_read[target.id] = read
                    # a local read by several terms may carry the tangent of one parameter only
                    assert len(read) <= 1, f"{target.id} reads the derivatives of {read}"
    # the tangent of a tuple (one per item of the result) is such a sum item by item
    items = stmt.value.elts if isinstance(stmt.value, ast.Tuple) else [stmt.value]
    for item in items:
        for term in _terms(item):
            read = _derivatives_read(term, locals_read)
            assert len(read) == 1 or not read and isinstance(stmt.value, ast.Tuple), (
                f"term {ast.unparse(term)} reads {read}")


# -------------------------------------- parameters bind as the real function's
# A call binds the same parameters in the template as in the function: the
# positional order and the names of parameters that may be passed by keyword
# agree, and so do defaults. (A template may accept more than the function.)

# parameter names a template keeps for older NumPy (np.reshape's ``newshape`` in 1.x)
COMPATIBLE_NAMES = {"newshape", "shape"}
# the einsum subscripts are the first of NumPy's ``*operands``; np.r_[...]'s key is spread out
OWN_LAYOUT = {np.einsum, type(np.r_).__getitem__}
# ops sharing a template whose default differs, where the derivative does not depend on it
IGNORED_DEFAULTS = {(np.ndarray.copy, "order")}


def _signature(op):
    if not callable(op):
        return None
    try:
        return inspect.signature(op)
    except (TypeError, ValueError):
        return None


SIGNED = [op for op in OWN_ADJOINTS if _signature(op) is not None and op not in OWN_LAYOUT]


@pytest.mark.parametrize("op", SIGNED, ids=op_name)
def test_template_parameters_bind_like_the_function(op):
    P = inspect.Parameter
    real = list(_signature(op).parameters.values())
    real_by_name = {p.name: p for p in real}
    for template in (OWN_ADJOINTS[op], OWN_TANGENTS[op]):
        params = list(inspect.signature(template).parameters.values())[1:]
        real_positional = [p for p in real if p.kind in (P.POSITIONAL_ONLY, P.POSITIONAL_OR_KEYWORD)]
        positional = [p for p in params if p.kind in (P.POSITIONAL_ONLY, P.POSITIONAL_OR_KEYWORD)]
        for mine, theirs in zip(positional, real_positional):
            if theirs.kind is P.POSITIONAL_OR_KEYWORD:
                assert mine.name == theirs.name or {mine.name, theirs.name} <= COMPATIBLE_NAMES, (
                    f"{op_name(op)}: parameter {theirs.name!r} is called {mine.name!r} in the template")
        for i, mine in enumerate(params):
            if mine.kind is P.VAR_POSITIONAL:
                assert any(p.kind is P.VAR_POSITIONAL for p in real), f"{op_name(op)} takes no *{mine.name}"
                continue
            if i < len(real_positional) and real_positional[i].kind is P.POSITIONAL_ONLY:
                continue  # bound by position only: the name is the template's own
            theirs = real_by_name.get(mine.name)
            if (theirs is not None and theirs.default is not P.empty and theirs.default is not np._NoValue
                    and (op, mine.name) not in IGNORED_DEFAULTS):
                assert mine.default == theirs.default, (
                    f"{op_name(op)}: {mine.name}={theirs.default!r}, template says {mine.default!r}")


# ------------------------------------------- templates srcad can read and inline


@pytest.mark.parametrize("template", sorted({*ADJOINTS.values(), *TANGENTS.values()},
                                            key=lambda t: (t.__module__, t.__code__.co_firstlineno)),
                         ids=_template_id)
def test_every_registered_template_names_only_what_exists(template):
    Template(template)  # raises SrcadError naming the rule and the missing helper


def _ruled(x):
    return x * 2.0


@adjoint(_ruled)
def _(y, x):
    d[x] = d[y] * undefined_helper(x)  # noqa: F821 - the mistake under test


@tangent(_ruled)
def _(y, x):
    d[y] = d[x] * another_undefined_helper(x)  # noqa: F821 - the mistake under test


def _calls_ruled(x):
    return _ruled(x) * 3.0


def test_a_rule_naming_an_undefined_helper_is_a_clear_error():
    with pytest.raises(SrcadError, match=r"adjoint rule of .*_ruled .*uses undefined_helper"):
        srcad.grad(_calls_ruled)(1.5)
    with pytest.raises(SrcadError, match=r"tangent rule of .*_ruled .*uses another_undefined_helper"):
        srcad.jvp(_calls_ruled)(1.5, 1.0)


def _misnamed(x):
    return x + 1.0


@adjoint(_misnamed)
def _(y, x):
    d[z] = d[y]  # noqa: F821 - the mistake under test


@tangent(_misnamed)
def _(y, x):
    d[y] = d[x]


def test_a_rule_writing_d_of_a_non_parameter_is_a_clear_error():
    with pytest.raises(SrcadError, match=r"adjoint rule of .*_misnamed .*d\[z\]"):
        srcad.grad(_misnamed)(1.5)


# ------------------------------------------------ the page lists every rule

DOCS = Path(__file__).resolve().parent.parent / "docs" / "rules.md"
TABLE = re.compile(r"(<!-- rules table: start -->\n)(.*?)(<!-- rules table: end -->)", re.S)
# where users find the functions the library has rules for, in the spelling the table uses
PUBLIC = [("np", np), ("np.linalg", np.linalg), ("np.random", np.random), ("np.ndarray", np.ndarray),
          ("math", math), ("operator", operator), ("srcad.nn", srcad.nn), ("scipy.special", scipy.special),
          ("scipy.stats.norm", scipy.stats.norm), ("scipy.stats.multivariate_normal", scipy.stats.multivariate_normal)]
SHOWN = ("srcad.rules.numpy_rules", "srcad.rules.linalg_rules", "srcad.rules.operators", "srcad.rules.math_rules",
         "srcad.rules.builtin_rules", "srcad.rules.container_rules", "srcad.rules.scipy_special",
         "srcad.rules.scipy_stats", "srcad.nn")


def _public_name(op):
    if (getattr(op, "__module__", None) or "").startswith("numpy.random"):
        return "np.random." + op.__qualname__  # a generator's method (rng.normal): np.random.Generator.normal
    own = getattr(op, "__name__", None)
    for prefix, namespace in PUBLIC:
        if own and getattr(namespace, own, None) is op:  # np.arccos rather than its alias np.acos
            return f"{prefix}.{own}"
    for prefix, namespace in PUBLIC:
        for attribute in dir(namespace):
            found = getattr(namespace, attribute, None) if not attribute.startswith("_") else None
            if found is op or inspect.ismethod(op) and found == op:  # a bound method is made anew each time
                return f"{prefix}.{attribute}"
    if getattr(builtins, getattr(op, "__name__", ""), None) is op:
        return op.__name__
    return getattr(op, "__qualname__", None) and (
        "np.r_[...], np.c_[...]" if op is type(np.r_).__getitem__ else op.__qualname__)


def _module_of(name):
    if name.startswith("scipy."):
        return "scipy.stats" if name.startswith("scipy.stats") else "scipy.special"
    if name.startswith(("np.linalg.", "np.random.")):
        return "numpy." + name.split(".")[1]
    if name.startswith("np."):
        return "numpy"
    return name.rsplit(".", 1)[0] if "." in name and not name.startswith(("dict.", "list.")) else "builtins"


def _group(template):
    """The section comment (``# ---- products of arrays``) the rule stands under in its file."""
    lines, start = inspect.getsourcelines(inspect.getmodule(template))[0], template.__code__.co_firstlineno
    for line in reversed(lines[:start]):
        if re.match(r"#\s*-{3,}", line):
            return line.strip("#- \n").rstrip("-").strip() or "neural-network functions"
    return ""


def _user_facing(op):
    module = getattr(op, "__module__", None) or ""
    return not module.startswith("srcad.runtime") and _public_name(op) is not None


def rules_table():
    """The Markdown table of docs/rules.md: one row per rule, with the functions it serves."""
    rows = {}
    for op, template in ADJOINTS.items():
        if template.__module__ in SHOWN and _user_facing(op):
            rows.setdefault(template, []).append(_public_name(op))
    lines = ["| functions | module | kind |", "|---|---|---|"]
    for template, names in sorted(rows.items(), key=lambda item: (SHOWN.index(item[0].__module__),
                                                                   item[0].__code__.co_firstlineno)):
        group = _group(template) if template.__module__ != "srcad.nn" else "neural-network functions"
        lines.append(f"| {', '.join(f'`{n}`' for n in names)} | {_module_of(names[0])} | {group} |")
    return "\n".join(lines) + "\n"


def test_docs_list_every_rule():
    found = TABLE.search(DOCS.read_text())
    assert found is not None, "docs/rules.md has no rules table"
    assert found.group(2) == rules_table(), "docs/rules.md is out of date: run python tests/test_rules_registry.py"


if __name__ == "__main__":
    text = DOCS.read_text()
    DOCS.write_text(TABLE.sub(lambda m: m.group(1) + rules_table() + m.group(3), text))
