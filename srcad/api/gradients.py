"""The public transforms: ``grad`` and ``value_and_grad``."""
import functools

from ..compiler.pipeline import reverse_function
from ..runtime.accumulate import NonScalarOutputError, check_scalar_output
from ..runtime.checks import NonRealOutputError
from ..compiler.signature import signature_of
from .transform import Transform
from ..runtime.finite import finite_checked


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
        super().__init__(f, wrt)
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
        shape, every, values = self._arguments(args, kwargs)
        generated = self._ready(shape, signature_of(every))
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
        if self._options["with_value"]:
            return value, grads
        return (grads, aux) if self._options["has_aux"] else grads
