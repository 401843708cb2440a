"""What the runtime asks of the compiler when generated code calls a function known only when
it runs: registered with :mod:`srcad.runtime.hook` when this module is imported."""
from ..errors import NonDifferentiableError
from ..rules import registry
from ..runtime import hook
from ..runtime.dispatch import call_shape_caller
from .passes.p07_calls import fixed_callable
from .passes.p12_forward import forward_function
from .pipeline import is_stale, reverse_split
from .resolve import is_user_function


def callee(function, n_args, keywords, mode):
    """The function with fixed parameters whose source is transformed for the call
    ``function(arg0, ..., k=...)`` in ``mode`` (``"reverse"`` or ``"forward"``): the user's
    function specialised to the call, or, when ``function`` has a rule of that mode or no
    Python source, ``def f(arg0, ..., k): return function(arg0, ..., k=k)``, in whose code
    the rule is inlined."""
    rule = registry.adjoint_of(function) if mode == "reverse" else registry.tangent_of(function)
    fixed = fixed_callable(function, n_args, keywords)
    if rule is None and is_user_function(fixed):
        return fixed
    if rule is None and mode == "reverse":
        label = getattr(function, "__qualname__", None) or repr(function)
        raise NonDifferentiableError(
            f"cannot differentiate a call to {label}: it has no derivative rule and no Python source "
            f"to transform. Register a rule with @srcad.adjoint or wrap it in srcad.stop_gradient.")
    return call_shape_caller(function, n_args, keywords)


hook.register_compiler(hook.Compiler(no_derivative=registry.is_nondifferentiable,
                                     callee=hook.serialised(callee),
                                     reverse_split=hook.serialised(reverse_split),
                                     forward_function=hook.serialised(forward_function),
                                     is_stale=is_stale))
