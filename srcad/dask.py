"""``srcad.dask``: concrete derivatives of functions of Dask arrays, from one pass over the data.

srcad's transforms never convert arrays: the gradient of a loss over chunked Dask data is a
lazy Dask array, and so is every other derivative (see ``docs/scaling.md``). Handed to one
``dask.compute``, all the derivatives of a call (and the value, for ``value_and_grad``)
are computed together, each chunk of the data read once. :func:`computed` does that for
every call of a transform, for the common case of NumPy weights and Dask data::

    step = srcad.dask.computed(srcad.value_and_grad(loss, wrt=(0, 1)))
    value, (d_W1, d_W2) = step(W1, W2, X, y, lam)   # NumPy arrays, one pass over X and y

On a ``dask.distributed`` cluster the computation runs on its workers (the default
scheduler once a ``Client`` exists). This module imports Dask; ``import srcad`` does not.
"""
import functools

import dask
import numpy as np

from .tree import flatten, unflatten


def computed(transform, **compute_options):
    """``transform`` (a srcad transform, or any function) whose results come back computed:
    one ``dask.compute`` of everything a call returns, nested containers included, so the
    lazy parts share one pass over the data. NumPy arrays come back writable, in the dtype the
    transform gave them (a gradient has its argument's). ``compute_options`` go to
    ``dask.compute`` (``scheduler=``, ``optimize_graph=``). ``.source`` is the transform's."""
    return Computed(transform, compute_options)


class Computed:
    """A function whose results are computed together: see :func:`computed`."""

    def __init__(self, transform, compute_options):
        self.__wrapped__ = transform
        functools.update_wrapper(self, transform, updated=())
        self._options = compute_options

    @property
    def source(self):
        """The generated source the wrapped transform runs."""
        return self.__wrapped__.source

    def __call__(self, *args, **kwargs):
        leaves, structure = flatten(self.__wrapped__(*args, **kwargs))
        values = dask.compute(*leaves, **self._options)
        return unflatten(structure, [_writable(value) for value in values])

    def __repr__(self):
        return f"<srcad.dask.computed {self.__wrapped__!r}>"


def _writable(value):
    """A computed NumPy array that can be updated in place, as srcad's NumPy gradients can
    (Dask may hand back a read-only broadcast)."""
    if isinstance(value, np.ndarray) and not value.flags.writeable:
        return value.copy()
    return value


__all__ = ["computed", "Computed"]
