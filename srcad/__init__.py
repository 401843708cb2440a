"""srcad: automatic differentiation of Python and NumPy by source transformation."""
from .errors import SrcadError, UnsupportedSyntaxError, NonDifferentiableError
from .rules import adjoint, tangent, nondifferentiable, d
from . import rules as _rules  # noqa: F401  (registers the rule library)

__all__ = [
    "SrcadError", "UnsupportedSyntaxError", "NonDifferentiableError",
    "adjoint", "tangent", "nondifferentiable", "d",
]
from .api import grad, value_and_grad, stop_gradient, checkpoint
from .rules.registry import nondifferentiable as _nondifferentiable

_nondifferentiable(stop_gradient)
__all__ += ["grad", "value_and_grad", "stop_gradient", "checkpoint"]
from .higher import jvp, vjp, jacobian, hessian, hvp
__all__ += ["jvp", "vjp", "jacobian", "hessian", "hvp"]
