"""class_weight in streams and with multilabel targets (issue 17)."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from skdropout import DropoutMLPClassifier

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

# No dropout: two fits with the same weights take the same steps.
PLAIN = {
    "hidden_layer_sizes": (6,),
    "dropout_rate": 0.0,
    "max_iter": 3,
    "random_state": 0,
}


def _data():
    X = np.random.RandomState(0).randn(40, 3)
    y = np.arange(40) % 2
    return X, y


def _assert_same_network(a, b):
    for left, right in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
        assert_allclose(left, right, rtol=1e-12, atol=1e-14)


def test_partial_fit_weighs_a_one_class_batch_against_the_first_calls_classes():
    # SGDClassifier.partial_fit's rule: a dict is matched against every class
    # given at the first call, so batches without the up-weighted class work.
    X, y = _data()
    clf = DropoutMLPClassifier(**PLAIN, class_weight={1: 10.0})
    clf.partial_fit(X, y, classes=[0, 1])
    clf.partial_fit(X[y == 0], y[y == 0])
    clf.partial_fit(X[y == 1], y[y == 1])
    explicit = DropoutMLPClassifier(**PLAIN)
    explicit.partial_fit(X, y, classes=[0, 1], sample_weight=np.where(y == 1, 10.0, 1))
    explicit.partial_fit(X[y == 0], y[y == 0])
    explicit.partial_fit(X[y == 1], y[y == 1], sample_weight=np.full(20, 10.0))
    _assert_same_network(clf, explicit)


def test_multilabel_class_weight_is_a_list_of_dicts_one_per_column():
    X, y = _data()
    Y = np.c_[y, (np.arange(40) % 3 == 0).astype(int)]
    weighted = DropoutMLPClassifier(**PLAIN, class_weight=[{1: 3.0}, {0: 2.0}])
    weighted.fit(X, Y)
    product = np.where(Y[:, 0] == 1, 3.0, 1.0) * np.where(Y[:, 1] == 0, 2.0, 1.0)
    explicit = DropoutMLPClassifier(**PLAIN).fit(X, Y, sample_weight=product)
    _assert_same_network(weighted, explicit)
    plain = DropoutMLPClassifier(**PLAIN).fit(X, Y)
    assert not np.allclose(plain.coefs_[0], weighted.coefs_[0])


def test_multilabel_class_weight_list_works_in_partial_fit():
    X, y = _data()
    Y = np.c_[y, 1 - y]
    clf = DropoutMLPClassifier(**PLAIN, class_weight=[{1: 3.0}, {1: 2.0}])
    clf.partial_fit(X, Y, classes=[0, 1])
    # A batch in which column 0 is all 0 and column 1 all 1.
    clf.partial_fit(X[y == 0], Y[y == 0])
    assert clf.n_outputs_ == 2
