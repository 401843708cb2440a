"""Writes into arrays seen through every name that shares their memory (srcad/aliasing.py).

A write the derivative can follow gives the function's own value and the right derivative
in every transform; a write another live name would see, or that would change the caller's
array, is refused with the user's file and line.
"""
import importlib.util
import itertools
import re
import pathlib
import tempfile

import numpy as np
import pytest

import srcad
from gradcheck import numerical_gradient

X3 = np.array([0.5, -1.2, 0.8])
X4 = np.array([0.5, -1.2, 0.8, 0.3])
TANGENT4 = np.array([0.3, 0.1, -0.7, 0.2])


def check_everything(f, args, wrt=0, second_order=True):
    """Value, gradient (both optimisation settings), vjp's pullback (twice), jvp and hvp of
    ``f`` against ``f`` itself and finite differences; the arguments stay as they were."""
    args = [np.array(a, dtype=float) if not isinstance(a, float) else a for a in args]
    kept = [np.copy(a) for a in args]
    value = f(*[np.copy(a) for a in args])
    expected = numerical_gradient(lambda *z: f(*[np.copy(q) for q in z]), args, wrt)
    for optimize in (True, False):
        got_value, gradient = srcad.value_and_grad(f, wrt=wrt, optimize=optimize)(*args)
        assert np.isclose(got_value, value)
        np.testing.assert_allclose(gradient, expected, rtol=1e-5, atol=1e-6)
    out, pullback = srcad.vjp(f, wrt=wrt)(*args)
    assert np.isclose(out, value)
    np.testing.assert_allclose(pullback(1.0), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(pullback(2.0), 2.0 * expected, rtol=1e-5, atol=1e-6)
    direction = np.linspace(-0.7, 0.4, np.size(args[wrt])).reshape(np.shape(args[wrt]))
    out, tangent = srcad.jvp(f, wrt=wrt)(*args, direction)
    assert np.isclose(out, value)
    np.testing.assert_allclose(tangent, np.sum(expected * direction), rtol=1e-5, atol=1e-6)
    if second_order:
        gradient = srcad.grad(f, wrt=wrt)

        def moved(step):
            changed = list(args)
            changed[wrt] = args[wrt] + step * direction
            return gradient(*changed)

        curvature = (moved(1e-5) - moved(-1e-5)) / 2e-5
        np.testing.assert_allclose(srcad.hvp(f, wrt=wrt)(*args, direction), curvature, rtol=1e-4, atol=1e-4)
    for before, after in zip(kept, args):
        np.testing.assert_array_equal(before, after)


def refused(f, *args, fragment):
    """``f``'s derivative is refused at transform time, naming this file, the line and ``fragment``."""
    with pytest.raises(srcad.UnsupportedSyntaxError) as error:
        srcad.grad(f)(*args)
    message = str(error.value)
    assert fragment in message
    assert pathlib.Path(f.__code__.co_filename).name in message and "line" in message
    return message


# -- the reproducers --------------------------------------------------------------


def slice_squared_after_rebinding(x):
    h = x * 2.0
    h = h * 1.0
    h[1:] *= h[1:]
    return np.sum(h)


def slice_squared_after_self_assignment(x):
    v = x * 2.0
    v = v
    v[1:] *= v[1:]
    return np.sum(v)


def slice_squared_after_unpacking(y):
    u, w = 1.0 / y, y * 1.0
    w[1:] *= w[1:]
    return np.sum(w) + np.sum(u)


def slice_squared_of_rebound_argument(x):
    x = x * 2.0
    x[1:] *= x[1:]
    return np.sum(x)


def mean_written_into_itself(y):
    v = np.mean(y, axis=1)
    v[:] = v
    return np.sum(v)


def transpose_read_in_the_written_value(x):
    v = x * 1.0
    v[0] = np.sum(v.T ** 2)
    return np.sum(v)


def dot(a, b):
    return np.sum(a * b)


def helper_reading_the_written_array(x):
    v = x * 1.0
    v[-1] += dot(x, v)
    return np.sum(v * v)


def divided_in_a_loop_then_written(x):
    v = x * 1.0
    for i in range(2):
        v = v / x
    v[0] += 1.0
    return np.sum(v * v)


def row_from_a_product_with_the_transpose(x):
    v = np.outer(x[:2], x)
    v[0, 1:] = v.sum(axis=0) @ v.T
    return np.sum(v * v)


def copy_in_a_branch(x):
    if np.sum(x) > -10.0:
        x = x.copy()
    else:
        x = x * 2.0
    x[0] = 1.0
    return np.sum(x * x)


def copy_in_a_loop(x):
    for i in range(2):
        x = x.copy()
        x[i] = x[i] * 3.0
    return np.sum(x * x)


def copy_in_a_loop_then_written(x):
    for i in range(1):
        x = x.copy()
    x[0] = 1.0
    return np.sum(x * x)


def copy_after_an_early_return(x):
    if np.sum(x) > 100.0:
        return np.sum(x)
    x = x.copy()
    x[0] = 1.0
    return np.sum(x * x)


def copy_of_a_call(x, z):
    v = np.sin(z).copy()
    v[1] = x[0]
    return np.sum(v * v)


def entry_added_to_a_dict(x):
    d = {"a": x}
    d["e"] = 1.0
    return d["a"] ** 2


@pytest.mark.parametrize("function", [
    slice_squared_after_rebinding, slice_squared_after_self_assignment, slice_squared_after_unpacking,
    slice_squared_of_rebound_argument, transpose_read_in_the_written_value, helper_reading_the_written_array,
    divided_in_a_loop_then_written, row_from_a_product_with_the_transpose, copy_in_a_branch, copy_in_a_loop,
    copy_after_an_early_return,
])
def test_writes_after_aliasing_are_exact(function):
    check_everything(function, [X3])


def test_the_first_reproducer_gives_the_documented_gradient():
    np.testing.assert_allclose(srcad.grad(slice_squared_after_rebinding)(X3), [2.0, -9.6, 6.4])


def test_an_array_written_with_its_own_values():
    y = np.arange(6.0).reshape(2, 3) + 0.3
    np.testing.assert_allclose(srcad.grad(mean_written_into_itself)(y), np.full((2, 3), 1 / 3))
    check_everything(mean_written_into_itself, [y])


def test_a_copy_made_in_a_loop_that_runs_once():
    check_everything(copy_in_a_loop_then_written, [X3])


def test_a_copy_of_a_call_result():
    check_everything(copy_of_a_call, [X3, X3 + 0.1], wrt=0)
    check_everything(copy_of_a_call, [X3, X3 + 0.1], wrt=1)


def differentiable_entry_added_to_a_dict_of_numbers(x):
    d = {"a": np.sum(x), "b": 0.8}
    d["e"] = np.min(x)
    return d["a"] + np.sum(np.sin(x))


def entry_written_in_a_loop_beside_a_new_array(x):
    d = {"a": np.sum(x), "b": 0.8}
    for i in range(2):
        u = (d["b"] + x) * 1.0
        d["e"] = np.min(x) * u[0]
    return d["a"] + np.sum(u) + d["e"]


def activation_written_into(x):
    h = srcad.nn.relu(x)
    h[0] = x[1] ** 2
    return np.sum(srcad.nn.softmax(h) * x)


def test_an_activation_is_a_new_array_to_write_into():
    check_everything(activation_written_into, [X3])


def test_a_number_added_to_a_dict():
    check_everything(entry_added_to_a_dict, [0.7])


@pytest.mark.parametrize("function", [differentiable_entry_added_to_a_dict_of_numbers,
                                      entry_written_in_a_loop_beside_a_new_array])
def test_entries_written_into_a_dict_of_numbers(function):
    check_everything(function, [X3])


# -- what another name would see is refused ------------------------------------------


def write_through_a_slice_read_through_the_base(x):
    y = np.zeros(4)
    v = y[1:]
    v[0] = x[0] * 3
    return np.sum(y * y) + np.sum(x)


def write_through_the_base_read_through_a_view(x):
    y = x * 1.0
    z = y.reshape(3, 1)
    y[0] = 2.0 * x[1]
    return np.sum(z)


def write_seen_by_a_list(x):
    v = x * 1.0
    acc = []
    acc.append(v)
    v[0] = 0.0
    return np.sum(np.stack(acc))


def write_into_an_argument_through_a_name(x):
    v = x
    v[0] = x[1] * 2.0
    return np.sum(v)


def write_into_an_argument_through_a_view(x):
    v = x.T
    v[0] = 0.0
    return np.sum(v)


def slice_squared_of_an_unpacked_argument(y):
    u, w = 1.0 / y, y
    w[1:] *= w[1:]
    return np.sum(w) + np.sum(u)


def write_into_an_argument_in_one_branch(x):
    if np.sum(x) > 0.0:
        x = x.copy()
    x[0] = 1.0
    return np.sum(x * x)


def write_into_an_argument_after_a_loop(x):
    for i in range(len(x)):
        x = x * 1.0
    x[0] = 1.0
    return np.sum(x * x)


@pytest.mark.parametrize("function, fragment", [
    (write_through_a_slice_read_through_the_base, "y may share v's memory"),
    (write_through_the_base_read_through_a_view, "z may share y's memory"),
    (write_seen_by_a_list, "acc may share v's memory"),
    (write_into_an_argument_through_a_name, "the caller's array"),
    (write_into_an_argument_through_a_view, "the caller's array"),
    (slice_squared_of_an_unpacked_argument, "w, which may be y"),
    (write_into_an_argument_in_one_branch, "the caller's array"),
    (write_into_an_argument_after_a_loop, "the caller's array"),
])
def test_writes_another_name_sees_are_refused(function, fragment):
    message = refused(function, X3, fragment=fragment)
    assert ".copy()" in message
    for transform in (srcad.jvp, srcad.vjp):
        with pytest.raises(srcad.UnsupportedSyntaxError):
            transform(function)(X3, X3) if transform is srcad.jvp else transform(function)(X3)


def write_into_a_data_argument(x, buffer):
    buffer[0] = 5.0
    return np.sum(x * buffer)


def fill_first(buffer):
    buffer[0] = 5.0
    return 0.0


def helper_writing_into_its_argument(x):
    y = np.ones(3)
    t = np.sum(y * x)
    u = fill_first(y)
    return t + np.sum(y) + u


def set_row(M, i, v):
    M[i] = v
    return M


def helper_setting_a_row(x):
    M = np.zeros((2, 3))
    M = set_row(M, 0, x)
    return np.sum(M * M)


def fill_through_a_view(buffer):
    view = buffer.reshape(-1)
    view[0] = 5.0
    return 0.0


def helper_writing_through_a_view(x):
    y = np.ones(3)
    t = np.sum(y * x)
    u = fill_through_a_view(y)
    return t + np.sum(y) + u


def sum_of_a_reshaped_row(m):
    v = np.sum(m, axis=0) * 1.0
    w = v.reshape(-1)
    w[:2] += m[0, :2]
    return np.sum(w)


def helper_writing_through_its_own_view(x):
    return sum_of_a_reshaped_row(x)


def test_a_helper_writing_into_its_own_array_through_a_view():
    x = np.arange(6.0).reshape(2, 3) * 0.1
    np.testing.assert_allclose(srcad.grad(helper_writing_through_its_own_view)(x), [[2, 2, 1], [1, 1, 1]])
    check_everything(helper_writing_through_its_own_view, [x])


def test_a_write_into_an_argument_not_differentiated_is_refused_too():
    with pytest.raises(srcad.UnsupportedSyntaxError, match="buffer, which is the caller's array"):
        srcad.grad(write_into_a_data_argument)(X3, np.ones(3))


@pytest.mark.parametrize("function, helper", [(helper_writing_into_its_argument, "fill_first"),
                                              (helper_setting_a_row, "set_row"),
                                              (helper_writing_through_a_view, "fill_through_a_view")])
def test_a_helper_writing_into_its_argument_is_refused_at_the_call(function, helper):
    with pytest.raises(srcad.SrcadError, match=f"{helper}.*writes into its") as error:
        srcad.grad(function)(X3)
    assert "test_aliasing.py" in str(error.value)


# -- calls that write into an array (np.add.at, np.copyto, out=) follow the same model --


def scatter_added_seen_through_a_view(x):
    y = np.zeros(3)
    z = y[1:]
    np.add.at(y, [0, 1], x[:2])
    return np.sum(z * z)


def scatter_added_into_an_argument(x):
    y = x
    np.add.at(y, [0, 1], x[:2])
    return np.sum(y * y)


def copied_into_an_array_a_transpose_reads(x):
    y = np.zeros(3)
    z = y.T
    np.copyto(y, x)
    return np.sum(z * z)


def scatter_added_after_a_transpose_was_read(x):
    y = x * 1.0
    s = np.sum(y.T ** 2)
    np.add.at(y, [0, 0], x[:2] * y[1])
    return np.sum(y * y) + s


def multiplied_into_itself_after_a_transpose_was_read(x):
    y = x * 1.0
    s = np.sum(y.T ** 2)
    np.multiply(y, y, out=y)
    return np.sum(y) + s


@pytest.mark.parametrize("function, fragment", [
    (scatter_added_seen_through_a_view, "z may share y's memory"),
    (scatter_added_into_an_argument, "may be x (an argument being differentiated)"),
    (copied_into_an_array_a_transpose_reads, "z may share y's memory"),
])
def test_calls_writing_into_shared_arrays_are_refused(function, fragment):
    refused(function, X3, fragment=fragment)


@pytest.mark.parametrize("function", [scatter_added_after_a_transpose_was_read,
                                      multiplied_into_itself_after_a_transpose_was_read])
def test_calls_writing_into_arrays_something_else_read_are_exact(function):
    check_everything(function, [X3])


# -- augmented assignment on a name: in place in Python, a new value in srcad ---------


def scaled_argument(x):
    x *= 2.0
    return np.sum(x * x)


def added_into_an_argument_through_a_name(x, y):
    v = x
    v += y
    acc = []
    acc.append(v)
    tp = (v, acc)
    return np.sum(tp[0]) + np.sum(np.stack(acc))


def added_into_an_array_a_view_reads_later(x):
    y = x * 1.0
    z = y[1:]
    y += 1.0
    return np.sum(z * y)


def scaled_number(x):
    x *= 2.0
    total = 0.0
    for i in range(3):
        total += x * i
    return total * x


def added_into_a_local_array(x, y):
    v = x * 1.0
    v += y
    v *= v
    return np.sum(v)


@pytest.mark.parametrize("function, args, fragment", [
    (scaled_argument, [X3], "x *= 2.0 changes the caller's array x in place"),
    (added_into_an_argument_through_a_name, [X3, X3 + 1.0], "v may be the caller's array x"),
    (added_into_an_array_a_view_reads_later, [X3], "z, which may share its memory, is read later"),
])
def test_in_place_operators_on_shared_arrays_are_refused_when_they_run(function, args, fragment):
    calls = [lambda: srcad.grad(function)(*args), lambda: srcad.grad(function, optimize=False)(*args),
             lambda: srcad.vjp(function)(*args), lambda: srcad.jvp(function)(*args, X3),
             lambda: srcad.hvp(function)(*args, X3)]
    for differentiate in calls:
        with pytest.raises(srcad.SrcadError, match="differentiates") as error:
            differentiate()
        assert fragment in str(error.value)
        assert "test_aliasing.py:" in str(error.value)


def test_in_place_operators_on_numbers_and_fresh_arrays_are_rebindings():
    check_everything(scaled_number, [0.7])
    check_everything(added_into_a_local_array, [X3, X3 + 1.0], wrt=1)
    check_everything(added_into_a_local_array, [X3, X3 + 1.0], wrt=0)


def row_of_an_array_rebound_and_added_into(x, y):
    for v in y:
        y = y * 0.5
        for i in range(2):
            y += x * y
    return np.sum(v)


def test_an_array_made_anew_in_each_iteration_shares_nothing_with_the_last_one():
    y = np.arange(6.0).reshape(2, 3)
    assert srcad.grad(row_of_an_array_rebound_and_added_into)(0.3, y) == 0.0
    check_everything(row_of_an_array_rebound_and_added_into, [0.3, y], wrt=0)
    check_everything(row_of_an_array_rebound_and_added_into, [0.3, y], wrt=1)


def loop_over_an_array_the_body_rebinds(x):
    total = 0.0
    for v in x:
        x = x * 2.0
        total = total + np.sum(v * x)
    return total


def test_a_loop_goes_over_the_value_its_sequence_had_when_it_started():
    check_everything(loop_over_an_array_the_body_rebinds, [X3])


def test_the_caller_array_stays_as_it_was_when_nothing_is_refused():
    x = X3.copy()
    srcad.grad(slice_squared_of_rebound_argument)(x)
    srcad.vjp(copy_in_a_branch)(x)[1](1.0)
    np.testing.assert_array_equal(x, X3)


# -- families: each view × each write, read before or after, in several contexts -------

VIEWS = {
    "same array": "a = y",
    "slice": "a = y[1:]",
    "strided slice": "a = y[::2]",
    "reshape method": "a = y.reshape(2, 2)",
    "np.reshape": "a = np.reshape(y, (2, 2))",
    "ravel": "a = y.ravel()",
    ".T": "a = y.T",
    "np.transpose": "a = np.transpose(y)",
    "np.asarray": "a = np.asarray(y)",
    "np.squeeze": "a = np.squeeze(y)",
    "np.expand_dims": "a = np.expand_dims(y, 0)",
    "unpacking": "a, b = y, 2.0",
    "list item": "a = [y, 1.0][0]",
    "helper": "a = identity(y)",
}
WRITES = {
    "item": "y[0] = x[1] * 3.0",
    "slice": "y[1:3] = np.sin(x[:2])",
    "augmented item": "y[0] += x[2] ** 2",
    "augmented negative index": "y[-1] *= x[0]",
    "whole, with its own value": "y[:] = y * x",
}
CONTEXTS = ("straight", "loop", "branch", "early return")


def _family_source(view, write, context, read_after):
    body = ["y = x * 1.5", VIEWS[view], "s = np.sum(a * a)", WRITES[write]]
    result = ("np.sum(a) + " if read_after else "") + "s + np.sum(y ** 2)"
    if context == "loop":
        lines = ["total = 0.0", "for i in range(2):"] + ["    " + line for line in body] \
            + [f"    total = total + {result}", "return total"]
    elif context == "branch":
        lines = ["if np.sum(x) > -100.0:"] + ["    " + line for line in body] \
            + ["else:", "    return np.sum(x)", f"return {result}"]
    elif context == "early return":
        lines = ["if np.sum(x) > 100.0:", "    return np.sum(x)"] + body + [f"return {result}"]
    else:
        lines = body + [f"return {result}"]
    return "def f(x):\n" + "".join(f"    {line}\n" for line in lines)


_MODULES = pathlib.Path(tempfile.mkdtemp(prefix="srcad_aliasing_"))


def _function_f(source, *words):
    """``f`` of ``source`` (after a helper ``identity``), in a module file of its own: srcad
    reads its source."""
    stem = "m_" + "_".join("".join(c if c.isalnum() else "_" for c in word) for word in words)
    path = _MODULES / f"{stem}.py"
    path.write_text("import numpy as np\n\n\ndef identity(v):\n    return v\n\n\n" + source)
    spec = importlib.util.spec_from_file_location(stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.f


def family(view, write, context="straight", read_after=False):
    """The family program: ``y``, a view ``a`` of it read, a write into ``y``, the result."""
    return _function_f(_family_source(view, write, context, read_after), view, write, context, str(read_after))


def _gradient_is_right(f, optimize=True):
    value, gradient = srcad.value_and_grad(f, optimize=optimize)(X4.copy())
    assert np.isclose(value, f(X4.copy()))
    np.testing.assert_allclose(gradient, numerical_gradient(f, [X4], 0), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("view, write", itertools.product(VIEWS, WRITES))
def test_every_view_and_every_write_read_before(view, write):
    _gradient_is_right(family(view, write))


@pytest.mark.parametrize("view, context", itertools.product(VIEWS, CONTEXTS[1:]))
def test_every_view_in_loops_branches_and_after_an_early_return(view, context):
    _gradient_is_right(family(view, "augmented item", context))
    _gradient_is_right(family(view, "whole, with its own value", context), optimize=False)


@pytest.mark.parametrize("view", VIEWS)
def test_every_view_in_every_transform(view):
    f = family(view, "slice", "loop")
    check_everything(f, [X4])


@pytest.mark.parametrize("view, context", itertools.product(VIEWS, CONTEXTS))
def test_every_view_read_after_the_write_is_refused(view, context):
    refused(family(view, "item", context, read_after=True), X4, fragment="a may share y's memory")


def _through_the_view(view, read_base_after):
    """``a = <view of y>``, the base read first, then a write through the view."""
    result = "np.sum(y ** 2)" if read_base_after else "np.sum(a * x[0])"
    source = f"def f(x):\n    y = x * 1.5\n    {VIEWS[view]}\n    s = np.sum(y * y)\n" \
        f"    a[...] = a * 2.0\n    return s + {result}\n"
    return _function_f(source, "through", view, str(read_base_after))


@pytest.mark.parametrize("view", VIEWS)
def test_a_write_through_every_view(view):
    _gradient_is_right(_through_the_view(view, read_base_after=False))
    refused(_through_the_view(view, read_base_after=True), X4, fragment="y may share a's memory")


# -- calls of your own functions: what each does to the memory it is passed (summary_of) --


def rebinds_then_writes_in_a_loop(v, x):
    for i in range(2):
        v = v * 0.5 + x
        v[0] = v[0] * x[1]
    return v


def rebinds_on_both_paths_then_writes_out(v8, x):
    if np.sum(x) > 0.0:
        v8 = v8 * 0.5 + x
    else:
        v8 = np.tanh(v8)
    np.multiply(v8, x, out=v8)
    return v8


def scales_a_number_parameter(a, k=-0.7):
    for i in range(2):
        k *= np.sum(a)
    return k * a


def scales_its_copy_made_in_a_branch(v, x):
    if np.sum(x) > 10.0:
        return v
    v = v.copy()
    v[1:] *= x[1:]
    return v


def calls_rebinds_then_writes(x):
    return np.sum(rebinds_then_writes_in_a_loop(x, x) ** 2)


def calls_rebinds_on_both_paths(x):
    return np.sum(rebinds_on_both_paths_then_writes_out(x, x * x))


def calls_with_a_number_its_result_unread(x):
    s, unused = np.sum(scales_a_number_parameter(x)), scales_a_number_parameter(x, np.sum(x))
    return s


def calls_with_a_number_from_an_item(x):
    numbers = [np.sum(x), 2.0]
    return np.sum(scales_a_number_parameter(x, numbers[0])) + numbers[0]


def calls_a_helper_writing_into_its_own_copy(x):
    return np.sum(scales_its_copy_made_in_a_branch(x, x) ** 2)


def tanh_layer(W, x):
    return np.tanh(W @ x)


def two_new_arrays(x):
    return np.sin(x) * 1.0, [x * x, np.cos(x)]


def writes_into_a_new_result(x):
    W = np.outer(x, x) * 0.5
    h = tanh_layer(W, x)
    h[0] *= 3.0
    h[1:] = h[1:] * h[0]
    return np.sum(h ** 2)


def writes_into_items_of_new_results(x):
    a = two_new_arrays(x)[0]
    second = two_new_arrays(x * 2.0)[1][1]
    a[0] = x[1] ** 2
    second[2] += a[1]
    return np.sum(a * x) + np.sum(second ** 2)


def writes_into_a_new_result_in_a_loop(x):
    total = 0.0
    for i in range(3):
        h = tanh_layer(np.eye(3) * x[i], x)
        h[i] = h[i] ** 2
        total = total + np.sum(h * x)
    return total


@pytest.mark.parametrize("function", [
    calls_rebinds_then_writes, calls_rebinds_on_both_paths, calls_with_a_number_its_result_unread,
    calls_with_a_number_from_an_item, calls_a_helper_writing_into_its_own_copy, writes_into_a_new_result,
    writes_into_items_of_new_results, writes_into_a_new_result_in_a_loop])
def test_calls_of_functions_that_write_only_into_their_own_arrays(function):
    check_everything(function, [X3])


def a_view_of(a):
    return a[1:]


def itself_or_a_copy(a, b):
    return a if np.sum(b) > 0.0 else a.copy()


def in_a_list(a):
    return [a, a * 2.0]


def writes_into_a_view_a_helper_returned(x):
    h = a_view_of(x)
    h[0] = 1.0
    return np.sum(h)


def writes_into_what_may_be_the_argument(x):
    h = itself_or_a_copy(x, x)
    h[0] = 1.0
    return np.sum(h)


def writes_into_an_item_a_helper_returned(x):
    items = in_a_list(x)
    first = items[0]
    first[0] = 2.0
    return np.sum(first)


def reads_an_array_after_writing_into_what_a_helper_returned(x):
    y = x * 1.0
    h = a_view_of(y)
    h[0] = 1.0
    return np.sum(h) + np.sum(y)


@pytest.mark.parametrize("function, fragment", [
    (writes_into_a_view_a_helper_returned, "writing into h, which may be x"),
    (writes_into_what_may_be_the_argument, "writing into h, which may be x"),
    (writes_into_an_item_a_helper_returned, "writing into first, which may be x"),
    (reads_an_array_after_writing_into_what_a_helper_returned, "y may share h's memory")])
def test_writes_into_what_a_helper_returned_of_its_arguments_are_refused(function, fragment):
    with pytest.raises(srcad.UnsupportedSyntaxError, match=fragment) as error:
        srcad.grad(function)(X3.copy())
    assert "test_aliasing.py" in str(error.value)


def step(h, W, states):
    h = np.tanh(W @ h)
    states.append(h)
    return h


def set_entry(d, v):
    d["k"] = v
    return 0.0


def set_item(lst, i, v):
    lst[i] = v
    return 0.0


def pop_last(lst):
    return lst.pop()


def writes_through_another(d, v):
    return set_entry(d, v * 2.0)


def keeps_states(x):
    states = []
    h = step(x, np.eye(3) * 0.5, states)
    return np.sum(h) + np.sum(np.stack(states))


def sets_an_entry(x):
    d = {"a": x}
    unused = set_entry(d, x * 2.0)
    return np.sum(d["a"])


def sets_an_item(x):
    lst = [x, x]
    unused = set_item(lst, 0, x * 3.0)
    return np.sum(lst[0] * lst[1])


def pops_an_item(x):
    lst = [x, 2.0 * x]
    last = pop_last(lst)
    return np.sum(last) + len(lst)


def sets_an_entry_through_another(x):
    d = {"a": x}
    unused = writes_through_another(d, x)
    return np.sum(d["a"])


@pytest.mark.parametrize("function, text, parameter, written", [
    (keeps_states, "h = step(x, np.eye(3) * 0.5, states)", "states", "states.append(h)"),
    (sets_an_entry, "unused = set_entry(d, x * 2.0)", "d", 'd["k"] = v'),
    (sets_an_item, "unused = set_item(lst, 0, x * 3.0)", "lst", "lst[i] = v"),
    (pops_an_item, "last = pop_last(lst)", "lst", "return lst.pop()"),
    (sets_an_entry_through_another, "unused = writes_through_another(d, x)", "d", "return set_entry(d, v * 2.0)"),
])
def test_a_function_changing_a_list_or_dict_it_is_passed_is_refused_at_the_call(function, text, parameter,
                                                                                  written):
    for transform, arguments in ((srcad.grad, (X3.copy(),)), (srcad.jvp, (X3.copy(), np.ones(3)))):
        with pytest.raises(srcad.NonDifferentiableError,
                           match=f"writes into its parameter {parameter} .*{re.escape(written)}") as error:
            transform(function)(*arguments)
        message = str(error.value)
        assert "test_aliasing.py" in message and text in message
        assert "sequence" not in message


def adds_in_place(c, k):
    k += c
    return np.sum(k)


def updates_through_another(p, c):
    return adds_in_place(c, p[1])


def scales_a_default_in_place(v, acc=np.zeros(3)):
    acc *= 2.0
    return np.sum(acc * v)


def reads_an_array_updated_by_a_call_carrying_no_derivative(x):
    y = np.ones(3)
    t = x * y
    n = adds_in_place(1.0, y)
    return np.sum(t) * n


def passes_an_item_updated_through_another(x):
    pair = [1.5, np.ones(3)]
    return np.sum(x) * updates_through_another(pair, 1.0)


def passes_a_number_updated_through_another(x):
    pair = [np.ones(3), 1.5]
    return np.sum(x) * updates_through_another(pair, np.sum(x))


def passes_a_view_to_an_update(x):
    y = np.ones((2, 3))
    return np.sum(x) * adds_in_place(np.sum(x), y.reshape(-1))


def itself(a):
    return a


def passes_what_a_call_returns_to_an_update(x):
    y = np.ones(3)
    return np.sum(x) * adds_in_place(1.0, itself(y))


def passes_a_number_a_call_returns_to_an_update(x):
    s = np.sum(x * x)
    return np.sum(x) * adds_in_place(s, itself(s))


@pytest.mark.parametrize("function", [reads_an_array_updated_by_a_call_carrying_no_derivative,
                                      passes_an_item_updated_through_another,
                                      passes_what_a_call_returns_to_an_update])
def test_a_call_updating_an_array_it_is_passed_in_place_is_refused_when_it_runs(function):
    for transform, arguments in ((srcad.grad, (X3.copy(),)), (srcad.jvp, (X3.copy(), np.ones(3))),
                                 (srcad.hvp, (X3.copy(), np.ones(3)))):
        with pytest.raises(srcad.SrcadError, match=r"test_aliasing.py:\d+: \w+\(...\) changes (y|pair\[1\]|itself\(y\)) in "
                                                   r"place when it is an array or a list \(k \+= c, at "
                                                   r"test_aliasing.py:\d+\)"):
            transform(function)(*arguments)


@pytest.mark.parametrize("function", [passes_a_number_updated_through_another,
                                      passes_a_number_a_call_returns_to_an_update])
def test_a_call_updating_a_number_it_is_passed_is_differentiated(function):
    check_everything(function, [X3])


@pytest.mark.parametrize("function, fragment", [
    (passes_a_view_to_an_update, r"changes y.reshape\(-1\) in place"),
    (lambda x: scales_a_default_in_place(x), "changes the default value of acc"),
], ids=["view", "default"])
def test_a_call_updating_a_view_or_a_default_in_place_is_refused(function, fragment):
    with pytest.raises(srcad.SrcadError, match=fragment):
        srcad.grad(function)(X3.copy())


# -- lists changed in place while another name refers to them -------------------------
# srcad differentiates a list as a value (xs.append(v) is a new list), so a second name for the
# same list, or a container holding it, read after the change, is refused; a copy is exact.


def appended_through_an_alias(x):
    acc = []
    alias = acc
    acc.append(x * 2.0)
    return np.sum(np.stack(alias))


def extended_through_an_alias(x):
    acc = [x]
    alias = acc
    acc.extend([x * 2.0, np.sin(x)])
    return np.sum(np.stack(alias))


def inserted_through_an_alias(x):
    acc = [x]
    alias = acc
    acc.insert(0, x * 2.0)
    return np.sum(np.stack(alias))


def popped_through_an_alias(x):
    acc = [x, x * 3.0]
    alias = acc
    acc.pop()
    return np.sum(np.stack(alias))


def appended_to_a_list_another_list_holds(x):
    acc = []
    holder = [acc]
    acc.append(x * 2.0)
    return np.sum(np.stack(holder[0]))


def appended_to_an_item_of_a_list_of_lists(x):
    rows = [[], []]
    row = rows[0]
    row.append(x * 2.0)
    return np.sum(np.stack(rows[0]))


def appended_in_a_loop_through_an_alias(x):
    acc = []
    alias = acc
    for i in range(3):
        acc.append(x * i)
    return np.sum(np.stack(alias))


def appended_in_a_branch_through_an_alias(x):
    acc = [x]
    alias = acc if x[0] > 0 else [x]
    acc.append(x * 2.0)
    return np.sum(np.stack(alias))


@pytest.mark.parametrize("function", [
    appended_through_an_alias, extended_through_an_alias, inserted_through_an_alias, popped_through_an_alias,
    appended_to_a_list_another_list_holds, appended_to_an_item_of_a_list_of_lists,
    appended_in_a_loop_through_an_alias, appended_in_a_branch_through_an_alias,
])
def test_a_list_changed_while_another_name_refers_to_it_is_refused(function):
    message = refused(function, X3, fragment="refers to the same list")
    assert "list(" in message
    for transform in (srcad.jvp, srcad.vjp, srcad.hvp):
        with pytest.raises(srcad.UnsupportedSyntaxError):
            transform(function)(X3, X3) if transform in (srcad.jvp, srcad.hvp) else transform(function)(X3)


def appended_after_copying_with_list(x):
    acc = [x]
    kept = list(acc)
    acc.append(x * 2.0)
    return np.sum(np.stack(kept)) + np.sum(np.stack(acc) ** 2)


def appended_after_copying_with_a_slice(x):
    acc = [x]
    kept = acc[:]
    acc.append(np.sin(x))
    return np.sum(np.stack(kept) ** 3) + np.sum(np.stack(acc))


def appended_after_reading_an_item(x):
    hs = [x]
    for t in range(3):
        hs.append(np.tanh(hs[-1] * 0.5))
    last = hs[-1]
    hs.append(last * 2.0)
    return np.sum(np.stack(hs)) + np.sum(last ** 2)


def appended_after_an_item_went_into_a_tuple(x):
    acc = [x]
    pair = (acc[0], 1.0)
    acc.append(x * 2.0)
    return np.sum(pair[0] ** 2) + np.sum(np.stack(acc))


def alias_rebound_before_the_change(x):
    acc = [x]
    alias = acc
    alias = [x * 3.0]
    acc.append(x * 2.0)
    return np.sum(np.stack(alias)) + np.sum(np.stack(acc))


def alias_not_read_after_the_change(x):
    acc = [x]
    alias = acc
    total = np.sum(np.stack(alias))
    acc.append(x * 2.0)
    return total + np.sum(np.stack(acc) ** 2)


@pytest.mark.parametrize("function", [
    appended_after_copying_with_list, appended_after_copying_with_a_slice, appended_after_reading_an_item,
    appended_after_an_item_went_into_a_tuple, alias_rebound_before_the_change, alias_not_read_after_the_change,
])
def test_a_list_changed_where_no_other_name_sees_it_is_exact(function):
    check_everything(function, [X3])


# -- a list grown several times after an item was read by position from its end ---------
# the backward sweep undoes every append, so lst[-1] adds its derivative to the item it read


def read_from_the_end_then_extended(x):
    lst = [np.sum(x) ** 3]
    s = np.sin(lst[-1])
    lst.extend([np.exp(lst[0]), np.sin(lst[0])])
    return s


def read_from_the_end_then_appended_three_times(x):
    lst = [x * 2.0, np.sin(x)]
    s = np.sum(lst[-2] * lst[-1])
    for k in range(3):
        lst.append(x * k)
    return s + np.sum(lst[0])


@pytest.mark.parametrize("function", [read_from_the_end_then_extended, read_from_the_end_then_appended_three_times])
def test_an_item_read_before_the_list_grows_gets_its_derivative(function):
    check_everything(function, [X3])
