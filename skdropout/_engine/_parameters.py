"""One contiguous vector behind all of a network's parameter arrays."""

import numpy as np


def pack_parameters(arrays):
    """Copy ``arrays`` into one contiguous vector and return views into it.

    With every weight matrix and bias vector living in one buffer, the
    optimizer updates the whole network with a handful of vectorised passes
    instead of a handful per array, which is what small networks spend most of
    their time on.

    Parameters
    ----------
    arrays : list of ndarray
        Parameter arrays, all of one dtype; their values are copied.

    Returns
    -------
    flat : ndarray of shape (total_size,)
        The contiguous vector.
    views : list of ndarray
        C-contiguous views into ``flat`` with the shapes of ``arrays``, in
        order; writing through them writes ``flat``.
    """
    flat, views = empty_like_packed(arrays)
    for view, array in zip(views, arrays):
        view[...] = array
    return flat, views


def packed_buffer(arrays):
    """The vector that ``arrays`` are packed views of, or None.

    ``arrays`` are packed views when they lie one after the other, in order
    and without gaps, in one contiguous 1-D vector that they fill, as
    :func:`pack_parameters` leaves them, and all can be written to.
    Training can then go on updating that vector, and with it the very
    arrays a caller holds, instead of packing a copy.
    """
    if not arrays or not all(isinstance(a, np.ndarray) for a in arrays):
        return None
    flat = arrays[0].base
    if (
        not isinstance(flat, np.ndarray)
        or flat.ndim != 1
        or not flat.flags.c_contiguous
        or not flat.flags.writeable
    ):
        return None
    address = flat.ctypes.data
    for array in arrays:
        if (
            array.base is not flat
            or array.dtype != flat.dtype
            or not array.flags.c_contiguous
            # An array its holder made read-only must not be written to.
            or not array.flags.writeable
            or array.ctypes.data != address
        ):
            return None
        address += array.nbytes
    if address != flat.ctypes.data + flat.nbytes:
        return None
    return flat


def empty_like_packed(arrays):
    """An uninitialised vector laid out like :func:`pack_parameters`."""
    dtype = arrays[0].dtype
    flat = np.empty(sum(a.size for a in arrays), dtype=dtype)
    return flat, views_like(flat, arrays)


def views_like(flat, arrays):
    """Views into ``flat`` shaped like ``arrays``, packed one after another.

    What :func:`pack_parameters` returns for ``arrays``, over another vector
    of the same layout, such as a checkpoint's copy of the packed one.
    """
    views = []
    start = 0
    for array in arrays:
        views.append(flat[start : start + array.size].reshape(array.shape))
        start += array.size
    return views
