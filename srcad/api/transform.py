"""What every public transform shares: reading ``wrt``, binding a call's arguments, checking
what is differentiated, compiling once per way of calling, and shaping each result like the
argument it belongs to.

Each transform (:class:`srcad.api.gradients.Derivative`, the classes of
:mod:`srcad.api.higher`) is a :class:`Transform` that says what it generates
(``_generate``) and how a call runs it (``__call__``).
"""
import collections
import functools
import numbers

import numpy as np

from ..compiler.passes.p07_calls import Subject
from ..compiler.pipeline import is_stale, namespaces
from ..errors import SrcadError
from ..runtime.accumulate import describe_structure
from ..runtime.checks import check_argument, check_derivatives
from ..runtime import tree
from ..runtime.hook import generate_once
from .imports import with_imports
from ..runtime.numeric import zeros_like


class Transform:
    """A transform of ``f``: callable, with ``.source``; its code is generated and compiled on
    first use, once for each way ``f`` is called, and kept. ``__wrapped__`` is ``f``."""

    srcad_keep_wrapper = True
    noun = "transform"  # what the user calls it in messages
    specialises = False  # whether _generate takes the call's signature
    max_signatures = 8  # per way of calling; calls with other signatures run code for any arguments

    def __init__(self, f, wrt, options=None):
        """``options`` (a tuple of what else decides the code) lets transforms of the same ``f``,
        ``wrt`` and options share their compiled code: making one again costs a lookup."""
        shared = _SharedCode.of(type(self), f, wrt, options)
        if shared.attributes is not None:
            self.__dict__.update(shared.attributes)
            return
        self.__wrapped__ = f
        functools.update_wrapper(self, f, updated=())
        self._subject = shared.subject
        self._compiled = shared.compiled
        self._signatures = shared.signatures  # per way of calling, how many signatures have their own code
        self._thin = shared.thin  # per signature, the call path that skips binding and checks
        self._single = self._subject.single
        self._last = self._subject.fixed_shape()
        self._last_signature = None
        if options is not None:
            shared.attributes = dict(self.__dict__)  # what the next transform like this one starts from

    def _generate(self, shape):
        """The generated code for one :class:`~srcad.compiler.passes.p07_calls.Shape` of call."""
        raise NotImplementedError

    @property
    def source(self):
        """The generated Python source this transform runs, a module: the imports it needs
        come first."""
        return with_imports(*self._program())

    def _program(self):
        """The generated source (without imports) and the compiled programs it is the source of:
        the code of the last call, specialised on its signature."""
        generated = self._compile(self._last_shape(), self._last_signature)
        return generated.source, [generated]

    def _last_shape(self):
        if self._last is None:
            raise SrcadError(f"{self._subject.label} takes *args or **kwargs: its code is generated for each way "
                             f"it is called; call the {self.noun} first, then .source shows the last one")
        return self._last

    def _compile(self, shape, signature=None):
        """The code for ``shape`` specialised on ``signature`` (None: for any arguments); past
        ``max_signatures`` signatures of one shape, the code for any arguments."""
        key = (shape.key, signature)
        if signature is not None and key not in self._compiled:
            count = self._signatures.get(shape.key, 0)
            if count >= self.max_signatures:
                return self._compile(shape, None)
            self._signatures[shape.key] = count + 1
        generate = functools.partial(self._generate, signature=signature) if self.specialises else self._generate
        compiled = generate_once(self._compiled, key, is_stale, lambda: generate(shape))
        self._last, self._last_signature = shape, signature
        return compiled

    def _ready(self, shape, signature=None):
        """The compiled code for ``shape`` (specialised on ``signature``), the globals it reads
        looked up again (the user may have rebound one since the last call)."""
        compiled = self._compile(shape, signature)
        for namespace in namespaces(compiled):
            namespace.refresh()
        return compiled

    def _arguments(self, args, kwargs):
        """The shape of this call, every parameter's value in order (defaults filled in),
        and the ``wrt`` ones, each checked to be something with a derivative."""
        shape = self._subject.for_call(args, kwargs)
        arguments = shape.bind(args, kwargs, self._label())
        values = [arguments[p] for p in shape.params]
        chosen = [arguments[n] for n in shape.wrt_names]
        for param, value in zip(shape.wrt_names, chosen):
            check_argument(param, value)
        return shape, values, chosen

    def _shaped_like(self, results, chosen):
        """The derivatives for the ``wrt`` arguments ``chosen``, each with its argument's type,
        dtype and structure: a single one, or a tuple for a tuple ``wrt``."""
        results = (results,) if len(chosen) == 1 else tuple(results)
        check_derivatives(results, self._subject.label)
        results = tuple(match_like(r, x) for r, x in zip(results, chosen))
        return results[0] if self._single else results

    def _label(self):
        return f"{type(self).__name__.lower()} of {self._subject.label}"

    def __repr__(self):
        return f"<srcad {self._label()}>"


class _SharedCode:
    """What transforms of one function with the same ``wrt`` and options share: the subject and
    the code compiled for it. The most recently used :attr:`BOUND` are kept."""

    BOUND = 256
    _kept = collections.OrderedDict()

    def __init__(self, subject):
        self.subject = subject
        self.compiled = {}
        self.signatures = {}
        self.thin = {}
        self.attributes = None  # a new transform's attributes (its wrapper's, the shared code)

    @classmethod
    def of(cls, transform_type, f, wrt, options):
        key = None
        if options is not None:
            key = (transform_type, f, type(wrt), tuple(wrt) if isinstance(wrt, list) else wrt, options)
            try:
                shared = cls._kept.get(key)
            except TypeError:  # an unhashable callable: its transforms keep their own code
                shared, key = None, None
            if shared is not None:
                cls._kept.move_to_end(key)
                return shared
        shared = cls(Subject(f, wrt))
        if key is not None:
            cls._kept[key] = shared
            if len(cls._kept) > cls.BOUND:
                cls._kept.popitem(last=False)
        return shared


def match_like(g, x):
    """Give the derivative ``g`` the type, dtype and shape of its argument ``x``.

    Leaves that carry no derivative (integers, booleans, strings, None, integer
    arrays) get ``None``, so a gradient has exactly its argument's structure.
    """
    if _carries_no_derivative(x):
        return None
    if g is None or tree.is_container(x) and not tree.is_container(g) and np.all(g == 0):
        g = zeros_like(x)  # nothing reached x: its zero, in x's structure
    if isinstance(x, dict) and isinstance(g, dict):
        return {key: match_like(g.get(key), x[key]) for key in x}
    if tree.is_container(x):
        if not tree.stands_for(g, x):
            raise SrcadError(f"srcad made a derivative of structure {describe_structure(g)} for a value of "
                             f"structure {describe_structure(x)}; please report this as a bug")
        return tree.rebuild(x, [match_like(gi, xi) for gi, xi in zip(tree.children(g), tree.children(x))])
    if isinstance(x, np.generic):
        return x.dtype.type(g)
    if isinstance(x, float):
        return float(g)
    if hasattr(x, "shape") and hasattr(x, "dtype"):
        return _array_like(g, x)
    return g


def _array_like(g, x):
    """``g`` with the shape and dtype of the array ``x``, of the array type the computation
    made (a Dask gradient stays a lazy Dask array, a duck array stays one: nothing is
    converted). Only a NumPy result is copied, where it is a read-only broadcast view."""
    if isinstance(g, np.generic) or not hasattr(g, "shape"):
        # a number (the derivative of a 0-d array) or a list of rows (of an array iterated over)
        g = np.full_like(x, g)
    if g.shape != x.shape:
        g = np.broadcast_to(g, x.shape)
    if g.dtype != x.dtype:
        g = g.astype(x.dtype)
    if isinstance(g, np.ndarray) and not g.flags.writeable:
        g = g.copy()
    return g


def _carries_no_derivative(x):
    if x is None or isinstance(x, (bool, numbers.Integral, str, bytes, np.bool_)):
        return True
    dtype = getattr(x, "dtype", None)
    return dtype is not None and np.dtype(dtype).kind in "biuSUO"


def structure_mismatch(given, like):
    """Where the cotangent (or tangent) ``given`` differs in structure from the value ``like``
    it goes with, as a phrase (`` at [1]['W']: shape (3,) for shape (2, 3)``), or None.

    Lists and tuples match either kind of sequence of the same length, dicts the same keys,
    other containers (dataclasses, registered types: see :mod:`srcad.runtime.tree`) one of
    the same type and fields, arrays and floats an array or number of the same shape; what
    carries no derivative (ints, strings, None) matches anything."""
    return _mismatch_at(given, like, "")


def _mismatch_at(given, like, path):
    where = f" at {path}" if path else ""
    if isinstance(like, dict):
        if not isinstance(given, dict) or set(given) != set(like):
            return where if path else ""
        return next((found for key in like
                     for found in [_mismatch_at(given[key], like[key], f"{path}[{key!r}]")] if found is not None), None)
    if tree.is_container(like):
        if not tree.stands_for(given, like):
            return where if path else ""
        return next((found for index, (g, x) in enumerate(zip(tree.children(given), tree.children(like)))
                     for found in [_mismatch_at(g, x, f"{path}[{index}]")] if found is not None), None)
    if like is None or isinstance(like, (bool, int, str, bytes, np.integer, np.bool_)):
        return None
    if tree.is_container(given) or given is None or np.shape(given) != np.shape(like):
        return f"{where}: {describe_structure(given)} for {describe_structure(like)}" if path else ""
    return None
