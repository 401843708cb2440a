"""Every documented error (SPEC.md, "Errors"): what it is, and that it points at the user's line.

Lines that should be named in a message carry a ``# <- marker`` comment; the
tests find their numbers by reading this file, so editing it cannot break them.
"""
import math
import os
import subprocess
import sys
import traceback

import numpy as np
import pytest

import srcad
from srcad.runtime.sources import is_generated_file as filename_is_generated
from srcad.rules import registry
from gradcheck import numerical_gradient

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


def assert_laid_out(error, marker, construct, hint):
    """``error`` reads: its message, this file's line ``marker`` shown with a caret under
    ``construct``, and a hint containing ``hint``."""
    lines = str(error).splitlines()
    frame = next(i for i, line in enumerate(lines) if line.startswith(f'  File "{THIS_FILE}"'))
    assert f"line {line_of(marker)}, in " in lines[frame]
    shown, caret = lines[frame + 1], lines[frame + 2]
    assert shown.strip() == text_of(marker) or shown.strip().startswith(text_of(marker))
    start = shown.index(construct)
    assert caret == " " * start + "^" * len(construct), f"\n{shown}\n{caret}"
    assert lines[-1].startswith("hint: ") and hint in lines[-1]
    assert error.hint in lines[-1]


CARETS = [
    (uses_try, "try", "try:", "move the try/except outside the differentiated function"),
    (uses_with, "with", "with open(THIS_FILE) as handle:", "open resources outside"),
    (uses_global, "global", "global GLOBAL", "pass the value as an argument"),
    (uses_del, "del", "del y", "bind the name"),
    (uses_yield, "yield", "yield x * 2.0", "return it"),
]


@pytest.mark.parametrize("f, marker, construct, hint", CARETS, ids=[c[1] for c in CARETS])
@pytest.mark.parametrize("transform", [srcad.grad, srcad.jvp], ids=["reverse", "forward"])
def test_a_refused_construct_shows_the_line_a_caret_and_a_hint(transform, f, marker, construct, hint):
    with pytest.raises(srcad.UnsupportedSyntaxError) as caught:
        transform(f).source
    assert_laid_out(caught.value, marker, construct, hint)
    written = open(THIS_FILE).read().splitlines()[line_of(marker) - 1]
    assert caught.value.offset == written.index(construct) + 1  # SyntaxError's columns count from 1


def calls_eig(x):
    w, v = opaque_eig(x)  # <- eig
    return np.sum(w)


opaque_eig = np.frompyfunc(lambda t: (t, t), 1, 2)  # compiled code with no rule


def test_a_call_without_a_rule_shows_the_call_and_the_rule_to_register():
    with pytest.raises(srcad.NonDifferentiableError) as caught:
        srcad.grad(calls_eig).source
    assert_laid_out(caught.value, "eig", "opaque_eig(x)", "@srcad.adjoint(opaque_eig)")
    with pytest.raises(srcad.NonDifferentiableError) as caught:
        srcad.jvp(calls_eig).source
    assert_laid_out(caught.value, "eig", "opaque_eig(x)", "@srcad.tangent(opaque_eig)")


def test_a_function_that_srcad_nn_replaces_points_at_srcad_nn():
    hint = srcad.errors.no_rule_hint("scipy.special.logsumexp", "adjoint")
    assert "srcad.nn.logsumexp" in hint
    assert "srcad.nn.sigmoid" in srcad.errors.no_rule_hint("expit", "tangent")
    assert "@srcad.adjoint(np.linalg.svd)" in srcad.errors.no_rule_hint("np.linalg.svd", "adjoint")


def norm_3(x):
    return np.linalg.norm(x, ord=3)


def test_a_second_derivative_srcad_lacks_is_a_srcad_error_with_a_hint():
    x = np.array([3.0, -1.0, 2.0])
    np.testing.assert_allclose(srcad.grad(norm_3)(x), numerical_gradient(norm_3, (x,), 0), rtol=1e-6)
    for second in (srcad.hessian(norm_3), lambda x: srcad.hvp(norm_3)(x, x)):
        with pytest.raises(srcad.NonDifferentiableError) as caught:
            second(x)
        assert "ord=3" in str(caught.value)
        assert "np.sum(np.abs(x) ** 3) ** (1 / 3)" in caught.value.hint


def test_the_hinted_rewrite_of_a_norm_has_a_second_derivative():
    def written_out(x):
        return np.sum(np.abs(x) ** 3) ** (1 / 3)

    x = np.array([3.0, -1.0, 2.0])
    hessian = srcad.hessian(written_out)(x)
    numerical = np.array([numerical_gradient(lambda v: srcad.grad(written_out)(v)[i], (x,), 0) for i in range(3)])
    np.testing.assert_allclose(hessian, numerical, rtol=1e-5, atol=1e-8)


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


def steep(x):
    return x * 1.0


@srcad.adjoint(steep)
def _(y, x):
    srcad.d[x] = srcad.d[y] / (x - x)  # a Python float divided by zero: in the backward sweep


def takes_steep(x):
    return steep(x) * 3.0  # <- steep


def generated_frames(error):
    return [frame for frame in traceback.extract_tb(error.__traceback__) if filename_is_generated(frame.filename)]


@pytest.mark.parametrize("f, args, kind, marker", [
    (divides, (1.0, 0.0), ZeroDivisionError, "divide"),           # in the forward sweep
    (takes_log, (-1.0,), ValueError, "log"),                       # in the forward sweep
    (takes_steep, (0.5,), ZeroDivisionError, "steep"),             # in the backward sweep
], ids=["forward division", "forward log", "backward rule"])
def test_errors_in_generated_code_point_at_the_users_line(f, args, kind, marker):
    with pytest.raises(kind) as caught:
        srcad.grad(f)(*args)
    frames = generated_frames(caught.value)
    assert frames, "the generated file is not in the traceback"
    innermost = frames[-1]
    assert innermost.line, "the generated line's text is not available to traceback"
    assert f"# {FILE_NAME}:{line_of(marker)}" in innermost.line


UNCAUGHT_IN_GENERATED_CODE = """\
import numpy as np
import srcad

def project(x):
    y = x @ np.ones(3)
    return y.sum()

srcad.grad(project)(np.ones((2, 2)))
"""


def test_the_default_traceback_printer_shows_the_generated_line_and_the_users_line(tmp_path):
    # Python 3.10 to 3.12 print uncaught exceptions in C, reading lines from disk only
    script = tmp_path / "model.py"
    script.write_text(UNCAUGHT_IN_GENERATED_CODE)
    repository = os.path.dirname(os.path.dirname(os.path.abspath(srcad.__file__)))
    environment = {**os.environ, "PYTHONPATH": repository}
    run = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=environment)
    assert run.returncode == 1
    lines = run.stderr.splitlines()
    frame = next(i for i, line in enumerate(lines) if ", in d_project" in line)
    assert lines[frame + 1].strip().startswith("y = x @ ")
    assert lines[frame + 1].rstrip().endswith("# model.py:5")
    assert "ValueError: matmul" in lines[-1]


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


# ------------------------------------------------ a nan or an inf: srcad.check_finite


def logs_of(x):
    y = np.log(x) * 2.0  # <- log of zero
    return np.sum(y)


def roots_of(x):
    return np.sum(np.sqrt(x))  # <- root at zero


def assert_names_the_first_non_finite(error, variable, marker):
    assert isinstance(error, srcad.NonFiniteError) and isinstance(error, FloatingPointError)
    message = str(error)
    assert message.startswith(f"srcad.check_finite: {variable} is not finite at {FILE_NAME}:{line_of(marker)}")
    assert filename_is_generated(error.location.filename)
    assert error.location.text.rstrip().endswith(f"# {FILE_NAME}:{line_of(marker)}")
    assert "^" in message.splitlines()[3] and error.hint


def test_check_finite_stops_at_the_first_nan_or_inf_of_the_forward_sweep():
    x = np.array([1.0, 0.0])
    with srcad.check_finite():
        with pytest.raises(srcad.NonFiniteError) as caught:
            srcad.value_and_grad(logs_of)(x)  # grad alone needs no log: it divides by x
    assert_names_the_first_non_finite(caught.value, "log_x", "log of zero")
    assert "divide by zero" in str(caught.value)


def test_check_finite_stops_in_the_backward_sweep_and_in_every_transform():
    x = np.array([4.0, 0.0])
    with srcad.check_finite():
        with pytest.raises(srcad.NonFiniteError) as caught:
            srcad.grad(roots_of)(x)
        assert_names_the_first_non_finite(caught.value, "d_x", "root at zero")
        with pytest.raises(srcad.NonFiniteError):
            srcad.jvp(roots_of)(x, np.ones(2))
        _, pullback = srcad.vjp(roots_of)(x)
        with pytest.raises(srcad.NonFiniteError):
            pullback(1.0)
        with pytest.raises(srcad.NonFiniteError):
            srcad.hvp(roots_of)(x, np.ones(2))


def test_check_finite_is_off_unless_asked_and_comes_back_off():
    x = np.array([4.0, 0.0])
    with np.errstate(divide="ignore"):
        assert srcad.grad(roots_of)(x)[1] == np.inf
        srcad.check_finite()
        try:
            with pytest.raises(srcad.NonFiniteError):
                srcad.grad(roots_of)(x)
        finally:
            srcad.check_finite(False)
        assert srcad.grad(roots_of)(x)[1] == np.inf


def test_check_finite_lets_infinite_inputs_through():
    x = np.array([0.0, -np.inf, 1.0])
    with srcad.check_finite():
        gradient = srcad.grad(srcad.nn.logsumexp)(x)
    assert gradient[1] == 0.0 and np.all(np.isfinite(gradient))
