"""Without dropout and max-norm, training follows sklearn's MLP step for step.

With ``dropout_rate=0``, ``input_dropout=0`` and ``max_norm=None`` the
estimators must reproduce :class:`~sklearn.neural_network.MLPClassifier` and
:class:`~sklearn.neural_network.MLPRegressor` for the same data and
``random_state``: same initial weights, shuffling, batching, update rules and
random-number order. In float64 that means equal to rounding; in float32
sklearn keeps a few intermediates in float64, so a looser tolerance applies.
"""

import numpy as np
import pytest
import scipy.sparse as sp
from _helpers import SMALL_NET
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import ClassifierMixin
from sklearn.datasets import load_iris
from sklearn.neural_network import MLPClassifier, MLPRegressor

from skdropout import DropoutMLPClassifier, DropoutMLPRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

NO_DROPOUT = {"dropout_rate": 0.0, "input_dropout": 0.0, "max_norm": None}

# Several minibatches per epoch and a step size large enough that the
# weights move visibly within a few epochs.
PARITY_NET = {
    **SMALL_NET,
    "hidden_layer_sizes": (16, 8),
    "batch_size": 40,
    "max_iter": 6,
}

TOLERANCE = {
    np.float64: {"rtol": 1e-10, "atol": 0.0},
    np.float32: {"rtol": 1e-4, "atol": 1e-5},
}

ESTIMATOR_PAIRS = [
    pytest.param(DropoutMLPClassifier, MLPClassifier, id="classifier"),
    pytest.param(DropoutMLPRegressor, MLPRegressor, id="regressor"),
]
SOLVERS = ["sgd", "adam"]
DTYPES = [
    pytest.param(np.float64, id="float64"),
    pytest.param(np.float32, id="float32"),
]


@pytest.fixture
def parity_data(Estimator, digits_data, regression_data):
    """Digits for the classifier, the small regression problem otherwise."""
    if issubclass(Estimator, ClassifierMixin):
        return digits_data
    return regression_data


def fit_both(Estimator, Reference, X, y, sample_weight=None, **params):
    """Fit ours without dropout and sklearn's MLP with identical settings."""
    params = {**PARITY_NET, **params}
    ours = Estimator(**NO_DROPOUT, **params).fit(X, y, sample_weight=sample_weight)
    theirs = Reference(**params).fit(X, y, sample_weight=sample_weight)
    return ours, theirs


def assert_same_training(ours, theirs, dtype=np.float64):
    """Same parameters, loss curve, epoch counts and early-stopping record."""
    tolerance = TOLERANCE[dtype]
    assert ours.n_iter_ == theirs.n_iter_
    assert ours.t_ == theirs.t_
    assert ours.n_layers_ == theirs.n_layers_
    assert ours.out_activation_ == theirs.out_activation_
    ours_params = ours.coefs_ + ours.intercepts_
    theirs_params = theirs.coefs_ + theirs.intercepts_
    assert len(ours_params) == len(theirs_params)
    for mine, reference in zip(ours_params, theirs_params, strict=True):
        assert mine.dtype == reference.dtype == dtype
        assert_allclose(mine, reference, **tolerance)
    assert_allclose(ours.loss_curve_, theirs.loss_curve_, **tolerance)
    assert_allclose(ours.loss_, theirs.loss_, **tolerance)
    if theirs.validation_scores_ is None:
        assert ours.validation_scores_ is None
        assert_allclose(ours.best_loss_, theirs.best_loss_, **tolerance)
    else:
        assert ours.best_loss_ is None
        assert_allclose(ours.validation_scores_, theirs.validation_scores_, **tolerance)
        assert_allclose(
            ours.best_validation_score_, theirs.best_validation_score_, **tolerance
        )


def assert_same_predictions(ours, theirs, X, dtype=np.float64):
    """Same outputs; exact labels are only asked of float64 fits."""
    tolerance = TOLERANCE[dtype]
    if hasattr(theirs, "predict_proba"):
        assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), **tolerance)
        if dtype == np.float64:
            assert_array_equal(ours.predict(X), theirs.predict(X))
    else:
        assert_allclose(ours.predict(X), theirs.predict(X), **tolerance)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize(("Estimator", "Reference"), ESTIMATOR_PAIRS)
def test_fit_matches_sklearn_mlp(Estimator, Reference, solver, dtype, parity_data):
    X, y = parity_data
    X = X.astype(dtype)
    ours, theirs = fit_both(Estimator, Reference, X, y, solver=solver)
    assert_same_training(ours, theirs, dtype)
    assert_same_predictions(ours, theirs, X, dtype)


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize(("Estimator", "Reference"), ESTIMATOR_PAIRS)
def test_early_stopping_matches_sklearn_mlp(Estimator, Reference, solver, parity_data):
    X, y = parity_data
    ours, theirs = fit_both(
        Estimator,
        Reference,
        X,
        y,
        solver=solver,
        early_stopping=True,
        validation_fraction=0.2,
        n_iter_no_change=2,
        max_iter=15,
    )
    assert len(ours.validation_scores_) == ours.n_iter_
    assert_same_training(ours, theirs)
    assert_same_predictions(ours, theirs, X)


def test_early_stopping_with_tied_validation_scores_matches_sklearn_mlp():
    # Accuracy on 15 iris rows takes few values, so epochs tie with the best
    # one; sklearn keeps the first of them (a strictly better score moves
    # the record), and so must we.
    X, y = load_iris(return_X_y=True)
    ours, theirs = fit_both(
        DropoutMLPClassifier,
        MLPClassifier,
        X,
        y,
        hidden_layer_sizes=(8,),
        early_stopping=True,
        max_iter=30,
        batch_size=200,
    )
    scores = ours.validation_scores_
    best = scores.index(max(scores))
    assert max(scores) in scores[best + 1 :]  # a later epoch ties the best
    assert_same_training(ours, theirs)


@pytest.mark.parametrize(("Estimator", "Reference"), ESTIMATOR_PAIRS)
def test_stopping_on_a_training_loss_plateau_matches_sklearn_mlp(
    Estimator, Reference, parity_data
):
    X, y = parity_data
    # No epoch can improve the loss by tol=10, so both stop after
    # n_iter_no_change + 2 epochs, long before max_iter.
    ours, theirs = fit_both(
        Estimator, Reference, X, y, tol=10.0, n_iter_no_change=2, max_iter=50
    )
    assert ours.n_iter_ < 50
    assert_same_training(ours, theirs)


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize(("Estimator", "Reference"), ESTIMATOR_PAIRS)
def test_unshuffled_fit_matches_sklearn_mlp(Estimator, Reference, solver, parity_data):
    X, y = parity_data
    ours, theirs = fit_both(Estimator, Reference, X, y, solver=solver, shuffle=False)
    assert_same_training(ours, theirs)
    assert_same_predictions(ours, theirs, X)


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize(("Estimator", "Reference"), ESTIMATOR_PAIRS)
def test_sample_weighted_fit_matches_sklearn_mlp(
    Estimator, Reference, solver, parity_data
):
    X, y = parity_data
    sample_weight = np.random.RandomState(0).uniform(0.1, 3.0, size=X.shape[0])
    ours, theirs = fit_both(
        Estimator, Reference, X, y, sample_weight=sample_weight, solver=solver
    )
    assert_same_training(ours, theirs)
    assert_same_predictions(ours, theirs, X)


@pytest.mark.parametrize(("Estimator", "Reference"), ESTIMATOR_PAIRS)
def test_sgd_invscaling_schedule_matches_sklearn_mlp(Estimator, Reference, parity_data):
    X, y = parity_data
    ours, theirs = fit_both(
        Estimator,
        Reference,
        X,
        y,
        solver="sgd",
        learning_rate="invscaling",
        learning_rate_init=0.5,
        power_t=0.25,
    )
    assert_same_training(ours, theirs)
    assert ours._optimizer.learning_rate == theirs._optimizer.learning_rate < 0.5


@pytest.mark.parametrize(("Estimator", "Reference"), ESTIMATOR_PAIRS)
def test_sgd_adaptive_schedule_matches_sklearn_mlp(Estimator, Reference, parity_data):
    X, y = parity_data
    # With tol=10 every epoch is a plateau, so the step is divided by 5
    # every n_iter_no_change + 1 epochs instead of stopping.
    ours, theirs = fit_both(
        Estimator,
        Reference,
        X,
        y,
        solver="sgd",
        learning_rate="adaptive",
        tol=10.0,
        n_iter_no_change=1,
        max_iter=8,
    )
    assert ours.n_iter_ == 8
    assert_same_training(ours, theirs)
    assert ours._optimizer.learning_rate == theirs._optimizer.learning_rate < 0.01


@pytest.mark.parametrize(("Estimator", "Reference"), ESTIMATOR_PAIRS)
def test_sgd_without_nesterov_momentum_matches_sklearn_mlp(
    Estimator, Reference, parity_data
):
    X, y = parity_data
    ours, theirs = fit_both(
        Estimator, Reference, X, y, solver="sgd", nesterovs_momentum=False
    )
    assert_same_training(ours, theirs)
    assert_same_predictions(ours, theirs, X)


@pytest.mark.parametrize("solver", SOLVERS)
def test_binary_classification_matches_sklearn_mlp(solver, binary_data):
    X, y = binary_data
    ours, theirs = fit_both(DropoutMLPClassifier, MLPClassifier, X, y, solver=solver)
    assert ours.predict_proba(X).shape == (X.shape[0], 2)
    assert_array_equal(ours.classes_, theirs.classes_)
    assert_same_training(ours, theirs)
    assert_same_predictions(ours, theirs, X)


@pytest.mark.parametrize("solver", SOLVERS)
def test_multilabel_classification_matches_sklearn_mlp(solver, multilabel_data):
    X, Y = multilabel_data
    ours, theirs = fit_both(DropoutMLPClassifier, MLPClassifier, X, Y, solver=solver)
    assert ours.predict(X).shape == Y.shape
    assert_same_training(ours, theirs)
    assert_same_predictions(ours, theirs, X)


@pytest.mark.parametrize("solver", SOLVERS)
def test_multioutput_regression_matches_sklearn_mlp(
    solver, multioutput_regression_data
):
    X, Y = multioutput_regression_data
    ours, theirs = fit_both(DropoutMLPRegressor, MLPRegressor, X, Y, solver=solver)
    assert ours.predict(X).shape == Y.shape
    assert_same_training(ours, theirs)
    assert_same_predictions(ours, theirs, X)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize(("Estimator", "Reference"), ESTIMATOR_PAIRS)
def test_partial_fit_sequence_matches_sklearn_mlp(
    Estimator, Reference, solver, dtype, parity_data
):
    X, y = parity_data
    X = X.astype(dtype)
    params = {**PARITY_NET, "solver": solver}
    ours = Estimator(**NO_DROPOUT, **params)
    theirs = Reference(**params)
    extra = {}
    if issubclass(Estimator, ClassifierMixin):
        # Passed on every call, as both estimators allow.
        extra["classes"] = np.unique(y)
    for chunk in np.array_split(np.arange(X.shape[0]), 3):
        ours.partial_fit(X[chunk], y[chunk], **extra)
        theirs.partial_fit(X[chunk], y[chunk], **extra)
        assert_same_training(ours, theirs, dtype)
    assert_same_predictions(ours, theirs, X, dtype)


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize(("Estimator", "Reference"), ESTIMATOR_PAIRS)
def test_warm_start_continuation_matches_sklearn_mlp(
    Estimator, Reference, solver, parity_data
):
    X, y = parity_data
    ours, theirs = fit_both(
        Estimator, Reference, X, y, solver=solver, warm_start=True, max_iter=4
    )
    for estimator in (ours, theirs):
        estimator.set_params(max_iter=3).fit(X, y)
    assert ours.n_iter_ == 3
    assert len(ours.loss_curve_) == 7
    assert_same_training(ours, theirs)
    assert_same_predictions(ours, theirs, X)


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize(("Estimator", "Reference"), ESTIMATOR_PAIRS)
def test_sparse_csr_input_matches_sklearn_mlp(
    Estimator, Reference, solver, parity_data
):
    X, y = parity_data
    X_csr = sp.csr_matrix(X)
    ours, theirs = fit_both(Estimator, Reference, X_csr, y, solver=solver)
    assert_same_training(ours, theirs)
    assert_same_predictions(ours, theirs, X_csr)


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize(("Estimator", "Reference"), ESTIMATOR_PAIRS)
def test_warm_start_with_early_stopping_keeps_sklearns_record(
    Estimator, Reference, solver, parity_data
):
    # The second fit compares its epochs with the best score the first one
    # kept, as sklearn's MLP does. (When no epoch of a warm fit improves,
    # sklearn keeps its last epoch's weights while this package gives back
    # the best network, so only the records are compared.)
    X, y = parity_data
    params = {"early_stopping": True, "n_iter_no_change": 3, "warm_start": True}
    ours, theirs = fit_both(Estimator, Reference, X, y, solver=solver, **params)
    for estimator in (ours, theirs):
        estimator.set_params(max_iter=6).fit(X, y)
    assert ours.n_iter_ == theirs.n_iter_
    assert_allclose(ours.loss_curve_, theirs.loss_curve_, **TOLERANCE[np.float64])
    assert_allclose(
        ours.validation_scores_, theirs.validation_scores_, **TOLERANCE[np.float64]
    )
    assert ours.best_validation_score_ == pytest.approx(
        theirs.best_validation_score_, rel=1e-10
    )
