"""The import graph of srcad: arrows point down the layers, with no circles and no private names.

The layers, from the bottom: ``errors``; ``runtime`` (what generated code calls); ``rules`` and
``nn`` (the rule library, whose templates call the runtime); ``compiler`` (the passes and their
driver); ``api`` (the public transforms); the package itself and its command line. A module may
import its own layer and the layers below. Every import counts, at the top of a module or inside
a function, and importing ``a.b.c`` imports the packages ``a.b`` and ``a`` too (but for the
packages that hold the importing module, which Python is importing already).
"""
import ast
import pathlib

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parent.parent / "srcad"
LAYERS = [("srcad.errors",), ("srcad.runtime",), ("srcad.rules", "srcad.nn"), ("srcad.compiler",),
          ("srcad.api",), ("srcad", "srcad.cli", "srcad.__main__")]


def _module_name(path):
    parts = ("srcad",) + path.relative_to(PACKAGE).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _layer(module):
    """The index in LAYERS of the longest prefix naming ``module``."""
    best = None
    for index, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and (best is None or len(prefix) > best[1]):
                best = (index, len(prefix))
    return best[0]


def _imports(module):
    """``(imported module, names taken from it, line)`` for every import statement of ``module``."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "srcad":
                    yield alias.name, [], node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[:len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] == "srcad":
                yield target, [alias.name for alias in node.names], node.lineno


def _dependencies(module):
    """The srcad modules ``module`` makes Python run, each with the line that does it."""
    found = {}
    for target, names, line in _imports(module):
        submodules = [f"{target}.{n}" for n in names if f"{target}.{n}" in MODULES]
        for imported in submodules or [target]:
            parts = imported.split(".")
            for end in range(2, len(parts) + 1):  # the packages on the way (srcad itself aside)
                found.setdefault(".".join(parts[:end]), line)
    # the packages that hold ``module`` are already being imported when it is
    return {target: line for target, line in found.items() if not (module + ".").startswith(target + ".")}


GRAPH = {module: _dependencies(module) for module in MODULES}


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_point_down_the_layers(module):
    upward = [f"{target} (line {line})" for target, line in GRAPH[module].items()
              if target in MODULES and _layer(target) > _layer(module)]
    assert not upward, f"{module} imports a layer above its own: {', '.join(upward)}"


def test_the_public_api_is_imported_by_the_package_alone():
    importers = sorted(m for m, deps in GRAPH.items()
                       if _layer(m) < _layer("srcad.api") and any(_layer(d) == _layer("srcad.api") for d in deps))
    assert importers == []


def test_the_runtime_imports_only_itself_and_the_errors():
    for module in (m for m in MODULES if _layer(m) == _layer("srcad.runtime")):
        outside = [d for d in GRAPH[module] if _layer(d) > _layer("srcad.runtime")]
        assert outside == [], f"{module} imports {outside}"


def test_no_import_circles():
    circles = [c for c in _strongly_connected(GRAPH) if len(c) > 1]
    assert circles == [], f"modules that import each other: {circles}"


def test_no_module_imports_another_modules_private_names():
    private = [f"{module}:{line} {name} from {target}" for module in MODULES
               for target, names, line in _imports(module) for name in names
               if name.startswith("_") and not name.startswith("__") and target != module]
    assert private == []


def test_no_module_reads_a_private_name_of_a_module_it_imported():
    found = []
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text())
        aliases = {alias.asname or alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                   for alias in node.names if f"{node.module}.{alias.name}" in MODULES or node.module is None}
        found += [f"{module}:{node.lineno} {node.value.id}.{node.attr}" for node in ast.walk(tree)
                  if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                  and node.value.id in aliases and node.attr.startswith("_") and not node.attr.startswith("__")]
    assert found == []


def _strongly_connected(graph):
    """Tarjan's strongly connected components of ``graph`` (module → modules it imports)."""
    index, low, stack, on_stack, components = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for successor in graph.get(node, ()):
            if successor not in graph:
                continue
            if successor not in index:
                visit(successor)
                low[node] = min(low[node], low[successor])
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return components
