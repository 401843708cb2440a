"""The import lines that make generated source a module of its own.

Generated code runs with a globals dict srcad fills (``np``, ``unbroadcast``, the user's
``layer``). ``.source`` starts with the imports that bind the same names to the same objects,
so the text runs as it is: ``exec`` it, or save it as a file and import it.
"""
import builtins
import sys
import symtable
import types

from ..compiler.pipeline import namespaces

# where a helper is found first: the public module, then the one that defines it
_PUBLIC_HOMES = ("srcad.runtime", "srcad.nn", "srcad")


def with_imports(source, generated):
    """``source`` preceded by the imports of the globals it reads, which
    ``generated`` (a list of compiled programs that ran it) bound."""
    header = import_lines(global_bindings(source, generated), user_homes(generated))
    return "\n".join(header) + "\n\n\n" + source if header else source


def global_bindings(source, generated):
    """{name: object} for each global name ``source`` reads and does not define itself;
    a name bound to different objects by different programs maps to the tuple of them."""
    objects = {}
    for program in generated:
        for namespace in namespaces(program):
            for identifier, obj in namespace.objects.items():
                objects.setdefault(identifier, []).append(obj)
    bindings = {}
    for identifier in sorted(free_globals(source)):
        found = _distinct(objects.get(identifier, []))
        if not found and hasattr(builtins, identifier):
            continue
        bindings[identifier] = found[0] if len(found) == 1 else tuple(found)
    return bindings


def user_homes(generated):
    """{name: [(module, name there), ...]}: where each of the user's globals the programs read
    may be imported from. The module the user's code read it from comes first; code srcad reads
    back (an ``hvp`` reads the gradient's code) records none, so the modules of the user's
    functions follow (an import is only written where it gives the very same object)."""
    homes, modules = {}, []
    for program in generated:
        for namespace in namespaces(program):
            for identifier, home in namespace.shared.homes.items():
                homes.setdefault(identifier, []).append(home)
            for obj in namespace.objects.values():
                module = getattr(obj, "__module__", None)
                if callable(obj) and isinstance(module, str) and module not in modules \
                        and not module.startswith(("srcad", "numpy", "builtins")):
                    modules.append(module)
    return _Homes(homes, modules)


class _Homes:
    def __init__(self, recorded, modules):
        self.recorded = recorded
        self.modules = modules

    def get(self, identifier):
        return self.recorded.get(identifier, []) + [(module, identifier) for module in self.modules]


def free_globals(source):
    """The global names the functions of ``source`` read and the module does not define."""
    table = symtable.symtable(source, "<generated>", "exec")
    defined = {symbol.get_name() for symbol in table.get_symbols() if symbol.is_assigned() or symbol.is_imported()}
    return _globals_of(table) - defined


def _globals_of(table):
    found = set()
    for child in table.get_children():
        found |= {symbol.get_name() for symbol in child.get_symbols() if symbol.is_global() and symbol.is_referenced()}
        found |= _globals_of(child)
    return found


def _distinct(objects):
    distinct = []
    for obj in objects:
        if all(obj is not seen for seen in distinct):
            distinct.append(obj)
    return distinct


def import_lines(bindings, homes=None):
    """The import statements for ``bindings`` ({name: object}): ``import numpy as np`` first,
    then one ``from module import ...`` line per module; a name no import can bind is
    listed in a comment saying what it is."""
    modules, members, unbound = [], {}, []
    for identifier, obj in bindings.items():
        if identifier.startswith("__") or getattr(builtins, identifier, _MISSING) is obj:
            continue
        if isinstance(obj, types.ModuleType):
            modules.append(_module_import(identifier, obj))
            continue
        home = importable_home(identifier, obj, homes.get(identifier) if homes is not None else [])
        if home is None:
            unbound.append(f"# {identifier}: {describe(obj)}, bound when srcad generated this code; "
                           f"no import binds it: define it before running this module")
        else:
            module, attribute = home
            members.setdefault(module, []).append(attribute if attribute == identifier else
                                                  f"{attribute} as {identifier}")
    lines = sorted(modules, key=lambda line: (not line.startswith("import numpy"), line))
    lines += [f"from {module} import {', '.join(sorted(names))}" for module, names in sorted(
        members.items(), key=lambda item: (item[0].startswith("srcad"), item[0]))]
    return lines + unbound


def _module_import(identifier, module):
    name = module.__name__
    parent, _, last = name.rpartition(".")
    if identifier == name:
        return f"import {name}"
    if parent and identifier == last:
        return f"from {parent} import {last}"
    return f"import {name} as {identifier}"


def importable_home(identifier, obj, user_homes=()):
    """``(module, attribute)`` such that ``from module import attribute`` gives ``obj``, or None.
    srcad's own helpers come from the public module that exports them when one does; the
    user's data from one of ``user_homes`` (``(module, name there)`` pairs)."""
    if isinstance(obj, tuple):
        return None  # several objects under one name: no single import is right
    module = getattr(obj, "__module__", None)
    name = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None)
    candidates = []
    if isinstance(module, str) and module.startswith("srcad"):
        candidates += [(home, name) for home in _PUBLIC_HOMES]
    if isinstance(module, str) and isinstance(name, str):
        candidates.append((module, name))
    candidates += list(user_homes)
    for home, attribute in candidates:
        if home is not None and "." not in attribute and "<" not in attribute \
                and getattr(sys.modules.get(home), attribute, _MISSING) is obj:
            return home, attribute
    return None


def describe(obj):
    """A few words for what ``obj`` is: ``ndarray of shape (3, 4)``, ``float``."""
    if isinstance(obj, tuple):
        return "one of several objects (the functions of this code read different ones)"
    shape = getattr(obj, "shape", None)
    kind = type(obj).__name__
    return f"{kind} of shape {shape}" if shape is not None else kind


_MISSING = object()


def without_imports(source):
    """``source`` without the import lines (and comments) :func:`with_imports` put first."""
    lines = source.splitlines(keepends=True)
    start = 0
    while start < len(lines) and (lines[start].startswith(("import ", "from ", "#")) or not lines[start].strip()):
        if lines[start].startswith("# forward mode"):
            break  # a Jacobian's two listings begin with this comment
        start += 1
    return "".join(lines[start:])
