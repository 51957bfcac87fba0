"""partial_fit drives Optuna's pruning search (OptunaSearchCV(enable_pruning=True))."""

import numpy as np
import pytest
from sklearn.datasets import load_digits, make_regression

from skdropout import DropoutMLPClassifier, DropoutMLPRegressor

optuna = pytest.importorskip(
    "optuna", reason="optuna is an optional extra: pip install '.[optuna]'"
)
optuna_integration = pytest.importorskip(
    "optuna_integration", reason="pip install '.[optuna]' brings it"
)

# Warnings raised inside optuna itself about its own API, not about ours.
pytestmark = [
    pytest.mark.filterwarnings("ignore::optuna.exceptions.ExperimentalWarning"),
    pytest.mark.filterwarnings("ignore:.*optuna.terminator.*:FutureWarning"),
]


def _search(estimator, X, y, max_iter):
    distributions = {
        "dropout_rate": optuna.distributions.FloatDistribution(0.0, 0.7),
        "max_norm": optuna.distributions.FloatDistribution(1.0, 6.0),
    }
    search = optuna_integration.OptunaSearchCV(
        estimator,
        distributions,
        cv=2,
        enable_pruning=True,
        max_iter=max_iter,
        n_trials=4,
        random_state=0,
        verbose=0,
    )
    return search.fit(X, y)


def test_pruning_search_trains_classifier_one_epoch_per_step():
    X, y = load_digits(n_class=3, return_X_y=True)
    search = _search(
        DropoutMLPClassifier(hidden_layer_sizes=(16,), random_state=0), X / 16, y, 5
    )
    best = search.best_estimator_
    assert len(search.trials_) == 4
    # The refit best estimator is a normal fit; the trials were partial fits.
    assert set(best.classes_) == {0, 1, 2}
    assert best.dropout_rate == search.best_params_["dropout_rate"]
    completed = [t for t in search.trials_ if t.state.name == "COMPLETE"]
    assert completed, "at least one trial must run to the end"
    # Each partial_fit call is one epoch, reported as one intermediate value.
    assert all(len(t.intermediate_values) == 5 for t in completed)


def test_pruning_search_trains_regressor_one_epoch_per_step():
    X, y = make_regression(n_samples=120, n_features=5, noise=1.0, random_state=0)
    search = _search(
        DropoutMLPRegressor(
            hidden_layer_sizes=(16,), learning_rate_init=0.01, random_state=0
        ),
        X,
        y / np.std(y),
        3,
    )
    completed = [t for t in search.trials_ if t.state.name == "COMPLETE"]
    assert completed, "at least one trial must run to the end"
    assert all(len(t.intermediate_values) == 3 for t in completed)
    assert search.best_estimator_.max_norm == search.best_params_["max_norm"]
    assert np.isfinite(search.best_score_)
