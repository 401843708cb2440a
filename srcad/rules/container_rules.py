"""Python containers: a list made from an iterable, and a dict's items and values.

These let a loop run over ``params.items()`` or ``params.values()``: the loop reads
``list(params.items())`` item by item, and each rule sends the derivatives back
to where the values came from.
"""
from ..runtime.numeric import from_items, from_values, unlist
from .registry import adjoint, d, nondifferentiable, tangent

# -------------------------------------------------------------- list(iterable)


@adjoint(list)
def _(y, iterable=()):
    d[iterable] = unlist(d[y], iterable)


@tangent(list)
def _(y, iterable=()):
    d[y] = list(d[iterable])


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


nondifferentiable(dict.keys)
