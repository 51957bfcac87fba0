"""A fit that the stopping rule ends no better than a constant prediction warns.

On unscaled wine with ``early_stopping`` (scikit-learn's validation rule),
the network starts confidently wrong and the fit stops after about 17 epochs
at about 0.4 accuracy, for scikit-learn's MLP as for ours, silently before.
"""

import warnings

import numpy as np
import pytest
from sklearn.datasets import (
    load_diabetes,
    load_digits,
    load_wine,
    make_friedman2,
    make_regression,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

from skdropout import DropoutMLPClassifier, DropoutMLPRegressor, _constant_baseline

NO_BETTER = "is no lower than that of predicting"


def _messages(fit):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = fit()
    return model, [str(w.message) for w in caught if w.category is ConvergenceWarning]


@pytest.mark.parametrize("dropout_rate", [0.5, 0.0])
def test_an_early_stopped_fit_no_better_than_the_class_frequencies_warns(
    dropout_rate,
):
    X, y = load_wine(return_X_y=True)
    clf = DropoutMLPClassifier(
        early_stopping=True, dropout_rate=dropout_rate, random_state=0
    )
    with pytest.warns(ConvergenceWarning, match=f"{NO_BETTER} the class frequencies"):
        clf.fit(X, y)
    assert clf.n_iter_ < clf.max_iter
    frequencies = np.bincount(y) / len(y)
    constant_loss = -np.mean(np.log(frequencies[y]))
    probabilities = clf.predict_proba(X)[np.arange(len(y)), y]
    assert -np.mean(np.log(np.clip(probabilities, 1e-15, 1))) >= constant_loss


def test_the_same_fit_on_standardised_inputs_does_not_warn():
    X, y = load_wine(return_X_y=True)
    clf = DropoutMLPClassifier(early_stopping=True, random_state=0)
    _, messages = _messages(lambda: clf.fit(StandardScaler().fit_transform(X), y))
    assert not [m for m in messages if NO_BETTER in m]


def test_a_fit_that_runs_to_max_iter_warns_only_that():
    # Unscaled diabetes targets (about 150) are out of reach in 20 epochs:
    # the fit is worse than the mean, and the max_iter warning says so.
    X, y = load_diabetes(return_X_y=True)
    reg = DropoutMLPRegressor(max_iter=20, random_state=0)
    reg, messages = _messages(lambda: reg.fit(X, y))
    assert reg.score(X, y) < 0
    assert len(messages) == 1 and "Maximum iterations" in messages[0]


def _small_spread_regression(spread):
    """Standardised inputs, and a standardised target times ``spread``."""
    X, y = make_regression(500, 10, noise=1, random_state=0)
    X = (X - X.mean(0)) / X.std(0)
    return X, spread * (y - y.mean()) / y.std()


COARSE = "But tol is"


def test_a_plateau_of_a_small_loss_warns_that_tol_is_too_coarse():
    # Half the target's variance is 0.00115: tol=1e-4 is 9% of it. The fit
    # stops after 60 epochs with the target barely fitted.
    X, y = _small_spread_regression(0.05)
    reg = DropoutMLPRegressor(random_state=0)
    with pytest.warns(ConvergenceWarning, match=COARSE) as caught:
        reg.fit(X, y)
    assert reg.n_iter_ < reg.max_iter
    (message,) = [str(w.message) for w in caught]
    assert "of the loss of predicting the mean target for every sample" in message
    # The target's spread is below 0.1: the advice names it.
    assert "The target (mean" in message and message.endswith(", or lower tol.")
    assert reg.score(X, y) < 0.9


def test_without_data_far_from_unit_scale_the_advice_is_to_lower_tol():
    X, y = _small_spread_regression(0.12)  # tol is 1.5% of half its variance
    with pytest.warns(ConvergenceWarning, match=COARSE) as caught:
        DropoutMLPRegressor(random_state=0).fit(X, y)
    (message,) = [str(w.message) for w in caught]
    assert message.endswith(" Lower tol.")


def test_a_plateau_reached_with_the_target_fitted_does_not_warn():
    # Still a coarse tol, but 60 epochs of patience let the network fit the
    # target (R^2 0.93 on the training rows) before the rule stops it.
    X, y = _small_spread_regression(0.1)
    reg = DropoutMLPRegressor(n_iter_no_change=60, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        reg.fit(X, y)
    assert reg.n_iter_ < reg.max_iter


def test_a_standardised_target_leaves_tol_fine():
    X, y = _small_spread_regression(1.0)
    reg = DropoutMLPRegressor(random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        reg.fit(X, y)
    assert reg.n_iter_ < reg.max_iter


def test_early_stopping_judges_a_score_whose_scale_tol_suits():
    # The validation R^2 does not shrink with the target: tol is not coarse.
    X, y = _small_spread_regression(0.05)
    reg = DropoutMLPRegressor(early_stopping=True, random_state=0)
    _, messages = _messages(lambda: reg.fit(X, y))
    assert not [m for m in messages if COARSE in m]


UNFITTED = "still"


def test_a_plateau_barely_fitted_on_data_far_from_unit_scale_names_them():
    # make_friedman2 as it comes: inputs up to about 1700, a target of
    # about 500. The fit stops after 42 epochs at an R^2 of 0.38 (0.99
    # standardised), better than the mean, so no other warning applies.
    X, y = make_friedman2(300, noise=1, random_state=0)
    reg = DropoutMLPRegressor(random_state=0)
    with pytest.warns(ConvergenceWarning, match=UNFITTED) as caught:
        reg.fit(X, y)
    assert reg.n_iter_ < reg.max_iter
    (message,) = [str(w.message) for w in caught]
    assert "of that of predicting the mean target for every sample" in message
    assert (
        "The inputs (feature 1: mean" in message and "and the target (mean" in message
    )


def test_the_same_data_standardised_stop_without_a_warning():
    X, y = make_friedman2(300, noise=1, random_state=0)
    X, y = StandardScaler().fit_transform(X), (y - y.mean()) / y.std()
    reg = DropoutMLPRegressor(random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        reg.fit(X, y)
    assert reg.n_iter_ < reg.max_iter


def test_a_fit_far_from_unit_scale_that_went_far_gets_no_warning():
    # Digits as they come: pixels of mean up to 12.6, but the fit stops
    # with a loss well under a tenth of the class frequencies'.
    X, y = load_digits(return_X_y=True)
    clf = DropoutMLPClassifier(random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        clf.fit(X, y)
    assert clf.n_iter_ < clf.max_iter


class _ConstantNetworkProbe:
    """A probe whose network predicts one value for every row."""

    def outputs_vary(self):
        return False

    def constant_loss(self):
        raise AssertionError("a constant network is not judged further")


@pytest.mark.parametrize(
    "warn_if",
    [
        _constant_baseline.warn_if_tol_too_coarse,
        _constant_baseline.warn_if_unfitted_far_from_unit_scale,
    ],
)
def test_a_constant_network_is_left_to_the_dead_layer_warning(warn_if):
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        assert not warn_if(DropoutMLPRegressor(), _ConstantNetworkProbe(), "it")
