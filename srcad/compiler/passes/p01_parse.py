"""Read a function's source into a gast tree and know where it came from."""
import __future__
import builtins
import copy
import functools
import inspect
import linecache
import operator
import symtable
import sys
import textwrap
import types
from dataclasses import dataclass, field

import gast

from ...errors import Location, SrcadError, UnsupportedSyntaxError
from ...runtime.sources import is_generated_file


@dataclass
class Function:
    """A user function as srcad sees it: its tree, its file, and its names."""

    func: object
    node: gast.FunctionDef
    filename: str
    line_offset: int
    source_lines: list = field(repr=False)
    extra_names: dict = field(default_factory=dict, repr=False)
    # what the call being specialised proves of each parameter (see compiler/signature.py)
    argument_kinds: dict = field(default_factory=dict, repr=False)
    argument_shapes: dict = field(default_factory=dict, repr=False)

    @property
    def short_filename(self):
        return self.filename.replace("\\", "/").rsplit("/", 1)[-1]

    def user_line(self, lineno):
        """The user's line number for a line of the parsed text."""
        return lineno + self.line_offset

    def line_text(self, lineno):
        """The user's source line for a line of the parsed text."""
        index = lineno - 1
        return self.source_lines[index].rstrip() if 0 <= index < len(self.source_lines) else ""

    def location(self, node):
        """``file.py:LINE`` of a node of the parsed text."""
        return f"{self.short_filename}:{self.user_line(node.lineno)}"

    def locate(self, node):
        """The :class:`Location` of ``node`` in the user's file: its line, and its columns
        when the node still sits where the user wrote it (not on a line a pass made)."""
        lineno = getattr(node, "srcad_origin", None) or getattr(node, "lineno", None)
        if lineno is None:
            return Location(self.filename, self.user_line(self.node.lineno), self.line_text(self.node.lineno),
                            self.name)
        construct = _written_at(node, lineno)
        columns = (construct.col_offset, _end_column(construct, lineno)) if construct is not None else (None, None)
        return Location(self.filename, self.user_line(lineno), self.line_text(lineno), self.name, *columns)

    @property
    def name(self):
        """The function's own name (passes rename its tree: ``d_loss``)."""
        return getattr(self.func, "__name__", None) or self.node.name

    def syntax_error(self, node, message, hint=None):
        """An :class:`UnsupportedSyntaxError` pointing at ``node``."""
        return UnsupportedSyntaxError(message, self.locate(node), hint)

    def where(self, node):
        """The user's frame of ``node`` (file, line, the line, a caret), for error messages."""
        return "\n" + self.locate(node).render()

    def resolve(self, identifier):
        """The object a free name of the function refers to, or raise KeyError."""
        if identifier in self.extra_names:
            return self.extra_names[identifier]
        return resolve_name(self.func, identifier)


def _written_at(node, lineno):
    """``node``, or the first node inside it, that carries the columns of the user's line
    ``lineno`` (a statement a pass made keeps the user's expression inside it)."""
    for candidate in gast.walk(node):
        if getattr(candidate, "lineno", None) == lineno and getattr(candidate, "col_offset", None) is not None:
            return candidate
    return None


def _end_column(node, lineno):
    """Where ``node`` ends on line ``lineno`` (None: it runs on past the line)."""
    return node.end_col_offset if getattr(node, "end_lineno", None) == lineno else None


def resolve_name(func, identifier):
    """Look ``identifier`` up as ``func`` would: closure cells, globals, builtins."""
    code = func.__code__
    if func.__closure__ and identifier in code.co_freevars:
        cell = func.__closure__[code.co_freevars.index(identifier)]
        return cell.cell_contents
    if identifier in func.__globals__:
        return func.__globals__[identifier]
    return getattr(builtins, identifier)


_PARSED = {}


def register_parsed(func, function):
    """Make :func:`read_function` answer ``function`` for ``func`` (functions srcad made itself)."""
    _PARSED[func] = function


def not_a_python_function(func):
    """The error for a callable srcad has no source for and no rule for."""
    label = getattr(func, "__qualname__", repr(func))
    return SrcadError(
        f"srcad cannot read the source of {label!r}: it is not a Python function "
        f"(a builtin, a C extension or a callable object). Register a rule for it with "
        f"@srcad.adjoint, or wrap it in a Python function."
    )


def read_function(func):
    """Parse ``func``'s source into a :class:`Function`, or raise a clear :class:`SrcadError`."""
    if func in _PARSED:
        known = _PARSED[func]
        return Function(known.func, copy.deepcopy(known.node), known.filename, known.line_offset,
                        known.source_lines, dict(known.extra_names))
    while getattr(func, "srcad_checkpoint", False):
        func = func.__wrapped__  # checkpointing matters to the calls of a function, not to its body
    func = _generated_function(func)
    label = getattr(func, "__qualname__", repr(func))
    if not inspect.isfunction(func):
        raise not_a_python_function(func)
    code = func.__code__
    filename = inspect.getsourcefile(code) or code.co_filename
    try:
        # the code object's own lines: a function a decorator wrapped (functools.wraps) is
        # read as itself, not as the function it wraps
        lines, first_line = inspect.getsourcelines(code)
    except (OSError, TypeError) as error:
        raise SrcadError(
            f"srcad cannot read the source of {label}: {error}. Functions typed at the "
            f"interactive prompt or created by exec have no source file; define it in a .py file."
        ) from None
    text = textwrap.dedent("".join(lines))
    try:
        module = gast.parse(text)
    except SyntaxError:
        # A lambda in the middle of an expression: parse its line on its own.
        module = _parse_lambda_line(text, label)
    node = _find_function_node(module, func, label)
    _mangle_private_names(node, _class_scopes(func))
    first = max(first_line, 1)
    function = Function(func, node, filename, first - 1, text.splitlines())
    _check_current(function, text)
    return function


def _check_current(function, text):
    """Refuse a source that is not the one the function was compiled from (the file was
    edited after it was imported): srcad would differentiate code that does not run."""
    func = function.func
    if func.__name__ == "<lambda>" or filename_is_generated(function.filename):
        return  # a lambda's line is cut out of its expression; srcad's own code is current
    if "assert" in text and _asserts_rewritten(func):
        return  # pytest compiled this module's asserts into other code: there is nothing to compare
    if not _same_code(_compiled_from(text, func, function.filename), func.__code__):
        raise SrcadError(
            f"the source of {func.__qualname__} in {function.filename} is not the code that runs: the "
            f"file changed after the function was defined. Reload the module (importlib.reload) or "
            f"restart, so that the function and its file agree.")


def _asserts_rewritten(func):
    """Whether pytest loaded ``func``'s module, rewriting its ``assert`` statements."""
    module = sys.modules.get(getattr(func, "__module__", None) or "")
    return type(getattr(module, "__loader__", None)).__name__ == "AssertionRewritingHook"


def filename_is_generated(filename):
    """Whether a file name is one srcad gives the code it generates."""
    return is_generated_file(filename)


def _class_scopes(func):
    """The classes a function is defined in, outermost first (``Net.loss``: ``["Net"]``)."""
    return func.__qualname__.split(".<locals>.")[-1].split(".")[:-1]


def _mangle_private_names(node, scopes):
    """Inside a class, ``self.__scale`` is ``self._Net__scale``: write it so, as the generated
    code runs outside the class."""
    owner = scopes[-1].lstrip("_") if scopes else ""
    if not owner:
        return

    def mangled(identifier):
        private = identifier.startswith("__") and not identifier.endswith("__")
        return f"_{owner}{identifier}" if private else identifier

    for n in gast.walk(node):
        if isinstance(n, gast.Attribute):
            n.attr = mangled(n.attr)
        elif isinstance(n, gast.Name):
            n.id = mangled(n.id)


def _imported_names(filename):
    """The names the module in ``filename`` binds by ``import`` at its top level, or None."""
    text = "".join(linecache.getlines(filename))
    key = (filename, hash(text))
    if key not in _IMPORTED:
        try:
            table = symtable.symtable(text, filename, "exec")
        except (SyntaxError, ValueError):
            _IMPORTED[key] = None
        else:
            _IMPORTED[key] = {symbol.get_name() for symbol in table.get_symbols() if symbol.is_imported()}
    return _IMPORTED[key]


_IMPORTED = {}


def _compiled_from(text, func, filename):
    """The code object ``text`` compiles to for ``func``'s definition, in the same context: inside
    its classes (private names are mangled) and an enclosing function (its free variables)."""
    code = func.__code__
    scopes = _class_scopes(func)
    imported = _imported_names(filename)
    if imported is None:
        return code  # the module's text does not parse on its own: nothing to compare with
    body = text
    for scope in reversed(scopes):
        body = f"class {scope}:\n" + textwrap.indent(body, "    ")
    free = [v for v in code.co_freevars if v != "__class__"]
    if free:
        body = f"def srcad_enclosing({', '.join(free)}):\n" + textwrap.indent(body, "    ")
    if imported:
        # names the module imports compile differently (an attribute, not a method, is loaded)
        body = f"import {', '.join(sorted(imported))}\n" + body
    flags = code.co_flags & _FUTURE_FLAGS
    try:
        module = compile(body, "<srcad check>", "exec", flags=flags, dont_inherit=True)
    except SyntaxError:
        return None
    return _find_code(module, code.co_name)


def _find_code(code, identifier):
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            if const.co_name == identifier:
                return const
            found = _find_code(const, identifier)
            if found is not None:
                return found
    return None


def _same_code(a, b):
    if a is None or b is None:
        return False
    if (a.co_code, a.co_names, a.co_varnames, a.co_freevars) != (b.co_code, b.co_names, b.co_varnames,
                                                                b.co_freevars):
        return False
    if len(a.co_consts) != len(b.co_consts):
        return False
    for x, y in zip(a.co_consts, b.co_consts):
        if isinstance(x, types.CodeType) or isinstance(y, types.CodeType):
            if not (isinstance(x, types.CodeType) and isinstance(y, types.CodeType) and _same_code(x, y)):
                return False
        elif type(x) is not type(y) or x != y and not (x != x and y != y) and not _same_qualname(x, y):
            return False
    return True


def _same_qualname(x, y):
    """Python 3.10 keeps a nested function's qualified name among the constants of the code
    that defines it; the text compiled on its own has a shorter one."""
    return isinstance(x, str) and "<locals>" in x + y and x.split(".<locals>.")[-1] == y.split(".<locals>.")[-1]


_FUTURE_FLAGS = functools.reduce(operator.or_, (getattr(__future__, feature).compiler_flag
                                                for feature in __future__.all_feature_names), 0)


def _generated_function(obj):
    """A srcad derivative (``srcad.grad(f)``) is read through the plain function it
    generated, so that a derivative can be differentiated again."""
    if inspect.isfunction(obj):
        return obj
    function = getattr(getattr(obj, "generated", None), "function", None)
    return function if inspect.isfunction(function) else obj


def _parse_lambda_line(text, label):
    try:
        return gast.parse(text.strip().rstrip(",").rstrip(")"), mode="exec")
    except SyntaxError:
        raise SrcadError(f"srcad cannot parse the source of {label}; define it with def in a .py file.") from None


def _find_function_node(module, func, label):
    name = func.__code__.co_name
    for node in gast.walk(module):
        if isinstance(node, gast.AsyncFunctionDef) and node.name == name:
            lineno = func.__code__.co_firstlineno
            where = Location(inspect.getsourcefile(func), lineno, source_line(inspect.getsourcefile(func), lineno),
                             name)
            raise UnsupportedSyntaxError(f"srcad cannot differentiate async def {name}", where,
                                         "differentiate a plain def; await the coroutine outside it")
        if isinstance(node, gast.FunctionDef) and node.name == name:
            node.decorator_list = []
            return node
    lambdas = [n for n in gast.walk(module) if isinstance(n, gast.Lambda)]
    if name == "<lambda>" and len(lambdas) == 1:
        lam = lambdas[0]
        body = [gast.Return(value=lam.body)]
        gast.copy_location(body[0], lam)
        node = gast.FunctionDef(name="lambda_", args=lam.args, body=body, decorator_list=[],
                                returns=None, type_comment=None, type_params=[])
        return gast.copy_location(node, lam)
    raise SrcadError(
        f"srcad cannot find the definition of {label} in its source; "
        f"define it with def (one lambda per line at most)."
    )


def source_line(filename, lineno):
    """A line of any file, for error messages."""
    return linecache.getline(filename, lineno).strip()
