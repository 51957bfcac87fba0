"""The estimators inside scikit-learn's pipelines, searches and clones."""

import numpy as np
import pytest
from _helpers import SMALL_NET
from sklearn.base import ClassifierMixin, clone
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from skdropout import DropoutMLPClassifier, DropoutMLPRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

SKLEARN_COUNTERPART = {
    DropoutMLPClassifier: MLPClassifier,
    DropoutMLPRegressor: MLPRegressor,
}
NET = {**SMALL_NET, "hidden_layer_sizes": (8,)}
DROPOUT_PARAMS = {"dropout_rate", "input_dropout", "max_norm", "dropout_type"}


def new_params(Estimator):
    """Non-default values for every parameter sklearn's MLP does not have."""
    params = {
        "dropout_rate": [0.1, 0.4],
        "input_dropout": 0.15,
        "max_norm": 2.5,
        "dropout_type": "gaussian",
    }
    if issubclass(Estimator, ClassifierMixin):
        params["class_weight"] = {0: 1.0, 1: 2.0, 2: 0.5}
    return params


def test_fits_and_predicts_in_a_pipeline_with_a_scaler(Estimator, Xy):
    X, y = Xy
    pipe = make_pipeline(StandardScaler(), Estimator(**NET)).fit(X, y)
    assert pipe.predict(X).shape == y.shape
    assert np.isfinite(pipe.score(X, y))
    assert pipe[-1].n_features_in_ == X.shape[1]


def test_grid_search_over_dropout_parameters(Estimator, Xy):
    X, y = Xy
    grid = {
        "dropout_rate": [0.0, 0.3],
        "input_dropout": [0.0, 0.2],
        "max_norm": [None, 2.0],
    }
    search = GridSearchCV(Estimator(**NET), grid, cv=3).fit(X, y)
    assert len(search.cv_results_["params"]) == 8
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
    best = search.best_estimator_.get_params()
    for name, value in search.best_params_.items():
        assert best[name] == value
    assert search.predict(X).shape == y.shape


def test_grid_search_reaches_dropout_parameters_through_a_pipeline(Estimator, Xy):
    X, y = Xy
    pipe = Pipeline([("scale", StandardScaler()), ("net", Estimator(**NET))])
    grid = {"net__dropout_rate": [0.1, 0.4], "net__max_norm": [1.0]}
    search = GridSearchCV(pipe, grid, cv=3).fit(X, y)
    net = search.best_estimator_.named_steps["net"]
    assert net.dropout_rate == search.best_params_["net__dropout_rate"]
    assert net.max_norm == 1.0
    assert all(np.linalg.norm(W, axis=0).max() <= 1.0 + 1e-12 for W in net.coefs_)


def test_cross_val_score_gives_one_finite_score_per_fold(Estimator, Xy):
    X, y = Xy
    est = Estimator(**NET, dropout_rate=0.2, input_dropout=0.1)
    scores = cross_val_score(est, X, y, cv=3)
    assert scores.shape == (3,)
    assert np.all(np.isfinite(scores))


def test_clone_keeps_every_parameter(Estimator):
    est = Estimator(**NET, **new_params(Estimator))
    cloned = clone(est)
    assert cloned is not est
    assert cloned.get_params() == est.get_params()


def test_clone_of_a_fitted_estimator_is_unfitted(Estimator, Xy):
    X, y = Xy
    est = Estimator(**NET).fit(X, y)
    cloned = clone(est)
    assert cloned.get_params() == est.get_params()
    assert not hasattr(cloned, "coefs_")


def test_set_params_and_get_params_round_trip(Estimator):
    params = new_params(Estimator)
    est = Estimator().set_params(**params)
    assert {name: est.get_params()[name] for name in params} == params
    round_trip = Estimator().set_params(**est.get_params())
    assert round_trip.get_params() == est.get_params()


def test_parameters_are_sklearn_mlp_parameters_plus_dropout_ones(Estimator):
    ours = set(Estimator().get_params())
    # max_fun only matters to the 'lbfgs' solver, which is not offered.
    sklearn_params = set(SKLEARN_COUNTERPART[Estimator]().get_params()) - {"max_fun"}
    expected_new = set(DROPOUT_PARAMS)
    if issubclass(Estimator, ClassifierMixin):
        expected_new.add("class_weight")
    assert ours == sklearn_params | expected_new


def test_set_params_rejects_an_unknown_parameter(Estimator):
    with pytest.raises(ValueError, match="Invalid parameter 'dropout'"):
        Estimator().set_params(dropout=0.5)
