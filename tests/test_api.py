"""``srcad.grad`` and ``srcad.value_and_grad`` exactly as SPEC.md describes them."""
import ast
import collections
import linecache
import sys

import inspect

import numpy as np
import pytest

import srcad
from srcad import nn
from srcad.api.imports import without_imports
from srcad.api.transform import _SharedCode
from srcad.compiler.passes import p16_emit as emit
from srcad.runtime.sources import is_generated_file as filename_is_generated
from gradcheck import numerical_gradient

SCALE = 2.0
OFFSET = np.array([1.0, -1.0, 0.5])


def product(x, y):
    return np.sum(x * y ** 2)


def with_options(x, y, scale=2.0, *, power=2.0, flag=False, label="plain", skip=None):
    z = scale * x ** power * y
    if flag:
        z = z * 3.0
    if label == "double":
        z = z * 2.0
    if skip is not None:
        z = z + skip
    return np.sum(z)


def reads_globals(x):
    return np.sum(SCALE * x ** 2 + OFFSET * x)


def ignores_first(x, y):
    return np.sum(y * 2.0)


def with_aux(x):
    y = np.tanh(x)
    return np.sum(y ** 2), y


@pytest.fixture
def xy():
    rng = np.random.default_rng(0)
    return rng.standard_normal(3), rng.standard_normal(3)


# ------------------------------------------------------------------ forms of use


def test_decorator_without_arguments(xy):
    x, _ = xy

    @srcad.grad
    def df(x):
        return np.sum(np.sin(x))

    np.testing.assert_allclose(df(x), np.cos(x))


def test_decorator_with_arguments(xy):
    x, y = xy

    @srcad.grad(wrt=(0, 1))
    def df(x, y):
        return np.sum(x * y ** 2)

    dx, dy = df(x, y)
    np.testing.assert_allclose(dx, y ** 2)
    np.testing.assert_allclose(dy, 2 * x * y)

    @srcad.value_and_grad(wrt=1)
    def vg(x, y):
        return np.sum(x * y ** 2)

    value, dy = vg(x, y)
    np.testing.assert_allclose(value, np.sum(x * y ** 2))
    np.testing.assert_allclose(dy, 2 * x * y)


def test_wrt_by_position_name_and_negative_position(xy):
    x, y = xy
    expected_dy = 2 * x * y
    np.testing.assert_allclose(srcad.grad(product)(x, y), y ** 2)
    np.testing.assert_allclose(srcad.grad(product, wrt=1)(x, y), expected_dy)
    np.testing.assert_allclose(srcad.grad(product, wrt="y")(x, y), expected_dy)
    np.testing.assert_allclose(srcad.grad(product, wrt=-1)(x, y), expected_dy)
    np.testing.assert_allclose(srcad.grad(product, wrt=-2)(x, y), y ** 2)


def test_a_single_wrt_gives_a_single_result_and_a_tuple_gives_a_tuple_in_its_order(xy):
    x, y = xy
    single = srcad.grad(product, wrt=0)(x, y)
    assert isinstance(single, np.ndarray)
    one_tuple = srcad.grad(product, wrt=(0,))(x, y)
    assert isinstance(one_tuple, tuple) and len(one_tuple) == 1
    dy, dx = srcad.grad(product, wrt=("y", 0))(x, y)
    np.testing.assert_allclose(dx, y ** 2)
    np.testing.assert_allclose(dy, 2 * x * y)


def test_keyword_arguments_and_defaults_in_the_call(xy):
    x, y = xy
    df = srcad.grad(with_options, wrt=(0, "scale"))
    dx, dscale = df(x, y)                                  # scale and power from their defaults
    np.testing.assert_allclose(dx, 2.0 * 2 * x * y)
    np.testing.assert_allclose(dscale, np.sum(x ** 2 * y))
    assert isinstance(dscale, float)                       # the default is a float
    dx2, _ = df(y=y, x=x)                                  # everything by keyword
    np.testing.assert_allclose(dx2, dx)
    dx3, dscale3 = df(x, y, 3.0, power=3.0)
    np.testing.assert_allclose(dx3, 3.0 * 3 * x ** 2 * y)
    np.testing.assert_allclose(dscale3, np.sum(x ** 3 * y))
    np.testing.assert_allclose(srcad.grad(with_options, wrt="y")(x, y=y, power=1.0), 2.0 * x)


def test_arguments_not_in_wrt_may_be_anything(xy):
    x, y = xy
    df = srcad.grad(with_options)
    base = 2.0 * 2 * x * y
    np.testing.assert_allclose(df(x, y), base)
    np.testing.assert_allclose(df(x, y, flag=True), 3 * base)
    np.testing.assert_allclose(df(x, y, label="double"), 2 * base)
    np.testing.assert_allclose(df(x, y, skip=np.ones(3)), base)
    np.testing.assert_allclose(df(x, y, flag=True, label="double", skip=None), 6 * base)
    np.testing.assert_allclose(df(x, 3, power=2), 2.0 * 2 * x * 3)   # an int that is not in wrt


def test_integers_strings_and_containers_as_constants():
    def f(x, n, mode, shape, config):
        y = x.reshape(shape)
        for _ in range(n):
            y = np.sin(y)
        if mode == "twice":
            y = y * 2.0
        return np.sum(y) * config["scale"]

    df = srcad.grad(f)
    x = np.linspace(-1.0, 1.0, 6)
    args = (x, 2, "twice", (2, 3), {"scale": 3.0})
    got = df(*args)
    assert got.shape == x.shape
    np.testing.assert_allclose(got, numerical_gradient(f, list(args), 0), rtol=1e-6)


def test_has_aux_with_value_and_grad(xy):
    x, _ = xy
    (value, aux), dx = srcad.value_and_grad(with_aux, has_aux=True)(x)
    np.testing.assert_allclose(value, np.sum(np.tanh(x) ** 2))
    np.testing.assert_allclose(aux, np.tanh(x))
    np.testing.assert_allclose(dx, 2 * np.tanh(x) * (1 - np.tanh(x) ** 2))


def test_has_aux_with_grad(xy):
    x, _ = xy
    dx, aux = srcad.grad(with_aux, has_aux=True)(x)
    np.testing.assert_allclose(aux, np.tanh(x))
    np.testing.assert_allclose(dx, 2 * np.tanh(x) * (1 - np.tanh(x) ** 2))


def test_numpy_scalar_argument_gives_a_numpy_scalar_derivative():
    gradient = srcad.grad(with_aux, has_aux=True)(np.float32(0.5))[0]
    assert type(gradient) is np.float32


def nested_parameters(params, x):
    (W1, b1), (W2, b2) = params
    return np.sum(np.tanh(x @ W1 + b1) @ W2 + b2)


def test_nested_unpacking_of_parameters():
    rng = np.random.default_rng(0)
    params = [(rng.normal(size=(2, 3)), rng.normal(size=3)), (rng.normal(size=(3, 1)), rng.normal(size=1))]
    x = rng.normal(size=(4, 2))
    gradient = srcad.grad(nested_parameters)(params, x)
    for i in range(2):
        for j in range(2):
            def f(value, i=i, j=j):
                changed = [list(p) for p in params]
                changed[i][j] = value
                return nested_parameters(changed, x)
            np.testing.assert_allclose(gradient[i][j], numerical_gradient(f, [params[i][j]], 0), rtol=1e-6)


def branchy(x, n):
    for i in range(n):
        if np.sum(x) > 0:
            x = np.sin(x)
    return np.sum(x)


def test_loop_and_branch_headers_point_at_their_own_lines():
    lines, first = inspect.getsourcelines(branchy)
    source = srcad.grad(branchy).source
    for_line = next(line for line in source.splitlines() if line.strip().startswith("for i in range"))
    if_line = next(line for line in source.splitlines() if line.strip().startswith("if cond"))
    assert for_line.endswith(f"test_api.py:{first + 1}")
    assert if_line.endswith(f"test_api.py:{first + 2}")


def test_value_and_grad_value_matches_the_function(xy):
    x, y = xy
    value, (dx, dy) = srcad.value_and_grad(product, wrt=(0, 1))(x, y)
    np.testing.assert_allclose(value, product(x, y))
    np.testing.assert_allclose(dx, y ** 2)
    np.testing.assert_allclose(dy, 2 * x * y)


def test_optimize_false_gives_the_same_gradient(xy):
    x, y = xy
    plain = srcad.grad(product, wrt=(0, 1), optimize=False)
    optimized = srcad.grad(product, wrt=(0, 1))
    for a, b in zip(plain(x, y), optimized(x, y)):
        np.testing.assert_allclose(a, b)
    compile(plain.source, "<plain>", "exec")


# --------------------------------------------------------------- the returned function


def test_source_is_compilable_python(xy):
    df = srcad.grad(product, wrt=(0, 1))
    assert isinstance(df.source, str)
    compile(df.source, "<generated>", "exec")
    assert "def " in df.source
    vg = srcad.value_and_grad(product)
    compile(vg.source, "<generated>", "exec")


def test_wrapped_is_the_original_function():
    df = srcad.grad(product)
    assert df.__wrapped__ is product
    assert df.__name__ == "product"
    assert srcad.value_and_grad(product).__wrapped__ is product


def _generated_files():
    """Generated sources registered with linecache (one per compilation, see SPEC.md)."""
    return {name for name in linecache.cache if filename_is_generated(name)}


def test_compiled_once(monkeypatch, xy):
    x, y = xy
    compiled = []
    original = emit.compile_source

    def counting(*args, **kwargs):
        compiled.append(args)
        return original(*args, **kwargs)

    monkeypatch.setattr(emit, "compile_source", counting)
    monkeypatch.setattr(_SharedCode, "_kept", collections.OrderedDict())  # code other tests made is not reused
    df = srcad.grad(product, wrt=(0, 1))
    before = _generated_files()
    first = df(x, y)
    source = df.source  # the code specialised on this call's signature
    generated = df.generated  # the code for any arguments, which other transforms read
    after_first = _generated_files()
    assert after_first - before, "the first call compiled nothing"
    compiled_first = len(compiled)
    for _ in range(3):
        df(x * 2.0, y)
        assert df.generated is generated
    df(x, y=y)
    assert df.source == source  # the imports, then the code compiled once for this signature
    assert df.generated is generated
    assert not _generated_files() - after_first  # nothing new (dropped code may take its lines along)
    assert len(compiled) == compiled_first
    np.testing.assert_allclose(df(x, y)[0], first[0])


def test_globals_are_read_at_call_time(monkeypatch):
    x = np.array([0.5, 1.0, -2.0])
    df = srcad.grad(reads_globals)
    np.testing.assert_allclose(df(x), 2 * SCALE * x + OFFSET)
    module = sys.modules[__name__]
    monkeypatch.setattr(module, "SCALE", 5.0)
    monkeypatch.setattr(module, "OFFSET", np.zeros(3))
    np.testing.assert_allclose(df(x), 2 * 5.0 * x)


# -------------------------------------------------------------- types, shapes, dtypes


def test_python_float_gives_float():
    def f(x):
        return x * x * 3.0

    g = srcad.grad(f)(1.5)
    assert type(g) is float
    assert g == pytest.approx(9.0)
    value, g2 = srcad.value_and_grad(f)(1.5)
    assert type(g2) is float and value == pytest.approx(6.75)


def test_zero_dimensional_array_gives_zero_dimensional_array():
    def f(x):
        return np.tanh(x) * 2.0

    x = np.array(0.3)
    g = srcad.grad(f)(x)
    assert isinstance(g, np.ndarray) and g.shape == ()
    np.testing.assert_allclose(g, 2.0 * (1 - np.tanh(0.3) ** 2))


def test_numpy_scalar_keeps_its_type():
    def f(x):
        return x ** 3

    g = srcad.grad(f)(np.float32(2.0))
    assert isinstance(g, np.float32)
    assert g == pytest.approx(12.0)


def _tanh_sum(x):
    return np.sum(np.tanh(x) * 2.0)


def _exp_mean(x):
    return np.mean(np.exp(x) / 3.0)


def _matmul(x):
    return np.sum(x @ x.T)


def _relu_square(x):
    return np.sum(np.maximum(0.0, x) ** 2)


def _sqrt(x):
    return np.sum(np.sqrt(x * x + 1.0))


def _cross_entropy(x):
    return nn.softmax_cross_entropy(x, np.array([0, 2, 1]))


def _reductions(x):
    return np.sum(x.sum(axis=0) ** 2) + np.max(x) + np.sum(np.log(np.abs(x) + 1.0))


def _broadcast_float64_constant(x):
    return np.sum(x * np.ones(3))


@pytest.mark.parametrize("f", [_tanh_sum, _exp_mean, _matmul, _relu_square, _sqrt, _cross_entropy,
                               _reductions, _broadcast_float64_constant])
def test_float32_stays_float32(f):
    x64 = np.random.default_rng(1).standard_normal((3, 3))
    x32 = x64.astype(np.float32)
    g32 = srcad.grad(f)(x32)
    assert g32.dtype == np.float32 and g32.shape == (3, 3)
    np.testing.assert_allclose(g32, srcad.grad(f)(x64), rtol=1e-4, atol=1e-5)


def test_gradient_that_does_not_depend_on_the_argument_is_zeros_of_its_shape(xy):
    x, y = xy
    g = srcad.grad(ignores_first)(x, y)
    assert isinstance(g, np.ndarray) and g.shape == x.shape
    assert not np.any(g)
    g2 = srcad.grad(ignores_first)(np.ones((2, 4), dtype=np.float32), y)
    assert g2.shape == (2, 4) and g2.dtype == np.float32 and not np.any(g2)
    g3 = srcad.grad(ignores_first)(1.5, y)
    assert type(g3) is float and g3 == 0.0


def test_size_one_array_output_is_a_scalar():
    def f(x):
        return x * 2.0

    np.testing.assert_allclose(srcad.grad(f)(np.ones(1)), [2.0])
    np.testing.assert_allclose(srcad.grad(f)(np.ones((1, 1))), [[2.0]])


def test_bad_wrt_is_a_srcad_error():
    with pytest.raises(srcad.SrcadError, match="no parameter named 'z'"):
        srcad.grad(product, wrt="z")
    with pytest.raises(srcad.SrcadError, match="out of range"):
        srcad.grad(product, wrt=2)
    with pytest.raises(srcad.SrcadError):
        srcad.grad(product, wrt=())
    with pytest.raises(srcad.SrcadError):
        srcad.grad(product, wrt=1.0)


# --------------------------------------------------------------------- readability


def layer(W, b, x):
    h = np.tanh(W @ x + b)
    s = h * h
    return np.sum(s) + np.sum(W ** 2)


def test_generated_source_of_straight_line_code_reads_like_hand_written():
    df = srcad.grad(layer, wrt=(0, 1))
    source = without_imports(df.source)
    compile(source, "<generated>", "exec")
    assert "tape" not in source.lower()
    assert "d_W" in source and "d_b" in source and "d_h" in source
    assert "d_x " not in source and "d_x=" not in source   # x is not differentiated
    function = ast.parse(source).body[0]
    assert isinstance(function, ast.FunctionDef)
    body = function.body
    assert all(isinstance(s, (ast.Assign, ast.AugAssign, ast.Expr, ast.Return)) for s in body)
    for position, stmt in enumerate(body):
        if not isinstance(stmt, ast.Assign):
            continue
        targets = {n.id for t in stmt.targets for n in ast.walk(t) if isinstance(n, ast.Name)}
        later = {n.id for s in body[position + 1:] for n in ast.walk(s)
                 if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
        unread = targets - later
        assert not unread, f"dead assignment to {unread} in:\n{source}"
    lines = [line for line in source.splitlines()[1:] if "=" in line and "return" not in line]
    assert all("# test_api.py:" in line for line in lines if "d_" in line.split("=")[0])


# -- outputs and arguments that are not real numbers -------------------------------------


def returns_none(x):
    y = np.sum(x)
    return None


def returns_a_bool(x):
    return bool(np.sum(x) > 0.0)


def returns_an_int(x):
    return 3


def returns_a_count(x):
    return int(np.sum(x > 0.0))


def returns_a_string(x):
    return "loss"


def returns_a_complex_number(x):
    return np.sum(x) * 1j


def returns_a_complex_array_sum(x):
    return np.sum(np.exp(1j * x))


NOT_REAL_OUTPUTS = [returns_none, returns_a_bool, returns_an_int, returns_a_count, returns_a_string,
                    returns_a_complex_number, returns_a_complex_array_sum]


@pytest.mark.parametrize("optimize", [True, False])
@pytest.mark.parametrize("f", NOT_REAL_OUTPUTS, ids=lambda f: f.__name__)
def test_grad_of_an_output_that_is_not_a_real_number_is_refused(f, optimize):
    x = np.array([0.5, -1.2, 0.8])
    for transform in (srcad.grad, srcad.value_and_grad):
        with pytest.raises(srcad.SrcadError) as caught:
            transform(f, optimize=optimize)(x)
        assert f.__name__ in str(caught.value)


@pytest.mark.parametrize("f", [returns_none, returns_a_bool, returns_an_int, returns_a_string,
                               returns_a_complex_number], ids=lambda f: f.__name__)
def test_jvp_and_vjp_of_an_output_that_is_not_a_real_number_are_refused(f):
    x = np.array([0.5, -1.2, 0.8])
    with pytest.raises(srcad.SrcadError, match="output"):
        srcad.jvp(f)(x, np.ones(3))
    with pytest.raises(srcad.SrcadError, match="output"):
        srcad.vjp(f)(x)


def scaled_sum(x, label, scale):
    return np.sum(x * scale)


TRANSFORMS = [
    lambda wrt: lambda *args: srcad.grad(scaled_sum, wrt)(*args),
    lambda wrt: lambda *args: srcad.value_and_grad(scaled_sum, wrt)(*args),
    lambda wrt: lambda *args: srcad.vjp(scaled_sum, wrt)(*args),
    lambda wrt: lambda *args: srcad.jvp(scaled_sum, wrt)(*args, args[wrt]),
    lambda wrt: lambda *args: srcad.jacobian(scaled_sum, wrt)(*args),
    lambda wrt: lambda *args: srcad.hessian(scaled_sum, wrt)(*args),
    lambda wrt: lambda *args: srcad.hvp(scaled_sum, wrt)(*args, args[wrt]),
]
TRANSFORM_IDS = ["grad", "value_and_grad", "vjp", "jvp", "jacobian", "hessian", "hvp"]


@pytest.mark.parametrize("transform", TRANSFORMS, ids=TRANSFORM_IDS)
def test_a_complex_argument_in_wrt_is_refused_by_every_transform(transform):
    with pytest.raises(srcad.NonDifferentiableError, match="complex"):
        transform(0)(np.array([1.0 + 2.0j, 3.0]), "a", 2.0)
    with pytest.raises(srcad.NonDifferentiableError, match="complex"):
        transform(2)(np.ones(2), "a", 2.0 + 0.5j)


@pytest.mark.parametrize("transform", TRANSFORMS, ids=TRANSFORM_IDS)
def test_a_string_or_an_int_in_wrt_is_refused_by_every_transform(transform):
    with pytest.raises(srcad.NonDifferentiableError, match="'label' is the str 'a'"):
        transform(1)(np.ones(2), "a", 2.0)
    with pytest.raises(srcad.NonDifferentiableError, match="integers and booleans have no derivative"):
        transform(2)(np.ones(2), "a", 2)


def test_strings_and_ints_outside_wrt_and_as_leaves_of_containers_are_data():
    def f(params, label):
        return np.sum(params["W"]) * params["n"]
    gradient = srcad.grad(f)({"W": np.ones(2), "n": 3, "name": "layer"}, "x")
    np.testing.assert_allclose(gradient["W"], [3.0, 3.0])
    assert gradient["n"] is None and gradient["name"] is None
