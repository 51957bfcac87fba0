"""Monte Carlo dropout: stochastic passes at prediction time."""

import numpy as np
import pytest
from sklearn.datasets import load_iris

from skdropout import DropoutMLPClassifier, DropoutMLPRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _sine_data(n=300, seed=0):
    # Two clusters of x with a gap in between and nothing beyond |x| > 3.
    rng = np.random.RandomState(seed)
    X = np.concatenate([rng.uniform(-3, -1, n // 2), rng.uniform(1, 3, n // 2)])
    y = np.sin(X) + 0.05 * rng.randn(n)
    return X.reshape(-1, 1), y


@pytest.fixture(scope="module")
def sine_regressor():
    X, y = _sine_data()
    reg = DropoutMLPRegressor(
        hidden_layer_sizes=(128, 128),
        dropout_rate=0.2,
        learning_rate_init=0.01,
        max_iter=300,
        random_state=0,
    )
    return reg.fit(X, y), X


@pytest.fixture(scope="module")
def iris_classifier():
    X, y = load_iris(return_X_y=True)
    clf = DropoutMLPClassifier(
        hidden_layer_sizes=(32,),
        dropout_rate=0.3,
        learning_rate_init=0.01,
        max_iter=200,
        random_state=0,
    )
    return clf.fit(X, y), X


def test_regressor_std_is_larger_far_from_the_training_data(sine_regressor):
    reg, X = sine_regressor
    inside = np.linspace(1.2, 2.8, 30).reshape(-1, 1)
    far = np.linspace(12, 15, 30).reshape(-1, 1)
    _, std_inside = reg.predict(inside, return_std=True, random_state=0)
    _, std_far = reg.predict(far, return_std=True, random_state=0)
    assert std_far.mean() > 2 * std_inside.mean()


@pytest.mark.parametrize("Estimator", [DropoutMLPClassifier, DropoutMLPRegressor])
def test_mc_mean_converges_to_the_deterministic_prediction_as_dropout_vanishes(
    Estimator,
):
    X, y = load_iris(return_X_y=True)
    if Estimator is DropoutMLPRegressor:
        y = X[:, 0] * 0.5 + X[:, 1]
    est = Estimator(
        hidden_layer_sizes=(32,), dropout_rate=0.3, max_iter=100, random_state=0
    ).fit(X, y)
    gaps = []
    for rate in (0.3, 0.1, 0.01, 0.0):
        # Same weights, less noise at prediction time.
        est.set_params(dropout_rate=rate)
        if Estimator is DropoutMLPClassifier:
            mc, det = est.predict_proba_mc(X, random_state=0), est.predict_proba(X)
        else:
            mc, det = est.predict(X, return_std=True, random_state=0)[0], est.predict(X)
        gaps.append(np.abs(mc - det).max())
    assert gaps == sorted(gaps, reverse=True)
    assert gaps[-1] == pytest.approx(0, abs=1e-6)


def test_sample_predict_is_repeatable_with_an_int_seed(sine_regressor):
    reg, X = sine_regressor
    first = reg.sample_predict(X[:10], n_samples=20, random_state=3)
    second = reg.sample_predict(X[:10], n_samples=20, random_state=3)
    other = reg.sample_predict(X[:10], n_samples=20, random_state=4)
    np.testing.assert_array_equal(first, second)
    assert not np.array_equal(first, other)


def test_sample_predict_shapes(iris_classifier, sine_regressor):
    clf, X = iris_classifier
    assert clf.sample_predict(X[:7], n_samples=5).shape == (5, 7, 3)
    reg, Xr = sine_regressor
    assert reg.sample_predict(Xr[:7], n_samples=5).shape == (5, 7)


def test_binary_classifier_samples_have_two_probability_columns():
    X, y = load_iris(return_X_y=True)
    clf = DropoutMLPClassifier(hidden_layer_sizes=(8,), max_iter=20, random_state=0)
    clf.fit(X, y == 0)
    samples = clf.sample_predict(X[:4], n_samples=6, random_state=0)
    assert samples.shape == (6, 4, 2)
    np.testing.assert_allclose(samples.sum(axis=2), 1, rtol=1e-6)


def test_passes_run_in_chunks_of_bounded_size(iris_classifier, monkeypatch):
    # Rows times passes never exceed the chunk size in one stacked batch.
    import skdropout._base as base
    from skdropout._engine import DropoutMasks

    clf, X = iris_classifier
    requested = []
    original = DropoutMasks.sample

    def spy(self, layer, n_rows):
        requested.append(n_rows)
        return original(self, layer, n_rows)

    monkeypatch.setattr(base, "_PREDICT_CHUNK_ROWS", 16)
    monkeypatch.setattr(DropoutMasks, "sample", spy)
    samples = clf.sample_predict(X, n_samples=8, random_state=0)
    assert samples.shape == (8, X.shape[0], 3)
    assert max(requested) <= 16
    np.testing.assert_allclose(samples.sum(axis=2), 1, rtol=1e-6)


def test_predictive_entropy_is_low_where_the_classifier_is_sure(iris_classifier):
    clf, X = iris_classifier
    entropy = clf.predictive_entropy(X, random_state=0)
    assert entropy.shape == (X.shape[0],)
    assert np.all(entropy >= 0) and np.all(entropy <= np.log(3) + 1e-9)
    setosa, boundary = entropy[:50].mean(), entropy[50:].mean()
    assert setosa < boundary


def test_mc_probabilities_are_a_distribution(iris_classifier):
    clf, X = iris_classifier
    proba = clf.predict_proba_mc(X, n_samples=30, random_state=0)
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-6)


@pytest.mark.parametrize("n_samples", [0, -3, 2.5, "10"])
def test_bad_n_samples_is_a_clear_error(iris_classifier, n_samples):
    clf, X = iris_classifier
    with pytest.raises(ValueError, match="n_samples must be an integer >= 1"):
        clf.sample_predict(X, n_samples=n_samples)


def test_gaussian_dropout_mc_passes_vary_and_center_on_the_prediction():
    X, y = _sine_data()
    reg = DropoutMLPRegressor(
        hidden_layer_sizes=(64,),
        dropout_type="gaussian",
        dropout_rate=0.05,
        learning_rate_init=0.01,
        max_iter=200,
        random_state=0,
    ).fit(X, y)
    mean, std = reg.predict(X, return_std=True, n_samples=400, random_state=0)
    assert np.all(std > 0)
    assert np.abs(mean - reg.predict(X)).max() < 0.1
