"""Where ``list.insert`` and ``list.pop`` act, as a position from the start.

Generated code undoes ``xs.insert(i, v)`` with ``xs.pop(p)`` and ``y = xs.pop(i)`` with
``xs.insert(p, y)``; that needs ``p``, the place the item is (or was) at, counted from the
start, whatever negative or too large ``i`` the user passed.
"""
from ..errors import SrcadError


def insertion_index(sequence, index):
    """The position ``sequence.insert(index, v)`` puts ``v`` at (``index`` clipped as insert does)."""
    length = len(sequence)
    if index < 0:
        return max(index + length, 0)
    return min(index, length)


def pop_index(sequence, index):
    """The position of the item ``sequence.pop(index)`` removes (an IndexError where pop raises one)."""
    if not isinstance(sequence, list):
        raise SrcadError(f"srcad differentiates pop(position) of a list, not of a {type(sequence).__name__}: "
                         f"read the item, and build a new {type(sequence).__name__} without it")
    length = len(sequence)
    position = index + length if index < 0 else index
    if not 0 <= position < length:
        raise IndexError("pop index out of range")
    return position
