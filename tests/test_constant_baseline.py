"""A fit that the stopping rule ends no better than a constant prediction warns.

On unscaled wine with ``early_stopping`` (scikit-learn's validation rule),
the network starts confidently wrong and the fit stops after about 17 epochs
at about 0.4 accuracy, for scikit-learn's MLP as for ours, silently before.
"""

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_diabetes, load_wine
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

from skdropout import DropoutMLPClassifier, DropoutMLPRegressor

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
