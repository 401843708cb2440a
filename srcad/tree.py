"""``srcad.tree``: walk parameters and derivatives held in nested containers.

The definition lives in :mod:`srcad.runtime.tree`, where generated code's helpers use it too.
"""
from .runtime.tree import TreeDef, flatten, leaves, map, register, structure, unflatten

__all__ = ["TreeDef", "flatten", "leaves", "map", "register", "structure", "unflatten"]
