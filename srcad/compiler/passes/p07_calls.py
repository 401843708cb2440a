"""Calls of every shape, bound to Python functions with fixed parameters.

Reverse mode, forward mode and the run-time dispatch all differentiate a call
``f(a, b, k=c)`` by binding its arguments to the parameters of a plain Python
function. This module gives every other kind of call that form:

* a callable that is not a plain function is unfolded into the function it runs
  and the arguments it adds (:func:`unfold_callee`): a bound method or
  classmethod adds its ``self`` (or class), a callable object its ``__call__``'s
  ``self``, a ``functools.partial`` its bound arguments. Those added arguments are
  constants of the call, like any value that is not an argument.
* a function with ``*args`` or ``**kwargs`` parameters is specialised for the
  arguments a call passes (:func:`fixed_arity`): ``def sumsq(*xs)`` called with
  two arguments is read as ``def sumsq(xs_0, xs_1): xs = (xs_0, xs_1); ...``, so
  that each argument is a parameter of its own and its derivative has a place to
  go. ``f(*args, **kwargs)`` inside such a function forwards exactly those
  parameters.

:func:`bind_calls` applies both to the calls a function makes (a pass of the
pipeline, after desugaring), :func:`fixed_callable` to a callable known only
when the code runs.
"""
import ast
import functools
import inspect

import gast

from ...errors import SrcadError
from ...rules import registry
from ...runtime.dispatch import callable_label, calling_function
from ..inline import Template
from ..names import Names
from .p03_lift import compile_definition, parameter
from .p01_parse import Function, not_a_python_function, read_function, register_parsed
from ..resolve import UNKNOWN, has_rule, is_user_function, resolve_expression
from ..syntax import constant, name, names_stored

_FIXED = {}


def unfold_callee(obj):
    """``(function, leading, keywords)`` when calling ``obj(*args, **kw)`` runs the Python
    function ``function(*leading, *args, **keywords, **kw)``; None for plain functions
    and for what is not Python code (builtins, ufuncs, classes)."""
    if getattr(obj, "srcad_keep_wrapper", False) or getattr(obj, "srcad_checkpoint", False):
        return None  # srcad's own derivatives and checkpoints are read as they are
    if inspect.ismethod(obj):
        inner = _as_function(obj.__func__)
        return None if inner is None else (inner[0], (obj.__self__,) + inner[1], inner[2])
    if isinstance(obj, functools.partial):
        inner = _as_function(obj.func)
        return None if inner is None else (inner[0], inner[1] + tuple(obj.args), {**inner[2], **obj.keywords})
    if not inspect.isfunction(obj) and not isinstance(obj, type) and inspect.isfunction(
            getattr(type(obj), "__call__", None)):
        return type(obj).__call__, (obj,), {}
    return None


def _as_function(obj):
    if inspect.isfunction(obj):
        return obj, (), {}
    return unfold_callee(obj)


def has_variadic_parameters(function):
    """Whether a Python function has a ``*args`` or ``**kwargs`` parameter."""
    code = getattr(function, "__code__", None)
    return code is not None and bool(code.co_flags & (inspect.CO_VARARGS | inspect.CO_VARKEYWORDS))


def fixed_arity(function, n_positional, keywords):
    """``function`` specialised for a call with ``n_positional`` positional arguments and the
    keyword arguments ``keywords``: each argument a parameter of its own (see the module
    docstring). A function without ``*args``/``**kwargs`` is returned as it is."""
    if not has_variadic_parameters(function):
        return function
    key = (function, n_positional, tuple(keywords))
    if key not in _FIXED:
        _FIXED[key] = _specialise(function, n_positional, tuple(keywords))
    return _FIXED[key]


def fixed_callable(function, n_positional, keywords):
    """A Python function with fixed parameters that does what ``function(*args, **kwargs)``
    does for such a call (see :func:`unfold_callee`, :func:`fixed_arity`); any other
    callable (a builtin, a srcad derivative) as it is."""
    if unfold_callee(function) is not None:
        params = [f"arg{position}" for position in range(n_positional)] + list(keywords)
        return calling_function(function, params, params[:n_positional], list(keywords))
    if inspect.isfunction(function):
        return fixed_arity(function, n_positional, keywords)
    return function


def _specialise(function, n_positional, keywords):
    fn = read_function(function)
    node = fn.node
    args = node.args
    names = Names.for_tree(node)
    fixed = [a.id for a in args.posonlyargs + args.args]
    label = function.__qualname__
    prefix = []
    vararg, kwarg = args.vararg, args.kwarg
    stored = set().union(*(names_stored(stmt) for stmt in node.body))
    spread = {}
    if vararg is not None:
        extra = [names.fresh(f"{vararg.id}_{i}") for i in range(max(n_positional - len(fixed), 0))]
        args.args += [parameter(p) for p in extra]
        args.vararg = None
        prefix.append(_assign(vararg.id, gast.Tuple(elts=[name(p) for p in extra], ctx=gast.Load()), node))
        if vararg.id not in stored:
            spread[vararg.id] = [name(p) for p in extra]
    if kwarg is not None:
        own = set(fixed) | {a.id for a in args.kwonlyargs}
        collected = [k for k in keywords if k not in own]
        clashing = [k for k in collected if k in names.taken]
        if clashing:
            raise SrcadError(f"srcad cannot pass the keyword argument {clashing[0]!r} into **{kwarg.id} of "
                             f"{label}: the function uses that name itself; rename one of them")
        args.kwonlyargs += [parameter(k) for k in collected]
        args.kw_defaults += [None] * len(collected)
        args.kwarg = None
        entries = gast.Dict(keys=[constant(k) for k in collected], values=[name(k) for k in collected])
        prefix.append(_assign(kwarg.id, entries, node))
        if kwarg.id not in stored:
            spread[kwarg.id] = [gast.keyword(arg=k, value=name(k)) for k in collected]
    node.body = prefix + [_ForwardSpread(spread).visit(stmt) for stmt in node.body]
    positional_defaults = function.__defaults__ if len(args.posonlyargs + args.args) == len(fixed) else None
    if positional_defaults is None:
        args.defaults = []  # the items of *args come after: every parameter before them is passed
    compiled = compile_definition(node, fn.filename, function.__globals__, _cells(function),
                                  positional_defaults, dict(function.__kwdefaults__ or {}) or None)
    compiled.__qualname__ = function.__qualname__
    register_parsed(compiled, Function(compiled, node, fn.filename, fn.line_offset, fn.source_lines,
                                       dict(fn.extra_names)))
    return compiled


def _assign(identifier, value, located_at):
    return gast.copy_location(gast.Assign(targets=[name(identifier, store=True)], value=value, type_comment=None),
                              located_at)


class _ForwardSpread(gast.NodeTransformer):
    """``g(*args, **kwargs)`` with the parameters ``args`` and ``kwargs`` stood for by their
    items: ``g(args_0, args_1, k=k)``."""

    def __init__(self, spread):
        self.spread = spread

    def visit_Call(self, node):
        self.generic_visit(node)
        args = []
        for arg in node.args:
            if isinstance(arg, gast.Starred) and isinstance(arg.value, gast.Name) and arg.value.id in self.spread:
                args.extend(self.spread[arg.value.id])
            else:
                args.append(arg)
        keywords = []
        for keyword in node.keywords:
            if keyword.arg is None and isinstance(keyword.value, gast.Name) and keyword.value.id in self.spread:
                keywords.extend(self.spread[keyword.value.id])
            else:
                keywords.append(keyword)
        node.args, node.keywords = args, keywords
        return node


def _cells(function):
    code = function.__code__
    return dict(zip(code.co_freevars, function.__closure__ or ()))


# -- the pass ----------------------------------------------------------------------


def bind_calls(fn, names):
    """Rewrite the calls in ``fn.node`` whose callee is known before the code runs so that
    each calls a Python function with fixed parameters: callables unfolded, ``*args``
    functions specialised. Calls that spread a sequence (``f(*xs)``) are left to the
    run-time dispatch, which does the same once the arguments are known."""
    local_names = {a.id for a in fn.node.args.args + fn.node.args.kwonlyargs + fn.node.args.posonlyargs}
    for extra in (fn.node.args.vararg, fn.node.args.kwarg):
        if extra is not None:
            local_names.add(extra.id)
    local_names |= names_stored(fn.node)
    for node in gast.walk(fn.node):
        if isinstance(node, gast.Call):
            _bind_call(fn, names, node, local_names)


def _bind_call(fn, names, node, local_names):
    callee = resolve_expression(fn, node.func, local_names)
    if callee is UNKNOWN or has_rule(callee):
        return  # a rule of the callee itself (a bound method's: scipy.stats.norm.logpdf) wins
    unfolded = unfold_callee(callee)
    if unfolded is not None and is_user_function(unfolded[0]):
        function, leading, keywords = unfolded
        given = {k.arg for k in node.keywords}
        hints = [p.name for p in inspect.signature(function).parameters.values()]
        node.args = [_value_node(fn, names, value, hint) for value, hint in zip(leading, hints)] + node.args
        node.keywords += [gast.keyword(arg=k, value=_value_node(fn, names, v, k))
                          for k, v in keywords.items() if k not in given]
        callee = function
        node.func = _value_node(fn, names, function, function.__name__)
    spreads = any(isinstance(a, gast.Starred) for a in node.args) or any(k.arg is None for k in node.keywords)
    if is_user_function(callee) and has_variadic_parameters(callee) and not spreads:
        fixed = fixed_arity(callee, len(node.args), [k.arg for k in node.keywords])
        node.func = _value_node(fn, names, fixed, callee.__name__)


def _value_node(fn, names, value, hint):
    """A node reading ``value`` in ``fn``: a literal, or a name ``fn`` resolves to it."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return constant(value)
    identifier = names.fresh(hint if hint.isidentifier() else "value")
    fn.extra_names[identifier] = value
    return name(identifier)


# -- what a transform differentiates ---------------------------------------------


class Subject:
    """What a transform differentiates for the callable ``f`` the user passed, and which
    parameters the ``wrt`` entries name.

    ``f`` itself when it is a plain Python function; a call of ``f`` when ``f`` has a
    registered rule (the rule wins) or is another kind of callable (a decorated function,
    a bound method, a callable object, a ``functools.partial``), so that what runs is what
    the user passed. A callable with ``*args`` or ``**kwargs`` in its signature gets one such
    call per call shape (:meth:`for_call`): ``star(x, *scales)`` called with three arguments
    is differentiated as ``def star(x, scales_0, scales_1): return f(x, scales_0, scales_1)``.
    """

    def __init__(self, f, wrt):
        if not callable(f):
            raise SrcadError(f"srcad transforms a function, not {type(f).__name__}")
        self.f = f
        self.single = not isinstance(wrt, (tuple, list))
        self.entries = _wrt_entries(wrt)
        self.signature = _public_signature(f)
        kinds = {p.kind for p in self.signature.parameters.values()}
        self.variadic = bool(kinds & {inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD}) \
            and _is_python_code(f)
        self._shapes = {}
        if self.variadic:
            _check_variadic_entries(f, self.signature, self.entries)
        else:
            self._shapes[None] = Shape(None, _transformed(f, self.signature), self.entries, f, self.signature)

    @property
    def label(self):
        return getattr(self.f, "__qualname__", None) or callable_name(self.f)

    def fixed_shape(self):
        """The one shape of a callable without ``*args``/``**kwargs``, else None."""
        return self._shapes.get(None)

    def for_call(self, args, kwargs):
        """The :class:`Shape` that differentiates the call ``f(*args, **kwargs)``."""
        if not self.variadic:
            return self._shapes[None]
        key = (len(args), tuple(sorted(kwargs)))
        if key not in self._shapes:
            self._shapes[key] = Shape(key, _call_of_shape(self.f, self.signature, *key), self.entries, self.f,
                                     self.signature)
        return self._shapes[key]


class Shape:
    """One function srcad transforms for a :class:`Subject`, its signature, and the names
    of its parameters the ``wrt`` entries are."""

    def __init__(self, key, function, entries, original, signature):
        self.key = key
        self.function = function
        # what srcad made (a call of the original) has the parameters it was given
        self.signature = signature if function is original else inspect.signature(function, follow_wrapped=False)
        self.params = [p.name for p in self.signature.parameters.values()
                       if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
        label = getattr(original, "__name__", None) or callable_name(original)
        self.wrt_names = [_parameter_named(label, self.params, entry, key is not None) for entry in entries]
        self.positions = [self.params.index(n) for n in self.wrt_names]

    def bind(self, args, kwargs, label):
        """Every parameter's value (defaults filled in), by name."""
        try:
            bound = self.signature.bind(*args, **kwargs)
        except TypeError as error:
            raise SrcadError(f"{label}: {error}") from None
        bound.apply_defaults()
        return bound.arguments


def callable_name(function):
    """A readable identifier for any callable (see :func:`runtime.dispatch.callable_label`)."""
    return callable_label(function)


def _wrt_entries(wrt):
    entries = tuple(wrt) if isinstance(wrt, (tuple, list)) else (wrt,)
    if not entries:
        raise SrcadError("wrt names no argument to differentiate")
    for entry in entries:
        if isinstance(entry, bool) or not isinstance(entry, (int, str)):
            raise SrcadError(f"wrt entries are argument positions or names, not {entry!r}")
    return entries


def _public_signature(f):
    """The parameters a user calls ``f`` with (a decorated function: those of the function it
    wraps, as ``functools.wraps`` says; a plain function: its own)."""
    if registry.adjoint_of(f) is not None and rule_caller(f) is not None:
        f = rule_caller(f)  # the rule's parameters are the function's (a ufunc's may not be readable)
    try:
        if inspect.isfunction(f) and not has_variadic_parameters(f):
            return inspect.signature(f, follow_wrapped=False)
        return inspect.signature(f)
    except (TypeError, ValueError):
        if not inspect.isfunction(f):
            # NumPy 1.26's builtin methods have no readable signature: the source is what is missing
            raise not_a_python_function(f) from None
        raise SrcadError(f"srcad cannot read the parameters of {f!r}") from None


def _transformed(f, signature):
    """What to transform for ``f`` with a fixed signature (see :class:`Subject`)."""
    while getattr(f, "srcad_checkpoint", False):
        f = f.__wrapped__  # checkpointing changes how calls of f are swept, not f
    if registry.adjoint_of(f) is not None:
        caller = rule_caller(f)
        if caller is not None:
            return caller
    if getattr(f, "srcad_keep_wrapper", False) or not _is_python_code(f) \
            or inspect.isfunction(f) and not has_variadic_parameters(f):
        return f  # read as it is (or refused when it has no source)
    return signature_caller(f, signature)


def rule_caller(function):
    """``def f(x, alpha=0.01): return function(x, alpha=alpha)`` for a function with a
    registered rule, taking its parameters from the rule (they are the function's own), so
    that ``grad(function)`` uses the rule; None when a default is not a literal."""
    signature = Template.of(registry.adjoint_of(function)).signature
    if any(p.default is not p.empty and not _is_literal(p.default) for p in signature.parameters.values()):
        return None
    return signature_caller(function, signature)


def signature_caller(function, signature):
    """A Python function with the parameters ``signature`` describes (and their defaults)
    whose body calls ``function`` with them: ``def f(x, *, k=2.0): return function(x, k=k)``.
    None for a signature with ``*args`` or ``**kwargs``."""
    params, positional, keywords, defaults = [], [], [], {}
    for parameter in signature.parameters.values():
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            return None
        if parameter.kind == parameter.KEYWORD_ONLY and not keywords:
            params.append("*")
        text = parameter.name
        if parameter.default is not parameter.empty:
            if _is_literal(parameter.default):
                text += f"={parameter.default!r}"
            else:
                defaults[f"default_{parameter.name}"] = parameter.default
                text += f"=default_{parameter.name}"
        params.append(text)
        (keywords if parameter.kind == parameter.KEYWORD_ONLY else positional).append(parameter.name)
    return calling_function(function, params, positional, keywords, defaults)


def _is_literal(value):
    try:
        return ast.literal_eval(repr(value)) == value
    except (ValueError, SyntaxError):
        return False


def _is_python_code(f):
    """A Python function, or a callable that runs one (see :func:`unfold_callee`)."""
    return inspect.isfunction(f) or unfold_callee(f) is not None


def _call_of_shape(f, signature, n_positional, keywords):
    """``def f(x, scales_0, scales_1, *, k): return function(x, scales_0, scales_1, k=k)``:
    a call of ``f`` with these many positional arguments and these keywords."""
    parameters = list(signature.parameters.values())
    fixed = [p.name for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    variadic = next((p.name for p in parameters if p.kind == p.VAR_POSITIONAL), "args")
    positional = fixed[:n_positional] + [f"{variadic}_{i}" for i in range(n_positional - len(fixed))]
    keywords = [k for k in keywords if k not in positional]
    params = positional + (["*"] + keywords if keywords else [])
    return calling_function(f, params, positional, keywords)


def _check_variadic_entries(f, signature, entries):
    label = getattr(f, "__qualname__", None) or callable_name(f)
    parameters = signature.parameters.values()
    takes_keywords = any(p.kind == p.VAR_KEYWORD for p in parameters)
    named = {p.name for p in parameters if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}
    for entry in entries:
        if isinstance(entry, int) and entry < 0:
            raise SrcadError(f"{label} takes *args: wrt positions count from the first argument, "
                             f"so wrt={entry} is not one")
        if isinstance(entry, str) and entry not in named and not takes_keywords:
            raise SrcadError(f"{label} has no parameter named {entry!r}")


def _parameter_named(label, params, entry, per_call):
    """The parameter a ``wrt`` entry names, or a clear error."""
    if isinstance(entry, int):
        if not -len(params) <= entry < len(params):
            what = "is called here with" if per_call else "has"
            raise SrcadError(f"{label} {what} {len(params)} parameters; wrt={entry} is out of range")
        return params[entry]
    if entry not in params:
        raise SrcadError(f"{label} has no parameter named {entry!r}" + (" in this call" if per_call else ""))
    return entry
