"""The regressor's loss='gaussian_nll': a mean and a variance per target.

The noise scale of the synthetic data here is known, so the learned one can
be checked against it; the Monte Carlo parts must add up to the total that
``predict(X, return_std=True)`` returns.
"""

import pickle

import numpy as np
import pytest
import skops.io as sio
from numpy.testing import assert_allclose, assert_array_equal
from scipy.stats import spearmanr
from sklearn.metrics import r2_score

from skdropout import DropoutMLPRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

FAST = {
    "loss": "gaussian_nll",
    "hidden_layer_sizes": (32,),
    "dropout_rate": 0.1,
    "learning_rate_init": 0.01,
    "max_iter": 60,
    "random_state": 0,
}


def noisy_sine(n, seed, n_targets=1):
    """y = sin(2x) + noise whose scale 0.1 + 0.5 |x| is known."""
    rng = np.random.RandomState(seed)
    X = rng.uniform(-2, 2, (n, 1))
    scale = 0.1 + 0.5 * np.abs(X)
    if n_targets == 2:
        # The second target's noise shrinks where the first one's grows.
        scale = np.hstack([scale, 0.1 + 0.5 * (2 - np.abs(X))])
    y = np.sin(2 * X) + scale * rng.randn(n, n_targets)
    if n_targets == 1:
        return X, y.ravel(), scale.ravel()
    return X, y, scale


@pytest.fixture(scope="module")
def fitted():
    X, y, _ = noisy_sine(1500, 0)
    return DropoutMLPRegressor(**FAST).fit(X, y)


def test_predict_returns_the_mean_outputs_and_score_is_their_r2(fitted):
    X, y, _ = noisy_sine(300, 1)
    out = fitted._forward(X)

    assert fitted.coefs_[-1].shape[1] == 2 and fitted.n_outputs_ == 1
    assert_array_equal(fitted.predict(X), out[:, 0])
    assert fitted.score(X, y) == pytest.approx(r2_score(y, out[:, 0]))


def test_the_learned_noise_scale_tracks_the_true_one(fitted):
    X, _, scale = noisy_sine(1000, 2)

    parts = fitted.predict_uncertainty(X, random_state=0)

    assert spearmanr(parts.aleatoric_std, scale)[0] > 0.9
    # Trained with dropout on, the variance head also absorbs the jitter
    # that dropout gives the mean, so it overshoots where the noise is
    # smallest; where the noise dominates it is close to the truth.
    noisy = scale > 0.6
    assert 0.8 < np.median(parts.aleatoric_std[noisy] / scale[noisy]) < 1.25


def test_return_std_is_the_total_of_the_two_parts(fitted):
    X, _, _ = noisy_sine(50, 3)

    mean, std = fitted.predict(X, return_std=True, random_state=7)
    parts = fitted.predict_uncertainty(X, random_state=7)

    assert_array_equal(mean, parts.mean)
    assert_array_equal(std, parts.std)
    assert_allclose(std**2, parts.aleatoric_std**2 + parts.epistemic_std**2)
    assert (parts.epistemic_std > 0).all()
    assert (parts.aleatoric_std > parts.epistemic_std).mean() > 0.9


def test_total_std_covers_the_targets_and_the_epistemic_part_alone_does_not(fitted):
    # The first finding: the spread of the passes alone is not a
    # predictive standard deviation on noisy data; the total one is.
    X, y, _ = noisy_sine(4000, 4)

    parts = fitted.predict_uncertainty(X, random_state=0)

    def coverage(std):
        return np.mean(np.abs(y - parts.mean) <= 1.645 * std)

    assert 0.85 <= coverage(parts.std) <= 0.97
    assert coverage(parts.epistemic_std) < 0.5


def test_without_dropout_the_epistemic_part_is_zero_and_the_mean_deterministic():
    X, y, _ = noisy_sine(300, 5)
    reg = DropoutMLPRegressor(**{**FAST, "dropout_rate": 0.0, "max_iter": 5})
    reg.fit(X, y)

    parts = reg.predict_uncertainty(X[:20], random_state=0)

    assert_array_equal(parts.epistemic_std, 0.0)
    assert_array_equal(parts.mean, reg.predict(X[:20]))
    assert_array_equal(parts.std, parts.aleatoric_std)


def test_multi_output_learns_one_noise_scale_per_target():
    X, y, scale = noisy_sine(2000, 6, n_targets=2)
    reg = DropoutMLPRegressor(**{**FAST, "hidden_layer_sizes": (48,)}).fit(X, y)

    parts = reg.predict_uncertainty(X[:500], random_state=0)

    assert reg.coefs_[-1].shape[1] == 4 and reg.predict(X[:3]).shape == (3, 2)
    for j in range(2):
        assert parts.mean.shape == parts.aleatoric_std.shape == (500, 2)
        assert spearmanr(parts.aleatoric_std[:, j], scale[:500, j])[0] > 0.85


def test_sample_weights_of_zero_ignore_a_shifted_noisy_half():
    # Rows of weight 0 with huge noise must not widen the learned scale.
    X, y, scale = noisy_sine(1500, 8)
    rng = np.random.RandomState(0)
    X_bad = rng.uniform(-2, 2, (1500, 1))
    y_bad = 5.0 * rng.randn(1500)
    weights = np.r_[np.ones(1500), np.zeros(1500)]
    reg = DropoutMLPRegressor(**FAST).fit(
        np.vstack([X, X_bad]), np.r_[y, y_bad], sample_weight=weights
    )

    parts = reg.predict_uncertainty(X, random_state=0)

    assert np.median(parts.aleatoric_std / scale) < 1.5


def test_float32_fit_computes_in_float32_and_matches_float64():
    X, y, _ = noisy_sine(400, 9)
    params = {**FAST, "max_iter": 10}
    reg64 = DropoutMLPRegressor(**params).fit(X, y)
    reg32 = DropoutMLPRegressor(**params).fit(X.astype(np.float32), y)

    parts32 = reg32.predict_uncertainty(X[:50], random_state=0)
    parts64 = reg64.predict_uncertainty(X[:50], random_state=0)

    for name in ("mean", "std", "aleatoric_std", "epistemic_std"):
        assert parts32[name].dtype == np.float32
        assert_allclose(parts32[name], parts64[name], rtol=2e-3, atol=2e-4)


def test_early_stopping_and_validation_scores_are_the_r2_of_the_mean():
    X, y, _ = noisy_sine(600, 10)
    X_val, y_val, _ = noisy_sine(200, 11)
    reg = DropoutMLPRegressor(**{**FAST, "max_iter": 15}).fit(
        X, y, X_val=X_val, y_val=y_val
    )

    assert reg.validation_scores_[-1] == pytest.approx(reg.score(X_val, y_val))
    stopped = DropoutMLPRegressor(
        **{**FAST, "early_stopping": True, "n_iter_no_change": 3}
    ).fit(X, y)
    assert stopped.best_validation_score_ == max(stopped.validation_scores_)
    assert stopped.best_validation_score_ > 0.3


def test_loss_curve_is_the_gaussian_negative_log_likelihood():
    X, y, _ = noisy_sine(400, 12)
    reg = DropoutMLPRegressor(**{**FAST, "dropout_rate": 0.0, "alpha": 0.0})
    reg.fit(X, y)

    parts = reg.predict_uncertainty(X, random_state=0)
    nll = 0.5 * np.mean(
        np.log(2 * np.pi * parts.aleatoric_std**2)
        + (y - parts.mean) ** 2 / parts.aleatoric_std**2
    )

    assert reg.validation_loss_curve_ is None
    # The last epoch's loss is averaged over its minibatches as the weights
    # moved: close to, not equal to, the final network's.
    assert reg.loss_curve_[-1] == pytest.approx(nll, abs=0.05)
    assert reg.loss_curve_[-1] < reg.loss_curve_[0]


@pytest.mark.parametrize(
    "round_trip",
    [
        pytest.param(lambda est: pickle.loads(pickle.dumps(est)), id="pickle"),
        pytest.param(
            lambda est: sio.loads(
                sio.dumps(est), trusted=sio.get_untrusted_types(data=sio.dumps(est))
            ),
            id="skops",
        ),
    ],
)
def test_round_trip_predicts_the_same_uncertainty(fitted, round_trip):
    X, _, _ = noisy_sine(40, 13)

    restored = round_trip(fitted)

    before = fitted.predict_uncertainty(X, random_state=0)
    after = restored.predict_uncertainty(X, random_state=0)
    for name in before:
        assert_array_equal(after[name], before[name], strict=True)


# ------------------------------------------------------------------ refusals
def test_predict_uncertainty_is_only_available_with_the_gaussian_loss():
    reg = DropoutMLPRegressor()

    assert not hasattr(reg, "predict_uncertainty")
    with pytest.raises(AttributeError, match="predict_uncertainty") as info:
        reg.predict_uncertainty([[0.0]])
    # scikit-learn's available_if chains the reason under its own message.
    assert "loss='gaussian_nll' only" in str(info.value.__cause__)
    assert hasattr(DropoutMLPRegressor(loss="gaussian_nll"), "predict_uncertainty")


def test_predict_uncertainty_refuses_a_network_fitted_with_another_loss():
    X, y, _ = noisy_sine(100, 14)
    reg = DropoutMLPRegressor(max_iter=2, random_state=0).fit(X, y)
    reg.set_params(loss="gaussian_nll")

    with pytest.raises(ValueError, match="fitted with another loss"):
        reg.predict_uncertainty(X)
    # predict reads the network, not the changed parameter.
    assert reg.predict(X).shape == (100,)


def test_predict_uncertainty_refuses_an_unfitted_model_and_bad_n_samples(fitted):
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        DropoutMLPRegressor(loss="gaussian_nll").predict_uncertainty([[0.0]])
    with pytest.raises(ValueError, match="n_samples"):
        fitted.predict_uncertainty([[0.0]], n_samples=0)
    with pytest.raises(ValueError, match="features"):
        fitted.predict_uncertainty([[0.0, 1.0]])


def test_continuing_a_network_whose_loss_went_negative_is_not_a_blow_up():
    # Targets of spread 0.05: once fitted, the negative log-likelihood is
    # below 0, where each continued call starts. The blow-up rule measured
    # growth from 0 and called the next noisy epoch a millionfold climb.
    rng = np.random.RandomState(0)
    X = rng.uniform(-2, 2, (200, 1))
    y = 0.05 * (np.sin(X[:, 0]) + 0.1 * rng.randn(200))
    reg = DropoutMLPRegressor(
        loss="gaussian_nll",
        hidden_layer_sizes=(16,),
        dropout_rate=0.3,
        learning_rate_init=0.01,
        batch_size=50,
        random_state=0,
    )
    for _ in range(40):
        reg.partial_fit(X, y)
    assert reg.loss_ < -1.0
    assert reg.score(X, y) > 0.5


@pytest.mark.parametrize(
    "first, second",
    [("squared_error", "gaussian_nll"), ("gaussian_nll", "squared_error")],
)
def test_warm_start_refuses_to_switch_to_or_from_the_gaussian_loss(first, second):
    # 1 Gaussian target and 2 squared-error targets give the same layer sizes.
    X, y2, _ = noisy_sine(100, 15, n_targets=2)
    y = y2[:, 0] if first == "gaussian_nll" else y2
    reg = DropoutMLPRegressor(loss=first, warm_start=True, max_iter=2).fit(X, y)
    coefs = [c.copy() for c in reg.coefs_]
    reg.set_params(loss=second)

    with pytest.raises(ValueError, match="warm_start=False"):
        reg.fit(X, y2[:, 0] if second == "gaussian_nll" else y2)
    for before, after in zip(coefs, reg.coefs_):
        assert_array_equal(before, after)


def test_to_sklearn_refuses_the_gaussian_loss(fitted):
    with pytest.raises(ValueError, match="gaussian_nll.*MLPRegressor"):
        fitted.to_sklearn()


def test_an_unknown_loss_is_refused_naming_the_allowed_ones():
    with pytest.raises(ValueError, match="'loss' parameter.*gaussian_nll"):
        DropoutMLPRegressor(loss="gaussian").fit([[0.0], [1.0]], [0.0, 1.0])
