"""Calls that write into their arguments: differentiated as the writes they make, or refused.

Each supported form is checked against central finite differences (optimised
and not), forward mode against reverse, the value against the function's own,
and the Hessian-vector product against differences of the gradient. Each
refused form raises its documented error, naming this file and the call's line.
"""
import heapq
import inspect
import operator
import random
import warnings

import numpy as np
import pytest

import srcad
from gradcheck import numerical_gradient

RNG = np.random.default_rng(3)
GLOBAL_RNG = np.random.default_rng(0)
X = np.array([0.4, -1.1, 0.9])


# -- np.copyto ------------------------------------------------------------------
def copyto(x):
    buf = np.zeros(3)
    np.copyto(buf, x)
    return np.sum(buf * buf)


def copyto_broadcasts(x):
    buf = np.ones((2, 3))
    np.copyto(buf, x * x)
    return np.sum(np.sin(buf))


def copyto_where(x):
    buf = 2.0 * np.ones(3)
    np.copyto(buf, np.sin(x), where=x > 0.5)
    return np.sum(buf * x)


def copyto_in_a_loop(x):
    buf = x * 1.0
    for i in range(3):
        np.copyto(buf, buf * x + 0.5)
    return np.sum(buf)


def copyto_in_a_branch(x):
    buf = np.zeros(3)
    if np.sum(x) > 0:
        np.copyto(buf, np.tanh(x))
    else:
        np.copyto(buf, x ** 3, casting="same_kind")
    return np.sum(buf ** 2)


# -- ufunc.at -------------------------------------------------------------------
def add_at_repeats(x):
    buf = np.zeros(3)
    np.add.at(buf, [0, 0, 2], x)
    return np.sum(buf * buf)


def add_at_into_a_value(x):
    buf = x * 2.0
    np.add.at(buf, np.array([1, 1, 1]), x ** 2)
    return np.sum(np.sin(buf))


def subtract_at(x):
    buf = x * x
    np.subtract.at(buf, [2, 0, 2], np.cos(x))
    return np.sum(buf ** 2)


def add_at_in_a_loop(x):
    buf = np.ones(3)
    for i in range(3):
        np.add.at(buf, [i, i, 0], x * buf[i])
    return np.sum(buf)


# -- out= -----------------------------------------------------------------------
def multiply_out(x):
    buf = np.zeros(3)
    np.multiply(x, x, out=buf)
    return np.sum(buf * x)


def out_value_is_the_buffer(x):
    buf = np.zeros(3)
    y = np.add(x, 1.0, out=buf)
    return np.sum(y * buf)


def positional_out(x):
    buf = np.empty(3)
    np.sin(x, buf)
    return np.sum(buf ** 2)


def out_tuple(x):
    buf = np.zeros(3)
    np.exp(x, out=(buf,))
    return np.sum(buf)


def out_with_where(x):
    buf = -np.ones(3)
    np.multiply(x, 3.0, out=buf, where=x < 0.5)
    return np.sum(buf * buf)


def out_into_its_input(x):
    y = x * 1.0
    np.tanh(y, out=y)
    np.multiply(y, x, out=y)
    return np.sum(y)


def reduction_out(x):
    X2 = np.outer(x, x)
    buf = np.zeros(3)
    np.sum(X2, axis=0, out=buf)
    return np.sum(buf * x)


def method_out(x):
    X2 = np.outer(x, np.sin(x))
    buf = np.zeros(3)
    X2.sum(axis=1, out=buf)
    return np.sum(buf ** 2)


def out_in_a_loop(x):
    buf = x * 1.0
    for i in range(2):
        np.multiply(buf, x, out=buf)
    return np.sum(buf)


def reduction_out_by_position(x):
    X2 = np.outer(x, np.sin(x))
    buf = np.zeros(3)
    np.sum(X2, 0, None, buf)                  # out is np.sum's fourth parameter
    total = np.zeros((3, 1))
    np.mean(X2 * X2, 1, None, total, True)    # keepdims after it keeps its place
    return np.sum(buf * x) + np.sum(total)


def out_none(x):
    y = np.multiply(x, x, out=None)           # no array to write into: the call as it is
    z = np.sum(y * x, 0, None, None)
    w = np.add(y, x, None)
    return z + np.sum(w * x)


def out_maybe_none(x):
    buf = None
    for i in range(2):
        y = np.multiply(x, x + i, out=buf)    # a new array the first time, then written into
        buf = y
    return np.sum(buf * x)


# a 0-d buffer: its derivative may be a plain number, which must become writable
def out_zero_d(x):
    acc = np.zeros(())
    np.multiply(x[0], x[1], out=acc)
    return acc * x[2]


def out_zero_d_in_a_loop(x):
    acc = np.zeros(())
    for i in range(3):
        np.add(acc, x[i] * x[i], out=acc)
    return acc * x[0]


def reduction_out_zero_d(x):
    acc = np.zeros(())
    np.sum(np.sin(x) * x, out=acc)
    return acc * x[1]


def store_zero_d_after_augmented(x):
    acc = np.zeros(())
    acc += x[0] * x[1]                        # a 0-d array stays one (y = y + v would not)
    acc[...] = acc * x[2]
    acc[()] = acc * x[0]
    return acc * x[1]


def written_after_augmented_by_a_sum(x):
    s = 0.3 * np.sum(x)
    m = np.ones(3) * x
    m -= sum([s, s])                          # m is a new array, not s: writing into it leaves s
    m[1] = 0.0
    return np.sum(m) + s


def store_zero_d_in_a_loop(x):
    acc = np.ones(())
    for i in range(3):
        acc *= x[i]
        acc[()] = acc + np.sin(x[i])
    return acc


# -- __setitem__ ------------------------------------------------------------------
def setitem_method(x):
    y = np.zeros(3)
    y.__setitem__(0, x[1] * x[2])
    y.__setitem__(slice(1, 3), x[:2])
    return np.sum(y * y)


# -- list.extend, list.pop ---------------------------------------------------------
def extend_literal(x):
    parts = [x]
    parts.extend([x * 2.0, np.sin(x)])
    return np.sum(np.stack(parts) ** 2)


def extend_from_a_list(x):
    parts = [x]
    more = [x * x, np.cos(x)]
    parts.extend(more)
    return np.sum(np.stack(parts) ** 2)


def extend_from_array_rows(x):
    parts = []
    parts.extend(np.outer(x, x))
    return np.sum(parts[1] * parts[2])


def extend_in_a_loop(x):
    parts = []
    h = x
    for i in range(3):
        h = np.tanh(h * 1.5)
        parts.extend((h, h * i))
    return np.sum(np.stack(parts) ** 2)


def extend_reads_the_list(x):
    parts = [x, x * 3.0]
    parts.extend([parts[-1], parts[-2] * x])
    return np.sum(np.stack(parts) * parts[-1])


def extend_with_itself(x):
    parts = [x, x * x]
    parts.extend(parts)
    return np.sum(np.stack(parts) * np.arange(4.0)[:, None])


def extend_from_zip(x):
    pairs = []
    pairs.extend(zip([x, x * 2.0], [np.sin(x), x]))
    return np.sum(pairs[0][1] * pairs[1][0])


def insert_at_the_front(x):
    parts = [x]
    parts.insert(0, x * 2.0)
    return np.sum(np.stack(parts) * np.arange(2.0)[:, None])


def insert_anywhere(x):
    parts = [x, x * x, np.sin(x)]
    parts.insert(-1, x * 3.0)
    parts.insert(10, x * 4.0)
    parts.insert(-10, np.cos(x))
    return np.sum(np.stack(parts) * np.arange(6.0)[:, None] ** 2)


def insert_in_a_loop(x):
    parts = []
    h = x
    for i in range(4):
        h = np.tanh(h * 1.3)
        parts.insert(i // 2, h)
    return np.sum(np.stack(parts) * np.arange(4.0)[:, None])


def pop_at(x):
    parts = [x, x * x, np.sin(x)]
    first = parts.pop(0)
    parts.pop(-1)
    return np.sum(np.stack(parts) * first)


def pop_inside_an_expression(x):
    parts = [x, x * x, np.sin(x)]
    total = np.sum(x) + np.sum(parts.pop(1) * 2.0)
    return total * np.sum(np.stack(parts) ** 2)


def pop_in_a_loop(x):
    parts = [x, x * x, np.sin(x), x * 3.0]
    acc = 0.0
    for i in range(2):
        v = parts.pop(1)
        acc = acc + np.sum(v * parts[0])
    return acc + np.sum(np.stack(parts))


def pop_unused(x):
    parts = [x, x * 2.0, np.sin(x)]
    parts.pop()
    return np.sum(np.stack(parts) ** 2)


def append_value_unused(x):
    parts = [x]
    nothing = parts.append(np.sin(x))
    return np.sum(np.stack(parts) ** 2)


# -- dict.update --------------------------------------------------------------------
def update_keywords(x):
    d = {"a": x}
    d.update(b=x * 2.0, c=np.sin(x))
    return np.sum(d["a"] * d["b"] + d["c"])


def update_literal(x):
    d = {"a": x, "b": x * x}
    d.update({"a": d["b"], "b": d["a"] * 3.0})
    return np.sum(d["a"] * np.cos(d["b"]))


def update_from_a_dict(x):
    d = {"a": x, "b": x * x}
    other = {"b": np.sin(x), "c": x * 4.0}
    d.update(other)
    return np.sum(d["a"] * d["b"] * d["c"])


def update_from_pairs(x):
    d = {"a": x}
    d.update(zip(["b", "c"], [x * 2.0, x ** 3]))
    return np.sum(d["b"] * d["c"] + d["a"])


def update_in_a_loop(x):
    d = {"h": x}
    for i in range(3):
        d.update(h=np.tanh(d["h"] * 2.0))
    return np.sum(d["h"])


def update_keywords_read_before_writes(x):
    d = {"a": x, "b": x * 2.0}
    d.update({"a": x * 5.0}, b=d["a"] * d["a"])
    return np.sum(d["a"] * d["b"])


SUPPORTED = [
    copyto, copyto_broadcasts, copyto_where, copyto_in_a_loop, copyto_in_a_branch,
    add_at_repeats, add_at_into_a_value, subtract_at, add_at_in_a_loop,
    multiply_out, out_value_is_the_buffer, positional_out, out_tuple, out_with_where, out_into_its_input,
    reduction_out, method_out, out_in_a_loop,
    reduction_out_by_position, out_none, out_maybe_none, out_zero_d, out_zero_d_in_a_loop, reduction_out_zero_d, store_zero_d_after_augmented, store_zero_d_in_a_loop,
    written_after_augmented_by_a_sum,
    setitem_method,
    extend_literal, extend_reads_the_list, extend_from_a_list, extend_with_itself, extend_from_array_rows,
    extend_in_a_loop, extend_from_zip, insert_at_the_front, insert_anywhere, insert_in_a_loop, pop_at, pop_inside_an_expression,
    pop_in_a_loop, pop_unused, append_value_unused,
    update_keywords, update_literal, update_from_a_dict, update_from_pairs, update_in_a_loop,
    update_keywords_read_before_writes,
]


@pytest.mark.parametrize("optimize", [True, False], ids=["optimized", "unoptimized"])
@pytest.mark.parametrize("f", SUPPORTED, ids=lambda f: f.__name__)
def test_gradient_matches_finite_differences(f, optimize):
    value, gradient = srcad.value_and_grad(f, optimize=optimize)(X.copy())
    assert np.allclose(value, f(X.copy()), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(gradient, numerical_gradient(f, [X.copy()], 0), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("f", SUPPORTED, ids=lambda f: f.__name__)
def test_forward_mode_matches_reverse_mode(f):
    direction = RNG.standard_normal(3)
    value, tangent = srcad.jvp(f)(X.copy(), direction)
    out, pullback = srcad.vjp(f)(X.copy())
    assert np.allclose(value, f(X.copy())) and np.allclose(out, value)
    np.testing.assert_allclose(tangent, np.sum(pullback(1.0) * direction), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("f", [f for f in SUPPORTED if f is not update_from_a_dict], ids=lambda f: f.__name__)
def test_hessian_vector_product_matches_differences_of_the_gradient(f):
    direction = RNG.standard_normal(3)
    gradient = srcad.grad(f)
    step = 1e-6
    expected = (gradient(X + step * direction) - gradient(X - step * direction)) / (2 * step)
    np.testing.assert_allclose(srcad.hvp(f)(X.copy(), direction), expected, rtol=1e-5, atol=1e-6)


def scalar_copyto(t):
    buf = np.zeros(2)
    np.copyto(buf, np.array([t, t * t]))
    return np.sum(np.sin(buf))


def scalar_add_at(t):
    buf = np.array([t, 1.0])
    np.add.at(buf, [0, 0], t * t)
    return np.sum(buf ** 3)


def scalar_extend(t):
    parts = [t]
    parts.extend([t * t, np.cos(t)])
    return parts[0] * parts[1] * parts[2]


def scalar_insert_and_pop(t):
    parts = [t, np.sin(t)]
    parts.insert(1, t * t)
    last = parts.pop(-1)
    return parts[0] * parts[1] * last


def scalar_multiply_out(t):
    buf = np.zeros(2)
    np.multiply(np.array([t, 2.0]), t, out=buf)
    return np.sum(buf ** 3)


def scalar_zero_d_out(t):
    acc = np.zeros(())
    for i in range(2):
        np.multiply(acc + t, t, out=acc)
    acc += t
    acc[...] = acc * np.sin(t)
    return acc


@pytest.mark.parametrize("f", [scalar_copyto, scalar_add_at, scalar_extend, scalar_insert_and_pop,
                               scalar_multiply_out, scalar_zero_d_out],
                         ids=lambda f: f.__name__)
def test_nested_grad_matches_differences(f):
    t = 0.7
    second = srcad.grad(srcad.grad(f))(t)
    step = 1e-5
    first = srcad.grad(f)
    assert np.isclose(second, (first(t + step) - first(t - step)) / (2 * step), rtol=1e-5, atol=1e-7)
    third = srcad.grad(srcad.grad(srcad.grad(f)))(t)
    assert np.isclose(third, (srcad.grad(srcad.grad(f))(t + step) - srcad.grad(srcad.grad(f))(t - step))
                      / (2 * step), rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("optimize", [True, False], ids=["optimized", "unoptimized"])
def test_the_gradient_of_a_float_through_a_zero_d_buffer_is_a_float(optimize):
    value, gradient = srcad.value_and_grad(scalar_zero_d_out, optimize=optimize)(0.7)
    assert value == scalar_zero_d_out(0.7) and type(gradient) is float
    assert np.isclose(gradient, numerical_gradient(scalar_zero_d_out, [0.7], 0), rtol=1e-6)
    assert type(srcad.vjp(store_zero_d_in_a_loop)(X.copy())[0]) is np.ndarray  # 0-d, as f's own


def test_generated_code_writes_the_buffer_as_the_call_does():
    source = srcad.grad(copyto).source
    assert "buf[...] = x" in source
    assert "add_at(buf, " in srcad.grad(add_at_repeats, optimize=False).source
    assert "buf[...] = multiply_x" in srcad.grad(multiply_out, optimize=False).source


# -- refused -------------------------------------------------------------------------
class Model:
    def reset(self):
        pass


MODEL = Model()


def writes_into(buf, x):
    buf[0] = x[0]


def put(x):
    buf = np.zeros(3)
    np.put(buf, [0, 2], x[:2])
    return np.sum(buf)


def place(x):
    buf = np.zeros(3)
    np.place(buf, x > 0, x)
    return np.sum(buf)


def putmask(x):
    buf = np.zeros(3)
    np.putmask(buf, x > 0, x)
    return np.sum(buf)


def fill_diagonal(x):
    buf = np.zeros((3, 3))
    np.fill_diagonal(buf, x)
    return np.sum(buf)


def put_along_axis(x):
    buf = np.zeros(3)
    np.put_along_axis(buf, np.array([0]), x[:1], axis=0)
    return np.sum(buf)


def array_fill(x):
    buf = x * 1.0
    buf.fill(x[0])
    return np.sum(buf)


def array_sort(x):
    y = x * 1.0
    y.sort()
    return np.sum(y * np.arange(3.0))


def unbound_sort(x):
    y = x * 1.0
    np.ndarray.sort(y)
    return np.sum(y * np.arange(3.0))


def array_put(x):
    y = x * 1.0
    y.put([0], x[1])
    return np.sum(y)


def array_resize(x):
    y = x * 1.0
    y.resize(4, refcheck=False)
    return np.sum(y)


def array_partition(x):
    y = x * 1.0
    y.partition(1)
    return np.sum(y * np.arange(3.0))


def list_remove(x):
    parts = [1.0, 2.0]
    parts.remove(1.0)
    return np.sum(x) * parts[0]


def list_reverse(x):
    parts = [x, x * 2.0]
    parts.reverse()
    return np.sum(parts[0])


def list_sort(x):
    parts = [x[0], x[1]]
    parts.sort()
    return parts[0]


def list_clear(x):
    parts = [x]
    parts.clear()
    return np.sum(x)


def dict_pop(x):
    d = {"a": x, "b": x * 2.0}
    d.pop("a")
    return np.sum(d["b"])


def dict_pop_value(x):
    d = {"a": x, "b": x * 2.0}
    a = d.pop("a")
    return np.sum(a)


def dict_setdefault(x):
    d = {}
    d.setdefault("a", x)
    return np.sum(d["a"])


def dict_popitem(x):
    d = {"a": x}
    d.popitem()
    return np.sum(x)


def dict_clear(x):
    d = {"a": x}
    d.clear()
    return np.sum(x)


def set_add(x):
    seen = set()
    seen.add(1)
    return np.sum(x)


def set_discard(x):
    seen = set([1])
    seen.discard(1)
    return np.sum(x)


def random_shuffle(x):
    parts = [x, x * 2.0]
    random.shuffle(parts)
    return np.sum(parts[0])


def numpy_shuffle(x):
    y = x * 1.0
    np.random.shuffle(y)
    return np.sum(y * np.arange(3.0))


def generator_shuffle(x):
    y = x * 1.0
    GLOBAL_RNG.shuffle(y)
    return np.sum(y * np.arange(3.0))


def in_place_dunder(x):
    y = x * 1.0
    y.__iadd__(x)
    return np.sum(y)


def multiply_at(x):
    buf = np.ones(3)
    np.multiply.at(buf, [0, 1], x[:2])
    return np.sum(buf)


def heap_push(x):
    heap = []
    heapq.heappush(heap, x[0])
    return heap[0]


def operator_setitem(x):
    buf = np.zeros(3)
    operator.setitem(buf, 0, x[0])
    return np.sum(buf)


def user_function_statement(x):
    buf = np.zeros(3)
    writes_into(buf, x)
    return np.sum(buf)


def unknown_method_statement(x):
    MODEL.reset()
    return np.sum(x)


def local_function_statement(x, act=np.tanh):
    act(x)
    return np.sum(x)


REFUSED_CALLS = [
    (put, "np.put("), (place, "np.place("), (putmask, "np.putmask("), (fill_diagonal, "np.fill_diagonal("),
    (put_along_axis, "np.put_along_axis("), (array_fill, "buf.fill("), (array_sort, "y.sort("),
    (unbound_sort, "np.ndarray.sort("), (array_put, "y.put("), (array_resize, "y.resize("),
    (array_partition, "y.partition("), (list_remove, "parts.remove("),
    (list_reverse, "parts.reverse("), (list_sort, "parts.sort("), (list_clear, "parts.clear("),
    (dict_pop, 'd.pop("a")'), (dict_pop_value, 'd.pop("a")'),
    (dict_setdefault, "d.setdefault("), (dict_popitem, "d.popitem("), (dict_clear, "d.clear("),
    (set_add, "seen.add("), (set_discard, "seen.discard("), (random_shuffle, "random.shuffle("),
    (numpy_shuffle, "np.random.shuffle("), (generator_shuffle, "GLOBAL_RNG.shuffle("),
    (in_place_dunder, "y.__iadd__("), (multiply_at, "np.multiply.at("), (heap_push, "heapq.heappush("),
    (operator_setitem, "operator.setitem("), (user_function_statement, "writes_into(buf, x)"),
    (unknown_method_statement, "MODEL.reset("), (local_function_statement, "act(x)"),
]


def _line_of(f, text):
    lines, first = inspect.getsourcelines(f)
    return first + next(i for i, line in enumerate(lines) if text in line)


def _assert_names_the_call(error, f, text):
    message = str(error)
    assert __file__ in message or "test_effects.py" in message
    assert f"line {_line_of(f, text)}" in message
    assert text.split("(")[0].split(".")[-1] in message


@pytest.mark.parametrize("transform", [srcad.grad, srcad.jvp, srcad.hvp], ids=["grad", "jvp", "hvp"])
@pytest.mark.parametrize("f, text", REFUSED_CALLS, ids=[f.__name__ for f, _ in REFUSED_CALLS])
def test_a_call_that_writes_in_a_way_srcad_does_not_follow_is_refused(f, text, transform):
    arguments = (X.copy(),) if transform is srcad.grad else (X.copy(), np.ones(3))
    with pytest.raises(srcad.NonDifferentiableError) as error:
        transform(f)(*arguments)
    _assert_names_the_call(error.value, f, text)


def nested_out(x):
    buf = np.zeros(3)
    return np.sum(np.multiply(x, x, out=buf))


def nested_add_at(x):
    buf = np.zeros(3)
    y = 2.0 * np.add.at(buf, [0], x[0])
    return np.sum(buf)


def out_into_an_item(x):
    bufs = [np.zeros(3)]
    np.multiply(x, x, out=bufs[0])
    return np.sum(bufs[0])


def append_to_an_item(x):
    groups = [[], []]
    groups[0].append(x)
    return np.sum(groups[0][0])


def extend_in_a_condition(x):
    parts = []
    if parts.extend([x]) is None:
        return np.sum(parts[0])
    return 0.0


REFUSED_FORMS = [
    (nested_out, "np.multiply(x, x, out=buf)"), (nested_add_at, "np.add.at("),
    (out_into_an_item, "out=bufs[0]"), (append_to_an_item, "groups[0].append("),
    (extend_in_a_condition, "parts.extend("),
]


@pytest.mark.parametrize("f, text", REFUSED_FORMS, ids=[f.__name__ for f, _ in REFUSED_FORMS])
def test_a_write_srcad_follows_only_as_a_statement_is_refused_elsewhere(f, text):
    with pytest.raises(srcad.UnsupportedSyntaxError) as error:
        srcad.grad(f)(X.copy())
    _assert_names_the_call(error.value, f, text)


def dict_pop_by_name(x):
    d = {"a": x, "b": x * 2.0}
    key = "a"
    d.pop(key)
    return np.sum(d["b"])


@pytest.mark.parametrize("transform", [srcad.grad, srcad.jvp], ids=["grad", "jvp"])
def test_pop_at_a_position_of_what_is_not_a_list_is_refused_when_it_runs(transform):
    arguments = (X.copy(),) if transform is srcad.grad else (X.copy(), np.ones(3))
    with pytest.raises(srcad.SrcadError, match="pop.position. of a list, not of a dict"):
        transform(dict_pop_by_name)(*arguments)


def printing(x):
    y = np.tanh(x)
    print("y is", y)
    warnings.warn("a warning")
    np.sum(y)
    return np.sum(y ** 2)


@pytest.mark.filterwarnings("ignore:a warning")
def test_calls_that_change_nothing_are_allowed_as_statements():
    np.testing.assert_allclose(srcad.grad(printing)(X.copy()), numerical_gradient(printing, [X.copy()], 0),
                               rtol=1e-6)


def pops_into_an_array(x):
    parts = [x, x * x, np.sin(x)]
    v = parts.pop(1)
    parts.insert(0, v * 2.0)
    return np.stack(parts) * v


def test_a_pullback_that_puts_items_back_can_run_twice():
    _, pullback = srcad.vjp(pops_into_an_array)(X.copy())
    cotangent = RNG.standard_normal((3, 3))
    first = pullback(cotangent)
    np.testing.assert_allclose(pullback(cotangent), first)
    expected = numerical_gradient(lambda x: np.sum(pops_into_an_array(x) * cotangent), [X.copy()], 0)
    np.testing.assert_allclose(first, expected, rtol=1e-5, atol=1e-7)


# -- functions of the user that write into their arguments ------------------------------
def set_first(buf, x):
    buf[0] = x[0]
    return 1.0


def grow_states(h, states):
    h = np.tanh(h)
    states.append(h)
    return h


def scale_in_place(v, factor):
    v *= factor
    return factor


def copy_into(target, source):
    np.copyto(target, source)
    return 0.0


def set_first_through_a_helper(buf, x):
    return set_first(x=x, buf=buf)


def writes_into_its_own_copy(buf, x):
    buf = buf.copy()
    buf[0] = x[0]
    return np.sum(buf)


def calls_set_first(x):
    buf = np.zeros(3)
    unused = set_first(buf, x)
    return np.sum(buf ** 2)


def calls_grow_states(x):
    states = []
    h = grow_states(x, states)
    h = grow_states(h, states)
    return np.sum(np.stack(states))


def calls_scale_in_place(x):
    v = x * 1.0
    unused = scale_in_place(v, 2.0)
    return np.sum(v)


def calls_copy_into(x):
    buf = np.zeros(3)
    unused = copy_into(buf, x)
    return np.sum(buf)


def calls_a_helper_that_writes_through_another(x):
    buf = np.zeros(3)
    unused = set_first_through_a_helper(buf, x)
    return np.sum(buf)


WRITING_HELPERS = [
    (calls_set_first, "set_first(buf, x)", "buf"), (calls_grow_states, "h = grow_states(x, states)", "states"),
    (calls_copy_into, "copy_into(buf, x)", "target"),
    (calls_a_helper_that_writes_through_another, "set_first_through_a_helper(buf, x)", "buf"),
]


@pytest.mark.parametrize("f, text, parameter", WRITING_HELPERS, ids=[f.__name__ for f, _, _ in WRITING_HELPERS])
def test_a_call_of_a_function_that_writes_into_its_argument_is_refused(f, text, parameter):
    for transform, arguments in ((srcad.grad, (X.copy(),)), (srcad.jvp, (X.copy(), np.ones(3)))):
        with pytest.raises(srcad.NonDifferentiableError, match=f"writes into its parameter {parameter}") as error:
            transform(f)(*arguments)
        _assert_names_the_call(error.value, f, text)


def test_a_call_of_a_function_updating_its_array_parameter_in_place_is_refused_when_it_runs():
    for transform, arguments in ((srcad.grad, (X.copy(),)), (srcad.jvp, (X.copy(), np.ones(3)))):
        with pytest.raises(srcad.SrcadError, match=r"test_effects.py:\d+: scale_in_place\(...\) changes v in place "
                                                   r"when it is an array or a list \(v \*= factor"):
            transform(calls_scale_in_place)(*arguments)


def calls_a_helper_that_writes_into_its_copy(x):
    buf = np.zeros(3)
    return writes_into_its_own_copy(buf, x * x) + np.sum(buf)


def test_a_function_that_writes_into_its_own_copy_of_an_argument_is_differentiated():
    f = calls_a_helper_that_writes_into_its_copy
    np.testing.assert_allclose(srcad.grad(f)(X.copy()), numerical_gradient(f, [X.copy()], 0), rtol=1e-6)


def run_time_writer(x, fill):
    buf = np.zeros(3)
    unused = fill(buf, x)
    return np.sum(buf ** 2)


def object_method_result_unread(x):
    unused = MODEL.reset()
    return np.sum(x)


@pytest.mark.parametrize("f, text, arguments", [
    (run_time_writer, "unused = fill(buf, x)", (set_first,)), (object_method_result_unread, "MODEL.reset()", ()),
], ids=["function_passed_in", "method_of_an_object"])
def test_a_call_whose_result_is_never_read_is_refused_unless_it_changes_nothing(f, text, arguments):
    with pytest.raises(srcad.NonDifferentiableError, match="its result is not used") as error:
        srcad.value_and_grad(f)(X.copy(), *arguments)
    _assert_names_the_call(error.value, f, text)


def doubles_a_number(a, s):
    s *= 2.0
    return s * a


def passes_a_number_to_an_augmented_parameter(x):
    return np.sum(doubles_a_number(x, np.sum(x)))


def test_an_augmented_assignment_to_a_parameter_holding_a_number_is_differentiated():
    f = passes_a_number_to_an_augmented_parameter
    np.testing.assert_allclose(srcad.grad(f)(X.copy()), numerical_gradient(f, [X.copy()], 0), rtol=1e-6)
