"""Checks of one generated program against srcad's transforms.

The program is written to a real module file and imported, so srcad reads real
source. Then, with fresh copies of the arguments for every call:

- ``value``: ``value_and_grad``'s value is the function's value, and the
  arguments are left as the function leaves them;
- ``grad``: the gradient equals central finite differences (float64);
- ``optimize``: ``optimize=False`` gives the same gradient;
- ``vjp``: the pullback of a cotangent ``c`` is ``c`` times the gradient;
- ``jvp``: the tangent of the output is the inner product of gradient and tangent;
- ``hvp`` (when asked): equals finite differences of the gradient.

A case where finite differences disagree between two step sizes (a kink or a
branch boundary within reach) proves nothing and raises :class:`Unstable`.
"""
import copy
import hashlib
import importlib.util
import signal
import sys
import tempfile
import traceback
from contextlib import contextmanager
from pathlib import Path

import numpy as np

import srcad
from gradcheck import numerical_gradient

STEPS = (1e-6, 1e-4)       # central differences of f, and the step that confirms them
LARGEST = 1e5              # beyond, sin/cos of large values oscillate faster than the steps
HVP_STEPS = (1e-5, 1e-3)   # central differences of the gradient
SECONDS = 60               # one program: anything slower is reported as a hang

_DIRECTORY = None
_MODULES = {}


class Unstable(Exception):
    """Finite differences do not settle: the program is not smooth at this point."""


class FuzzFailure(AssertionError):
    """srcad was wrong on a program, crashed, or refused a construct it supports.
    ``kind`` is ``"wrong"``, ``"crash"`` or ``"refused"``; ``check`` the check."""

    def __init__(self, kind, check, program, detail):
        self.kind, self.check, self.program = kind, check, program
        super().__init__(f"{kind} in {check} ({program.group}, wrt={program.wrt}, seed={program.seed}):\n"
                         f"{detail}\n--- program ---\n{program.source}")


def load(program):
    """Import ``program.source`` from a real file; the module's ``f``."""
    global _DIRECTORY
    key = hashlib.sha1(program.source.encode()).hexdigest()[:16]
    if key not in _MODULES:
        if _DIRECTORY is None:
            _DIRECTORY = Path(tempfile.mkdtemp(prefix="srcad_fuzz_"))
        name = f"fuzzed_{key}"
        path = _DIRECTORY / f"{name}.py"
        path.write_text(program.source)
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        _MODULES[key] = module
    return _MODULES[key].f


# ------------------------------------------------------------- structures

def leaves(value):
    """The float and array leaves of ``value``, in a fixed order."""
    if isinstance(value, dict):
        return [leaf for key in value for leaf in leaves(value[key])]
    if isinstance(value, (list, tuple)):
        return [leaf for item in value for leaf in leaves(item)]
    return [value]


def flat(value):
    """All leaves of ``value`` in one float64 vector."""
    parts = [np.ravel(np.asarray(leaf, dtype=np.float64)) for leaf in leaves(value)]
    return np.concatenate(parts) if parts else np.zeros(0)


def rebuild(like, vector):
    """``like`` with its leaves taken, in order, from ``vector``."""
    position = 0

    def build(template):
        """One level of ``like``, its leaves read from ``vector`` at ``position``."""
        nonlocal position
        if isinstance(template, dict):
            return {key: build(item) for key, item in template.items()}
        if isinstance(template, (list, tuple)):
            return type(template)(build(item) for item in template)
        size = np.size(template)
        chunk = vector[position:position + size]
        position += size
        return float(chunk[0]) if isinstance(template, float) else chunk.reshape(np.shape(template))

    return build(like)


def same_structure(got, like):
    """Whether a derivative has the container structure of its argument."""
    if isinstance(like, dict):
        return isinstance(got, dict) and list(got) == list(like) and all(
            same_structure(got[k], like[k]) for k in like)
    if isinstance(like, (list, tuple)):
        return type(got) is type(like) and len(got) == len(like) and all(
            same_structure(g, x) for g, x in zip(got, like))
    return np.shape(got) == np.shape(like)


# ------------------------------------------------------------------ checks

class Checker:
    """Runs the checks of one program; see the module docstring."""

    def __init__(self, program):
        self.program = program
        self.f = load(program)
        self.wrt = program.wrt if len(program.wrt) > 1 else program.wrt[0]
        self.arguments = program.arguments()

    def fresh(self):
        """A deep copy of the arguments: no call sees another call's writes."""
        return copy.deepcopy(self.arguments)

    def chosen(self, args):
        """The differentiated arguments among ``args``."""
        return [args[position] for position in self.program.wrt]

    def with_chosen(self, vector):
        """Fresh arguments with the differentiated ones taken from ``vector``."""
        args = self.fresh()
        values = rebuild(self.chosen(args), vector)
        for position, value in zip(self.program.wrt, values):
            args[position] = value
        return args

    def objective(self, vector):
        """f as a function of the flat vector of the differentiated arguments."""
        return float(self.f(*self.with_chosen(vector)))

    def as_tuple(self, result):
        """A derivative as a tuple, one entry per ``wrt`` argument."""
        return tuple(result) if len(self.program.wrt) > 1 else (result,)

    def fail(self, kind, check, detail):
        """Raise a :class:`FuzzFailure` of ``kind`` in ``check``."""
        raise FuzzFailure(kind, check, self.program, detail)

    def close(self, check, got, expected, rtol, atol_scale):
        """Fail ``check`` unless ``got`` equals ``expected`` to ``rtol`` (and ``atol_scale`` times their scale)."""
        got, expected = np.asarray(got, dtype=np.float64), np.asarray(expected, dtype=np.float64)
        scale = max(1.0, float(np.max(np.abs(expected), initial=0.0)))
        if got.shape != expected.shape or not np.allclose(got, expected, rtol=rtol, atol=atol_scale * scale):
            self.fail("wrong", check, f"expected {np.array2string(expected, precision=8)}\n"
                                      f"     got {np.array2string(got, precision=8)}")

    def run(self, check, thunk):
        """``thunk()``, with srcad's refusals and crashes reported as failures of ``check``."""
        try:
            return thunk()
        except FuzzFailure:
            raise
        except srcad.SrcadError as error:
            if self.program.may_refuse:
                raise Refused(str(error)) from None
            self.fail("refused", check, f"{type(error).__name__}: {error}")
        except Exception:
            self.fail("crash", check, traceback.format_exc(limit=-6))

    def expected_gradient(self):
        """Central differences of f, confirmed by a second step size, or :class:`Unstable`."""
        start = flat(self.chosen(self.arguments))
        estimates = [numerical_gradient(self.objective, [start], 0, step=step) for step in STEPS]
        scale = max(1.0, float(np.max(np.abs(estimates[0]), initial=0.0)))
        if not np.all(np.isfinite(estimates)) or not np.allclose(*estimates, rtol=1e-4, atol=1e-4 * scale):
            raise Unstable("finite differences of f disagree between step sizes")
        if scale > LARGEST:
            raise Unstable("derivatives too large for finite differences to be trusted")
        return estimates[0]

    def check_all(self, hvp=False):
        """Every check of the module docstring (hvp when ``hvp``)."""
        args = self.fresh()
        value = self.f(*args)
        if not np.isfinite(value):
            raise Unstable("the value is not finite")
        effects = flat(args)
        expected = self.expected_gradient()

        def value_and_grad():
            """value_and_grad on fresh arguments, and the arguments after the call."""
            call_args = self.fresh()
            result = srcad.value_and_grad(self.f, self.wrt)(*call_args)
            return result, flat(call_args)

        (got_value, grads), got_effects = self.run("value_and_grad", value_and_grad)
        self.close("value (value_and_grad against f)", got_value, value, 1e-12, 1e-12)
        self.close("arguments after the call (value_and_grad against f)", got_effects, effects, 1e-12, 1e-12)
        grads = self.as_tuple(grads)
        for got, like in zip(grads, self.chosen(self.arguments)):
            if not same_structure(got, like):
                self.fail("wrong", "grad structure", f"argument {like!r}\ngradient {got!r}")
        self.close("grad against finite differences", flat(grads), expected, 1e-5, 1e-6)
        gradient = flat(grads)

        plain = self.run("grad(optimize=False)", lambda: srcad.grad(self.f, self.wrt, optimize=False)(*self.fresh()))
        self.close("grad(optimize=False) against grad", flat(self.as_tuple(plain)), gradient, 1e-9, 1e-10)

        cotangent = 0.5  # a power of two scales every rounding exactly, so the pullback is 0.5 * grad
        out, pullback = self.run("vjp", lambda: srcad.vjp(self.f, self.wrt)(*self.fresh()))
        self.close("vjp value against f", out, value, 1e-12, 1e-12)
        pulled = self.run("vjp pullback", lambda: pullback(cotangent))
        self.close("vjp pullback against grad", flat(self.as_tuple(pulled)), cotangent * gradient, 1e-9, 1e-10)

        rng = np.random.default_rng(self.program.seed + 1)
        direction = rng.standard_normal(gradient.size)
        tangents = rebuild(self.chosen(self.arguments), direction)
        out, out_tangent = self.run("jvp", lambda: srcad.jvp(self.f, self.wrt)(*self.fresh(), *tangents))
        self.close("jvp value against f", out, value, 1e-12, 1e-12)
        self.close("jvp against grad", out_tangent, gradient @ direction, 1e-8, 1e-9)

        if hvp:
            self.check_hvp(direction, tangents)

    def check_hvp(self, direction, tangents):
        """hvp against central differences of grad along the same direction as jvp."""
        vector = tangents if len(self.program.wrt) > 1 else tangents[0]
        product = self.run("hvp", lambda: srcad.hvp(self.f, self.wrt)(*self.fresh(), vector))
        df = srcad.grad(self.f, self.wrt)
        start = flat(self.chosen(self.arguments))

        def gradient_at(vector):
            """The gradient (flat) at the flat vector of differentiated arguments."""
            return flat(self.as_tuple(df(*self.with_chosen(vector))))

        estimates = [(gradient_at(start + h * direction) - gradient_at(start - h * direction)) / (2 * h)
                     for h in HVP_STEPS]
        scale = max(1.0, float(np.max(np.abs(estimates[0]), initial=0.0)))
        if not np.allclose(*estimates, rtol=1e-3, atol=1e-3 * scale):
            raise Unstable("finite differences of grad disagree between step sizes")
        self.close("hvp against finite differences of grad", flat(self.as_tuple(product)), estimates[0], 1e-4, 1e-5)


class Refused(Exception):
    """srcad refused a program that writes through an alias: allowed (modelled or refused)."""


@contextmanager
def time_limit(seconds):
    """Raise TimeoutError after ``seconds`` (main thread only; elsewhere no limit)."""
    def expire(signum, frame):
        """Interrupt the program that ran too long."""
        raise TimeoutError(f"the program took longer than {seconds} s")
    try:
        previous = signal.signal(signal.SIGALRM, expire)
    except ValueError:
        yield
        return
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def check_program(program, hvp=False):
    """Run every check on ``program``. Raises :class:`FuzzFailure` when srcad is
    wrong, :class:`Unstable` when the program proves nothing at its point,
    :class:`Refused` when srcad refused an allowed-to-refuse program."""
    with np.errstate(all="ignore"), time_limit(SECONDS):
        Checker(program).check_all(hvp=hvp)
