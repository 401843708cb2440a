"""The errors srcad raises, and the one place their messages are laid out.

Every refusal reads the same way: what is wrong; where, as a traceback frame of the
user's file and line, with the line itself and a caret under the construct; and what to
do instead::

    srcad cannot differentiate try/except
      File "model.py", line 4, in loss
        try:
        ^^^^
    hint: move the try/except outside the differentiated function

A pass builds the where with :meth:`srcad.parse.Function.locate` (or ``.where``) and
passes it, with the hint, to one of the classes below.
"""
import io
import tokenize
from dataclasses import dataclass


@dataclass(frozen=True)
class Location:
    """A place in the user's source: a file, a line, its text, and the columns of the
    construct on it (``None``: the whole line)."""

    filename: str
    lineno: int
    text: str = ""
    function: str = ""
    column: int = None
    end_column: int = None

    def render(self):
        """The location as a traceback frame, with the line and a caret under the construct."""
        frame = f'  File "{self.filename}", line {self.lineno}'
        if self.function:
            frame += f", in {self.function}"
        stripped = self.text.strip()
        if not stripped:
            return frame
        return f"{frame}\n    {stripped}\n    {self._caret(stripped)}"

    def _caret(self, stripped):
        indent = len(self.text) - len(self.text.lstrip())
        code_end = _end_of_code(self.text)
        start, end = self.column, self.end_column
        if start is None or not indent <= start < code_end:
            start, end = indent, code_end
        end = code_end if end is None or end <= start else min(end, code_end)
        return " " * (start - indent) + "^" * (end - start)


def _end_of_code(line):
    """Where the code of ``line`` ends: before a trailing comment and spaces."""
    try:
        for token in tokenize.generate_tokens(io.StringIO(line).readline):
            if token.type == tokenize.COMMENT:
                return len(line[:token.start[1]].rstrip())
    except (tokenize.TokenError, SyntaxError):
        pass  # the first line of a longer statement: an open bracket is fine here
    return len(line.rstrip())


def layout(message, location=None, hint=None):
    """The text of an error: ``message``, the user's ``location`` (a :class:`Location` or
    an already rendered frame), and the ``hint`` saying what to do instead."""
    text = message
    if location is not None:
        where = location.render() if isinstance(location, Location) else location.lstrip("\n")
        text += "\n" + where
    if hint:
        text += f"\nhint: {hint}"
    return text


# functions with no rule that srcad.nn replaces with a fused, stable one
_NN_ALTERNATIVES = {
    "logsumexp": "srcad.nn.logsumexp", "softmax": "srcad.nn.softmax", "log_softmax": "srcad.nn.log_softmax",
    "expit": "srcad.nn.sigmoid", "sigmoid": "srcad.nn.sigmoid", "softplus": "srcad.nn.softplus",
    "relu": "srcad.nn.relu",
}


def no_rule_hint(label, decorator):
    """What to do about a call of ``label`` that has no rule for ``decorator`` (``adjoint``
    for reverse mode, ``tangent`` for forward mode)."""
    function = label.rstrip("()").rsplit(".", 1)[-1]
    alternative = _NN_ALTERNATIVES.get(function)
    if alternative is not None and not label.startswith("srcad."):
        return f"use {alternative}, which has an exact and stable rule"
    target = label.rstrip("()")
    return (f"register a rule with @srcad.{decorator}({target}), or wrap the value in srcad.stop_gradient "
            f"if it needs no derivative")


class SrcadError(Exception):
    """Base class of every error srcad raises.

    ``SrcadError(message, location=None, hint=None)``: ``location`` is where in the user's
    code (a :class:`Location`), ``hint`` what to do instead. ``str(error)`` lays them out
    (see the module docstring); the parts stay readable as attributes.
    """

    def __init__(self, message, location=None, hint=None):
        self.message = message
        self.location = location
        self.hint = hint
        super().__init__(layout(message, location, hint))

    def __str__(self):
        return self.args[0]


class UnsupportedSyntaxError(SrcadError, SyntaxError):
    """A construct srcad cannot differentiate (``try``, ``with``, ``yield``, ...)."""

    def __init__(self, message, location=None, hint=None):
        SrcadError.__init__(self, message, location, hint)
        self.construct_message = message
        self.msg = message
        located = isinstance(location, Location)
        self.filename = location.filename if located else None
        self.lineno = location.lineno if located else None
        self.text = location.text if located else None
        self.offset = location.column + 1 if located and location.column is not None else None


class NonFiniteError(SrcadError, FloatingPointError):
    """With :func:`srcad.check_finite` on: the first nan or inf a derivative's code makes,
    naming the variable, the generated line and the user's line it comes from."""


class NonDifferentiableError(SrcadError):
    """A call with no rule and no source, an integer ``wrt`` argument, or a
    non-scalar output given to ``grad``."""
