"""Calibration through MAPIE, the recipe the user guide gives.

Split conformal prediction guarantees marginal coverage whatever the score,
provided the calibration rows are exchangeable with the test rows (and so
were not used in training). What the score decides is where the interval is
wide: the criterion below asks for coverage overall, for every seed, and on
the noisiest and the quietest quarters of the test rows apart. Two broken
setups are run through the same criterion and must fail it: calibrating on
the training rows, and normalising by the epistemic part alone.
"""

import numpy as np
import pytest
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.datasets import load_digits

from skdropout import DropoutMLPClassifier, DropoutMLPRegressor

mapie_regression = pytest.importorskip(
    "mapie.regression", reason="the recipe calibrates with MAPIE"
)
from mapie.classification import SplitConformalClassifier  # noqa: E402
from mapie.conformity_scores import StdConformityScore  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

LEVEL = 0.9
SEEDS = range(5)


def noisy_problem(n, seed):
    """sin(2 x0) plus noise whose scale grows tenfold along x1.

    The mean ignores x1, so the network's doubt has no reason to follow the
    noise: a score from the doubt alone leaves the noisy rows behind.
    """
    rng = np.random.RandomState(seed)
    X = rng.uniform(-2, 2, (n, 2))
    scale = 0.1 + 0.9 * ((X[:, 1] + 2) / 4) ** 2
    return X, np.sin(2 * X[:, 0]) + scale * rng.randn(n), scale


class EpistemicOnly(RegressorMixin, BaseEstimator):
    """A fitted Gaussian regressor whose std is the epistemic part alone."""

    def __init__(self, regressor):
        self.regressor = regressor

    def fit(self, X, y):  # pragma: no cover - only used prefit
        raise NotImplementedError

    def __sklearn_is_fitted__(self):
        return True

    def predict(self, X, return_std=False, random_state=None):
        parts = self.regressor.predict_uncertainty(X, random_state=random_state)
        return (parts.mean, parts.epistemic_std) if return_std else parts.mean


def conformal_coverage(model, X_cal, y_cal, X_test, y_test, scale_test):
    """Coverage overall, on the noisiest and on the quietest quarter."""
    mapie = mapie_regression.SplitConformalRegressor(
        model,
        confidence_level=LEVEL,
        prefit=True,
        conformity_score=StdConformityScore(),
    ).conformalize(X_cal, y_cal, predict_params={"random_state": 0})
    interval = mapie.predict_interval(X_test)[1][:, :, 0]
    covered = (y_test >= interval[:, 0]) & (y_test <= interval[:, 1])
    noisy = scale_test >= np.quantile(scale_test, 0.75)
    quiet = scale_test <= np.quantile(scale_test, 0.25)
    return covered.mean(), covered[noisy].mean(), covered[quiet].mean()


def coverage_holds(results):
    """The issue's targets: 0.88-0.93 on average, no seed below 0.85 (500
    calibration rows); and the noisiest quarter of the rows not left far
    behind (the learned scale is flatter than the true one, so it is
    covered less than the rest, 0.80-0.86 over these seeds, and the
    quietest quarter more)."""
    overall, noisy, _ = np.asarray(results).T
    return bool(
        0.88 <= overall.mean() <= 0.93
        and overall.min() >= 0.85
        and noisy.mean() >= 0.77
    )


def fit(X, y, seed, **params):
    return DropoutMLPRegressor(loss="gaussian_nll", random_state=seed, **params).fit(
        X, y
    )


@pytest.fixture(scope="module")
def runs():
    """Per seed: the recipe's network, one that overfits its 150 training
    rows, and the rows (training first, then calibration, then test)."""
    out = []
    for seed in SEEDS:
        X, y, scale = noisy_problem(3000, seed)
        good = fit(
            X[:1000],
            y[:1000],
            seed,
            hidden_layer_sizes=(32, 32),
            dropout_rate=0.05,
            learning_rate_init=0.003,
            max_iter=150,
        )
        overfit = fit(
            X[:150],
            y[:150],
            seed,
            hidden_layer_sizes=(64, 64),
            dropout_rate=0.0,
            alpha=0.0,
            learning_rate_init=0.01,
            max_iter=300,
            n_iter_no_change=300,
        )
        out.append((good, overfit, X, y, scale))
    return out


CAL, TEST = slice(1000, 1500), slice(1500, None)


def coverages(runs, model_of, calibration_rows):
    return [
        conformal_coverage(
            model_of(good, overfit),
            X[calibration_rows(overfit)],
            y[calibration_rows(overfit)],
            X[TEST],
            y[TEST],
            s[TEST],
        )
        for good, overfit, X, y, s in runs
    ]


def test_calibrated_total_std_covers_over_seeds_and_across_the_noise(runs):
    results = coverages(runs, lambda good, _: good, lambda _: CAL)

    assert coverage_holds(results), results


def test_calibration_on_unseen_rows_covers_even_for_an_overfitted_network(runs):
    results = coverages(runs, lambda _, overfit: overfit, lambda _: CAL)

    assert coverage_holds(results), results


@pytest.mark.filterwarnings("ignore::UserWarning")  # MAPIE's fitted-or-not guess
def test_the_criterion_fails_calibration_on_the_training_rows(runs):
    # The training rows are fitted better than new ones: intervals too narrow.
    results = coverages(runs, lambda _, overfit: overfit, lambda _: slice(0, 150))

    assert not coverage_holds(results), results


@pytest.mark.filterwarnings("ignore::UserWarning")  # MAPIE's fitted-or-not guess
def test_the_criterion_fails_the_epistemic_part_alone(runs):
    # Still 0.9 overall (conformal's guarantee holds for any score), but the
    # doubt does not follow the noise: the noisy quarter is under-covered.
    results = coverages(runs, lambda good, _: EpistemicOnly(good), lambda _: CAL)

    assert not coverage_holds(results), results
    assert 0.88 <= np.mean([r[0] for r in results]) <= 0.93


def test_mapie_conformal_classifier_works_on_the_dropout_classifier():
    X, y = load_digits(return_X_y=True)
    # Shuffled: the file's rows come in the order they were collected, and
    # the guarantee needs exchangeable calibration and test rows.
    order = np.random.RandomState(0).permutation(len(y))
    X, y = X[order] / 16.0, y[order]
    clf = DropoutMLPClassifier(
        hidden_layer_sizes=(64,), max_iter=60, random_state=0
    ).fit(X[:900], y[:900])
    mapie = SplitConformalClassifier(
        clf, confidence_level=LEVEL, prefit=True
    ).conformalize(X[900:1350], y[900:1350])

    labels, sets = mapie.predict_set(X[1350:])

    assert np.array_equal(labels, clf.predict(X[1350:]))
    sets = sets[:, :, 0]
    covered = sets[np.arange(len(sets)), np.searchsorted(clf.classes_, y[1350:])]
    assert 0.85 <= covered.mean() <= 0.95
    # A good classifier gives mostly single labels at 0.9.
    assert sets.sum(axis=1).mean() < 1.3
