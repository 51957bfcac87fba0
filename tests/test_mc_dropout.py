"""Monte Carlo dropout: stochastic passes at prediction time."""

import tracemalloc

import numpy as np
import pytest
import scipy.sparse as sp
import sklearn
from _helpers import DROPOUT, SMALL_NET
from numpy.testing import assert_allclose
from sklearn.datasets import load_iris, make_multilabel_classification

from skdropout import DropoutMLPClassifier, DropoutMLPRegressor
from skdropout._engine import DropoutMasks

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


def test_sample_predict_stacks_the_passes_first_then_rows_then_outputs(
    iris_classifier, sine_regressor
):
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
    import skdropout._prediction as prediction
    from skdropout._engine import DropoutMasks

    clf, X = iris_classifier
    requested = []
    original = DropoutMasks.sample

    def spy(self, layer, n_rows):
        requested.append(n_rows)
        return original(self, layer, n_rows)

    monkeypatch.setattr(prediction, "CHUNK_ROWS", 16)
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


@pytest.mark.parametrize("n_samples", [0, -3, 2.5, "10", True])
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


# ------------------------------------------------------ memory and edge cases
@pytest.mark.parametrize("method", ["sample_predict", "predict_proba_mc"])
def test_wide_sparse_input_with_input_dropout_needs_no_dense_mask(method):
    # A hashed vocabulary: a dense input mask of 8192 rows would take 30 GiB.
    rng = np.random.RandomState(0)
    X = sp.random(300, 500_000, density=1e-5, format="csr", random_state=0)
    y = rng.randint(0, 2, 300)
    clf = DropoutMLPClassifier(
        hidden_layer_sizes=(4,), input_dropout=0.2, max_iter=2, random_state=0
    ).fit(X, y)
    out = getattr(clf, method)(X[:5], n_samples=10, random_state=0)
    assert out.shape[-1] == 2
    assert np.isfinite(out).all()


def _peak_bytes(call):
    tracemalloc.start()
    try:
        call()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_mc_summaries_need_memory_for_the_result_not_for_every_pass(sine_regressor):
    # 100 passes over 80,000 rows would hold 64 MB of outputs, over 20,000
    # rows 16 MB; chunk by chunk, the peak grows only with the result
    # (mean and std: 2 x 8 bytes per row) and the bounded stacked batch.
    reg, _ = sine_regressor
    peaks = [
        _peak_bytes(
            lambda n=n: reg.predict(
                np.linspace(-3, 3, n).reshape(-1, 1),
                return_std=True,
                n_samples=100,
                random_state=0,
            )
        )
        for n in (20_000, 80_000)
    ]
    assert peaks[1] - peaks[0] < 4_000_000


def test_mc_summaries_equal_the_statistics_of_the_samples(sine_regressor):
    reg, _ = sine_regressor
    X = np.linspace(-3, 3, 1000).reshape(-1, 1)
    mean, std = reg.predict(X, return_std=True, n_samples=100, random_state=0)
    samples = reg.sample_predict(X, n_samples=100, random_state=0)
    np.testing.assert_array_equal(mean, samples.mean(axis=0))
    np.testing.assert_allclose(std, samples.std(axis=0), rtol=1e-12)


def test_mc_probabilities_are_the_mean_of_the_sampled_probabilities(iris_classifier):
    clf, X = iris_classifier
    proba = clf.predict_proba_mc(X, n_samples=30, random_state=0)
    samples = clf.sample_predict(X, n_samples=30, random_state=0)
    np.testing.assert_allclose(proba, samples.mean(axis=0), rtol=1e-12)


def test_without_any_dropout_every_pass_is_the_deterministic_prediction(Estimator):
    X, y = load_iris(return_X_y=True)
    est = Estimator(
        hidden_layer_sizes=(16,), dropout_rate=0.0, max_iter=20, random_state=0
    ).fit(X, y)
    samples = est.sample_predict(X, n_samples=5, random_state=0)
    if Estimator is DropoutMLPClassifier:
        expected = est.predict_proba(X)
        np.testing.assert_array_equal(est.predict_proba_mc(X), expected)
    else:
        expected = est.predict(X)
        mean, std = est.predict(X, return_std=True)
        np.testing.assert_array_equal(mean, expected)
        np.testing.assert_array_equal(std, 0.0)
    for one_pass in samples:
        np.testing.assert_array_equal(one_pass, expected)


def test_n_samples_of_a_small_numpy_integer_type_works(sine_regressor):
    reg, X = sine_regressor
    mean, std = reg.predict(X[:3], return_std=True, n_samples=np.int8(5))
    assert mean.shape == std.shape == (3,)


def test_overflowing_passes_give_one_clear_warning_not_numpys():
    # Gaussian noise with a huge variance: some passes overflow exp although
    # the deterministic network is finite.
    X = sp.csr_matrix((29, 6))
    y = np.random.RandomState(0).poisson(2, 29).astype(float)
    reg = DropoutMLPRegressor(
        loss="poisson",
        hidden_layer_sizes=(2, 16),
        activation="logistic",
        solver="sgd",
        dropout_rate=0.5,
        input_dropout=0.5,
        dropout_type="gaussian",
        alpha=1000.0,
        learning_rate_init=10.0,
        momentum=1.0,
        batch_size=19,
        max_iter=1,
        random_state=1,
    ).fit(X, y)
    with pytest.warns(UserWarning, match="Monte Carlo means are not finite") as w:
        mean, _ = reg.predict(X[:3], return_std=True, n_samples=20, random_state=0)
    assert not np.isfinite(mean).all()
    assert {record.filename for record in w} == {__file__}  # the user's line


def test_float32_spread_beyond_the_square_root_of_float32_max_stays_finite():
    # Outputs around 1e19: their squares overflow float32, their spread not.
    rng = np.random.RandomState(0)
    X = rng.normal(size=(50, 3)).astype(np.float32)
    reg = DropoutMLPRegressor(
        hidden_layer_sizes=(8,), dropout_rate=0.5, max_iter=3, random_state=0
    ).fit(X, X @ np.array([1, 2, 3], dtype=np.float32))
    mean, std = reg.predict(
        X[:3] * np.float32(1e19), return_std=True, n_samples=20, random_state=0
    )
    assert std.dtype == np.float32
    assert np.isfinite(std).all() and np.isfinite(mean).all()


def test_input_dropout_alone_makes_the_passes_vary_on_dense_input():
    X, y = _sine_data()
    reg = DropoutMLPRegressor(
        hidden_layer_sizes=(16,), dropout_rate=0.0, input_dropout=0.5, max_iter=20
    ).fit(np.hstack([X, X**2]), y)
    passes = reg.sample_predict(np.hstack([X, X**2])[:5], n_samples=50)
    # Well above the rounding differences between stacked rows (~1e-16).
    assert np.all(passes.std(axis=0) > 1e-3)


def test_predictive_entropy_is_the_entropy_of_the_mc_probabilities(iris_classifier):
    clf, X = iris_classifier
    proba = clf.predict_proba_mc(X, n_samples=20, random_state=0)
    expected = -np.sum(proba * np.log(proba), axis=1)
    np.testing.assert_allclose(
        clf.predictive_entropy(X, n_samples=20, random_state=0), expected, rtol=1e-6
    )


def test_multilabel_entropy_is_the_sum_of_the_labels_binary_entropies():
    X, Y = make_multilabel_classification(
        n_samples=120, n_features=8, n_classes=3, random_state=0
    )
    clf = DropoutMLPClassifier(hidden_layer_sizes=(16,), max_iter=30, random_state=0)
    clf.fit(X, Y)
    p = clf.predict_proba_mc(X, n_samples=20, random_state=0)
    expected = -np.sum(p * np.log(p) + (1 - p) * np.log(1 - p), axis=1)
    np.testing.assert_allclose(
        clf.predictive_entropy(X, n_samples=20, random_state=0), expected, rtol=1e-6
    )


def test_dropout_passes_average_to_the_prediction_of_a_linear_network(
    regression_data,
):
    """Inverted dropout is the paper's weight-scaling rule in expectation.

    Srivastava et al. scale the weights by the keep probability at test time
    so that every unit's expected input is the one it saw in training;
    inverted dropout scales the kept units up in training instead, so that
    the plain forward pass is that expectation. For a linear network (and
    independent masks per layer) the expectation passes through every layer
    exactly: the mean of many dropout passes must match predict.
    """
    X, y = regression_data
    reg = DropoutMLPRegressor(
        **{**SMALL_NET, "hidden_layer_sizes": (10, 6)},
        activation="identity",
        dropout_rate=0.5,
        input_dropout=0.2,
    ).fit(X, y)
    passes = reg.sample_predict(X[:10], n_samples=20_000, random_state=0)
    standard_error = passes.std(axis=0) / np.sqrt(passes.shape[0])
    assert np.all(
        np.abs(passes.mean(axis=0) - reg.predict(X[:10])) < 5 * standard_error
    )


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_mean_over_input_masks_converges_to_the_deterministic_preactivation(
    classification_data, dtype
):
    X, y = classification_data
    q = 0.25  # exact in binary, so the realised drop rate is exactly q
    clf = DropoutMLPClassifier(**SMALL_NET, input_dropout=q).fit(X, y)
    W, b = clf.coefs_[0].astype(np.float64), clf.intercepts_[0].astype(np.float64)
    n_draws = 20_000
    masks = DropoutMasks(
        [q], [X.shape[1]], n_draws, dtype, rng=np.random.default_rng(0)
    ).sample(0, n_draws)
    masks = masks.astype(np.float64)
    # Inverted masks hold 0 (dropped) or 1 / (1 - q) (kept), each entry kept
    # with probability 1 - q: their mean is 1 and their variance q / (1 - q).
    assert_allclose(np.unique(masks), [0.0, 1 / (1 - q)], rtol=1e-6)
    assert abs((masks == 0).mean() - q) < 0.01
    for x in X[:5]:
        deterministic = x @ W + b
        sampled = (masks * x) @ W + b
        standard_error = np.sqrt((q / (1 - q)) * (x**2 @ W**2) / n_draws)
        assert np.all(np.abs(sampled.mean(axis=0) - deterministic) < 4 * standard_error)


def test_monte_carlo_passes_check_parameters_set_since_fit(Estimator, Xy):
    X, y = Xy
    est = Estimator(**SMALL_NET, **DROPOUT).fit(X, y)
    est.set_params(input_dropout=-0.5)
    with pytest.raises(ValueError, match="input_dropout"):
        est.sample_predict(X[:3], n_samples=2)


def test_skip_parameter_validation_also_skips_the_monte_carlo_check(Estimator, Xy):
    X, y = Xy
    est = Estimator(**SMALL_NET, **DROPOUT).fit(X, y)
    est.set_params(validation_fraction=2.0)  # read by early stopping only
    with sklearn.config_context(skip_parameter_validation=True):
        est.sample_predict(X[:3], n_samples=2)
    with pytest.raises(ValueError, match="validation_fraction"):
        est.sample_predict(X[:3], n_samples=2)
