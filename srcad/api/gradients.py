"""The public transforms: ``grad`` and ``value_and_grad``."""
import functools
import numbers

import numpy as np

from ..compiler.passes.p07_calls import Subject
from ..runtime.checks import NonRealOutputError, check_argument, check_derivatives
from ..errors import SrcadError
from ..runtime.accumulate import NonScalarOutputError, check_scalar_output, describe_structure
from ..runtime.finite import finite_checked
from ..runtime.hook import generate_once
from ..runtime.numeric import same_sequence, zeros_like
from ..compiler.pipeline import is_stale, reverse_function


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


# forward mode builds the derivative of ``srcad.grad(loss)(w)`` while it compiles the caller
grad.srcad_builds_derivative = value_and_grad.srcad_builds_derivative = True


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
        self._subject = Subject(f, wrt)
        self.__wrapped__ = f
        functools.update_wrapper(self, f, updated=())
        self._options = dict(with_value=with_value, has_aux=has_aux, optimize=optimize)
        self._generated = {}
        self._last = self._subject.fixed_shape()

    @property
    def generated(self):
        if self._last is None:
            raise SrcadError(f"{self._subject.label} takes *args or **kwargs: its derivative is generated for "
                             f"each way it is called; call the derivative first, then .source shows the last one")
        return self._generated_for(self._last)

    def _generated_for(self, shape):
        return generate_once(self._generated, shape.key, is_stale,
                             lambda: reverse_function(shape.function, shape.wrt_names, **self._options))

    @property
    def source(self):
        """The generated Python source of this derivative."""
        return self.generated.source

    def __call__(self, *args, **kwargs):
        shape = self._subject.for_call(args, kwargs)
        values = shape.wrt_values(args, kwargs, repr(self))
        for param, value in zip(shape.wrt_names, values):
            check_argument(param, value)
        generated = self._generated_for(shape)
        self._last = shape
        generated.namespace.refresh()
        try:
            check = generated.scalar_check
            if check[0] == "argument":
                check_scalar_output(shape.bind(args, kwargs, repr(self))[check[1]])
            with finite_checked(self._subject.label):
                result = generated.function(*args, **kwargs)
            if self._options["with_value"]:
                value, grads = result
                check_scalar_output(value[0] if self._options["has_aux"] else value)
        except (NonScalarOutputError, NonRealOutputError) as error:
            raise type(error)(f"{error} (the output of {self._subject.label}){generated.output_where}") from None
        aux = None
        if self._options["with_value"]:
            value, grads = result
        elif self._options["has_aux"]:
            value, (grads, aux) = None, result
        else:
            value, grads = None, result
        grads = (grads,) if len(values) == 1 else grads
        check_derivatives(grads, self._subject.label)
        grads = tuple(match_like(g, x) for g, x in zip(grads, values))
        grads = grads[0] if self._subject.single else grads
        if self._options["with_value"]:
            return value, grads
        return (grads, aux) if self._options["has_aux"] else grads

    def __repr__(self):
        return f"<srcad derivative of {self._subject.label}>"


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
