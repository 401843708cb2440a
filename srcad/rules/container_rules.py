"""Python containers: ``+`` and ``*`` on lists and tuples, a list made from an
iterable, and a dict's items and values.

``a + b`` joins two lists or two tuples, and its derivative splits back: the
first ``len(a)`` items go to ``a``. Where srcad can prove what the operands are
(``srcad/compiler/passes/p10_kinds.py``) the arithmetic rule of ``operators.py`` or the rule of
``concatenation`` applies; otherwise ``plus`` and ``times``, whose rules test
the operands' types when the code runs.

The rest let a loop run over ``params.items()`` or ``params.values()``: the loop
reads ``list(params.items())`` item by item, and each rule sends the derivatives
back to where the values came from.
"""
from ..runtime.accumulate import unrepeat_sequence
from ..runtime.numeric import backwards, concatenation, field_of, from_items, from_values, got, is_mapping, \
    joins, loop_item, plus, repeats, times, transposed, unbroadcast, unfield, unget, unindex, unlist, untransposed, \
    zeros_like
from .registry import adjoint, d, nondifferentiable, tangent

# ------------------------------------------------- + and * on lists and tuples


@adjoint(concatenation)
def _(y, a, b):
    d[a] = d[y][:len(a)]
    d[b] = d[y][len(a):]


@tangent(concatenation)
def _(y, a, b):
    d[y] = concatenation(d[a], d[b])


@adjoint(plus)
def _(y, a, b):
    d[a] = d[y][:len(a)] if joins(a, b) else unbroadcast(d[y], a)
    d[b] = d[y][len(a):] if joins(a, b) else unbroadcast(d[y], b)


@tangent(plus)
def _(y, a, b):
    d[y] = plus(d[a], d[b])


@adjoint(times)
def _(y, a, b):
    d[a] = unrepeat_sequence(d[y], a) if repeats(a, b) else unbroadcast(d[y] * b, a)
    d[b] = unrepeat_sequence(d[y], b) if repeats(b, a) else unbroadcast(d[y] * a, b)


@tangent(times)
def _(y, a, b):
    d[y] = d[a] * b if repeats(a, b) else a * d[b] if repeats(b, a) else d[a] * b + a * d[b]


@adjoint(unrepeat_sequence)
def _(y, g, a):
    d[g] = d[y] * (len(g) // max(len(a), 1))


@tangent(unrepeat_sequence)
def _(y, g, a):
    d[y] = unrepeat_sequence(d[g], a)



# ------------------------------------------------------ the fields of a namedtuple


@adjoint(field_of)
def _(y, record, field, like=None):
    d[record] = unfield(d[y], record, field)


@tangent(field_of)
def _(y, record, field, like=None):
    d[y] = field_of(d[record], field, record)


@adjoint(unfield)
def _(y, g, record, field):
    d[g] = field_of(d[y], field, record)


@tangent(unfield)
def _(y, g, record, field):
    d[y] = unfield(d[g], record, field)


# ------------------------------------------------ for x in xs, where xs may be a dict


@adjoint(loop_item)
def _(y, xs, i):
    d[xs] = zeros_like(xs) if is_mapping(xs) else unindex(d[y], xs, i)


@tangent(loop_item)
def _(y, xs, i):
    d[y] = None if is_mapping(xs) else d[xs][i]


@adjoint(backwards)
def _(y, xs):
    d[xs] = zeros_like(xs) if is_mapping(xs) else backwards(d[y])


@tangent(backwards)
def _(y, xs):
    d[y] = [None] * len(xs) if is_mapping(xs) else backwards(d[xs])  # a dict's keys carry none


# -------------------------------------------------------------- list(iterable)


@adjoint(list)
def _(y, iterable=()):
    d[iterable] = unlist(d[y], iterable)


@tangent(list)
def _(y, iterable=()):
    d[y] = list(d[iterable])


@adjoint(tuple)
def _(y, iterable=()):
    d[iterable] = unlist(d[y], iterable)


@tangent(tuple)
def _(y, iterable=()):
    d[y] = tuple(d[iterable])


@adjoint(unlist)
def _(y, g, iterable):
    d[g] = list(d[y])


@tangent(unlist)
def _(y, g, iterable):
    d[y] = unlist(d[g], iterable)


# ------------------------------------------------------ a dict's items and values


@adjoint(dict.items)
def _(y, self):
    d[self] = from_items(d[y], self)


@tangent(dict.items)
def _(y, self):
    d[y] = d[self].items()


@adjoint(dict.values)
def _(y, self):
    d[self] = from_values(d[y], self)


@tangent(dict.values)
def _(y, self):
    d[y] = d[self].values()


@tangent(from_items)
def _(y, g, mapping):
    d[y] = from_items(d[g], mapping)


@tangent(from_values)
def _(y, g, mapping):
    d[y] = from_values(d[g], mapping)


nondifferentiable(dict.keys)


# ------------------------------------------------------------------ d.get(key, default)


@adjoint(dict.get)
def _(y, self, key, default=None):
    d[self] = unget(d[y], self, key)
    d[default] = zeros_like(default) if key in self else d[y]


@tangent(dict.get)
def _(y, self, key, default=None):
    d[y] = got(d[self], self, key, d[default])


@adjoint(unget)
def _(y, g, mapping, key):
    d[g] = got(d[y], mapping, key, zeros_like(g))


@tangent(unget)
def _(y, g, mapping, key):
    d[y] = unget(d[g], mapping, key)


# ------------------------------------------------------ zip(a, b) and zip(*pairs) as values


@adjoint(transposed)
def _(y, sequences):
    d[sequences] = untransposed(d[y], sequences)


@tangent(transposed)
def _(y, sequences):
    d[y] = transposed(d[sequences])


@adjoint(untransposed)
def _(y, g, sequences):
    d[g] = transposed(d[y])


@tangent(untransposed)
def _(y, g, sequences):
    d[y] = untransposed(d[g], sequences)
