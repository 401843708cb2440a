"""The signature of a call: what each argument is (array, float, int, list, tuple, dict, nested),
with the dtype and shape of each array, as a small hashable tuple.

Generated code is specialised on it: a parameter proven an array or a float needs none of the
helpers that exist because a value might be a list or a dict, and a shape that is known needs
no ``unbroadcast``. The tuple is cheap to build, so checking it on each call costs little.
"""
import numpy as np

from .passes.p10_kinds import ARRAY, DICT, INTEGER, LIST, TUPLE

_ARRAY_TAG, _NUMBER_TAG, _INTEGER_TAG, _OTHER_TAG = "array", "float", "int", "other"
SCALAR_SHAPE = ()


def signature_of(values):
    """The signature of a call whose parameters have ``values`` (in order)."""
    return tuple(map(_describe, values))


def _describe(value):
    kind = type(value)
    if kind is np.ndarray:
        return (_ARRAY_TAG, value.dtype, value.shape)
    if kind is float:
        return _NUMBER_TAG
    if kind is int or kind is bool:
        return _INTEGER_TAG
    if kind is list or kind is tuple:
        return (kind, tuple(_describe(item) for item in value))
    if kind is dict:
        return (dict, tuple((key, _describe(item)) for key, item in value.items()))
    if isinstance(value, np.generic) and value.dtype.kind in "fc":
        return (_ARRAY_TAG, value.dtype, ())
    return (_OTHER_TAG, kind)


def kind_of(description):
    """The kind (see :mod:`~srcad.compiler.passes.p10_kinds`) of an argument so described, or None."""
    if description == _NUMBER_TAG:
        return ARRAY
    if description == _INTEGER_TAG:
        return INTEGER
    head = description[0]
    if head == _ARRAY_TAG:
        return ARRAY
    return {list: LIST, tuple: TUPLE, dict: DICT}.get(head)


def shape_of(description):
    """The shape of an argument so described when it is a float or an array of floats, else None.
    Only those: a value of known shape may lend it to ``unbroadcast``, which also takes its dtype
    (a bool or an int array would truncate a derivative)."""
    if description == _NUMBER_TAG:
        return SCALAR_SHAPE
    if description[0] == _ARRAY_TAG and description[1].kind in "fc":
        return description[2]
    return None


def known_arguments(params, signature):
    """``(kinds, shapes)``: each parameter's proven kind and shape, by name (what is unknown is left out)."""
    kinds, shapes = {}, {}
    for param, description in zip(params, signature or ()):
        kind = kind_of(description)
        if kind is not None:
            kinds[param] = kind
        shape = shape_of(description)
        if shape is not None:
            shapes[param] = shape
    return kinds, shapes
