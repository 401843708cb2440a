"""The rule library: one template per op, reverse and forward side by side."""
from .registry import adjoint, tangent, nondifferentiable, d
from . import operators, numpy_rules, linalg_rules, math_rules, builtin_rules  # noqa: F401  (register the rules)
from . import runtime_rules  # noqa: F401  (rules of the runtime helpers generated code calls)
from . import no_derivative  # noqa: F401  (the functions with no derivative)
from . import container_rules  # noqa: F401  (list(...), a dict's items and values)

__all__ = ["adjoint", "tangent", "nondifferentiable", "d"]
