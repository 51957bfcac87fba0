"""Gathering a minibatch's rows into reused buffers."""

import numpy as np
import pytest
import scipy.sparse as sp

from skdropout._engine._minibatches import MinibatchRows


def _data(rng, n=20, width=5):
    return (
        rng.normal(size=(n, width)),
        rng.normal(size=(n, 2)),
        rng.uniform(0.5, 2.0, size=n),
    )


@pytest.mark.parametrize("layout", ["C", "F", "sparse"])
def test_gather_returns_the_rows_of_the_epoch_order(layout):
    rng = np.random.default_rng(0)
    X, Y, sample_weight = _data(rng)
    order = rng.permutation(20)
    given = {"C": X, "F": np.asfortranarray(X), "sparse": sp.csr_matrix(X)}[layout]
    batches = MinibatchRows(8, 2, np.float64)

    X_batch, Y_batch, sw_batch = batches.gather(given, Y, sample_weight, order, 8, 16)

    rows = order[8:16]
    X_batch = X_batch.toarray() if sp.issparse(X_batch) else X_batch
    np.testing.assert_array_equal(X_batch, X[rows])
    np.testing.assert_array_equal(Y_batch, Y[rows])
    np.testing.assert_array_equal(sw_batch, sample_weight[rows])


def test_gather_in_place_copies_strided_rows_into_a_c_ordered_buffer():
    rng = np.random.default_rng(1)
    X, Y, _ = _data(rng)
    batches = MinibatchRows(8, 2, np.float64)

    X_batch, Y_batch, sw_batch = batches.gather(
        np.asfortranarray(X), Y, None, None, 16, 20
    )

    assert X_batch.flags.c_contiguous
    np.testing.assert_array_equal(X_batch, X[16:20])
    np.testing.assert_array_equal(Y_batch, Y[16:20])
    assert sw_batch is None


def test_gather_reuses_its_buffers_from_batch_to_batch():
    rng = np.random.default_rng(2)
    X, Y, sample_weight = _data(rng)
    order = rng.permutation(20)
    batches = MinibatchRows(8, 2, np.float64)

    first = batches.gather(X, Y, sample_weight, order, 0, 8)
    second = batches.gather(X, Y, sample_weight, order, 8, 16)

    for a, b in zip(first, second):
        assert np.shares_memory(a, b)
