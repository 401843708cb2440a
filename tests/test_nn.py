"""srcad.nn: the functions, their fused rules, and their use through srcad.

The first part runs each rule template on its own with the rule harness and
checks it against central finite differences in float64, the adjoint against
the tangent, float32 and numerical stability. The second part goes through
the public transforms (grad, value_and_grad, jvp, hessian, hvp).
"""
import ast
import inspect
import textwrap

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import srcad
from gradcheck import numerical_gradient
from rule_harness import Rule, away, case, check_dtypes, check_rule, distinct, normal
from srcad import nn
from srcad.rules import registry

RNG = np.random.default_rng(0)


def adjoint_rule(f, args, d_out, wrt=(0,), **kwargs):
    """The adjoint template of ``f`` run at ``f(*args, **kwargs)`` with result
    derivative ``d_out``: the derivatives of the arguments ``wrt``."""
    grads = Rule(f, args, kwargs, list(wrt)).run_adjoint(d_out, list(wrt))
    return grads[wrt[0]] if len(wrt) == 1 else tuple(grads[w] for w in wrt)


def away_from(x, kinks, margin=0.05):
    """Move entries of ``x`` that lie within ``margin`` of a kink off it."""
    for k in kinks:
        near = np.abs(x - k) < margin
        x = np.where(near, k + np.copysign(2 * margin, x - k + 1e-300), x)
    return x


SHAPES = [(), (5,), (3, 4), (2, 3, 4)]


# ---------------------------------------------------------------------------
# One case per function, in the rule harness's form (the rule library's
# completeness test reads CASES to see that every registered rule is tested)
# ---------------------------------------------------------------------------

CASES = [
    case(nn.relu, away((3, 4))),
    case(nn.leaky_relu, away((3, 4))),
    case(nn.leaky_relu, away((3, 4)), 0.2, wrt=[0, 1]),
    case(nn.hard_tanh, normal((3, 4)) * 0.4),
    case(nn.hard_tanh, away((3, 4), low=1.2, high=2.0)),
    case(nn.maxout, distinct((3, 6))[0], 3, wrt=[0]),
    case(nn.sigmoid, normal((3, 4))),
    case(nn.softplus, normal((3, 4))),
    case(nn.logsumexp, normal((3, 4))),
    case(nn.logsumexp, normal((3, 4)), axis=0, keepdims=True),
    case(nn.softmax, normal((3, 4))),
    case(nn.softmax, normal((3, 4)), axis=0),
    case(nn.log_softmax, normal((3, 4))),
    case(nn.log_softmax, normal((2, 3, 4)), axis=1),
    case(nn.softmax_cross_entropy, normal((5, 4)), np.array([0, 3, 1, 2, 3])),
    case(nn.softmax_cross_entropy, normal((5, 4)), np.eye(4)[[0, 3, 1, 2, 3]], wrt=[0, 1]),
]


@pytest.mark.parametrize("op, args, kwargs, wrt", CASES)
def test_rule_case(op, args, kwargs, wrt):
    check_rule(op, args, kwargs, wrt)


# ---------------------------------------------------------------------------
# Elementwise functions
# ---------------------------------------------------------------------------

ELEMENTWISE = [
    (nn.relu, [0.0], lambda x: np.maximum(x, 0.0)),
    (nn.leaky_relu, [0.0], lambda x: np.where(x > 0, x, 0.01 * x)),
    (nn.hard_tanh, [-1.0, 1.0], lambda x: np.clip(x, -1.0, 1.0)),
    (nn.sigmoid, [], lambda x: 1.0 / (1.0 + np.exp(-x))),
    (nn.softplus, [], lambda x: np.log1p(np.exp(x))),
]


@pytest.mark.parametrize("f, kinks, reference", ELEMENTWISE, ids=lambda v: getattr(v, "__name__", ""))
@pytest.mark.parametrize("shape", SHAPES)
def test_elementwise_rules_match_finite_differences(f, kinks, reference, shape):
    x = away_from(RNG.standard_normal(shape) * 2.0, kinks)
    np.testing.assert_allclose(f(x), reference(x), rtol=1e-12)
    check_rule(f, [x])


@pytest.mark.parametrize("alpha_shape", [(), (4,), (3, 1)])
def test_leaky_relu_alpha_is_differentiable(alpha_shape):
    x = away_from(RNG.standard_normal((3, 4)), [0.0])
    alpha = 0.1 + 0.2 * RNG.random(alpha_shape)
    check_rule(nn.leaky_relu, [x, alpha], wrt=[0, 1])


@pytest.mark.parametrize("x_shape, alpha_shape", [((4,), (3, 4)), ((3, 1), (3, 4)), ((), (4,))])
def test_leaky_relu_alpha_larger_than_x(x_shape, alpha_shape):
    # alpha broadcasts x up: the derivative of x is summed back to x's shape
    x = away_from(RNG.standard_normal(x_shape), [0.0])
    alpha = 0.1 + 0.2 * RNG.random(alpha_shape)
    check_rule(nn.leaky_relu, [x, alpha], wrt=[0, 1])


def test_leaky_relu_python_float_alpha():
    x = away_from(RNG.standard_normal((3, 4)), [0.0])
    check_rule(nn.leaky_relu, [x, 0.2], wrt=[0, 1])
    check_rule(nn.leaky_relu, [x], {"alpha": 0.2}, wrt=[0, "alpha"])
    d_out = RNG.standard_normal((3, 4))
    d_alpha = adjoint_rule(nn.leaky_relu, [x, 0.2], d_out, wrt=(1,))
    assert np.shape(d_alpha) == ()
    np.testing.assert_allclose(d_alpha, np.sum(d_out * np.minimum(x, 0)))


def test_relu_adjoint_is_the_mask():
    x = np.array([-2.0, -0.5, 0.0, 0.5, 2.0])
    d_y = np.arange(1.0, 6.0)
    np.testing.assert_array_equal(adjoint_rule(nn.relu, [x], d_y),
                                  [0.0, 0.0, 0.0, 4.0, 5.0])


@pytest.mark.parametrize("k, shape", [(2, (6,)), (3, (6,)), (2, (3, 8)), (3, (2, 2, 6)), (1, (3, 4))])
def test_maxout_rules_match_finite_differences(k, shape):
    z = RNG.standard_normal(shape)
    y = nn.maxout(z, k)
    assert y.shape == shape[:-1] + (shape[-1] // k,)
    np.testing.assert_array_equal(y, np.max(z.reshape(shape[:-1] + (-1, k)), axis=-1))
    check_rule(nn.maxout, [z, k], wrt=[0])


def test_maxout_sends_each_group_gradient_to_one_winner():
    z = np.array([[1.0, 3.0, 3.0, 0.0, -1.0, -2.0]])
    d_y = np.array([[10.0, 20.0]])
    d_z = adjoint_rule(nn.maxout, [z, 3], d_y)
    np.testing.assert_array_equal(d_z, [[0.0, 10.0, 0.0, 20.0, 0.0, 0.0]])


def test_maxout_rejects_a_ragged_last_axis():
    with pytest.raises(ValueError, match="multiple of k=4"):
        nn.maxout(np.zeros((2, 6)), 4)


# ---------------------------------------------------------------------------
# Softmax, log-softmax, logsumexp
# ---------------------------------------------------------------------------

AXES_2D = [-1, 0, 1]
AXES_3D = [-1, 0, 1, 2]


@pytest.mark.parametrize("f", [nn.softmax, nn.log_softmax], ids=lambda f: f.__name__)
@pytest.mark.parametrize("shape, axis", [((5,), -1), ((5,), 0)]
                         + [((3, 4), a) for a in AXES_2D] + [((2, 3, 4), a) for a in AXES_3D])
def test_softmax_family_rules_match_finite_differences(f, shape, axis):
    x = RNG.standard_normal(shape) * 3.0
    e = np.exp(x)
    p = e / e.sum(axis=axis, keepdims=True)
    np.testing.assert_allclose(f(x, axis=axis), p if f is nn.softmax else np.log(p), rtol=1e-12)
    check_rule(f, [x], {"axis": axis})


def test_softmax_default_axis_is_last():
    x = RNG.standard_normal((3, 4))
    np.testing.assert_allclose(nn.softmax(x).sum(axis=-1), np.ones(3))
    check_rule(nn.softmax, [x])
    check_rule(nn.log_softmax, [x])


@pytest.mark.parametrize("shape, axis", [((5,), None), ((5,), 0), ((3, 4), None), ((3, 4), 0),
                                         ((3, 4), -1), ((2, 3, 4), 1), ((2, 3, 4), (0, 2)),
                                         ((2, 3, 4), None)])
@pytest.mark.parametrize("keepdims", [False, True])
def test_logsumexp_rules_match_finite_differences(shape, axis, keepdims):
    x = RNG.standard_normal(shape) * 3.0
    expected = np.log(np.sum(np.exp(x), axis=axis, keepdims=keepdims))
    got = nn.logsumexp(x, axis=axis, keepdims=keepdims)
    assert np.shape(got) == np.shape(expected)
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    check_rule(nn.logsumexp, [x], {"axis": axis, "keepdims": keepdims})


def test_logsumexp_of_minus_infinity():
    with np.errstate(divide="ignore"):
        assert nn.logsumexp(np.array([-np.inf, -np.inf])) == -np.inf
    assert nn.logsumexp(np.array([-np.inf, 0.0])) == 0.0


# ---------------------------------------------------------------------------
# Softmax cross-entropy
# ---------------------------------------------------------------------------

def _reference_cross_entropy(logits, onehot):
    logp = logits - np.log(np.sum(np.exp(logits), axis=-1, keepdims=True))
    return -np.sum(onehot * logp) / (logits.size // logits.shape[-1])


@pytest.mark.parametrize("shape", [(1, 3), (5, 4), (8, 10), (2, 3, 4)])
def test_cross_entropy_with_integer_labels(shape):
    logits = RNG.standard_normal(shape) * 2.0
    labels = RNG.integers(0, shape[-1], size=shape[:-1])
    onehot = np.eye(shape[-1])[labels]
    np.testing.assert_allclose(nn.softmax_cross_entropy(logits, labels),
                               _reference_cross_entropy(logits, onehot), rtol=1e-12)
    check_rule(nn.softmax_cross_entropy, [logits, labels])


@pytest.mark.parametrize("shape", [(1, 3), (5, 4), (2, 3, 4)])
def test_cross_entropy_with_one_hot_and_soft_labels(shape):
    logits = RNG.standard_normal(shape) * 2.0
    onehot = np.eye(shape[-1])[RNG.integers(0, shape[-1], size=shape[:-1])]
    soft = nn.softmax(RNG.standard_normal(shape))
    for targets in (onehot, soft):
        np.testing.assert_allclose(nn.softmax_cross_entropy(logits, targets),
                                   _reference_cross_entropy(logits, targets), rtol=1e-12)
        check_rule(nn.softmax_cross_entropy, [logits, targets], wrt=[0, 1])
        check_rule(nn.softmax_cross_entropy, [logits, targets], wrt=[0])


def test_cross_entropy_gradient_is_softmax_minus_onehot_over_batch():
    logits = RNG.standard_normal((6, 5))
    labels = np.array([0, 1, 2, 3, 4, 0])
    g = nn.softmax_cross_entropy_adjoint(logits, labels)
    np.testing.assert_allclose(g, (nn.softmax(logits) - np.eye(5)[labels]) / 6, rtol=1e-14)
    np.testing.assert_allclose(nn.softmax_cross_entropy_adjoint(logits, np.eye(5)[labels]), g)
    np.testing.assert_allclose(adjoint_rule(nn.softmax_cross_entropy, [logits, labels], 2.0), 2.0 * g)


@st.composite
def logits_and_labels(draw):
    batch, classes = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    logits = draw(hnp.arrays(np.float64, (batch, classes),
                             elements=st.floats(-1e6, 1e6, allow_subnormal=False)))
    labels = draw(hnp.arrays(np.int64, (batch,), elements=st.integers(0, classes - 1)))
    return logits, labels


@settings(max_examples=60, deadline=None)
@given(logits_and_labels(), st.floats(-1e3, 1e3))
def test_cross_entropy_properties(case, shift):
    """Finite for any finite logits; its gradient rows sum to zero, lie in
    [-1/batch, 1/batch], and do not change when a row is shifted."""
    logits, labels = case
    batch = logits.shape[0]
    loss = nn.softmax_cross_entropy(logits, labels)
    g = nn.softmax_cross_entropy_adjoint(logits, labels)
    assert np.isfinite(loss) and loss >= 0
    assert np.all(np.abs(g) <= 1.0 / batch + 1e-15)
    np.testing.assert_allclose(g.sum(axis=-1), 0.0, atol=1e-12)
    if np.all(np.abs(logits) < 1e3):
        shifted = logits + shift
        np.testing.assert_allclose(nn.softmax_cross_entropy(shifted, labels), loss,
                                   rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(nn.softmax_cross_entropy_adjoint(shifted, labels), g, atol=1e-9)


# ---------------------------------------------------------------------------
# float32 and numerical stability
# ---------------------------------------------------------------------------

FLOAT32_CASES = [
    (nn.relu, {}),
    (nn.leaky_relu, {}),
    (nn.leaky_relu, {"alpha": 0.2}),
    (nn.hard_tanh, {}),
    (nn.sigmoid, {}),
    (nn.softplus, {}),
    (nn.logsumexp, {}),
    (nn.logsumexp, {"axis": 1}),
    (nn.logsumexp, {"axis": 0, "keepdims": True}),
    (nn.softmax, {}),
    (nn.softmax, {"axis": 0}),
    (nn.log_softmax, {}),
    (nn.maxout, {"k": 2}),
]


@pytest.mark.parametrize("f, kwargs", FLOAT32_CASES,
                         ids=lambda v: getattr(v, "__name__", None) if callable(v) else None)
def test_float32_stays_float32(f, kwargs):
    x = RNG.standard_normal((3, 4)).astype(np.float32)
    assert f(x, **kwargs).dtype == np.float32
    check_dtypes(f, [x], kwargs, wrt=[0])


@pytest.mark.parametrize("onehot", [False, True])
def test_cross_entropy_float32_stays_float32(onehot):
    logits = RNG.standard_normal((4, 3)).astype(np.float32)
    labels = np.array([0, 2, 1, 2])
    if onehot:
        labels = np.eye(3)[labels]          # float64 targets do not promote the loss
    assert nn.softmax_cross_entropy(logits, labels).dtype == np.float32
    check_dtypes(nn.softmax_cross_entropy, [logits, labels], wrt=[0])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_large_logits_give_finite_values_and_gradients(dtype):
    logits = (np.array([[1000.0, 0.0, -1000.0], [-1000.0, 1000.0, 999.0]]) * 1).astype(dtype)
    labels = np.array([2, 1])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        loss = nn.softmax_cross_entropy(logits, labels)
        assert np.isfinite(loss)
        np.testing.assert_allclose(loss, (2000.0 + np.log1p(np.exp(-1.0))) / 2, rtol=1e-6)
        g = adjoint_rule(nn.softmax_cross_entropy, [logits, labels], dtype(1.0))
        assert np.all(np.isfinite(g))
        np.testing.assert_allclose(g[0], [0.5, 0.0, -0.5], atol=1e-6)
        for f in (nn.softmax, nn.log_softmax, nn.logsumexp):
            y = f(logits)
            assert np.all(np.isfinite(y))
            g = adjoint_rule(f, [logits], np.ones_like(y))
            assert np.all(np.isfinite(g))
    np.testing.assert_allclose(nn.logsumexp(logits, axis=-1), [1000.0, 1000.0 + np.log1p(np.exp(-1.0))])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_and_softplus_are_stable_far_out(dtype):
    x = np.array([-1000.0, -40.0, 0.0, 40.0, 1000.0], dtype=dtype)
    with np.errstate(over="raise", invalid="raise"):
        s = nn.sigmoid(x)
        sp = nn.softplus(x)
        ds = adjoint_rule(nn.sigmoid, [x], np.ones_like(x))
        dsp = adjoint_rule(nn.softplus, [x], np.ones_like(x))
    np.testing.assert_allclose(s, [0.0, np.exp(-40.0), 0.5, 1.0, 1.0], rtol=1e-6)
    np.testing.assert_allclose(sp, [0.0, np.exp(-40.0), np.log(2.0), 40.0, 1000.0], rtol=1e-6)
    # sigmoid'(40) is about 4e-18: exact, not 0 from 1 - sigmoid(40)
    np.testing.assert_allclose(ds, [0.0, np.exp(-40.0), 0.25, np.exp(-40.0), 0.0], rtol=1e-5)
    np.testing.assert_allclose(dsp, s)


# ---------------------------------------------------------------------------
# Rules stay differentiable: what a template calls has rules itself
# ---------------------------------------------------------------------------

def _nn_calls(function):
    """Names of srcad.nn functions called in ``function``'s body (``nn.f`` or ``f``)."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id == "nn":
                names.add(f.attr)
            elif isinstance(f, ast.Name) and f.id in vars(nn) and f.id != "np":
                names.add(f.id)
    return names - {"_"}


def _has_rules(f):
    return (registry.adjoint_of(f) is not None and registry.tangent_of(f) is not None) or \
        registry.is_nondifferentiable(f)


def test_every_public_function_has_both_rules():
    for name in ["relu", "leaky_relu", "hard_tanh", "sigmoid", "softplus", "logsumexp",
                 "softmax", "log_softmax", "softmax_cross_entropy", "maxout"]:
        f = getattr(nn, name)
        assert registry.adjoint_of(f) is not None, name
        assert registry.tangent_of(f) is not None, name


def test_what_templates_call_can_be_differentiated_again():
    templates = [registry.adjoint_of(getattr(nn, n)) for n in nn.__all__] + \
                [registry.tangent_of(getattr(nn, n)) for n in nn.__all__]
    for template in filter(None, templates):
        for name in _nn_calls(template):
            helper = getattr(nn, name)
            if _has_rules(helper):
                continue
            # a helper without rules of its own is transformed by srcad: it may
            # only call functions that have rules
            inner = _nn_calls(helper)
            assert all(_has_rules(getattr(nn, n)) for n in inner), (name, inner)


# ---------------------------------------------------------------------------
# Through the public transforms
# ---------------------------------------------------------------------------

def fd_grad_of(f, x):
    """Central differences of the scalar ``f`` at the array ``x``."""
    return numerical_gradient(f, (x,), 0)


def mlp_loss(W1, b1, W2, b2, X, y, lam):
    H = nn.relu(X @ W1 + b1)
    U = H @ W2 + b2
    return nn.softmax_cross_entropy(U, y) + lam * (np.sum(W1 ** 2) + np.sum(W2 ** 2))


def ce_loss(logits, labels):
    return nn.softmax_cross_entropy(logits, labels)


def sigmoid_of(x):
    return nn.sigmoid(x)


def softplus_of(x):
    return nn.softplus(x)


def mixed_loss(x):
    a = nn.sigmoid(x) + nn.softplus(x) + nn.leaky_relu(x) + nn.hard_tanh(x)
    b = nn.log_softmax(a, axis=0) + nn.softmax(x, axis=1)
    return nn.logsumexp(b) + np.sum(nn.maxout(b, 2) ** 2)


class TestThroughSrcad:
    def test_grad_of_cross_entropy_matches_finite_differences(self):
        logits = RNG.standard_normal((5, 4))
        for labels in (np.array([0, 3, 1, 2, 3]), np.eye(4)[[0, 3, 1, 2, 3]]):
            df = srcad.grad(ce_loss)
            g = df(logits, labels)
            np.testing.assert_allclose(g, fd_grad_of(lambda z: ce_loss(z, labels), logits),
                                       rtol=1e-6, atol=1e-9)
            np.testing.assert_allclose(g, nn.softmax_cross_entropy_adjoint(logits, labels), rtol=1e-12)
        assert "softmax_cross_entropy_adjoint" in df.source

    def test_value_and_grad_of_the_mlp(self):
        X = RNG.standard_normal((7, 5))
        y = RNG.integers(0, 3, size=7)
        params = [RNG.standard_normal((5, 6)), RNG.standard_normal(6) * 0.1,
                  RNG.standard_normal((6, 3)), RNG.standard_normal(3) * 0.1]
        value, grads = srcad.value_and_grad(mlp_loss, wrt=(0, 1, 2, 3))(*params, X, y, 1e-3)
        np.testing.assert_allclose(value, mlp_loss(*params, X, y, 1e-3), rtol=1e-12)
        assert len(grads) == 4
        for i, (p, g) in enumerate(zip(params, grads)):
            def f(v, i=i):
                args = list(params)
                args[i] = v
                return mlp_loss(*args, X, y, 1e-3)
            assert g.shape == p.shape
            np.testing.assert_allclose(g, fd_grad_of(f, p), rtol=1e-5, atol=1e-8)

    def test_float32_gradients_of_the_mlp(self):
        X = RNG.standard_normal((7, 5)).astype(np.float32)
        y = RNG.integers(0, 3, size=7)
        params = [RNG.standard_normal((5, 6)).astype(np.float32), np.zeros(6, np.float32),
                  RNG.standard_normal((6, 3)).astype(np.float32), np.zeros(3, np.float32)]
        grads = srcad.grad(mlp_loss, wrt=(0, 1, 2, 3))(*params, X, y, 1e-3)
        assert all(g.dtype == np.float32 for g in grads)

    def test_grad_is_finite_for_huge_logits(self):
        logits = np.array([[1000.0, 0.0, -1000.0], [-1000.0, 1000.0, 999.0]])
        g = srcad.grad(ce_loss)(logits, np.array([2, 1]))
        assert np.all(np.isfinite(g))
        np.testing.assert_allclose(g[0], [0.5, 0.0, -0.5], atol=1e-12)

    def test_grad_through_every_helper(self):
        x = away_from(RNG.standard_normal((3, 4)), [0.0, -1.0, 1.0])
        g = srcad.grad(mixed_loss)(x)
        np.testing.assert_allclose(g, fd_grad_of(mixed_loss, x), rtol=1e-5, atol=1e-8)

    def test_jvp_through_every_helper(self):
        x = away_from(RNG.standard_normal((3, 4)), [0.0, -1.0, 1.0])
        g = fd_grad_of(mixed_loss, x)
        t = RNG.standard_normal((3, 4))
        out, out_t = srcad.jvp(mixed_loss)(x, t)
        np.testing.assert_allclose(out, mixed_loss(x), rtol=1e-12)
        np.testing.assert_allclose(out_t, np.sum(g * t), rtol=1e-6)

    def test_hessian_of_cross_entropy(self):
        logits = RNG.standard_normal((2, 3))
        labels = np.array([1, 2])
        H = srcad.hessian(ce_loss)(logits, labels)
        assert H.shape == (2, 3, 2, 3)
        p = nn.softmax(logits)
        for i in range(2):
            np.testing.assert_allclose(H[i, :, i, :], (np.diag(p[i]) - np.outer(p[i], p[i])) / 2,
                                       rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(H[0, :, 1, :], 0.0, atol=1e-12)
        v = RNG.standard_normal((2, 3))
        hv = srcad.hvp(ce_loss)(logits, labels, v)
        np.testing.assert_allclose(hv, np.einsum("ijkl,kl->ij", H, v), rtol=1e-10, atol=1e-12)

    @pytest.mark.parametrize("f, first, second", [
        (sigmoid_of, lambda s: s * (1 - s), lambda s: s * (1 - s) * (1 - 2 * s)),
        (softplus_of, lambda s: s, lambda s: s * (1 - s)),
    ], ids=["sigmoid", "softplus"])
    def test_first_and_second_derivatives_of_scalars(self, f, first, second):
        for x in (-3.0, 0.2, 2.5):
            s = 1.0 / (1.0 + np.exp(-x))
            np.testing.assert_allclose(srcad.grad(f)(x), first(s), rtol=1e-12)
            np.testing.assert_allclose(srcad.grad(srcad.grad(f))(x), second(s), rtol=1e-10)

    def test_second_order_through_softmax_and_logsumexp(self):
        def f(x):
            return nn.logsumexp(x) + np.sum(nn.softmax(x) ** 2) + np.sum(nn.log_softmax(x) ** 2)
        x = RNG.standard_normal(4)
        H = srcad.hessian(f)(x)
        g = srcad.grad(f)
        fd = np.stack([(g(x + 1e-6 * e) - g(x - 1e-6 * e)) / 2e-6 for e in np.eye(4)])
        np.testing.assert_allclose(H, fd, rtol=1e-5, atol=1e-7)
