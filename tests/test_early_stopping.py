"""The stopping rule (skdropout/_early_stopping.py): the record, the switch
between early stopping and the training-loss rule, and the best weights kept."""

import numpy as np
import pytest
from _helpers import (
    DROPOUT,
    SMALL_NET,
    column_norms,
    is_classifier_class,
    partial_fit_kwargs,
)

import skdropout._validation_set
from skdropout import DropoutMLPRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def test_early_stopping_records_validation_scores(Estimator, Xy):
    X, y = Xy
    est = Estimator(**{**SMALL_NET, "max_iter": 8}, **DROPOUT, early_stopping=True).fit(
        X, y
    )
    assert isinstance(est.validation_scores_, list)
    assert len(est.validation_scores_) == est.n_iter_
    assert all(isinstance(score, float) for score in est.validation_scores_)
    assert isinstance(est.best_validation_score_, float)
    assert est.best_validation_score_ == max(est.validation_scores_)
    assert est.best_loss_ is None


def test_early_stopping_restores_the_best_weights(Estimator, Xy, monkeypatch):
    X, y = Xy
    # Record the validation split the estimator draws for early stopping.
    real_split = skdropout._validation_set.train_test_split
    splits = []

    def recording_split(*arrays, **kwargs):
        parts = real_split(*arrays, **kwargs)
        splits.append(parts)
        return parts

    monkeypatch.setattr(skdropout._validation_set, "train_test_split", recording_split)
    est = Estimator(
        hidden_layer_sizes=(10,),
        **DROPOUT,
        early_stopping=True,
        validation_fraction=0.25,
        n_iter_no_change=5,
        max_iter=60,
        learning_rate_init=0.05,
        batch_size=16,
        random_state=0,
    ).fit(X, y)
    # The run must end on a worse epoch, or restoring would be invisible.
    assert est.validation_scores_[-1] < est.best_validation_score_
    assert est.n_iter_ < 60

    (parts,) = splits
    X_val, y_val = parts[1], parts[3]
    if is_classifier_class(Estimator):  # the split holds one-hot targets
        y_val = est.classes_[np.argmax(y_val, axis=1)]
    assert est.best_validation_score_ == max(est.validation_scores_)
    assert est.score(X_val, y_val) == est.best_validation_score_


def test_warm_start_can_switch_early_stopping_on(Estimator, Xy):
    X, y = Xy
    est = Estimator(**SMALL_NET).fit(X, y)
    est.set_params(early_stopping=True, warm_start=True, max_iter=3).fit(X, y)
    assert np.isfinite(est.best_validation_score_)
    assert est.best_loss_ is None
    assert len(est.validation_scores_) == len(est.loss_curve_) == 8
    assert np.isnan(est.validation_scores_[:5]).all()


def test_partial_fit_after_an_early_stopped_fit_tracks_the_training_loss(Estimator, Xy):
    X, y = Xy
    est = Estimator(**SMALL_NET, early_stopping=True).fit(X, y)
    est.set_params(early_stopping=False).partial_fit(X, y)
    assert est.best_validation_score_ is None
    assert est.best_loss_ == est.loss_curve_[-1]


def test_a_warm_start_under_a_smaller_cap_projects_even_the_kept_best_weights(
    Estimator, Xy
):
    # Early stopping may keep the starting weights as the best: they come
    # from the previous fit, which had no cap, and must be projected too.
    X, y = Xy
    est = Estimator(**SMALL_NET, max_norm=None, early_stopping=True).fit(X, y)
    est.set_params(warm_start=True, max_norm=0.2, max_iter=2).fit(X, y)
    assert column_norms(est).max() <= 0.2 * (1 + 1e-12)


def test_a_warm_start_under_a_tighter_cap_keeps_its_best_epoch():
    # The projected starting network is not the one whose score the record
    # held: it is scored afresh, and a better epoch of this fit is kept.
    rng = np.random.RandomState(0)
    X = rng.normal(size=(100, 4))
    y = X @ [1.0, -2.0, 0.5, 0.0] + 0.1 * rng.normal(size=100)
    params = dict(
        hidden_layer_sizes=(8,),
        random_state=0,
        early_stopping=True,
        dropout_rate=0.0,
        validation_fraction=0.2,
    )
    reg = DropoutMLPRegressor(**params, max_iter=3, learning_rate_init=0.1)
    reg.fit(X, y)
    reg.set_params(warm_start=True, max_norm=0.5, learning_rate_init=0.05)
    reg.fit(X, y)
    # Here every epoch beats the projected start (scored 0.10 against 0.14 to
    # 0.19), so the last epoch's network is kept; the old record (0.30,
    # earned by the unprojected network) would have discarded them all.
    assert reg.best_validation_score_ == max(reg.validation_scores_[-reg.n_iter_ :])
    assert column_norms(reg).max() <= 0.5 * (1 + 1e-12)


def test_partial_fit_rejects_early_stopping(Estimator, Xy):
    X, y = Xy
    est = Estimator(**SMALL_NET, early_stopping=True)
    with pytest.raises(ValueError, match="early_stopping"):
        est.partial_fit(X, y, **partial_fit_kwargs(Estimator, y))
