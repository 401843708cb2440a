"""The command line: ``python -m srcad show|check|export FILE.py:FUNCTION``.

``show`` prints the derivative srcad generates for a function in a file, ``check`` compares
it with central finite differences at random inputs, ``export`` writes it as a module that
needs only NumPy. The file is imported as ``import`` would (its top-level code runs; its
``if __name__ == "__main__":`` part does not); a file inside a package is imported as part of
its package, so its relative imports work. Mistakes (no such file, no such function,
something srcad cannot differentiate) end with a one-paragraph message on stderr and exit
status 2, never a traceback; a failed check exits with status 1.
"""
import argparse
import importlib
import importlib.util
import inspect
import os
import sys

import numpy as np

USAGE_ERROR = 2
CHECK_FAILED = 1
MODES = ("reverse", "forward", "jvp", "hvp")
TOLERANCE = 1e-5  # the relative error above which a check fails


class CommandError(Exception):
    """A mistake in the command line or the file it names: reported, not raised."""


def main(argv=None):
    """Run the command line; returns the exit status."""
    options = _parser().parse_args(argv)
    try:
        return options.run(options)
    except CommandError as error:
        print(f"srcad {options.command}: {error}", file=sys.stderr)
        return USAGE_ERROR


def _parser():
    parser = argparse.ArgumentParser(
        prog="python -m srcad",
        description="Automatic differentiation of Python and NumPy by source transformation.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="command")
    show_command = commands.add_parser(
        "show", help="print the generated derivative source of a function in a file",
        description="Print the Python source srcad generates for the derivative of a function. "
                    "The file is imported (its top-level code runs, its __main__ part does not).")
    _target_arguments(show_command)
    show_command.add_argument("--no-optimize", action="store_true",
                              help="show the derivative before the optimisation pass")
    show_command.set_defaults(run=_run_show)
    check_command = commands.add_parser(
        "check", help="check the generated derivative against finite differences",
        description="Compare the generated derivative with central finite differences at random "
                    "inputs of the given shapes; exit status 1 if they differ.")
    _target_arguments(check_command, shapes_required=True, modes=False)
    check_command.add_argument("--seed", type=int, default=0, help="the random inputs' seed (default: 0)")
    check_command.add_argument("--tolerance", type=float, default=TOLERANCE,
                               help=f"the largest relative error that passes (default: {TOLERANCE:g})")
    check_command.set_defaults(run=_run_check)
    export_command = commands.add_parser(
        "export", help="write the generated derivative as a module that needs only NumPy",
        description="Write the generated derivative as a Python module whose only dependency is NumPy: "
                    "srcad's helpers are copied in, your functions are imported from their module.")
    _target_arguments(export_command)
    export_command.add_argument("--no-optimize", action="store_true", help="export the unoptimised derivative")
    export_command.add_argument("-o", "--output", metavar="d_func.py", help="the file to write (default: stdout)")
    export_command.set_defaults(run=_run_export)
    return parser


def _target_arguments(command, shapes_required=False, modes=True):
    command.add_argument("target", metavar="FILE.py:FUNCTION",
                         help="the file and the function in it (Class.method works too)")
    command.add_argument("--wrt", metavar="0,1",
                         help="arguments to differentiate: positions or parameter names, separated by commas "
                              "(default: the first argument; after self for Class.method)")
    if modes:
        command.add_argument("--mode", choices=MODES, default="reverse",
                             help="reverse mode (srcad.grad, the default), forward or jvp (srcad.jvp), "
                                  "or hvp (srcad.hvp, forward over reverse)")
    command.add_argument("--shapes", metavar='"x=3,4 W=4,2"', required=shapes_required,
                         help="the shape of each array argument (name=3,4; name= for a float; "
                              "name=5:int for integers 0 or 1); the derivative is made for a call "
                              "with random arrays of those shapes")


# ---------------------------------------------------------------- the commands


def _run_show(options):
    print(_highlighted(show(options.target, options.wrt, options.mode, optimize=not options.no_optimize,
                            shapes=options.shapes)), end="")
    return 0


def _run_export(options):
    derivative = _derivative(options.target, options.wrt, options.mode, not options.no_optimize, options.shapes)
    import srcad

    from srcad.api.export import standalone_source

    try:
        text = srcad.export(derivative.transform, options.output) if options.output else \
            standalone_source(derivative.transform)
    except srcad.SrcadError as error:
        raise CommandError(str(error)) from None
    except OSError as error:
        raise CommandError(f"cannot write {options.output}: {error.strerror}") from None
    if options.output:
        print(f"wrote {options.output}: {derivative.label}, which needs only NumPy", file=sys.stderr)
    else:
        print(text, end="")
    return 0


def _run_check(options):
    import srcad

    target = _Target(options.target, options.wrt)
    inputs = random_inputs(target.function, parse_shapes(options.shapes), np.random.default_rng(options.seed),
                           target.instance())
    try:
        errors = finite_difference_errors(target.function, inputs, target.wrt)
    except srcad.SrcadError as error:
        raise CommandError(f"cannot differentiate {target.qualname} in {target.path}:\n{error}") from None
    failed = False
    for name, error in errors.items():
        verdict = "ok" if error <= options.tolerance else "FAILED"
        failed |= verdict == "FAILED"
        print(f"{name}: max relative error {error:.1e} {verdict}")
    return CHECK_FAILED if failed else 0


# ---------------------------------------------------------------- show


def show(target, wrt=None, mode="reverse", optimize=True, shapes=None):
    """The generated source for ``target`` (``file.py:function``) as a string."""
    return _derivative(target, wrt, mode, optimize, shapes).source


class _Derivative:
    """A transform of the target and the source it shows."""

    def __init__(self, transform, label):
        self.transform = transform
        self.label = label
        self.source = transform.source


def _derivative(target_text, wrt, mode, optimize, shapes):
    import srcad

    target = _Target(target_text, wrt)
    function, wrt = target.function, target.wrt
    inputs = None
    if shapes:
        inputs = random_inputs(function, parse_shapes(shapes), np.random.default_rng(0), target.instance())
    try:
        if mode == "reverse":
            transform = _reverse(target, inputs, optimize)
        elif mode == "hvp":
            transform = srcad.hvp(function, wrt)
            if inputs is not None:
                transform(*inputs, _chosen(inputs, function, wrt))
        else:
            transform = srcad.jvp(function, wrt)
            if inputs is not None:
                transform(*inputs, *_listed(_chosen(inputs, function, wrt), wrt))
        return _Derivative(transform, f"{type(transform).__name__.lower()} of {target.qualname}")
    except srcad.SrcadError as error:
        raise CommandError(f"cannot differentiate {target.qualname} in {target.path}:\n{error}") from None


def _reverse(target, inputs, optimize):
    """``srcad.grad`` of the target; for an output that is not a scalar, a warning and ``srcad.vjp``."""
    import srcad
    from srcad.runtime.accumulate import NonScalarOutputError

    function, wrt = target.function, target.wrt
    if inputs is not None:
        output = function(*inputs)
        if np.size(output) != 1 or isinstance(output, (list, tuple, dict)):
            _warn_not_scalar(target, f"returns {_describe(output)} at the shapes given")
            vjp = srcad.vjp(function, wrt)
            vjp(*inputs)
            return vjp
    try:
        derivative = srcad.grad(function, wrt, optimize=optimize)
        if inputs is not None:
            derivative(*inputs)
        derivative.source
        return derivative
    except NonScalarOutputError:
        _warn_not_scalar(target, "does not return a scalar")
        return srcad.vjp(function, wrt)


def _warn_not_scalar(target, what):
    print(f"srcad: warning: {target.qualname} {what}; srcad.grad needs a scalar output, so this is the reverse "
          f"mode of srcad.vjp (a forward sweep, and a backward sweep that takes the output's cotangent)",
          file=sys.stderr)


def _describe(value):
    if isinstance(value, (list, tuple, dict)):
        return f"a {type(value).__name__}"
    return f"an array of shape {np.shape(value)}"


def _highlighted(source):
    """``source`` with colours when stdout is a terminal and pygments is installed."""
    if not sys.stdout.isatty() or os.environ.get("NO_COLOR"):
        return source
    try:
        from pygments import highlight
        from pygments.formatters import TerminalFormatter
        from pygments.lexers import PythonLexer
    except ImportError:
        return source
    return highlight(source, PythonLexer(), TerminalFormatter())


# ---------------------------------------------------------------- check


def finite_difference_errors(function, inputs, wrt, step=1e-6):
    """{argument: max relative error} between srcad's reverse mode and central differences of
    ``function`` at ``inputs``; an output that is not a scalar is checked through its inner
    product with a random cotangent (the vector-Jacobian product)."""
    import srcad

    output = function(*inputs)
    if isinstance(output, np.ndarray) and output.size != 1:
        cotangent = np.random.default_rng(1).normal(size=output.shape)
    else:
        cotangent = np.ones_like(output, dtype=float) if isinstance(output, np.ndarray) else 1.0
    _, pullback = srcad.vjp(function, wrt)(*inputs)
    gradients = _listed(pullback(cotangent), wrt)

    def scalar(*args):
        return float(np.sum(np.asarray(function(*args)) * cotangent))

    errors = {}
    for name, entry, gradient in zip(_names(function, wrt), _listed(wrt, wrt), gradients):
        numerical = _central_differences(scalar, inputs, _position(function, entry), step)
        scale = max(np.max(np.abs(numerical), initial=0.0), np.max(np.abs(gradient), initial=0.0), 1e-8)
        errors[name] = float(np.max(np.abs(np.asarray(gradient) - numerical), initial=0.0) / scale)
    return errors


def _central_differences(f, inputs, position, step):
    x = inputs[position]
    if isinstance(x, float):
        return np.float64((f(*_with(inputs, position, x + step)) - f(*_with(inputs, position, x - step))) / (2 * step))
    gradient = np.zeros_like(x, dtype=float)
    for index in np.ndindex(np.shape(x)):
        bump = np.zeros_like(x, dtype=float)
        bump[index] = step
        gradient[index] = (f(*_with(inputs, position, x + bump)) - f(*_with(inputs, position, x - bump))) / (2 * step)
    return gradient


def _with(inputs, position, value):
    changed = list(inputs)
    changed[position] = value
    return changed


def random_inputs(function, shapes, rng, instance=None):
    """Arguments for ``function``: random float64 arrays (or integers) of the ``shapes`` given
    by name, the defaults of parameters left out, and ``instance`` first for a method."""
    inputs = []
    parameters = list(inspect.signature(function).parameters.values())
    unknown = set(shapes) - {p.name for p in parameters}
    if unknown:
        raise CommandError(f"--shapes names {', '.join(sorted(unknown))}, which {function.__qualname__} has no "
                           f"parameter for; its parameters are {', '.join(p.name for p in parameters)}")
    for index, parameter in enumerate(parameters):
        if index == 0 and instance is not None:
            inputs.append(instance)
        elif parameter.name in shapes:
            shape, kind = shapes[parameter.name]
            if kind == "int":
                inputs.append(rng.integers(0, 2, size=shape))
            else:
                inputs.append(float(rng.normal()) if shape is None else rng.normal(size=shape))
        elif parameter.default is not inspect.Parameter.empty:
            inputs.append(parameter.default)
        else:
            raise CommandError(f"--shapes gives no shape for {parameter.name!r}: add {parameter.name}=3,4 "
                               f"(or {parameter.name}= for a float)")
    return inputs


def parse_shapes(text):
    """``"x=3,4 W=4,2 lam= y=5:int"`` → ``{"x": ((3, 4), "float"), ..., "lam": (None, "float"),
    "y": ((5,), "int")}``."""
    shapes = {}
    for entry in text.replace(";", " ").split():
        name, equals, shape = entry.partition("=")
        shape, _, kind = shape.partition(":")
        if not equals or not name.isidentifier() or kind not in ("", "int", "float"):
            raise CommandError(f"--shapes {entry!r}: write name=3,4 (an array), name= (a float) "
                               f"or name=5:int (integers), separated by spaces")
        try:
            dims = tuple(int(n) for n in shape.split(",") if n.strip()) if shape.strip() else None
        except ValueError:
            raise CommandError(f"--shapes {entry!r}: the shape is whole numbers separated by commas") from None
        shapes[name] = (dims if dims is not None or kind != "int" else (), kind or "float")
    return shapes


def _chosen(inputs, function, wrt):
    """The inputs at ``wrt`` (a single one, or a tuple)."""
    entries = [inputs[_position(function, entry)] for entry in _listed(wrt, wrt)]
    return entries[0] if not isinstance(wrt, tuple) else tuple(entries)


def _listed(values, wrt):
    return list(values) if isinstance(wrt, tuple) else [values]


def _position(function, entry):
    names = list(inspect.signature(function).parameters)
    return entry if isinstance(entry, int) else names.index(entry)


def _names(function, wrt):
    names = list(inspect.signature(function).parameters)
    return [names[entry] if isinstance(entry, int) else entry for entry in _listed(wrt, wrt)]


# ---------------------------------------------------------------- reading the target


class _Target:
    """The function a command names (``file.py:function`` or ``file.py:Class.method``) and its ``wrt``."""

    def __init__(self, text, wrt):
        self.path, self.qualname = _split_target(text)
        self.function, owner = _load_function(self.path, self.qualname)
        is_method = owner is not None and inspect.isfunction(self.function) and \
            not isinstance(inspect.getattr_static(owner, self.qualname.rsplit(".", 1)[1]), staticmethod)
        self.owner = owner if is_method else None
        self.wrt = parse_wrt(wrt if wrt is not None else "1" if is_method else "0")

    def instance(self):
        """An instance for a method's ``self`` (the class called with no arguments), or None."""
        if self.owner is None:
            return None
        try:
            return self.owner()
        except Exception as error:  # noqa: BLE001 - the user's constructor failing is reported
            raise CommandError(f"{self.qualname} is a method: making its self with {self.owner.__name__}() "
                               f"failed: {type(error).__name__}: {error}") from None


def parse_wrt(text):
    """``"0,1"`` → ``(0, 1)``; ``"W1"`` → ``"W1"``: one entry stays single, several make a tuple."""
    entries = [entry.strip() for entry in text.split(",")]
    if not all(entries):
        raise CommandError(f"--wrt {text!r}: give positions or parameter names separated by commas, "
                           f"e.g. --wrt 0,1 or --wrt W1,b1")
    parsed = []
    for entry in entries:
        try:
            parsed.append(int(entry))
        except ValueError:
            if not entry.isidentifier():
                raise CommandError(f"--wrt: {entry!r} is neither an argument position nor a parameter name") \
                    from None
            parsed.append(entry)
    return parsed[0] if len(parsed) == 1 else tuple(parsed)


def _split_target(target):
    path, colon, qualname = target.rpartition(":")
    if not colon or not path or not qualname:
        raise CommandError(f"{target!r}: name a function in a file as FILE.py:FUNCTION, e.g. model.py:loss")
    return path, qualname


def _load_function(path, qualname):
    """The function ``qualname`` of the file ``path``, and the class it is a method of (or None)."""
    if not os.path.isfile(path):
        raise CommandError(f"no such file: {path}")
    module = _import_path(path)
    obj, owner = module, None
    for part in qualname.split("."):
        try:
            owner, obj = obj, getattr(obj, part)
        except AttributeError:
            defined = sorted(n for n, v in vars(module).items()
                             if callable(v) and getattr(v, "__module__", None) == module.__name__)
            hint = f"; it defines {', '.join(defined)}" if defined else ""
            raise CommandError(f"{path} has no function {qualname!r}{hint}") from None
    if not callable(obj):
        raise CommandError(f"{qualname} in {path} is a {type(obj).__name__}, not a function")
    return obj, owner if isinstance(owner, type) else None


def _import_path(path):
    """Import a Python file as ``import`` would (not as ``__main__``: its script part does not
    run). A file in a package (a folder with ``__init__.py``) is imported as a module of it."""
    path = os.path.abspath(path)
    package_root, dotted = _package_of(path)
    if dotted is not None:
        if package_root not in sys.path:
            sys.path.insert(0, package_root)
        return _guarded(path, lambda: importlib.import_module(dotted))
    stem = os.path.splitext(os.path.basename(path))[0]
    module_name = stem if stem.isidentifier() and stem not in sys.modules else f"srcad_show_{abs(hash(path))}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise CommandError(f"cannot import {path}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    sys.path.insert(0, os.path.dirname(path))  # its sibling modules import as they would for a script

    def load():
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[module_name]
            raise
        return module

    return _guarded(path, load)


def _package_of(path):
    """``(folder to put on sys.path, dotted module name)`` for a file inside a package, else
    ``(None, None)``."""
    directory, filename = os.path.split(path)
    stem = os.path.splitext(filename)[0]
    parts = [stem]
    while os.path.isfile(os.path.join(directory, "__init__.py")):
        directory, package = os.path.split(directory)
        parts.insert(0, package)
    if len(parts) == 1 or not all(part.isidentifier() for part in parts):
        return None, None
    return directory, ".".join(parts[:-1] if stem == "__init__" else parts)


def _guarded(path, load):
    """``load()``, the user's module failing to import reported as a :class:`CommandError`."""
    try:
        return load()
    except Exception as error:  # noqa: BLE001 - the user's module failing is reported, not raised
        where = ""
        tb = error.__traceback__
        while tb is not None:
            if os.path.abspath(tb.tb_frame.f_code.co_filename) == path:
                where = f" (line {tb.tb_lineno})"
            tb = tb.tb_next
        if isinstance(error, SyntaxError) and error.lineno:
            where = f" (line {error.lineno})"
        raise CommandError(f"importing {path} failed{where}: {type(error).__name__}: {error}") from None
