"""Calls whose function is known only when the code runs: ``act(z)`` with ``act`` an argument.

``call_forward(function, wrt, *args)`` runs the forward sweep of whatever
``function`` turns out to be, and ``call_backward(saved, d_y)`` its backward
sweep, giving one derivative per argument position in ``wrt``. The pair of
sweeps is generated on first use for each function and cached: a registered
rule is used when there is one, ``stop_gradient`` passes no derivative,
``checkpoint`` recomputes its forward sweep, and otherwise the function's own
source is transformed.
"""
import ast
import inspect
import numbers

import numpy as np

from ..errors import NonDifferentiableError
from ..rules import registry
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
        wrt = tuple(position for position, arg in enumerate(args) if _carries_derivative(arg))
    if not wrt or registry.is_nondifferentiable(function):
        return function(*args, **kwargs), (_zero_backward, (args, kwargs, wrt), wrt, every, None)
    forward, backward, layout = _split(function, wrt, len(args), tuple(sorted(kwargs)))
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


def _carries_derivative(value):
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


def _split(function, wrt, n_args, keywords):
    """``(forward, backward, layout)`` for a call of ``function``, made once (again when a
    function it calls was redefined since)."""
    from ..transform import is_stale

    key = (function, wrt, n_args, keywords)
    try:
        split, generated = _SPLITS[key]
        if not is_stale(generated):
            return split
    except KeyError:
        pass
    except TypeError:
        key = None
    split, generated = _make_split(function, wrt, n_args, keywords)
    if key is not None:
        _SPLITS[key] = split, generated
    return split


def _make_split(function, wrt, n_args, keywords):
    from ..calls import fixed_callable
    from ..reverse import is_user_function
    from ..transform import reverse_split

    if getattr(function, "srcad_checkpoint", False):
        function = function.__wrapped__
    fixed = fixed_callable(function, n_args, keywords)
    if registry.adjoint_of(function) is not None or not is_user_function(fixed):
        if registry.adjoint_of(function) is None:
            label = getattr(function, "__qualname__", None) or repr(function)
            raise NonDifferentiableError(
                f"cannot differentiate a call to {label}: it has no derivative rule and no Python source "
                f"to transform. Register a rule with @srcad.adjoint or wrap it in srcad.stop_gradient.")
        fixed = _wrapper(function, n_args, keywords)
    wrt_names = _parameters_for(fixed, wrt)
    generated = reverse_split(fixed, wrt_names)
    forward, backward = generated.function
    return (forward, backward, _Layout(len(wrt_names))), generated


def _parameters_for(function, wrt):
    """The parameters that receive the arguments in ``wrt`` (positions and keyword names)
    of a function with fixed parameters."""
    positional = [p.name for p in inspect.signature(function).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return [positional[entry] if isinstance(entry, int) else entry for entry in wrt]


def _wrapper(function, n_args, keywords):
    """A Python function that calls ``function``, so that its rule can be inlined."""
    params = [f"arg{position}" for position in range(n_args)] + list(keywords)
    return calling_function(function, params, params[:n_args], list(keywords))


def rule_caller(function):
    """``def f(x, alpha=0.01): return function(x, alpha=alpha)`` for a function with a
    registered rule, taking its parameters from the rule (they are the function's own), so
    that ``grad(function)`` uses the rule; None when a default is not a literal."""
    from ..inline import Template

    signature = Template.of(registry.adjoint_of(function)).signature
    if any(p.default is not p.empty and not _is_literal(p.default) for p in signature.parameters.values()):
        return None
    return signature_caller(function, signature)


def signature_caller(function, signature):
    """A Python function with the parameters ``signature`` describes (and their defaults)
    whose body calls ``function`` with them: ``def f(x, *, k=2.0): return function(x, k=k)``.
    None for a signature with ``*args`` or ``**kwargs``."""
    params, positional, keywords, defaults = [], [], [], {}
    for parameter in signature.parameters.values():
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            return None
        if parameter.kind == parameter.KEYWORD_ONLY and not keywords:
            params.append("*")
        text = parameter.name
        if parameter.default is not parameter.empty:
            if _is_literal(parameter.default):
                text += f"={parameter.default!r}"
            else:
                defaults[f"default_{parameter.name}"] = parameter.default
                text += f"=default_{parameter.name}"
        params.append(text)
        (keywords if parameter.kind == parameter.KEYWORD_ONLY else positional).append(parameter.name)
    return calling_function(function, params, positional, keywords, defaults)


def _is_literal(value):
    try:
        return ast.literal_eval(repr(value)) == value
    except (ValueError, SyntaxError):
        return False


def calling_function(function, params, positional, keywords, scope=None):
    """A Python function with parameters ``params`` whose body calls ``function``; the names
    in ``scope`` (default values) are its globals."""
    arguments = list(positional) + [f"{k}={k}" for k in keywords]
    label = callable_label(function)
    source = f"def {label}({', '.join(params)}):\n    return function({', '.join(arguments)})\n"
    scope = {**(scope or {}), "function": function}
    exec(compile(source, register_source(source, f"call of {label}"), "exec"), scope)  # noqa: S102
    return scope[label]


def callable_label(function):
    """A readable identifier for any callable: its name, its function's, or its class's."""
    label = getattr(function, "__name__", None) or getattr(getattr(function, "func", None), "__name__", None) \
        or type(function).__name__.lower()
    return label if label.isidentifier() and label != "function" else "call"
