"""The rule registry: which template differentiates which function.

A rule is a template function whose body srcad inlines into generated code.
Its parameters are the op's result followed by the op's own parameters, with
the same names (so keyword calls bind correctly) and the same defaults.
Inside the body, ``d[name]`` stands for the derivative of ``name``:

* in an adjoint (reverse mode) ``d[result]`` is read and ``d[param] = ...``
  contributes to a parameter's derivative;
* in a tangent (forward mode) ``d[param]`` is read and ``d[result] = ...``
  is written.
"""

import importlib
import sys

ADJOINTS = {}
TANGENTS = {}
NONDIFFERENTIABLE = set()

# rules of optional packages: registered once the user's code has imported the package, so that
# srcad itself never imports it (module of the rules, keyed by the package they differentiate)
OPTIONAL_RULES = {"scipy.special": "srcad.rules.scipy_special", "scipy.stats": "srcad.rules.scipy_stats"}


class _DerivativeMarker:
    """``d`` in templates: only meaningful inside a rule body that srcad inlines."""

    def __getitem__(self, name):
        raise RuntimeError("srcad.d is only meaningful inside a derivative rule template")

    def __setitem__(self, name, value):
        raise RuntimeError("srcad.d is only meaningful inside a derivative rule template")

    def __repr__(self):
        return "srcad.d"


d = _DerivativeMarker()


def _register(table, ops):
    def decorator(template):
        for op in ops:
            table[op] = template
        return template

    return decorator


def adjoint(*ops):
    """Register the decorated template as the reverse-mode rule of ``ops``.

    ``@adjoint(np.tanh)`` above ``def _(y, x): d[x] = d[y] * (1.0 - y * y)``.
    Several ops sharing one rule may be named at once.
    """
    return _register(ADJOINTS, ops)


def tangent(*ops):
    """Register the decorated template as the forward-mode rule of ``ops``.

    ``@tangent(np.tanh)`` above ``def _(y, x): d[y] = d[x] * (1.0 - y * y)``.
    """
    return _register(TANGENTS, ops)


def nondifferentiable(*ops):
    """Declare ``ops`` piecewise constant: their results carry no derivative."""
    NONDIFFERENTIABLE.update(ops)
    return ops


def _register_optional_rules():
    """Import the rules of each optional package the user's code has imported by now."""
    for package in [p for p in OPTIONAL_RULES if p in sys.modules]:
        importlib.import_module(OPTIONAL_RULES.pop(package))


def _hashable(op):
    try:
        hash(op)
    except TypeError:
        return False
    return True


def adjoint_of(op):
    """The adjoint template registered for ``op``, or None."""
    _register_optional_rules()
    return ADJOINTS.get(op) if _hashable(op) else None


def tangent_of(op):
    """The tangent template registered for ``op``, or None."""
    _register_optional_rules()
    return TANGENTS.get(op) if _hashable(op) else None


def is_nondifferentiable(op):
    """True when ``op`` was declared to have a zero derivative."""
    _register_optional_rules()
    return _hashable(op) and op in NONDIFFERENTIABLE
