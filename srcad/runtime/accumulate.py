"""Accumulating derivatives into buffers and containers, and checking outputs."""
import numpy as np

from .checks import check_output
from ..errors import NonDifferentiableError, SrcadError
from . import tree
from .numeric import same_sequence, size_of
from .tree import describe_structure


def zeros_buffer(x):
    """A zero derivative of ``x`` to accumulate into in place: arrays of ``x``'s dtype,
    0.0 for numbers, and lists (for lists and tuples) or dicts of those."""
    if isinstance(x, (list, tuple)):
        return [zeros_buffer(item) for item in x]
    if isinstance(x, dict):
        return {key: zeros_buffer(value) for key, value in x.items()}
    if tree.is_container(x):
        return tree.rebuild(x, [zeros_buffer(item) for item in tree.children(x)])
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


def unchanged_in_place(value, message, path=()):
    """``value``, passed to a function that updates it (or its item at ``path``) with ``op=``:
    refused (``message``) when what is updated is an array or a container, which Python changes
    in place. Each step of ``path`` is ``("item", key)``, ``("unpacked", i)`` (the ``i``-th of
    ``a, b = value``), ``("each",)`` (every item) or ``("any",)`` (the value and all it holds)."""
    for updated in _updated(value, path):
        check_rebinding(updated, message)
    return value


def _updated(value, path):
    if not path:
        yield value
        return
    step, rest = path[0], path[1:]
    if step[0] == "item":
        yield from _updated(value[step[1]], rest)
    elif step[0] == "unpacked":
        yield from _updated(tuple(value)[step[1]], rest)
    elif step[0] == "each":
        for item in value:
            yield from _updated(item, rest)
    else:
        yield value
        held = value.values() if isinstance(value, dict) else value if isinstance(value, (list, tuple)) else ()
        for item in held:
            yield from _updated(item, path)


def add_at(buffer, index, g):
    """``buffer[index] += g`` in place; repeated integer indices accumulate."""
    if isinstance(buffer, dict):
        buffer[index] = add_grads(buffer.get(index), g)
    elif isinstance(buffer, list):
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


def writable(value):
    """``value`` itself, or, for a number or NumPy scalar, which cannot be written into in
    place, a 0-d array. ``y += v`` on a 0-d array keeps the array, but ``y = y + v``, as srcad
    reads it, gives a NumPy scalar: this keeps the array a later ``y[...] = w`` writes into."""
    if isinstance(value, (int, float, complex, np.generic)):
        return np.array(value)
    return value


def writable_copy(value):
    """A copy of a derivative that the generated code then writes into in place
    (``d_y[i] = 0.0``, ``t_y[i] = t_v``): an array is copied, a list or dict rebuilt
    (its items are replaced, never changed), and a number (the derivative of a 0-d
    buffer may arrive as one) becomes a 0-d array."""
    if isinstance(value, list):
        return list(value)
    if isinstance(value, dict):
        return dict(value)
    if isinstance(value, (int, float, complex, np.generic)):
        return writable(value)
    return value.copy()


def add_grads(a, b):
    """The sum of two derivatives of one value, leaf by leaf.

    Arrays and numbers add. Containers (see :mod:`srcad.runtime.tree`) add item by
    item, nested to any depth; a list and a tuple of one length add as sequences,
    and a dict entry only one side has is kept as it is.
    None (the derivative of what carries none) adds nothing, and so does the
    number 0 against a container (the zero of a path that made no derivative).
    Every accumulation of derivatives in generated code whose operands may be
    containers goes through here, as ``+`` would concatenate lists and tuples.
    """
    if a is None or b is None:
        return b if a is None else a
    a_tree, b_tree = _is_tree(a), _is_tree(b)
    if a_tree and _is_zero_number(b):
        return a
    if b_tree and _is_zero_number(a):
        return b
    if isinstance(a, dict) and isinstance(b, dict):
        keys = list(a) + [key for key in b if key not in a]
        return {key: add_grads(a.get(key), b.get(key)) for key in keys}
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        if len(a) != len(b):
            raise _mismatch(a, b)
        return same_sequence(a, [add_grads(x, y) for x, y in zip(a, b)])
    if tree.same_node(a, b):
        return tree.rebuild(a, [add_grads(x, y) for x, y in zip(tree.children(a), tree.children(b))])
    if (a_tree or b_tree) and not _is_rows_of(a, b) and not _is_rows_of(b, a):
        raise _mismatch(a, b)
    return a + b  # arrays, numbers, or an array and the list of its rows


def unrepeat_sequence(g, a):
    """Adjoint of ``a * n`` for a list or tuple ``a``: the sum of the ``n`` pieces of ``g``
    (each as long as ``a``), each item of ``a`` having reached the result ``n`` times."""
    size = len(a)
    total = same_sequence(a, [None] * size)
    for start in range(0, len(g), size or 1):
        total = add_grads(total, same_sequence(a, list(g[start:start + size])))
    return total


def _is_tree(value):
    return tree.is_container(value)


def _is_rows_of(rows, array):
    return isinstance(rows, (list, tuple)) and isinstance(array, np.ndarray)


def _is_zero_number(value):
    return isinstance(value, (int, float, np.number)) and not isinstance(value, bool) and value == 0


def _mismatch(a, b):
    return SrcadError(f"srcad cannot add two derivatives of one value with different structures: "
                      f"{describe_structure(a)} and {describe_structure(b)}")


class NonScalarOutputError(NonDifferentiableError):
    """``grad`` of a function whose output has more than one element."""


def check_scalar_output(value):
    """``grad`` differentiates real scalar functions: refuse anything with more than one
    element, and what has no real derivative (see :func:`srcad.checks.check_output`)."""
    check_output(value)
    if tree.is_container(value):
        raise NonScalarOutputError(
            f"grad needs a function whose output is a scalar, but this output is a "
            f"{describe_structure(value)}; use srcad.vjp for container outputs, or has_aux=True "
            f"to return (value, aux)")
    size = size_of(value)
    if size != 1:
        raise NonScalarOutputError(
            f"grad needs a function whose output is a scalar, but this output has shape "
            f"{np.shape(value)}; use srcad.vjp or srcad.jacobian for array outputs, or reduce "
            f"it (for example with np.sum) first"
        )
