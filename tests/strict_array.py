"""A strict duck array for tests: it implements NumPy's dispatch protocols
(``__array_ufunc__``, ``__array_function__``) and refuses ``__array__``, as an array of
another library (on a GPU, say) refuses to become a NumPy array behind the user's back.

Every NumPy function or ufunc given one runs on the NumPy data inside and wraps what
comes out again (reductions give a 0-d ``StrictArray``, as array libraries do), so a
result that is a ``StrictArray`` shows the computation never left the type.
``DeviceArray`` is stricter still, as CuPy is: it also refuses to compute with a NumPy
array, so an array that srcad made from nothing in NumPy's library shows up as an error.
"""
import numpy as np


class StrictArray(np.lib.mixins.NDArrayOperatorsMixin):
    """An array that dispatches every NumPy call and cannot be converted implicitly."""

    def __init__(self, data):
        self.data = np.array(data)  # the test builds it from NumPy data: no conversion of a StrictArray

    shape = property(lambda self: self.data.shape)
    dtype = property(lambda self: self.data.dtype)
    ndim = property(lambda self: self.data.ndim)
    size = property(lambda self: self.data.size)
    T = property(lambda self: type(self)(self.data.T))
    refuses_numpy = False

    def __array__(self, dtype=None, copy=None):
        raise TypeError("StrictArray refuses implicit conversion to a NumPy array")

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        self._check_operands((inputs, kwargs), ufunc.__name__)
        return wrap(getattr(ufunc, method)(*unwrap(inputs), **unwrap(kwargs)), type(self))

    def __array_function__(self, func, types, args, kwargs):
        self._check_operands((args, kwargs), func.__name__)
        return wrap(func(*unwrap(args), **unwrap(kwargs)), type(self))

    def _check_operands(self, operands, name):
        if self.refuses_numpy and _holds_numpy_array(operands):
            raise TypeError(f"{type(self).__name__} refuses to compute {name} with a NumPy array")

    def __getitem__(self, key):
        return wrap(self.data[unwrap(key)], type(self))

    def __setitem__(self, key, value):
        self.data[unwrap(key)] = unwrap(value)

    def __len__(self):
        return len(self.data)

    def __bool__(self):  # what a lazy or device array does too: the one value, on request
        return bool(self.data)

    def __float__(self):
        return float(self.data)

    def astype(self, dtype, copy=True):
        return type(self)(self.data.astype(dtype))

    def reshape(self, *shape):
        return type(self)(self.data.reshape(*shape))

    def copy(self):
        return type(self)(self.data.copy())

    def sum(self, *args, **kwargs):
        return wrap(self.data.sum(*args, **kwargs), type(self))

    def __repr__(self):
        return f"{type(self).__name__}({self.data!r})"


class DeviceArray(StrictArray):
    """A ``StrictArray`` that, like an array on a GPU, refuses NumPy arrays as operands."""

    refuses_numpy = True


def _holds_numpy_array(value):
    if isinstance(value, np.ndarray):
        return value.ndim > 0
    if isinstance(value, (list, tuple)):
        return any(_holds_numpy_array(item) for item in value)
    if isinstance(value, dict):
        return any(_holds_numpy_array(item) for item in value.values())
    return False


def unwrap(value):
    """The NumPy data inside ``value`` (and inside the lists, tuples and dicts it holds)."""
    if isinstance(value, StrictArray):
        return value.data
    if isinstance(value, (list, tuple)):
        return type(value)(unwrap(item) for item in value)
    if isinstance(value, dict):
        return {key: unwrap(item) for key, item in value.items()}
    return value


def wrap(value, kind=StrictArray):
    """NumPy arrays and scalars in ``value`` as arrays of ``kind``; anything else as it is."""
    if isinstance(value, (np.ndarray, np.generic)):
        return kind(value)
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return type(value)(*(wrap(item, kind) for item in value))  # a namedtuple: EighResult, SVDResult
    if isinstance(value, (list, tuple)):
        return type(value)(wrap(item, kind) for item in value)
    return value
