"""Activations, their derivatives and the losses, against reference formulas.

scikit-learn's own loss functions serve as the reference for the losses; the
engine must match them to rounding (it never imports sklearn itself). The
Gaussian negative log-likelihood, which sklearn's MLP lacks, is checked
against SciPy's normal density in test_gaussian_nll.py.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy.special import expit
from sklearn.neural_network._base import LOSS_FUNCTIONS

from skdropout._engine import ACTIVATIONS, DERIVATIVES, LOSSES

DTYPES = [np.float32, np.float64]
# The losses that sklearn's MLP has too, and so a reference for.
SKLEARN_LOSSES = sorted(set(LOSSES) - {"gaussian_nll"})
RTOL = {np.dtype(np.float32): 1e-6, np.dtype(np.float64): 1e-14}

REFERENCE_ACTIVATIONS = {
    "identity": lambda z: z,
    "logistic": expit,
    "tanh": np.tanh,
    "relu": lambda z: np.maximum(z, 0),
    "exp": np.exp,
}


def _logits(dtype, shape=(6, 4), seed=0):
    return np.random.default_rng(seed).normal(scale=2.0, size=shape).astype(dtype)


# ---------------------------------------------------------------- activations
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", sorted(REFERENCE_ACTIVATIONS))
def test_activation_matches_its_reference_formula_in_place(name, dtype):
    Z = _logits(dtype)
    expected = REFERENCE_ACTIVATIONS[name](Z.copy())

    returned = ACTIVATIONS[name](Z)

    assert returned is None
    assert Z.dtype == dtype
    np.testing.assert_allclose(Z, expected, rtol=RTOL[np.dtype(dtype)])


@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_matches_its_reference_formula_in_place(dtype):
    Z = _logits(dtype)
    exp = np.exp(Z.astype(np.float64))
    expected = exp / exp.sum(axis=1, keepdims=True)

    ACTIVATIONS["softmax"](Z)

    assert Z.dtype == dtype
    np.testing.assert_allclose(Z, expected, rtol=10 * RTOL[np.dtype(dtype)])


@given(
    logits=hnp.arrays(
        st.sampled_from([np.float32, np.float64]),
        hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=6),
        elements=st.floats(-1e4, 1e4, width=32),
    )
)
def test_softmax_rows_are_probabilities_summing_to_one(logits):
    probabilities = logits.copy()

    ACTIVATIONS["softmax"](probabilities)

    assert np.all(np.isfinite(probabilities))
    assert np.all((probabilities >= 0) & (probabilities <= 1))
    eps = np.finfo(logits.dtype).eps
    np.testing.assert_allclose(
        probabilities.sum(axis=1), 1.0, rtol=0, atol=4 * logits.shape[1] * eps
    )


@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_is_stable_for_huge_logits(dtype):
    Z = np.array(
        [[1000.0, -1000.0], [-1000.0, 1000.0], [1000.0, 1000.0], [-1000.0, -1000.0]],
        dtype=dtype,
    )

    with np.errstate(over="raise", invalid="raise", divide="raise"):
        ACTIVATIONS["softmax"](Z)

    assert not np.any(np.isnan(Z))
    np.testing.assert_array_equal(Z, [[1, 0], [0, 1], [0.5, 0.5], [0.5, 0.5]])


@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_with_a_row_buffer_gives_the_same_result(dtype):
    Z = _logits(dtype)
    without_buffer = Z.copy()
    buffer = np.empty((Z.shape[0], 1), dtype=dtype)

    ACTIVATIONS["softmax"](Z, buffer)
    ACTIVATIONS["softmax"](without_buffer)

    np.testing.assert_array_equal(Z, without_buffer)


@given(
    shift=st.floats(-100, 100),
    logits=hnp.arrays(np.float64, (3, 4), elements=st.floats(-50, 50)),
)
def test_softmax_is_invariant_to_adding_a_constant_to_a_row(shift, logits):
    shifted = logits + shift
    ACTIVATIONS["softmax"](logits)
    ACTIVATIONS["softmax"](shifted)

    np.testing.assert_allclose(shifted, logits, rtol=1e-9, atol=1e-300)


@pytest.mark.parametrize("dtype", DTYPES)
def test_logistic_is_finite_for_huge_inputs(dtype):
    Z = np.array([[-1000.0, 1000.0]], dtype=dtype)

    with np.errstate(over="raise", invalid="raise"):
        ACTIVATIONS["logistic"](Z)

    np.testing.assert_array_equal(Z, [[0.0, 1.0]])


# ---------------------------------------------------------------- derivatives
@pytest.mark.parametrize("name", sorted(DERIVATIVES))
def test_derivative_of_the_activation_output_matches_finite_differences(name):
    rng = np.random.default_rng(1)
    Z = rng.normal(scale=2.0, size=(6, 5))
    Z[np.abs(Z) < 1e-3] = 0.5  # keep relu away from its kink
    delta = rng.normal(size=Z.shape)
    h = 1e-6
    up, down = Z + h, Z - h
    ACTIVATIONS[name](up)
    ACTIVATIONS[name](down)
    expected = delta * (up - down) / (2 * h)
    A = Z.copy()
    ACTIVATIONS[name](A)  # derivatives take the activation's output

    DERIVATIVES[name](A, delta, np.empty_like(A))

    np.testing.assert_allclose(delta, expected, rtol=1e-7, atol=1e-9)


def test_relu_derivative_is_zero_where_the_unit_is_inactive():
    A = np.array([[0.0, 2.0, 0.0, 1e-300]])
    delta = np.array([[5.0, 5.0, -3.0, 7.0]])

    DERIVATIVES["relu"](A, delta, np.empty_like(A))

    np.testing.assert_array_equal(delta, [[0.0, 5.0, 0.0, 7.0]])


@pytest.mark.parametrize("name", sorted(DERIVATIVES))
def test_derivative_leaves_the_activation_untouched(name):
    A = _logits(np.float64)
    ACTIVATIONS[name](A)
    before = A.copy()

    DERIVATIVES[name](A, np.ones_like(A), np.empty_like(A))

    np.testing.assert_array_equal(A, before)


@pytest.mark.parametrize("name", sorted(DERIVATIVES))
def test_derivative_keeps_float32_in_float32(name):
    A = _logits(np.float32)
    ACTIVATIONS[name](A)
    delta = np.ones_like(A)

    DERIVATIVES[name](A, delta, np.empty_like(A))

    assert delta.dtype == np.float32


def test_every_hidden_activation_has_a_derivative():
    assert {"identity", "logistic", "tanh", "relu"} <= set(DERIVATIVES)
    assert set(DERIVATIVES) <= set(ACTIVATIONS)


# --------------------------------------------------------------------- losses
def _loss_case(name, dtype, n_rows=9, seed=0):
    """Targets and predictions from the loss's canonical output activation."""
    rng = np.random.default_rng(seed)
    n_outputs = {"squared_error": 3, "poisson": 2, "log_loss": 4}.get(name, 3)
    Z = rng.normal(size=(n_rows, n_outputs))
    if name == "squared_error":
        y_true, y_pred = rng.normal(size=Z.shape), Z
    elif name == "poisson":
        y_true, y_pred = rng.poisson(1.5, size=Z.shape).astype(float), np.exp(Z)
    elif name == "log_loss":
        y_true = np.eye(n_outputs)[rng.integers(n_outputs, size=n_rows)]
        y_pred = np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)
    elif name == "gaussian_nll":
        # Means and raw log-variances: two network outputs per target.
        y_true = rng.normal(size=Z.shape)
        y_pred = np.hstack([Z, rng.normal(size=Z.shape)])
    else:
        y_true, y_pred = rng.integers(2, size=Z.shape).astype(float), expit(Z)
    sample_weight = rng.uniform(0.1, 3.0, size=n_rows)
    return y_true.astype(dtype), y_pred.astype(dtype), sample_weight.astype(dtype)


def _engine_loss(name, y_true, y_pred, sample_weight):
    scratch = (np.empty_like(y_pred), np.empty_like(y_pred))
    return LOSSES[name](y_true, y_pred, sample_weight, scratch)


@pytest.mark.parametrize("use_sample_weight", [False, True], ids=["unweighted", "sw"])
@pytest.mark.parametrize("name", SKLEARN_LOSSES)
def test_loss_equals_sklearns_loss(name, use_sample_weight):
    y_true, y_pred, sample_weight = _loss_case(name, np.float64)
    sw = sample_weight if use_sample_weight else None
    expected = LOSS_FUNCTIONS[name](y_true.copy(), y_pred.copy(), sw)

    loss = _engine_loss(name, y_true, y_pred, sw)

    assert loss == pytest.approx(expected, rel=1e-13)


@pytest.mark.parametrize("name", SKLEARN_LOSSES)
def test_float32_loss_is_close_to_the_float64_loss(name):
    y_true, y_pred, sample_weight = _loss_case(name, np.float64)
    expected = LOSS_FUNCTIONS[name](y_true, y_pred, sample_weight)

    loss = _engine_loss(
        name,
        y_true.astype(np.float32),
        y_pred.astype(np.float32),
        sample_weight.astype(np.float32),
    )

    assert loss == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_loss_is_a_python_float(name):
    y_true, y_pred, _ = _loss_case(name, np.float32)

    assert type(_engine_loss(name, y_true, y_pred, None)) is float


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_loss_does_not_modify_targets_predictions_or_weights(name):
    y_true, y_pred, sample_weight = _loss_case(name, np.float64)
    copies = y_true.copy(), y_pred.copy(), sample_weight.copy()

    _engine_loss(name, y_true, y_pred, sample_weight)

    for array, copy in zip((y_true, y_pred, sample_weight), copies):
        np.testing.assert_array_equal(array, copy)


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_unit_sample_weights_give_the_unweighted_loss(name):
    y_true, y_pred, _ = _loss_case(name, np.float64)

    weighted = _engine_loss(name, y_true, y_pred, np.ones(len(y_true)))

    assert weighted == pytest.approx(
        _engine_loss(name, y_true, y_pred, None), rel=1e-14
    )


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_integer_sample_weights_act_like_repeated_rows(name):
    y_true, y_pred, _ = _loss_case(name, np.float64)
    counts = np.arange(len(y_true)) % 3  # includes zero weights

    weighted = _engine_loss(name, y_true, y_pred, counts.astype(np.float64))
    repeated = _engine_loss(
        name,
        np.repeat(y_true, counts, axis=0),
        np.repeat(y_pred, counts, axis=0),
        None,
    )

    assert weighted == pytest.approx(repeated, rel=1e-13)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ["log_loss", "binary_log_loss"])
def test_log_losses_stay_finite_for_saturated_probabilities(name, dtype):
    y_true = np.array([[1.0, 0.0], [0.0, 1.0]], dtype=dtype)
    y_prob = np.array([[0.0, 1.0], [1.0, 0.0]], dtype=dtype)  # confidently wrong
    expected = LOSS_FUNCTIONS[name](y_true.copy(), y_prob.copy())

    loss = _engine_loss(name, y_true, y_prob, None)

    assert np.isfinite(loss)
    assert loss == pytest.approx(expected, rel=1e-6)


def test_poisson_loss_handles_zero_counts_like_sklearn():
    y_true = np.array([[0.0, 3.0], [0.0, 0.0]])
    y_pred = np.array([[0.5, 2.0], [1.5, 1e-3]])

    loss = _engine_loss("poisson", y_true, y_pred, None)

    assert loss == pytest.approx(LOSS_FUNCTIONS["poisson"](y_true, y_pred), rel=1e-14)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_poisson_loss_stays_finite_when_the_prediction_underflows_to_zero(dtype):
    # exp of a logit below about -104 (float32) or -745 (float64) is 0.
    y_true = np.array([[0.0], [1.0]], dtype=dtype)
    y_pred = np.array([[0.0], [0.0]], dtype=dtype)

    loss = _engine_loss("poisson", y_true, y_pred, None)

    # A zero count predicted as 0 costs nothing; a count of 1 costs
    # -log(smallest normal number): large, finite.
    tiny = np.finfo(dtype).tiny
    assert loss == pytest.approx((0.0 + (-np.log(tiny) - 1.0)) / 2, rel=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_poisson_loss_of_a_large_count_over_an_underflowed_prediction_is_finite(
    dtype,
):
    # 1000 / tiny overflows: the loss falls back to a difference of logs.
    y_true = np.array([[1000.0]], dtype=dtype)
    y_pred = np.array([[0.0]], dtype=dtype)

    loss = _engine_loss("poisson", y_true, y_pred, None)

    tiny = np.finfo(dtype).tiny
    expected = 1000.0 * (np.log(1000.0) - np.log(np.float64(tiny))) - 1000.0
    assert loss == pytest.approx(expected, rel=1e-4)


def test_float32_poisson_loss_keeps_its_precision_for_large_counts():
    # log(y / y_pred) rather than log(y) - log(y_pred): no cancellation.
    rng = np.random.default_rng(0)
    y_pred = rng.uniform(9000, 11000, size=(64, 1))
    y_true = rng.poisson(10_000, size=(64, 1)).astype(np.float64)
    exact = _engine_loss("poisson", y_true, y_pred, None)

    approx = _engine_loss(
        "poisson", y_true.astype(np.float32), y_pred.astype(np.float32), None
    )

    assert approx == pytest.approx(exact, rel=2e-5)


def test_losses_are_zero_for_perfect_predictions():
    y = np.array([[0.0, 1.0], [1.0, 0.0]])
    counts = np.array([[2.0, 1.0], [4.0, 0.5]])

    assert _engine_loss("squared_error", counts, counts.copy(), None) == 0.0
    assert _engine_loss("poisson", counts, counts.copy(), None) == pytest.approx(
        0.0, abs=1e-15
    )
    for name in ["log_loss", "binary_log_loss"]:
        assert _engine_loss(name, y, y.copy(), None) == pytest.approx(0.0, abs=1e-13)


def test_poisson_loss_ignores_an_overflowing_ratio_in_a_row_of_weight_zero():
    # 0 * inf would make the weighted sum NaN: the row costs nothing.
    y_true = np.array([[1000.0], [1.0]])
    y_pred = np.array([[0.0], [1.0]])

    loss = _engine_loss("poisson", y_true, y_pred, np.array([0.0, 1.0]))

    assert loss == 0.0


def test_float32_poisson_loss_of_a_huge_count_in_a_row_of_weight_zero_is_finite():
    # Even the difference of logs overflows float32 for a count of 1e37.
    y_true = np.array([[1e37], [2.0]], dtype=np.float32)
    y_pred = np.array([[1e-3], [2.0]], dtype=np.float32)

    loss = _engine_loss("poisson", y_true, y_pred, np.array([0, 1], np.float32))

    assert np.isfinite(loss)
