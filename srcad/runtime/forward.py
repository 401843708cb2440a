"""Helpers that forward-mode code, and the rules of generated code, call.

Forward mode (``srcad/compiler/passes/p12_forward.py``) needs two of them: ``broadcast_like``,
where a term dropped from a tangent (a zero) leaves a smaller shape than the
result's, and ``fresh_copy``, before a tangent buffer is updated in place.
The others are transposes and second derivatives of helpers of
``numeric.py`` that the rules of ``rules/runtime_rules.py`` need, so that a
generated derivative can be differentiated again.

Like ``numeric.py``, they call NumPy functions on the arrays they are given
and keep the dtype of what they are given.
"""
import dataclasses
import inspect

import numpy as np

from ..errors import NonDifferentiableError
from . import dispatch, hook, tree
from .sources import is_generated_file
from .numeric import float_dtype, quotient_or_zero, unbroadcast, unreduce, zeros_like


# ---------------------------------------------------------------- broadcasting


def broadcast_like(t, like):
    """``t`` with the shape of ``like``: broadcast up where ``t``'s shape
    broadcasts to it, summed down (``unbroadcast``) otherwise; a list or tuple of tangents (one
    per item of a helper's result) is already shaped."""
    if isinstance(t, (list, tuple)):
        return t
    shape = np.shape(like)
    t_shape = np.shape(t)
    if t_shape == shape:
        return t
    if len(t_shape) > len(shape) or any(a != b and a != 1 for a, b in zip(t_shape[::-1], shape[::-1])):
        return unbroadcast(t, like)
    if isinstance(t, (int, float)) and hasattr(like, "dtype"):
        return np.full_like(like, t, dtype=float_dtype(like))
    return np.broadcast_to(t, shape)


def resum(ts, g):
    """The transpose of ``unsum(g, items)``: each item's derivative broadcast to
    ``g``'s shape, added up."""
    if not isinstance(ts, (list, tuple)):
        return broadcast_like(ts, g)
    total = None
    for t in ts:
        t = broadcast_like(t, g)
        total = t if total is None else total + t
    return total


# ------------------------------------------------------- tangent buffers


def fresh_copy(t):
    """A copy of ``t`` that nothing else refers to (``add_at`` may then update it
    in place): arrays are copied, containers rebuilt, numbers kept."""
    if tree.is_container(t):
        return tree.rebuild(t, [fresh_copy(item) for item in tree.children(t)])
    if isinstance(t, np.ndarray):
        return t.copy()
    return t


# ------------------------------------------- calls known only at run time


def call_jvp(function, args, tangents, keywords=None, keyword_tangents=None):
    """``(function(*args, **keywords), its tangent)`` for a function that generated
    code knows only when it runs (``act(z)`` with ``act`` an argument). ``tangents``
    has one entry per argument, None where the argument carries no tangent. The
    forward mode of ``function`` is generated on first use and kept: its own
    source transformed, or, for a function with a rule, a one-line function that
    calls it."""
    compiler = hook.compiler()
    keywords, keyword_tangents = keywords or {}, keyword_tangents or {}
    active = [i for i, t in enumerate(tangents) if t is not None]
    active_keywords = sorted(k for k, t in keyword_tangents.items() if t is not None)
    if compiler.no_derivative(function) or not (active or active_keywords):
        value = function(*args, **keywords)
        return value, zeros_like(value)
    given = [tangents[i] for i in active] + [keyword_tangents[k] for k in active_keywords]
    fixed = compiler.callee(function, len(args), tuple(sorted(keywords)), "forward")
    signature = inspect.signature(fixed)
    bound = signature.bind(*args, **keywords)
    bound.apply_defaults()
    params = list(signature.parameters)
    generated = compiler.forward_function(fixed, [params[i] for i in active] + active_keywords)
    return generated.function(*bound.arguments.values(), *given)


def attribute_tangent(t_obj, obj, attribute):
    """The tangent of ``obj.attribute``: that attribute of ``obj``'s tangent when the tangent
    has the same structure (a namedtuple or a dataclass of tangents), else zero (an object's attributes,
    ``self.weights``, are constants of a derivative: only arguments carry tangents)."""
    if type(t_obj) is type(obj) and (isinstance(obj, tuple) or dataclasses.is_dataclass(obj)):
        return getattr(t_obj, attribute)
    return zeros_like(getattr(obj, attribute))


def no_tangents(items):
    """No tangent for each of ``items`` (a sequence spread into a call's arguments)."""
    return [None] * len(items)


def call_forward_jvp(function, wrt, args, tangents, keywords=None, keyword_tangents=None):
    """The forward mode of ``call_forward(function, wrt, *args, **keywords)`` (reverse-mode
    code's call of a function known only at run time): ``((value, saved), (t_value, t_saved))``,
    where ``t_saved`` carries the tangents of what the forward sweep saved. A checkpointed
    function is not recomputed here: forward mode keeps no tape to save memory on."""
    compiler = hook.compiler()
    keywords, keyword_tangents = keywords or {}, keyword_tangents or {}
    given = {i: t for i, t in enumerate(tangents) if t is not None}
    given.update({k: t for k, t in keyword_tangents.items() if t is not None})
    every = None
    if wrt is None:
        every = len(args)
        wrt = tuple(i for i, arg in enumerate(args) if dispatch.carries_derivative(arg))
    if not wrt or not given or compiler.no_derivative(function):
        value, saved = dispatch.call_forward(function, None if every is not None else wrt, *args, **keywords)
        return (value, saved), (zeros_like(value), None)
    forward, backward, layout = dispatch.split(function, wrt, len(args), tuple(sorted(keywords)))
    signature = inspect.signature(forward)
    positional = [p.name for p in signature.parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    bound = signature.bind(*args, **keywords)
    bound.apply_defaults()
    names = [positional[k] if isinstance(k, int) else k for k in given]
    generated = compiler.forward_function(forward, names)
    (value, state), (t_value, t_state) = generated.function(*bound.arguments.values(), *given.values())
    return (value, (backward, state, wrt, every, layout)), (t_value, (None, t_state, None, None, None))


def call_backward_jvp(saved, t_saved, d_y, t_d_y):
    """The forward mode of ``call_backward(saved, d_y)``: the derivatives it returns
    and their tangents, given the tangents of ``saved`` and of ``d_y`` (None: zero)."""
    backward, state, wrt, every, layout = saved
    t_state = t_saved[1] if t_saved is not None else None
    generated_sweep = is_generated_file(getattr(getattr(backward, "__code__", None), "co_filename", ""))
    if not generated_sweep or (t_state is None and t_d_y is None):
        derivatives = dispatch.call_backward(saved, d_y)
        return derivatives, zeros_like(derivatives)
    params = list(inspect.signature(backward).parameters)
    given = [(p, t) for p, t in zip(params, (t_state, t_d_y)) if t is not None]
    generated = hook.compiler().forward_function(backward, [p for p, _ in given])
    derivatives, tangents = generated.function(state, d_y, *[t for _, t in given])

    def arranged(result):
        # the derivatives (or their tangents) placed as call_backward places them
        return dispatch.call_backward((lambda _state, _d_y: result, None, wrt, every, layout), None)

    return arranged(derivatives), arranged(tangents)


# ------------------------------------------------- second derivatives of helpers


def norm_partials_dx(t, x, y, ord=None, axis=None, keepdims=False):
    """How ``norm_partials(x, y, ...)`` changes along a change ``t`` of ``x``: ``t / y``
    for the 2-norm and the Frobenius norm (where the partials are ``x / y``), zero for
    the norms whose partials are piecewise constant (``ord`` 0, 1, inf, -inf on
    vectors). Linear in ``t`` and its own transpose."""
    if _norm_is_euclidean(x, ord, axis):
        return quotient_or_zero(t, unreduce(y, x, axis, keepdims))
    if _norm_is_piecewise_constant(x, ord, axis):
        return np.zeros_like(x, dtype=float_dtype(x))
    raise _no_second_derivative_of_norm(ord)


def norm_partials_dy(t, x, y, ord=None, axis=None, keepdims=False):
    """How ``norm_partials(x, y, ...)`` changes along a change ``t`` of ``y``:
    ``-x t / y**2`` for the 2-norm and the Frobenius norm, zero for the others
    :func:`norm_partials_dx` allows."""
    if _norm_is_euclidean(x, ord, axis):
        scale = unreduce(y, x, axis, keepdims)
        return quotient_or_zero(-x * unreduce(t, x, axis, keepdims), scale * scale)
    if _norm_is_piecewise_constant(x, ord, axis):
        return np.zeros_like(x, dtype=float_dtype(x))
    raise _no_second_derivative_of_norm(ord)


def norm_partials_dy_transposed(g, x, y, ord=None, axis=None, keepdims=False):
    """The transpose of :func:`norm_partials_dy` (``g`` shaped like ``x``, the result like ``y``)."""
    if _norm_is_euclidean(x, ord, axis):
        scale = unreduce(y, x, axis, keepdims)
        return -np.reshape(np.sum(quotient_or_zero(g * x, scale * scale), axis=axis, keepdims=keepdims), np.shape(y))
    if _norm_is_piecewise_constant(x, ord, axis):
        return np.zeros_like(y, dtype=float_dtype(y))
    raise _no_second_derivative_of_norm(ord)


def _no_second_derivative_of_norm(ord):
    return NonDifferentiableError(
        f"srcad has no second derivative of np.linalg.norm with ord={ord!r} (only of the 2-norm, the "
        f"Frobenius norm and the piecewise linear norms)",
        hint=f"write the norm out, np.sum(np.abs(x) ** {ord!r}) ** (1 / {ord!r}), so that srcad differentiates "
             f"its parts")


def _norm_is_euclidean(x, ord, axis):
    pair = len(axis) == 2 if isinstance(axis, tuple) else (axis is None and ord is not None and np.ndim(x) == 2)
    return ord is None or ord == "fro" or (ord == 2 and not pair)


def _norm_is_piecewise_constant(x, ord, axis):
    pair = len(axis) == 2 if isinstance(axis, tuple) else (axis is None and ord is not None and np.ndim(x) == 2)
    return not pair and ord in (0, 1, np.inf, -np.inf)
