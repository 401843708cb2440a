"""Random programs in the language srcad differentiates, valid by construction.

The generator keeps a typed environment: every name in scope has a shape
(``templates.SHAPES``: a float, arrays of shapes (2,), (3,) and (2, 3)) or is a
list, tuple or dict of those, so each expression it writes is well typed and
each name it reads is bound. Feature groups (``GROUPS``) switch kinds of
statements and expressions on, so each can be fuzzed on its own.

The result is a :class:`Program`: the source of a whole module (helpers and a
function ``f``), the types of ``f``'s parameters, which of them are
differentiated, and a seed for their values.
"""
import itertools
import re
from dataclasses import dataclass

import numpy as np

from fuzz.templates import MATRIX, NUMERIC, SCALAR, SHAPES, SHORT, TEMPLATES, VECTOR

GROUPS = (
    "arithmetic", "reductions", "matmul", "nonsmooth", "builtins", "subscripts", "writes",
    "assignments", "augmented", "branches", "loops", "helpers", "calls", "containers",
    "mutations", "aliasing", "comprehensions",
)
"""Feature groups. ``arithmetic`` (arithmetic, broadcasting, smooth elementwise
functions) is always on; each other group adds its own forms."""

CONSTANTS = ("0.5", "1.5", "-0.7", "0.3", "2.0", "-1.2", "0.8")
PREFIX = {SCALAR: "s", SHORT: "u", VECTOR: "v", MATRIX: "m"}
FRESH_STARTS = ("np.", "(", "math.", "sum(", "abs(", "float(")  # expressions that make a new array


def is_numeric(kind):
    """Whether ``kind`` is a shape code (a float or an array), not a container."""
    return isinstance(kind, str)


def is_fresh(expression):
    """Whether ``expression`` certainly makes a new array (not a view or another name's array)."""
    return expression.startswith(FRESH_STARTS) and " if " not in expression


@dataclass(frozen=True)
class Container:
    """The type of a list, tuple or dict: ``items`` are ``(key, type)`` pairs
    (integer keys for lists and tuples)."""
    kind: str
    items: tuple

    @property
    def types(self):
        """The types of the items, in order."""
        return tuple(t for _, t in self.items)

    def homogeneous(self):
        """Whether every item has the same numeric type (so loops and ``sum`` may go over them)."""
        return len(set(self.types)) == 1 and is_numeric(self.types[0])


@dataclass
class Helper:
    """A function the program defines and ``f`` (or a later helper) calls."""
    name: str
    positional: list        # (name, type)
    defaults: list          # (name, type, default text)
    star: object            # the type of each *args item, or None
    keyword_only: list      # (name, type, default text)
    returns: object         # a numeric type, or a Container("tuple", ...)
    augments_parameter: bool = False  # ``p += v`` on a parameter: a call whose result is unread is refused


@dataclass
class Program:
    """A generated module: ``source`` defines ``f``; ``parameters`` are the types
    of ``f``'s parameters; ``wrt`` the positions differentiated; ``seed`` the
    seed of their random values. ``may_refuse``: the program writes through a
    possible alias, which srcad may model or refuse."""
    source: str
    group: str
    parameters: tuple
    wrt: tuple
    seed: int
    may_refuse: bool = False

    def arguments(self):
        """Fresh argument values (the same each time)."""
        rng = np.random.default_rng(self.seed)
        return [value_of(kind, rng) for kind in self.parameters]

    def __repr__(self):
        return f"Program(group={self.group!r}, wrt={self.wrt}, seed={self.seed})\n{self.source}"


def value_of(kind, rng):
    """A random value of type ``kind``: floats and arrays with entries uniform in
    [-1.2, 1.2], and containers of those."""
    if is_numeric(kind):
        if kind == SCALAR:
            return float(rng.uniform(-1.2, 1.2))
        return rng.uniform(-1.2, 1.2, size=SHAPES[kind])
    values = [value_of(t, rng) for _, t in kind.items]
    if kind.kind == "dict":
        return {key: value for (key, _), value in zip(kind.items, values)}
    return values if kind.kind == "list" else tuple(values)


class Scope:
    """The names bound at a point of the program and their types; ``owned`` the
    arrays the function made itself (and may write into); ``loop`` whether
    ``break``/``continue`` may be written; ``indices`` the integer loop
    indices."""

    def __init__(self, variables=None, owned=(), loop=False, indices=(), local_helpers=(), returns=SCALAR):
        self.returns = returns
        self.variables = dict(variables or {})
        self.owned = set(owned)
        self.loop = loop
        self.indices = list(indices)
        self.local_helpers = list(local_helpers)

    def child(self, loop=None):
        """A copy for a nested block (a branch or a loop body)."""
        return Scope(self.variables, self.owned, self.loop if loop is None else loop,
                     self.indices, self.local_helpers, self.returns)

    def define(self, name, kind, owned=False):
        """Bind ``name`` to a value of type ``kind``; ``owned``: a new array no other name refers to."""
        self.variables[name] = kind
        self.owned.discard(name)
        if owned:
            self.owned.add(name)

    def keep_common(self, *others):
        """After a branch: only what every path bound, with the same type."""
        for name in list(self.variables):
            if any(other.variables.get(name) != self.variables[name] for other in others):
                del self.variables[name]
        for other in others:
            self.owned &= other.owned

    def names_of(self, kind):
        """The names of type ``kind``."""
        return [name for name, t in self.variables.items() if t == kind]

    def share(self, expression):
        """``expression`` is kept somewhere (a name, a container, a loop item): the
        arrays it may be, or be a view of, are no longer the function's alone."""
        if is_fresh(expression):
            return
        for name in list(self.owned):
            if re.search(rf"\b{name}\b", expression):
                self.owned.discard(name)


class ProgramWriter:
    """Writes one random program; see :func:`write_program`."""

    def __init__(self, choices, features):
        self.choose = choices
        self.features = set(features) | {"arithmetic"}
        self.helpers = []
        self.lines = []
        self.indent = 1
        self.counter = itertools.count(1)
        self.may_refuse = False
        self.in_branch = 0  # inside a branch of ``a if c else b``, where comprehensions are refused

    def on(self, feature):
        """Whether ``feature`` is switched on."""
        return feature in self.features

    # ------------------------------------------------------------------ text

    def emit(self, text):
        """Write one line at the current indentation."""
        self.lines.append("    " * self.indent + text)

    def new_name(self, kind):
        """A fresh name telling its type (``s``, ``u``, ``v``, ``m``, ``lst``, ``tp``, ``d``)."""
        prefix = PREFIX[kind] if is_numeric(kind) else {"list": "lst", "tuple": "tp", "dict": "d"}[kind.kind]
        return f"{prefix}{next(self.counter)}"

    def constant(self):
        """A small float literal."""
        return self.choose.pick(CONSTANTS)

    # ------------------------------------------------------------ expressions

    def readable(self, kind, scope):
        """Every way to read a value of type ``kind``: names, container entries."""
        found = []
        for name, t in scope.variables.items():
            found += [path for path, leaf in self.leaves(t, name) if leaf == kind]
        return found

    def leaves(self, kind, path):
        """The numeric entries of a value of type ``kind`` at ``path``: ``(path, type)`` pairs."""
        if is_numeric(kind):
            return [(path, kind)]
        found = []
        for key, t in kind.items:
            found += self.leaves(t, f"{path}[{key!r}]")
        if kind.kind != "dict":  # negative indices too
            found += self.leaves(kind.items[-1][1], f"{path}[-1]")
        return found

    def expression(self, kind, scope, depth=2):
        """An expression of numeric type ``kind`` over the names in ``scope``."""
        if depth <= 0 or self.choose.chance(25):
            return self.atom(kind, scope)
        makers = [self.from_template] * 3
        if self.on("helpers") or self.on("calls") or self.on("containers") or self.on("comprehensions"):
            if self.call_options(kind, scope):
                makers += [self.helper_call] * 2
        if self.on("branches") and depth >= 2:
            makers.append(self.conditional_expression)
        if self.on("containers") and any(isinstance(t, Container) for t in scope.variables.values()):
            makers.append(self.container_expression)
        if self.on("comprehensions") and not self.in_branch:
            makers += [self.comprehension_expression] * 2
        return self.choose.pick(makers)(kind, scope, depth)

    def from_template(self, kind, scope, depth):
        """An expression from a template of an enabled feature."""
        features = sorted({t.feature for t in TEMPLATES if t.result == kind and t.feature in self.features})
        feature = self.choose.pick(features)
        template = self.choose.pick([t for t in TEMPLATES if t.result == kind and t.feature == feature])
        operands = [self.expression(t, scope, depth - 1) for t in template.operands]
        return self.fill(template.text, operands)

    def fill(self, text, operands):
        """A template's text with its operands, indices and constant filled in."""
        return text.format(*operands, i2=self.choose.integer(-2, 1), i3=self.choose.integer(-3, 2),
                           c=self.constant())

    def atom(self, kind, scope):
        """A name (or container entry) of type ``kind``, or a conversion of one."""
        names = self.readable(kind, scope)
        if names and self.choose.chance(85):
            return self.choose.pick(names)
        conversions = [t for t in TEMPLATES if t.result == kind and t.feature in self.features
                       and len(t.operands) == 1 and t.operands[0] != kind and self.readable(t.operands[0], scope)]
        if conversions:
            template = self.choose.pick(conversions)
            return self.fill(template.text, [self.choose.pick(self.readable(template.operands[0], scope))])
        if names:
            return self.choose.pick(names)
        if kind == SCALAR:
            return self.constant()
        return f"({self.atom(SCALAR, scope)} * np.ones({SHAPES[kind]}))"

    def conditional_expression(self, kind, scope, depth):
        """``a if test else b``."""
        test = self.condition(scope)
        self.in_branch += 1
        branches = self.expression(kind, scope, depth - 1), self.expression(kind, scope, depth - 1)
        self.in_branch -= 1
        return f"({branches[0]} if {test} else {branches[1]})"

    def comprehension_expression(self, kind, scope, depth):
        """``sum([e for v in seq])``, ``sum(e for ... if ...)``, nested ``for`` clauses, or a lambda
        called where it is written."""
        if self.choose.chance(20):
            parameter = self.new_name(kind)
            inner = scope.child()
            inner.define(parameter, kind)
            body = self.expression(kind, inner, depth - 1)
            return f"(lambda {parameter}: {body})({self.expression(kind, scope, depth - 1)})"
        inner = scope.child()
        clauses = [self.comprehension_clause(inner)]
        if self.choose.chance(20):
            clauses.append(self.comprehension_clause(inner))
        element = self.expression(kind, inner, depth - 1)
        form = self.choose.pick(["sum([{}])", "sum({})", "sum(tuple({}))", "sum(list({}))"])
        return form.format(f"{element} {' '.join(clauses)}")

    def comprehension_clause(self, inner):
        """``for v in seq`` (sometimes with an ``if``) over a range, a container or a zip of two;
        its variables are defined in ``inner``; it has at least one item."""
        sequences = self.containers(inner, lambda t: t.homogeneous())
        if sequences and self.choose.chance(65):
            name = self.choose.pick(sequences)
            container = inner.variables[name]
            item = self.new_name(container.types[0])
            inner.define(item, container.types[0])
            if container.kind == "dict":
                return self.choose.pick([f"for {item} in {name}.values()",
                                         f"for key{next(self.counter)}, {item} in {name}.items()"])
            others = [n for n in sequences if n != name and inner.variables[n].kind != "dict"]
            if others and self.choose.chance(40):
                other = self.choose.pick(others)
                second = self.new_name(inner.variables[other].types[0])
                inner.define(second, inner.variables[other].types[0])
                if self.choose.chance(50):
                    return f"for {item}, {second} in zip({name}, {other})"
                return f"for j{next(self.counter)}, ({item}, {second}) in enumerate(zip({name}, {other}))"
            return f"for {item} in {name}"
        index = f"k{next(self.counter)}"
        count = self.choose.integer(2, 3)
        scale = self.new_name(SCALAR)
        inner.define(scale, SCALAR)
        inner.indices.append(index)
        condition = self.choose.pick(["", f" if {index} != 1", f" if {index} % 2 == 0"])
        return f"for {index}, {scale} in enumerate([{self.constant()}, {self.constant()}, {self.constant()}]" \
               f"[:{count}]){condition}"

    def comprehension_statement(self, scope, depth):
        """``lst = [e for ...]`` or ``d = {key: e for key in (...)}``: a container of known items."""
        kind = self.choose.pick(NUMERIC)
        count = self.choose.integer(1, 3)
        inner = scope.child()
        index = f"k{next(self.counter)}"
        if self.choose.chance(40):
            keys = ["a", "b", "c"][:count]
            value = self.expression(kind, inner)
            container = Container("dict", tuple((key, kind) for key in keys))
            name = self.new_name(container)
            self.emit(f"{name} = {{{index}: {value} for {index} in {tuple(keys)!r}}}")
        else:
            inner.indices.append(index)
            value = self.expression(kind, inner)
            container = Container("list", tuple((i, kind) for i in range(count)))
            name = self.new_name(container)
            self.emit(f"{name} = [{value} for {index} in range({count})]")
        scope.share(value)
        scope.define(name, container, owned=True)

    def container_expression(self, kind, scope, depth):
        """Reads of lists and dicts as a whole: ``sum(lst)``, ``np.stack``, ``np.array``."""
        options = []
        for name, t in scope.variables.items():
            if isinstance(t, Container) and t.kind != "dict" and t.homogeneous():
                item = t.types[0]
                if item == kind:
                    options.append(f"sum({name})")
                    options.append(f"np.mean(np.array({name}), axis=0)")
                    options.append(f"np.stack({name})[{len(t.items) - 1}]")
                if kind == SCALAR:
                    options.append(f"np.sum(np.stack({name}) ** 2)")
                    options.append(f"np.sum(np.array({name}))")
                    options.append(f"(float(len({name})) * np.sum({name}[0]))")
                if kind == MATRIX and item == VECTOR and len(t.items) == 2:
                    options.append(f"np.stack({name})")
        if not options:
            return self.from_template(kind, scope, depth)
        return self.choose.pick(options)

    def condition(self, scope):
        """A test on values (kept away from its boundary by the checker) or on a loop index."""
        if scope.indices and self.choose.chance(40):
            index = self.choose.pick(scope.indices)
            return self.choose.pick([f"{index} == {self.choose.integer(0, 2)}", f"{index} % 2 == 0",
                                     f"{index} >= {self.choose.integer(1, 2)}"])
        left = self.expression(SCALAR, scope, 1)
        test = f"{left} {self.choose.pick(['>', '<', '>=', '<='])} {self.constant()}"
        if self.choose.chance(15):
            test = f"{test} and {self.expression(SCALAR, scope, 0)} > -2.5"
        return test

    # ------------------------------------------------------------ statements

    def block(self, scope, count, depth):
        """``count`` statements."""
        for _ in range(count):
            self.statement(scope, depth)

    def statement(self, scope, depth):
        """One statement of a kind the enabled features allow."""
        kinds = [self.assign, self.assign]
        optional = {
            "assignments": [self.annotated, self.chained, self.unpacking],
            "augmented": [self.augmented, self.augmented],
            "writes": [self.write, self.write],
            "aliasing": [self.alias_write, self.alias_augmented],
            "containers": [self.build_container, self.build_container, self.dict_write, self.concatenate],
            "mutations": [self.mutation, self.mutation],
            "helpers": [self.unpack_call, self.nested_def],
            "calls": [self.unpack_call],
            "comprehensions": [self.comprehension_statement, self.comprehension_statement, self.nested_lambda],
        }
        for feature, makers in optional.items():
            if self.on(feature):
                kinds += makers
        if depth < 2:
            if self.on("branches"):
                kinds += [self.branch, self.branch]
            if self.on("loops"):
                kinds += [self.for_loop, self.while_loop, self.for_loop]
            if self.on("containers"):
                kinds += [self.append_loop, self.container_loop]
        if scope.loop and self.on("loops"):
            kinds += [self.jump]
        self.choose.pick(kinds)(scope, depth)

    def target(self, kind, scope):
        """A new name, or (sometimes) an existing one of the same type to rebind."""
        existing = scope.names_of(kind)
        if existing and self.choose.chance(35):
            return self.choose.pick(existing)
        return self.new_name(kind)

    def assign(self, scope, depth):
        """``name = expression``, a new name or a rebinding."""
        kind = self.choose.pick(NUMERIC)
        value = self.expression(kind, scope)
        name = self.target(kind, scope)
        self.emit(f"{name} = {value}")
        scope.share(value)
        scope.define(name, kind, owned=is_fresh(value))

    def annotated(self, scope, depth):
        """``name: float = ...`` / ``name: np.ndarray = ...``, sometimes declared first without a value."""
        kind = self.choose.pick(NUMERIC)
        annotation = "float" if kind == SCALAR else "np.ndarray"
        value = self.expression(kind, scope)
        name = self.target(kind, scope)
        if self.choose.chance(30):
            self.emit(f"{name}: {annotation}")
        self.emit(f"{name}: {annotation} = {value}")
        scope.share(value)
        scope.define(name, kind, owned=is_fresh(value))

    def chained(self, scope, depth):
        """``a = b = e`` or ``a, b = c = e1, e2``."""
        kind = self.choose.pick(NUMERIC)
        if self.choose.chance(60):
            value = self.expression(kind, scope)
            first, second = self.new_name(kind), self.target(kind, scope)
            self.emit(f"{first} = {second} = {value}")
            scope.share(value)
            for name in (first, second):
                scope.define(name, kind)
            return
        other = self.choose.pick(NUMERIC)
        left, right = self.expression(kind, scope), self.expression(other, scope)
        first, second, pair = self.new_name(kind), self.new_name(other), self.new_name(Container("tuple", ()))
        self.emit(f"{first}, {second} = {pair} = {left}, {right}")
        scope.share(left)
        scope.share(right)
        scope.define(first, kind)
        scope.define(second, other)
        scope.define(pair, Container("tuple", ((0, kind), (1, other))))

    def unpacking(self, scope, depth):
        """``a, b = e1, e2`` or a swap ``a, b = b, a``."""
        kinds = [self.choose.pick(NUMERIC) for _ in range(2)]
        if kinds[0] == kinds[1] and len(scope.names_of(kinds[0])) >= 2 and self.choose.chance(40):
            a, b = scope.names_of(kinds[0])[:2]
            self.emit(f"{a}, {b} = {b}, {a}")
            owned_a, owned_b = a in scope.owned, b in scope.owned
            scope.define(a, kinds[0], owned_b)
            scope.define(b, kinds[0], owned_a)
            return
        values = [self.expression(k, scope) for k in kinds]
        names = [self.target(k, scope) for k in kinds]
        if names[0] == names[1]:
            names[1] = self.new_name(kinds[1])
        self.emit(f"{names[0]}, {names[1]} = {values[0]}, {values[1]}")
        for value in values:
            scope.share(value)
        for name, kind, value in zip(names, kinds, values):
            scope.define(name, kind, owned=is_fresh(value))

    def augmentable(self, scope, include_aliases):
        """Names ``+=`` may update: floats and the arrays the function owns (or any array)."""
        return [name for name, t in scope.variables.items() if is_numeric(t)
                and (t == SCALAR or name in scope.owned or include_aliases)]

    def augmented(self, scope, depth, include_aliases=False):
        """``name op= expression`` (``+=``, ``-=``, ``*=``, ``/=``), in place for arrays."""
        names = self.augmentable(scope, include_aliases)
        if not names:
            kind = self.choose.pick(NUMERIC)
            name = self.new_name(kind)
            if kind == SCALAR and self.choose.chance(50):
                self.emit(f"{name}: float = 0.0")
            else:
                self.emit(f"{name} = {self.expression(kind, scope)} * 1.0")
            scope.define(name, kind, owned=True)
            names = [name]
        name = self.choose.pick(names)
        kind = scope.variables[name]
        operand = self.choose.pick([kind, SCALAR] + ([VECTOR] if kind == MATRIX else []))
        op = self.choose.pick(["+=", "-=", "*=", "/="])
        value = self.expression(operand, scope)
        if op == "/=":
            value = f"(2.0 + np.cos({value}))"
        self.emit(f"{name} {op} {value}")
        if include_aliases and name not in scope.owned and kind != SCALAR:
            self.may_refuse = True

    def buffer(self, scope, kind):
        """A new array the function owns, written into next."""
        name = self.new_name(kind)
        self.emit(f"{name} = " + self.choose.pick([
            f"np.zeros({SHAPES[kind]})", f"{self.expression(kind, scope, 1)}.copy()",
            f"{self.expression(kind, scope, 1)} * 1.0", f"np.ones_like({self.atom(kind, scope)})",
            f"np.array({self.atom(kind, scope)})", f"{self.atom(kind, scope)}.copy()"]))
        scope.define(name, kind, owned=True)
        return name

    WRITES = {
        SHORT: [("[{i2}]", SCALAR), ("[:]", SHORT), ("[::-1]", SHORT), ("[1:]", SCALAR), ("[{i2}]", SCALAR)],
        VECTOR: [("[{i3}]", SCALAR), ("[1:]", SHORT), ("[::2]", SHORT), ("[:2]", SHORT), ("[:]", VECTOR),
                 ("[[0, 2]]", SHORT), ("[-1]", SCALAR)],
        MATRIX: [("[{i2}]", VECTOR), ("[:, {i3}]", SHORT), ("[{i2}, {i3}]", SCALAR), ("[:, 1:]", SCALAR),
                 ("[0, 1:]", SHORT), ("[...]", MATRIX), ("[{i2}, :]", VECTOR)],
    }

    def write(self, scope, depth):
        """A write into an array the function made: ``buf[index] op= value``."""
        owned = [n for n in scope.owned if scope.variables.get(n) in self.WRITES]
        if owned and self.choose.chance(60):
            name = self.choose.pick(sorted(owned))
        else:
            name = self.buffer(scope, self.choose.pick([SHORT, VECTOR, MATRIX]))
        self.write_into(name, scope.variables[name], scope)

    def write_into(self, name, kind, scope):
        """One subscript write into ``name`` (of array type ``kind``)."""
        index, value_kind = self.choose.pick(self.WRITES[kind])
        index = self.fill(index, [])
        op = self.choose.pick(["=", "=", "+=", "*=", "-="])
        self.emit(f"{name}{index} {op} {self.expression(value_kind, scope)}")

    def alias_write(self, scope, depth):
        """A write through a second name for an array: a view or the same object."""
        self.may_refuse = True
        arrays = [n for n, t in scope.variables.items() if t in (VECTOR, MATRIX)]
        base = self.choose.pick(arrays) if arrays and self.choose.chance(40) else self.buffer(scope, VECTOR)
        kind = scope.variables[base]
        form, view_kind = self.choose.pick(
            [("{}", kind), ("{}[1:]" if kind == VECTOR else "{}[1]", SHORT if kind == VECTOR else VECTOR),
             ("{}.T" if kind == MATRIX else "{}[::-1]", VECTOR if kind == VECTOR else None),
             ("{}.reshape(-1)" if kind == VECTOR else "{}[:, 1]", VECTOR if kind == VECTOR else SHORT)])
        if view_kind is None:
            form, view_kind = "{}", kind
        view = self.new_name(view_kind)
        self.emit(f"{view} = {form.format(base)}")
        scope.define(view, view_kind)
        self.write_into(view, view_kind, scope)

    def alias_augmented(self, scope, depth):
        """``+=`` on any array, possibly the caller's or another name's."""
        self.augmented(scope, depth, include_aliases=True)

    # ---------------------------------------------------------- control flow

    def branch(self, scope, depth):
        """``if``/``elif``/``else``; after it, only what every path that goes on bound."""
        self.emit(f"if {self.condition(scope)}:")
        paths = [self.branch_body(scope, depth)]
        while self.choose.chance(25):
            self.emit(f"elif {self.condition(scope)}:")
            paths.append(self.branch_body(scope, depth))
        if self.choose.chance(70):
            self.emit("else:")
            paths.append(self.branch_body(scope, depth))
        else:
            paths.append(scope.child())
        ends = [path for path in paths if path is not None]
        if ends:
            scope.keep_common(*ends)

    def branch_body(self, scope, depth):
        """One path of a branch; None when it returns (nothing after it runs)."""
        inner = scope.child()
        self.indent += 1
        self.block(inner, self.choose.integer(1, 2), depth + 1)
        returns = self.choose.chance(20)
        if returns:
            self.emit(f"return {self.return_value(inner)}")
            if self.choose.chance(20):  # unreachable
                self.dead_code(inner)
        self.indent -= 1
        return None if returns else inner

    def return_value(self, scope):
        """The value a ``return`` in this function gives (its return type)."""
        if isinstance(scope.returns, Container):
            return ", ".join(self.expression(t, scope) for t in scope.returns.types)
        return self.expression(scope.returns, scope)

    def dead_code(self, scope):
        """A statement after ``return``/``break``/``continue``: never runs, binds nothing."""
        kind = self.choose.pick(NUMERIC)
        self.emit(f"{self.new_name(kind)} = {self.expression(kind, scope.child(), 1)}")

    def carried(self, scope):
        """A value the loop updates each step (a name bound before the loop)."""
        candidates = [n for n, t in scope.variables.items() if is_numeric(t)]
        if candidates and self.choose.chance(60):
            return self.choose.pick(candidates)
        kind = self.choose.pick(NUMERIC)
        name = self.new_name(kind)
        value = self.expression(kind, scope, 1)
        self.emit(f"{name} = {value}")
        scope.share(value)
        scope.define(name, kind, owned=is_fresh(value))
        return name

    def for_loop(self, scope, depth):
        """``for`` over ``range``, the rows of a matrix or a list literal, updating a value."""
        accumulator = self.carried(scope)
        kind = scope.variables[accumulator]
        inner = scope.child(loop=True)
        forms = ["range"]
        matrices = self.readable(MATRIX, scope)
        if matrices:
            forms.append("rows")
        forms.append("list")
        form = self.choose.pick(forms)
        if form == "range":
            index = f"i{next(self.counter)}"
            self.emit(f"for {index} in range({self.choose.integer(1, 3)}):")
            inner.indices.append(index)
        elif form == "rows":
            row = self.new_name(VECTOR)
            rows = self.choose.pick(matrices)
            self.emit(f"for {row} in {rows}:")
            inner.share(rows)
            inner.define(row, VECTOR)
        else:
            item_kind = self.choose.pick(NUMERIC)
            items = [self.expression(item_kind, scope, 1) for _ in range(self.choose.integer(1, 3))]
            for value in items:
                inner.share(value)
            item = self.new_name(item_kind)
            self.emit(f"for {item} in [{', '.join(items)}]:")
            inner.define(item, item_kind)
        self.indent += 1
        self.carry(accumulator, kind, inner)
        self.loop_statements(inner, depth)
        self.indent -= 1

    def while_loop(self, scope, depth):
        """``while`` with a counter, updating a value."""
        accumulator = self.carried(scope)
        kind = scope.variables[accumulator]
        counter = f"k{next(self.counter)}"
        self.emit(f"{counter} = 0")
        self.emit(f"while {counter} < {self.choose.integer(1, 3)}:")
        inner = scope.child(loop=True)
        inner.indices.append(counter)
        self.indent += 1
        self.emit(f"{counter} += 1")
        self.carry(accumulator, kind, inner)
        self.loop_statements(inner, depth)
        self.indent -= 1

    def carry(self, name, kind, scope):
        """The loop's update of ``name``: ``name = name * 0.5 + ...`` or ``name += ...``."""
        update = self.expression(kind, scope, 1)
        if self.choose.chance(40) and (kind == SCALAR or name in scope.owned):
            self.emit(f"{name} += {update}")
        else:
            self.emit(f"{name} = {name} * 0.5 + np.tanh({update})")
            scope.define(name, kind, owned=True)

    def loop_statements(self, scope, depth):
        """The rest of a loop body, with a ``break``/``continue``/``return`` sometimes."""
        self.block(scope, self.choose.integer(0, 2), depth + 1)
        if self.choose.chance(50):
            self.jump(scope, depth)
            self.block(scope, self.choose.integer(0, 1), depth + 1)

    def jump(self, scope, depth):
        """``if <test>: break`` / ``continue`` / ``return ...`` inside a loop."""
        if not scope.loop:
            return self.assign(scope, depth)
        self.emit(f"if {self.condition(scope)}:")
        self.indent += 1
        word = self.choose.pick(["break", "continue", "return"])
        self.emit(f"return {self.return_value(scope)}" if word == "return" else word)
        if self.choose.chance(20):
            self.dead_code(scope)
        self.indent -= 1

    # ------------------------------------------------------------ containers

    def build_container(self, scope, depth):
        """A list, tuple or dict literal of values."""
        kind = self.choose.pick(["list", "tuple", "dict"])
        count = self.choose.integer(1, 3)
        item_kinds = ([self.choose.pick(NUMERIC)] * count if self.choose.chance(60)
                      else [self.choose.pick(NUMERIC) for _ in range(count)])
        values = [self.expression(k, scope, 1) for k in item_kinds]
        for value in values:
            scope.share(value)
        if kind == "dict":
            keys = ["a", "b", "c"][:count]
            text = "{" + ", ".join(f"{k!r}: {v}" for k, v in zip(keys, values)) + "}"
        else:
            keys = list(range(count))
            text = ("[" + ", ".join(values) + "]") if kind == "list" else (
                "(" + ", ".join(values) + ("," if count == 1 else "") + ")")
        container = Container(kind, tuple(zip(keys, item_kinds)))
        name = self.new_name(container)
        self.emit(f"{name} = {text}")
        scope.define(name, container, owned=True)

    def containers(self, scope, predicate=lambda t: True):
        """The names of containers (of types ``predicate`` accepts)."""
        return [n for n, t in scope.variables.items() if isinstance(t, Container) and predicate(t)]

    def dict_write(self, scope, depth):
        """``d[key] = value`` on a dict the function made (a new key or an existing one)."""
        dicts = self.containers(scope, lambda t: t.kind == "dict")
        dicts = [n for n in dicts if n in scope.owned]  # not the caller's dict
        if not dicts:
            return self.build_container(scope, depth)
        name = self.choose.pick(dicts)
        kind = self.choose.pick(NUMERIC)
        key = self.choose.pick(["a", "e", "f"])
        value = self.expression(kind, scope)
        self.emit(f"{name}[{key!r}] = {value}")
        scope.share(value)
        items = tuple((k, t) for k, t in scope.variables[name].items if k != key) + ((key, kind),)
        scope.variables[name] = Container("dict", items)

    def concatenate(self, scope, depth):
        """``+`` on sequences: concatenation."""
        kind = self.choose.pick(NUMERIC)
        sequences = self.containers(scope, lambda t: t.kind != "dict")
        if sequences and self.choose.chance(60):
            base = self.choose.pick(sequences)
            container = scope.variables[base]
            extra = self.expression(kind, scope, 1)
            scope.share(extra)
            name = self.new_name(container)
            self.emit(f"{name} = {base} + [{extra}]" if container.kind == "list" else f"{name} = {base} + ({extra},)")
            count = len(container.items)
            scope.define(name, Container(container.kind, container.items + ((count, kind),)), owned=True)
            return
        left, right = self.expression(kind, scope, 1), self.expression(kind, scope, 1)
        scope.share(left)
        scope.share(right)
        name = self.new_name(Container("tuple", ()))
        self.emit(f"{name} = ({left},) + ({right},)")
        scope.define(name, Container("tuple", ((0, kind), (1, kind))), owned=True)

    def append_loop(self, scope, depth):
        """``lst = []`` then ``lst.append(...)`` in a ``for`` over ``range``."""
        kind = self.choose.pick(NUMERIC)
        name = self.new_name(Container("list", ()))
        count = self.choose.integer(1, 3)
        index = f"i{next(self.counter)}"
        self.emit(f"{name} = []")
        self.emit(f"for {index} in range({count}):")
        inner = scope.child(loop=False)  # no break before the append: the list has ``count`` items
        inner.indices.append(index)
        self.indent += 1
        self.block(inner, self.choose.integer(0, 1), depth + 1)
        value = self.expression(kind, inner)
        self.emit(f"{name}.append({value})")
        scope.share(value)
        self.indent -= 1
        scope.define(name, Container("list", tuple((i, kind) for i in range(count))), owned=True)

    def container_loop(self, scope, depth):
        """Loops over a container's items: ``for q in lst``, ``enumerate``, ``zip``, ``.items()``."""
        options = self.containers(scope, lambda t: t.homogeneous())
        if not options:
            return self.append_loop(scope, depth)
        name = self.choose.pick(options)
        container = scope.variables[name]
        item_kind = container.types[0]
        accumulator = self.carried(scope)
        inner = scope.child(loop=True)
        item = self.new_name(item_kind)
        if container.kind == "dict":
            key = f"key{next(self.counter)}"
            form = self.choose.integer(0, 2)
            self.emit([f"for {key}, {item} in {name}.items():", f"for {item} in {name}.values():",
                       f"for {key} in {name}:"][form])
            if form == 2:
                self.lines.append("    " * (self.indent + 1) + f"{item} = {name}[{key}]")
        else:
            index = f"j{next(self.counter)}"
            header = self.choose.pick([f"for {item} in {name}:", f"for {index}, {item} in enumerate({name}):",
                                       f"for {item}, {index} in zip({name}, range(5)):"])
            self.emit(header)
            if index in header:
                inner.indices.append(index)
        inner.define(item, item_kind)
        self.indent += 1
        self.carry(accumulator, scope.variables[accumulator], inner)
        self.loop_statements(inner, depth)
        self.indent -= 1

    def mutation(self, scope, depth):
        """Calls that write into their arguments: list and dict methods, ``out=``, ``np.add.at``."""
        form = self.choose.pick(["extend", "insert", "update", "copyto", "add_at", "out", "helper"])
        if form in ("extend", "insert"):
            lists = [n for n in self.containers(scope, lambda t: t.kind == "list" and t.homogeneous())
                     if n in scope.owned]
            if not lists:
                return self.build_container(scope, depth)
            name = self.choose.pick(lists)
            container = scope.variables[name]
            kind = container.types[0]
            if form == "extend":
                items = [self.expression(kind, scope, 1), self.expression(kind, scope, 1)]
                self.emit(f"{name}.extend([{', '.join(items)}])")
                for value in items:
                    scope.share(value)
                count = len(container.items) + 2
            else:
                item = self.expression(kind, scope, 1)
                self.emit(f"{name}.insert(0, {item})")
                scope.share(item)
                count = len(container.items) + 1
            scope.variables[name] = Container("list", tuple((i, kind) for i in range(count)))
            return
        if form == "update":
            dicts = [n for n in self.containers(scope, lambda t: t.kind == "dict") if n in scope.owned]
            if not dicts:
                return self.build_container(scope, depth)
            name = self.choose.pick(dicts)
            kind = self.choose.pick(NUMERIC)
            item = self.expression(kind, scope, 1)
            self.emit(f"{name}.update({{'g': {item}}})")
            scope.share(item)
            items = tuple((k, t) for k, t in scope.variables[name].items if k != "g") + (("g", kind),)
            scope.variables[name] = Container("dict", items)
            return
        kind = self.choose.pick([SHORT, VECTOR, MATRIX])
        owned = [n for n in scope.owned if scope.variables.get(n) == kind]
        name = self.choose.pick(sorted(owned)) if owned and self.choose.chance(50) else self.buffer(scope, kind)
        if form == "copyto":
            self.emit(f"np.copyto({name}, {self.expression(kind, scope)})")
        elif form == "add_at":
            index = {SHORT: "[0, 1, 0]", VECTOR: "[0, 2, 2]", MATRIX: "[1, 0, 1]"}[kind]
            value = self.expression(SCALAR if kind != MATRIX else VECTOR, scope)
            if kind != MATRIX and self.choose.chance(50):
                value = self.expression(VECTOR, scope)
            self.emit(f"np.add.at({name}, {index}, {value})")
        elif form == "out":
            function = self.choose.pick(["np.multiply", "np.add", "np.subtract"])
            self.emit(f"{function}({self.expression(kind, scope, 1)}, {self.expression(kind, scope, 1)}, out={name})")
        else:
            helper = self.writing_helper(kind)
            self.may_refuse = True
            self.emit(f"{helper}({name}, {self.expression(SCALAR, scope, 1)})")

    def writing_helper(self, kind):
        """A helper that writes into its argument and returns nothing."""
        name = f"fill{next(self.counter)}"
        index = "[0]" if kind != MATRIX else "[0, 1]"
        self.helper_sources.append(f"def {name}(buf, value):\n    buf{index} = buf{index} * value + 1.0\n")
        return name

    # ---------------------------------------------------------------- calls

    def call_options(self, kind, scope):
        """The helpers whose result (or an item of it) has type ``kind``: ``(helper, item)``."""
        options = []
        for helper in self.helpers + scope.local_helpers:
            if helper.returns == kind:
                options.append((helper, None))
            elif isinstance(helper.returns, Container):
                options += [(helper, i) for i, t in enumerate(helper.returns.types) if t == kind]
        return options

    def helper_call(self, kind, scope, depth):
        """A call of a helper, or an item of the tuple it returns."""
        helper, position = self.choose.pick(self.call_options(kind, scope))
        call = self.call(helper, scope, depth)
        return call if position is None else f"{call}[{position}]"

    def call(self, helper, scope, depth):
        """A call of ``helper`` in one of the ways Python allows: positional,
        keywords, defaults left out, ``*args`` given or spread from a list."""
        self.called.add(helper.name)
        arguments, keywords = [], []
        for name, kind in helper.positional:
            value = self.argument(kind, scope, depth)
            if keywords or (helper.star is None and self.choose.chance(20)):
                keywords.append(f"{name}={value}")
            else:
                arguments.append(value)
        for name, kind, _ in helper.defaults:
            if helper.star is not None:  # before *args, defaults take the next positions
                arguments.append(self.expression(kind, scope, depth - 1))
            elif self.choose.chance(50):
                value = self.expression(kind, scope, depth - 1)
                if keywords or self.choose.chance(50):
                    keywords.append(f"{name}={value}")
                else:
                    arguments.append(value)
        spread = False
        if helper.star is not None:
            items = self.star_arguments(helper.star, scope, depth)
            spread = items[0].startswith("*")
            arguments += items
        for name, kind, _ in helper.keyword_only:
            if not spread and self.choose.chance(50):  # a spread call takes no differentiated keyword (documented)
                keywords.append(f"{name}={self.expression(kind, scope, depth - 1)}")
        return f"{helper.name}({', '.join(arguments + keywords)})"

    def star_arguments(self, kind, scope, depth):
        """At least one item for ``*rest``: listed, spread from a list literal, or from a list."""
        lists = self.containers(scope, lambda t: t.kind in ("list", "tuple") and t.homogeneous() and t.types[0] == kind)
        if lists and self.choose.chance(40):
            return [f"*{self.choose.pick(lists)}"]
        items = [self.expression(kind, scope, depth - 1) for _ in range(self.choose.integer(1, 3))]
        if self.choose.chance(35):
            return ["*[" + ", ".join(items) + "]"]
        return items

    def argument(self, kind, scope, depth):
        """A value for a parameter of type ``kind``: an expression, a container name or literal."""
        if is_numeric(kind):
            return self.expression(kind, scope, depth - 1)
        matching = [n for n, t in scope.variables.items() if t == kind]
        if matching and self.choose.chance(80):
            return self.choose.pick(matching)
        return self.literal(kind, scope)

    def literal(self, kind, scope):
        """A container literal of type ``kind``."""
        values = [self.argument(t, scope, 1) for t in kind.types]
        if kind.kind == "dict":
            return "{" + ", ".join(f"{k!r}: {v}" for (k, _), v in zip(kind.items, values)) + "}"
        if kind.kind == "list":
            return "[" + ", ".join(values) + "]"
        return "(" + ", ".join(values) + ("," if len(values) == 1 else "") + ")"

    def unpack_call(self, scope, depth):
        """``a, b = helper(...)`` for a helper returning a tuple."""
        tuples = [h for h in self.helpers + scope.local_helpers if isinstance(h.returns, Container)]
        if not tuples:
            return self.assign(scope, depth)
        helper = self.choose.pick(tuples)
        names = [self.new_name(t) for t in helper.returns.types]
        self.emit(f"{', '.join(names)} = {self.call(helper, scope, 2)}")
        # srcad refuses a call made for its effects (names never read) that may write into an argument
        self.may_refuse |= helper.augments_parameter
        for name, kind in zip(names, helper.returns.types):
            scope.define(name, kind)

    def nested_def(self, scope, depth, as_lambda=False):
        """A function defined inside ``f`` that reads ``f``'s names and has a default (``def``,
        or ``name = lambda ...``)."""
        if depth > 0:
            return self.assign(scope, depth)
        kind = self.choose.pick(NUMERIC)
        name = f"inner{next(self.counter)}"
        parameter = self.new_name(kind)
        inner = Scope({**{n: t for n, t in scope.variables.items() if is_numeric(t)}, parameter: kind, "k": SCALAR})
        if as_lambda:
            self.emit(f"{name} = lambda {parameter}, k=2.0: {self.expression(kind, inner)}")
        else:
            self.emit(f"def {name}({parameter}, k=2.0):")
            self.indent += 1
            self.emit(f"return {self.expression(kind, inner)}")
            self.indent -= 1
        scope.local_helpers.append(Helper(name, [(parameter, kind)], [("k", SCALAR, "2.0")], None, [], kind))

    def nested_lambda(self, scope, depth):
        """``name = lambda q, k=2.0: ...``, read as a nested function."""
        self.nested_def(scope, depth, as_lambda=True)

    # -------------------------------------------------------------- helpers

    def helper(self, container_parameter=None):
        """A module-level function: its source, and the :class:`Helper` that calls it."""
        name = f"h{len(self.helpers) + 1}"
        positional = []
        if container_parameter is not None:
            positional.append((f"params", container_parameter))
        for _ in range(self.choose.integer(1 if container_parameter is None else 0, 2)):
            kind = self.choose.pick(NUMERIC)
            positional.append((self.new_name(kind), kind))
        defaults, star, keyword_only = [], None, []
        if self.on("calls") or self.on("helpers"):
            if self.choose.chance(50):
                defaults.append(("k", SCALAR, self.constant()))
            if self.choose.chance(35):
                star = self.choose.pick(NUMERIC)
            if self.choose.chance(30):
                keyword_only.append(("shift", SCALAR, self.constant()))
        returns = self.choose.pick(NUMERIC)
        if self.choose.chance(40):
            returns = Container("tuple", ((0, returns), (1, self.choose.pick(NUMERIC))))
        helper = Helper(name, positional, defaults, star, keyword_only, returns)
        scope = Scope({n: t for n, t in positional} | {n: t for n, t, _ in defaults + keyword_only},
                      returns=returns)
        parameters = [n for n, _ in positional] + [f"{n}={v}" for n, _, v in defaults]
        if star is not None:
            parameters.append("*rest")
        elif keyword_only:
            parameters.append("*")
        parameters += [f"{n}={v}" for n, _, v in keyword_only]
        saved_lines, self.lines = self.lines, []
        if star is not None:
            total = self.new_name(star)
            self.emit(f"{total} = rest[0]")
            self.emit("for r in rest:")
            self.indent += 1
            self.emit(f"{total} = {total} + np.sin(r)")
            self.indent -= 1
            scope.define(total, star)
        if container_parameter is not None:
            self.read_container_parameter(scope)
        self.block(scope, self.choose.integer(0, 2), 1)
        self.emit(f"return {self.return_value(scope)}")
        body, self.lines = self.lines, saved_lines
        written = "|".join([n for n, _ in positional] + [n for n, _, _ in defaults + keyword_only])
        helper.augments_parameter = any(re.match(rf"\s*({written}) [-+*/]=", line) for line in body)
        self.helpers.append(helper)
        return f"def {name}({', '.join(parameters)}):\n" + "\n".join(body) + "\n"

    def read_container_parameter(self, scope):
        """Sometimes unpack a list or tuple parameter into names first."""
        container = scope.variables["params"]
        plain = container.kind in ("list", "tuple") and all(is_numeric(t) for t in container.types)
        if plain and self.choose.chance(50):
            names = [self.new_name(t) for t in container.types]
            self.emit(f"{', '.join(names)}{',' if len(names) == 1 else ''} = params")
            for name, kind in zip(names, container.types):
                scope.define(name, kind)

    # -------------------------------------------------------------- program

    def parameters(self):
        """The types of ``f``'s parameters; the first may be a container of parameters."""
        kinds = [self.choose.pick(NUMERIC) for _ in range(self.choose.integer(1, 3))]
        if self.on("containers") and self.choose.chance(60):
            items = self.choose.pick([(("W", MATRIX), ("b", SHORT)), (("a", VECTOR), ("b", VECTOR)),
                                      ((0, MATRIX), (1, VECTOR)), ((0, SCALAR), (1, SHORT), (2, VECTOR))])
            kind = "dict" if isinstance(items[0][0], str) else self.choose.pick(["list", "tuple"])
            kinds[0] = Container(kind, items)
        return kinds

    def program(self, group, seed):
        """The whole module: helpers, then ``f``; see :class:`Program`."""
        self.helper_sources = []
        self.called = set()
        kinds = self.parameters()
        names = ["params" if isinstance(kinds[0], Container) else "x", "y", "z"][:len(kinds)]
        helper_count = self.choose.integer(1, 3) if (self.on("helpers") or self.on("calls")) else 0
        if self.on("containers") and isinstance(kinds[0], Container):
            helper_count = max(helper_count, 2)
        for _ in range(helper_count):
            takes_container = isinstance(kinds[0], Container) and self.choose.chance(70)
            self.helper_sources.append(self.helper(kinds[0] if takes_container else None))
        scope = Scope({n: t for n, t in zip(names, kinds)})
        self.lines = []
        self.indent = 1
        self.block(scope, self.choose.integer(1, 5), 0)
        recent = [n for n, t in scope.variables.items() if is_numeric(t)][-2:]
        terms = [self.expression(SCALAR, scope)] + [f"np.sum(np.sin({n}))" for n in recent]
        for helper in self.helpers:  # every helper is called at least once
            if helper.name not in self.called:
                call = self.call(helper, scope, 2)
                terms.append(f"np.sum({call}[0])" if isinstance(helper.returns, Container) else f"np.sum({call})")
        self.emit("return " + " + ".join(terms))
        function = f"def f({', '.join(names)}):\n" + "\n".join(self.lines) + "\n"
        source = "import math\n\nimport numpy as np\n\n\n" + "\n\n".join(self.helper_sources + [function])
        wrt = (0, 1) if len(kinds) > 1 and self.choose.chance(30) else (0,)
        return Program(source, group, tuple(kinds), wrt, seed, self.may_refuse)


MIXED = tuple(group for group in GROUPS if group != "aliasing")
"""The features of ``"mixed"`` programs: all but writes through aliases, which srcad may
refuse (a refusal would leave the rest of a mixed program unchecked)."""


def write_program(choices, group):
    """A random program of feature ``group`` (one of ``GROUPS``, or ``"mixed"`` for ``MIXED``)."""
    features = MIXED if group == "mixed" else (group,)
    writer = ProgramWriter(choices, features)
    return writer.program(group, choices.integer(0, 2 ** 20))
