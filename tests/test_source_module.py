"""``.source`` is a module: it starts with the imports it needs, and run on its own (``exec``
in a fresh namespace) its functions compute what the derivative computes."""
import textwrap

import numpy as np
import pytest

import srcad
from gradcheck import assert_same_tree, numerical_gradient
from program_helpers import importable_module

MODEL = textwrap.dedent("""\
    import numpy as np
    from srcad import nn

    SCALE = np.array([1.0, 2.0, 0.5])
    STEPS = 3


    def layer(W, x):
        return np.tanh(W @ x)


    def two_layers(W, V, x):
        return np.sum(layer(V, layer(W, x)) * SCALE)


    def mlp(W1, W2, X, y, lam):
        H = np.maximum(0.0, X @ W1)
        U = H @ W2
        return nn.softmax_cross_entropy(U, y) + lam * (np.sum(W1 ** 2) + np.sum(W2 ** 2))


    def rnn(Wx, Wh, xs):
        h = np.zeros(Wh.shape[0])
        for t in range(xs.shape[0]):
            h = np.tanh(Wx @ xs[t] + Wh @ h)
        return np.sum(h ** 2)


    def loop(w, x):
        total = 0.0
        i = 0
        while i < STEPS:
            total = total + np.sin(w * x[i]) * SCALE[i]
            i += 1
        return total


    def params(p, x):
        return np.sum(np.tanh(p["W"] @ x + p["b"]) ** 2) + sum(np.sum(c ** 2) for c in [p["W"]])
""")


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    directory = tmp_path_factory.mktemp("source_module")
    with importable_module(MODEL, directory, f"source_module_model_{id(directory)}") as module:
        yield module


def _case(model, name):
    rng = np.random.default_rng(0)
    if name == "two_layers":
        return model.two_layers, (rng.normal(size=(4, 3)), rng.normal(size=(3, 4)), rng.normal(size=3)), (0, 1)
    if name == "mlp":
        X = rng.normal(size=(5, 3))
        return model.mlp, (rng.normal(size=(3, 4)), rng.normal(size=(4, 2)), X, np.array([0, 1, 1, 0, 1]), 0.1), (0, 1)
    if name == "rnn":
        return model.rnn, (rng.normal(size=(3, 2)), rng.normal(size=(3, 3)) * 0.5, rng.normal(size=(4, 2))), (0, 1)
    if name == "loop":
        return model.loop, (0.7, rng.normal(size=3)), (0,)
    return model.params, ({"W": rng.normal(size=(2, 3)), "b": rng.normal(size=2)}, rng.normal(size=3)), (0,)


CASES = ["two_layers", "mlp", "rnn", "loop", "params"]


def run_alone(source, function_name):
    """The function ``function_name`` of ``source`` run as a module of its own."""
    namespace = {"__name__": "generated"}
    exec(compile(source, "<source>", "exec"), namespace)  # noqa: S102 - the point of the test
    return namespace[function_name]


def _entry(source):
    """The last function the source defines: the one the transform calls."""
    return [line.split("(")[0][4:] for line in source.splitlines() if line.startswith("def ")][-1]


@pytest.mark.parametrize("optimize", [True, False])
@pytest.mark.parametrize("case", CASES)
def test_grad_source_runs_as_a_module(model, case, optimize):
    f, args, wrt = _case(model, case)
    df = srcad.grad(f, wrt=wrt if len(wrt) > 1 else wrt[0], optimize=optimize)
    expected = df(*args)
    source = df.source
    assert source.startswith("import numpy as np\n") or source.startswith("from ")
    alone = run_alone(source, _entry(source))(*args)
    assert_same_tree(alone if len(wrt) > 1 else (alone,), expected if len(wrt) > 1 else (expected,))
    if case != "params":  # the finite differences themselves, not only agreement with srcad
        for got, position in zip(alone if len(wrt) > 1 else (alone,), wrt):
            np.testing.assert_allclose(got, numerical_gradient(f, args, position), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("case", CASES[:-1])
def test_jvp_source_runs_as_a_module(model, case):
    f, args, wrt = _case(model, case)
    tangents = tuple(np.ones_like(np.asarray(args[p])) if not isinstance(args[p], float) else 1.0 for p in wrt)
    g = srcad.jvp(f, wrt=wrt if len(wrt) > 1 else wrt[0])
    value, tangent = g(*args, *tangents)
    source = g.source
    alone_value, alone_tangent = run_alone(source, source.split("(")[0].split("def ")[1])(*args, *tangents)
    np.testing.assert_allclose(alone_value, value)
    np.testing.assert_allclose(alone_tangent, tangent)


@pytest.mark.parametrize("case", ["two_layers", "mlp", "rnn"])
def test_hvp_source_runs_as_a_module(model, case):
    f, args, wrt = _case(model, case)
    h = srcad.hvp(f, wrt=0)
    v = np.ones_like(args[0])
    expected = h(*args, v)
    source = h.source
    alone = run_alone(source, source.split("def ")[1].split("(")[0])(*args, v)
    np.testing.assert_allclose(alone, expected)


def test_value_and_grad_source_runs_as_a_module(model):
    f, args, wrt = _case(model, "mlp")
    vg = srcad.value_and_grad(f, wrt=(0, 1))
    value, grads = vg(*args)
    alone_value, alone_grads = run_alone(vg.source, _entry(vg.source))(*args)
    np.testing.assert_allclose(alone_value, value)
    assert_same_tree(alone_grads, grads)


def test_imports_name_each_helper_once_and_only_what_is_read(model):
    source = srcad.grad(model.mlp, wrt=(0, 1)).source
    header = source.split("\n\n\n")[0].splitlines()
    assert header[0] == "import numpy as np"
    assert "from srcad import nn" in header
    assert all(line.startswith(("import ", "from ")) for line in header)
    imported = [name.strip() for line in header if line.startswith("from ")
                for name in line.split(" import ")[1].split(",")]
    assert len(imported) == len(set(imported))
    body = source.split("\n\n\n", 1)[1]
    for name in imported:
        assert name in body


def test_user_functions_and_data_are_imported_from_their_module(model):
    source = srcad.grad(model.two_layers, wrt=(0, 1)).source
    assert f"from {model.__name__} import SCALE" in source
    loop_source = srcad.grad(model.loop).source
    assert f"from {model.__name__} import SCALE, STEPS" in loop_source


def test_a_global_no_import_can_bind_is_named_in_a_comment():
    scale = np.array([1.0, 2.0])

    def closure(x):
        return np.sum(x * scale)

    source = srcad.grad(closure).source
    assert "# scale: ndarray of shape (2,)" in source
    assert "define it before running this module" in source


# -- calls decided when the code runs say so ------------------------------------------------

DISPATCHED = textwrap.dedent("""\
    import numpy as np
    import srcad


    @srcad.checkpoint
    def block(w, x):
        return np.tanh(w * x)


    def uses_checkpoint(w, x):
        return np.sum(block(w, x) ** 2)


    def passes_a_function(act, w, x):
        return np.sum(act(w * x))


    class Net:
        def __init__(self):
            self.w = 2.0

        def layer(self, x):
            return np.tanh(self.w * x)

        def loss(self, x):
            return np.sum(self.layer(x) ** 2)
""")


@pytest.fixture(scope="module")
def dispatched(tmp_path_factory):
    directory = tmp_path_factory.mktemp("dispatched")
    with importable_module(DISPATCHED, directory, f"dispatched_model_{id(directory)}") as module:
        yield module


def _comment_above(source, fragment):
    lines = source.splitlines()
    index = next(i for i, line in enumerate(lines) if fragment in line and not line.lstrip().startswith("#"))
    return lines[index - 1].strip()


@pytest.mark.parametrize("transform", ["grad", "grad_unoptimised", "jvp", "hvp"])
def test_a_function_passed_as_an_argument_is_said_to_be_known_at_run_time(dispatched, transform):
    f = dispatched.passes_a_function
    derivative = {"grad": lambda: srcad.grad(f, wrt=1), "grad_unoptimised": lambda: srcad.grad(f, 1, optimize=False),
                  "jvp": lambda: srcad.jvp(f, wrt=1), "hvp": lambda: srcad.hvp(f, wrt=1)}[transform]()
    source = derivative.source
    call = "call_jvp(act" if transform == "jvp" else "call_forward_jvp(act" if transform == "hvp" else "call_forward(act"
    assert _comment_above(source, call) == "# act is known only when this runs: srcad finds its rule, or transforms it, then"
    w, x = np.array([0.3, -0.2]), np.array([1.0, 2.0])
    if transform.startswith("grad"):
        got = run_alone(source, _entry(source))(np.sin, w, x)
        np.testing.assert_allclose(got, np.cos(w * x) * x)


def test_a_method_of_self_is_said_to_be_known_at_run_time(dispatched):
    source = srcad.grad(dispatched.Net.loss, wrt=1).source
    assert _comment_above(source, "call_forward(self.layer").startswith("# self.layer is known only when this runs")


def test_a_checkpointed_call_says_it_recomputes(dispatched):
    df = srcad.grad(dispatched.uses_checkpoint)
    source = df.source
    assert _comment_above(source, "call_forward(block") == \
        "# block is checkpointed: made when this runs, its backward sweep recomputes its forward sweep"
    w, x = np.array([0.3, -0.2]), np.array([1.0, 2.0])
    np.testing.assert_allclose(run_alone(source, _entry(source))(w, x), df(w, x))
    np.testing.assert_allclose(df(w, x), numerical_gradient(dispatched.uses_checkpoint, (w, x), 0), rtol=1e-6)
