"""Central finite differences in float64, to check generated derivatives."""
import numpy as np

STEP = 1e-6


def numerical_gradient(f, args, position, step=STEP):
    """d f / d args[position] by central differences (array or float argument)."""
    x = args[position]

    def at(value):
        changed = list(args)
        changed[position] = value
        return float(f(*changed))

    if isinstance(x, float):
        return (at(x + step) - at(x - step)) / (2 * step)
    x = np.asarray(x, dtype=np.float64)
    gradient = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        bump = np.zeros_like(x)
        bump[index] = step
        gradient[index] = (at(x + bump) - at(x - bump)) / (2 * step)
    return gradient


def assert_gradient(df, f, args, wrt=(0,), rtol=1e-5, atol=1e-7):
    """``df(*args)`` (a tuple when ``wrt`` has several entries) matches finite differences."""
    result = df(*args)
    results = result if len(wrt) > 1 else (result,)
    assert len(results) == len(wrt)
    for got, position in zip(results, wrt):
        expected = numerical_gradient(f, args, position)
        assert np.shape(got) == np.shape(expected)
        np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol)


def assert_modes_agree(f, args, wrt=0, rtol=1e-5, atol=1e-7, forward=True):
    """Reverse mode (optimised and not) against finite differences, and forward mode
    (``jvp`` in a random direction, unless ``forward`` is false) against the same, for
    one argument ``wrt``."""
    import srcad

    expected = numerical_gradient(f, args, wrt)
    for optimize in (True, False):
        got = srcad.grad(f, wrt, optimize=optimize)(*args)
        assert np.shape(got) == np.shape(expected)
        np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol)
    if not forward:
        return
    direction = np.random.default_rng(0).normal(size=np.shape(args[wrt]))
    if isinstance(args[wrt], float):
        direction = float(direction)
    _, tangent = srcad.jvp(f, wrt)(*args, direction)
    np.testing.assert_allclose(tangent, np.sum(expected * direction), rtol=rtol, atol=atol)
