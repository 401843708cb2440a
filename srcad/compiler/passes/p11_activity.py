"""Activity analysis. Which variables carry a derivative.

A variable is *varied* when it may depend on a differentiated argument through
differentiable operations, and *useful* when the output may depend on it. Only
variables that are both are *active*: they get an adjoint; everything else is
a constant to the derivative.
"""
import gast

from ...errors import NonDifferentiableError
from ..resolve import classify
from ...runtime.accumulate import add_at
from ..syntax import appended, assigned_variables


def active_variables(fn, node, wrt_names, outputs, local_names, constants=frozenset()):
    """The set of active variable names of the A-normal-form function ``node``; no derivative
    flows into the names in ``constants`` (shifts that contribute nothing, say)."""
    assignments = [s for s in gast.walk(node) if isinstance(s, gast.Assign)]
    carriers = [(s, _targets(s), set() if _targets(s) <= constants else
                 _derivative_sources(fn, s.value, local_names) | _written_into(s)) for s in assignments]
    for stmt in gast.walk(node):
        append = appended(stmt)
        if append is not None:
            carriers.append((stmt, {append[0]}, flowing_names(append[1])))
        accumulated = accumulation(fn, stmt, local_names)
        if accumulated is not None:
            carriers.append((stmt, {accumulated[0]}, flowing_names(accumulated[1])))
    varied = set(wrt_names)
    _propagate(carriers, varied, forward=True)
    useful = set(outputs)
    _propagate(carriers, useful, forward=False)
    active = varied & useful
    _refuse_active_callee(fn, assignments, active)
    return active


def _propagate(carriers, marked, forward):
    changed = True
    while changed:
        changed = False
        for _, targets, sources in carriers:
            before, after = (sources, targets) if forward else (targets, sources)
            if before & marked and not after <= marked:
                marked.update(after)
                changed = True


def _callee_sources(callee, local_names):
    """Names whose derivative flows into what a call calls: the object of a method, or a
    callable that is itself a value of the function (a partial built from derivatives)."""
    if isinstance(callee, gast.Attribute):
        return flowing_names(callee.value)
    if isinstance(callee, gast.Name) and callee.id not in local_names:
        return set()  # a global function
    return flowing_names(callee)


def _refuse_active_callee(fn, assignments, active):
    """A call of a callable value that carries a derivative (``g = functools.partial(layer, W)``,
    then ``g(x)``) would treat what the callable holds as constants: refuse it."""
    for stmt in assignments:
        if isinstance(stmt.value, gast.Call):
            refuse_carrying_callee(fn, stmt, stmt.value, active)


def refuse_carrying_callee(fn, stmt, call, carriers):
    """Refuse ``call`` when what it calls is built from a value that carries a derivative."""
    if isinstance(call.func, gast.Attribute):
        return  # a method: its object is an argument of the method's rule
    carrying = sorted(flowing_names(call.func) & set(carriers))
    if carrying:
        raise NonDifferentiableError(
            f"cannot differentiate a call of a callable built from {carrying[0]}, which carries a "
            f"derivative (such as functools.partial(layer, W)): srcad does not follow a derivative "
            f"through what a callable holds. Call the function with all its arguments instead "
            f"(layer(W, x)){fn.where(stmt)}")


def _targets(stmt):
    return set(assigned_variables(stmt))


def _derivative_sources(fn, value, local_names):
    """Names whose derivative flows into ``value``."""
    operation = classify(fn, value, local_names)
    if operation is not None and operation.nondifferentiable:
        return set()
    if isinstance(value, gast.Call):
        names = set()
        for arg in list(value.args) + [k.value for k in value.keywords]:
            names |= flowing_names(arg)
        return names | _callee_sources(value.func, local_names)
    return flowing_names(value)


def _written_into(stmt):
    """``y[i] = v`` keeps the rest of ``y``: its old derivative flows on."""
    return set(assigned_variables(stmt)) if isinstance(stmt.targets[0], gast.Subscript) else set()


_SHAPE_ATTRIBUTES = {"shape", "ndim", "size", "dtype"}


def flowing_names(expr):
    """Names whose derivative may flow into ``expr``: not shapes. Names in an index count too:
    ``np.r_[a, b]`` joins ``a`` and ``b``, and an index of an array that carries a derivative is
    refused rather than ignored."""
    if isinstance(expr, gast.Attribute):
        return set() if expr.attr in _SHAPE_ATTRIBUTES else flowing_names(expr.value)
    if isinstance(expr, gast.Subscript):
        return flowing_names(expr.value) | flowing_names(expr.slice)
    if isinstance(expr, (gast.Compare, gast.BoolOp)):
        return set()
    if isinstance(expr, gast.Name):
        return {expr.id}
    names = set()
    for child in gast.iter_child_nodes(expr):
        names |= flowing_names(child)
    return names


def accumulation(fn, stmt, local_names):
    """``(buffer, g)`` for a statement ``add_at(buffer, index, g)`` (generated code), else None."""
    if not (isinstance(stmt, gast.Expr) and isinstance(stmt.value, gast.Call) and len(stmt.value.args) == 3):
        return None
    operation = classify(fn, stmt.value, local_names)
    buffer = stmt.value.args[0]
    if operation is not None and operation.function is add_at and isinstance(buffer, gast.Name):
        return buffer.id, stmt.value.args[2]
    return None


def refuse_active_index(fn, stmt, index, carriers):
    """Refuse a subscript of a constant whose index carries a derivative: indexing only selects,
    so such a subscript computes something srcad has no rule for (``join = np.r_; join[x, x]``)."""
    carrying = sorted(flowing_names(index) & set(carriers))
    if carrying:
        raise NonDifferentiableError(
            f"cannot differentiate the subscript of a constant with index {carrying[0]}, which "
            f"carries a derivative: an index only selects. Index with integers (int(...), "
            f"np.argmax), or write np.r_[...] and np.c_[...] as such{fn.where(stmt)}")
