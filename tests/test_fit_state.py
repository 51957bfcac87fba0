"""What a failed call leaves behind (skdropout/_fit_state.py).

A call refused before it trains changes nothing; a Ctrl-C keeps the last
completed epoch, warns and returns normally so that training can go on; any
other exception propagates. Refusals by callbacks are in test_callbacks.py.
"""

from unittest import mock

import numpy as np
import pytest
from _helpers import (
    SMALL_NET,
    EpochRecorder,
    assert_parameters_equal,
    assert_usable,
    is_classifier_class,
    parameters,
    partial_fit_kwargs,
)
from numpy.testing import assert_array_equal
from sklearn.exceptions import NotFittedError

from skdropout import DropoutMLPClassifier, DropoutMLPRegressor
from skdropout._engine import MinibatchTrainer

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


# ------------------------------------------------------------- Ctrl-C

INTERRUPT_PARAMS = {
    **SMALL_NET,
    "hidden_layer_sizes": (8,),
    "dropout_rate": 0.3,
    "input_dropout": 0.2,
    "batch_size": 50,  # 6 batches per epoch on 300 rows
    "max_iter": 10,
    "learning_rate_init": 0.001,
}


BATCHES_PER_EPOCH = 6


def raise_on_call(method, k):
    """A replacement for ``method`` that raises KeyboardInterrupt on call k."""
    calls = {"n": 0}

    def wrapper(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == k:
            raise KeyboardInterrupt
        return method(self, *args, **kwargs)

    return wrapper


def interrupt(name, k):
    """Patch MinibatchTrainer.<name> to raise KeyboardInterrupt on call k."""
    original = getattr(MinibatchTrainer, name)
    return mock.patch.object(MinibatchTrainer, name, raise_on_call(original, k))


def scaled_digits(digits):
    X, y = digits
    return X / 16.0, y


def xy_for(Estimator, digits):
    X, y = scaled_digits(digits)
    return (X, y) if is_classifier_class(Estimator) else (X, y / 9.0)


# Interrupting the 3rd epoch: mid-epoch through `step`, or as it starts
# through `run_epoch`. Either way two epochs were completed.
INTERRUPTS = [
    pytest.param("step", 2 * BATCHES_PER_EPOCH + 3, id="mid_epoch"),
    pytest.param("run_epoch", 3, id="epoch_start"),
]


@pytest.mark.parametrize(("patched", "call"), INTERRUPTS)
def test_interrupted_fit_warns_and_keeps_the_last_completed_epoch(
    Estimator, digits, patched, call
):
    X, y = xy_for(Estimator, digits)
    est = Estimator(**INTERRUPT_PARAMS)
    recorder = EpochRecorder()
    est.set_callbacks(recorder)
    with interrupt(patched, call):
        with pytest.warns(
            UserWarning,
            match=r"Training interrupted by user after 2 completed epoch\(s\)",
        ) as w:
            returned = est.fit(X, y)

    assert {record.filename for record in w} == {__file__}  # the user's line
    assert returned is est
    assert est.n_iter_ == 2
    assert len(est.loss_curve_) == 2
    assert est.t_ == 2 * X.shape[0]
    assert_parameters_equal(parameters(est), recorder.at_end[1])
    assert_usable(est, X)


def test_interrupted_fit_equals_a_fit_of_the_completed_epochs(Estimator, digits):
    # Same seed, same path: masks, shuffles and updates of the first two
    # epochs do not depend on max_iter.
    X, y = xy_for(Estimator, digits)
    est = Estimator(**INTERRUPT_PARAMS)
    with interrupt("step", 2 * BATCHES_PER_EPOCH + 3):
        with pytest.warns(UserWarning, match="interrupted"):
            est.fit(X, y)
    reference = Estimator(**{**INTERRUPT_PARAMS, "max_iter": 2}).fit(X, y)
    assert_parameters_equal(parameters(est), parameters(reference))
    assert est.loss_curve_ == reference.loss_curve_


def test_interrupt_in_the_first_epoch_keeps_the_initial_weights(Estimator, digits):
    X, y = xy_for(Estimator, digits)
    est = Estimator(**INTERRUPT_PARAMS)
    recorder = EpochRecorder()
    est.set_callbacks(recorder)
    with interrupt("step", 3):
        with pytest.warns(UserWarning, match=r"after 0 completed epoch\(s\)"):
            est.fit(X, y)
    assert est.n_iter_ == 0
    assert est.loss_curve_ == []
    assert_parameters_equal(parameters(est), recorder.at_begin[0])
    assert_usable(est, X)


def test_partial_fit_after_an_interrupt_continues_from_the_kept_state(
    Estimator, digits
):
    # The optimizer state is restored with the weights: continuing after the
    # interrupt is the same as continuing after a fit of two epochs.
    X, y = xy_for(Estimator, digits)
    est = Estimator(**INTERRUPT_PARAMS)
    with interrupt("step", 2 * BATCHES_PER_EPOCH + 3):
        with pytest.warns(UserWarning, match="interrupted"):
            est.fit(X, y)
    reference = Estimator(**{**INTERRUPT_PARAMS, "max_iter": 2}).fit(X, y)

    est.partial_fit(X, y)
    reference.partial_fit(X, y)

    assert est.n_iter_ == 1
    assert est.t_ == 3 * X.shape[0]
    assert_parameters_equal(parameters(est), parameters(reference))
    assert_usable(est, X)


def test_warm_start_after_an_interrupt_continues_from_the_kept_weights(
    Estimator, digits
):
    X, y = xy_for(Estimator, digits)
    est = Estimator(**INTERRUPT_PARAMS)
    with interrupt("step", 2 * BATCHES_PER_EPOCH + 3):
        with pytest.warns(UserWarning, match="interrupted"):
            est.fit(X, y)
    kept = parameters(est)
    reference = Estimator(**{**INTERRUPT_PARAMS, "max_iter": 2}).fit(X, y)

    recorder = EpochRecorder()
    est.set_callbacks(recorder)
    for model in (est, reference):
        model.set_params(warm_start=True, max_iter=3)
        model.fit(X, y)

    assert_parameters_equal(recorder.at_begin[0], kept)
    assert est.n_iter_ == 3
    assert_parameters_equal(parameters(est), parameters(reference))
    assert_usable(est, X)


def test_interrupted_partial_fit_leaves_no_trace(Estimator, digits):
    X, y = xy_for(Estimator, digits)
    kwargs = partial_fit_kwargs(Estimator, y)
    est = Estimator(**INTERRUPT_PARAMS).partial_fit(X, y, **kwargs)
    twin = Estimator(**INTERRUPT_PARAMS).partial_fit(X, y, **kwargs)

    with interrupt("step", 2):
        with pytest.warns(UserWarning, match=r"after 0 completed epoch\(s\)"):
            est.partial_fit(X, y)
    assert est.t_ == twin.t_
    assert_parameters_equal(parameters(est), parameters(twin))

    est.partial_fit(X, y)
    twin.partial_fit(X, y)
    assert_parameters_equal(parameters(est), parameters(twin))


def test_other_exceptions_during_fit_are_not_swallowed(Estimator, digits):
    X, y = xy_for(Estimator, digits)
    est = Estimator(**INTERRUPT_PARAMS)

    def fail(self, *args, **kwargs):
        raise MemoryError("out of memory")

    with mock.patch.object(MinibatchTrainer, "step", fail):
        with pytest.raises(MemoryError, match="out of memory"):
            est.fit(X, y)


def test_a_refit_refused_by_validation_leaves_the_fitted_classifier_usable(
    classification_data,
):
    X, y = classification_data
    clf = DropoutMLPClassifier(**SMALL_NET).fit(X, y)
    expected = clf.predict(X)
    with pytest.raises(ValueError, match="Negative values"):
        clf.fit(X, y % 2, sample_weight=-np.ones(len(y)))
    assert_array_equal(clf.classes_, np.unique(y))
    assert_array_equal(clf.predict(X), expected)


@pytest.mark.parametrize(
    "est, y",
    [
        pytest.param(DropoutMLPClassifier(), np.zeros(30), id="one-class"),
        pytest.param(
            DropoutMLPRegressor(loss="poisson"), -np.ones(30), id="negative-counts"
        ),
    ],
)
def test_a_first_fit_refused_after_validate_data_leaves_the_estimator_unfitted(est, y):
    # validate_data has set n_features_in_ by the time y is refused.
    X = np.ones((30, 3))
    with pytest.raises(ValueError):
        est.fit(X, y)
    assert not hasattr(est, "n_features_in_")
    with pytest.raises(NotFittedError, match="not fitted"):
        est.predict(X)


def test_a_first_fit_whose_early_stopping_split_fails_leaves_it_unfitted(Estimator, Xy):
    X, y = Xy
    est = Estimator(**SMALL_NET, early_stopping=True, validation_fraction=0.01)
    with pytest.raises(ValueError, match="validation"):
        est.fit(X[:20], y[:20])
    with pytest.raises(NotFittedError, match="not fitted"):
        est.predict(X)


def test_a_refused_first_partial_fit_leaves_no_classes_behind(multilabel_data):
    X, Y = multilabel_data
    clf = DropoutMLPClassifier(**SMALL_NET, warm_start=True)
    with pytest.raises(ValueError):
        clf.partial_fit(X[:0], Y[:0], classes=[0, 1])
    assert not hasattr(clf, "classes_")
    clf.fit(X, Y)  # a fit after it starts afresh
    assert clf.n_outputs_ == Y.shape[1]


def test_partial_fit_checks_parameters_set_since_the_first_call(Estimator, Xy):
    X, y = Xy
    est = Estimator(**SMALL_NET)
    kwargs = partial_fit_kwargs(Estimator, y)
    est.partial_fit(X, y, **kwargs)
    est.set_params(input_dropout=1.0)
    with pytest.raises(ValueError, match="input_dropout"):
        est.partial_fit(X, y)
