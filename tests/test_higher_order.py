"""Second and higher order: Hessians, Hessian-vector products, derivatives of
derivatives, and the rules that make generated code differentiable again."""
import numpy as np
import pytest

import srcad
import test_control_flow as control_flow
from rule_harness import check_adjoint, check_rule, normal, uniform
from srcad import nn
from srcad.api.imports import without_imports
from srcad.rules import runtime_rules  # noqa: F401  (the rules under test below)
from srcad.runtime.accumulate import add_grads
from srcad.runtime.forward import broadcast_like, fresh_copy, resum
from srcad.runtime.numeric import norm_partials, unsum

RNG = np.random.default_rng(5)


def finite_difference_of_gradient(f, x, step=1e-6, args=()):
    """The Hessian of ``f`` at ``x`` by central differences of ``srcad.grad(f)``."""
    gradient = srcad.grad(f)
    columns = []
    for index in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[index] = step
        columns.append((gradient(x + e, *args) - gradient(x - e, *args)) / (2 * step))
    return np.reshape(np.stack(columns, axis=-1), x.shape + x.shape)


def smooth(x):
    y = np.tanh(x) * np.sum(x ** 2)
    return np.sum(np.exp(-y) * x) + np.log1p(np.sum(x * x))


def matrix_function(m):
    return np.sum(np.sin(m @ m.T)) + np.sum(m, axis=0) @ np.cos(np.sum(m, axis=1) @ m)


def rnn_loss(Wh, xs):
    h = np.zeros(Wh.shape[0])
    for t in range(xs.shape[0]):
        h = np.tanh(xs[t] + Wh @ h)
    return np.sum(h ** 2)


def write_then_read(x):
    y = np.zeros(4)
    y[0] = np.sum(x ** 2)
    y[1:] = np.sin(x[:3]) * x[0]
    return np.sum(y * y)


HESSIAN_CASES = [
    pytest.param(smooth, RNG.normal(size=4) * 0.5, (), id="smooth"),
    pytest.param(matrix_function, RNG.normal(size=(2, 3)) * 0.5, (), id="matrix"),
    pytest.param(rnn_loss, RNG.normal(size=(3, 3)) * 0.4, (RNG.normal(size=(4, 3)),), id="rnn-loop-with-tape"),
    pytest.param(write_then_read, RNG.uniform(0.1, 0.9, size=4), (), id="subscripts-and-writes"),
]


@pytest.mark.parametrize("f, x, args", HESSIAN_CASES)
def test_hessian_matches_finite_differences_of_the_gradient_and_is_symmetric(f, x, args):
    H = srcad.hessian(f)(x, *args)
    assert H.shape == x.shape + x.shape
    np.testing.assert_allclose(H, finite_difference_of_gradient(f, x, args=args), rtol=1e-5, atol=1e-7)
    square = np.reshape(H, (x.size, x.size))
    np.testing.assert_allclose(square, square.T, rtol=0, atol=1e-10)


@pytest.mark.parametrize("f, x, args", HESSIAN_CASES)
def test_hvp_is_the_hessian_times_v(f, x, args):
    v = RNG.normal(size=x.shape)
    Hv = srcad.hvp(f)(x, *args, v)
    H = np.reshape(srcad.hessian(f)(x, *args), (x.size, x.size))
    assert Hv.shape == x.shape
    np.testing.assert_allclose(Hv.ravel(), H @ v.ravel(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("function, extra", control_flow.CASES, ids=lambda c: getattr(c, "__name__", repr(c)))
def test_hvp_through_every_control_flow_form(function, extra):
    x, v = control_flow.INPUTS["mixed"].copy(), RNG.normal(size=3)
    gradient = srcad.grad(function)
    expected = (gradient(x + 1e-6 * v, *extra) - gradient(x - 1e-6 * v, *extra)) / 2e-6
    np.testing.assert_allclose(srcad.hvp(function)(x, *extra, v), expected, rtol=1e-5, atol=1e-7)


def two_arguments(a, b):
    return np.sum(np.sin(a)) * np.sum(b ** 2) + np.sum(a * a) * np.sum(b)


def test_hessian_blocks_for_several_arguments():
    a, b = RNG.normal(size=2), RNG.normal(size=3)
    H = srcad.hessian(two_arguments, wrt=(0, 1))(a, b)
    assert [[block.shape for block in row] for row in H] == [[(2, 2), (2, 3)], [(3, 2), (3, 3)]]
    np.testing.assert_allclose(H[0][1], H[1][0].T, atol=1e-12)
    by_hand = np.diag(-np.sin(a) * np.sum(b ** 2)) + 2.0 * np.sum(b) * np.eye(2)
    np.testing.assert_allclose(H[0][0], by_hand, rtol=1e-12)
    np.testing.assert_allclose(H[0][1], 2.0 * np.outer(np.cos(a), b) + 2.0 * np.outer(a, np.ones(3)), rtol=1e-12)
    va, vb = RNG.normal(size=2), RNG.normal(size=3)
    ha, hb = srcad.hvp(two_arguments, wrt=(0, 1))(a, b, (va, vb))
    np.testing.assert_allclose(ha, H[0][0] @ va + H[0][1] @ vb, rtol=1e-10)
    np.testing.assert_allclose(hb, H[1][0] @ va + H[1][1] @ vb, rtol=1e-10)


# ---------------------------------------------------- derivatives of derivatives


def polynomial(x):
    return 2.0 * x ** 5 - 3.0 * x ** 4 + x ** 3 - 7.0 * x + 1.0


def test_third_derivative_of_a_polynomial_is_exact():
    third = srcad.grad(srcad.grad(srcad.grad(polynomial)))
    for x in (-1.5, 0.0, 0.5, 2.0):
        assert third(x) == pytest.approx(120.0 * x ** 2 - 72.0 * x + 6.0, rel=1e-14, abs=1e-12)
    assert srcad.grad(srcad.grad(polynomial))(2.0) == pytest.approx(40.0 * 8 - 36.0 * 4 + 12.0, rel=1e-14)


def x_sin_x(x):
    return np.sin(x) * x


def through_a_helper(x):
    return x_sin_x(x) + x ** 3


def x_sin_x_derivative(order, x):
    """The closed form of the order-th derivative of x sin x (and of x ** 3 beyond the third)."""
    return x * np.sin(x + order * np.pi / 2) + order * np.sin(x + (order - 1) * np.pi / 2)


@pytest.mark.parametrize("order", [1, 2, 6])
def test_repeated_grad_through_a_helper_to_the_sixth_order(order):
    derivative = through_a_helper
    for _ in range(order):
        derivative = srcad.grad(derivative)
    cubic = {1: 3.0 * 0.7 ** 2, 2: 6.0 * 0.7, 3: 6.0}.get(order, 0.0)
    assert derivative(0.7) == pytest.approx(x_sin_x_derivative(order, 0.7) + cubic, rel=1e-10, abs=1e-10)


def branchy(x):
    if x > 0.0:
        y = np.sin(x) * x ** 2
    else:
        y = np.exp(x) - x
    return y


@pytest.mark.parametrize("x", [-0.7, 0.4, 1.3])
def test_grad_of_grad_through_branches(x):
    second = srcad.grad(srcad.grad(branchy))(x)
    first = srcad.grad(branchy)
    assert second == pytest.approx((first(x + 1e-6) - first(x - 1e-6)) / 2e-6, rel=1e-6)


def test_jacobian_of_the_gradient_is_the_hessian():
    x = RNG.normal(size=3)
    for mode in ("auto", "forward"):
        np.testing.assert_allclose(srcad.jacobian(srcad.grad(smooth), mode=mode)(x), srcad.hessian(smooth)(x),
                                   rtol=1e-10, atol=1e-12)


# ---------------------------------------------------- the MLP of section 6.5.7


def mlp_loss(W1, W2, X, y, lam):
    H = np.maximum(0.0, X @ W1)
    U = H @ W2
    return nn.softmax_cross_entropy(U, y) + lam * (np.sum(W1 ** 2) + np.sum(W2 ** 2))


def test_mlp_hvp_matches_finite_differences_of_its_gradient():
    X, y = RNG.normal(size=(8, 5)), RNG.integers(0, 3, size=8)
    W1, W2 = RNG.normal(size=(5, 6)) * 0.5, RNG.normal(size=(6, 3)) * 0.5
    V1, V2 = RNG.normal(size=W1.shape), RNG.normal(size=W2.shape)
    gradient = srcad.grad(mlp_loss, wrt=(0, 1))
    h = 1e-6
    plus, minus = gradient(W1 + h * V1, W2 + h * V2, X, y, 1e-3), gradient(W1 - h * V1, W2 - h * V2, X, y, 1e-3)
    H1, H2 = srcad.hvp(mlp_loss, wrt=(0, 1))(W1, W2, X, y, 1e-3, (V1, V2))
    np.testing.assert_allclose(H1, (plus[0] - minus[0]) / (2 * h), rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(H2, (plus[1] - minus[1]) / (2 * h), rtol=1e-5, atol=1e-8)
    source = without_imports(srcad.hvp(mlp_loss, wrt=(0, 1)).source)
    assert source.startswith("def hvp_d_mlp_loss(W1, W2, X, y, lam, t_W1, t_W2):")
    assert "t_d_W1" in source and "tape" not in source


# ---------------------------------------------------- a function that calls srcad.grad


def data_loss(w, X, y):
    return np.sum((np.tanh(X @ w) - y) ** 2)


data_gradient = srcad.grad(data_loss)


def with_gradient_penalty(w, X, y):
    """Double backprop: the loss plus the squared norm of its own gradient."""
    return data_loss(w, X, y) + 0.1 * np.sum(data_gradient(w, X, y) ** 2)


def with_inline_gradient_penalty(w, X, y):
    return data_loss(w, X, y) + 0.1 * np.sum(srcad.grad(data_loss)(w, X, y) ** 2)


def _penalty_reference(f, w, X, y):
    return np.array([(f(w + 1e-6 * e, X, y) - f(w - 1e-6 * e, X, y)) / 2e-6 for e in np.eye(w.size)])


def test_gradient_of_a_gradient_penalty():
    X, y, w = RNG.normal(size=(6, 3)), RNG.normal(size=6), RNG.normal(size=3)
    expected = _penalty_reference(with_gradient_penalty, w, X, y)
    np.testing.assert_allclose(srcad.grad(with_gradient_penalty)(w, X, y), expected, rtol=1e-6)
    np.testing.assert_allclose(srcad.jacobian(with_gradient_penalty, mode="forward")(w, X, y), expected, rtol=1e-6)
    v = RNG.normal(size=3)
    assert srcad.jvp(with_gradient_penalty)(w, X, y, v)[1] == pytest.approx(expected @ v, rel=1e-6)


def test_forward_mode_of_a_function_that_calls_srcad_grad_inline():
    X, y, w = RNG.normal(size=(6, 3)), RNG.normal(size=6), RNG.normal(size=3)
    expected = _penalty_reference(with_inline_gradient_penalty, w, X, y)
    np.testing.assert_allclose(srcad.jacobian(with_inline_gradient_penalty, mode="forward")(w, X, y), expected,
                               rtol=1e-6)


# ---------------------------------------------------- stop_gradient in every mode and order


def half_constant(x):
    return np.sum(np.sin(x) * srcad.stop_gradient(np.cos(x)))


def test_stop_gradient_in_every_mode_and_order():
    x, v = RNG.normal(size=3), RNG.normal(size=3)
    constant = np.cos(x)
    np.testing.assert_allclose(srcad.grad(half_constant)(x), np.cos(x) * constant, rtol=1e-12)
    assert srcad.jvp(half_constant)(x, v)[1] == pytest.approx(np.sum(np.cos(x) * constant * v), rel=1e-12)
    _, pullback = srcad.vjp(half_constant)(x)
    np.testing.assert_allclose(pullback(2.0), 2.0 * np.cos(x) * constant, rtol=1e-12)
    for mode in ("forward", "reverse"):
        np.testing.assert_allclose(srcad.jacobian(half_constant, mode=mode)(x), np.cos(x) * constant, rtol=1e-12)
    hessian = np.diag(-np.sin(x) * constant)  # the stopped factor is a constant at every order
    np.testing.assert_allclose(srcad.hessian(half_constant)(x), hessian, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(srcad.hvp(half_constant)(x, v), hessian @ v, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(srcad.jacobian(srcad.grad(half_constant))(x), hessian, rtol=1e-12, atol=1e-15)


def scalar_half_constant(s):
    return s ** 3 * srcad.stop_gradient(s * s)


def test_stop_gradient_in_grad_of_grad():
    s = 0.7
    assert srcad.grad(scalar_half_constant)(s) == pytest.approx(3 * s ** 2 * s * s, rel=1e-14)
    assert srcad.grad(srcad.grad(scalar_half_constant))(s) == pytest.approx(6 * s * s * s, rel=1e-14)


# ---------------------------------------------------- vjp pulls back as often as asked


def test_pullback_may_be_called_many_times_after_one_forward_sweep():
    Wh, xs = RNG.normal(size=(3, 3)) * 0.4, RNG.normal(size=(4, 3))
    value, pullback = srcad.vjp(rnn_loss)(Wh, xs)
    assert value == pytest.approx(rnn_loss(Wh, xs))
    first, second = pullback(1.0), pullback(1.0)
    np.testing.assert_array_equal(first, second)
    np.testing.assert_allclose(pullback(3.0), 3.0 * first, rtol=1e-14)
    np.testing.assert_allclose(first, srcad.grad(rnn_loss)(Wh, xs), rtol=1e-14)


# ---------------------------------------------------- rules of the helpers generated code calls

HELPER_CASES = [
    pytest.param(unsum, (normal((2, 3)), [np.zeros(3), np.zeros((2, 3))]), {}, [0], id="unsum"),
    pytest.param(resum, ([normal(3), normal((2, 3))], np.zeros((2, 3))), {}, [(0, 0), (0, 1)], id="resum"),
    pytest.param(broadcast_like, (normal(3), np.zeros((2, 3))), {}, [0], id="broadcast_like-up"),
    pytest.param(broadcast_like, (normal((2, 3)), np.zeros(3)), {}, [0], id="broadcast_like-down"),
    pytest.param(fresh_copy, (normal((2, 2)),), {}, None, id="fresh_copy"),
    pytest.param(norm_partials, (normal((3, 4)), uniform(0.5, 2.0, (4,))), {"axis": 0}, [0, 1],
                 id="norm_partials-axis"),
    pytest.param(norm_partials, (normal(5), uniform(0.5, 2.0)), {}, [0, 1], id="norm_partials-vector"),
]


@pytest.mark.parametrize("op, args, kwargs, wrt", HELPER_CASES)
def test_helper_rules(op, args, kwargs, wrt):
    check_rule(op, args, kwargs, wrt)


def accumulate(a, b):
    return add_grads(a, b)


def test_add_grads_rules():
    check_adjoint(add_grads, (normal((2, 3)), normal((2, 3))))
    a, b, v = [normal((2, 3)), normal(3)], [normal((2, 3)), normal(3)], [normal((2, 3)), normal(3)]
    _, tangent = srcad.jvp(accumulate)(a, b, v)  # b carries no tangent: an explicit zero
    np.testing.assert_array_equal(tangent[0], v[0])
    np.testing.assert_array_equal(tangent[1], v[1])


def norm_loss(x):
    return np.linalg.norm(x) ** 3 + np.sum(np.linalg.norm(np.reshape(x, (2, 3)), axis=1))


def test_second_derivative_of_the_norm():
    x = RNG.normal(size=6)
    np.testing.assert_allclose(srcad.hessian(norm_loss)(x), finite_difference_of_gradient(norm_loss, x),
                               rtol=1e-5, atol=1e-7)


def product_of_elements(x):
    return np.prod(x)


def test_the_hessian_of_a_product_is_exact():
    # d2/dxi dxj prod(x) is the product of the other elements, 0 on the diagonal
    x = np.array([0.3, 0.5, 0.9])
    expected = np.array([[0.0, 0.9, 0.5], [0.9, 0.0, 0.3], [0.5, 0.3, 0.0]])
    np.testing.assert_allclose(srcad.hessian(product_of_elements)(x), expected, rtol=1e-12)


def einsum_of_squares(x):
    return np.sum(np.einsum("i,i->i", x, x))


def product_and_einsum(x):
    A = np.outer(x, x[::-1])
    total = np.prod(x) + np.sum(np.prod(np.outer(x, x) + 1.0, axis=0)) + np.prod(x * np.array([1.0, 0.0, 1.0]))
    return total + np.sum(np.einsum("ij,j->i", A, x) ** 2) + np.einsum("ii", A) * np.einsum(A, [0, 1], x, [1], [0])[0]


@pytest.mark.parametrize("f", [product_of_elements, einsum_of_squares, product_and_einsum],
                         ids=lambda f: f.__name__)
def test_reverse_over_reverse_through_products_and_einsum(f):
    x = np.array([0.3, -0.7, 1.2])
    by_reverse = srcad.jacobian(srcad.grad(f), mode="reverse")(x)
    np.testing.assert_allclose(by_reverse, srcad.hessian(f)(x), rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(by_reverse, srcad.jacobian(srcad.grad(f), mode="forward")(x), rtol=1e-12, atol=1e-13)
    gradient = srcad.grad(f)
    for i in range(3):
        step = np.eye(3)[i] * 1e-6
        np.testing.assert_allclose(by_reverse[:, i], (gradient(x + step) - gradient(x - step)) / 2e-6,
                                   rtol=1e-5, atol=1e-6)


def scalar_product_and_einsum(t):
    v = np.array([t, t * t, np.sin(t)])
    return np.prod(v) + np.einsum("i,i->", v, v * t) + np.einsum(v, [0], v, [0], [])


def test_nested_grad_through_products_and_einsum():
    second = srcad.grad(srcad.grad(scalar_product_and_einsum))
    first = srcad.grad(scalar_product_and_einsum)
    for optimize in (True, False):
        assert srcad.grad(srcad.grad(scalar_product_and_einsum, optimize=optimize), optimize=optimize)(0.7) \
            == pytest.approx(second(0.7), rel=1e-12)
    assert second(0.7) == pytest.approx((first(0.7 + 1e-5) - first(0.7 - 1e-5)) / 2e-5, rel=1e-6)


def test_a_helper_without_rules_is_named_in_third_order():
    with pytest.raises(srcad.NonDifferentiableError, match="prod_partials_tangent|uneinsum_tangent"):
        srcad.grad(srcad.grad(srcad.grad(scalar_product_and_einsum)))(0.7)


@srcad.checkpoint
def checkpointed_block(W, h):
    return np.tanh(W @ h) * 2.0


def through_checkpoints(W, x):
    h = x
    for _ in range(3):
        h = checkpointed_block(W, h)
    return np.sum(h ** 2)


def test_checkpointed_functions_in_forward_mode_and_forward_over_reverse():
    W, x, V = RNG.normal(size=(3, 3)) * 0.3, RNG.normal(size=3), RNG.normal(size=(3, 3))
    gradient = srcad.grad(through_checkpoints)
    assert srcad.jvp(through_checkpoints)(W, x, V)[1] == pytest.approx(np.sum(gradient(W, x) * V), rel=1e-10)
    expected = (gradient(W + 1e-6 * V, x) - gradient(W - 1e-6 * V, x)) / 2e-6
    np.testing.assert_allclose(srcad.hvp(through_checkpoints)(W, x, V), expected, rtol=1e-5, atol=1e-8)


# ---------------------------------------------------- grad of grad of ... through user calls


def through_tanh(x):
    return np.tanh(x)


def calls_tanh(x):
    return through_tanh(x)


def tanh_derivatives(x):
    """tanh and its first four derivatives, by hand: t' = s, s' = -2ts with s = 1 - t²."""
    t = np.tanh(x)
    s = 1.0 - t * t
    return [t, s, -2.0 * t * s, 4.0 * t * t * s - 2.0 * s * s, 16.0 * t * s * s - 8.0 * t ** 3 * s]


def scaled_sine(x, scale=1.5):
    return np.sin(x) * scale


def sine_of_a_call(x):
    return scaled_sine(through_tanh(x))


def nested_calls(x):
    return sine_of_a_call(x) * np.exp(x) + x ** 3


def power_by_loop(x, n):
    y = x
    for _ in range(n - 1):
        y = y * x
    return y


def piecewise(x):
    if x > 0.0:
        return np.sin(x) * x
    return np.exp(x) - x


def stop_early(x):
    y = x
    k = 0
    while True:
        k = k + 1
        y = np.sin(y) * 1.3 + x
        if k == 3:
            break
    return y


def pair_product(pair):
    a, b = pair
    return np.sin(a) * b


def from_dict(d):
    return d["a"] * np.exp(d["b"])


def helpers_with_loops_branches_and_containers(x):
    total = power_by_loop(x, 4) + piecewise(x) + stop_early(x)
    total = total + pair_product((x, x * x)) + pair_product([np.cos(x), x])
    return total + from_dict({"a": x, "b": 0.5 * x})


def test_fourth_derivative_through_a_call_is_exact():
    fourth = srcad.grad(srcad.grad(srcad.grad(srcad.grad(calls_tanh))))
    assert fourth(0.5) == pytest.approx(3.9522195637245825, rel=1e-12)
    derivative = calls_tanh
    for order in range(1, 5):
        derivative = srcad.grad(derivative)
        for x in (-0.8, 0.5, 1.7):
            assert derivative(x) == pytest.approx(tanh_derivatives(x)[order], rel=1e-12, abs=1e-14)


@pytest.mark.parametrize("f", [nested_calls, helpers_with_loops_branches_and_containers])
@pytest.mark.parametrize("x", [-0.6, 0.7])
def test_derivatives_up_to_fourth_order_match_differences_of_the_order_below(f, x):
    below = f
    for order in range(1, 5):
        derivative = srcad.grad(below)
        by_differences = (below(x + 1e-5) - below(x - 1e-5)) / 2e-5
        assert derivative(x) == pytest.approx(by_differences, rel=1e-5, abs=1e-6), f"order {order}"
        below = derivative


def test_forward_mode_of_a_third_derivative_through_calls():
    third = srcad.grad(srcad.grad(srcad.grad(helpers_with_loops_branches_and_containers)))
    fourth = srcad.grad(third)
    for x in (-0.6, 0.7):
        value, tangent = srcad.jvp(third)(x, 1.0)
        assert value == pytest.approx(third(x), rel=1e-12)
        assert tangent == pytest.approx(fourth(x), rel=1e-9)


def layer_helper(W, h):
    return np.tanh(W @ h)


def looped_layers(W, h):
    for _ in range(2):
        h = layer_helper(W, h)
        if np.sum(h) > 10.0:
            break
    return h


def network_through_calls(w):
    W = np.reshape(w[:4], (2, 2))
    h = looped_layers(W, w[4:])
    parts = {"out": h, "reg": [w[:2], w[2:4]]}
    return np.sum(parts["out"] ** 2) + 0.1 * sum_of_squares(parts["reg"])


def sum_of_squares(arrays):
    total = 0.0
    for a in arrays:
        total = total + np.sum(a * a)
    return total


def test_hessian_and_jacobian_of_the_gradient_through_calls():
    w = RNG.normal(size=6) * 0.7
    expected = finite_difference_of_gradient(network_through_calls, w)
    H = srcad.hessian(network_through_calls)(w)
    np.testing.assert_allclose(H, expected, rtol=1e-5, atol=1e-7)
    for mode in ("forward", "reverse"):
        np.testing.assert_allclose(srcad.jacobian(srcad.grad(network_through_calls), mode=mode)(w), H,
                                   rtol=1e-9, atol=1e-12)
    v = RNG.normal(size=6)
    np.testing.assert_allclose(srcad.hvp(network_through_calls)(w, v), H @ v, rtol=1e-9, atol=1e-12)
