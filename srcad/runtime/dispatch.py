"""Calls whose function is known only when the code runs: ``act(z)`` with ``act`` an argument.

``call_forward(function, wrt, *args)`` runs the forward sweep of whatever
``function`` turns out to be, and ``call_backward(saved, d_y)`` its backward
sweep, giving one derivative per argument position in ``wrt``. The pair of
sweeps is generated on first use for each function and cached: a registered
rule is used when there is one, ``stop_gradient`` passes no derivative,
``checkpoint`` recomputes its forward sweep, and otherwise the function's own
source is transformed.
"""
import inspect
import numbers

import numpy as np

from . import hook
from .numeric import zeros_like
from .sources import register_source

_SPLITS = {}


def call_forward(function, wrt, *args, **kwargs):
    """``(function(*args, **kwargs), saved)`` where ``saved`` feeds :func:`call_backward`.

    ``wrt`` names the arguments to differentiate: positions and keyword names, or None
    for "every positional argument that can carry a derivative" (a call with ``*args``,
    whose positions are known only now).
    """
    every = None
    if wrt is None:
        every = len(args)
        wrt = tuple(position for position, arg in enumerate(args) if carries_derivative(arg))
    if not wrt or hook.compiler().no_derivative(function):
        return function(*args, **kwargs), (_zero_backward, (args, kwargs, wrt), wrt, every, None)
    forward, backward, layout = split(function, wrt, len(args), tuple(sorted(kwargs)))
    if getattr(function, "srcad_checkpoint", False):
        state = (forward, backward, args, kwargs)
        return function(*args, **kwargs), (_recompute_backward, state, wrt, every, layout)
    value, saved = forward(*args, **kwargs)
    return value, (backward, saved, wrt, every, layout)


def call_backward(saved, d_y):
    """The derivatives of the arguments in ``wrt``, a tuple with one per entry; with
    ``wrt=None``, one per positional argument (None for those that carry none)."""
    backward, state, wrt, every, layout = saved
    derivatives = backward(state, d_y)
    if layout is not None and layout.outputs == 1:
        derivatives = (derivatives,)
    if every is None:
        return derivatives
    full = [None] * every
    for position, derivative in zip(wrt, derivatives):
        full[position] = derivative
    return tuple(full)


def carries_derivative(value):
    """Whether an argument can carry a derivative: not an integer, a bool, a string or None."""
    if isinstance(value, (bool, numbers.Integral, str, bytes)) or value is None:
        return False
    dtype = getattr(value, "dtype", None)
    return dtype is None or np.dtype(dtype).kind in "fc"


def _zero_backward(state, d_y):
    """``stop_gradient`` and other piecewise-constant functions: zero derivatives."""
    args, kwargs, wrt = state
    return tuple(zeros_like(args[w] if isinstance(w, int) else kwargs[w]) for w in wrt)


def _recompute_backward(state, d_y):
    """``checkpoint``: run the forward sweep again, now keeping what the backward sweep reads."""
    forward, backward, args, kwargs = state
    _, saved = forward(*args, **kwargs)
    return backward(saved, d_y)


class _Layout:
    """How many derivatives a backward sweep returns: a single one is not in a tuple."""

    def __init__(self, outputs):
        self.outputs = outputs


def split(function, wrt, n_args, keywords):
    """``(forward, backward, layout)`` for a call of ``function``, made once (again when a
    function it calls was redefined since)."""
    key = (function, wrt, n_args, keywords)
    try:
        hash(key)
    except TypeError:  # an unhashable callable: made for each call
        return _make_split(function, wrt, n_args, keywords)[0]
    sweeps, _ = hook.generate_once(_SPLITS, key, lambda found: hook.compiler().is_stale(found[1]),
                                   lambda: _make_split(function, wrt, n_args, keywords))
    return sweeps


def _make_split(function, wrt, n_args, keywords):
    compiler = hook.compiler()
    if getattr(function, "srcad_checkpoint", False):
        function = function.__wrapped__
    fixed = compiler.callee(function, n_args, keywords, "reverse")
    wrt_names = _parameters_for(fixed, wrt)
    generated = compiler.reverse_split(fixed, wrt_names)
    forward, backward = generated.function
    return (forward, backward, _Layout(len(wrt_names))), generated


def _parameters_for(function, wrt):
    """The parameters that receive the arguments in ``wrt`` (positions and keyword names)
    of a function with fixed parameters."""
    positional = [p.name for p in inspect.signature(function).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return [positional[entry] if isinstance(entry, int) else entry for entry in wrt]


def calling_function(function, params, positional, keywords, scope=None):
    """A Python function with parameters ``params`` whose body calls ``function``; the names
    in ``scope`` (default values) are its globals."""
    arguments = list(positional) + [f"{k}={k}" for k in keywords]
    label = callable_label(function)
    source = f"def {label}({', '.join(params)}):\n    return function({', '.join(arguments)})\n"
    scope = {**(scope or {}), "function": function}
    exec(compile(source, register_source(source, f"call of {label}"), "exec"), scope)  # noqa: S102
    return scope[label]


_CALLERS = {}


def call_shape_caller(function, n_args, keywords):
    """``def f(arg0, ..., k): return function(arg0, ..., k=k)``: a Python function with fixed
    parameters that calls ``function`` (so that its rule can be inlined), one per call shape."""
    key = (function, n_args, keywords)
    try:
        return _CALLERS[key]
    except KeyError:
        pass
    except TypeError:
        key = None
    params = [f"arg{i}" for i in range(n_args)] + list(keywords)
    caller = calling_function(function, params, params[:n_args], list(keywords))
    if key is not None:
        _CALLERS[key] = caller
    return caller


def callable_label(function):
    """A readable identifier for any callable: its name, its function's, or its class's."""
    label = getattr(function, "__name__", None) or getattr(getattr(function, "func", None), "__name__", None) \
        or type(function).__name__.lower()
    return label if label.isidentifier() and label != "function" else "call"
