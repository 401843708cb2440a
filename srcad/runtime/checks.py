"""What srcad differentiates: real numbers in, real numbers out.

Every transform checks the arguments it differentiates with :func:`check_argument`
and the output it differentiates with :func:`check_output` (generated code for
``grad`` calls it through ``check_scalar_output``). Integers, booleans, strings and
None have no derivative; complex numbers are refused until srcad supports them.
"""
import numbers

import numpy as np

from ..errors import NonDifferentiableError, SrcadError
from . import tree


class NonRealOutputError(SrcadError):
    """A function whose output has no real derivative: None, a bool, an int, a string, a
    complex number."""


def check_argument(param, value):
    """Refuse a ``wrt`` argument with no real derivative (an int, a bool, a string, an integer
    array, anything complex), naming the parameter ``param``."""
    if isinstance(value, (bool, np.bool_)) or isinstance(value, numbers.Integral):
        raise NonDifferentiableError(
            f"argument {param!r} is {type(value).__name__} {value!r}: integers and booleans have no "
            f"derivative; pass a float (e.g. {float(value)!r}) or leave {param!r} out of wrt")
    if isinstance(value, (str, bytes)):
        raise NonDifferentiableError(
            f"argument {param!r} is the {type(value).__name__} {value!r}: it has no derivative; leave "
            f"{param!r} out of wrt")
    foreign = next((leaf for leaf in tree.leaves(value) if _not_dispatching(leaf)), None)
    if foreign is not None:
        raise NonDifferentiableError(
            f"argument {param!r} holds an array of type {type(foreign).__module__}.{type(foreign).__qualname__}, "
            f"which NumPy's functions do not dispatch to (it has no __array_function__): srcad's derivatives call "
            f"NumPy's functions on the arrays they are given; pass a NumPy array, or one of a library that "
            f"implements NumPy's protocols (Dask, CuPy): see docs/scaling.md")
    dtype = getattr(value, "dtype", None)
    if dtype is not None and np.dtype(dtype).kind in "biu":
        raise NonDifferentiableError(
            f"argument {param!r} is an array of {np.dtype(dtype)}: integer and boolean arrays have no "
            f"derivative; convert it with .astype(float) or leave {param!r} out of wrt")
    if _has_complex_leaf(value):
        raise NonDifferentiableError(
            f"argument {param!r} holds complex numbers: srcad differentiates real functions of real "
            f"arguments; pass the real and imaginary parts as two float arguments")


def check_output(value, containers=False):
    """Refuse an output with no real derivative. With ``containers`` the output may be a list,
    tuple or dict whose leaves are checked for complex numbers (other leaves, like counts and
    names, are data that goes along)."""
    if containers and tree.is_container(value):
        if _has_complex_leaf(value):
            raise NonRealOutputError("the output holds complex numbers: srcad differentiates real functions")
        return
    kind = _no_derivative(value)
    if kind is not None:
        raise NonRealOutputError(f"the output is {kind}, which has no derivative; return a float or a float "
                                 f"array (for a count or a flag, srcad.stop_gradient or has_aux keeps it aside)")


def check_derivatives(derivatives, label):
    """Refuse derivatives that came out complex: a complex value arose inside the function
    ``label`` names."""
    if _has_complex_leaf(derivatives):
        raise NonRealOutputError(f"the derivative of {label} is complex: a complex value arises inside the "
                                 f"function, and srcad differentiates real functions only")


def _no_derivative(value):
    """What kind of value without a real derivative ``value`` is, or None."""
    if value is None:
        return "None"
    if isinstance(value, (bool, np.bool_)):
        return f"a bool ({value!r})"
    if isinstance(value, numbers.Integral):
        return f"an int ({value!r})"
    if isinstance(value, (str, bytes)):
        return f"a {type(value).__name__} ({value!r})"
    kind = np.dtype(value.dtype).kind if hasattr(value, "dtype") else ("c" if isinstance(value, complex) else "f")
    return {"c": "complex", "b": "a bool array", "i": "an integer array", "u": "an integer array"}.get(kind)


def _not_dispatching(value):
    """Whether ``value`` is an array of a library NumPy's functions cannot dispatch to (one of
    the Array API standard alone, say): NumPy's functions would convert it, or fail."""
    return (hasattr(value, "shape") and hasattr(value, "dtype") and not isinstance(value, (np.ndarray, np.generic))
            and not hasattr(type(value), "__array_function__"))


def _has_complex_leaf(value):
    return any(_is_complex(leaf) for leaf in tree.leaves(value))


def _is_complex(value):
    if isinstance(value, complex):
        return True
    dtype = getattr(value, "dtype", None)
    return dtype is not None and np.dtype(dtype).kind == "c"


def check_keywords(given, accepted, required, label):
    """Raise the TypeError Python raises when ``label(**given)`` passes a keyword the function
    does not take, or leaves out one it needs (``accepted`` and ``required`` name them,
    separated by spaces): the call ``f(x, **d)`` is written with each keyword read from ``d``
    by name."""
    accepted, required = accepted.split(), required.split()
    unexpected = [key for key in given if key not in accepted]
    if unexpected:
        raise TypeError(f"{label}() got an unexpected keyword argument {unexpected[0]!r}")
    missing = [key for key in required if key not in given]
    if missing:
        raise TypeError(f"{label}() missing a required argument: {missing[0]!r}")
