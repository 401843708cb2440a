"""Every example runs in its reduced mode (``--quick``) and shows what it claims: the loss
falls, the accuracy passes its threshold, the figure is written."""
import importlib.util
import os
import pathlib
import re
import subprocess
import sys
import time

import numpy as np
import pytest

EXAMPLES = pathlib.Path(__file__).resolve().parent.parent / "examples"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def run_example(name, out):
    """``examples/<name>.py``'s ``main(quick=True)``, run in this process; its summary."""
    sys.path.insert(0, str(EXAMPLES))  # the examples import their shared helpers
    try:
        spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        summary = module.main(quick=True, out=out)
    finally:
        sys.path.remove(str(EXAMPLES))
    figure = pathlib.Path(summary["figure"])
    assert figure.parent == pathlib.Path(out) and figure.read_bytes()[:8] == PNG_SIGNATURE
    return summary


def test_train_mlp_checks_its_gradient_and_learns_the_digits(tmp_path, capsys):
    summary = run_example("train_mlp", tmp_path)
    printed = capsys.readouterr().out
    assert summary["gradient error"] < 1e-6
    assert "max relative error" in printed and "def value_and_d_loss" in printed
    history = summary["history"]
    assert history["train loss"][-1] < 0.5 * history["train loss"][0]
    assert history["validation accuracy"][-1] > history["validation accuracy"][0]
    assert summary["test accuracy"] >= 0.9  # four epochs; the full twenty reach 95% and more


def test_dask_training_runs_on_a_cluster_of_its_own_and_learns(tmp_path, capsys):
    import dask.distributed

    start = time.perf_counter()
    summary = run_example("dask_training", tmp_path)
    assert time.perf_counter() - start < 60  # the cluster started and stopped included
    with pytest.raises(ValueError):
        dask.distributed.default_client()  # the example's client is closed, and its cluster with it
    assert summary["workers"] == 2
    assert summary["gradient error"] < 1e-12  # the cluster's gradient is NumPy's, to rounding
    assert "never held in one array" in capsys.readouterr().out
    losses = summary["losses"]
    assert np.mean(losses[-3:]) < 0.75 * np.mean(losses[:3])
    assert summary["accuracy after"] > summary["accuracy before"] + 0.2


def test_xor_is_learned_exactly(tmp_path):
    summary = run_example("xor", tmp_path)
    assert summary["losses"][-1] < 1e-3 * summary["losses"][0]
    np.testing.assert_allclose(summary["predictions"], [0.0, 1.0, 1.0, 0.0], atol=0.05)


def test_hidden_units_all_learn(tmp_path, capsys):
    summary = run_example("hidden_units", tmp_path)
    table = capsys.readouterr().out
    results = summary["results"]
    assert len(results) == 9
    for name, result in results.items():
        assert name in table
        assert result["test accuracy"] > 0.6, name  # one epoch: every unit is well above chance (10%)
        assert result["seconds"] > 0


def test_mixture_density_beats_one_gaussian(tmp_path):
    summary = run_example("mixture_density", tmp_path)
    losses = summary["losses"]
    assert losses[-1] < losses[0]
    assert losses[-1] < summary["single gaussian"] - 0.5


def test_rnn_predicts_better_than_repeating_the_last_value(tmp_path):
    summary = run_example("rnn", tmp_path)
    assert summary["losses"][-1] < 0.1 * summary["losses"][0]
    assert summary["test error"] < 0.5 * summary["repeat last"]


def test_hessian_spectrum_agrees_with_the_full_hessian(tmp_path):
    summary = run_example("hessian_spectrum", tmp_path)
    np.testing.assert_allclose(summary["ritz"][:4], summary["exact"][:4], rtol=1e-8)
    assert set(summary["spectra"]) == {"at initialisation", "after training"}


def test_an_example_runs_from_the_command_line_in_quick_mode(tmp_path):
    root = EXAMPLES.parent
    environment = {key: value for key, value in os.environ.items() if key not in ("DISPLAY", "MPLBACKEND")}
    environment.update(SRCAD_EXAMPLES_QUICK="1",  # headless and reduced, as the tests run it
                       PYTHONPATH=os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")]))
    done = subprocess.run([sys.executable, str(EXAMPLES / "xor.py"), "--out", str(tmp_path)],
                          capture_output=True, text=True, env=environment, timeout=120)
    assert done.returncode == 0, done.stderr
    assert f"figure written to {tmp_path / 'xor.png'}" in done.stdout
    assert re.search(r"^step +200 ", done.stdout, re.M)  # the reduced run's last step


@pytest.mark.parametrize("name", ["train_mlp", "xor", "hidden_units", "mixture_density", "rnn", "hessian_spectrum"])
def test_each_example_is_in_the_readme(name):
    assert f"`{name}.py`" in (EXAMPLES / "README.md").read_text()
