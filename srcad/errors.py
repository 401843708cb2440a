"""The errors srcad raises. Every one derives from :class:`SrcadError`."""


class SrcadError(Exception):
    """Base class of every error srcad raises."""


class UnsupportedSyntaxError(SrcadError, SyntaxError):
    """A construct srcad cannot differentiate (``try``, ``with``, ``yield``, ...)."""

    def __init__(self, message, filename=None, lineno=None, source_line=None):
        self.construct_message = message
        where = ""
        if filename is not None:
            where = f'\n  File "{filename}", line {lineno}'
            if source_line:
                where += f"\n    {source_line.strip()}"
        SrcadError.__init__(self, message + where)
        self.msg = message
        self.filename = filename
        self.lineno = lineno
        self.text = source_line
        self.offset = None

    def __str__(self):
        return self.args[0]


class NonDifferentiableError(SrcadError):
    """A call with no rule and no source, an integer ``wrt`` argument, or a
    non-scalar output given to ``grad``."""
