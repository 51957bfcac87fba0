"""Settings and helpers shared by the estimator tests (one definition each).

The ``Estimator`` fixture of ``conftest.py`` runs a test for both estimators;
``ESTIMATORS`` is for the tests that parametrize explicitly.
"""

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.base import ClassifierMixin

from skdropout import DropoutMLPClassifier, DropoutMLPRegressor

ESTIMATORS = [
    pytest.param(DropoutMLPClassifier, id="classifier"),
    pytest.param(DropoutMLPRegressor, id="regressor"),
]

# A tiny network trained for a few epochs: the settings every test file
# starts from (a file that needs more layers or epochs says which).
SMALL_NET = {
    "hidden_layer_sizes": (10,),
    "max_iter": 5,
    "batch_size": 32,
    "learning_rate_init": 0.01,
    "random_state": 0,
}
# Dropout on the input and the hidden layer.
DROPOUT = {"dropout_rate": 0.3, "input_dropout": 0.2}


def is_classifier_class(Estimator):
    return issubclass(Estimator, ClassifierMixin)


def partial_fit_kwargs(Estimator, y):
    """``classes=`` for a classifier's partial_fit, nothing for a regressor."""
    return {"classes": np.unique(y)} if is_classifier_class(Estimator) else {}


def outputs(estimator, X):
    """What the network computes: probabilities or regression values."""
    if hasattr(estimator, "predict_proba"):
        return estimator.predict_proba(X)
    return estimator.predict(X)


def column_norms(estimator):
    """L2 norm of every unit's incoming weights, all layers concatenated."""
    return np.concatenate([np.linalg.norm(W, axis=0) for W in estimator.coefs_])


def parameters(estimator):
    """Copies of the weights and biases, weights first."""
    return [p.copy() for p in estimator.coefs_ + estimator.intercepts_]


def assert_parameters_equal(actual, expected):
    """Two lists of parameter arrays are equal, dtypes included."""
    assert len(actual) == len(expected)
    for a, b in zip(actual, expected):
        assert_array_equal(a, b, strict=True)


def assert_same_parameters(first, second):
    """Two estimators hold the same weights and biases, dtypes included."""
    assert_parameters_equal(
        first.coefs_ + first.intercepts_, second.coefs_ + second.intercepts_
    )


def assert_different_parameters(first, second):
    assert not all(
        np.array_equal(a, b)
        for a, b in zip(
            first.coefs_ + first.intercepts_, second.coefs_ + second.intercepts_
        )
    )


def assert_usable(estimator, X):
    """Finite parameters, and finite outputs of the right shape."""
    assert all(np.isfinite(p).all() for p in parameters(estimator))
    out = estimator.predict(X)
    assert out.shape[0] == X.shape[0]
    if hasattr(estimator, "predict_proba"):
        proba = estimator.predict_proba(X)
        assert np.isfinite(proba).all()
    else:
        assert np.isfinite(out).all()


class EpochRecorder:
    """A callback that keeps the parameters at the start and end of each epoch."""

    def __init__(self):
        self.at_begin = []
        self.at_end = []

    def setup(self, estimator, context):
        pass

    def teardown(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context, **kwargs):
        if context.task_name == "epoch":
            self.at_begin.append(parameters(estimator))

    def on_fit_task_end(self, estimator, context, **kwargs):
        if context.task_name == "epoch":
            self.at_end.append(parameters(estimator))
        return False
