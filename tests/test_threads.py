"""srcad from several threads at once: the right results, and each derivative generated once."""
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import srcad
from srcad.compiler.passes import p16_emit as emit

THREADS = 8


def layer_loss(W, x):
    return np.sum(np.tanh(W @ x) ** 2)


def layer_gradient(W, x):
    h = np.tanh(W @ x)
    return np.outer(2.0 * h * (1.0 - h * h), x)


def softplus_sum(x):
    return np.sum(np.log1p(np.exp(-np.abs(x))) + np.maximum(x, 0.0))


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def activation(x):
    return np.tanh(x)


def with_activation(x, act):
    return np.sum(act(x) * x)  # act is known only when the code runs: transformed then


def cube(x):
    return x ** 3


@pytest.fixture
def compilations(monkeypatch):
    """How many times each generated function was compiled while the test ran."""
    counted = Counter()
    lock = threading.Lock()
    original = emit.compile_source

    def counting(source, function_name, namespace, label):
        with lock:
            counted[label] += 1
        return original(source, function_name, namespace, label)

    monkeypatch.setattr(emit, "compile_source", counting)
    return counted


def _at_once(tasks):
    """Run the callables ``tasks`` in threads that all start together; their results in order."""
    start = threading.Barrier(len(tasks))

    def run(task):
        start.wait()
        return task()

    with ThreadPoolExecutor(len(tasks)) as pool:
        return list(pool.map(run, tasks))


def test_one_derivative_called_from_many_threads_is_generated_once(compilations):
    rng = np.random.default_rng(0)
    inputs = [(rng.normal(size=(3, 4)), rng.normal(size=4)) for _ in range(THREADS)]
    df = srcad.grad(layer_loss)
    results = _at_once([lambda W=W, x=x: df(W, x) for W, x in inputs])
    for (W, x), gradient in zip(inputs, results):
        np.testing.assert_allclose(gradient, layer_gradient(W, x), rtol=1e-12)
    assert sum(compilations.values()) == 1


def _cases():
    """(a new transform, its arguments, the expected result) for several kinds of transform."""
    x = np.array([-1.5, 0.5, 2.0])
    W, v = np.full((2, 3), 0.3), np.array([1.0, -1.0, 0.5])
    s, t = sigmoid(x), np.tanh(x)
    return [
        (srcad.grad(softplus_sum), (x,), s),
        (srcad.value_and_grad(layer_loss), (W, v), (layer_loss(W, v), layer_gradient(W, v))),
        (srcad.jvp(softplus_sum), (x, np.ones(3)), (softplus_sum(x), np.sum(s))),
        (srcad.hvp(softplus_sum), (x, np.ones(3)), s * (1.0 - s)),
        (srcad.grad(with_activation), (x, activation), (1.0 - t * t) * x + t),
        (srcad.grad(cube), (2.0,), 12.0),
    ]


def test_different_transforms_of_different_functions_at_once(compilations):
    cases = _cases()
    # each transform called by two threads at once, all twelve starting together
    results = _at_once([lambda f=f, args=args: f(*args) for f, args, _ in cases for _ in range(2)])
    for (_, _, expected), got in zip([case for case in cases for _ in range(2)], results):
        for want, have in zip(expected if isinstance(expected, tuple) else (expected,),
                              got if isinstance(expected, tuple) else (got,)):
            np.testing.assert_allclose(have, want, rtol=1e-10)
    # once each: the hvp makes its own gradient of softplus_sum, and activation's sweeps are
    # made when with_activation's derivative first runs
    assert compilations == {"d_softplus_sum": 2, "value_and_d_layer_loss": 1, "jvp_softplus_sum": 1,
                            "hvp_d_softplus_sum": 1, "d_with_activation": 1, "activation_backward": 1,
                            "d_cube": 1}


def test_a_derivative_made_in_each_thread_gives_the_same_gradient():
    x = np.linspace(-2.0, 2.0, 4)
    results = _at_once([lambda: srcad.grad(softplus_sum)(x) for _ in range(THREADS)])
    for gradient in results:
        np.testing.assert_allclose(gradient, sigmoid(x), rtol=1e-12)
