"""The command line: ``python -m srcad show path/to/file.py:function``.

Prints the derivative srcad generates for a function in a file, without
calling it. Mistakes (no such file, no such function, something srcad cannot
differentiate) end with a one-paragraph message on stderr and exit status 2,
never a traceback.
"""
import argparse
import importlib.util
import os
import sys

USAGE_ERROR = 2


class CommandError(Exception):
    """A mistake in the command line or the file it names: reported, not raised."""


def main(argv=None):
    """Run the command line; returns the exit status."""
    parser = _parser()
    options = parser.parse_args(argv)
    try:
        print(show(options.target, options.wrt, options.mode, optimize=not options.no_optimize), end="")
    except CommandError as error:
        print(f"srcad show: {error}", file=sys.stderr)
        return USAGE_ERROR
    return 0


def _parser():
    parser = argparse.ArgumentParser(
        prog="python -m srcad",
        description="Automatic differentiation of Python and NumPy by source transformation.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="command")
    show_command = commands.add_parser(
        "show", help="print the generated derivative source of a function in a file",
        description="Print the Python source srcad generates for the derivative of a function.")
    show_command.add_argument("target", metavar="FILE.py:FUNCTION",
                              help="the file and the function in it (Class.method works too)")
    show_command.add_argument("--wrt", default="0", metavar="0,1",
                              help="arguments to differentiate: positions or parameter names, "
                                   "separated by commas (default: 0)")
    show_command.add_argument("--mode", choices=("reverse", "forward"), default="reverse",
                              help="reverse mode (srcad.grad, the default) or forward mode (srcad.jvp)")
    show_command.add_argument("--no-optimize", action="store_true",
                              help="show the derivative before the optimisation pass")
    return parser


def show(target, wrt="0", mode="reverse", optimize=True):
    """The generated source for ``target`` (``file.py:function``) as a string."""
    import srcad

    path, qualname = _split_target(target)
    function = _load_function(path, qualname)
    wrt = parse_wrt(wrt)
    try:
        if mode == "forward":
            jvp = getattr(srcad, "jvp", None)
            if jvp is None:
                raise CommandError("forward mode is unavailable: this version of srcad has no srcad.jvp; "
                                   "use --mode reverse")
            derivative = jvp(function, wrt)
        else:
            derivative = srcad.grad(function, wrt, optimize=optimize)
        source = getattr(derivative, "source", None)
    except srcad.SrcadError as error:
        raise CommandError(f"cannot differentiate {qualname} in {path}:\n{error}") from None
    if not isinstance(source, str):
        raise CommandError(f"srcad.{'jvp' if mode == 'forward' else 'grad'} gave no generated source "
                           f"for {qualname}")
    return source


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
    if not os.path.isfile(path):
        raise CommandError(f"no such file: {path}")
    module = _import_path(path)
    obj = module
    for part in qualname.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            defined = sorted(n for n, v in vars(module).items()
                             if callable(v) and getattr(v, "__module__", None) == module.__name__)
            hint = f"; it defines {', '.join(defined)}" if defined else ""
            raise CommandError(f"{path} has no function {qualname!r}{hint}") from None
    if not callable(obj):
        raise CommandError(f"{qualname} in {path} is a {type(obj).__name__}, not a function")
    return obj


def _import_path(path):
    """Import a Python file as a module (not as ``__main__``: its script part does not run)."""
    path = os.path.abspath(path)
    stem = os.path.splitext(os.path.basename(path))[0]
    module_name = stem if stem.isidentifier() and stem not in sys.modules else f"srcad_show_{abs(hash(path))}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise CommandError(f"cannot import {path}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    sys.path.insert(0, os.path.dirname(path))  # its sibling modules import as they would for a script
    try:
        spec.loader.exec_module(module)
    except Exception as error:  # noqa: BLE001 - the user's module failing is reported, not raised
        del sys.modules[module_name]
        where = ""
        tb = error.__traceback__
        while tb is not None:
            if os.path.abspath(tb.tb_frame.f_code.co_filename) == path:
                where = f" (line {tb.tb_lineno})"
            tb = tb.tb_next
        if isinstance(error, SyntaxError) and error.lineno:
            where = f" (line {error.lineno})"
        raise CommandError(f"importing {path} failed{where}: {type(error).__name__}: {error}") from None
    return module
