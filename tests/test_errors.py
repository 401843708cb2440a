"""Every documented error (SPEC.md, "Errors"): what it is, and that it points at the user's line.

Lines that should be named in a message carry a ``# <- marker`` comment; the
tests find their numbers by reading this file, so editing it cannot break them.
"""
import math
import os
import traceback

import numpy as np
import pytest

import srcad
from srcad.rules import registry

THIS_FILE = os.path.abspath(__file__)
FILE_NAME = os.path.basename(THIS_FILE)
GLOBAL = 1.0


def line_of(marker):
    """The line number of the line of this file that ends with ``# <- marker``."""
    with open(THIS_FILE) as handle:
        for number, text in enumerate(handle, start=1):
            if text.rstrip().endswith(f"# <- {marker}"):
                return number
    raise AssertionError(f"no line marked {marker!r}")


def text_of(marker):
    return open(THIS_FILE).read().splitlines()[line_of(marker) - 1].split("# <-")[0].strip()


# ------------------------------------------------------------ unsupported syntax


def uses_try(x):
    try:  # <- try
        y = x * 2.0
    except ValueError:
        y = x
    return y


def uses_with(x):
    with open(THIS_FILE) as handle:  # <- with
        y = x * len(handle.name)
    return y


def uses_yield(x):
    yield x * 2.0  # <- yield


def uses_global(x):
    global GLOBAL  # <- global
    return x * GLOBAL


def uses_nonlocal(x):
    def inner():
        nonlocal x  # <- nonlocal
        x = x * 2.0
    inner()
    return x


def apply_to(function, value):
    return function(value)


def passes_a_lambda_that_captures(x, scale):
    return apply_to(lambda t: t * scale, x)  # <- passes a lambda


def uses_async_def(x):
    async def inner():  # <- async def
        return 1.0
    return x * 2.0


def uses_class(x):
    class Holder:  # <- class
        value = 2.0
    return x * Holder.value


def keeps_a_generator_expression(x):
    doubled = (t * 2.0 for t in x)  # <- generator expression
    return sum(doubled)


def comprehension_in_a_branch(x, flag):
    return sum(x if flag else [t * 2.0 for t in x])  # <- comprehension in a branch


def comprehension_after_or(x, flag):
    return x * 2.0 if flag or all(t > 0 for t in x) else x  # <- comprehension after or


def uses_del(x):
    y = x * 2.0
    del y  # <- del
    return x


def uses_for_else(x):
    for _ in range(3):  # <- for else
        x = x * 2.0
    else:
        x = x + 1.0
    return x


def uses_while_else(x):
    while x < 10.0:  # <- while else
        x = x * 2.0
    else:
        x = x + 1.0
    return x


UNSUPPORTED = [
    (uses_try, "try", "try"),
    (uses_with, "with", "with"),
    (uses_yield, "yield", "yield"),
    (uses_global, "global", "global"),
    (uses_nonlocal, "nonlocal", "nonlocal|nested function"),
    (passes_a_lambda_that_captures, "passes a lambda", "reads scale"),
    (uses_async_def, "async def", "async def"),
    (uses_class, "class", "class"),
    (keeps_a_generator_expression, "generator expression", "generator expression"),
    (comprehension_in_a_branch, "comprehension in a branch", "comprehension"),
    (comprehension_after_or, "comprehension after or", "comprehension"),
    (uses_del, "del", "del"),
    (uses_for_else, "for else", "else"),
    (uses_while_else, "while else", "else"),
]


@pytest.mark.parametrize("f, marker, construct", UNSUPPORTED, ids=[m for _, m, _ in UNSUPPORTED])
def test_unsupported_syntax_names_file_line_and_construct(f, marker, construct):
    with pytest.raises(srcad.UnsupportedSyntaxError) as caught:
        srcad.grad(f).source
    error = caught.value
    assert isinstance(error, SyntaxError) and isinstance(error, srcad.SrcadError)
    message = str(error)
    line = line_of(marker)
    assert FILE_NAME in message
    assert f"line {line}" in message
    assert any(word in message for word in construct.split("|")), message
    assert text_of(marker) in message                      # the user's line is shown
    assert error.lineno == line
    assert os.path.abspath(error.filename) == THIS_FILE


def test_unsupported_syntax_is_caught_as_a_syntax_error():
    with pytest.raises(SyntaxError):
        srcad.value_and_grad(uses_try).source


# -------------------------------------------------------- calls with nothing to use


def calls_a_method_of_an_unknown_object(x, thing):
    return np.sum(thing.frobnicate(x))  # <- method


class Frobnicator:
    def frobnicate(self, x):
        return x * x


class Opaque:
    frobnicate = staticmethod(math.gamma)  # C code with no rule


def test_method_of_an_object_known_only_when_the_code_runs():
    df = srcad.grad(calls_a_method_of_an_unknown_object)
    assert "frobnicate" in df.source  # dispatched when the code runs, like act(z)
    np.testing.assert_allclose(df(np.array([1.0, 2.0]), Frobnicator()), [2.0, 4.0])
    with pytest.raises(srcad.NonDifferentiableError) as caught:
        df(0.5, Opaque())
    assert "gamma" in str(caught.value) and "no derivative rule" in str(caught.value)


def calls_a_method_of_a_differentiated_value(x):
    return np.sum(np.sin(x).frobnicate())  # <- method of a value


def test_method_of_a_differentiated_value_is_refused():
    with pytest.raises(srcad.NonDifferentiableError) as caught:
        srcad.grad(calls_a_method_of_a_differentiated_value).source
    message = str(caught.value)
    assert "frobnicate" in message
    assert f"line {line_of('method of a value')}" in message and FILE_NAME in message
    assert text_of("method of a value") in message


def calls_gamma(x):
    return math.gamma(x) * 2.0  # <- gamma


@pytest.mark.skipif(registry.adjoint_of(math.gamma) is not None, reason="math.gamma has a rule now")
def test_c_function_without_a_rule():
    with pytest.raises(srcad.NonDifferentiableError) as caught:
        srcad.grad(calls_gamma)(2.5)
    message = str(caught.value)
    assert "math.gamma" in message
    assert f"line {line_of('gamma')}" in message and text_of("gamma") in message


opaque = np.frompyfunc(lambda t: t * 2.0, 1, 1)   # a ufunc with no source and no rule


def calls_an_opaque_ufunc(x):
    return np.sum(opaque(x))  # <- opaque


def test_ufunc_without_a_rule():
    with pytest.raises(srcad.NonDifferentiableError, match="opaque") as caught:
        srcad.grad(calls_an_opaque_ufunc).source
    assert f"line {line_of('opaque')}" in str(caught.value)


# ------------------------------------------------------------- what wrt may name


def scaled(x, n):
    return np.sum(x * n)


@pytest.mark.parametrize("value", [3, True, np.int64(2), np.arange(3), np.array([True, False, True])],
                         ids=["int", "bool", "numpy int", "int array", "bool array"])
def test_integer_or_boolean_argument_in_wrt(value):
    with pytest.raises(srcad.NonDifferentiableError, match="'x'"):
        srcad.grad(scaled)(value, 2.0)


def test_integer_argument_not_in_wrt_is_fine():
    np.testing.assert_allclose(srcad.grad(scaled)(np.ones(3), 4), np.full(3, 4.0))


# ------------------------------------------------------------- non-scalar output


def elementwise(x):
    return np.tanh(x) * 2.0


@pytest.mark.parametrize("transform", [srcad.grad, srcad.value_and_grad])
def test_grad_of_a_non_scalar_output(transform):
    with pytest.raises(srcad.NonDifferentiableError) as caught:
        transform(elementwise)(np.ones((2, 3)))
    message = str(caught.value)
    assert "scalar" in message
    assert "(2, 3)" in message
    assert "elementwise" in message and "return np.tanh(x) * 2.0" in message


# ---------------------------------------------------------- functions with no source


@pytest.mark.parametrize("builtin", [len, math.gamma, np.frexp], ids=["len", "math.gamma", "np.frexp"])
def test_builtin_is_a_clear_srcad_error(builtin):
    with pytest.raises(srcad.SrcadError) as caught:
        srcad.grad(builtin).source
    assert not isinstance(caught.value, OSError)
    assert "source" in str(caught.value) or "parameters" in str(caught.value)


@pytest.mark.parametrize("function, x", [(np.sin, 0.3), (math.exp, 0.5), (srcad.nn.sigmoid, -0.4)])
def test_a_builtin_with_a_rule_is_differentiated_by_its_rule(function, x):
    step = 1e-6
    expected = (function(x + step) - function(x - step)) / (2 * step)
    assert srcad.grad(function)(x) == pytest.approx(expected, rel=1e-6)


def test_function_defined_by_exec_is_a_clear_srcad_error():
    namespace = {"np": np}
    exec("def made_by_exec(x):\n    return np.sum(x * x)\n", namespace)  # noqa: S102
    exec("made_by_lambda = lambda x: x * 2.0\n", namespace)  # noqa: S102
    for f in (namespace["made_by_exec"], namespace["made_by_lambda"]):
        with pytest.raises(srcad.SrcadError) as caught:
            srcad.grad(f)(1.5)
        assert not isinstance(caught.value, OSError)
        assert "source" in str(caught.value)


def test_every_error_derives_from_srcad_error():
    assert issubclass(srcad.UnsupportedSyntaxError, srcad.SrcadError)
    assert issubclass(srcad.UnsupportedSyntaxError, SyntaxError)
    assert issubclass(srcad.NonDifferentiableError, srcad.SrcadError)
    assert issubclass(srcad.SrcadError, Exception)


# ---------------------------------------------- errors while generated code runs


def divides(x, d):
    y = x * 2.0
    return y / d  # <- divide


def takes_log(x):
    y = math.log(x)  # <- log
    return y * y


def takes_sqrt(x):
    return math.sqrt(x) * 3.0  # <- sqrt


def generated_frames(error):
    return [frame for frame in traceback.extract_tb(error.__traceback__) if frame.filename.startswith("<srcad")]


@pytest.mark.parametrize("f, args, kind, marker", [
    (divides, (1.0, 0.0), ZeroDivisionError, "divide"),           # in the forward sweep
    (takes_log, (-1.0,), ValueError, "log"),                       # in the forward sweep
    (takes_sqrt, (0.0,), ZeroDivisionError, "sqrt"),               # in the backward sweep
], ids=["forward division", "forward log", "backward sqrt"])
def test_errors_in_generated_code_point_at_the_users_line(f, args, kind, marker):
    with pytest.raises(kind) as caught:
        srcad.grad(f)(*args)
    frames = generated_frames(caught.value)
    assert frames, "the generated file is not in the traceback"
    innermost = frames[-1]
    assert innermost.line, "the generated line's text is not available to traceback"
    assert f"# {FILE_NAME}:{line_of(marker)}" in innermost.line


async def top_level_coroutine(x):
    return x


def test_top_level_async_def_is_unsupported_syntax():
    with pytest.raises(srcad.UnsupportedSyntaxError, match="async def"):
        srcad.grad(top_level_coroutine).source


def test_rule_written_with_srcad_d_and_a_folded_if():
    def cube(x, scale=None):
        return x ** 3 if scale is None else scale * x ** 3

    @srcad.adjoint(cube)
    def _(y, x, scale=None):
        if scale is None:
            srcad.d[x] = srcad.d[y] * 3.0 * x ** 2
        else:
            srcad.d[x] = srcad.d[y] * 3.0 * scale * x ** 2

    def f(x):
        return cube(x) + cube(x, 2.0)

    assert srcad.grad(f)(2.0) == pytest.approx(12.0 + 24.0)


def test_rule_without_a_source_file_is_a_clear_error():
    def triple(x):
        return 3.0 * x

    scope = {"srcad": srcad, "triple": triple, "d": srcad.d}
    exec("@srcad.adjoint(triple)\ndef _(y, x):\n    d[x] = d[y] * 3.0\n", scope)

    def f(x):
        return triple(x)

    with pytest.raises(srcad.SrcadError, match="source of the rule"):
        srcad.grad(f)(1.0)
