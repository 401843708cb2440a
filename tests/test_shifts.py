"""The max a hand-written stable logsumexp, log-softmax, softmax or softmax cross-entropy
subtracts contributes nothing: the optimised derivative leaves it out, and stays exact;
where the max does contribute, its derivative is kept."""
import numpy as np
import pytest

import srcad
from gradcheck import numerical_tree_gradient

RNG = np.random.default_rng(11)


def logsumexp_rows(z):
    m = np.max(z, axis=1, keepdims=True)
    return np.sum(m[:, 0] + np.log(np.sum(np.exp(z - m), axis=1)))


def logsumexp_kept(z):
    m = z.max(axis=-1, keepdims=True)
    return np.sum(np.log(np.exp(z - m).sum(axis=-1, keepdims=True)) + m)


def logsumexp_of_everything(z):
    m = np.max(z)
    return m + np.log(np.sum(np.exp(z - m)))


def log_softmax_loss(z, Y):
    s = z - z.max(axis=-1, keepdims=True)
    logp = s - np.log(np.exp(s).sum(axis=-1, keepdims=True))
    return -np.sum(Y * logp) / z.shape[0]


def softmax_weighted(z, w):
    e = np.exp(z - np.amax(z, axis=0, keepdims=True))
    p = e / np.sum(e, axis=0, keepdims=True)
    return np.sum(p * w)


def cross_entropy_by_hand(W, X, Y):
    z = X @ W
    m = np.max(z, axis=1, keepdims=True)
    lse = m + np.log(np.mean(np.exp(z - m), axis=1, keepdims=True))
    return np.mean(lse[:, 0] - np.sum(Y * z, axis=1))


def softmax_per_step(zs):
    total = 0.0
    for t in range(zs.shape[0]):
        z = zs[t]
        e = np.exp(2.0 * (z - np.max(z)))
        total = total + np.sum(e / np.sum(e) * np.arange(z.size))
    return total


def _onehot(n, k):
    return np.eye(k)[RNG.integers(0, k, n)]


IDIOMS = [
    (logsumexp_rows, lambda: (RNG.normal(size=(4, 5)),), 0),
    (logsumexp_kept, lambda: (RNG.normal(size=(2, 3, 4)),), 0),
    (logsumexp_of_everything, lambda: (RNG.normal(size=(3, 4)),), 0),
    (log_softmax_loss, lambda: (RNG.normal(size=(4, 3)), _onehot(4, 3)), 0),
    (softmax_weighted, lambda: (RNG.normal(size=(3, 5)), RNG.normal(size=(3, 5))), 0),
    (cross_entropy_by_hand, lambda: (RNG.normal(size=(5, 3)), RNG.normal(size=(4, 5)), _onehot(4, 3)), 0),
    (softmax_per_step, lambda: (RNG.normal(size=(3, 4)),), 0),
]
IDIOM_IDS = [case[0].__name__ for case in IDIOMS]


@pytest.mark.parametrize("function, make, wrt", IDIOMS, ids=IDIOM_IDS)
def test_the_shift_is_left_out_and_the_gradient_stays_exact(function, make, wrt):
    args = make()
    optimised = srcad.grad(function, wrt=wrt)
    got = optimised(*args)
    assert "extremum_partials" not in optimised.source, optimised.source
    plain = srcad.grad(function, wrt=wrt, optimize=False)
    np.testing.assert_allclose(got, plain(*args), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(got, numerical_tree_gradient(function, list(args), wrt), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("function, make, wrt", IDIOMS, ids=IDIOM_IDS)
def test_forward_mode_and_hvp_agree_with_the_shortened_reverse(function, make, wrt):
    args = make()
    direction = RNG.normal(size=args[wrt].shape)
    gradient = srcad.grad(function, wrt=wrt)(*args)
    _, tangent = srcad.jvp(function, wrt=wrt)(*args, direction)
    np.testing.assert_allclose(tangent, np.sum(gradient * direction), rtol=1e-10, atol=1e-12)
    step = 1e-5
    moved = [list(args), list(args)]
    moved[0][wrt], moved[1][wrt] = args[wrt] + step * direction, args[wrt] - step * direction
    grad = srcad.grad(function, wrt=wrt)
    expected = (grad(*moved[0]) - grad(*moved[1])) / (2 * step)
    np.testing.assert_allclose(srcad.hvp(function, wrt=wrt)(*args, direction), expected, rtol=1e-5, atol=1e-7)


def shift_read_again(z):
    m = np.max(z, axis=1, keepdims=True)
    return np.sum(2.0 * m + np.log(np.sum(np.exp(z - m), axis=1, keepdims=True)))


def shift_over_another_axis(z):
    m = np.max(z, axis=1, keepdims=True)
    return np.sum(m + np.log(np.sum(np.exp(z - m), axis=0, keepdims=True)))


def shift_returned(z):
    m = np.max(z)
    s = z - m
    return np.sum(np.exp(s)) + m * m


def shift_of_another_array(z, y):
    m = np.max(z, axis=1, keepdims=True)
    return np.sum(m + np.log(np.sum(np.exp(y - m), axis=1, keepdims=True)))


def shifted_array_changes(z):
    m = np.max(z, axis=1, keepdims=True)
    z = z * 2.0
    return np.sum(m + np.log(np.sum(np.exp(z - m), axis=1, keepdims=True)))


def shift_read_in_a_branch(z, flag):
    m = np.max(z)
    lse = m + np.log(np.sum(np.exp(z - m)))
    if flag:
        lse = lse + m
    return lse


def shift_times_itself(z):
    m = np.max(z)
    return np.log(np.sum(np.exp(z * m - m * m)))


CONTRIBUTING = [
    (shift_read_again, lambda: (RNG.normal(size=(3, 4)),)),
    (shift_over_another_axis, lambda: (RNG.normal(size=(3, 4)),)),
    (shift_returned, lambda: (RNG.normal(size=(3, 4)),)),
    (shift_of_another_array, lambda: (RNG.normal(size=(3, 4)), RNG.normal(size=(3, 4)))),
    (shifted_array_changes, lambda: (RNG.normal(size=(3, 4)),)),
    (shift_read_in_a_branch, lambda: (RNG.normal(size=(3, 4)), True)),
    (shift_times_itself, lambda: (RNG.normal(size=(3, 4)),)),
]


@pytest.mark.parametrize("function, make", CONTRIBUTING, ids=[case[0].__name__ for case in CONTRIBUTING])
def test_a_max_that_contributes_keeps_its_derivative(function, make):
    args = make()
    gradient = srcad.grad(function)
    got = gradient(*args)
    assert "extremum_partials" in gradient.source, gradient.source
    np.testing.assert_allclose(got, numerical_tree_gradient(function, list(args), 0), rtol=1e-6, atol=1e-8)


def test_float32_and_a_second_batch_size_stay_exact():
    gradient = srcad.grad(logsumexp_rows)
    for shape, dtype in (((4, 5), np.float32), ((7, 5), np.float64), ((1, 3), np.float64)):
        z = RNG.normal(size=shape).astype(dtype)
        got = gradient(z)
        assert got.dtype == dtype
        e = np.exp(z - z.max(axis=1, keepdims=True))
        np.testing.assert_allclose(got, e / e.sum(axis=1, keepdims=True), rtol=1e-5 if dtype == np.float32 else 1e-12)
