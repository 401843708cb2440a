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
