"""The estimators under scikit-learn's callback framework (sklearn.callback)."""

import warnings

import numpy as np
import pytest
from _helpers import SMALL_NET
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import ClassifierMixin
from sklearn.callback import ProgressBar, ScoringMonitor
from sklearn.exceptions import ConvergenceWarning, NotFittedError

from skdropout import DropoutMLPClassifier

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

# Every epoch runs: no plateau stop before max_iter.
EVERY_EPOCH_NET = {**SMALL_NET, "hidden_layer_sizes": (8,), "n_iter_no_change": 100}


class Recorder:
    """Records every hook call as (hook, task_name, task_id)."""

    def __init__(self, stop_at_epoch=None):
        self.stop_at_epoch = stop_at_epoch
        self.calls = []

    def setup(self, estimator, context):
        self.calls.append(("setup", context.task_name, context.task_id))

    def on_fit_task_begin(self, estimator, context):
        self.calls.append(("begin", context.task_name, context.task_id))

    def on_fit_task_end(self, estimator, context):
        self.calls.append(("end", context.task_name, context.task_id))
        return context.task_name == "epoch" and estimator.n_iter_ == self.stop_at_epoch

    def teardown(self, estimator, context):
        self.calls.append(("teardown", context.task_name, context.task_id))


class KeepFittedEstimators:
    """Keeps the fitted estimator handed to the end of every epoch."""

    def __init__(self):
        self.fitted = []

    def setup(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context):
        pass

    def on_fit_task_end(self, estimator, context, *, fitted_estimator=None):
        if context.task_name == "epoch":
            self.fitted.append(fitted_estimator)

    def teardown(self, estimator, context):
        pass


def task_sequence(n_epochs, root="fit"):
    """The hook calls of a fit that runs ``n_epochs`` epochs to the end."""
    calls = [("setup", root, 0), ("begin", root, 0)]
    for epoch in range(n_epochs):
        calls += [("begin", "epoch", epoch), ("end", "epoch", epoch)]
    return [*calls, ("end", root, 0), ("teardown", root, 0)]


def test_progress_bar_runs_through_a_fit(Estimator, Xy):
    pytest.importorskip("rich", reason="ProgressBar draws with rich")
    X, y = Xy
    est = Estimator(**EVERY_EPOCH_NET).set_callbacks(ProgressBar())
    est.fit(X, y)
    assert est.n_iter_ == EVERY_EPOCH_NET["max_iter"]
    assert np.isfinite(est.score(X, y))


def test_scoring_monitor_records_one_score_per_epoch(Estimator, Xy):
    X, y = Xy
    scoring = "accuracy" if issubclass(Estimator, ClassifierMixin) else "r2"
    monitor = ScoringMonitor(scoring=scoring)
    est = Estimator(**EVERY_EPOCH_NET).set_callbacks(monitor).fit(X, y)
    rows = [r for r in monitor.get_logs().data if r["task_name"] == "epoch"]
    assert [r["task_id"] for r in rows] == list(range(est.n_iter_))
    assert all(np.isfinite(r[scoring]) for r in rows)
    # The hooks see the training data; after the last epoch the monitored
    # network is the final one.
    assert rows[-1][scoring] == pytest.approx(est.score(X, y))


def test_scoring_monitor_scores_are_not_weighted_by_class_weight(classification_data):
    # class_weight shapes the training loss only; a scorer given the fit's
    # metadata must see the user's sample_weight (none here), as with
    # LogisticRegression.
    X, y = classification_data
    monitor = ScoringMonitor(scoring="accuracy")
    clf = DropoutMLPClassifier(
        **EVERY_EPOCH_NET, class_weight={0: 1.0, 1: 1.0, 2: 40.0}
    )
    clf.set_callbacks(monitor).fit(X, y)
    rows = [r for r in monitor.get_logs().data if r["task_name"] == "epoch"]
    assert rows[-1]["accuracy"] == pytest.approx(clf.score(X, y))


def test_a_callback_returning_true_stops_after_that_epoch(Estimator, Xy):
    X, y = Xy
    recorder = Recorder(stop_at_epoch=3)
    est = Estimator(**{**EVERY_EPOCH_NET, "max_iter": 20}).set_callbacks(recorder)
    with warnings.catch_warnings():
        # Stopped by the callback, not by running out of epochs.
        warnings.simplefilter("error", ConvergenceWarning)
        est.fit(X, y)
    assert est.n_iter_ == 3
    assert len(est.loss_curve_) == 3
    assert recorder.calls == task_sequence(3)


def test_hooks_see_a_fit_task_with_one_epoch_task_per_epoch(Estimator, Xy):
    X, y = Xy
    recorder = Recorder()
    est = Estimator(**EVERY_EPOCH_NET).set_callbacks(recorder).fit(X, y)
    assert est.n_iter_ == EVERY_EPOCH_NET["max_iter"]
    assert recorder.calls == task_sequence(EVERY_EPOCH_NET["max_iter"])


def test_fitted_estimator_predicts_like_the_network_at_that_epoch(Estimator, Xy):
    X, y = Xy
    keeper = KeepFittedEstimators()
    est = Estimator(**EVERY_EPOCH_NET).set_callbacks(keeper).fit(X, y)
    assert len(keeper.fitted) == est.n_iter_
    # A fit stopped after two epochs (same seed, same draws) is the network
    # of the second epoch: the hook got a copy, not views that kept training.
    two_epochs = Estimator(**{**EVERY_EPOCH_NET, "max_iter": 2}).fit(X, y)
    at_epoch_2 = keeper.fitted[1]
    assert at_epoch_2 is not est
    for got, expected in zip(at_epoch_2.coefs_, two_epochs.coefs_):
        assert_array_equal(got, expected)
    if issubclass(Estimator, ClassifierMixin):
        assert_allclose(at_epoch_2.predict_proba(X), two_epochs.predict_proba(X))
    assert_allclose(at_epoch_2.predict(X), two_epochs.predict(X))
    assert_allclose(keeper.fitted[-1].predict(X), est.predict(X))


def test_partial_fit_is_one_epoch_task(Estimator, Xy):
    X, y = Xy
    recorder = Recorder()
    est = Estimator(**EVERY_EPOCH_NET).set_callbacks(recorder)
    kwargs = {"classes": np.unique(y)} if issubclass(Estimator, ClassifierMixin) else {}
    est.partial_fit(X, y, **kwargs)
    est.partial_fit(X, y)
    assert est.n_iter_ == 1
    assert recorder.calls == 2 * task_sequence(1, root="partial_fit")


def test_verbose_still_prints_sklearn_lines_with_callbacks(Estimator, Xy, capsys):
    X, y = Xy
    est = Estimator(**EVERY_EPOCH_NET, verbose=True, early_stopping=True)
    est.set_callbacks(Recorder()).fit(X, y)
    lines = capsys.readouterr().out.splitlines()
    iterations = [line for line in lines if line.startswith("Iteration ")]
    assert len(iterations) == est.n_iter_
    assert iterations[0].startswith("Iteration 1, loss = ")
    assert float(iterations[-1].split("loss = ")[1]) == pytest.approx(est.loss_)
    assert sum(line.startswith("Validation score: ") for line in lines) == est.n_iter_


def _without_callbacks(estimator):
    return estimator.set_callbacks()


def test_fitted_estimator_is_a_fit_stopped_at_that_epoch_in_every_attribute(
    Estimator, Xy
):
    X, y = Xy
    keeper = KeepFittedEstimators()
    est = Estimator(**EVERY_EPOCH_NET).set_callbacks(keeper).fit(X, y)
    two_epochs = Estimator(**{**EVERY_EPOCH_NET, "max_iter": 2}).fit(X, y)
    at_epoch_2 = keeper.fitted[1]
    assert at_epoch_2.n_iter_ == 2
    assert at_epoch_2.loss_curve_ == two_epochs.loss_curve_
    assert at_epoch_2._optimizer is not est._optimizer
    assert at_epoch_2._optimizer.t == two_epochs._optimizer.t


def test_training_the_fitted_estimator_leaves_the_original_alone(Estimator, Xy):
    X, y = Xy
    keeper = KeepFittedEstimators()
    est = Estimator(**EVERY_EPOCH_NET).set_callbacks(keeper).fit(X, y)
    before = [p.copy() for p in est.coefs_], list(est.loss_curve_)
    state_before = [a.copy() for a in est._optimizer.state_arrays()]

    _without_callbacks(keeper.fitted[1]).partial_fit(X, y)

    for got, expected in zip(est.coefs_, before[0]):
        assert_array_equal(got, expected)
    assert est.loss_curve_ == before[1]
    for got, expected in zip(est._optimizer.state_arrays(), state_before):
        assert_array_equal(got, expected)


def test_fitted_estimator_under_early_stopping_holds_the_best_weights(Estimator, Xy):
    # A fit stopped at an epoch keeps the best epoch's weights; so must the
    # estimator handed to the hook at that epoch.
    X, y = Xy
    keeper = KeepFittedEstimators()
    params = {**EVERY_EPOCH_NET, "max_iter": 8, "early_stopping": True}
    est = Estimator(**params).set_callbacks(keeper).fit(X, y)
    assert len(keeper.fitted) == est.n_iter_ > 1
    for epoch, fitted in enumerate(keeper.fitted, start=1):
        stopped = Estimator(**{**params, "max_iter": epoch}).fit(X, y)
        for got, expected in zip(fitted.coefs_, stopped.coefs_):
            assert_array_equal(got, expected)


class CaptureY:
    def __init__(self):
        self.shapes = []

    def setup(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context, *, y=None):
        self.shapes.append(np.shape(y))

    def on_fit_task_end(self, estimator, context):
        pass

    def teardown(self, estimator, context):
        pass


def test_hooks_get_y_in_the_shape_predict_returns(Estimator, Xy):
    X, y = Xy
    capture = CaptureY()
    est = Estimator(**EVERY_EPOCH_NET).set_callbacks(capture).fit(X, y)
    assert set(capture.shapes) == {est.predict(X).shape}


class RaiseAtEpoch:
    def __init__(self, epoch):
        self.epoch = epoch

    def setup(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context):
        pass

    def on_fit_task_end(self, estimator, context):
        if context.task_name == "epoch" and estimator.n_iter_ == self.epoch:
            raise RuntimeError("stop here")

    def teardown(self, estimator, context):
        pass


def test_a_callback_exception_under_early_stopping_leaves_the_best_weights(
    Estimator, Xy
):
    X, y = Xy
    params = {**EVERY_EPOCH_NET, "max_iter": 8, "early_stopping": True}
    est = Estimator(**params).set_callbacks(RaiseAtEpoch(6))
    with pytest.raises(RuntimeError, match="stop here"):
        est.fit(X, y)
    stopped = Estimator(**{**params, "max_iter": 6}).fit(X, y)
    for got, expected in zip(est.coefs_, stopped.coefs_):
        assert_array_equal(got, expected)


class RefuseAtSetup:
    """A callback whose setup refuses the fit, as a misconfigured one would."""

    def setup(self, estimator, context):
        raise ValueError("refused at setup")

    def on_fit_task_begin(self, estimator, context):
        pass

    def on_fit_task_end(self, estimator, context):
        pass

    def teardown(self, estimator, context):
        pass


def test_a_fresh_fit_refused_by_a_callback_leaves_no_network(Estimator, Xy):
    X, y = Xy
    est = Estimator(**EVERY_EPOCH_NET).set_callbacks(RefuseAtSetup())
    with pytest.raises(ValueError, match="refused at setup"):
        est.fit(X, y)
    with pytest.raises(NotFittedError, match="is not fitted yet"):
        est.predict(X)


def test_a_warm_fit_refused_by_a_callback_keeps_the_fitted_network(Estimator, Xy):
    X, y = Xy
    est = Estimator(**EVERY_EPOCH_NET, warm_start=True).fit(X, y)
    before = est.predict(X)
    est.set_callbacks(RefuseAtSetup())
    with pytest.raises(ValueError, match="refused at setup"):
        est.fit(X, y)
    assert_array_equal(est.predict(X), before)


class RefuseFirstEpoch(RefuseAtSetup):
    """Refuses when the first epoch begins: still before anything trains."""

    def setup(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context):
        if context.task_name == "epoch":
            raise ValueError("refused at the first epoch")


def test_a_fresh_fit_refused_when_its_first_epoch_begins_leaves_no_network(
    Estimator, Xy
):
    X, y = Xy
    est = Estimator(**EVERY_EPOCH_NET, max_norm=0.5).set_callbacks(RefuseFirstEpoch())
    with pytest.raises(ValueError, match="refused at the first epoch"):
        est.fit(X, y)
    with pytest.raises(NotFittedError, match="is not fitted yet"):
        est.predict(X)
    assert not hasattr(est, "_best_coefs")


class InterruptFirstEpoch(RefuseAtSetup):
    """Ctrl-C while the first epoch begins (a progress bar drawing, say)."""

    def setup(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context):
        if context.task_name == "epoch":
            raise KeyboardInterrupt


def test_ctrl_c_as_the_first_epoch_begins_is_an_interrupt_after_0_epochs(Estimator, Xy):
    X, y = Xy
    est = Estimator(**EVERY_EPOCH_NET).set_callbacks(InterruptFirstEpoch())
    with pytest.warns(UserWarning, match=r"interrupted by user after 0 completed"):
        est.fit(X, y)
    assert est.n_iter_ == 0


def fitted_without_a_cap(Estimator, Xy, **params):
    """A warm-started network fitted without max-norm, and its weights' values.

    Setting a cap on it then makes the next fit project the starting weights,
    in place, before its first epoch.
    """
    X, y = Xy
    params = {**EVERY_EPOCH_NET, "max_norm": None, **params}
    est = Estimator(**params, warm_start=True).fit(X, y)
    return est, X, y, [W.copy() for W in est.coefs_]


def test_a_warm_fit_refused_when_its_first_epoch_begins_keeps_the_unprojected_weights(
    Estimator, Xy
):
    # The warm fit's tighter cap projects the starting weights, in the
    # arrays the estimator holds, before the first epoch begins.
    est, X, y, before = fitted_without_a_cap(Estimator, Xy)
    est.set_params(max_norm=0.05).set_callbacks(RefuseFirstEpoch())
    with pytest.raises(ValueError, match="refused at the first epoch"):
        est.fit(X, y)
    for got, expected in zip(est.coefs_, before):
        assert_array_equal(got, expected)


@pytest.mark.parametrize("early_stopping", [False, True])
def test_ctrl_c_before_a_warm_fit_trains_keeps_the_unprojected_weights(
    Estimator, Xy, early_stopping
):
    est, X, y, before = fitted_without_a_cap(
        Estimator, Xy, early_stopping=early_stopping
    )
    record = est.best_validation_score_
    est.set_params(max_norm=0.05).set_callbacks(InterruptFirstEpoch())
    with pytest.warns(UserWarning, match=r"interrupted by user after 0 completed"):
        est.fit(X, y)
    for got, expected in zip(est.coefs_, before):
        assert_array_equal(got, expected)
    # Early stopping's record is that of the network kept, not the projected one.
    assert est.best_validation_score_ == record


def test_a_warm_fit_failing_between_projection_and_training_changes_nothing(
    Estimator, Xy, monkeypatch
):
    # Out of memory for the checkpoint, say: after the max-norm projection
    # changed the weights in place, before the first epoch.
    est, X, y, before = fitted_without_a_cap(Estimator, Xy, early_stopping=True)
    est.set_params(max_norm=0.05)
    state = {k: v for k, v in vars(est).items() if not k.startswith("_")}

    def no_memory(*args, **kwargs):
        raise MemoryError("no room for the checkpoint")

    monkeypatch.setattr("skdropout._epoch_loop.Checkpoint", no_memory)
    with pytest.raises(MemoryError, match="no room"):
        est.fit(X, y)
    for got, expected in zip(est.coefs_, before):
        assert_array_equal(got, expected)
    for name, value in state.items():
        assert getattr(est, name) is value, name


@pytest.mark.parametrize("early_stopping", [False, True])
def test_ctrl_c_before_a_fresh_fit_trains_keeps_its_network_within_the_cap(
    Estimator, Xy, early_stopping
):
    X, y = Xy
    params = {**EVERY_EPOCH_NET, "max_norm": 0.05, "early_stopping": early_stopping}
    est = Estimator(**params).set_callbacks(InterruptFirstEpoch())
    with pytest.warns(UserWarning, match=r"interrupted by user after 0 completed"):
        est.fit(X, y)
    for W in est.coefs_:
        assert np.linalg.norm(W, axis=0).max() <= 0.05 * (1 + 1e-6)


@pytest.mark.parametrize("warm", [False, True], ids=["fresh", "warm"])
def test_ctrl_c_while_a_fit_sets_up_its_first_epoch_changes_nothing(
    Estimator, Xy, monkeypatch, warm
):
    X, y = Xy
    est = Estimator(**EVERY_EPOCH_NET, max_norm=None, warm_start=True)
    if warm:
        est.fit(X, y)
        before = [W.copy() for W in est.coefs_]
    est.set_params(max_norm=0.05)

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("skdropout._epoch_loop.Checkpoint", interrupted)
    with pytest.raises(KeyboardInterrupt):
        est.fit(X, y)
    if warm:
        for got, expected in zip(est.coefs_, before):
            assert_array_equal(got, expected)
    else:
        with pytest.raises(NotFittedError, match="is not fitted yet"):
            est.predict(X)
