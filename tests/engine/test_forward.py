"""``forward``: the deterministic pass used for prediction, without dropout."""

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.special import expit

from skdropout._engine import (
    LOSSES,
    MinibatchTrainer,
    SGDOptimizer,
    active_units,
    forward,
)


def _network(dtype=np.float64, units=(5, 6, 4, 3), seed=0):
    rng = np.random.default_rng(seed)
    coefs = [
        rng.normal(scale=0.5, size=(a, b)).astype(dtype)
        for a, b in zip(units[:-1], units[1:])
    ]
    intercepts = [rng.normal(scale=0.1, size=b).astype(dtype) for b in units[1:]]
    return coefs, intercepts


def _inputs(dtype=np.float64, sparse=False, n_rows=11, seed=1):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_rows, 5))
    X[rng.random(X.shape) < 0.5] = 0.0
    X = X.astype(dtype)
    return sp.csr_matrix(X) if sparse else X


def test_forward_composes_the_layers():
    coefs, intercepts = _network()
    X = _inputs()
    hidden_1 = np.tanh(X @ coefs[0] + intercepts[0])
    hidden_2 = np.tanh(hidden_1 @ coefs[1] + intercepts[1])
    expected = expit(hidden_2 @ coefs[2] + intercepts[2])

    out = forward(X, coefs, intercepts, "tanh", "logistic")

    np.testing.assert_allclose(out, expected, rtol=1e-14)


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
@pytest.mark.parametrize("batch_rows", [1, 4, 10, 11, 50])
def test_forward_in_chunks_equals_forward_in_one_go(batch_rows, sparse):
    coefs, intercepts = _network()
    X = _inputs(sparse=sparse)

    whole = forward(X, coefs, intercepts, "relu", "softmax")
    chunked = forward(X, coefs, intercepts, "relu", "softmax", batch_rows=batch_rows)

    np.testing.assert_allclose(chunked, whole, rtol=1e-14, atol=1e-300)


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
def test_forward_keeps_float32_and_leaves_the_input_untouched(sparse):
    coefs, intercepts = _network(np.float32)
    X = _inputs(np.float32, sparse=sparse)
    X_before = X.copy()

    out = forward(X, coefs, intercepts, "logistic", "identity", batch_rows=3)

    assert out.dtype == np.float32
    np.testing.assert_array_equal(
        X.toarray() if sparse else X, X_before.toarray() if sparse else X_before
    )


@pytest.mark.parametrize(
    "loss, out_activation",
    [
        ("squared_error", "identity"),
        ("poisson", "exp"),
        ("log_loss", "softmax"),
        ("binary_log_loss", "logistic"),
    ],
)
def test_forward_is_the_training_forward_pass_without_dropout(loss, out_activation):
    coefs, intercepts = _network()
    X = _inputs()
    rng = np.random.default_rng(2)
    Y = np.eye(3)[rng.integers(3, size=X.shape[0])]  # valid for every loss
    trainer = MinibatchTrainer(
        coefs,
        intercepts,
        activation="tanh",
        out_activation=out_activation,
        loss=loss,
        alpha=0.0,
        optimizer=SGDOptimizer(coefs + intercepts),
        batch_size=X.shape[0],
    )
    out = forward(X, coefs, intercepts, "tanh", out_activation)
    scratch = (np.empty_like(out), np.empty_like(out))

    training_loss = trainer.loss_and_gradients(X, Y)

    assert training_loss == pytest.approx(
        LOSSES[loss](Y, out, None, scratch), rel=1e-14
    )


@pytest.mark.parametrize("batch_rows", [None, 1, 4])
@pytest.mark.parametrize("sparse", [False, True])
def test_active_units_marks_a_relu_unit_dead_only_if_zero_on_every_row(
    batch_rows, sparse
):
    coefs, intercepts = _network()
    X = _inputs(sparse=sparse)
    dense = X.toarray() if sparse else X
    # Unit 0 of the first hidden layer: below zero on every row, by its bias.
    intercepts[0][0] = -(np.abs(dense) @ np.abs(coefs[0][:, 0])).max() - 1
    # Unit 1: positive on the last row only.
    coefs[0][:, 1] = 0.0
    coefs[0][0, 1] = 1.0
    intercepts[0][1] = -dense[:, 0].max() + 1e-3
    assert (dense[:, 0] > dense[:, 0].max() - 1e-3).sum() == 1
    active = active_units(X, coefs, intercepts, "relu", batch_rows)
    expected = (np.maximum(dense @ coefs[0] + intercepts[0], 0) > 0).any(axis=0)
    assert [a.shape for a in active] == [(6,), (4,)]
    assert not active[0][0] and active[0][1]
    np.testing.assert_array_equal(active[0], expected)
