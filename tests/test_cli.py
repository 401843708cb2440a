"""``python -m srcad show FILE.py:FUNCTION``: the derivative's source, or a clear error."""
import os
import re
import subprocess
import sys
import textwrap

import pytest

import srcad
from srcad.cli import CommandError, parse_wrt

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

MODEL = textwrap.dedent("""\
    import numpy as np

    def loss(W, b, X, lam):
        H = np.tanh(X @ W + b)
        return np.sum(H ** 2) + lam * np.sum(W ** 2)

    def unsupported(x):
        try:
            y = np.sin(x)
        except ValueError:
            y = x
        return np.sum(y)

    def calls_unknown(x, thing):
        return np.sum(x.method(thing))

    if __name__ == "__main__":
        raise SystemExit("the script part must not run")
""")


@pytest.fixture
def model(tmp_path):
    path = tmp_path / "model.py"
    path.write_text(MODEL)
    return path


def run(*args, cwd=None):
    env = dict(os.environ)
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.run([sys.executable, "-m", "srcad", *args], capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=120)


def test_show_prints_the_generated_derivative(model):
    result = run("show", f"{model}:loss", "--wrt", "0,b")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    source = result.stdout
    compile(source, "<shown>", "exec")
    assert source.startswith("import numpy as np\n")   # a module: its imports first
    assert "\ndef d_loss(W, b, X, lam):" in source
    assert "d_W" in source and "d_b" in source
    assert "model.py:4" in source          # lines point back at the user's file
    assert not re.search(r"\bd_X\b", source)  # X is not differentiated


def test_default_wrt_is_the_first_argument_and_names_work(model):
    by_default = run("show", f"{model}:loss")
    by_name = run("show", f"{model}:loss", "--wrt", "W")
    assert by_default.returncode == 0 and by_name.returncode == 0
    assert by_default.stdout == by_name.stdout
    assert by_default.stdout.rstrip().endswith("return d_W")


def test_relative_path_from_the_files_directory(model):
    result = run("show", "model.py:loss", "--wrt", "1", cwd=model.parent)
    assert result.returncode == 0, result.stderr
    assert result.stdout.rstrip().endswith("return d_b")


@pytest.mark.parametrize("target, message", [
    ("missing.py:loss", "no such file"),
    ("{model}:nothing", "has no function 'nothing'"),
    ("{model}", "FILE.py:FUNCTION"),
    ("{model}:unsupported", "try/except"),
    ("{model}:calls_unknown", "x.method"),
])
def test_mistakes_exit_2_with_a_message_and_no_traceback(model, tmp_path, target, message):
    result = run("show", target.format(model=model), cwd=tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_unsupported_syntax_error_names_the_users_line(model):
    result = run("show", f"{model}:unsupported")
    assert result.returncode == 2
    assert "model.py" in result.stderr and "line 8" in result.stderr
    assert "try:" in result.stderr


def test_forward_mode(model):
    result = run("show", f"{model}:loss", "--mode", "forward")
    if hasattr(srcad, "jvp"):
        assert result.returncode == 0, result.stderr
        compile(result.stdout, "<shown>", "exec")
    else:
        assert result.returncode == 2
        assert "forward mode is unavailable" in result.stderr
        assert "Traceback" not in result.stderr


def test_a_file_that_fails_to_import(tmp_path):
    path = tmp_path / "broken.py"
    path.write_text("import numpy as np\nraise RuntimeError('boom')\n")
    result = run("show", f"{path}:f")
    assert result.returncode == 2
    assert "boom" in result.stderr and "line 2" in result.stderr
    assert "Traceback" not in result.stderr


def test_parse_wrt():
    assert parse_wrt("0") == 0
    assert parse_wrt("-1") == -1
    assert parse_wrt("0,1") == (0, 1)
    assert parse_wrt("W1, b1") == ("W1", "b1")
    assert parse_wrt("0,b") == (0, "b")
    with pytest.raises(CommandError):
        parse_wrt("0,,1")
    with pytest.raises(CommandError):
        parse_wrt("a-b")


# -- show: modes, shapes, methods, packages, colours --------------------------------------

METHODS = textwrap.dedent("""\
    import numpy as np


    class Net:
        def __init__(self):
            self.scale = 2.0

        def loss(self, W, x):
            return np.sum(np.tanh(W @ x) ** 2) * self.scale

        @staticmethod
        def plain(W, x):
            return np.sum(W @ x)


    def vector(W, x):
        return np.tanh(W @ x)


    def wrong(W, x):
        return np.sum(np.abs(W @ x)) + np.sum(np.floor(W))
""")


@pytest.fixture
def methods(tmp_path):
    path = tmp_path / "methods.py"
    path.write_text(METHODS)
    return path


@pytest.mark.parametrize("mode, first", [("jvp", "def jvp_loss("), ("forward", "def jvp_loss("),
                                         ("hvp", "def hvp_d_loss(")])
def test_show_other_modes(model, mode, first):
    result = run("show", f"{model}:loss", "--wrt", "0,1", "--mode", mode)
    assert result.returncode == 0, result.stderr
    compile(result.stdout, "<shown>", "exec")
    assert first in result.stdout


def test_show_with_shapes_and_without_optimisation(model):
    optimised = run("show", f"{model}:loss", "--shapes", "W=3,2 b=2 X=4,3 lam=")
    plain = run("show", f"{model}:loss", "--shapes", "W=3,2 b=2 X=4,3 lam=", "--no-optimize")
    assert optimised.returncode == 0 and plain.returncode == 0, optimised.stderr + plain.stderr
    assert optimised.stdout != plain.stdout
    assert "def d_loss(W, b, X, lam):" in plain.stdout


def test_a_method_does_not_differentiate_self_by_default(methods):
    result = run("show", f"{methods}:Net.loss")
    assert result.returncode == 0, result.stderr
    assert "def d_loss(self, W, x):" in result.stdout
    assert result.stdout.rstrip().endswith("return d_W")
    static = run("show", f"{methods}:Net.plain")
    assert static.returncode == 0 and static.stdout.rstrip().endswith("return d_W")


def test_a_non_scalar_output_is_warned_about_and_shown_as_a_vjp(methods):
    result = run("show", f"{methods}:vector", "--shapes", "W=3,2 x=2")
    assert result.returncode == 0, result.stderr
    assert "warning" in result.stderr and "shape (3,)" in result.stderr and "srcad.vjp" in result.stderr
    assert "def vector_backward(saved, d_out):" in result.stdout


def test_a_file_in_a_package_imports_relatively(tmp_path):
    package = tmp_path / "project" / "models"
    package.mkdir(parents=True)
    (tmp_path / "project" / "__init__.py").write_text("")
    (package / "__init__.py").write_text("")
    (package / "layers.py").write_text("import numpy as np\n\n\ndef layer(W, x):\n    return np.tanh(W @ x)\n")
    (package / "net.py").write_text(textwrap.dedent("""\
        import numpy as np

        from .layers import layer
        from ..settings import SCALE


        def loss(W, x):
            return np.sum(layer(W, x) ** 2) * SCALE
    """))
    (tmp_path / "project" / "settings.py").write_text("SCALE = 3.0\n")
    result = run("show", str(package / "net.py") + ":loss", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "from project.models.layers import layer" in result.stdout or "layer_forward" in result.stdout
    assert "from project.models.net import SCALE" in result.stdout
    checked = run("check", str(package / "net.py") + ":loss", "--shapes", "W=2,3 x=3")
    assert checked.returncode == 0, checked.stderr


def test_show_is_highlighted_on_a_terminal_and_plain_in_a_pipe(model):
    import pty

    pytest.importorskip("pygments")  # srcad does not need it; the docs extra installs it
    plain = run("show", f"{model}:loss")
    assert "\x1b[" not in plain.stdout
    leader, follower = pty.openpty()
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    env.pop("NO_COLOR", None)
    process = subprocess.Popen([sys.executable, "-m", "srcad", "show", f"{model}:loss"], stdout=follower,
                               stderr=subprocess.PIPE, env=env)
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    assert process.wait(timeout=120) == 0
    os.close(leader)
    coloured = b"".join(chunks).decode()
    assert "\x1b[" in coloured
    assert re.sub(r"\x1b\[[0-9;]*m", "", coloured).replace("\r\n", "\n") == plain.stdout


# -- check -------------------------------------------------------------------------------------


def test_check_prints_the_error_of_each_argument(model):
    result = run("check", f"{model}:loss", "--wrt", "0,b", "--shapes", "W=3,2 b=2 X=4,3 lam=", "--seed", "3")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert [line.split(":")[0] for line in lines] == ["W", "b"]
    for line in lines:
        assert line.endswith(" ok") and float(line.split()[-2]) < 1e-6


def test_check_of_a_non_scalar_output_checks_the_vjp(methods):
    result = run("check", f"{methods}:vector", "--shapes", "W=3,2 x=2", "--wrt", "0,1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.count(" ok") == 2


def test_check_of_a_method_makes_self(methods):
    result = run("check", f"{methods}:Net.loss", "--shapes", "W=3,2 x=2")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("W: max relative error")


def test_check_fails_with_status_1_where_the_derivative_is_wrong(tmp_path):
    # srcad says np.floor has no derivative (it is piecewise constant); with a kink that the
    # finite differences straddle the two disagree, which is what a failed check looks like
    path = tmp_path / "steps.py"
    path.write_text("import numpy as np\n\n\ndef f(x):\n    return np.sum(np.floor(x * 1e6))\n")
    result = run("check", f"{path}:f", "--shapes", "x=4", "--tolerance", "1e-3")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "FAILED" in result.stdout


# -- export --------------------------------------------------------------------------------------


def test_export_writes_a_module_that_runs_without_srcad(model, tmp_path):
    output = tmp_path / "d_loss.py"
    result = run("export", f"{model}:loss", "--wrt", "0,1", "-o", str(output))
    assert result.returncode == 0, result.stderr
    assert str(output) in result.stderr
    script = textwrap.dedent(f"""\
        import sys
        sys.modules["srcad"] = None      # import srcad fails here
        sys.path.insert(0, {str(model.parent)!r})
        sys.path.insert(0, {str(tmp_path)!r})
        import numpy as np
        import d_loss
        W, b, X = np.ones((3, 2)), np.zeros(2), np.arange(12.0).reshape(4, 3) / 10
        dW, db = getattr(d_loss, d_loss.__all__[0])(W, b, X, 0.5)
        print(dW.shape, db.shape)
    """)
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    ran = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.strip() == "(3, 2) (2,)"


def test_export_to_stdout(model):
    result = run("export", f"{model}:loss")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith('"""The derivative of loss')
    compile(result.stdout, "<exported>", "exec")


# -- usage errors -------------------------------------------------------------------------------


@pytest.mark.parametrize("arguments, message", [
    (["show", "{model}:loss", "--mode", "sideways"], "invalid choice"),
    (["show", "{model}:loss", "--shapes", "W=3,x"], "whole numbers"),
    (["show", "{model}:loss", "--shapes", "nothing"], "name=3,4"),
    (["check", "{model}:loss"], "--shapes"),
    (["check", "{model}:loss", "--shapes", "W=3,2"], "no shape for 'b'"),
    (["check", "{model}:loss", "--shapes", "W=3,2 b=2 X=4,3 lam= Q=2"], "names Q"),
    (["export", "{model}:loss", "--wrt", "0,,1"], "--wrt"),
    (["frobnicate"], "invalid choice"),
    ([], "command"),
])
def test_usage_errors_exit_2(model, arguments, message):
    result = run(*[argument.format(model=model) for argument in arguments])
    assert result.returncode == 2, result.stdout + result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_the_readme_says_what_the_commands_import():
    readme = open(os.path.join(ROOT, "README.md")).read()
    assert "without running it" not in readme
    assert "top-level code runs" in readme
