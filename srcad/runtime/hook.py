"""The one way the runtime reaches the compiler.

Generated code that calls a function known only when it runs (``act(z)`` with ``act`` an
argument, a method of ``self``) has that function transformed then, on first use. The
runtime does not import the compiler for it: the compiler registers a :class:`Compiler`
here when it is imported (``srcad/compiler/run_time.py``), and the runtime asks
:func:`compiler` for it. So the runtime depends on nothing above it.
"""
import functools
import threading
from dataclasses import dataclass
from typing import Callable

from ..errors import SrcadError


@dataclass(frozen=True)
class Compiler:
    """What the runtime asks of the compiler."""

    # no_derivative(function): whether ``function`` is declared to have no derivative
    no_derivative: Callable
    # callee(function, n_args, keywords, mode): the Python function with fixed parameters whose
    # source is transformed for a call of ``function`` of this shape in ``mode`` ("reverse" or
    # "forward"): ``function`` itself, or a function that calls it when a rule is to be inlined
    callee: Callable
    # reverse_split(function, wrt_names): generated code whose ``.function`` is the pair
    # ``(forward sweep, backward sweep)`` of ``function``
    reverse_split: Callable
    # forward_function(function, wrt_names): generated code whose ``.function`` is the
    # forward mode of ``function``: ``(*args, *tangents) -> (value, tangent)``
    forward_function: Callable
    # is_stale(generated): whether generated code must be made again (a function it calls
    # was redefined since)
    is_stale: Callable


_REGISTERED = []

# Generating code is done by one thread at a time: the compiler's caches, counters and
# recursion guards are shared. Running generated code is not serialised: its state is local.
GENERATING = threading.RLock()


def generate_once(cache, key, is_stale, make):
    """``cache[key]``, made by ``make()`` (under :data:`GENERATING`) when it is missing or
    ``is_stale``: threads that ask at once wait for the first one's code, not make their own."""
    found = cache.get(key)
    if found is not None and not is_stale(found):
        return found
    with GENERATING:
        found = cache.get(key)
        if found is None or is_stale(found):
            found = cache[key] = make()
        return found


def serialised(function):
    """``function`` (a way of generating code) run under :data:`GENERATING`."""
    @functools.wraps(function)
    def generating(*args, **kwargs):
        with GENERATING:
            return function(*args, **kwargs)
    return generating


def register_compiler(compiler):
    """Make ``compiler`` (a :class:`Compiler`) the one generated code's run-time calls use."""
    _REGISTERED[:] = [compiler]


def compiler():
    """The registered :class:`Compiler`."""
    if not _REGISTERED:
        raise SrcadError("srcad's compiler is not loaded: import srcad before running code it generated")
    return _REGISTERED[0]
