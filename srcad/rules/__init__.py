"""The rule library: one template per op, reverse and forward side by side."""
from .registry import adjoint, tangent, nondifferentiable, d

__all__ = ["adjoint", "tangent", "nondifferentiable", "d"]
