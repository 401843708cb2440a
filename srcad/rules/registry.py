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
import types

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


class _BoundMethods:
    """The methods ``function`` binds to every instance of its class (``rng.normal`` for each
    generator ``rng``, ``np.random.normal`` for NumPy's global one), as one key of the tables.
    Their templates take the method's parameters without ``self``, as the bound method does."""

    def __init__(self, function):
        self.function = function
        self.__qualname__ = getattr(function, "__qualname__", repr(function))
        self.__module__ = getattr(function, "__module__", None)

    def __eq__(self, other):
        return isinstance(other, _BoundMethods) and other.function is self.function

    def __hash__(self):
        return hash(self.function)


def bound_methods(function):
    """A key for rules of ``function`` bound to any instance: ``@adjoint(bound_methods(
    np.random.Generator.normal))`` is the rule of ``rng.normal(loc, scale, size)``."""
    return _BoundMethods(function)


def _bound_key(op):
    owner = getattr(op, "__self__", None)
    if owner is None or isinstance(owner, (type, types.ModuleType)):
        return None
    unbound = getattr(op, "__func__", None) or getattr(type(owner), getattr(op, "__name__", ""), None)
    return None if unbound is None else _BoundMethods(unbound)


def _lookup(table, op):
    if not _hashable(op):
        return None
    found = table.get(op)
    if found is None:
        key = _bound_key(op)
        found = table.get(key) if key is not None and _hashable(key.function) else None
    return found


def adjoint_of(op):
    """The adjoint template registered for ``op`` (or for the methods it is bound from), or None."""
    _register_optional_rules()
    return _lookup(ADJOINTS, op)


def tangent_of(op):
    """The tangent template registered for ``op`` (or for the methods it is bound from), or None."""
    _register_optional_rules()
    return _lookup(TANGENTS, op)


def is_nondifferentiable(op):
    """True when ``op`` was declared to have a zero derivative."""
    _register_optional_rules()
    return _hashable(op) and op in NONDIFFERENTIABLE
