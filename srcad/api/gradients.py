"""The public transforms: ``grad`` and ``value_and_grad``."""
import functools

import numpy as np

from ..compiler.pipeline import namespaces, reverse_function
from ..runtime.accumulate import NonScalarOutputError, check_scalar_output
from ..runtime.checks import NonRealOutputError
from ..compiler.signature import signature_of
from .transform import Transform
from ..runtime.finite import checking_finite, finite_checked


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


class Derivative(Transform):
    """A derivative of ``f`` made by :func:`grad` or :func:`value_and_grad`."""

    noun = "derivative"

    def __init__(self, f, wrt, *, with_value, has_aux, optimize):
        super().__init__(f, wrt, options=(with_value, has_aux, optimize))
        self._options = dict(with_value=with_value, has_aux=has_aux, optimize=optimize)

    @property
    def generated(self):
        """The generated code of the last way of calling (what forward mode reads to
        differentiate this derivative again)."""
        return self._compile(self._last_shape(), None)  # code for any arguments: read by other transforms

    specialises = True

    def _generate(self, shape, signature=None):
        return reverse_function(shape.function, shape.wrt_names, signature=signature, **self._options)

    def __call__(self, *args, **kwargs):
        if not kwargs:
            signature = signature_of(args)
            thin = self._thin.get(signature)
            if thin is not None:
                self._last, self._last_signature = thin.shape, signature
                result = thin(args)
                if result is not None:
                    return result
        return self._call(args, kwargs)

    def _call(self, args, kwargs):
        shape, every, values = self._arguments(args, kwargs)
        signature = signature_of(every)
        generated = self._ready(shape, signature)
        try:
            check = generated.scalar_check
            if check[0] == "argument":
                check_scalar_output(shape.bind(args, kwargs, self._label())[check[1]])
            with finite_checked(self._label()):
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
        grads = self._shaped_like(grads, values)
        if not kwargs and len(args) == len(shape.params) and not self._options["has_aux"] \
                and (shape.key, signature) in self._compiled:
            self._thin[signature] = thin_call(
                self._compiled[shape.key, signature], shape, args, self._single, self._options["with_value"],
                lambda results, given: self._shaped_like(results, [given[p] for p in shape.positions]))
        if self._options["with_value"]:
            return value, grads
        return (grads, aux) if self._options["has_aux"] else grads


def thin_call(generated, shape, example, single, with_value, finish):
    """The call path of ``grad`` (``value_and_grad`` with ``with_value``) for the signature of
    the arguments ``example`` (all positional, all given): no binding and no argument checks
    (the signature proves them), the globals re-read, and each gradient returned as it is when
    it has its argument's type, dtype and shape (else ``finish(results, args)`` shapes them).
    None where that is not enough: checks that need the arguments' values, containers,
    ``has_aux``. The path returns None when the call must take the full path (an error to
    report, stale code, :func:`srcad.check_finite` on)."""
    if generated.scalar_check[0] == "argument" or not callable(generated.function):
        return None
    chosen = [example[p] for p in shape.positions]
    if not all(type(x) is float or type(x) is np.ndarray and x.dtype.kind == "f" for x in chosen):
        return None
    function, count = generated.function, len(chosen)
    shared = list({id(space.shared): space.shared for space in namespaces(generated)}.values())
    like = [(float, None, None) if type(x) is float else (np.ndarray, x.dtype, x.shape) for x in chosen]

    def call(args):
        for globals_ in shared:  # most code reads no global of the user's: two dict tests
            if globals_.user_functions and globals_.stale():
                return None
            if globals_.user_values:
                globals_.refresh()
        if checking_finite():
            return None
        try:
            results = function(*args)
            if with_value:
                value, results = results
                if not _plainly_scalar(value):
                    check_scalar_output(value)
        except (NonScalarOutputError, NonRealOutputError):
            return None  # the full path reports it with the user's line
        if with_value:
            return value, shaped(results, args)
        return shaped(results, args)

    def shaped(results, args):
        results = (results,) if count == 1 else results
        for g, (kind, dtype, g_shape) in zip(results, like):
            if type(g) is not kind or dtype is not None and (g.dtype != dtype or g.shape != g_shape
                                                              or not g.flags.writeable):
                return finish(results[0] if count == 1 else results, args)
        return results[0] if single else tuple(results)

    call.shape = shape  # the way of calling it runs (what .source shows)
    return call


_FLOAT_SCALARS = (float, np.float64, np.float32)


def _plainly_scalar(value):
    """Whether ``value`` is a float or a float array of one element (what
    :func:`check_scalar_output` would accept, told at the cost of a type test)."""
    kind = type(value)
    return kind in _FLOAT_SCALARS or kind is np.ndarray and value.size == 1 and value.dtype.kind == "f"
