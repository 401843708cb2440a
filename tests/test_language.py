"""The supported language is a whitelist (srcad/language.py): every class of Python's ``ast``
module is supported, refused with an UnsupportedSyntaxError, or never found in a function.

A program using each supported kind is differentiated and checked against finite
differences (both modes, optimised or not); a program using each refused kind, and each
refused form of a supported kind, raises.
"""
import ast
import itertools
import textwrap

import gast
import numpy as np
import pytest

import srcad
from gradcheck import assert_modes_agree
from program_helpers import load_function
from srcad.compiler.passes import p02_language as language
from srcad.compiler.passes.p01_parse import read_function

X = np.array([0.3, -0.7, 1.1])

# Programs that together use every supported kind; each is checked against finite differences.
SUPPORTED_PROGRAMS = {
    "statements": '''
def f(x):
    """A docstring."""
    total: float = 0.0
    n: int
    y: np.ndarray = np.tanh(x)
    a = b = y * 2.0
    (c, d), e = (a, b), x
    for i in range(3):
        total += np.sum(c * d) * i
        if i == 1:
            continue
        if total > 100.0:
            break
    k = 0
    while k < 2:
        e = e * 1.5
        k += 1
    z = np.zeros(3)
    z[0] = e[1]
    z[1:] += x[:2] ** 2
    assert z.shape == (3,), "a vector"
    if z.shape[0] != 3:
        raise ValueError(f"bad shape {z.shape[0]}")
    pass
    return total + np.sum(z)
''',
    "calls": '''
def helper(a, b=2.0, *, scale, shift=0.0):
    return a * b * scale + shift


def f(x):
    def inner(t, k):
        return t * k
    u = helper(x, x * 2.0, scale=0.5)
    d = {"w": u}
    return np.sum(inner(d["w"], 3.0) * x.T)
''',
    "spread call": '''
def helper(a, b, c, *rest):
    return a * b + c * rest[0]


def f(x):
    parts = [x, x * 2.0]
    return np.sum(helper(*parts, x, x))
''',
    "operators": '''
def f(x):
    i = (~1 & 3 | 4 ^ 1) << 2 >> 1
    j = 7 // 2 + 7 % 3
    v = -x + (+x) - x / 2.0 + x ** 2 * i - x * j
    m = x @ x
    flag = not (x[0] > 0 and x[1] < 0 or x[2] is None)
    w = v if flag or i in (1, 2) and i not in [3] and x is not None else x
    y = None or w
    s = m and y
    q = 0.0 <= x[0] < 10.0 and x[1] >= -5.0 and i == i and i != j and x[2] > x[1] and x[0] <= 1.0
    return np.sum(s * y) + (m if q else 0.0)
''',
    "comprehensions and lambdas": '''
def f(x):
    double = lambda t: t * 2.0
    squares = [double(t) ** 2 for t in x if t > -10.0]
    table = {k: x * k for k in range(3)}
    sizes = {len(row) for row in [x, x]}
    return sum(squares) + sum(np.sum(v) for v in table.values()) * len(sizes)
''',
}

# One program for each refused kind (on the Pythons whose ast has it).
REFUSED_PROGRAMS = {
    "AsyncFunctionDef": "def f(x):\n    async def inner():\n        return 1.0\n    return x * 2.0\n",
    "AsyncFor": "def f(x):\n    async def inner(xs):\n        async for t in xs:\n            pass\n    return x\n",
    "AsyncWith": "def f(x):\n    async def inner(c):\n        async with c:\n            pass\n    return x\n",
    "Await": "def f(x):\n    async def inner(c):\n        await c\n    return x\n",
    "Yield": "def f(x):\n    yield x * 2.0\n",
    "YieldFrom": "def f(x):\n    yield from [x]\n",
    "ClassDef": "def f(x):\n    class Holder:\n        pass\n    return x\n",
    "Try": "def f(x):\n    try:\n        y = x * 2.0\n    except ValueError:\n        y = x\n    return np.sum(y)\n",
    "TryStar": "def f(x):\n    try:\n        y = x * 2.0\n    except* ValueError:\n        y = x\n    return np.sum(y)\n",
    "ExceptHandler": "def f(x):\n    try:\n        y = x * 2.0\n    except ValueError:\n        y = x\n    return np.sum(y)\n",
    "With": "def f(x, c=None):\n    with c:\n        y = x * 2.0\n    return np.sum(y)\n",
    "withitem": "def f(x, c=None):\n    with c:\n        y = x * 2.0\n    return np.sum(y)\n",
    "Global": "def f(x):\n    global SCALE\n    return np.sum(x * SCALE)\n",
    "Nonlocal": "def f(x):\n    def inner():\n        nonlocal x\n        x = x * 2.0\n    inner()\n    return np.sum(x)\n",
    "Delete": "def f(x):\n    y = x * 2.0\n    del y\n    return np.sum(x)\n",
    "Del": "def f(x):\n    y = x * 2.0\n    del y\n    return np.sum(x)\n",
    "NamedExpr": "def f(x):\n    if (y := x * 2.0)[0] > 0:\n        x = y\n    return np.sum(x)\n",
    "Import": "def f(x):\n    import math\n    return np.sum(x) * math.pi\n",
    "ImportFrom": "def f(x):\n    from numpy import sin\n    return np.sum(sin(x))\n",
    "alias": "def f(x):\n    import math as m\n    return np.sum(x) * m.pi\n",
    "Set": "def f(x):\n    return sum({x[0], 5.0})\n",
    "Match": "def f(x, k=1):\n    match k:\n        case 1:\n            x = x * 2.0\n    return np.sum(x)\n",
    "match_case": "def f(x, k=1):\n    match k:\n        case 1:\n            x = x * 2.0\n    return np.sum(x)\n",
    "MatchValue": "def f(x, k=1):\n    match k:\n        case 1:\n            x = x * 2.0\n    return np.sum(x)\n",
    "MatchSingleton": "def f(x, k=1):\n    match k:\n        case None:\n            x = x * 2.0\n    return np.sum(x)\n",
    "MatchSequence": "def f(x, k=1):\n    match k:\n        case [a, *rest]:\n            x = x * 2.0\n    return np.sum(x)\n",
    "MatchStar": "def f(x, k=1):\n    match k:\n        case [a, *rest]:\n            x = x * 2.0\n    return np.sum(x)\n",
    "MatchMapping": "def f(x, k=1):\n    match k:\n        case {'a': 1}:\n            x = x * 2.0\n    return np.sum(x)\n",
    "MatchClass": "def f(x, k=1):\n    match k:\n        case int():\n            x = x * 2.0\n    return np.sum(x)\n",
    "MatchAs": "def f(x, k=1):\n    match k:\n        case 1 as one:\n            x = x * 2.0\n    return np.sum(x)\n",
    "MatchOr": "def f(x, k=1):\n    match k:\n        case 1 | 2:\n            x = x * 2.0\n    return np.sum(x)\n",
    "TypeAlias": "def f(x):\n    type Vector = list[float]\n    return np.sum(x)\n",
    "TypeVar": "def f(x):\n    def inner[T](t):\n        return t\n    return np.sum(inner(x))\n",
    "ParamSpec": "def f(x):\n    def inner[**P](t):\n        return t\n    return np.sum(inner(x))\n",
    "TypeVarTuple": "def f(x):\n    def inner[*Ts](t):\n        return t\n    return np.sum(inner(x))\n",
    "TemplateStr": "def f(x):\n    label = t'{x}'\n    return np.sum(x)\n",
    "Interpolation": "def f(x):\n    label = t'{x}'\n    return np.sum(x)\n",
}

# One program for each refused form of a supported kind, in the order of language.FORMS.
FORM_PROGRAMS = [
    "def f(x, holder=None):\n    holder.value = x\n    return np.sum(x)\n",
    "def f(x, holder=None):\n    holder.value += x\n    return np.sum(x)\n",
    "def f(x, holder=None):\n    holder.value: float = x\n    return np.sum(x)\n",
    "def f(x):\n    y = np.zeros((2, 3))\n    y[0][1] = x[0]\n    return np.sum(y)\n",
    "def f(x):\n    y = np.zeros((2, 3))\n    y[0][1] += x[0]\n    return np.sum(y)\n",
    "def f(x):\n    a, *rest = [x, x, x]\n    return np.sum(a * rest[0])\n",
    "def f(x):\n    np.zeros(3)[0] = x[0]\n    return np.sum(x)\n",
    "def f(x, holder=None):\n    holder.items[0] += x\n    return np.sum(x)\n",
    "def f(x, holder=None):\n    holder.items[0]: float = x\n    return np.sum(x)\n",
    "def f(x):\n    for i in range(3):\n        x = x * 2.0\n    else:\n        x = x + 1.0\n    return np.sum(x)\n",
    "def f(x):\n    while np.sum(x) < 10.0:\n        x = x * 2.0\n    else:\n        x = x + 1.0\n    return np.sum(x)\n",
    "def f(x):\n    y = np.zeros(3)\n    for y[0] in x:\n        pass\n    return np.sum(y)\n",
    "def f(x):\n    for a, b in range(3):\n        x = x * a\n    return np.sum(x)\n",
    "def f(x):\n    parts = [*x, 1.0]\n    return sum(parts)\n",
    "def f(x, options=None):\n    return np.sum(x, **options, **{'axis': 0})\n",
    "def f(x, /):\n    return np.sum(x)\n",
    "def f(x):\n    @np.vectorize\n    def inner(t):\n        return t * 2.0\n    return np.sum(inner(x))\n",
    "def f(x):\n    d = {'a': x}\n    e = {**d, 'b': 1.0}\n    return np.sum(e['a'])\n",
    "def f(x):\n    g = (t * 2.0 for t in x)\n    return sum(g)\n",
    "def f(x, c=True):\n    y = x if c else [t * 2.0 for t in x]\n    return np.sum(y)\n",
    "def f(x, c=True):\n    if c and all(t > 0 for t in x):\n        x = x * 2.0\n    return np.sum(x)\n",
    "def f(x):\n    y = np.tanh(x) or x\n    return np.sum(y)\n",
]


def _load(source, directory):
    return load_function(source, directory)


def _kinds_in(source):
    """The node classes a program holds, by name, as ``ast`` and as gast (``Param``) parse it."""
    source = textwrap.dedent(source)
    kinds = {type(n).__name__ for n in ast.walk(ast.parse(source))}
    return kinds | {type(n).__name__ for n in gast.walk(gast.parse(source))}


def _ast_classes():
    # private names (``_ast_Ellipsis`` on 3.12+) are implementations of public deprecated ones
    return sorted(name for name, value in vars(ast).items()
                  if isinstance(value, type) and issubclass(value, ast.AST) and not name.startswith("_"))


def test_the_tables_do_not_overlap():
    tables = [set(language.SUPPORTED), set(language.REFUSED), set(language.NOT_IN_CODE)]
    for first, second in itertools.combinations(tables, 2):
        assert not first & second


@pytest.mark.parametrize("kind", _ast_classes())
def test_every_ast_class_is_supported_refused_or_never_in_code(kind):
    assert kind in language.SUPPORTED or kind in language.REFUSED or kind in language.NOT_IN_CODE, kind
    if kind in language.SUPPORTED:
        assert any(kind in _kinds_in(source) for source in SUPPORTED_PROGRAMS.values()), \
            f"no program of SUPPORTED_PROGRAMS uses {kind}"
    elif kind in language.REFUSED:
        assert kind in _kinds_in(REFUSED_PROGRAMS[kind])


@pytest.mark.parametrize("kind", [k for k in _ast_classes() if k in language.NOT_IN_CODE])
def test_what_is_never_in_code_is_an_abstract_base_a_root_or_an_alias(kind):
    cls = getattr(ast, kind)
    abstract = any(other is not cls and issubclass(other, cls) for other in map(lambda n: getattr(ast, n),
                                                                               _ast_classes()))
    roots = {"Module", "Interactive", "Expression", "FunctionType", "TypeIgnore"}
    never_parsed = {"Num", "Str", "Bytes", "NameConstant", "Ellipsis", "Index", "ExtSlice", "Suite",
                    "AugLoad", "AugStore"}
    assert abstract or kind in roots or kind in never_parsed


@pytest.mark.parametrize("name", SUPPORTED_PROGRAMS)
def test_supported_programs_get_the_finite_difference_gradient(name, tmp_path):
    f = _load(SUPPORTED_PROGRAMS[name], tmp_path)
    # forward mode does not spread arguments yet
    assert_modes_agree(f, (X,), forward=name != "spread call")


@pytest.mark.parametrize("kind", sorted(k for k in language.REFUSED if hasattr(ast, k)))
def test_a_program_using_a_refused_kind_raises(kind, tmp_path):
    f = _load(REFUSED_PROGRAMS[kind], tmp_path)
    with pytest.raises(srcad.UnsupportedSyntaxError) as caught:
        srcad.grad(f)(X)
    assert caught.value.filename.endswith(".py") and caught.value.lineno > 1
    # the program may be refused at an enclosing construct first (async def, a comprehension)
    assert caught.value.message.startswith("srcad cannot differentiate ")
    assert caught.value.hint and str(caught.value).endswith(f"\nhint: {caught.value.hint}")
    assert "^" in str(caught.value).splitlines()[3]


@pytest.mark.parametrize("form, source", list(zip(language.FORMS, FORM_PROGRAMS)), ids=lambda v: getattr(v, "example", ""))
def test_a_refused_form_raises_its_message(form, source, tmp_path):
    assert len(FORM_PROGRAMS) == len(language.FORMS)
    assert form.kind in _kinds_in(source)
    f = _load(source, tmp_path)
    for transform in (srcad.grad, srcad.jvp):
        with pytest.raises(srcad.UnsupportedSyntaxError) as caught:
            transform(f).source
        what, _, hint = form.message.partition("; ")
        assert caught.value.message == f"srcad cannot differentiate {what}"
        assert hint and caught.value.hint == hint
        line = caught.value.lineno - f.__code__.co_firstlineno
        assert caught.value.text.strip() == textwrap.dedent(source).splitlines()[line].strip()


def test_a_kind_srcad_does_not_know_is_refused(tmp_path):
    f = _load("def f(x):\n    return np.sum(x)\n", tmp_path)
    fn = read_function(f)

    class Novel(gast.expr):
        _fields = ()

    novel = Novel()
    novel.lineno = fn.node.body[0].lineno
    fn.node.body[0].value = novel
    with pytest.raises(srcad.UnsupportedSyntaxError, match="Novel"):
        language.check_language(fn)


# ------------------------------------------------ annotated, chained and value-level and/or
NORMALISED = {
    "annotated with a value": "def f(x):\n    y: np.ndarray = np.tanh(x)\n    return np.sum(y)\n",
    "annotated without a value": "def f(x):\n    n: int\n    y: np.ndarray = np.tanh(x)\n"
                                 "    n = 2\n    return np.sum(y) * n\n",
    "annotated accumulator in a loop": "def f(x):\n    total: float = 0.0\n    for i in range(3):\n"
                                       "        total += np.sum(np.sin(x) * i)\n    return total\n",
    "annotated in a while loop and a branch": "def f(x):\n    k: int = 0\n    while k < 3:\n"
                                              "        if k == 1:\n            y: np.ndarray = x * 2.0\n"
                                              "        else:\n            y: np.ndarray = np.cos(x)\n"
                                              "        x = y * x\n        k += 1\n    return np.sum(x)\n",
    "annotated subscript": "def f(x):\n    y = np.zeros(3)\n    y[1]: float = x[0] ** 2\n"
                           "    return np.sum(y * x)\n",
    "chained": "def f(x):\n    a = b = np.tanh(x)\n    return np.sum(a * b)\n",
    "chained with unpacking": "def f(x):\n    a, b = c = np.tanh(x[0]), x[:2] * 2.0\n"
                              "    return np.sum(a * b) + np.sum(c[1])\n",
    "chained three names": "def f(x):\n    a = b = c = x * x\n    return np.sum(a * b * c)\n",
    "chained with a subscript": "def f(x):\n    y = np.zeros(3)\n    a = y[0] = np.sum(x ** 2)\n"
                                "    return np.sum(y * x) + a\n",
    "chained to a literal": "def f(x):\n    a = b = 2.0\n    return np.sum(x * a * b)\n",
    "chained in a loop": "def f(x):\n    for i in range(2):\n        x = y = np.sin(x) * 1.5\n"
                         "    return np.sum(x * y)\n",
    "chained from a helper's tuple": "def pair(t):\n    return t * 2.0, np.cos(t)\n\n\n"
                                     "def f(x):\n    (a, b) = p = pair(x)\n    return np.sum(a * b * p[0])\n",
    "or for a value": "def f(x, scale=None):\n    y = scale or x\n    return np.sum(y * x)\n",
    "and for a value": "def f(x, flag=True):\n    y = flag and x\n    return np.sum(y * x)\n",
    "or of three": "def f(x, a=None, b=0.0):\n    y = a or b or x\n    return np.sum(y * np.sin(x))\n",
    "or nested in and": "def f(x, a=1.0, b=None):\n    y = a and (b or x)\n    return np.sum(y * x)\n",
    "or in a call": "def f(x, a=None):\n    return np.sum(np.sin(a or x))\n",
    "or as a condition": "def f(x):\n    if x[0] > 0 or x[1] > 0:\n        x = x * 2.0\n    return np.sum(x * x)\n",
}


@pytest.mark.parametrize("name", NORMALISED)
def test_annotated_chained_and_value_boolops_are_differentiated(name, tmp_path):
    f = _load(NORMALISED[name], tmp_path)
    assert_modes_agree(f, (X,))


@pytest.mark.parametrize("name", ["annotated accumulator in a loop", "chained with unpacking", "or of three"])
def test_normalised_forms_at_second_order(name, tmp_path):
    f = _load(NORMALISED[name], tmp_path)
    direction = np.array([0.2, -0.4, 0.9])
    step = 1e-5
    gradient = srcad.grad(f)
    expected = (gradient(X + step * direction) - gradient(X - step * direction)) / (2 * step)
    np.testing.assert_allclose(srcad.hvp(f)(X, direction), expected, rtol=1e-5, atol=1e-7)


def test_chained_assignment_evaluates_its_value_once(tmp_path):
    f = _load("CALLS = []\n\n\ndef counted(t):\n    CALLS.append(1)\n    return t * 2.0\n\n\n"
              "def f(x):\n    a, b, c = d = counted(x[0]), x[1], x[2]\n    return a * b + c * d[0]\n", tmp_path)
    x = np.array([0.5, -1.5, 2.0])
    calls = f.__globals__["CALLS"]
    value, gradient = srcad.value_and_grad(f)(x)
    assert len(calls) == 1 and value == f(x)
    np.testing.assert_allclose(gradient, [2 * x[1] + 2 * x[2], 2 * x[0], 2 * x[0]])


@pytest.mark.parametrize("source", [
    "def f(x):\n    a = x * 2.0\n    a, b = c = a, x\n    return np.sum(a * b * c[0])\n",
    "def f(x):\n    y = x[:2]\n    p, y = q = y\n    return p * y + np.sum(q * x[:2])\n",
    "def f(x):\n    a = (a, b) = c = x[0], x[1]\n    return a * b + c[1]\n",
    "def f(x):\n    a = b = (a, b) = x[1], np.sin(x[0])\n    return a * b\n",
], ids=["a name of the value rebound first", "the value's name unpacked into itself",
        "the first target rebound by the next", "the first target rebound last"])
def test_a_chained_assignment_gives_every_target_the_value_it_computed(source, tmp_path):
    f = _load(source, tmp_path)
    assert srcad.value_and_grad(f)(X)[0] == f(X)
    assert_modes_agree(f, (X,))


def test_a_statement_a_sweep_has_no_rule_for_is_refused_not_dropped(tmp_path):
    fn = read_function(_load("def f(x):\n    return np.sum(x)\n", tmp_path))
    stray = gast.Delete(targets=[gast.Name(id="x", ctx=gast.Del(), annotation=None, type_comment=None)])
    stray.lineno = 1
    with pytest.raises(srcad.SrcadError, match="Delete"):
        language.without_derivative(fn, stray, [])
    assert language.without_derivative(fn, gast.Pass(), ["kept"]) == ["kept"]
