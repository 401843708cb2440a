"""Functions in another module, for tests of calls across modules; and a loader for
programs written as text (srcad reads a function's source from its file)."""
import contextlib
import importlib
import importlib.util
import itertools
import pathlib
import sys
import textwrap

import numpy as np

_MODULES = itertools.count()


def cube(x):
    return x ** 3


def scaled_tanh(x, scale=2.0):
    return np.tanh(x) * scale


def nested_call(x):
    return cube(scaled_tanh(x)) + x


def load_function(source, directory, name="f"):
    """The function ``name`` of a new module file in ``directory`` holding ``source``
    (after ``import numpy as np``)."""
    module_name = f"program_{next(_MODULES)}"
    path = pathlib.Path(directory) / f"{module_name}.py"
    path.write_text("import math\n\nimport numpy as np\n\n\n" + textwrap.dedent(source).lstrip("\n"))
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, name)


@contextlib.contextmanager
def importable_module(source, directory, name):
    """A module ``name`` holding ``source``, importable by its name (``from name import f``
    works, as it must for generated code that imports the user's functions) while in use."""
    (pathlib.Path(directory) / f"{name}.py").write_text(source)
    sys.path.insert(0, str(directory))
    try:
        yield importlib.import_module(name)
    finally:
        sys.path.remove(str(directory))
        sys.modules.pop(name, None)
