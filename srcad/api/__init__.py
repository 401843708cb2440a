"""The public face: the transforms a user calls. Nothing else in srcad imports this package.

``gradients`` holds reverse mode for scalar functions (``grad``, ``value_and_grad``) and the
markers ``stop_gradient`` and ``checkpoint``; ``higher`` the other transforms (``vjp``,
``jvp``, ``jacobian``, ``hessian``, ``hvp``).
"""
from .gradients import grad, value_and_grad, stop_gradient, checkpoint
from .higher import jvp, vjp, jacobian, hessian, hvp

__all__ = ["grad", "value_and_grad", "vjp", "jvp", "jacobian", "hessian", "hvp", "stop_gradient", "checkpoint"]
