"""Print the generated tree as readable source and compile it.

Each line that comes from a line of the user's function ends with a comment
naming it (``# model.py:3``). The source is stored under a file name of its own
(:func:`srcad.runtime.sources.register_source`), so tracebacks through generated
code show its lines.
"""
import ast
import weakref

import gast

from ...runtime import dispatch, forward
from ...runtime.sources import register_source, release_source

_COMMENT_COLUMN = 44


def to_source(function_node, location=None, note=None):
    """Source text of a gast ``FunctionDef``; ``location(origin)`` names a user line, and
    ``note(stmt)`` is a comment to put above a statement (or None)."""
    lines = []
    header = _unparse(gast.FunctionDef(name=function_node.name, args=function_node.args, body=[gast.Pass()],
                                       decorator_list=[], returns=None, type_comment=None, type_params=[]))
    lines.append((header.splitlines()[0], None))
    docstring = getattr(function_node, "srcad_docstring", None)
    if docstring:
        lines.append((f'    """{docstring}"""', None))
    _block(function_node.body, 1, lines, location, note)
    width = max((len(text) for text, comment in lines if comment), default=0)
    column = min(max(width + 2, _COMMENT_COLUMN), 80)
    out = []
    for text, comment in lines:
        out.append(f"{text.ljust(column - 2)}  # {comment}" if comment else text)
    return "\n".join(out) + "\n"


def _block(stmts, depth, lines, location, note=None):
    indent = "    " * depth
    for stmt in stmts:
        comment = location(stmt.srcad_origin) if location and getattr(stmt, "srcad_origin", None) else None
        above = note(stmt) if note else None
        if above:
            lines.append((f"{indent}# {above}", None))
        if isinstance(stmt, gast.If):
            _if(stmt, depth, lines, location, "if", note)
        elif isinstance(stmt, gast.For):
            lines.append((f"{indent}for {_unparse(stmt.target)} in {_unparse(stmt.iter)}:", comment))
            _block(stmt.body, depth + 1, lines, location, note)
        elif isinstance(stmt, gast.While):
            lines.append((f"{indent}while {_unparse(stmt.test)}:", comment))
            _block(stmt.body, depth + 1, lines, location, note)
        elif isinstance(stmt, gast.Expr) and isinstance(stmt.value, gast.Constant) \
                and isinstance(stmt.value.value, str) and getattr(stmt, "srcad_comment", False):
            lines.append((f"{indent}# {stmt.value.value}", None))
        elif isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Tuple):
            # a, b = ...: without the parentheses some Python versions add
            elements = stmt.targets[0].elts
            targets = ", ".join(_unparse(element) for element in elements) + ("," if len(elements) == 1 else "")
            lines.append((f"{indent}{targets} = {_unparse(stmt.value)}", comment))
        else:
            lines.append((indent + _unparse(stmt), comment))


def _if(stmt, depth, lines, location, keyword, note=None):
    indent = "    " * depth
    comment = location(stmt.srcad_origin) if location and getattr(stmt, "srcad_origin", None) else None
    lines.append((f"{indent}{keyword} {_unparse(stmt.test)}:", comment))
    _block(stmt.body, depth + 1, lines, location, note)
    if len(stmt.orelse) == 1 and isinstance(stmt.orelse[0], gast.If):
        _if(stmt.orelse[0], depth, lines, location, "elif", note)
    elif stmt.orelse:
        lines.append((f"{indent}else:", None))
        _block(stmt.orelse, depth + 1, lines, location, note)


def _unparse(node):
    tree = ast.fix_missing_locations(gast.gast_to_ast(node))
    return ast.unparse(tree)


def run_time_notes(objects):
    """``note`` for :func:`to_source`: above a call whose function is known only when the code
    runs (``call_forward(act, ...)``, ``call_jvp(act, ...)``), a comment saying so; ``objects``
    are the generated code's globals."""
    dispatchers = (dispatch.call_forward, forward.call_jvp, forward.call_forward_jvp)

    def note(stmt):
        value = getattr(stmt, "value", None)
        if not isinstance(stmt, gast.Assign) or not isinstance(value, gast.Call) or not value.args \
                or not isinstance(value.func, gast.Name) \
                or all(objects.get(value.func.id) is not d for d in dispatchers):
            return None
        callee = _unparse(value.args[0])
        if isinstance(value.args[0], gast.Name) and getattr(objects.get(callee), "srcad_checkpoint", False):
            return f"{callee} is checkpointed: made when this runs, its backward sweep recomputes its forward sweep"
        return f"{callee} is known only when this runs: srcad finds its rule, or transforms it, then"

    return note


def comment(text):
    """A comment line in generated code."""
    node = gast.Expr(value=gast.Constant(value=text, kind=None))
    node.srcad_comment = True
    return node


def compile_source(source, function_name, namespace, label):
    """Execute generated ``source`` in ``namespace`` and return the function it defines."""
    filename = register_source(source, label)
    code = compile(source, filename, "exec")
    exec(code, namespace)  # noqa: S102 - this is the compiler's job
    # the lines are kept as long as the code's globals are (every function it defines holds
    # them): code made and dropped leaves nothing behind in linecache or on disk
    namespace[filename] = keeper = _LinesKeeper()
    weakref.finalize(keeper, release_source, filename)
    return namespace[function_name]


class _LinesKeeper:
    """Lives in generated code's globals; when they go, its source's linecache entry goes too."""
