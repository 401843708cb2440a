"""Accumulating derivatives into buffers and containers, and checking outputs."""
import numpy as np

from ..errors import NonDifferentiableError, SrcadError


def zeros_buffer(x):
    """A zero derivative of ``x`` to accumulate into in place: arrays of ``x``'s dtype,
    0.0 for numbers, and lists (for lists and tuples) or dicts of those."""
    if isinstance(x, (list, tuple)):
        return [zeros_buffer(item) for item in x]
    if isinstance(x, dict):
        return {key: zeros_buffer(value) for key, value in x.items()}
    if isinstance(x, (str, bytes)):
        return None  # keys and names: nothing to add up
    if isinstance(x, (int, float, complex)) or x is None:
        return 0.0  # None: a value not made yet (a tape's placeholder)
    return np.zeros_like(x)


def check_rebinding(value, message):
    """Refuse (``message``) an augmented assignment ``x op= v`` that srcad differentiates as
    ``x = x op v`` when ``x`` is an array or a container, which Python changes in place."""
    if isinstance(value, (np.ndarray, list, dict, set, bytearray)):
        raise SrcadError(message)


def add_at(buffer, index, g):
    """``buffer[index] += g`` in place; repeated integer indices accumulate."""
    if isinstance(buffer, (list, dict)):
        buffer[index] = add_grads(buffer[index], g)
    elif _is_basic(index):
        buffer[index] += g
    else:
        np.add.at(buffer, index, g)


def _is_basic(index):
    if isinstance(index, tuple):
        return all(_is_basic(i) for i in index)
    return index is None or index is Ellipsis or isinstance(index, (int, np.integer, slice))


def copy_of(value):
    """A copy of an array (or a NumPy scalar); numbers and containers of them as they are."""
    return value.copy() if hasattr(value, "copy") and not isinstance(value, (list, dict)) else value


def add_grads(a, b):
    """The sum of two derivatives of the same structure (arrays, numbers, containers);
    None, the derivative of what carries none, adds nothing."""
    if a is None or b is None:
        return b if a is None else a
    if isinstance(a, (list, tuple)) or isinstance(b, (list, tuple)):
        return type(a)(add_grads(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return {key: add_grads(a[key], b[key]) for key in a}
    return a + b


class NonScalarOutputError(NonDifferentiableError):
    """``grad`` of a function whose output has more than one element."""


def check_scalar_output(value):
    """``grad`` differentiates scalar functions: refuse anything with more than one element."""
    size = np.size(value)
    if size != 1:
        raise NonScalarOutputError(
            f"grad needs a function whose output is a scalar, but this output has shape "
            f"{np.shape(value)}; use srcad.vjp or srcad.jacobian for array outputs, or reduce "
            f"it (for example with np.sum) first"
        )
