"""Functions in another module, for tests of calls across modules; and a loader for
programs written as text (srcad reads a function's source from its file)."""
import importlib.util
import itertools
import pathlib
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
