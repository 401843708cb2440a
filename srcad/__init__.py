"""srcad: automatic differentiation of Python and NumPy by source transformation."""
from .errors import SrcadError, UnsupportedSyntaxError, NonDifferentiableError, NonFiniteError
from .rules import adjoint, tangent, nondifferentiable, d
from .api import grad, value_and_grad, vjp, jvp, jacobian, hessian, hvp, stop_gradient, checkpoint
from .api.export import export
from . import nn, optimizers, tree
from .runtime.finite import check_finite
from .compiler import run_time  # noqa: F401  (the compiler registers itself with the runtime)

nondifferentiable(stop_gradient)

__all__ = [
    "grad", "value_and_grad", "vjp", "jvp", "jacobian", "hessian", "hvp",
    "stop_gradient", "checkpoint", "adjoint", "tangent", "nondifferentiable", "d", "nn", "optimizers", "tree",
    "check_finite", "export", "SrcadError", "UnsupportedSyntaxError", "NonDifferentiableError", "NonFiniteError",
]
