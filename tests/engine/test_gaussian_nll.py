"""The Gaussian negative log-likelihood: against SciPy's normal density, its
gradient against finite differences, and its behaviour at extreme variances.

The network predicts, per target, a mean and a raw log-variance ``s``; the
variance is ``VARIANCE_FLOOR + exp(s)``.
"""

import numpy as np
import pytest
from scipy.stats import norm

from skdropout._engine import (
    LOSSES,
    VARIANCE_FLOOR,
    constant_prediction,
    gaussian_variance,
)
from skdropout._engine._losses import gaussian_nll_gradient

DTYPES = [np.float32, np.float64]


def _case(dtype=np.float64, n_rows=11, n_targets=3, seed=0):
    rng = np.random.default_rng(seed)
    y_true = rng.normal(scale=2.0, size=(n_rows, n_targets))
    y_pred = np.hstack(
        [rng.normal(size=(n_rows, n_targets)), rng.normal(size=(n_rows, n_targets))]
    )
    sample_weight = rng.uniform(0.1, 3.0, size=n_rows)
    return y_true.astype(dtype), y_pred.astype(dtype), sample_weight.astype(dtype)


def _loss(y_true, y_pred, sample_weight):
    scratch = (np.empty_like(y_pred), np.empty_like(y_pred))
    return LOSSES["gaussian_nll"](y_true, y_pred, sample_weight, scratch)


def _gradient(y_true, y_pred):
    scratch = (np.empty_like(y_pred), np.empty_like(y_pred))
    out = np.empty_like(y_pred)
    return gaussian_nll_gradient(y_true, y_pred, out, scratch)


def _reference(y_true, y_pred, sample_weight):
    """Weighted mean over rows of -sum_j log N(y_j; mean_j, var_j), in float64."""
    k = y_true.shape[1]
    y_true, y_pred = y_true.astype(np.float64), y_pred.astype(np.float64)
    std = np.sqrt(VARIANCE_FLOOR + np.exp(y_pred[:, k:]))
    per_row = -norm.logpdf(y_true, loc=y_pred[:, :k], scale=std).sum(axis=1)
    return float(np.average(per_row, weights=sample_weight))


@pytest.mark.parametrize("use_sample_weight", [False, True], ids=["unweighted", "sw"])
def test_gaussian_nll_is_minus_the_normal_log_density(use_sample_weight):
    y_true, y_pred, sample_weight = _case()
    sw = sample_weight if use_sample_weight else None

    assert _loss(y_true, y_pred, sw) == pytest.approx(
        _reference(y_true, y_pred, sw), rel=1e-13
    )


def test_float32_gaussian_nll_is_close_to_the_float64_one():
    y_true, y_pred, sample_weight = _case()

    loss32 = _loss(
        y_true.astype(np.float32),
        y_pred.astype(np.float32),
        sample_weight.astype(np.float32),
    )

    assert loss32 == pytest.approx(_reference(y_true, y_pred, sample_weight), rel=1e-5)


def test_gaussian_nll_gradient_matches_finite_differences():
    y_true, y_pred, _ = _case()
    analytic = _gradient(y_true, y_pred)
    step = 1e-6
    numerical = np.empty_like(y_pred)
    for idx in np.ndindex(y_pred.shape):
        up, down = y_pred.copy(), y_pred.copy()
        up[idx] += step
        down[idx] -= step
        # The loss is a mean over rows; the gradient is of the row sums.
        numerical[idx] = (
            (_loss(y_true, up, None) - _loss(y_true, down, None))
            * len(y_true)
            / (2 * step)
        )

    np.testing.assert_allclose(analytic, numerical, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("dtype", DTYPES)
def test_gaussian_nll_is_finite_at_extreme_raw_log_variances(dtype):
    # exp(-1e4) underflows and exp(1e4) overflows both dtypes: the loss is
    # computed from log(var) and must stay finite and close to the formula.
    y_true = np.array([[0.5], [0.5], [3.0]], dtype=dtype)
    y_pred = np.array([[0.0, -1e4], [0.0, 1e4], [0.0, 80.0]], dtype=dtype)
    log_var = np.logaddexp(np.array([-1e4, 1e4, 80.0]), np.log(VARIANCE_FLOOR))
    expected = np.mean(
        0.5
        * (
            np.log(2 * np.pi)
            + log_var
            + np.array([0.25, 0.25, 9.0]) / np.exp(np.minimum(log_var, 700))
        )
    )

    # Underflow (exp of a very negative number, to 0) is harmless and
    # numpy's default ignores it; overflow or NaN would not be.
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        loss = _loss(y_true, y_pred, None)
        gradient = _gradient(y_true, y_pred)

    assert loss == pytest.approx(expected, rel=1e-6)
    assert np.isfinite(gradient).all()
    # At the floor the mean's gradient is r / floor; a huge variance gives
    # the log-variance a gradient of 1/2 and the mean almost none.
    assert gradient[0, 0] == pytest.approx(-0.5 / VARIANCE_FLOOR, rel=1e-5)
    assert gradient[1, 1] == pytest.approx(0.5)
    assert gradient[0, 1] == 0.0


@pytest.mark.parametrize("dtype", DTYPES)
def test_predicted_variance_is_floored_and_keeps_the_dtype(dtype):
    raw = np.array([-1e4, -50.0, 0.0, 3.0], dtype=dtype)

    variance = gaussian_variance(raw)

    assert variance.dtype == dtype
    np.testing.assert_allclose(
        variance, VARIANCE_FLOOR + np.exp(raw.astype(np.float64)), rtol=1e-6
    )
    assert variance.min() >= np.float32(VARIANCE_FLOOR) * (1 - 1e-6)


def test_gaussian_nll_refuses_outputs_that_are_not_two_per_target():
    y_true = np.zeros((3, 2))
    with pytest.raises(ValueError, match="2 outputs per target"):
        _loss(y_true, np.zeros((3, 3)), None)


def test_the_variance_is_learned_where_the_mean_is_right():
    # With the mean right, the loss is smallest where the variance equals
    # the squared error: a check of the parametrisation, not only the formula.
    y_true = np.array([[2.0]])
    grid = np.linspace(-3, 3, 601)
    losses = [_loss(y_true, np.array([[0.0, s]]), None) for s in grid]

    best = grid[int(np.argmin(losses))]
    assert VARIANCE_FLOOR + np.exp(best) == pytest.approx(4.0, rel=0.02)


@pytest.mark.parametrize("dtype", DTYPES)
def test_trainer_learns_a_noise_scale_that_grows_with_the_input(dtype):
    # Shuffled minibatches gather targets (1 column per target) apart from
    # the 2 output columns: the noise scale 0.1 + |x| must be learned.
    from skdropout._engine import AdamOptimizer, MinibatchTrainer

    rng = np.random.default_rng(0)
    X = rng.uniform(-2, 2, size=(600, 1)).astype(dtype)
    scale = 0.1 + np.abs(X[:, 0])
    Y = (X[:, 0] + scale * rng.normal(size=600)).reshape(-1, 1).astype(dtype)
    units = [1, 32, 2]
    coefs = [
        rng.normal(scale=1 / np.sqrt(a), size=(a, b)).astype(dtype)
        for a, b in zip(units[:-1], units[1:])
    ]
    intercepts = [np.zeros(b, dtype=dtype) for b in units[1:]]
    trainer = MinibatchTrainer(
        coefs,
        intercepts,
        activation="tanh",
        out_activation="identity",
        loss="gaussian_nll",
        alpha=0.0,
        optimizer=AdamOptimizer(coefs + intercepts, 0.01, 0.9, 0.999, 1e-8),
        batch_size=50,
    )
    losses = [
        trainer.run_epoch(X, Y, None, 50, order=rng.permutation(600))
        for _ in range(150)
    ]

    assert np.isfinite(losses).all() and losses[-1] < losses[0]
    hidden = np.tanh(X @ coefs[0] + intercepts[0])
    out = hidden @ coefs[1] + intercepts[1]
    assert out.dtype == dtype
    learned = np.sqrt(gaussian_variance(out[:, 1]))
    assert np.corrcoef(learned, scale)[0, 1] > 0.9
    np.testing.assert_allclose(learned, scale, rtol=0.5, atol=0.1)


def test_constant_prediction_is_the_best_constant_gaussian():
    y_true, _, _ = _case(n_rows=200)
    out = constant_prediction("gaussian_nll", y_true, np.empty((200, 6)))

    best = _loss(y_true, out, None)
    for shift in ([0.1, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0.1, 0], [0, 0, 0, 0, -0.1, 0]):
        assert _loss(y_true, out + np.array(shift), None) > best
    np.testing.assert_allclose(gaussian_variance(out[:, 3:])[0], y_true.var(axis=0))
