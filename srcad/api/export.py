"""``srcad.export(derivative, path)``: the generated code as a module that needs only NumPy.

The generated code calls a few of srcad's runtime helpers (``unbroadcast``, ``Tape``) and
the user's own functions. The module written here copies the helpers in, each with the
definitions it needs in turn (found by reading srcad's source, statement by statement),
and imports the user's functions from their modules; then the derivative itself, as
``.source`` shows it. Nothing in it imports srcad.
"""
import ast
import builtins
import inspect
import io
import sys
import symtable
import textwrap
import tokenize
import types

from ..errors import SrcadError
from .imports import describe, global_bindings, importable_home, user_homes

# what only runs with srcad itself: the compiler, reached at run time through the hook
_NEEDS_SRCAD = ("srcad.runtime.hook", "srcad.runtime.sources", "srcad.compiler", "srcad.api", "srcad.rules")


def export(derivative, path):
    """Write the generated code of ``derivative`` (what ``srcad.grad`` and the other transforms
    return) to ``path`` as a module whose only dependency is NumPy.

    The runtime helpers the code calls are copied into the file; the user's functions and
    data it reads are imported from their modules, which must be importable where the
    module runs. Call the derivative once first if it is generated per way of calling
    (``*args``); raises :class:`srcad.SrcadError` if some part of the code can only run
    with srcad (a function passed in as an argument, ``srcad.checkpoint``). Returns the
    text written."""
    text = standalone_source(derivative)
    with open(path, "w", encoding="utf-8") as file:
        file.write(text)
    return text


def standalone_source(derivative):
    """The text :func:`export` writes."""
    program = getattr(derivative, "_program", None)
    if program is None:
        raise SrcadError(f"srcad.export takes a derivative made by srcad (srcad.grad(f), srcad.jvp(f), ...), "
                         f"not a {type(derivative).__name__}")
    source, generated = program()
    label = getattr(derivative, "__name__", "the function")
    bundle = _Bundle(label, user_homes(generated))
    body = bundle.add_code(source, global_bindings(source, generated))
    entries = [function.__name__ for program in generated for function in _functions(program)]
    parts = [f'"""{_docstring(derivative, entries)}"""', "\n".join(bundle.import_lines()),
             f"__all__ = {entries!r}"]
    if bundle.copied:
        parts.append("# the helpers of srcad's runtime this code calls, copied from srcad\n\n"
                     + "\n\n\n".join(bundle.copied))
    if bundle.aliases:
        parts.append("\n".join(bundle.aliases))
    parts.append(body.rstrip("\n"))
    return "\n\n\n".join(part for part in parts if part) + "\n"


def _functions(program):
    function = program.function
    return list(function) if isinstance(function, tuple) else [function]


def _docstring(derivative, entries):
    described = repr(derivative).strip("<>").replace("srcad ", "", 1)
    return (f"The {described} ({', '.join(entries)}), written by srcad.export; "
            f"it needs only NumPy.")


class _Bundle:
    """The module being written: its imports, the helpers copied in, and the names they take."""

    def __init__(self, label, homes):
        self.label = label
        self.homes = homes
        self.modules = {}       # identifier -> module (import numpy as np)
        self.members = {}       # identifier -> (module, attribute) (from model import layer)
        self.copied = []        # the source of each copied definition, dependencies first
        self.taken = {}         # module-level identifier -> what it stands for
        self.done = {}          # (srcad module, name there) -> identifier in the file
        self.aliases = []       # second names of copies, where a piece of code uses the first one locally
        self.copying = []       # the definitions being copied, outermost first (for messages)

    # -- the generated code ------------------------------------------------------------
    def add_code(self, source, bindings):
        for defined in _defined_names(source):
            self.taken[defined] = ("generated", defined)
        renames, attributes = {}, {}
        for identifier, obj in bindings.items():
            if identifier.startswith("__") or getattr(builtins, identifier, None) is obj:
                continue
            if isinstance(obj, types.ModuleType):
                if _is_srcad(obj.__name__):
                    attributes.update(self._module_attributes(source, identifier, obj))
                else:
                    self._import_module(identifier, obj)
                continue
            if _is_srcad(getattr(obj, "__module__", None) or ""):
                renames[identifier] = self._copy_object(identifier, obj)
                continue
            home = importable_home(identifier, obj, self.homes.get(identifier))
            if home is None or home[0] == "__main__":
                raise SrcadError(self._unimportable(identifier, obj, home))
            self._member(identifier, home)
        return _rewrite(source, renames, attributes)

    def _unimportable(self, identifier, obj, home):
        where = ("it is defined in the script being run (__main__): move it into a module of its own"
                 if home else f"it is {describe(obj)} that no import gives (a closure's value, a local function)")
        return f"cannot export the derivative of {self.label}: its code reads {identifier!r}, and {where}"

    def _module_attributes(self, source, identifier, module):
        """``nn.softmax_cross_entropy_adjoint`` in ``source``: each attribute copied in, and the
        attribute access rewritten to the copy's name."""
        attributes = {}
        for attribute in _attributes_read(source, identifier):
            obj = getattr(module, attribute)
            copy = self._copy_object(attribute, obj)
            attributes[(identifier, attribute)] = self._usable_in(source, copy, f"{identifier}_{attribute}")
        return attributes

    def _usable_in(self, text, identifier, alias):
        """``identifier``, or a second name for it where ``text`` uses ``identifier`` for a
        variable of its own (``softmax_cross_entropy = nn.softmax_cross_entropy(U, y)``)."""
        if identifier not in _identifiers(text):
            return identifier
        alias = self._free_identifier(alias, ("alias", identifier))
        self.aliases.append(f"{alias} = {identifier}")
        return alias

    # -- imports ------------------------------------------------------------------------
    def _import_module(self, identifier, module):
        self._claim(identifier, ("module", module.__name__))
        self.modules[identifier] = module

    def _member(self, identifier, home):
        self._claim(identifier, ("member", home))
        self.members[identifier] = home

    def _claim(self, identifier, meaning):
        if self.taken.get(identifier, meaning) != meaning:
            raise SrcadError(f"cannot export the derivative of {self.label}: the name {identifier!r} stands for "
                             f"two things ({self.taken[identifier]} and {meaning}); please report this")
        self.taken[identifier] = meaning

    def import_lines(self):
        lines = []
        for identifier, module in sorted(self.modules.items(), key=lambda item: (item[1].__name__ != "numpy", item)):
            name = module.__name__
            lines.append(f"import {name}" if name == identifier else f"import {name} as {identifier}")
        by_module = {}
        for identifier, (module, attribute) in self.members.items():
            by_module.setdefault(module, []).append(attribute if attribute == identifier else
                                                    f"{attribute} as {identifier}")
        lines += [f"from {module} import {', '.join(sorted(names))}" for module, names in sorted(by_module.items())]
        return lines

    # -- copying srcad's definitions ----------------------------------------------------
    def _copy_object(self, preferred, obj):
        module = getattr(obj, "__module__", None)
        name = getattr(obj, "__name__", None)
        if not isinstance(module, str) or sys.modules.get(module) is None or \
                getattr(sys.modules[module], name or "", None) is not obj:
            raise SrcadError(f"cannot export the derivative of {self.label}: it calls {preferred}, "
                             f"{describe(obj)} of srcad that has no definition to copy; please report this")
        return self._copy_definition(module, name, preferred)

    def _copy_definition(self, module_name, name, preferred):
        """Copy the top-level statement of srcad's ``module_name`` that defines ``name`` (and,
        first, what it reads); returns the identifier it has in the file."""
        key = (module_name, name)
        if key in self.done:
            return self.done[key]
        if module_name.startswith(_NEEDS_SRCAD):
            helper = self.copying[0] if self.copying else preferred
            raise SrcadError(f"cannot export the derivative of {self.label}: its code calls {helper}, which "
                             f"decides when the code runs what to call (a function passed in as an argument, "
                             f"srcad.checkpoint) and needs srcad to do so")
        self.copying.append(preferred)
        try:
            return self._copy_new_definition(module_name, name, preferred, key)
        finally:
            self.copying.pop()

    def _copy_new_definition(self, module_name, name, preferred, key):
        module = sys.modules[module_name]
        statement, text = _defining_statement(module, name)
        if isinstance(statement, (ast.Import, ast.ImportFrom)):
            return self._imported(module, name, preferred)
        identifier = self._free_identifier(preferred, key)
        self.done[key] = identifier
        renames, attributes = {}, {}
        for read in sorted(_names_read(text) - {name}):
            target = self._dependency(module, read, text)
            if isinstance(target, dict):
                attributes.update(target)
            elif target is not None and target != read:
                renames[read] = target
        if identifier != name:
            renames[name] = identifier
        self.copied.append(_rewrite(text, renames, attributes).rstrip("\n"))
        return identifier

    def _imported(self, module, name, preferred):
        """``name`` comes into srcad's ``module`` by an import: follow it to where it is defined."""
        obj = getattr(module, name)
        if isinstance(obj, types.ModuleType):
            raise SrcadError(f"cannot export: {module.__name__}.{name} is a module; please report this")
        if _is_srcad(getattr(obj, "__module__", None) or ""):
            return self._copy_object(preferred, obj)
        home = importable_home(name, obj)
        if home is None:
            raise SrcadError(f"cannot export: {module.__name__} reads {name}, {describe(obj)} no import gives")
        identifier = self._free_identifier(preferred, ("member", home))
        self._member(identifier, home)
        return identifier

    def _dependency(self, module, read, text):
        """What a copied definition's global ``read`` becomes in the file: an identifier, a
        ``{(module, attribute): identifier}`` for a srcad module's attributes, or None (a builtin)."""
        if read not in vars(module):
            if hasattr(builtins, read):
                return None
            raise SrcadError(f"cannot export: {module.__name__} reads {read}, which it does not define; "
                             f"please report this")
        obj = vars(module)[read]
        if isinstance(obj, types.ModuleType):
            if _is_srcad(obj.__name__):
                return {(read, attribute): self._usable_in(text, self._copy_definition(obj.__name__, attribute,
                                                                                       attribute), f"{read}_{attribute}")
                        for attribute in _attributes_read(text, read)}
            self._import_module(self._free_identifier(read, ("module", obj.__name__)), obj)
            return read
        return self._copy_definition(module.__name__, read, read)

    def _free_identifier(self, preferred, meaning):
        identifier, counter = preferred, 2
        while identifier in self.taken and self.taken[identifier] != meaning:
            identifier, counter = f"{preferred}_{counter}", counter + 1
        self.taken[identifier] = meaning
        return identifier


def _is_srcad(module_name):
    return module_name == "srcad" or module_name.startswith("srcad.")


def _defining_statement(module, name):
    """The top-level statement of ``module`` that binds ``name``, and its text."""
    source = inspect.getsource(module)
    tree = ast.parse(source)
    for statement in reversed(tree.body):  # the last binding is the one in force
        if name in _bound_by(statement):
            start = statement.decorator_list[0].lineno if getattr(statement, "decorator_list", None) \
                else statement.lineno
            lines = source.splitlines(keepends=True)[start - 1:statement.end_lineno]
            return statement, textwrap.dedent("".join(lines))
    raise SrcadError(f"cannot export: no statement of {module.__name__} defines {name}; please report this")


def _bound_by(statement):
    if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {statement.name}
    if isinstance(statement, (ast.Import, ast.ImportFrom)):
        return {(alias.asname or alias.name).split(".")[0] for alias in statement.names}
    if isinstance(statement, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
        targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
        return {node.id for target in targets for node in ast.walk(target) if isinstance(node, ast.Name)}
    return set()


def _names_read(text):
    """The global names a piece of module-level source reads."""
    table = symtable.symtable(text, "<copied>", "exec")
    found = {symbol.get_name() for symbol in table.get_symbols() if symbol.is_referenced()}

    def walk(scope):
        for child in scope.get_children():
            found.update(symbol.get_name() for symbol in child.get_symbols()
                         if symbol.is_global() and symbol.is_referenced())
            walk(child)

    walk(table)
    return found


def _defined_names(source):
    return {statement.name for statement in ast.parse(source).body
            if isinstance(statement, (ast.FunctionDef, ast.ClassDef))}


def _identifiers(text):
    return {node.id for node in ast.walk(ast.parse(text)) if isinstance(node, ast.Name)} | \
        {node.arg for node in ast.walk(ast.parse(text)) if isinstance(node, ast.arg)}


def _attributes_read(text, identifier):
    """The attributes read as ``identifier.attribute`` in ``text``."""
    return sorted({node.attr for node in ast.walk(ast.parse(text))
                   if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                   and node.value.id == identifier})


def _rewrite(text, renames, attributes):
    """``text`` with each global name in ``renames`` and each ``module.attribute`` in
    ``attributes`` replaced by its new identifier (tokens, so comments and strings stay)."""
    if not renames and not attributes:
        return text
    tokens = [t for t in tokenize.generate_tokens(io.StringIO(text).readline)
              if t.type not in (tokenize.NL, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT)]
    edits, depth = [], 0
    for index, token in enumerate(tokens):
        if token.type == tokenize.OP and token.string in "([{":
            depth += 1
        elif token.type == tokenize.OP and token.string in ")]}":
            depth -= 1
        if token.type != tokenize.NAME:
            continue
        before = tokens[index - 1].string if index else ""
        after = tokens[index + 1].string if index + 1 < len(tokens) else ""
        if before == ".":
            continue
        if after == "." and index + 2 < len(tokens) and (token.string, tokens[index + 2].string) in attributes:
            edits.append((token.start, tokens[index + 2].end, attributes[(token.string, tokens[index + 2].string)]))
        elif token.string in renames and not (after == "=" and depth > 0):
            edits.append((token.start, token.end, renames[token.string]))
    lines = text.splitlines(keepends=True)
    for (start_row, start_col), (end_row, end_col), new in reversed(edits):
        line = lines[start_row - 1]
        lines[start_row - 1] = line[:start_col] + new + lines[end_row - 1][end_col:]
        del lines[start_row:end_row]
    return "".join(lines)
