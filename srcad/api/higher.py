"""The public transforms beyond the gradient: ``jvp``, ``vjp``, ``jacobian``,
``hessian`` and ``hvp``.

Each returns a :class:`~srcad.api.transform.Transform`, as ``grad`` does: it
generates and compiles its code on first use, keeps it, and shows it as
``.source``; ``__wrapped__`` is the function it differentiates.

* ``jvp`` runs the forward mode of ``p12_forward.py``: one sweep computes the
  output and its tangent.
* ``vjp`` runs the two halves of reverse mode (``pipeline.reverse_split``):
  the forward sweep once per call, the backward sweep once per cotangent.
* ``jacobian`` multiplies the chain of Jacobians from the right, one column per
  input element (forward mode), or from the left, one row per output element
  (reverse mode); ``"auto"`` takes the side with fewer passes.
* ``hvp`` is forward over reverse: the tangent of the generated gradient, a
  small constant times the cost of one gradient. ``hessian`` applies it to
  each basis vector.
"""
import ast
import builtins
import inspect

import numpy as np

from ..compiler.passes.p12_forward import forward_function
from ..compiler.pipeline import reverse_split
from ..errors import SrcadError
from ..runtime import tree
from ..runtime.accumulate import add_at, describe_structure
from ..runtime.checks import check_derivatives, check_output
from ..runtime.finite import finite_checked
from .gradients import grad
from .transform import Transform, match_like, structure_mismatch

MODES = ("auto", "forward", "reverse")


class _Transform(Transform):
    """The transforms of this module: what they read after the function's own arguments."""

    @property
    def generated(self):
        raise AttributeError("srcad reads derivatives made by grad and value_and_grad only")

    def _split_trailing(self, args, what):
        """The original arguments and the trailing ones (tangents, or ``v``)."""
        count = len(self._subject.entries) if what == "tangent" else 1
        if len(args) < count:
            raise SrcadError(f"{self._label()} takes the function's arguments followed by "
                             f"{'one tangent per wrt entry' if what == 'tangent' else 'the vector v'}")
        return args[:len(args) - count], args[len(args) - count:]

    def _check_directions(self, directions, chosen, names, what):
        """Refuse a tangent (or ``v``) whose structure differs from its argument's."""
        for direction, argument, param in zip(directions, chosen, names):
            mismatch = structure_mismatch(direction, argument)
            if mismatch is not None:
                raise SrcadError(f"{self._label()}: the {what} for {param!r} must have its structure, "
                                 f"{describe_structure(argument)}, but it is {describe_structure(direction)}"
                                 f"{mismatch}")


# ---------------------------------------------------------------- forward mode


class JVP(_Transform):
    """``g(*args, *tangents)`` → ``(out, out_tangent)``: see :func:`jvp`."""

    def _generate(self, shape):
        return forward_function(shape.function, shape.wrt_names)

    def __call__(self, *args, **kwargs):
        primal, tangents = self._split_trailing(args, "tangent")
        shape, values, chosen = self._arguments(primal, kwargs)
        self._check_directions(tangents, chosen, shape.wrt_names, "tangent")
        generated = self._ready(shape)
        with finite_checked(self._label()):
            out, tangent = generated.function(*values, *tangents)
        check_output(out, containers=True)
        check_derivatives(tangent, self._subject.label)
        return out, match_like(tangent, out)


def jvp(f, wrt=0):
    """The Jacobian-vector product of ``f`` by forward mode, in one sweep.

    ``jvp(f, wrt)(*args, *tangents)`` returns ``(f(*args), J @ tangents)``: one
    tangent per entry of ``wrt``, each shaped like its argument, appended after
    the original arguments (keyword arguments may follow them). The returned
    function has ``.source``, the generated code: each line of ``f`` followed by
    the line of its tangent, named ``t_<variable>``.
    """
    return JVP(f, wrt)


# ---------------------------------------------------------------- reverse mode


class VJP(_Transform):
    """``g(*args)`` → ``(out, pullback)``: see :func:`vjp`."""

    def _generate(self, shape):
        generated = reverse_split(shape.function, shape.wrt_names)
        forward, backward = generated.function
        generated.mutated = _mutated_in_backward(backward)
        return generated

    def __call__(self, *args, **kwargs):
        shape, values, chosen = self._arguments(args, kwargs)
        generated = self._ready(shape)
        forward, backward = generated.function
        with finite_checked(self._label()):
            value, saved = forward(*values)
        check_output(value, containers=True)
        return value, Pullback(self, backward, saved, generated.mutated, chosen, value)


class Pullback:
    """The backward sweep of one call of a :func:`vjp` function: ``pullback(cotangent)``
    gives the derivatives of the ``wrt`` arguments. It may be called any number of
    times; the forward sweep ran once."""

    def __init__(self, transform, backward, saved, mutated, chosen, output=None):
        self._transform = transform
        self._backward = backward
        self._saved = saved
        self._mutated = mutated
        self._chosen = chosen
        self._output = output

    def __call__(self, cotangent):
        mismatch = structure_mismatch(cotangent, self._output)
        if mismatch is not None:
            raise SrcadError(f"{self._transform._label()}: the cotangent must have the structure of the output, "
                             f"{describe_structure(self._output)}, but it is {describe_structure(cotangent)}"
                             f"{mismatch}")
        saved = self._saved
        if self._mutated is None:
            self._mutated = set(range(len(saved)))
        if self._mutated:
            # the backward sweep pops its tapes and puts old values back into arrays: give it
            # copies of everything, which share memory among themselves as the originals do
            memo = {}
            saved = tuple(_copy(value, memo) for value in saved)
        with finite_checked(self._transform._label()):
            grads = self._backward(saved, cotangent)
        return self._transform._shaped_like(grads, self._chosen)


def _copy(value, memo):
    """A copy of ``value`` and of the arrays it holds; arrays that share memory (a view and
    its base, one array held twice) share the copy's memory in the same way."""
    if tree.is_container(value):
        return tree.rebuild(value, [_copy(item, memo) for item in tree.children(value)])
    if isinstance(value, np.ndarray):
        return _copy_array(value, memo)
    return value


def _copy_array(array, memo):
    root = array
    while isinstance(root.base, np.ndarray):
        root = root.base
    copied = memo.get(id(root))
    if copied is None:
        copied = memo[id(root)] = np.copy(root, order="K")
    if array is root:
        return copied
    if copied.strides != root.strides:
        return array.copy()  # a layout np.copy does not keep: no sharing to rebuild
    offset = array.__array_interface__["data"][0] - root.__array_interface__["data"][0]
    return np.ndarray(array.shape, array.dtype, buffer=copied, offset=offset, strides=array.strides)


def _mutated_in_backward(backward):
    """Positions in ``saved`` of the values the backward sweep changes in place:
    tapes and lists it pops from (or puts items back into), arrays it writes old values back into."""
    try:
        module = ast.parse(inspect.getsource(backward))
    except (OSError, TypeError, SyntaxError):
        return None
    function = module.body[0]
    saved_param = function.args.args[0].arg
    order = []
    for stmt in function.body:
        if isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Name) and stmt.value.id == saved_param:
            target = stmt.targets[0]
            order = [e.id for e in target.elts] if isinstance(target, ast.Tuple) else [target.id]
            break
    changed = set()
    scope = getattr(backward, "__globals__", {})
    for node in ast.walk(function):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr in ("pop", "append", "insert") and isinstance(node.func.value, ast.Name):
            changed.add(node.func.value.id)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                and _may_change_arguments(scope.get(node.func.id, getattr(builtins, node.func.id, None))):
            changed.update(argument.id for argument in node.args if isinstance(argument, ast.Name))
        if isinstance(node, ast.Assign):
            for target in node.targets:
                while isinstance(target, ast.Subscript):
                    target = target.value
                    if isinstance(target, ast.Name):
                        changed.add(target.id)
    if len(order) == 1:
        return {0} if order[0] in changed else set()
    return {position for position, variable in enumerate(order) if variable in changed}


def _may_change_arguments(callee):
    """Whether a function a backward sweep calls may change the values it is given: another
    backward sweep (of a function called inside, or chosen when the code runs) pops its
    tapes, and ``add_at`` adds into its buffer; NumPy, builtins and srcad's numeric helpers
    change nothing."""
    if callee is add_at:
        return True
    module = getattr(callee, "__module__", None) or ""
    return not (module.partition(".")[0] in ("numpy", "builtins", "math") or module in _UNCHANGING_HELPERS)


_UNCHANGING_HELPERS = ("srcad.runtime.numeric", "srcad.runtime.accumulate")


def vjp(f, wrt=0):
    """The vector-Jacobian product of ``f`` by reverse mode.

    ``vjp(f, wrt)(*args)`` runs the forward sweep once and returns
    ``(f(*args), pullback)``; ``pullback(cotangent)`` runs the backward sweep for
    a cotangent shaped like the output (an array, or the same tuple or nested
    container) and returns the derivatives of the ``wrt`` arguments, a single one
    or a tuple like :func:`srcad.grad`. ``pullback`` may be called many times.
    """
    return VJP(f, wrt)


# ---------------------------------------------------------------- Jacobians


class Jacobian(_Transform):
    """``J(*args)`` → the Jacobian: see :func:`jacobian`."""

    def __init__(self, f, wrt, mode):
        if mode not in MODES:
            raise SrcadError(f"jacobian mode is one of {', '.join(map(repr, MODES))}, not {mode!r}")
        super().__init__(f, wrt)
        self.mode = mode
        self._forward = JVP(f, wrt)
        self._reverse = VJP(f, wrt)

    def _program(self):
        """The generated source of the mode(s) this Jacobian may run."""
        if self.mode == "forward":
            return self._forward._program()
        if self.mode == "reverse":
            return self._reverse._program()
        (forward, forward_programs), (reverse, reverse_programs) = self._forward._program(), self._reverse._program()
        return "# forward mode\n" + forward + "\n# reverse mode\n" + reverse, forward_programs + reverse_programs

    def __call__(self, *args, **kwargs):
        shape, _, chosen = self._arguments(args, kwargs)
        for param, x in zip(shape.wrt_names, chosen):
            if not isinstance(x, (float, np.ndarray, np.generic)):
                raise SrcadError(f"jacobian differentiates with respect to arrays and floats; "
                                 f"{param!r} is a {type(x).__name__}")
        mode = self.mode
        if mode == "auto":
            out = self.__wrapped__(*args, **kwargs)
            # as many passes either way on a tie: forward mode then, which keeps no tape
            mode = "forward" if sum(np.size(x) for x in chosen) <= np.size(out) else "reverse"
        blocks = self._by_columns(args, kwargs, chosen) if mode == "forward" else self._by_rows(args, kwargs, chosen)
        return blocks[0] if self._single else tuple(blocks)

    def _by_columns(self, args, kwargs, chosen):
        """Forward mode: ``J e_i`` for each basis vector ``e_i`` of each argument, all basis
        vectors in one sweep when the function allows it (see :func:`_columns`)."""
        out = _array_output(self.__wrapped__(*args, **kwargs), self._label())

        forward = self._forward
        shape, values, _ = forward._arguments(args, kwargs)
        generated = forward._ready(shape)

        def tangent_of(tangents):  # the generated code itself: a batch of tangents keeps its axis
            with finite_checked(self._label()):
                tangent = _array_output(generated.function(*values, *tangents)[1], self._label())
            if _one_direction(tangents, chosen):
                tangent = match_like(tangent, out)
            return [np.asarray(tangent)]

        blocks = []
        for k, x in enumerate(chosen):
            (columns,) = _columns(tangent_of, chosen, k)
            blocks.append(np.reshape(np.moveaxis(columns, 0, -1), np.shape(out) + np.shape(x)))
        return blocks

    def _by_rows(self, args, kwargs, chosen):
        """Reverse mode: ``e_j^T J`` for each basis vector ``e_j`` of the output, one forward sweep."""
        out, pullback = self._reverse(*args, **kwargs)
        out = _array_output(out, self._label())
        rows = [[] for _ in chosen]
        for basis in _basis(out):
            grads = pullback(basis)
            grads = (grads,) if self._single else grads
            for k, g in enumerate(grads):
                rows[k].append(g)
        return [np.reshape(np.stack(r), np.shape(out) + np.shape(x)) for r, x in zip(rows, chosen)]


def jacobian(f, wrt=0, *, mode="auto"):
    """The Jacobian of ``f``: ``J(*args)`` has shape ``out.shape + arg.shape``
    (a tuple of them for a tuple ``wrt``).

    ``mode="forward"`` builds it column by column, one forward-mode sweep per
    element of the arguments; ``mode="reverse"`` row by row, one backward sweep
    per element of the output after a single forward sweep. ``"auto"`` counts
    the passes: forward mode when the arguments have fewer elements than the
    output (or as many), reverse mode when they have more (for a scalar output
    of an array, that is one backward sweep: the gradient).
    """
    return Jacobian(f, wrt, mode)


def _basis(x):
    """The basis vectors of the space ``x`` lives in, in ``x``'s float dtype."""
    if isinstance(x, (float, int)):
        yield 1.0
        return
    dtype = x.dtype if np.issubdtype(np.result_type(x), np.floating) else np.float64
    for index in np.ndindex(np.shape(x)):
        e = np.zeros(np.shape(x), dtype=dtype)
        e[index] = 1.0
        yield e


def _columns(linear_map, chosen, k):
    """``linear_map`` (a list of directions, one per argument → a list of arrays) applied to
    every basis vector of argument ``k``: a list of arrays with a leading axis of basis vectors.

    All basis vectors go through in one sweep, as a leading batch axis, when the generated
    code carries it through: elementwise work and matrix products do, a reduction over axis
    0 or an index into the first axis does not. A random combination of the basis vectors,
    run on its own, checks the batched result; if it disagrees, or the batch fails, the
    basis vectors go one sweep each.
    """
    x = chosen[k]
    directions = list(_basis(x))

    def apply(direction):
        return linear_map([direction if j == k else _zeros(y) for j, y in enumerate(chosen)])

    if len(directions) > 1:
        batch = np.stack(directions)
        try:
            with np.errstate(all="ignore"):
                batched = apply(batch)
                weights = np.random.default_rng(len(directions)).standard_normal(len(directions))
                combined = apply(np.tensordot(weights, batch, axes=1))
            if all(np.shape(b) == (len(directions),) + np.shape(c) and
                   np.allclose(np.tensordot(weights, b, axes=1), c, rtol=1e-8, atol=1e-12 * (1 + np.max(np.abs(c))))
                   for b, c in zip(batched, combined)):
                return batched
        except (ValueError, TypeError, IndexError, ArithmeticError):
            pass  # the code does not carry a batch axis: one sweep per basis vector
    outputs = [apply(direction) for direction in directions]
    return [np.stack([output[j] for output in outputs]) for j in range(len(outputs[0]))]


def _one_direction(directions, chosen):
    """Whether ``directions`` is one direction (shaped like the arguments), not a batch."""
    return all(np.shape(d) == np.shape(x) for d, x in zip(directions, chosen))


def _zeros(x):
    """A zero direction for ``x``."""
    if isinstance(x, (float, int)):
        return 0.0
    dtype = np.result_type(x)
    return np.zeros(np.shape(x), dtype=dtype if np.issubdtype(dtype, np.floating) else np.float64)


def _array_output(value, label):
    if isinstance(value, (tuple, list, dict)):
        raise SrcadError(f"{label}: the output is a {type(value).__name__}; jacobian needs an array or a "
                         f"number (use srcad.vjp or srcad.jvp for containers)")
    return value


# ---------------------------------------------------------------- second order


class HVP(_Transform):
    """``h(*args, v)`` → the Hessian-vector product: see :func:`hvp`."""

    def _generate(self, shape):
        gradient = grad(shape.function, wrt=tuple(shape.wrt_names))
        return forward_function(gradient, shape.wrt_names, tangent_only=True, prefix="hvp_")

    def __call__(self, *args, **kwargs):
        primal, (v,) = self._split_trailing(args, "v")
        shape, values, chosen = self._arguments(primal, kwargs)
        tangents = (v,) if self._single else tuple(v)
        if len(tangents) != len(chosen):
            raise SrcadError(f"{self._label()}: v has {len(tangents)} parts for {len(chosen)} wrt arguments")
        self._check_directions(tangents, chosen, shape.wrt_names, "v")
        generated = self._ready(shape)
        with finite_checked(self._label()):
            return self._shaped_like(generated.function(*values, *tangents), chosen)


def hvp(f, wrt=0):
    """The Hessian-vector product of the scalar function ``f``, without forming
    the Hessian.

    ``hvp(f, wrt)(*args, v)`` returns ``H v`` where ``H`` is the Hessian of ``f``
    with respect to the ``wrt`` arguments (``v`` and the result are shaped like
    the argument, or tuples of them for a tuple ``wrt``). It is forward mode
    applied to the gradient srcad generates for ``f`` (forward over reverse,
    ``d/dε grad f(x + ε v)`` at ``ε = 0``), so it costs a small constant times
    one gradient.
    """
    return HVP(f, wrt)


class Hessian(_Transform):
    """``H(*args)`` → the Hessian: see :func:`hessian`."""

    def __init__(self, f, wrt):
        super().__init__(f, wrt)
        self._hvp = HVP(f, wrt)

    def _generate(self, shape):
        return self._hvp._compile(shape)

    def __call__(self, *args, **kwargs):
        shape, values, chosen = self._hvp._arguments(args, kwargs)
        generated = self._hvp._ready(shape)

        def products_of(v):  # the generated code itself: a batch of directions keeps its axis
            with finite_checked(self._hvp._label()):
                products = generated.function(*values, *v)
            products = (products,) if self._single else products
            if _one_direction(v, chosen):
                products = [match_like(p, x) for p, x in zip(products, chosen)]
            return [np.asarray(p) for p in products]

        columns = [_columns(products_of, chosen, k) for k in range(len(chosen))]
        blocks = [[np.reshape(np.moveaxis(columns[k][j], 0, -1), np.shape(chosen[j]) + np.shape(chosen[k]))
                   for k in range(len(chosen))] for j in range(len(chosen))]
        return blocks[0][0] if self._single else tuple(tuple(row) for row in blocks)


def hessian(f, wrt=0):
    """The Hessian of the scalar function ``f``: ``H(*args)`` has shape
    ``arg.shape + arg.shape``; for a tuple ``wrt``, a tuple of tuples of blocks
    ``H[i][j]`` of shape ``arg_i.shape + arg_j.shape``. Built from :func:`hvp`
    on each basis vector.
    """
    return Hessian(f, wrt)


__all__ = ["jvp", "vjp", "jacobian", "hessian", "hvp", "Pullback"]
