"""One cache of generated code for every transform of the same function, bounded, and the
thin call path of ``grad``: the same results as the full path, globals re-read, stale code
made again."""
import collections
import gc
import linecache
import os

import numpy as np
import pytest

import srcad
from srcad.api.transform import _SharedCode
from srcad.compiler.passes import p16_emit as emit
from srcad.runtime.sources import is_generated_file

SCALE = 2.0


def scaled(x, y):
    return SCALE * np.sum(np.sin(x) * y)


def helper(x):
    return x * x


def through_helper(x):
    return np.sum(helper(x))


def scaled_once(x):
    return np.sum(x * 1.0)


def scaled_twice(x):
    return np.sum(x * 2.0)


def scaled_thrice(x):
    return np.sum(x * 3.0)


def ignores_y(x, y):
    return np.sum(x ** 2)


@pytest.fixture
def compilations(monkeypatch):
    """The sources compiled from now on; a fresh shared cache."""
    monkeypatch.setattr(_SharedCode, "_kept", collections.OrderedDict())
    compiled = []
    original = emit.compile_source

    def counting(*args, **kwargs):
        compiled.append(args[1])
        return original(*args, **kwargs)

    monkeypatch.setattr(emit, "compile_source", counting)
    return compiled


@pytest.mark.parametrize("make", [lambda f: srcad.grad(f, wrt=(0, 1)), lambda f: srcad.value_and_grad(f)])
def test_making_a_transform_again_reuses_its_code(compilations, make):
    x, y = np.linspace(0.1, 1.0, 4), np.ones(4)
    first = make(scaled)(x, y)
    count = len(compilations)
    assert count >= 1
    for _ in range(3):
        again = make(scaled)(x, y)
    assert len(compilations) == count
    for got, expected in zip(again, first):
        np.testing.assert_allclose(got, expected)


def test_other_options_or_wrt_have_their_own_code(compilations):
    x, y = np.linspace(0.1, 1.0, 4), np.ones(4)
    srcad.grad(scaled)(x, y)
    count = len(compilations)
    np.testing.assert_allclose(srcad.grad(scaled, wrt=1)(x, y), SCALE * np.sin(x))
    np.testing.assert_allclose(srcad.grad(scaled, optimize=False)(x, y), SCALE * np.cos(x) * y)
    assert len(compilations) == count + 2
    assert isinstance(srcad.grad(scaled, wrt=[0, 1])(x, y), tuple)


def test_the_shared_cache_is_bounded(compilations, monkeypatch):
    monkeypatch.setattr(_SharedCode, "BOUND", 2)
    x = np.ones(3)
    functions = [scaled_once, scaled_twice, scaled_thrice]
    for function in functions:
        srcad.grad(function)(x)
    assert len(_SharedCode._kept) == 2
    count = len(compilations)
    srcad.grad(functions[0])(x)  # the least recently used one was dropped
    assert len(compilations) == count + 1


def test_dropped_code_takes_its_lines_along():
    def generated_files():
        return {name for name in linecache.cache if is_generated_file(name)}

    gc.collect()
    before = generated_files()
    for scale in range(20):
        def fresh(x):
            return np.sum(np.sin(x)) * 3.0
        srcad.grad(fresh)(np.ones(2))
    del fresh
    _SharedCode._kept.clear()
    made = generated_files() - before
    assert made, "no generated source was registered"
    gc.collect()
    assert not generated_files() & made
    assert not any(os.path.exists(name) for name in made)


def test_thin_path_gives_what_the_full_path_gives(compilations):
    x, y = np.linspace(0.1, 1.0, 4), np.ones(4)
    gradient = srcad.grad(scaled, wrt=(0,))
    full = gradient(x, y)
    assert gradient._thin, "the first call set up no thin path"
    thin = gradient(x, y)
    assert isinstance(thin, tuple) and len(thin) == 1
    np.testing.assert_array_equal(thin[0], full[0])
    assert thin[0] is not full[0]


def test_thin_path_shapes_a_gradient_that_nothing_reached():
    gradient = srcad.grad(ignores_y, wrt=(0, 1))
    x, y = np.ones(3), np.ones((2, 2), dtype=np.float32)
    for _ in range(3):
        dx, dy = gradient(x, y)
        np.testing.assert_allclose(dx, 2 * x)
        assert dy.shape == (2, 2) and dy.dtype == np.float32 and not dy.any()


def test_thin_path_for_floats_returns_floats():
    gradient = srcad.grad(lambda a, b: a * a * b, wrt=(0, 1))
    for _ in range(3):
        da, db = gradient(1.5, 2.0)
        assert type(da) is float and type(db) is float
        assert (da, db) == (6.0, 2.25)


def test_thin_path_reads_a_rebound_global(monkeypatch):
    x, y = np.linspace(0.1, 1.0, 4), np.ones(4)
    gradient = srcad.grad(scaled)
    gradient(x, y)
    gradient(x, y)
    monkeypatch.setitem(globals(), "SCALE", 5.0)
    np.testing.assert_allclose(gradient(x, y), 5.0 * np.cos(x))


def test_thin_path_makes_code_again_for_a_redefined_helper(monkeypatch):
    x = np.linspace(0.1, 1.0, 4)
    gradient = srcad.grad(through_helper)
    gradient(x)
    np.testing.assert_allclose(gradient(x), 2 * x)
    monkeypatch.setitem(globals(), "helper", lambda x: x * x * x)
    np.testing.assert_allclose(gradient(x), 3 * x * x)


def test_thin_path_reports_a_non_scalar_output_with_the_users_line():
    gradient = srcad.grad(lambda x, n: np.sin(x)[:n].sum() if n > 0 else np.sin(x))
    x = np.ones(3)
    gradient(x, 2)
    gradient(x, 2)
    with pytest.raises(srcad.SrcadError, match="scalar"):
        gradient(x, 0)


def test_thin_path_of_value_and_grad_checks_the_value():
    derivative = srcad.value_and_grad(lambda x: np.sum(np.sin(x) ** 2))
    x = np.linspace(0.1, 1.0, 4)
    full = derivative(x)
    thin = derivative(x)
    assert derivative._thin
    np.testing.assert_allclose(thin[0], full[0])
    np.testing.assert_array_equal(thin[1], full[1])


def test_thin_path_runs_under_check_finite():
    gradient = srcad.grad(lambda x: np.sum(np.sqrt(x)))
    x = np.array([4.0, 0.0])
    with np.errstate(divide="ignore"):
        gradient(x)
        assert gradient(x)[1] == np.inf  # the thin path
    with srcad.check_finite():
        with pytest.raises(srcad.NonFiniteError):
            gradient(x)
