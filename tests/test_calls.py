"""Calls of every shape: *args and **kwargs, defaults of nested functions, keyword-only
parameters, spread calls, decorated functions, bound methods, classmethods, callable
objects and partials, through grad, jvp, vjp and hvp (optimised and not); and what is
refused, with its message."""
import functools
import importlib.util
import itertools
import pathlib
import textwrap

import numpy as np
import pytest

import srcad
from gradcheck import numerical_gradient

X = np.array([0.5, -1.2, 0.8])
Y = np.array([0.3, 0.7, -0.4])


# -- callees --------------------------------------------------------------------------


def sumsq(*xs):
    total = 0.0
    for x in xs:
        total = total + np.sum(x * x)
    return total


def star(x, *scales):
    for s in scales:
        t = s
    return t


def weighted(x, *rest, scale=1.0):
    total = scale * np.sum(np.sin(x))
    for k, r in enumerate(rest):
        total = total + (k + 1.0) * np.sum(r * x)
    return total


def options(x, **kwargs):
    return np.sum(x * kwargs["scale"]) + kwargs["shift"]


def forwarded(x, y):
    return np.sum(np.tanh(x) * y)


def symmetric(x):
    return x * x


def forwards_everything(*args, **kwargs):
    return forwarded(*args, **kwargs)


lambda_forwarder = lambda *args: forwarded(symmetric(args[0]), *args[1:])  # noqa: E731


def shifted(a, b, c, *, shift=0.14):
    return sum([shift, c * np.ones(2)]) * b[:2]


def keyword_only_default(x, data):
    return np.sum(shifted(x[:2], data, x[:2]) + shifted(x[:2], data, x[1:], shift=x[0]))


def scaled_result(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return 10.0 * fn(*args, **kwargs)
    return wrapper


@scaled_result
def decorated(x):
    return np.sum(x * x)


class Model:
    def __init__(self, weights):
        self.weights = weights

    def loss(self, x):
        return np.sum(self.weights * np.sin(x) ** 2)

    @classmethod
    def cubic(cls, x):
        return np.sum(x ** 3) / cls.scale

    @staticmethod
    def quartic(x):
        return np.sum(x ** 4)

    def __call__(self, x):
        return np.sum(self.weights * x ** 2)

    scale = 2.0


MODEL = Model(np.array([1.0, 2.0, 3.0]))


def three(x, y, scale):
    return np.sum(scale * np.sin(x) * y)


PARTIAL = functools.partial(three, scale=2.0)
PARTIAL_POSITIONAL = functools.partial(three, Y)


# -- callers: one scalar function of x for each call shape ------------------------------


def calls_star_args(x):
    return sumsq(x, 3.0 * x) + sumsq(np.sin(x))


def calls_star_in_a_loop(z):
    return star(Y, Y, np.dot(z, z))


def calls_star_with_keyword(x):
    return weighted(x, np.cos(x), x * x, scale=0.5) + weighted(x)


def calls_kwargs(x):
    return options(x, scale=np.tanh(x), shift=np.sum(x ** 2)) + options(x, shift=1.0, scale=2.0)


def calls_a_forwarder(x):
    return forwards_everything(x, np.cos(x)) + forwards_everything(x, y=x)


def calls_a_lambda_forwarder(x):
    return lambda_forwarder(x, np.exp(x))


def spreads_a_list(x):
    parts = [x, np.sin(x)]
    return sumsq(*parts) + np.sum(np.add(*parts))


def spreads_a_tuple_between(x):
    rest = (np.cos(x), x * x)
    return weighted(x, *rest, scale=2.0)


def nested_with_a_default(x):
    def inner(a, k=2.0):
        return a * k
    return np.sum(inner(x) * inner(x, 3.0) + inner(k=x, a=x))


def nested_with_computed_defaults(x):
    s = np.sum(x * x)

    def inner(a, k=s * 2.0, *, shift=np.cos(x)):
        return a * k + shift
    s = 10.0  # the default is the value s had when the def ran
    return np.sum(inner(x) * inner(x, 3.0) + inner(k=x, a=x) + inner(x, shift=1.0))


def nested_defaults_computed_in_a_loop(x):
    total = 0.0
    for i in range(3):
        def scaled(a, k=x[i] ** 2):
            return a * k
        total = total + np.sum(scaled(x)) + np.sum(scaled(x, x))
    return total


def nested_with_star_args(x):
    factor = np.sum(x)

    def inner(*items):
        total = 0.0
        for item in items:
            total = total + np.sum(item * factor)
        return total
    return inner(x, np.sin(x))


def calls_a_decorated_function(x):
    return decorated(np.sin(x))


def calls_a_bound_method(x):
    return MODEL.loss(x) + MODEL(x) + Model.cubic(x) + Model.quartic(x)


def calls_a_partial(x):
    return PARTIAL(x, np.cos(x)) + PARTIAL_POSITIONAL(x, 3.0)


def default_then_rest(a, k=0.3, *rest):
    t = rest[0]
    for r in rest:
        t = t + np.sin(r)
    return t * k + a


def rest_then_keyword_only(a, *rest, shift=0.8):
    t = rest[0]
    for r in rest:
        t = t + np.sin(r)
    return t * shift + a


def fills_a_default_before_star_args(x):
    return np.sum(default_then_rest(x, x, x, 2.0 * x))


def star_args_and_a_keyword_only_argument(x):
    return np.sum(rest_then_keyword_only(x, x, 2.0 * x, shift=np.sin(x)) + rest_then_keyword_only(x, x * x))


class Layered:
    def __init__(self):
        self.W = np.array([[0.5, -0.2, 0.1], [0.3, 0.8, -0.6]])

    def layer(self, x):
        return np.tanh(self.W @ x)

    def loss(self, x):
        return np.sum(self.layer(x) ** 2) + self.penalty(x, scale=0.1)

    def penalty(self, x, scale=1.0):
        return scale * np.sum(x * x)


LAYERED = Layered()


def calls_a_method_that_calls_methods(x):
    return LAYERED.loss(x)



CALLERS = [calls_star_args, calls_star_in_a_loop, calls_star_with_keyword, calls_kwargs, calls_a_forwarder,
           calls_a_lambda_forwarder, spreads_a_list, spreads_a_tuple_between, nested_with_a_default,
           nested_with_computed_defaults, nested_defaults_computed_in_a_loop, nested_with_star_args, calls_a_decorated_function, calls_a_bound_method, calls_a_partial,
           calls_a_method_that_calls_methods, fills_a_default_before_star_args,
           star_args_and_a_keyword_only_argument]


def _direction(x, seed=0):
    return np.random.default_rng(seed).normal(size=np.shape(x))


def _hvp_by_differences(f, x, v, step=1e-5):
    gradient = srcad.grad(f)
    return (gradient(x + step * v) - gradient(x - step * v)) / (2 * step)


@pytest.mark.parametrize("optimize", [True, False])
@pytest.mark.parametrize("f", CALLERS, ids=lambda f: f.__name__)
def test_grad_of_a_call_matches_finite_differences(f, optimize):
    np.testing.assert_allclose(srcad.grad(f, optimize=optimize)(X), numerical_gradient(f, (X,), 0),
                               rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("optimize", [True, False])
@pytest.mark.parametrize("f", CALLERS, ids=lambda f: f.__name__)
def test_value_and_grad_computes_the_functions_value(f, optimize):
    value, _ = srcad.value_and_grad(f, optimize=optimize)(X)
    assert value == pytest.approx(f(X), rel=1e-14)


@pytest.mark.parametrize("f", CALLERS, ids=lambda f: f.__name__)
def test_jvp_of_a_call_agrees_with_reverse_mode(f):
    v = _direction(X)
    out, tangent = srcad.jvp(f)(X, v)
    assert out == pytest.approx(f(X), rel=1e-14)
    assert tangent == pytest.approx(np.dot(srcad.grad(f)(X), v), rel=1e-10, abs=1e-12)


@pytest.mark.parametrize("f", CALLERS, ids=lambda f: f.__name__)
def test_vjp_of_a_call_agrees_with_grad(f):
    out, pullback = srcad.vjp(f)(X)
    assert out == pytest.approx(f(X), rel=1e-14)
    np.testing.assert_allclose(pullback(1.0), srcad.grad(f)(X), rtol=1e-12)
    np.testing.assert_allclose(pullback(2.0), 2.0 * srcad.grad(f)(X), rtol=1e-12)


@pytest.mark.parametrize("f", CALLERS, ids=lambda f: f.__name__)
def test_hvp_of_a_call_matches_differences_of_grad(f):
    v = _direction(X, 1)
    np.testing.assert_allclose(srcad.hvp(f)(X, v), _hvp_by_differences(f, X, v), rtol=1e-5, atol=1e-6)


# -- the reproducers ------------------------------------------------------------------


def test_star_args_called_with_two_arguments_is_not_zero():
    np.testing.assert_allclose(srcad.grad(lambda x: sumsq(x, 3 * x))(X), 20.0 * X)


def test_star_args_iterated_in_a_loop():
    def f(z, y):
        return star(y, y, np.dot(z, z))
    np.testing.assert_allclose(srcad.grad(f)(X, 0.5), 2.0 * X)
    assert srcad.grad(f, wrt=1)(X, 0.5) == 0.0


def test_grad_of_a_star_args_function_counts_the_arguments_of_the_call():
    np.testing.assert_allclose(srcad.grad(sumsq)(X, Y), 2.0 * X)
    np.testing.assert_allclose(srcad.grad(sumsq, wrt=(0, 1))(X, Y)[1], 2.0 * Y)
    assert srcad.grad(star, wrt=2)(X, Y, 0.5) == 1.0
    assert srcad.grad(star, wrt=1)(X, 0.3, 0.5) == 0.0
    _, tangent = srcad.jvp(sumsq, wrt=1)(X, Y, np.ones(3))
    assert tangent == pytest.approx(2.0 * np.sum(Y))
    np.testing.assert_allclose(srcad.hvp(sumsq, wrt=1)(X, Y, np.ones(3)), 2.0 * np.ones(3))


def test_a_star_args_derivative_shows_the_source_of_its_last_call():
    df = srcad.grad(sumsq)
    with pytest.raises(srcad.SrcadError, match="call the derivative first"):
        df.source
    df(X, Y)
    assert "xs_0" in df.source and "xs_1" in df.source


def test_wrt_beyond_the_arguments_of_a_star_args_call_is_refused():
    with pytest.raises(srcad.SrcadError, match="is called here with 2 parameters; wrt=3"):
        srcad.grad(sumsq, wrt=3)(X, Y)
    with pytest.raises(srcad.SrcadError, match="wrt=-1"):
        srcad.grad(sumsq, wrt=-1)


def test_nested_function_with_a_default_called_without_it():
    def f(x):
        def inner(a, k=2.0):
            return a * k
        return np.sum(inner(x))
    np.testing.assert_allclose(srcad.grad(f)(X), 2.0 * np.ones(3))


def test_keyword_only_default_of_a_helper():
    def f(x, data):
        return np.sum(shifted(x, data, x))
    data = np.array([1.0, 2.0, 3.0])
    for optimize in (True, False):
        np.testing.assert_allclose(srcad.grad(f, optimize=optimize)(X[:2], data),
                                   numerical_gradient(f, (X[:2], data), 0), rtol=1e-6)


def test_functools_wraps_decorator_is_differentiated_as_passed():
    x = np.array([1.0, 2.0])
    np.testing.assert_allclose(srcad.grad(decorated)(x), [20.0, 40.0])
    np.testing.assert_allclose(srcad.vjp(decorated)(x)[1](1.0), [20.0, 40.0])
    assert srcad.jvp(decorated)(x, np.array([1.0, 0.0]))[1] == pytest.approx(20.0)
    np.testing.assert_allclose(srcad.hvp(decorated)(x, np.array([1.0, 0.0])), [20.0, 0.0])
    assert "wrapper" in srcad.grad(decorated).source


@pytest.mark.parametrize("f, expected", [
    (MODEL.loss, lambda x: MODEL.weights * 2 * np.sin(x) * np.cos(x)),
    (Model.cubic, lambda x: 3 * x ** 2 / Model.scale),
    (Model.quartic, lambda x: 4 * x ** 3),
    (MODEL, lambda x: 2 * MODEL.weights * x),
], ids=["bound method", "classmethod", "staticmethod", "callable object"])
def test_methods_and_callable_objects(f, expected):
    for optimize in (True, False):
        np.testing.assert_allclose(srcad.grad(f, optimize=optimize)(X), expected(X), rtol=1e-12)
    np.testing.assert_allclose(srcad.vjp(f)(X)[1](1.0), expected(X), rtol=1e-12)
    v = _direction(X)
    assert srcad.jvp(f)(X, v)[1] == pytest.approx(np.dot(expected(X), v), rel=1e-12)
    np.testing.assert_allclose(srcad.hvp(f)(X, v), _hvp_by_differences(f, X, v), rtol=1e-5, atol=1e-6)


def test_self_attributes_are_read_when_the_derivative_runs():
    model = Model(np.ones(3))
    df = srcad.grad(model.loss)
    first = df(X)
    model.weights = 2.0 * np.ones(3)
    np.testing.assert_allclose(df(X), 2.0 * first)


def test_partial_arguments_are_constants_unless_wrt_names_them():
    np.testing.assert_allclose(srcad.grad(PARTIAL)(X, Y), 2.0 * np.cos(X) * Y)
    np.testing.assert_allclose(srcad.grad(PARTIAL, wrt=1)(X, Y), 2.0 * np.sin(X))
    assert srcad.grad(PARTIAL, wrt="scale")(X, Y, scale=2.0) == pytest.approx(np.sum(np.sin(X) * Y))
    np.testing.assert_allclose(srcad.grad(PARTIAL_POSITIONAL)(X, 3.0), 3.0 * np.sin(Y))


def test_a_bound_method_of_something_without_source_is_refused_clearly():
    with pytest.raises(srcad.SrcadError, match="cannot read the source"):
        srcad.grad(np.random.default_rng(0).gamma).source


def test_a_bound_method_with_a_rule_is_differentiated_by_it():
    assert srcad.grad(np.random.default_rng(0).normal)(0.3) == 1.0  # the location moves the draw


def test_a_kwargs_key_that_the_function_uses_itself_is_refused():
    def clashes(x, **kwargs):
        total = np.sum(x)
        return total * kwargs["total"]

    def f(x):
        return clashes(x, total=2.0)
    with pytest.raises(srcad.SrcadError, match="'total' into \\*\\*kwargs"):
        srcad.grad(f)(X)


def spreads_settings(x, settings=None):
    return np.sum(weighted(x, **settings))


def test_spreading_a_dict_into_keyword_only_parameters():
    # (tests/test_keyword_spreads.py has the other cases)
    for settings in ({"scale": 2.0}, {}):
        np.testing.assert_allclose(srcad.grad(spreads_settings)(X, settings),
                                   numerical_gradient(spreads_settings, [X, settings], 0), rtol=1e-6)


def test_a_method_calling_other_methods_of_self():
    f = LAYERED.loss
    for optimize in (True, False):
        np.testing.assert_allclose(srcad.grad(f, optimize=optimize)(X), numerical_gradient(f, (X,), 0),
                                   rtol=1e-6, atol=1e-8)
    v = _direction(X)
    assert srcad.jvp(f)(X, v)[1] == pytest.approx(np.dot(srcad.grad(f)(X), v), rel=1e-10)
    np.testing.assert_allclose(srcad.vjp(f)(X)[1](1.0), srcad.grad(f)(X), rtol=1e-12)
    np.testing.assert_allclose(srcad.hvp(f)(X, v), _hvp_by_differences(f, X, v), rtol=1e-5, atol=1e-6)


def test_a_method_of_a_value_that_carries_a_derivative_is_refused():
    def f(x):
        y = np.sin(x)
        return np.sum(y.tolist_twice())
    with pytest.raises(srcad.NonDifferentiableError, match="tolist_twice"):
        srcad.grad(f)(X)


# -- stale code -------------------------------------------------------------------------

_counter = itertools.count()


def _module(directory, source):
    name = f"calls_module_{next(_counter)}"
    path = pathlib.Path(directory) / f"{name}.py"
    path.write_text("import numpy as np\n\n" + textwrap.dedent(source))
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module, path


def test_a_file_edited_after_import_is_refused(tmp_path):
    module, path = _module(tmp_path, "def f(x):\n    return np.sum(x * x)\n")
    path.write_text("import numpy as np\n\ndef f(x):\n    return np.sum(x * x * x)\n")
    for transform in (srcad.grad, srcad.jvp, srcad.vjp, srcad.hvp):
        with pytest.raises(srcad.SrcadError, match="not the code that runs"):
            transform(module.f).source


def test_a_helper_edited_after_import_is_refused(tmp_path):
    module, path = _module(tmp_path, "def helper(x):\n    return x * x\n\ndef f(x):\n    return np.sum(helper(x))\n")
    path.write_text(path.read_text().replace("return x * x", "return x * x * x"))
    with pytest.raises(srcad.SrcadError, match="helper .* not the code that runs"):
        srcad.grad(module.f)(X)


def test_an_unchanged_file_with_methods_closures_and_imports_is_read(tmp_path):
    module, _ = _module(tmp_path, """\
        from numpy import sin

        class Box:
            __scale = 2.0

            def value(self, x):
                return np.sum(sin(x)) * self.__scale

        def make(k):
            def inner(x):
                return np.sum(x * k)
            return inner
        """)
    np.testing.assert_allclose(srcad.grad(module.Box().value)(X), 2.0 * np.cos(X))
    np.testing.assert_allclose(srcad.grad(module.make(3.0))(X), 3.0 * np.ones(3))


def test_a_helper_rebound_after_the_derivative_was_made_is_used(tmp_path):
    module, _ = _module(tmp_path, "def helper(x):\n    return x * x\n\ndef f(x):\n    return np.sum(helper(x))\n")
    transforms = [srcad.grad(module.f), srcad.grad(module.f, optimize=False)]
    jvp, vjp, hvp = srcad.jvp(module.f), srcad.vjp(module.f), srcad.hvp(module.f)
    v = np.ones(3)
    for df in transforms:
        np.testing.assert_allclose(df(X), 2.0 * X)
    assert jvp(X, v)[1] == pytest.approx(np.sum(2.0 * X))
    module.helper = lambda x: x * x * x
    for df in transforms:
        np.testing.assert_allclose(df(X), 3.0 * X ** 2)
    assert jvp(X, v)[1] == pytest.approx(np.sum(3.0 * X ** 2))
    np.testing.assert_allclose(vjp(X)[1](1.0), 3.0 * X ** 2)
    np.testing.assert_allclose(hvp(X, v), 6.0 * X)


def test_a_helper_rebound_inside_a_run_time_call_is_used(tmp_path):
    module, _ = _module(tmp_path, """\
        def helper(x):
            return x * x

        def step(x):
            return helper(x)

        def f(x, act):
            return np.sum(act(x))
        """)
    df = srcad.grad(module.f)
    np.testing.assert_allclose(df(X, module.step), 2.0 * X)
    module.helper = lambda x: 4.0 * x
    np.testing.assert_allclose(df(X, module.step), 4.0 * np.ones(3))


def checks_its_argument(x):
    assert x.ndim == 1, "a vector"
    return np.sum(x * x)


def test_a_function_with_an_assert_in_a_module_pytest_rewrote_is_read():
    np.testing.assert_allclose(srcad.grad(checks_its_argument)(X), 2.0 * X)


def h2(v2, k=2.0):
    return v2 * k


def h3(m5, k=0.5, *rest):
    u8 = h2(v2=np.ones(3), k=k)
    return rest[0] * np.sum(u8)


def nests_star_args_calls(x, y):
    return np.sum(h3(x, 1.0, h3(x, 1.0, y)))


def test_names_given_to_specialised_callees_never_shadow_a_global_another_function_reads():
    x, y = np.array([0.3, -0.2]), np.array([0.5, 1.5, -1.0])
    for optimize in (True, False):
        np.testing.assert_allclose(srcad.grad(nests_star_args_calls, 1, optimize=optimize)(x, y),
                                   numerical_gradient(nests_star_args_calls, (x, y), 1), rtol=1e-6)
    v = _direction(y)
    assert srcad.jvp(nests_star_args_calls, 1)(x, y, v)[1] == pytest.approx(
        np.dot(srcad.grad(nests_star_args_calls, 1)(x, y), v), rel=1e-10)


def adds_the_first_of_the_rest(m4, *rest):
    return m4 + rest[0]


def spreads_after_a_default(v8, k=0.3, *rest):
    return adds_the_first_of_the_rest(k * v8, *[rest[0]])


def spreads_inside_a_specialised_callee(x):
    return np.sum(spreads_after_a_default(x, np.sum(x), x * x))


def test_a_spread_call_inside_a_function_with_a_default_before_star_args():
    for optimize in (True, False):
        _, gradient = srcad.value_and_grad(spreads_inside_a_specialised_callee, optimize=optimize)(X)
        np.testing.assert_allclose(gradient, numerical_gradient(spreads_inside_a_specialised_callee, (X,), 0),
                                   rtol=1e-6)


STAR_AT_TWO_ARITIES = '''
import numpy as np

def h1(v1, *rest):
    m2 = rest[0]
    for r in rest:
        m2 = m2 + np.sin(r)
    return v1 * np.sum(m2)

def h2(s4):
    return h1(s4, s4) + h1(s4, s4, 2.0 * s4, s4)

def outer_first(x):
    return h1(x, x, x) + h2(x)

def helper_first(x):
    return h2(x) + h1(x, x, x)
'''


@pytest.mark.parametrize("name", ["outer_first", "helper_first"])
def test_a_star_function_specialised_in_two_callers_keeps_each_specialisation(tmp_path, name):
    # both callers name their specialisations of h1 alike (h1_2 ...); the program's shared globals
    # give one of them a new name, which the caller must still resolve
    path = tmp_path / "star_two_arities.py"
    path.write_text(STAR_AT_TWO_ARITIES)
    spec = importlib.util.spec_from_file_location("star_two_arities", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    f = getattr(module, name)
    expected = numerical_gradient(f, (0.5,), 0)
    for optimize in (True, False):
        np.testing.assert_allclose(srcad.grad(f, optimize=optimize)(0.5), expected, rtol=1e-6)
    assert srcad.jvp(f)(0.5, 1.0)[1] == pytest.approx(float(expected), rel=1e-6)
    step = 1e-5
    second = (srcad.grad(f)(0.5 + step) - srcad.grad(f)(0.5 - step)) / (2 * step)
    assert srcad.hvp(f)(0.5, 1.0) == pytest.approx(second, rel=1e-5)


def nested_passing_a_computed_default_on(x):
    s = np.sum(x)

    def inner(a, k=s * 2.0):
        return a * k

    def outer(a):
        return inner(a)
    return np.sum(outer(x))


def test_a_computed_default_of_a_nested_function_left_out_by_another_is_refused():
    with pytest.raises(srcad.UnsupportedSyntaxError, match="pass k in this call") as error:
        srcad.grad(nested_passing_a_computed_default_on)(X)
    assert "test_calls.py" in str(error.value) and "return inner(a)" in str(error.value)
