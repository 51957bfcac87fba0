"""The estimators and small datasets shared by the tests.

A test that takes ``Estimator`` runs once per estimator (the fixture below).
Every data fixture builds fresh arrays, so a test may modify what it
receives without affecting any other test. The ``Xy`` fixture picks the
dataset that matches the ``Estimator``. Settings and helpers shared by the
test files live in ``tests/_helpers.py``.
"""

import importlib.util
import os

import numpy as np
import pytest
from _helpers import ESTIMATORS
from sklearn.base import ClassifierMixin
from sklearn.datasets import (
    load_digits,
    make_classification,
    make_multilabel_classification,
    make_regression,
)


@pytest.fixture(params=ESTIMATORS)
def Estimator(request):
    """Each estimator class in turn (ids: classifier, regressor)."""
    return request.param


@pytest.fixture
def digits_data():
    """300 handwritten digits (10 classes), pixels scaled to [0, 1]."""
    X, y = load_digits(return_X_y=True)
    return X[:300] / 16.0, y[:300]


@pytest.fixture
def classification_data():
    """120 samples, 8 features, 3 classes."""
    return make_classification(
        n_samples=120,
        n_features=8,
        n_informative=5,
        n_classes=3,
        random_state=0,
    )


@pytest.fixture
def binary_data():
    """120 samples, 8 features, 2 classes labelled 'no' and 'yes'."""
    X, y = make_classification(
        n_samples=120, n_features=8, n_informative=4, random_state=1
    )
    return X, np.array(["no", "yes"])[y]


@pytest.fixture
def multilabel_data():
    """120 samples, 8 features, a 4-column label indicator matrix."""
    return make_multilabel_classification(
        n_samples=120, n_features=8, n_classes=4, random_state=2
    )


@pytest.fixture
def regression_data():
    """120 samples, 8 features, one target scaled to unit variance."""
    X, y = make_regression(
        n_samples=120, n_features=8, n_informative=5, noise=0.1, random_state=3
    )
    return X, y / y.std()


@pytest.fixture
def multioutput_regression_data():
    """120 samples, 8 features, three targets scaled to unit variance."""
    X, y = make_regression(
        n_samples=120, n_features=8, n_targets=3, noise=0.1, random_state=4
    )
    return X, y / y.std(axis=0)


@pytest.fixture
def Xy(Estimator, classification_data, regression_data):
    """The multiclass data for a classifier, the regression data otherwise."""
    if issubclass(Estimator, ClassifierMixin):
        return classification_data
    return regression_data


@pytest.fixture
def child_environment():
    """This environment, with the skdropout this process imports first on the
    path: a child Python then tests the same code (an installed wheel, or a
    source checkout that is not installed)."""
    env = dict(os.environ)
    package = importlib.util.find_spec("skdropout").origin
    root = os.path.dirname(os.path.dirname(package))
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))
    return env


@pytest.fixture
def digits():
    """300 handwritten digits (10 classes), raw pixels in [0, 16]."""
    X, y = load_digits(return_X_y=True)
    return X[:300], y[:300]
