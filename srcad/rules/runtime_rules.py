"""Rules for the runtime helpers that have none elsewhere, so that generated code
(which calls them) can be differentiated again like user code.

Most helpers' rules sit with the rules that call them (``numpy_rules.py``, end
of file). These are the rest: accumulation, the forward-mode helpers, and the
partials of the 2-norm. Each is linear in the derivative it carries except
``norm_partials``, whose derivatives are spelled out in ``runtime/forward.py``
(for the 2-norm and Frobenius norm, and the norms with piecewise-constant partials). Two statements of generated code are not calls with a
result and have no rule here: ``tape.push``/``tape.pop`` and ``add_at``
(``compiler/passes/p12_forward.py`` gives their tangents: a tangent tape, the same in-place update
of the tangent buffer).
"""
import numpy as np

from ..runtime.accumulate import add_grads, copy_of, unchanged_in_place, writable, writable_copy
from ..runtime.forward import broadcast_like, fresh_copy, norm_partials_dx, norm_partials_dy, \
    norm_partials_dy_transposed, resum
from ..runtime.numeric import cotangent_times, norm_partials, unbroadcast, unreached, unsum
from .registry import adjoint, d, tangent

# ------------------------------------------------------------- strong zeros
# Where cotangent_times turns 0 * inf into 0 (unreached), its result is 0 nearby, and so
# are its derivatives; elsewhere each factor's derivative is the other factor, taken with
# the same strong zero (the tangent of a zero cotangent times inf is 0).


@adjoint(cotangent_times)
def _(y, cotangent, partial):
    d[cotangent] = unbroadcast(np.where(unreached(cotangent, partial), 0.0, d[y] * partial), cotangent)
    d[partial] = unbroadcast(np.where(unreached(cotangent, partial), 0.0, cotangent_times(cotangent, d[y])),
                             partial)


@tangent(cotangent_times)
def _(y, cotangent, partial):
    d[y] = np.where(unreached(cotangent, partial), 0.0,
                    cotangent_times(cotangent, d[partial]) + cotangent_times(d[cotangent], partial))


# ------------------------------------------------------------- accumulation


@adjoint(add_grads)
def _(y, a, b):
    d[a] = d[y]
    d[b] = d[y]


@tangent(add_grads)
def _(y, a, b):
    d[y] = add_grads(d[a], d[b])


# copies (and a number made a 0-d array): the same value; a tangent is copied the same way
@adjoint(copy_of, writable, writable_copy)
def _(y, value):
    d[value] = d[y]


@tangent(copy_of)
def _(y, value):
    d[y] = copy_of(d[value])


@adjoint(unchanged_in_place)
def _(y, value, message, path=()):
    d[value] = d[y]


@tangent(unchanged_in_place)
def _(y, value, message, path=()):
    d[y] = d[value]


@tangent(writable)
def _(y, value):
    d[y] = writable(d[value])


@tangent(writable_copy)
def _(y, value):
    d[y] = writable_copy(d[value])


@adjoint(unsum)
def _(y, g, iterable):
    d[g] = resum(d[y], g)


@tangent(unsum)
def _(y, g, iterable):
    d[y] = unsum(d[g], iterable)


@adjoint(resum)
def _(y, ts, g):
    d[ts] = unsum(d[y], ts)


@tangent(resum)
def _(y, ts, g):
    d[y] = resum(d[ts], g)


# ------------------------------------------------------ forward-mode helpers


@adjoint(broadcast_like)
def _(y, t, like):
    d[t] = unbroadcast(d[y], t)


@tangent(broadcast_like)
def _(y, t, like):
    d[y] = broadcast_like(d[t], like)


@adjoint(fresh_copy)
def _(y, t):
    d[t] = d[y]


@tangent(fresh_copy)
def _(y, t):
    d[y] = fresh_copy(d[t])


# ------------------------------------------------- partials of the 2-norm


@adjoint(norm_partials)
def _(p, x, y, ord=None, axis=None, keepdims=False):
    d[x] = norm_partials_dx(d[p], x, y, ord, axis, keepdims)
    d[y] = norm_partials_dy_transposed(d[p], x, y, ord, axis, keepdims)


@tangent(norm_partials)
def _(p, x, y, ord=None, axis=None, keepdims=False):
    d[p] = norm_partials_dx(d[x], x, y, ord, axis, keepdims) + norm_partials_dy(d[y], x, y, ord, axis, keepdims)
