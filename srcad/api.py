"""The public transforms: ``grad`` and ``value_and_grad``."""
import functools
import inspect
import numbers

import numpy as np

from .errors import NonDifferentiableError, SrcadError
from .rules import registry
from .runtime.accumulate import NonScalarOutputError, check_scalar_output, describe_structure
from .runtime.dispatch import rule_caller
from .runtime.numeric import same_sequence, zeros_like
from .transform import reverse_function


def grad(f=None, wrt=0, *, has_aux=False, optimize=True):
    """The gradient of the scalar function ``f`` with respect to the arguments ``wrt``.

    ``wrt`` is a position, a parameter name, or a tuple of them; a tuple gives a
    tuple of gradients in the same order. With ``has_aux`` ``f`` returns
    ``(value, aux)`` and the result is ``(grads, aux)``. The returned function has
    ``.source``, the generated Python source of the derivative. Usable as
    ``@grad`` and ``@grad(wrt=(0, 1))``.
    """
    if f is None:
        return lambda function: grad(function, wrt, has_aux=has_aux, optimize=optimize)
    return Derivative(f, wrt, with_value=False, has_aux=has_aux, optimize=optimize)


def value_and_grad(f=None, wrt=0, *, has_aux=False, optimize=True):
    """Like :func:`grad`, but returns ``(value, grads)`` from one forward sweep;
    with ``has_aux``, ``((value, aux), grads)``."""
    if f is None:
        return lambda function: value_and_grad(function, wrt, has_aux=has_aux, optimize=optimize)
    return Derivative(f, wrt, with_value=True, has_aux=has_aux, optimize=optimize)


def stop_gradient(x):
    """``x`` itself, as a constant: no derivative flows through it, in any mode or order."""
    return x


def checkpoint(f):
    """Mark ``f`` so that its intermediate values are recomputed in the backward sweep
    instead of stored: less memory, one more forward pass of ``f``.

    Usable as a decorator. The result calls ``f`` unchanged outside derivatives.
    """
    return Checkpointed(f)


class Checkpointed:
    """A function whose backward sweep recomputes its forward sweep (see :func:`checkpoint`)."""

    srcad_checkpoint = True

    def __init__(self, f):
        self.__wrapped__ = f
        functools.update_wrapper(self, f, updated=())

    def __call__(self, *args, **kwargs):
        return self.__wrapped__(*args, **kwargs)

    def __repr__(self):
        return f"<srcad checkpoint of {getattr(self.__wrapped__, '__qualname__', self.__wrapped__)}>"


class Derivative:
    """A derivative of ``f``: callable, with ``.source`` (compiled on first use)."""

    srcad_keep_wrapper = True

    def __init__(self, f, wrt, *, with_value, has_aux, optimize):
        if not callable(f):
            raise SrcadError(f"srcad transforms a function, not {type(f).__name__}")
        self.__wrapped__ = f
        functools.update_wrapper(self, f, updated=())
        self._source = _source_of(f)  # f itself, or a call of f when f has a rule
        self._signature = _signature(self._source)
        self._single = not isinstance(wrt, (tuple, list))
        self._positions, self._wrt_names = _normalise_wrt(self._source, self._signature, wrt)
        self._options = dict(with_value=with_value, has_aux=has_aux, optimize=optimize)
        self._generated = None

    @property
    def generated(self):
        if self._generated is None:
            self._generated = reverse_function(self._source, self._wrt_names, **self._options)
        return self._generated

    @property
    def source(self):
        """The generated Python source of this derivative."""
        return self.generated.source

    def __call__(self, *args, **kwargs):
        values = self._wrt_values(args, kwargs)
        for param, value in zip(self._wrt_names, values):
            _check_differentiable(param, value)
        generated = self.generated
        generated.namespace.refresh()
        try:
            check = generated.scalar_check
            if check[0] == "argument":
                check_scalar_output(self._argument(check[1], args, kwargs))
            result = generated.function(*args, **kwargs)
            if self._options["with_value"]:
                value, grads = result
                check_scalar_output(value[0] if self._options["has_aux"] else value)
        except NonScalarOutputError as error:
            raise NonScalarOutputError(f"{error} (the output of {self.__wrapped__.__qualname__})"
                                       f"{generated.output_where}") from None
        aux = None
        if self._options["with_value"]:
            value, grads = result
        elif self._options["has_aux"]:
            value, (grads, aux) = None, result
        else:
            value, grads = None, result
        grads = (grads,) if len(values) == 1 else grads
        grads = tuple(match_like(g, x) for g, x in zip(grads, values))
        grads = grads[0] if self._single else grads
        if self._options["with_value"]:
            return value, grads
        return (grads, aux) if self._options["has_aux"] else grads

    def _argument(self, parameter, args, kwargs):
        position = list(self._signature.parameters).index(parameter)
        if position < len(args):
            return args[position]
        bound = self._signature.bind(*args, **kwargs)
        bound.apply_defaults()
        return bound.arguments[parameter]

    def _wrt_values(self, args, kwargs):
        if not kwargs and all(p < len(args) for p in self._positions):
            return [args[p] for p in self._positions]
        bound = self._signature.bind(*args, **kwargs)
        bound.apply_defaults()
        return [bound.arguments[n] for n in self._wrt_names]

    def __repr__(self):
        return f"<srcad derivative of {getattr(self.__wrapped__, '__qualname__', self.__wrapped__)}>"


def _source_of(f):
    """What to transform for ``f``: a call of ``f`` when ``f`` has a registered rule
    (a rule wins over ``f``'s own source), else ``f`` itself."""
    if registry.adjoint_of(f) is not None:
        caller = rule_caller(f)
        if caller is not None:
            return caller
    return f


def _signature(f):
    try:
        return inspect.signature(f)
    except (TypeError, ValueError):
        raise SrcadError(f"srcad cannot read the parameters of {f!r}") from None


def _normalise_wrt(f, signature, wrt):
    names = [p.name for p in signature.parameters.values()
             if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    entries = wrt if isinstance(wrt, (tuple, list)) else (wrt,)
    if not entries:
        raise SrcadError("wrt names no argument to differentiate")
    positions, wrt_names = [], []
    for entry in entries:
        if isinstance(entry, bool) or not isinstance(entry, (int, str)):
            raise SrcadError(f"wrt entries are argument positions or names, not {entry!r}")
        if isinstance(entry, int):
            if not -len(names) <= entry < len(names):
                raise SrcadError(f"{f.__name__} has {len(names)} parameters; wrt={entry} is out of range")
            entry = names[entry]
        if entry not in names:
            raise SrcadError(f"{f.__name__} has no parameter named {entry!r}")
        positions.append(names.index(entry))
        wrt_names.append(entry)
    return positions, wrt_names


def _check_differentiable(param, value):
    if isinstance(value, (bool, np.bool_)) or isinstance(value, numbers.Integral):
        raise NonDifferentiableError(
            f"argument {param!r} is {type(value).__name__} {value!r}: integers and booleans have no "
            f"derivative; pass a float (e.g. {float(value)!r}) or leave {param!r} out of wrt")
    dtype = getattr(value, "dtype", None)
    if dtype is not None and np.dtype(dtype).kind in "biu":
        raise NonDifferentiableError(
            f"argument {param!r} is an array of {np.dtype(dtype)}: integer and boolean arrays have no "
            f"derivative; convert it with .astype(float) or leave {param!r} out of wrt")


def match_like(g, x):
    """Give the derivative ``g`` the type, dtype and shape of its argument ``x``.

    Leaves that carry no derivative (integers, booleans, strings, None, integer
    arrays) get ``None``, so a gradient has exactly its argument's structure.
    """
    if _carries_no_derivative(x):
        return None
    if g is None or isinstance(x, (list, tuple, dict)) and not isinstance(g, (list, tuple, dict)) and np.all(g == 0):
        g = zeros_like(x)  # nothing reached x: its zero, in x's structure
    if isinstance(x, (list, tuple)):
        if not isinstance(g, (list, tuple)) or len(g) != len(x):
            raise SrcadError(f"srcad made a derivative of structure {describe_structure(g)} for a value of "
                             f"structure {describe_structure(x)}; please report this as a bug")
        return same_sequence(x, [match_like(gi, xi) for gi, xi in zip(g, x)])
    if isinstance(x, dict):
        return {key: match_like(g.get(key), x[key]) for key in x}
    if isinstance(x, np.generic):
        return x.dtype.type(g)
    if isinstance(x, float):
        return float(g)
    if isinstance(x, np.ndarray):
        if isinstance(g, np.ndarray) and g.dtype == x.dtype and g.shape == x.shape and g.flags.writeable:
            return g
        return np.array(np.broadcast_to(g, x.shape), dtype=x.dtype)
    if isinstance(x, np.generic):
        return x.dtype.type(g)
    return g


def _carries_no_derivative(x):
    if x is None or isinstance(x, (bool, numbers.Integral, str, bytes, np.bool_)):
        return True
    dtype = getattr(x, "dtype", None)
    return dtype is not None and np.dtype(dtype).kind in "biuSUO"
