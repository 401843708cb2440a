"""``srcad.check_finite``: a debug switch that stops at the first value that is not finite.

Like JAX's debug-NaN mode. While it is on, the generated code of every transform runs
with NumPy's floating-point errors raised (``np.errstate``): the first operation of the
forward or the backward sweep that makes a nan or an inf (0/0, log(0), an overflow)
stops there, and srcad raises :class:`srcad.NonFiniteError` naming the variable it was
computing, the generated line and the user's ``file.py:N`` it comes from. Values that
are already inf or nan when the function is called (an input of ``-inf``) pass: only a
new one stops the run. Python floats follow Python (``1.0 / 0.0`` raises anyway).
"""
import ast
import contextlib
import linecache
import re
import traceback

import numpy as np

from ..errors import Location, NonFiniteError
from .sources import is_generated_file

_enabled = False
_USER_LINE = re.compile(r"#\s*(\S+:\d+)\s*$")


class check_finite:  # noqa: N801 - used like a function: srcad.check_finite()
    """Turn the check on (``srcad.check_finite()``) or off (``srcad.check_finite(False)``)
    for every derivative srcad runs; as ``with srcad.check_finite(): ...``, only inside
    the block (the previous setting comes back at its end)."""

    def __init__(self, enabled=True):
        global _enabled
        self._previous = _enabled
        _enabled = bool(enabled)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        global _enabled
        _enabled = self._previous
        return False

    def __repr__(self):
        return f"srcad.check_finite({_enabled})"


def checking_finite():
    """Whether :class:`check_finite` is on (generated code must then run under its check)."""
    return _enabled


def finite_checked(label):
    """A context for running generated code of ``label`` (``d_loss``): with the check on,
    NumPy's floating-point errors raise, and the first becomes a :class:`NonFiniteError`;
    with it off, nothing."""
    return _Checked(label) if _enabled else contextlib.nullcontext()


class _Checked:
    def __init__(self, label):
        self.label = label
        self.errstate = np.errstate(divide="raise", over="raise", invalid="raise", under="ignore")

    def __enter__(self):
        self.errstate.__enter__()
        return self

    def __exit__(self, kind, error, trace):
        self.errstate.__exit__(kind, error, trace)
        if isinstance(error, FloatingPointError) and not isinstance(error, NonFiniteError):
            raise non_finite_error(error, self.label) from error
        return False


def non_finite_error(error, label):
    """The :class:`NonFiniteError` for NumPy's ``error`` raised in generated code of ``label``."""
    frames = [frame for frame in traceback.extract_tb(error.__traceback__) if is_generated_file(frame.filename)]
    what = str(error).replace("encountered in ", "in ")
    if not frames:
        return NonFiniteError(f"srcad.check_finite: {label} made a value that is not finite ({what})")
    frame = frames[-1]
    text = linecache.getline(frame.filename, frame.lineno).rstrip()
    variable = _assigned(text)
    user = _USER_LINE.search(text)
    where = f" at {user.group(1)}" if user else ""
    subject = f"{variable}" if variable else "a value"
    return NonFiniteError(
        f"srcad.check_finite: {subject} is not finite{where} (the first {what}, in {frame.name})",
        Location(frame.filename, frame.lineno, text, frame.name),
        "look for a log, a division or an exp of the values on that line; np.where does not keep its "
        "untaken branch from being computed")


def _assigned(text):
    """The names a generated line assigns (``d_x`` of ``d_x = d_y / x``), or None."""
    try:
        statement = ast.parse(text.split("#", 1)[0].strip()).body[0]
    except (SyntaxError, IndexError):
        return None
    if isinstance(statement, ast.Assign):
        return ", ".join(ast.unparse(t) for t in statement.targets)
    if isinstance(statement, ast.AugAssign):
        return ast.unparse(statement.target)
    return None
