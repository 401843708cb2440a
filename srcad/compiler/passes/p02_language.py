"""The Python srcad differentiates: every kind of syntax node it knows, in one table, and the
check that refuses everything else.

``SUPPORTED`` names each node kind (as Python's ``ast`` module calls it) that the passes
after this check know, with what it is; ``FORMS`` the forms of those kinds that are still
refused; ``REFUSED`` the message for each kind that is not supported. A kind in none of the
tables (a newer Python's) is refused too: nothing srcad does not know is ever dropped or
treated as a constant. ``NOT_IN_CODE`` lists the classes of ``ast`` that never appear in a
parsed function (abstract bases, module roots, deprecated aliases), so that a test can
check that every class of ``ast`` is accounted for.

:func:`check_language` runs first on every function srcad transforms; ``docs/programs.md``
shows :func:`markdown` (a test keeps the two equal).
"""
from dataclasses import dataclass
from typing import Callable

import gast

from ...errors import SrcadError

# kind: (group, what srcad accepts)
SUPPORTED = {
    # statements
    "FunctionDef": ("statement", "`def` of a nested function, lifted out and called directly"),
    "Return": ("statement", "`return`, anywhere, also inside loops"),
    "Assign": ("statement", "`a = e`, `a, (b, c) = e`, `y[i] = e`, chained `a = b = e`"),
    "AugAssign": ("statement", "`a += e`, `y[i] *= e`, with every operator"),
    "AnnAssign": ("statement", "`a: T = e`, an assignment, and `a: T`, which computes nothing"),
    "For": ("statement", "`for` over `range`, sequences, arrays, `zip`, `enumerate`, `enumerate(zip(xs, ws))`, "
                         "`reversed`, `sorted(d)`, `d.items()`/`values()`/`keys()`"),
    "While": ("statement", "`while`"),
    "If": ("statement", "`if`/`elif`/`else`"),
    "Expr": ("statement", "a call whose value is not used: `states.append(h)`, `print(y)` (also `_ = print(y)`: "
                          "the derivative prints what the function prints), and the calls that write into their "
                          "arguments listed above; a docstring"),
    "Pass": ("statement", "`pass`"),
    "Break": ("statement", "`break`"),
    "Continue": ("statement", "`continue`"),
    "Raise": ("statement", "`raise`: the derivative raises where the function does"),
    "Assert": ("statement", "`assert x.shape == (3,)`: the derivative checks it where the function does"),
    # expressions
    "BinOp": ("expression", "binary operators, listed below"),
    "UnaryOp": ("expression", "unary operators, listed below"),
    "BoolOp": ("expression", "`and`, `or`"),
    "Compare": ("expression", "comparisons, also chained: `0 < x < 1`"),
    "IfExp": ("expression", "`a if c else b`"),
    "Call": ("expression", "calls with positional, keyword and spread (`f(*xs)`) arguments"),
    "Attribute": ("expression", "`x.T`, `np.sum`, `x.shape`"),
    "Subscript": ("expression", "`x[i]`, `x[1:3, ::2]`, `x[mask]`, `d['W']`"),
    "Slice": ("expression", "`a:b:c` inside a subscript"),
    "Starred": ("expression", "`*xs` as a call's argument"),
    "Name": ("expression", "variables, parameters, globals"),
    "Constant": ("expression", "numbers, strings, `True`/`False`/`None`, `...`"),
    "Tuple": ("expression", "tuple displays and targets"),
    "List": ("expression", "list displays and targets"),
    "Dict": ("expression", "dict displays: `{'W': W, 'b': b}`"),
    "ListComp": ("expression", "list comprehensions, with `if` clauses and nested `for`s: "
                               "`[np.sum(w * x) for w, x in zip(ws, xs) if w.ndim]`, a loop that appends"),
    "DictComp": ("expression", "dict comprehensions: `{k: v * 2 for k, v in p.items()}`, a loop that fills a dict"),
    "SetComp": ("expression", "set comprehensions of values without a derivative: `{len(x) for x in xs}`"),
    "GeneratorExp": ("expression", "generator expressions as a call's argument: `sum(f(k) for k in range(3))`, "
                                   "read as a list"),
    "comprehension": ("part", "the `for v in xs if c` of a comprehension; its variables are its own"),
    "Lambda": ("expression", "`act = lambda z: np.maximum(z, 0.0)`, a nested function; passed as an argument "
                             "(`apply(lambda z: z * z, x)`) when it reads no variable of the function around it"),
    "JoinedStr": ("expression", "f-strings, whose value carries no derivative"),
    "FormattedValue": ("expression", "`{value}` inside an f-string"),
    # operators
    "Add": ("operator", "`+`"), "Sub": ("operator", "`-`"), "Mult": ("operator", "`*`"),
    "Div": ("operator", "`/`"), "FloorDiv": ("operator", "`//`"), "Mod": ("operator", "`%`"),
    "Pow": ("operator", "`**`"), "MatMult": ("operator", "`@`"), "LShift": ("operator", "`<<`"),
    "RShift": ("operator", "`>>`"), "BitOr": ("operator", "`|`"), "BitXor": ("operator", "`^`"),
    "BitAnd": ("operator", "`&`"),
    "UAdd": ("operator", "unary `+`"), "USub": ("operator", "unary `-`"), "Not": ("operator", "`not`"),
    "Invert": ("operator", "`~`"),
    "And": ("operator", "`and`"), "Or": ("operator", "`or`"),
    "Eq": ("operator", "`==`"), "NotEq": ("operator", "`!=`"), "Lt": ("operator", "`<`"),
    "LtE": ("operator", "`<=`"), "Gt": ("operator", "`>`"), "GtE": ("operator", "`>=`"),
    "Is": ("operator", "`is`"), "IsNot": ("operator", "`is not`"), "In": ("operator", "`in`"),
    "NotIn": ("operator", "`not in`"),
    # parts of the above
    "arguments": ("part", "parameters: positional, with defaults, keyword-only, `*args`, `**kwargs` (read "
                          "for each call: every argument is a parameter of its own)"),
    "arg": ("part", "a parameter, which gast writes as a `Name` in the `Param` context"),
    "keyword": ("part", "a keyword argument `f(x, axis=0)`"),
    "Load": ("context", "reading a name, attribute or subscript"),
    "Store": ("context", "assigning to one"),
    "Param": ("context", "a parameter, in gast's trees"),
}

# statements the sweeps keep as they are (forward) or skip (backward): they compute no value
WITHOUT_DERIVATIVE = {"Pass", "Raise", "Assert"}

# kind: the message (after "srcad cannot differentiate ")
REFUSED = {
    "AsyncFunctionDef": "async def; differentiate a plain def and await outside it",
    "AsyncFor": "async for; differentiate a plain def and await outside it",
    "AsyncWith": "async with; differentiate a plain def and await outside it",
    "Await": "await; differentiate a plain def and await outside it",
    "Yield": "yield (a generator); append the values to a list and return it",
    "YieldFrom": "yield from (a generator); append the values to a list and return it",
    "ClassDef": "class definitions; define the class at module level",
    "Try": "try/except; move the try/except outside the differentiated function",
    "TryStar": "try/except*; move the try/except outside the differentiated function",
    "ExceptHandler": "try/except; move the try/except outside the differentiated function",
    "With": "with; open resources outside the function you differentiate",
    "withitem": "with; open resources outside the function you differentiate",
    "Global": "global; pass the value as an argument",
    "Nonlocal": "nonlocal; return the new value from the nested function",
    "Delete": "del; bind the name to a new value instead",
    "Del": "del; bind the name to a new value instead",
    "NamedExpr": "assignment expressions (:=); assign on a line of its own",
    "Import": "import inside the function; import at module level",
    "ImportFrom": "import inside the function; import at module level",
    "alias": "import inside the function; import at module level",
    "Set": "sets (their order is not defined); use a list or a tuple",
    "Match": "match statements; use if/elif",
    "match_case": "match statements; use if/elif",
    "MatchValue": "match statements; use if/elif",
    "MatchSingleton": "match statements; use if/elif",
    "MatchSequence": "match statements; use if/elif",
    "MatchMapping": "match statements; use if/elif",
    "MatchClass": "match statements; use if/elif",
    "MatchStar": "match statements; use if/elif",
    "MatchAs": "match statements; use if/elif",
    "MatchOr": "match statements; use if/elif",
    "TypeAlias": "type aliases (type X = ...); define them at module level",
    "TypeVar": "type parameters (def f[T]); define the function at module level without them",
    "ParamSpec": "type parameters (def f[**P]); define the function at module level without them",
    "TypeVarTuple": "type parameters (def f[*Ts]); define the function at module level without them",
    "TemplateStr": "template strings (t'...'); build the text outside the function",
    "Interpolation": "template strings (t'...'); build the text outside the function",
}

# classes of ``ast`` that no parsed function holds, and why
NOT_IN_CODE = {
    "AST": "the base class", "mod": "an abstract base", "stmt": "an abstract base",
    "expr": "an abstract base", "expr_context": "an abstract base", "boolop": "an abstract base",
    "operator": "an abstract base", "unaryop": "an abstract base", "cmpop": "an abstract base",
    "excepthandler": "an abstract base", "pattern": "an abstract base", "type_ignore": "an abstract base",
    "type_param": "an abstract base", "slice": "an abstract base (deprecated)",
    "Module": "a module, not code in a function", "Interactive": "the interactive prompt's root",
    "Expression": "the root of an eval()", "FunctionType": "the root of a function type comment",
    "TypeIgnore": "a `# type: ignore` comment of a module",
    "Num": "deprecated alias of Constant", "Str": "deprecated alias of Constant",
    "Bytes": "deprecated alias of Constant", "NameConstant": "deprecated alias of Constant",
    "Ellipsis": "deprecated alias of Constant", "Index": "deprecated (the index itself is used)",
    "ExtSlice": "deprecated (a Tuple is used)", "Suite": "never produced by the parser",
    "AugLoad": "never produced by the parser", "AugStore": "never produced by the parser",
}


@dataclass(frozen=True)
class Form:
    """A form of a supported kind that is refused: what it looks like, and the message."""

    kind: str
    example: str
    message: str
    applies: Callable  # (node, parent) -> bool


def _is_name(node):
    return isinstance(node, gast.Name)


def _target_leaves(node):
    """What an assignment writes to: its targets, with tuples and lists unpacked."""
    stack = list(node.targets) if isinstance(node, gast.Assign) else [node.target]
    while stack:
        target = stack.pop(0)
        if isinstance(target, (gast.Tuple, gast.List)):
            stack[:0] = target.elts
        else:
            yield target


def _writes(node, test):
    return any(test(leaf) for leaf in _target_leaves(node))


def _is_attribute(target):
    return isinstance(target, gast.Attribute)


def _is_nested_subscript(target):
    return isinstance(target, gast.Subscript) and isinstance(target.value, gast.Subscript)


def _is_starred(target):
    return isinstance(target, gast.Starred)


def _is_not_a_variable(target):
    return not (_is_name(target) or isinstance(target, gast.Subscript) and _is_name(target.value))


def _iterates_range(node):
    return isinstance(node.iter, gast.Call) and _is_name(node.iter.func) and node.iter.func.id == "range"


def _is_condition(node, parent):
    return isinstance(parent, (gast.If, gast.While, gast.IfExp, gast.Assert)) and parent.test is node \
        or isinstance(parent, gast.UnaryOp) and isinstance(parent.op, gast.Not)


def _surely_bool(node):
    if isinstance(node, gast.BoolOp):
        return all(_surely_bool(value) for value in node.values)
    return isinstance(node, gast.Compare) or isinstance(node, gast.UnaryOp) and isinstance(node.op, gast.Not) \
        or isinstance(node, gast.Constant) and isinstance(node.value, bool)


def is_value_boolop(node, parent):
    """Whether ``a or b`` is used for its value (one of its operands), not as a truth value.
    An ``or`` inside another is judged with the outer one."""
    return isinstance(node, gast.BoolOp) and not isinstance(parent, gast.BoolOp) \
        and not _is_condition(node, parent) and not _surely_bool(node)


COMPREHENSIONS = (gast.ListComp, gast.SetComp, gast.DictComp, gast.GeneratorExp)


def _holds_comprehension(nodes):
    return any(isinstance(n, COMPREHENSIONS) for node in nodes for n in gast.walk(node))


def _operand_computed_in_place(boolop):
    """Whether an operand that ``a or b`` may return twice (all but the last) is not a name
    or a literal, so that lowering it to ``a if a else b`` would compute it twice."""
    *first, last = boolop.values
    return any(not isinstance(v, (gast.Name, gast.Constant)) for v in first) \
        or isinstance(last, gast.BoolOp) and _operand_computed_in_place(last)


FORMS = [
    Form("Assign", "`obj.attr = v`", "assignment to an attribute; keep the value in a variable",
         lambda node, parent: _writes(node, _is_attribute)),
    Form("AugAssign", "`obj.attr += v`", "assignment to an attribute; keep the value in a variable",
         lambda node, parent: _writes(node, _is_attribute)),
    Form("AnnAssign", "`obj.attr: T = v`", "assignment to an attribute; keep the value in a variable",
         lambda node, parent: _writes(node, _is_attribute)),
    Form("Assign", "`y[i][j] = v`", "assignment into a nested subscript (y[i][j] = v); index with a tuple: "
                                   "y[i, j] = v", lambda node, parent: _writes(node, _is_nested_subscript)),
    Form("AugAssign", "`y[i][j] += v`", "assignment into a nested subscript (y[i][j] += v); index with a tuple: "
                                       "y[i, j] += v", lambda node, parent: _writes(node, _is_nested_subscript)),
    Form("Assign", "`a, *rest = xs`", "starred assignment targets (a, *rest = xs); index the sequence instead",
         lambda node, parent: _writes(node, _is_starred)),
    Form("Assign", "`f(x)[0] = v`", "assignment into something other than a variable; compute the value into a variable",
         lambda node, parent: _writes(node, _is_not_a_variable)),
    Form("AugAssign", "`obj.items[0] += v`", "assignment into something other than a variable; compute the value into a variable",
         lambda node, parent: _writes(node, _is_not_a_variable)),
    Form("AnnAssign", "`obj.items[0]: T = v`", "assignment into something other than a variable; compute the value into a variable",
         lambda node, parent: _writes(node, _is_not_a_variable)),
    Form("For", "`for ... else`", "a loop with an else clause; set a flag in the loop and test it after", lambda node, parent: bool(node.orelse)),
    Form("While", "`while ... else`", "a loop with an else clause; set a flag in the loop and test it after", lambda node, parent: bool(node.orelse)),
    Form("For", "`for y[i] in xs`", "a loop variable that is not a name or a tuple of names; loop over a name and assign from it",
         lambda node, parent: any(not isinstance(n, (gast.Name, gast.Tuple, gast.List, gast.Store))
                                  for n in gast.walk(node.target))),
    Form("For", "`for a, b in range(n)`", "unpacking the integers of a range; loop over a name",
         lambda node, parent: _iterates_range(node) and not _is_name(node.target)),
    Form("Starred", "`[*xs, y]`, `x[*idx]`", "*xs outside a call's arguments; *xs works only as a "
                                              "call's argument (f(*xs))",
         lambda node, parent: not (isinstance(parent, gast.Call) and node in parent.args)),
    Form("keyword", "`f(**a, **b)`", "a call that spreads two dicts, or *args and **kwargs; merge them "
                                       "into one dict, or pass the keywords by name",
         lambda node, parent: node.arg is None and (sum(k.arg is None for k in parent.keywords) > 1
                                                    or any(isinstance(a, gast.Starred) for a in parent.args))),
    Form("arguments", "`def f(x, /)`", "positional-only parameters (/); drop the / from the signature",
         lambda node, parent: bool(node.posonlyargs)),
    Form("FunctionDef", "`@decorator` on a nested def", "a decorated nested function; define it at module "
                                                        "level", lambda node, parent: bool(node.decorator_list)),
    Form("Dict", "`{**d, 'b': v}`", "dict unpacking ({**d}); copy the dict and assign its entries",
         lambda node, parent: any(key is None for key in node.keys)),
    Form("GeneratorExp", "`g = (f(v) for v in xs)`", "a generator expression that is not a call's argument; "
                                                    "write a list comprehension [f(v) for v in xs]",
         lambda node, parent: not (isinstance(parent, gast.Call) and node in parent.args)),
    Form("IfExp", "`a if c else [f(v) for v in xs]`", "a comprehension in a branch of a conditional expression; "
                                                       "compute it in an if statement",
         lambda node, parent: _holds_comprehension([node.body, node.orelse])),
    Form("BoolOp", "`c and all(v > 0 for v in xs)`", "a comprehension after `and`/`or`, which may not run; "
                                                      "compute it in an if statement",
         lambda node, parent: _holds_comprehension(node.values[1:])),
    Form("BoolOp", "`y = f(x) or z`", "`and`/`or` used for its value when an operand is computed in place; "
                                     "name it first (t = f(x); y = t or z) or write `y = a if a else b`",
         lambda node, parent: is_value_boolop(node, parent) and _operand_computed_in_place(node)),
]

# parts of a node that compute nothing srcad differentiates
_SKIPPED_FIELDS = {"annotation", "returns", "type_comment"}


def check_language(fn):
    """Raise :class:`UnsupportedSyntaxError` at the first construct (in source order) of
    ``fn`` (a :class:`parse.Function`) that is not in the supported language."""
    _check(fn, fn.node, None)


def _check(fn, node, parent):
    kind = type(node).__name__
    if kind not in SUPPORTED:
        what = REFUSED.get(kind, f"{kind} nodes (syntax srcad does not know); rewrite it with the "
                                 f"constructs docs/programs.md lists")
        raise _refusal(fn, _located(node, parent), what)
    for form in _FORMS_OF.get(kind, ()):
        if form.applies(node, parent):
            raise _refusal(fn, _located(node, parent), form.message)
    for field, value in gast.iter_fields(node):
        if field in _SKIPPED_FIELDS or value is None:
            continue
        for child in value if isinstance(value, list) else [value]:
            if isinstance(child, gast.AST):
                _check(fn, child, node)


def _refusal(fn, node, entry):
    """The error for a refused construct: an entry of the tables above reads "what; what to
    do instead"."""
    what, _, hint = entry.partition("; ")
    return fn.syntax_error(node, f"srcad cannot differentiate {what}", hint or None)


def without_derivative(fn, stmt, result):
    """``result``, what a sweep makes of a statement of ``WITHOUT_DERIVATIVE``; any other
    statement reaching a sweep's fallback is refused rather than dropped."""
    if type(stmt).__name__ not in WITHOUT_DERIVATIVE:
        raise SrcadError(f"srcad has no derivative for this {type(stmt).__name__} statement (a gap in srcad; "
                         f"please report it){fn.where(stmt)}")
    return result


def _located(node, parent):
    """A node with a line: operators and contexts have none, their parent has."""
    return node if hasattr(node, "lineno") or parent is None else parent


def _table_row(entry):
    what, _, hint = entry.partition("; ")
    return _markdown_text(f"srcad cannot differentiate {what} | {hint}")


def _markdown_text(text):
    """``text`` as Markdown shows it: ``y[i][j]`` would read as a link reference."""
    return text.replace("[", "\\[").replace("]", "\\]")


_FORMS_OF = {}
for _form in FORMS:
    _FORMS_OF.setdefault(_form.kind, []).append(_form)


def markdown():
    """The section of ``docs/programs.md`` that lists the language: generated from the tables."""
    lines = ["Supported, by kind of syntax node (as Python's `ast` module names them):", "",
             "| kind | node | what srcad accepts |", "|---|---|---|"]
    for kind, (group, what) in SUPPORTED.items():
        lines.append(f"| {group} | `{kind}` | {what} |")
    lines += ["", "Refused forms of supported kinds, with the message of the `UnsupportedSyntaxError` and its "
                  "hint:", "", "| form | message | hint |", "|---|---|---|"]
    lines += [f"| {form.example} | {_table_row(form.message)} |" for form in FORMS]
    lines += ["", "Every other kind of node is refused with an `UnsupportedSyntaxError`:", "",
              "| node | message | hint |", "|---|---|---|"]
    lines += [f"| `{kind}` | {_table_row(entry)} |" for kind, entry in REFUSED.items()]
    lines += ["", "and so is a kind of node that a newer Python adds and srcad does not know yet."]
    return "\n".join(lines) + "\n"
