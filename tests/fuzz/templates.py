"""The expressions the fuzzer writes: one template per form, typed by shape.

A template makes a value of one shape from values of given shapes; ``{0}``,
``{1}`` are its operands (each already an atom: a name, a call, a subscript or
a parenthesised expression), ``{i2}``/``{i3}`` an index into an axis of length
2 or 3, ``{c}`` a small constant. Every template is smooth at almost every
point; the ones with kinks (``nonsmooth``) are checked where finite
differences say the function is smooth there.
"""
from dataclasses import dataclass

SCALAR, SHORT, VECTOR, MATRIX = "s", "u", "v", "m"
SHAPES = {SCALAR: (), SHORT: (2,), VECTOR: (3,), MATRIX: (2, 3)}
NUMERIC = tuple(SHAPES)


@dataclass(frozen=True)
class Template:
    """One form of expression: see the module docstring."""
    feature: str
    result: str
    operands: tuple
    text: str


def _broadcast_pairs(shape):
    """Operand shapes that broadcast to ``shape`` (the column form of a SHORT to a MATRIX
    is written by the template itself)."""
    pairs = [(shape, shape)]
    if shape != SCALAR:
        pairs += [(shape, SCALAR), (SCALAR, shape)]
    if shape == MATRIX:
        pairs += [(MATRIX, VECTOR), (VECTOR, MATRIX)]
    return pairs


def _arithmetic():
    templates = []
    for shape in NUMERIC:
        for left, right in _broadcast_pairs(shape):
            for op in ("+", "-", "*"):
                templates.append(Template("arithmetic", shape, (left, right), f"({{0}} {op} {{1}})"))
            templates.append(Template("arithmetic", shape, (left, right), "({0} / (2.0 + np.cos({1})))"))
        if shape == MATRIX:
            templates.append(Template("arithmetic", MATRIX, (MATRIX, SHORT), "({0} * {1}[:, None])"))
            templates.append(Template("arithmetic", MATRIX, (SHORT, VECTOR), "({0}[:, None] + {1})"))
        for text in ("np.sin({0})", "np.cos({0})", "np.tanh({0})", "np.exp(np.sin({0}))",
                     "np.log(1.0 + {0} ** 2)", "np.sqrt(1.0 + {0} * {0})", "np.arctan({0})",
                     "(-{0})", "({0} ** 2)", "np.square({0})", "np.power({0}, 3)", "({c} * {0})",
                     "({0} + {c})", "({c} - {0})", "np.log1p(np.exp({0}))"):
            templates.append(Template("arithmetic", shape, (shape,), text))
    for text in ("math.sin({0})", "math.exp(math.tanh({0}))", "math.sqrt(2.0 + math.cos({0}))"):
        templates.append(Template("arithmetic", SCALAR, (SCALAR,), text))
    # changes of shape every program may need: sums and broadcasting
    templates += [
        Template("arithmetic", SCALAR, (VECTOR,), "np.sum({0})"),
        Template("arithmetic", SCALAR, (SHORT,), "np.sum({0})"),
        Template("arithmetic", SCALAR, (MATRIX,), "np.sum({0})"),
        Template("arithmetic", SHORT, (SCALAR,), "({0} * np.ones(2))"),
        Template("arithmetic", VECTOR, (SCALAR,), "({0} * np.ones(3))"),
        Template("arithmetic", MATRIX, (SCALAR,), "({0} * np.ones((2, 3)))"),
        Template("arithmetic", MATRIX, (VECTOR,), "({0} * np.ones((2, 1)))"),
        Template("arithmetic", MATRIX, (SHORT,), "({0}[:, None] * np.ones(3))"),
        Template("arithmetic", VECTOR, (MATRIX,), "np.sum({0}, axis=0)"),
        Template("arithmetic", SHORT, (MATRIX,), "np.sum({0}, axis=1)"),
        Template("arithmetic", SHORT, (SCALAR, SCALAR), "np.array([{0}, {1}])"),
        Template("arithmetic", VECTOR, (SHORT, SCALAR), "np.concatenate([{0}, np.array([{1}])])"),
        Template("arithmetic", MATRIX, (VECTOR, VECTOR), "np.stack([{0}, {1}])"),
    ]
    return templates


_REDUCTIONS = [
    (SCALAR, (VECTOR,), "np.mean({0})"), (SCALAR, (MATRIX,), "np.mean({0})"),
    (SCALAR, (VECTOR,), "np.prod({0})"), (SCALAR, (SHORT,), "{0}.sum()"),
    (SCALAR, (MATRIX,), "{0}.mean()"), (SCALAR, (VECTOR,), "np.var({0})"),
    # norm and std have a kink where their argument is 0 or constant, which broadcasting
    # (``s * np.ones(3)``) and cancellation (``a - a``) reach exactly: kept away from it
    (SCALAR, (VECTOR,), "np.linalg.norm({0} + np.array([0.5, -1.0, 1.5]))"),
    (SCALAR, (MATRIX,), "np.std({0} + np.arange(6.0).reshape(2, 3))"),
    (VECTOR, (MATRIX,), "{0}.sum(axis=0)"), (SHORT, (MATRIX,), "np.mean({0}, axis=1)"),
    (VECTOR, (MATRIX,), "np.mean({0}, axis=-2)"), (SHORT, (MATRIX,), "{0}.prod(axis=1)"),
    (VECTOR, (VECTOR,), "np.cumsum({0})"), (MATRIX, (MATRIX,), "({0} - np.mean({0}, axis=0, keepdims=True))"),
    (MATRIX, (MATRIX,), "np.cumsum({0}, axis=1)"), (SCALAR, (MATRIX,), "np.sum({0} ** 2, axis=(0, 1))"),
]

_MATMUL = [
    (SHORT, (MATRIX, VECTOR), "({0} @ {1})"), (VECTOR, (SHORT, MATRIX), "({0} @ {1})"),
    (SCALAR, (VECTOR, VECTOR), "({0} @ {1})"), (SCALAR, (SHORT, SHORT), "np.dot({0}, {1})"),
    (VECTOR, (MATRIX, SHORT), "({0}.T @ {1})"), (MATRIX, (SHORT, VECTOR), "np.outer({0}, {1})"),
    (SHORT, (MATRIX, VECTOR), "np.matmul({0}, {1})"), (SHORT, (MATRIX, VECTOR), "np.dot({0}, {1})"),
    (SHORT, (MATRIX, VECTOR), "np.einsum('ij,j->i', {0}, {1})"),
    (SCALAR, (MATRIX, MATRIX), "np.trace({0} @ {1}.T)"), (VECTOR, (SHORT, MATRIX), "np.tensordot({0}, {1}, axes=1)"),
    (SCALAR, (VECTOR, VECTOR), "np.inner({0}, {1})"), (SHORT, (MATRIX, MATRIX), "np.sum({0} @ {1}.T, axis=0)"),
    (MATRIX, (MATRIX, MATRIX), "(({0} @ {1}.T) @ {1})"),
]

_NONSMOOTH = [
    (shape, operands, text)
    for shape in NUMERIC
    for operands, text in [((shape,), "np.abs({0})"), ((shape,), "abs({0})"),
                           ((shape, shape), "np.maximum({0}, {1})"), ((shape, shape), "np.minimum({0}, {1})"),
                           ((shape, shape), "np.where({0} > {1}, {0}, {1})"), ((shape,), "np.clip({0}, -0.5, 0.5)"),
                           ((shape,), "np.sign({0})"), ((shape,), "np.floor({0})")]
] + [
    (SCALAR, (VECTOR,), "np.max({0})"), (SCALAR, (MATRIX,), "{0}.min()"), (VECTOR, (MATRIX,), "np.max({0}, axis=0)"),
    (SCALAR, (SCALAR, SCALAR), "max({0}, {1})"), (SCALAR, (SCALAR, SCALAR), "min({0}, {1})"),
    (VECTOR, (VECTOR,), "np.sort({0})"), (SCALAR, (SCALAR,), "round({0}, 1)"),
]

_BUILTINS = [
    (shape, operands, text)
    for shape in NUMERIC
    for operands, text in [((shape, shape), "sum([{0}, {1}])"), ((shape,), "sum([{0}, {0}, {0}])"),
                           ((shape, SCALAR), "(sum([{1}, {0}]) * {0})"), ((shape,), "(abs({c}) * {0})")]
] + [
    (SCALAR, (VECTOR,), "sum({0})"), (SCALAR, (SCALAR, SCALAR), "float({0} + {1})"),
    (SCALAR, (VECTOR,), "(len({0}) * {0}[0])"), (MATRIX, (SCALAR,), "(abs({0}) * np.ones((2, 3)))"),
]

_SUBSCRIPTS = [
    (SCALAR, (VECTOR,), "{0}[{i3}]"), (SCALAR, (SHORT,), "{0}[{i2}]"), (SCALAR, (MATRIX,), "{0}[{i2}, {i3}]"),
    (SCALAR, (MATRIX,), "{0}[{i2}][{i3}]"), (SHORT, (VECTOR,), "{0}[1:]"), (SHORT, (VECTOR,), "{0}[:2]"),
    (SHORT, (VECTOR,), "{0}[::2]"), (SHORT, (VECTOR,), "{0}[-2:]"), (SHORT, (MATRIX,), "{0}[:, {i3}]"),
    (VECTOR, (MATRIX,), "{0}[{i2}]"), (VECTOR, (MATRIX,), "{0}[{i2}, :]"), (VECTOR, (VECTOR,), "{0}[::-1]"),
    (MATRIX, (MATRIX,), "{0}[::-1]"), (MATRIX, (MATRIX,), "{0}[:, ::-1]"), (VECTOR, (VECTOR,), "{0}[[0, 2, 2]]"),
    (SHORT, (MATRIX,), "{0}[[1, 0], [2, 2]]"), (VECTOR, (MATRIX,), "{0}[..., {i2}, :]"),
    (MATRIX, (VECTOR,), "({0}[None, :] * np.ones((2, 1)))"), (SHORT, (MATRIX,), "{0}[:, 1:].sum(axis=1)"),
    (SCALAR, (VECTOR,), "np.sum({0}[{0} > 0.0])"),
]


def _templates():
    templates = _arithmetic()
    for feature, table in (("reductions", _REDUCTIONS), ("matmul", _MATMUL), ("nonsmooth", _NONSMOOTH),
                           ("builtins", _BUILTINS), ("subscripts", _SUBSCRIPTS)):
        templates += [Template(feature, result, operands, text) for result, operands, text in table]
    return tuple(templates)


TEMPLATES = _templates()
