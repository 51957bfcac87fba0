"""A user-supplied validation set (fit's X_val, y_val) and the validation curves."""

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_digits, make_regression
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.metrics import accuracy_score, log_loss
from sklearn.model_selection import train_test_split

from skdropout import DropoutMLPClassifier, DropoutMLPRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def digits_split():
    X, y = load_digits(return_X_y=True)
    return train_test_split(X / 16, y, test_size=0.3, random_state=0)


def _clf(**params):
    return DropoutMLPClassifier(
        **{"hidden_layer_sizes": (32,), "max_iter": 8, "random_state": 0, **params}
    )


def test_curves_are_recorded_per_epoch_with_a_given_validation_set(digits_split):
    X, X_val, y, y_val = digits_split
    clf = _clf().fit(X, y, X_val=X_val, y_val=y_val)
    assert len(clf.validation_scores_) == clf.n_iter_ == len(clf.loss_curve_)
    assert len(clf.validation_loss_curve_) == clf.n_iter_
    assert all(np.isfinite(clf.validation_loss_curve_))


def test_validation_score_is_the_dropout_free_accuracy_on_x_val(digits_split):
    X, X_val, y, y_val = digits_split
    clf = _clf(dropout_rate=0.5).fit(X, y, X_val=X_val, y_val=y_val)
    # Without early stopping the final weights are those of the last epoch.
    assert clf.validation_scores_[-1] == accuracy_score(y_val, clf.predict(X_val))


def test_validation_loss_is_the_log_loss_of_the_deterministic_network(digits_split):
    X, X_val, y, y_val = digits_split
    clf = _clf(dropout_rate=0.5).fit(X, y, X_val=X_val, y_val=y_val)
    proba = np.clip(clf.predict_proba(X_val), 1e-15, 1)
    expected = -np.mean(np.log(proba[np.arange(len(y_val)), y_val]))
    assert clf.validation_loss_curve_[-1] == pytest.approx(expected, rel=1e-6)


def test_given_validation_set_replaces_the_internal_split(digits_split):
    X, X_val, y, y_val = digits_split
    clf = _clf(early_stopping=True, n_iter_no_change=2).fit(
        X, y, X_val=X_val, y_val=y_val
    )
    # Every training row was trained on: t_ counts full passes over X.
    assert clf.t_ == clf.n_iter_ * X.shape[0]
    assert clf.best_validation_score_ == max(clf.validation_scores_)
    assert accuracy_score(y_val, clf.predict(X_val)) == clf.best_validation_score_


def test_no_validation_curves_without_a_validation_set(digits_split):
    X, _, y, _ = digits_split
    clf = _clf().fit(X, y)
    assert clf.validation_scores_ is None
    assert clf.validation_loss_curve_ is None


def test_internal_split_also_records_the_validation_loss(digits_split):
    X, _, y, _ = digits_split
    clf = _clf(early_stopping=True).fit(X, y)
    assert len(clf.validation_loss_curve_) == len(clf.validation_scores_)


def test_regressor_validation_loss_is_half_the_mean_squared_error():
    X, y = make_regression(n_samples=200, n_features=5, noise=1.0, random_state=0)
    y = y / y.std()
    X_tr, X_val, y_tr, y_val = X[:150], X[150:], y[:150], y[150:]
    reg = DropoutMLPRegressor(hidden_layer_sizes=(16,), max_iter=5, random_state=0)
    reg.fit(X_tr, y_tr, X_val=X_val, y_val=y_val)
    expected = 0.5 * np.mean((reg.predict(X_val) - y_val) ** 2)
    assert reg.validation_loss_curve_[-1] == pytest.approx(expected, rel=1e-6)


def test_x_val_without_y_val_is_a_clear_error(digits_split):
    X, X_val, y, _ = digits_split
    with pytest.raises(ValueError, match="X_val and y_val must be given together"):
        _clf().fit(X, y, X_val=X_val)


def test_y_val_with_unseen_classes_is_a_clear_error(digits_split):
    X, X_val, y, y_val = digits_split
    with pytest.raises(ValueError, match="y_val has classes"):
        _clf().fit(X, y, X_val=X_val, y_val=y_val + 100)


def test_x_val_with_the_wrong_number_of_features_is_a_clear_error(digits_split):
    X, X_val, y, y_val = digits_split
    with pytest.raises(ValueError, match="features"):
        _clf().fit(X, y, X_val=X_val[:, :10], y_val=y_val)


def test_sample_weight_val_weights_the_validation_score(digits_split):
    X, X_val, y, y_val = digits_split
    weights = np.where(y_val == 3, 10.0, 1.0)
    clf = _clf().fit(X, y, X_val=X_val, y_val=y_val, sample_weight_val=weights)
    expected = accuracy_score(y_val, clf.predict(X_val), sample_weight=weights)
    assert clf.validation_scores_[-1] == pytest.approx(expected)


def test_sample_weight_val_weights_the_validation_loss(digits_split):
    X, X_val, y, y_val = digits_split
    weights = np.where(y_val == 3, 10.0, 1.0)
    clf = _clf().fit(X, y, X_val=X_val, y_val=y_val, sample_weight_val=weights)
    expected = log_loss(y_val, clf.predict_proba(X_val), sample_weight=weights)
    assert clf.validation_loss_curve_[-1] == pytest.approx(expected, rel=1e-6)


def test_a_warm_fit_on_the_internal_split_after_one_on_x_val_starts_a_new_record(
    digits_split,
):
    # The record kept on the given set (perfect on two easy rows) says
    # nothing about the internal split: the new fit must be able to beat it.
    X, X_val, y, y_val = digits_split
    clf = _clf(max_iter=10, early_stopping=True, learning_rate_init=0.01)
    zeros = X[y == 0][:2]  # the easiest digit, seen in training
    clf.set_params(warm_start=True).fit(X, y, X_val=zeros, y_val=[0, 0])
    assert clf.best_validation_score_ == 1.0
    clf.fit(X, y)
    assert clf.best_validation_score_ < 1.0
    assert clf.best_validation_score_ >= max(clf.validation_scores_[10:])


def test_validation_curves_stay_aligned_when_a_warm_start_drops_the_set(
    digits_split,
):
    X, X_val, y, y_val = digits_split
    clf = _clf(max_iter=3, warm_start=True).fit(X, y, X_val=X_val, y_val=y_val)
    first_scores = list(clf.validation_scores_)
    clf.fit(X, y)
    assert len(clf.validation_scores_) == len(clf.loss_curve_) == 6
    assert clf.validation_scores_[:3] == first_scores
    assert np.isnan(clf.validation_scores_[3:]).all()
    assert np.isnan(clf.validation_loss_curve_[3:]).all()


def test_validation_curves_stay_aligned_when_a_warm_start_adds_the_set(
    digits_split,
):
    X, X_val, y, y_val = digits_split
    clf = _clf(max_iter=3, warm_start=True).fit(X, y)
    assert clf.validation_scores_ is None
    clf.fit(X, y, X_val=X_val, y_val=y_val)
    assert len(clf.validation_scores_) == len(clf.loss_curve_) == 6
    assert np.isnan(clf.validation_scores_[:3]).all()
    assert np.isfinite(clf.validation_scores_[3:]).all()
    assert len(clf.validation_loss_curve_) == 6


def test_a_warm_start_with_a_new_validation_set_keeps_its_own_best_epoch(
    digits_split,
):
    # The first fit's best score was measured on its internal split: the new
    # set's scores are not compared with it, so this fit's training is kept.
    X, X_val, y, y_val = digits_split
    clf = _clf(early_stopping=True, max_iter=10).fit(X, y)
    before = [c.copy() for c in clf.coefs_]
    clf.set_params(warm_start=True, max_iter=3).fit(X, y, X_val=X_val, y_val=y_val)
    assert clf.best_validation_score_ == max(clf.validation_scores_[-3:])
    assert not all(np.array_equal(a, b) for a, b in zip(before, clf.coefs_))


def test_multilabel_y_val_with_too_few_columns_is_refused_before_training():
    X = np.random.RandomState(0).normal(size=(30, 3))
    labels = np.arange(30) % 3
    Y = np.c_[labels == 0, labels == 1, labels == 2].astype(int)
    clf = _clf(max_iter=2, warm_start=True).fit(X, Y)
    before = [c.copy() for c in clf.coefs_]
    with pytest.raises(ValueError, match="y_val encodes 2 output"):
        clf.fit(X, Y, X_val=X[:5], y_val=Y[:5, :2])
    assert all(np.array_equal(a, b) for a, b in zip(before, clf.coefs_))


def test_class_labels_as_y_val_of_a_multilabel_network_are_refused():
    X = np.random.RandomState(0).normal(size=(30, 3))
    Y = np.random.RandomState(1).randint(0, 2, (30, 3))
    clf = _clf(max_iter=2)
    with pytest.raises(ValueError, match="y_val must be in the form of y"):
        clf.fit(X, Y, X_val=X[:5], y_val=[0, 1, 2, 0, 1])
    with pytest.raises(NotFittedError, match="is not fitted yet"):
        clf.predict(X)


def test_a_warm_start_on_the_same_validation_set_keeps_a_better_starting_network(
    digits_split,
):
    # A continuation that only makes things worse: early stopping must give
    # back the network it started from, which scored better on this set.
    X, X_val, y, y_val = digits_split
    clf = _clf(early_stopping=True, max_iter=10)
    clf.fit(X, y, X_val=X_val, y_val=y_val)
    first_best = clf.best_validation_score_
    clf.set_params(warm_start=True, max_iter=3, learning_rate_init=0.5)
    clf.fit(X, y, X_val=X_val, y_val=y_val)
    assert max(clf.validation_scores_[-3:]) < first_best
    assert clf.best_validation_score_ == first_best
    assert clf.score(X_val, y_val) == pytest.approx(first_best)


def test_seeded_best_score_is_the_score_of_the_kept_network_under_a_new_cap(
    digits_split,
):
    # Continuing under a smaller max_norm projects the starting network
    # first: the record must be that projected network's score.
    X, X_val, y, y_val = digits_split
    clf = _clf(early_stopping=True, max_iter=10, max_norm=None)
    clf.fit(X, y, X_val=X_val, y_val=y_val)
    clf.set_params(warm_start=True, max_iter=1, max_norm=0.3)
    clf.fit(X, y, X_val=X_val, y_val=y_val)
    assert clf.best_validation_score_ == pytest.approx(clf.score(X_val, y_val))


def test_a_fresh_fit_refused_for_its_validation_set_leaves_no_network(digits_split):
    X, X_val, y, y_val = digits_split
    clf = _clf()
    with pytest.raises(ValueError, match="y_val has classes"):
        clf.fit(X, y, X_val=X_val, y_val=y_val + 100)
    with pytest.raises(NotFittedError, match="is not fitted yet"):
        clf.predict(X_val)


def test_a_refit_refused_for_its_validation_set_keeps_the_fitted_model(
    digits_split,
):
    # New data with other features and labels: the refused refit must not
    # leave the old network under the new labels and feature count.
    X, X_val, y, y_val = digits_split
    clf = _clf(max_iter=2).fit(X, y)
    before = clf.predict_proba(X_val)
    new_y = np.where(y < 5, "low", "high")
    with pytest.raises(ValueError, match="y_val has classes"):
        clf.fit(X[:, :10], new_y, X_val=X_val[:, :10], y_val=y_val)
    assert clf.n_features_in_ == X.shape[1]
    np.testing.assert_array_equal(clf.classes_, np.arange(10))
    np.testing.assert_array_equal(clf.predict_proba(X_val), before)


def test_a_warm_fit_refused_for_its_validation_set_keeps_the_stopping_record():
    X, y = make_regression(n_samples=80, n_features=4, random_state=0)
    reg = DropoutMLPRegressor(hidden_layer_sizes=(8,), max_iter=3, random_state=0)
    reg.fit(X, y / y.std())
    record = (reg.best_loss_, reg.best_validation_score_, reg._no_improvement_count)
    reg.set_params(warm_start=True, early_stopping=True)
    with pytest.raises(ValueError, match="y_val has 2 outputs"):
        reg.fit(X, y / y.std(), X_val=X[:10], y_val=np.ones((10, 2)))
    after = (reg.best_loss_, reg.best_validation_score_, reg._no_improvement_count)
    assert after == record


def test_x_val_without_the_training_feature_names_is_named_in_the_warning(
    digits_split,
):
    X, X_val, y, y_val = digits_split
    frame = pd.DataFrame(X, columns=[f"pixel_{i}" for i in range(X.shape[1])])
    with pytest.warns(UserWarning, match="valid feature names.*about X_val") as w:
        _clf(max_iter=1).fit(frame, y, X_val=X_val, y_val=y_val)
    assert {record.filename for record in w} == {__file__}


def test_a_filter_on_sklearns_feature_name_warning_also_silences_it_for_x_val(
    digits_split,
):
    X, X_val, y, y_val = digits_split
    frame = pd.DataFrame(X, columns=[f"pixel_{i}" for i in range(X.shape[1])])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.filterwarnings("ignore", message="X does not have valid feature names")
        warnings.filterwarnings("ignore", category=ConvergenceWarning)
        _clf(max_iter=1).fit(frame, y, X_val=X_val, y_val=y_val)


def test_x_val_with_reordered_columns_is_named_in_the_error(digits_split):
    X, X_val, y, y_val = digits_split
    columns = [f"pixel_{i}" for i in range(X.shape[1])]
    frame = pd.DataFrame(X, columns=columns)
    reordered = pd.DataFrame(X_val, columns=columns).iloc[:, ::-1]
    with pytest.raises(ValueError, match="^X_val: The feature names should match"):
        _clf(max_iter=1).fit(frame, y, X_val=reordered, y_val=y_val)
