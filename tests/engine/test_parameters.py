"""The one vector behind a network's parameter arrays."""

import numpy as np
import pytest

from skdropout._engine import pack_parameters, packed_buffer


def network(dtype=np.float64):
    rng = np.random.default_rng(0)
    shapes = [(3, 4), (4, 2), (4,), (2,)]
    return [rng.standard_normal(s).astype(dtype) for s in shapes]


def test_pack_parameters_copies_values_into_views_of_one_vector():
    arrays = network()
    flat, views = pack_parameters(arrays)
    assert flat.size == sum(a.size for a in arrays)
    for view, array in zip(views, arrays):
        np.testing.assert_array_equal(view, array)
        assert view.base is flat
    views[1][0, 0] = 7.0
    assert flat[12] == 7.0


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_packed_buffer_finds_the_vector_behind_packed_views(dtype):
    flat, views = pack_parameters(network(dtype))
    assert packed_buffer(views) is flat


def test_packed_buffer_is_none_for_separate_arrays():
    assert packed_buffer(network()) is None


@pytest.mark.parametrize(
    "rearrange",
    [
        lambda views: views[:-1],  # leaves the end of the vector out
        lambda views: views[1:],  # leaves the start out
        lambda views: [views[1], views[0], *views[2:]],  # out of order
        lambda views: [views[0].T, *views[1:]],  # not C-contiguous
        lambda views: [views[0].copy(), *views[1:]],  # one array not a view
        lambda views: [views[0].astype(np.float32), *views[1:]],
        lambda views: [],
    ],
    ids=["short-end", "short-start", "order", "transposed", "copy", "dtype", "empty"],
)
def test_packed_buffer_is_none_unless_the_views_fill_the_vector_in_order(rearrange):
    _, views = pack_parameters(network())
    assert packed_buffer(rearrange(views)) is None


def test_packed_buffer_is_none_for_a_read_only_vector():
    flat, views = pack_parameters(network())
    flat.flags.writeable = False
    assert packed_buffer(views) is None


def test_packed_buffer_is_none_if_one_view_is_read_only():
    _, views = pack_parameters(network())
    views[2].flags.writeable = False
    assert packed_buffer(views) is None
