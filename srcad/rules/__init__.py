"""The rule library: one template per op, reverse and forward side by side."""
from .registry import adjoint, tangent, nondifferentiable, d
from . import operators, numpy_rules, math_rules, builtin_rules  # noqa: F401  (register the rules)

__all__ = ["adjoint", "tangent", "nondifferentiable", "d"]
