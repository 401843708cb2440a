"""``srcad.export``: the generated code as a module that needs only NumPy. Each case exports a
derivative, imports the module in a fresh process in which srcad cannot be imported, and
compares what it computes with the derivative itself."""
import os
import pickle
import re
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import srcad
from gradcheck import numerical_gradient
from program_helpers import importable_module

# the user's modules: this one does not import srcad (the exported code imports from it)
MODEL = textwrap.dedent("""\
    import numpy as np

    SCALE = np.array([1.0, 2.0, 0.5])


    def layer(W, x):
        return np.tanh(W @ x)


    def two_layers(W, V, x):
        return np.sum(layer(V, layer(W, x)) * SCALE)


    def rnn(Wx, Wh, xs):
        h = np.zeros(Wh.shape[0])
        for t in range(xs.shape[0]):
            h = np.tanh(Wx @ xs[t] + Wh @ h)
        return np.sum(h ** 2)


    def tree(p, x):
        total = 0.0
        for W, b in p:
            x = np.tanh(W @ x + b)
            total = total + np.sum(x ** 2)
        return total


    def passes_a_function(act, w, x):
        return np.sum(act(w * x))
""")

# this one does: the code exported for it copies srcad.nn's helpers and imports nothing from it
MLP = textwrap.dedent("""\
    import numpy as np
    from srcad import nn


    def mlp(W1, b1, W2, X, y, lam):
        H = nn.relu(X @ W1 + b1)
        U = H @ W2
        return nn.softmax_cross_entropy(U, y) + lam * (np.sum(W1 ** 2) + np.sum(W2 ** 2))
""")

# run in the fresh process: srcad cannot be imported there, the exported module is
RUNNER = textwrap.dedent("""\
    import importlib.abc, pickle, sys

    class NoSrcad(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path, target=None):
            if name == "srcad" or name.startswith("srcad."):
                raise ImportError("srcad is not available here")
            return None

    sys.meta_path.insert(0, NoSrcad())
    sys.path[:] = [p for p in sys.path if "wt-" not in p and p != ""] + [sys.argv[1]]
    module = importlib.import_module(sys.argv[2])
    with open(sys.argv[3], "rb") as file:
        args = pickle.load(file)
    result = getattr(module, sys.argv[4])(*args)
    assert "srcad" not in sys.modules
    with open(sys.argv[5], "wb") as file:
        pickle.dump(result, file)
""")


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    directory = tmp_path_factory.mktemp("export")
    name = f"export_model_{os.getpid()}"
    with importable_module(MODEL, directory, name) as module, \
            importable_module(MLP, directory, f"{name}_mlp") as mlp_module:
        module.mlp = mlp_module.mlp
        yield module


def run_exported(tmp_path, model, derivative, args, name):
    """Export ``derivative``, then call the exported function ``name`` at ``args`` in a
    process without srcad; returns its result and the module's text."""
    module_name = f"d_{name}_{os.getpid()}"
    path = tmp_path / f"{module_name}.py"
    text = srcad.export(derivative, path)
    assert path.read_text() == text
    (tmp_path / "args.pickle").write_bytes(pickle.dumps(tuple(args)))
    runner = tmp_path / "runner.py"
    runner.write_text(RUNNER)
    model_directory = os.path.dirname(model.__file__)
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    env["PYTHONPATH"] = model_directory
    result = subprocess.run([sys.executable, str(runner), str(tmp_path), module_name, str(tmp_path / "args.pickle"),
                             _entry(text), str(tmp_path / "result.pickle")], capture_output=True, text=True,
                            env=env, cwd=str(tmp_path), timeout=120)
    assert result.returncode == 0, result.stderr
    return pickle.loads((tmp_path / "result.pickle").read_bytes()), text


def _entry(text):
    """The function the derivative runs: the module's ``__all__`` names it."""
    return re.search(r"^__all__ = \['(\w+)'\]$", text, re.M).group(1)


def _args(name):
    rng = np.random.default_rng(3)
    if name == "two_layers":
        return rng.normal(size=(4, 3)), rng.normal(size=(3, 4)), rng.normal(size=3)
    if name == "mlp":
        return (rng.normal(size=(3, 4)), rng.normal(size=4), rng.normal(size=(4, 2)), rng.normal(size=(6, 3)),
                np.array([0, 1, 1, 0, 1, 0]), 0.01)
    if name == "rnn":
        return rng.normal(size=(3, 2)), rng.normal(size=(3, 3)) * 0.5, rng.normal(size=(4, 2))
    return [(rng.normal(size=(3, 2)), rng.normal(size=3)), (rng.normal(size=(2, 3)), rng.normal(size=2))], \
        rng.normal(size=2)


def _assert_close(got, expected):
    if isinstance(expected, (list, tuple)):
        assert len(got) == len(expected)
        for g, e in zip(got, expected):
            _assert_close(g, e)
    else:
        np.testing.assert_allclose(np.asarray(got, dtype=float), np.asarray(expected, dtype=float), rtol=1e-12)


@pytest.mark.parametrize("optimize", [True, False])
@pytest.mark.parametrize("name, wrt", [("two_layers", (0, 1)), ("mlp", (0, 1, 2)), ("rnn", (0, 1)), ("tree", 0)])
def test_exported_gradient_runs_without_srcad(tmp_path, model, name, wrt, optimize):
    f, args = getattr(model, name), _args(name)
    df = srcad.grad(f, wrt=wrt, optimize=optimize)
    expected = df(*args)
    got, text = run_exported(tmp_path, model, df, args, name)
    _assert_close(got, expected)
    assert not re.search(r"^\s*(import|from) srcad", text, re.M)
    if name != "tree":
        for result, position in zip(got, wrt):
            np.testing.assert_allclose(result, numerical_gradient(f, args, position), rtol=1e-5, atol=1e-7)


def test_exported_module_imports_the_users_functions_and_copies_srcads_helpers(tmp_path, model):
    df = srcad.grad(model.two_layers, wrt=(0, 1))
    text = srcad.export(df, tmp_path / "d_two_layers.py")
    assert f"from {model.__name__} import SCALE" in text
    assert "import numpy as np" in text
    assert "\ndef unmatmul_a(" in text          # copied in, with its docstring
    assert text.count("\ndef unmatmul_a(") == 1
    compile(text, "d_two_layers.py", "exec")


@pytest.mark.parametrize("transform", ["jvp", "hvp", "value_and_grad"])
def test_other_transforms_export_too(tmp_path, model, transform):
    args = _args("mlp")
    if transform == "jvp":
        derivative = srcad.jvp(model.mlp, wrt=(0, 2))
        call = args + (np.ones_like(args[0]), np.ones_like(args[2]))
    elif transform == "hvp":
        derivative = srcad.hvp(model.mlp, wrt=0)
        call = args + (np.ones_like(args[0]),)
    else:
        derivative = srcad.value_and_grad(model.mlp, wrt=(0, 1))
        call = args
    expected = derivative(*call)
    got, _ = run_exported(tmp_path, model, derivative, call, f"mlp_{transform}")
    _assert_close(got, expected)


def test_code_that_dispatches_at_run_time_is_refused_with_the_reason(tmp_path, model):
    df = srcad.grad(model.passes_a_function, wrt=1)
    with pytest.raises(srcad.SrcadError, match="decides when the code runs"):
        srcad.export(df, tmp_path / "d.py")
    assert not (tmp_path / "d.py").exists()


def test_a_function_of_the_script_being_run_is_refused(tmp_path):
    def local(x):
        return np.sum(x ** 2)

    scale = np.ones(2)

    def closure(x):
        return np.sum(local(x) * scale)

    with pytest.raises(srcad.SrcadError, match="cannot export"):
        srcad.export(srcad.grad(closure), tmp_path / "d.py")


def test_export_takes_a_derivative():
    with pytest.raises(srcad.SrcadError, match="srcad.export takes a derivative"):
        srcad.export(len, "d.py")
