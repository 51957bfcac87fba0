"""Training that blows up leaves a usable model (skdropout/_divergence.py).

A diverging fit restores the weights of its last completed epoch and raises a
ValueError that says what to change. Ctrl-C is in test_fit_state.py.
"""

import warnings

import numpy as np
import pytest
from _helpers import (
    EpochRecorder,
    assert_parameters_equal,
    assert_usable,
    is_classifier_class,
    parameters,
)
from numpy.testing import assert_array_equal

from skdropout import DropoutMLPClassifier, DropoutMLPRegressor
from skdropout._engine import ACTIVATIONS, LOSSES

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

DTYPES = [np.float32, np.float64]


# ------------------------------------------------------------- divergence
def diverging_regression(digits):
    """The documented example: raw pixels times 100, targets around 1e6."""
    X, y = digits
    est = DropoutMLPRegressor(
        solver="sgd", learning_rate_init=10.0, max_norm=None, random_state=0
    )
    return est, X * 100.0, y * 1e6


def diverging_after_two_epochs(digits):
    """A linear network on full-batch sgd with a step about twice too large:
    its loss grows geometrically and crosses the blow-up limit (10^6 times
    the starting loss) in epoch 3."""
    X, y = digits
    est = DropoutMLPRegressor(
        activation="identity",
        dropout_rate=0.0,
        solver="sgd",
        learning_rate_init=0.1,
        momentum=0.0,
        batch_size=300,
        max_norm=None,
        random_state=0,
    )
    return est, X / 16.0, y.astype(float)


def test_divergence_raises_a_value_error_that_says_what_to_change(digits):
    est, X, y = diverging_after_two_epochs(digits)
    with pytest.raises(ValueError, match="diverged") as excinfo:
        est.fit(X, y)
    message = str(excinfo.value)
    assert "Training diverged in epoch 3" in message
    assert "learning_rate_init (now 0.1)" in message
    assert "max_norm" in message
    assert "the weights from the end of epoch 2 were restored" in message


def test_divergence_emits_no_runtime_warning(digits):
    est, X, y = diverging_regression(digits)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(ValueError, match="diverged"):
            est.fit(X, y)
        est.predict(X)
    runtime = [w for w in caught if issubclass(w.category, RuntimeWarning)]
    assert runtime == []


def test_diverged_fit_keeps_the_weights_of_the_last_completed_epoch(digits):
    est, X, y = diverging_after_two_epochs(digits)
    recorder = EpochRecorder()
    est.set_callbacks(recorder)
    with pytest.raises(ValueError, match="diverged"):
        est.fit(X, y)

    assert est.n_iter_ == 2
    assert len(est.loss_curve_) == 2
    assert np.isfinite(est.loss_curve_).all()
    assert est.loss_ == est.loss_curve_[-1]
    assert est.t_ == 2 * X.shape[0]
    assert_parameters_equal(parameters(est), recorder.at_end[1])
    assert_usable(est, X)


def test_diverged_fit_equals_a_fit_stopped_before_the_bad_epoch(digits):
    est, X, y = diverging_after_two_epochs(digits)
    with pytest.raises(ValueError, match="diverged"):
        est.fit(X, y)
    stopped = est.__class__(**{**est.get_params(), "max_iter": 2}).fit(X, y)
    assert_parameters_equal(parameters(est), parameters(stopped))
    assert est.loss_curve_ == stopped.loss_curve_


@pytest.mark.parametrize("dtype", DTYPES)
def test_divergence_in_the_first_epoch_restores_the_initial_weights(
    Estimator, digits, dtype
):
    X, y = digits
    X = (X * 100.0).astype(dtype)
    y = y if is_classifier_class(Estimator) else y * 1e6
    est = Estimator(
        solver="sgd",
        learning_rate_init=1e30,
        batch_size=50,
        max_norm=None,
        random_state=0,
    )
    recorder = EpochRecorder()
    est.set_callbacks(recorder)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(ValueError, match="diverged in epoch 1") as excinfo:
            est.fit(X, y)
    assert not [w for w in caught if issubclass(w.category, RuntimeWarning)]
    assert "the initial weights were restored" in str(excinfo.value)
    assert "learning_rate_init" in str(excinfo.value)
    assert est.n_iter_ == 0
    assert est.loss_curve_ == []
    assert_parameters_equal(parameters(est), recorder.at_begin[0])
    assert all(p.dtype == dtype for p in parameters(est))
    assert_usable(est, X)


@pytest.mark.parametrize("dtype", DTYPES)
def test_classifier_divergence_after_some_epochs_is_handled(digits, dtype):
    X, y = digits
    est = DropoutMLPClassifier(
        solver="sgd", learning_rate_init=1e30, max_norm=None, random_state=0
    )
    recorder = EpochRecorder()
    est.set_callbacks(recorder)
    with pytest.raises(ValueError, match="diverged.*learning_rate_init"):
        est.fit((X * 100.0).astype(dtype), y)
    assert est.n_iter_ == len(est.loss_curve_)
    assert np.isfinite(est.loss_curve_).all()
    if est.n_iter_:
        expected = recorder.at_end[est.n_iter_ - 1]
    else:
        expected = recorder.at_begin[0]
    assert_parameters_equal(parameters(est), expected)
    assert_usable(est, X.astype(dtype))


def test_max_norm_alone_keeps_the_documented_divergence_finite_but_diverged(digits):
    # max_norm keeps every number finite, but the loss still explodes: the
    # blow-up rule calls that a divergence too (it returned R^2 = -5e25).
    est, X, y = diverging_regression(digits)
    est.set_params(max_norm=3.0, max_iter=5)
    with pytest.raises(ValueError, match="diverged in epoch 2: the loss"):
        est.fit(X, y)
    assert est.n_iter_ == 1
    assert_usable(est, X)


def test_the_messages_remedies_fix_the_documented_divergence(digits):
    # Standardised inputs, scaled targets and a smaller step.
    est, X, y = diverging_regression(digits)
    X = (X - X.mean(axis=0)) / np.where(X.std(axis=0) > 0, X.std(axis=0), 1.0)
    y = (y - y.mean()) / y.std()
    est.set_params(learning_rate_init=0.1, max_norm=3.0, max_iter=5)
    est.fit(X, y)
    assert np.isfinite(est.loss_curve_).all()
    assert est.score(X, y) > 0.3
    assert_usable(est, X)


def test_training_can_continue_after_divergence_with_a_smaller_step(Estimator, digits):
    # Diverges in the first epoch, so the kept weights are the initial ones
    # (later epochs of a diverging fit may already hold huge weights).
    X, y = digits
    X = X * 100.0
    est = Estimator(
        solver="sgd",
        learning_rate_init=1e30,
        batch_size=50,
        max_norm=None,
        random_state=0,
    )
    with pytest.raises(ValueError, match="diverged in epoch 1"):
        est.fit(X, y)
    restored = parameters(est)
    recorder = EpochRecorder()
    est.set_callbacks(recorder)
    est.set_params(warm_start=True, learning_rate_init=1e-6, max_iter=3)
    est.fit(X, y)
    # warm_start picks up the restored weights, not fresh ones.
    assert_parameters_equal(recorder.at_begin[0], restored)
    assert est.n_iter_ == 3
    assert np.isfinite(est.loss_curve_).all()
    assert_usable(est, X)


# A float32 network with no dropout and no max-norm, one full batch per epoch:
# a step of 1e12 takes the weights to about 6e13 in one update, and three
# layers of such weights overflow float32 in the forward pass.
BLOW_UP = {
    "hidden_layer_sizes": (4, 4),
    "activation": "identity",
    "dropout_rate": 0.0,
    "max_norm": None,
    "solver": "sgd",
    "momentum": 0.0,
    "alpha": 0.0,
    "learning_rate_init": 1e12,
    "batch_size": 20,
    "shuffle": False,
    "random_state": 0,
}


def blow_up_data():
    rng = np.random.RandomState(0)
    X = (rng.normal(size=(20, 2)) * 10).astype(np.float32)
    return X, rng.normal(size=20)


def runtime_warnings(caught):
    return [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]


def test_a_blow_up_in_the_last_update_is_caught():
    # The only epoch's loss is measured at the initial weights; its last
    # update is what blows up, so the check after the epoch must catch it.
    X, y = blow_up_data()
    est = DropoutMLPRegressor(**BLOW_UP, max_iter=1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            est.fit(X, y)
        except ValueError as exc:
            assert "diverged" in str(exc)
        y_pred = est.predict(X)
    assert runtime_warnings(caught) == []
    assert np.isfinite(y_pred).all()


def test_weights_restored_after_divergence_predict_finite_values():
    # Epoch 1 leaves huge but finite weights: that is divergence too, and the
    # initial weights come back, so the model stays usable.
    X, y = blow_up_data()
    est = DropoutMLPRegressor(**BLOW_UP, max_iter=2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(ValueError, match="diverged in epoch 1"):
            est.fit(X, y)
        y_pred = est.predict(X)
    assert runtime_warnings(caught) == []
    assert np.isfinite(y_pred).all()


def test_divergence_message_names_overflowing_outputs_when_the_loss_is_finite():
    # Epoch 1's loss is measured before its blowing-up update: it is finite,
    # and the message must not call it non-finite.
    X, y = blow_up_data()
    est = DropoutMLPRegressor(**BLOW_UP, max_iter=2)
    with pytest.raises(ValueError, match="diverged in epoch 1") as excinfo:
        est.fit(X, y)
    message = str(excinfo.value)
    assert "outputs overflowed (training loss " in message
    assert "non-finite" not in message


def test_early_stopping_scores_a_blown_up_network_without_runtime_warning():
    # With a step of 1e5 the validation predictions are finite but above
    # sqrt(float32 max): r2_score's squares overflow inside fit.
    X, y = blow_up_data()
    params = {**BLOW_UP, "learning_rate_init": 1e5, "batch_size": "auto"}
    est = DropoutMLPRegressor(
        **params, max_iter=1, early_stopping=True, validation_fraction=0.2
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            est.fit(X, y)
        except ValueError as exc:
            assert "diverged" in str(exc)
    assert runtime_warnings(caught) == []


# ------------------------------------------------- stability of the outputs
EXTREME = 1e4


def extreme_logits(dtype, n_classes):
    """Rows whose largest logit is +1e4, -1e4, or tied; all other logits vary."""
    rows = [
        np.r_[EXTREME, np.full(n_classes - 1, -EXTREME)],
        np.r_[-EXTREME, np.full(n_classes - 1, EXTREME)],
        np.full(n_classes, EXTREME),
        np.full(n_classes, -EXTREME),
        np.linspace(-EXTREME, EXTREME, n_classes),
    ]
    return np.array(rows, dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_and_log_loss_are_stable_for_extreme_logits(dtype):
    Z = extreme_logits(dtype, n_classes=4)
    ACTIVATIONS["softmax"](Z)
    assert Z.dtype == dtype
    assert np.isfinite(Z).all()
    assert ((Z >= 0) & (Z <= 1)).all()
    np.testing.assert_allclose(Z.sum(axis=1), 1.0, rtol=1e-6)

    for target in range(Z.shape[1]):
        Y = np.zeros_like(Z)
        Y[:, target] = 1
        scratch = [np.empty_like(Z), np.empty_like(Z)]
        loss = LOSSES["log_loss"](Y, Z, None, scratch)
        assert np.isfinite(loss)
        # Probabilities are clipped to [eps, 1 - eps] before the log.
        assert 0 <= loss <= -np.log(np.finfo(dtype).eps) + 1e-6


@pytest.mark.parametrize("dtype", DTYPES)
def test_logistic_and_binary_log_loss_are_stable_for_extreme_logits(dtype):
    Z = extreme_logits(dtype, n_classes=3)
    ACTIVATIONS["logistic"](Z)
    assert Z.dtype == dtype
    assert np.isfinite(Z).all()
    assert ((Z >= 0) & (Z <= 1)).all()

    for value in (0, 1):
        Y = np.full_like(Z, value)
        scratch = [np.empty_like(Z), np.empty_like(Z)]
        sample_weight = np.linspace(1, 2, Z.shape[0]).astype(dtype)
        for sw in (None, sample_weight):
            loss = LOSSES["binary_log_loss"](Y, Z, sw, scratch)
            assert np.isfinite(loss)
            assert loss >= 0


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("target", ["binary", "multiclass"])
def test_predict_proba_is_finite_for_saturated_networks(digits, dtype, target):
    X, y = digits
    X = (X / 16).astype(dtype)
    y = y % 2 if target == "binary" else y
    clf = DropoutMLPClassifier(hidden_layer_sizes=(8,), max_iter=2, random_state=0)
    clf.fit(X, y)
    # Blow the output layer up until the logits reach thousands.
    clf.coefs_[-1] *= 1e4
    clf.intercepts_[-1] *= 1e4
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        proba = clf.predict_proba(X)
        labels = clf.predict(X)
    assert not [w for w in caught if issubclass(w.category, RuntimeWarning)]
    assert proba.dtype == dtype
    assert np.isfinite(proba).all()
    assert ((proba >= 0) & (proba <= 1)).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    assert_array_equal(labels, clf.classes_[proba.argmax(axis=1)])


def test_predict_log_proba_of_a_saturated_network_emits_no_runtime_warning(digits):
    X, y = digits
    clf = DropoutMLPClassifier(hidden_layer_sizes=(8,), max_iter=2, random_state=0)
    clf.fit(X / 16, y)
    clf.coefs_[-1] *= 1e4
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        log_proba = clf.predict_log_proba(X / 16)
    assert not [w for w in caught if issubclass(w.category, RuntimeWarning)]
    assert not np.isnan(log_proba).any()


def test_overflowing_validation_outputs_count_as_divergence():
    # Two huge features: the first epoch's network overflows exp on the
    # validation rows (all scores would be NaN, no best epoch ever kept).
    rng = np.random.RandomState(43)
    X = rng.normal(size=(60, 3)) * [1, 1e8, 1e8]
    y = rng.poisson(2, 60).astype(float)
    est = DropoutMLPRegressor(
        loss="poisson",
        hidden_layer_sizes=(3, 2),
        dropout_rate=0.5,  # the masks of this seed keep the training loss finite
        early_stopping=True,
        validation_fraction=0.9,
        max_iter=1,
        random_state=43,
    )
    with pytest.raises(ValueError, match="outputs on the validation set overflowed"):
        est.fit(X, y)
    assert est.n_iter_ == 0


def test_weights_restored_after_divergence_respect_max_norm(Estimator, digits):
    # The restored weights are the initial ones, projected onto the cap
    # before training started (Glorot's columns are longer than 0.1).
    X, y = digits
    est = Estimator(
        hidden_layer_sizes=(5,),
        max_norm=0.1,
        solver="sgd",
        learning_rate_init=1e300,
        max_iter=2,
        random_state=0,
    )
    with pytest.raises(ValueError, match="diverged in epoch 1"):
        est.fit(X * 1e5, y)
    norms = [np.linalg.norm(W, axis=0).max() for W in est.coefs_]
    assert max(norms) <= 0.1 * (1 + 1e-12)


def test_float32_targets_whose_r2_sums_overflow_do_not_read_as_divergence():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 3)).astype(np.float32)
    y = (rng.poisson(3, 40) * 1e20).astype(np.float32)
    reg = DropoutMLPRegressor(
        loss="poisson",
        hidden_layer_sizes=(4,),
        max_iter=3,
        random_state=0,
        early_stopping=True,
        # Plain sgd with a step to match gradients near 1e20: Adam would
        # square them past float32's range, a failed fit of its own
        # (test_divergence_rules.py).
        solver="sgd",
        learning_rate_init=1e-22,
    ).fit(X, y)
    assert np.isfinite(reg.validation_scores_).all()
