"""What counts as a failed fit, and what a failed fit with a validation
record does (issue 17).

A finite blow-up (the loss climbing six orders of magnitude above its start,
or a classifier saturating at the clipped log-loss), an optimizer whose
moments overflowed, and an epoch that changed no weight are failed fits like
a non-finite one. With early stopping's validation record, a diverged fit
keeps its best validated weights and warns, as scikit-learn's MLP does;
without one it raises.
"""

import warnings

import numpy as np
import pytest
from _helpers import EpochRecorder, assert_parameters_equal, parameters
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.datasets import (
    load_iris,
    load_wine,
    make_classification,
    make_regression,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler

from skdropout import (
    DropoutMLPClassifier,
    DropoutMLPRegressor,
    _dead_network,
    _early_stopping,
)
from skdropout._blowup import GROWTH_LIMIT, SATURATION_EPOCHS, BlowUpRule
from skdropout._engine import LOSSES, Checkpoint, loss_lower_bound
from skdropout._probe import TrainingProbe

SKLEARN_SENTENCES = (
    "Solver produced non-finite parameter weights. The input data may contain "
    "large values and need to be preprocessed."
)


def issue_regression():
    X, y = make_regression(n_samples=60, n_features=5, random_state=0)
    return X, y / y.std()


def issue_classification():
    return make_classification(
        n_samples=60,
        n_features=5,
        n_informative=3,
        n_redundant=0,
        n_classes=3,
        random_state=0,
    )


class EpochEnds(EpochRecorder):
    """Records, at the end of every epoch, what a callback sees."""

    def __init__(self):
        super().__init__()
        self.seen = []

    def on_fit_task_end(self, estimator, context, **kwargs):
        if context.task_name == "epoch":
            scores = estimator.validation_scores_
            self.seen.append(
                {
                    "n_iter": estimator.n_iter_,
                    "score": None if not scores else scores[-1],
                    "params": parameters(estimator),
                }
            )
        return False


# ------------------------------------------------ part 1: finite blow-ups
@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_a_finite_regression_blow_up_under_max_norm_is_a_divergence(solver):
    X, y = issue_regression()
    reg = DropoutMLPRegressor(
        hidden_layer_sizes=(16,),
        solver=solver,
        learning_rate_init=1e6,
        max_iter=50,
        max_norm=3.0,
        random_state=0,
    )
    # The first epoch's loss is measured before its updates (1.07); the loss
    # on the probe rows after it has climbed past 1e11.
    with pytest.raises(ValueError, match="diverged in epoch 1: the loss on the"):
        reg.fit(X, y)
    assert reg.n_iter_ == 0
    assert np.isfinite(reg.predict(X)).all()


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_a_classifier_saturated_at_the_clipped_log_loss_is_a_divergence(solver):
    X, y = issue_classification()
    clf = DropoutMLPClassifier(
        hidden_layer_sizes=(16,),
        solver=solver,
        learning_rate_init=1e6,
        max_iter=50,
        random_state=0,
    )
    with pytest.raises(ValueError, match="clipped log-loss") as info:
        clf.fit(X, y)
    # Finite weights throughout: scikit-learn's sentences do not apply.
    assert not str(info.value).startswith("Solver produced")
    assert np.isfinite(clf.predict_proba(X)).all()


NO_DROPOUT = {"dropout_rate": 0.0, "max_norm": None}


def standardised_wine():
    X, y = load_wine(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def test_a_one_epoch_spike_at_the_clipped_log_loss_trains_on_as_sklearns_mlp():
    # With a step of 1.0 the second epoch's loss jumps to 21.6, past half the
    # clipped log-loss, and the fit then trains to an accuracy of 1.0.
    X, y = standardised_wine()
    params = {"learning_rate_init": 1.0, "max_iter": 30, "random_state": 0}
    ours = DropoutMLPClassifier(**params, **NO_DROPOUT).fit(X, y)
    theirs = MLPClassifier(**params).fit(X, y)
    assert max(ours.loss_curve_) > 18
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-10)
    assert ours.score(X, y) == theirs.score(X, y) == 1.0


def test_a_fit_that_ends_on_a_saturated_epoch_raises():
    X, y = standardised_wine()
    clf = DropoutMLPClassifier(
        learning_rate_init=1.0, max_iter=2, random_state=0, **NO_DROPOUT
    )
    with pytest.raises(ValueError, match="Training ended in epoch 2 but the training"):
        clf.fit(X, y)


def test_a_large_alpha_is_no_saturated_log_loss():
    # The penalty alone puts the loss at 27, past half the clipped log-loss,
    # while the weights barely move: a healthy fit, as sklearn's MLP says.
    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    params = {
        "alpha": 30.0,
        "batch_size": 8,
        "learning_rate_init": 1e-9,
        "max_iter": 5,
        "random_state": 0,
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours = DropoutMLPClassifier(**params, **NO_DROPOUT).fit(X, y)
        theirs = MLPClassifier(**params).fit(X, y)
    assert min(ours.loss_curve_) > 18
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-10)


def test_the_growth_limit_separates_a_loss_just_below_from_one_just_above():
    Y = np.array([[0.0], [2.0], [4.0]])
    start = np.array([[1.0], [2.0], [3.0]])
    rule = BlowUpRule("squared_error", start, Y)
    # Constant prediction 2: ((2^2 + 0 + 2^2) / 3) / 2 = 4 / 3, above the
    # starting network's 1 / 3.
    assert rule.reference == pytest.approx(4 / 3)
    assert rule.sign(0.99 * GROWTH_LIMIT * rule.reference) is None
    assert "climbed" in rule.sign(1.01 * GROWTH_LIMIT * rule.reference)


def test_gaussian_growth_is_measured_from_the_least_value_the_loss_takes():
    # A continued network that fits well starts with a negative loss; from
    # 0 the reference would be the rounding floor and any epoch a blow-up.
    Y = np.array([[0.0], [0.1], [0.2]])
    start = np.array([[0.0, -9.0], [0.1, -9.0], [0.2, -9.0]])  # variance 1e-6 + e^-9
    rule = BlowUpRule("gaussian_nll", start, Y)
    least = loss_lower_bound("gaussian_nll", 1)
    assert least < 0
    start_loss = LOSSES["gaussian_nll"](
        Y, start, None, (np.empty_like(start), np.empty_like(start))
    )
    assert start_loss < 0
    assert rule.reference >= start_loss - least
    assert rule.sign(1.0) is None
    assert rule.sign(least + 0.99 * GROWTH_LIMIT * rule.reference) is None
    message = rule.sign(least + 1.01 * GROWTH_LIMIT * rule.reference)
    assert "least value the loss" in message


@settings(max_examples=150, deadline=None)
@given(
    loss_name=st.sampled_from(["squared_error", "log_loss", "gaussian_nll"]),
    start_scale=st.floats(1e-3, 1e9),
    loss_factor=st.floats(0.0, 4.0),
    probe_factor=st.one_of(st.none(), st.floats(0.0, 4.0)),
    near_saturation=st.booleans(),
)
def test_a_start_asked_for_lazily_gives_the_eager_rules_verdicts(
    loss_name, start_scale, loss_factor, probe_factor, near_saturation
):
    rng = np.random.RandomState(0)
    if loss_name == "log_loss":
        Y = np.eye(3)[rng.randint(0, 3, 12)]
        logits = rng.normal(scale=min(start_scale, 700.0), size=(12, 3))
        start = np.exp(logits - logits.max(axis=1, keepdims=True))
        start /= start.sum(axis=1, keepdims=True)
    elif loss_name == "gaussian_nll":
        Y = rng.normal(size=(12, 1))
        start = np.c_[start_scale * rng.normal(size=12), np.full(12, -5.0)]
    else:
        Y = rng.normal(size=(12, 1))
        start = start_scale * rng.normal(size=(12, 1))
    asked = []

    def lazily():
        asked.append(True)
        return start

    eager = BlowUpRule(loss_name, start, Y)
    lazy = BlowUpRule(loss_name, lazily, Y)
    least = loss_lower_bound(loss_name, Y.shape[1])
    # Losses around the limits, where a wrong shortcut would show: the
    # growth limit over the reference, or the clipped log-loss's bound.
    scale = GROWTH_LIMIT * eager.reference
    if near_saturation and loss_name == "log_loss":
        scale = -np.log(np.finfo(np.float64).eps)
    loss = least + loss_factor * scale
    probe_loss = None if probe_factor is None else least + probe_factor * scale
    # The same epoch over and over: saturation counts from its third.
    verdicts = [lazy.sign(loss, probe_loss) for _ in range(SATURATION_EPOCHS)]
    assert verdicts == [eager.sign(loss, probe_loss) for _ in range(SATURATION_EPOCHS)]
    # The rule as documented, on the reference with the start in it.
    limit = least + GROWTH_LIMIT * eager.reference
    saturation = -np.log(np.finfo(np.float64).eps) / 2
    grown = loss > limit or (probe_loss is not None and probe_loss > limit)
    saturated = (
        loss_name == "log_loss" and loss >= saturation and loss >= 4 * eager.reference
    )
    assert (verdicts[0] is not None) == grown
    assert (verdicts[-1] is not None) == (grown or saturated)
    if verdicts[-1] is not None:
        assert asked


def test_a_start_is_not_asked_for_while_the_losses_stay_low():
    Y = np.array([[0.0], [2.0], [4.0]])

    def refuse():
        raise AssertionError("the start was scored")

    rule = BlowUpRule("squared_error", refuse, Y)
    assert rule.sign(1.0, 2.0) is None


def test_the_probe_scores_the_network_a_checkpoint_saved():
    X, y = make_regression(60, 4, random_state=0)
    reg = DropoutMLPRegressor(hidden_layer_sizes=(5, 3), max_iter=2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg.fit(X, y)
    before = reg.predict(X)
    flat = reg.coefs_[0].base
    assert flat is not None and all(a.base is flat for a in reg.intercepts_)
    checkpoint = Checkpoint([flat], reg._optimizer)
    flat *= 0.5  # the live network moves on
    probe = TrainingProbe(
        reg, type("T", (), {"coefs": reg.coefs_})(), X, y[:, None], None
    )

    saved_output = probe.score_saved(checkpoint)

    np.testing.assert_allclose(saved_output[:, 0], before, rtol=1e-12)
    assert not np.allclose(reg.predict(X), before)


def test_saturation_counts_only_far_above_a_start_that_is_itself_high():
    eps_loss = -np.log(np.finfo(np.float32).eps)  # 15.9 per softmax output
    Y = np.eye(3, dtype=np.float32)
    start = np.full((3, 3), 1 / 3, dtype=np.float32)
    rule = BlowUpRule("log_loss", start, Y)  # reference log(3)
    assert [rule.sign(0.49 * eps_loss) for _ in range(5)] == [None] * 5
    verdicts = [rule.sign(0.51 * eps_loss) for _ in range(SATURATION_EPOCHS)]
    assert "clipped log-loss" in verdicts[-1]
    # 4000 classes start at log(4000) = 8.3, above half the float32 bound:
    # not a blow-up.
    many = np.full((2, 4000), 1 / 4000, dtype=np.float32)
    Y_many = np.zeros((2, 4000), dtype=np.float32)
    Y_many[:, :2] = np.eye(2)
    rule = BlowUpRule("log_loss", many, Y_many)
    assert [rule.sign(0.6 * eps_loss) for _ in range(5)] == [None] * 5


def test_saturation_is_a_blow_up_only_in_three_epochs_in_a_row():
    eps_loss = -np.log(np.finfo(np.float64).eps)
    rule = BlowUpRule("log_loss", np.full((3, 3), 1 / 3), np.eye(3))
    saturated, recovered = 0.6 * eps_loss, 1.0
    # Two saturated epochs, then one below: the count starts again.
    assert rule.sign(saturated) is None
    assert rule.sign(saturated) is None
    assert rule.ended_saturated() is not None  # a fit ending here ends saturated
    assert rule.sign(recovered) is None
    assert rule.ended_saturated() is None
    assert [rule.sign(saturated) for _ in range(2)] == [None, None]
    assert "3 epochs in a row" in rule.sign(saturated)


def test_a_partial_fit_stream_carries_its_saturated_epochs_into_the_next_call():
    eps_loss = -np.log(np.finfo(np.float64).eps)
    rule = BlowUpRule("log_loss", np.full((3, 3), 1 / 3), np.eye(3), saturated_epochs=2)
    assert "3 epochs in a row" in rule.sign(0.6 * eps_loss)


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("Estimator", [DropoutMLPClassifier, DropoutMLPRegressor])
def test_noisy_dropout_fits_on_small_data_do_not_trip_the_rules(Estimator, seed):
    # Heavy dropout, tiny minibatches, 24 rows, a large Adam step: the loss
    # jumps from epoch to epoch, but by nothing like orders of magnitude.
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(24, 4))
    y = (X[:, 0] > 0).astype(int) if Estimator is DropoutMLPClassifier else X[:, 0]
    est = Estimator(
        hidden_layer_sizes=(32, 16),
        dropout_rate=0.5,
        input_dropout=0.2,
        batch_size=4,
        learning_rate_init=0.05,
        max_iter=60,
        random_state=seed,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.filterwarnings("ignore", "Stochastic Optimizer", ConvergenceWarning)
        est.fit(X, y)
    assert len(est.loss_curve_) == est.n_iter_


# ------------------------------------------- failures inside the optimizer
def test_an_overflowed_adam_moment_is_a_failed_fit():
    # Targets of 1e200: the squared gradients overflow Adam's second moment,
    # every step is 0, and the loss sat flat until the plateau rule ended
    # the fit as if it had converged.
    X = np.random.RandomState(0).randn(40, 3)
    reg = DropoutMLPRegressor(loss="poisson", dropout_rate=0, random_state=0)
    with pytest.raises(ValueError, match="moment estimates overflowed"):
        reg.fit(X, np.full(40, 1e200))
    assert reg.n_iter_ == 0
    assert np.isfinite(reg.coefs_[0]).all()


def test_an_epoch_that_changes_no_weight_is_a_stalled_fit():
    X = np.random.RandomState(0).randn(40, 3)
    reg = DropoutMLPRegressor(learning_rate_init=1e-30, max_iter=3, random_state=0)
    with pytest.raises(ValueError, match="stalled in epoch 1: no weight changed"):
        reg.fit(X, X @ [1.0, 2.0, 3.0])
    # The advice is the opposite of a divergence's.
    with pytest.raises(ValueError, match="Raise learning_rate_init"):
        reg.fit(X, X @ [1.0, 2.0, 3.0])


@pytest.mark.parametrize(
    "params, named",
    [
        (
            {
                "solver": "sgd",
                "learning_rate": "invscaling",
                "power_t": 10.0,
                "momentum": 0.0,
                "learning_rate_init": 0.5,
            },
            "or lower power_t (now 10.0)",
        ),
        ({"epsilon": 1e300}, "or lower epsilon (now 1e+300)"),
    ],
)
def test_a_stalled_fit_names_the_setting_that_shrank_its_steps(params, named):
    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    clf = DropoutMLPClassifier(max_iter=20, random_state=0, **params)
    with pytest.raises(ValueError, match="stalled") as info:
        clf.fit(X, y)
    assert named in str(info.value)


# --------------------------------- part 2: with and without a validation set
def sklearn_diverging_loss_regressor():
    """scikit-learn's test_mlp_diverging_loss settings, our class."""
    return DropoutMLPRegressor(
        hidden_layer_sizes=100,
        activation="identity",
        solver="sgd",
        alpha=0.0001,
        learning_rate="constant",
        learning_rate_init=1,
        shuffle=True,
        max_iter=20,
        early_stopping=True,
        n_iter_no_change=10,
        random_state=0,
    )


def test_sklearn_diverging_loss_scenario_passes():
    X, y = load_iris(return_X_y=True)
    mlp = sklearn_diverging_loss_regressor()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        mlp.fit(X, y)
    assert str(mlp.validation_scores_[-1]) == str(np.nan)
    assert isinstance(mlp.validation_scores_[-1], float)


def test_divergence_with_early_stopping_keeps_the_best_weights_and_warns():
    X, y = load_iris(return_X_y=True)
    mlp = sklearn_diverging_loss_regressor()
    ends = EpochEnds()
    mlp.set_callbacks(ends)
    with pytest.warns(ConvergenceWarning, match="Training diverged in epoch") as w:
        mlp.fit(X, y)
    (warning,) = [x for x in w if "diverged" in str(x.message)]
    assert warning.filename == __file__  # at the user's line
    message = str(warning.message)
    assert "weights that scored best on the validation set" in message
    assert "learning_rate_init (now 1)" in message
    # The curves and counters describe what happened: the diverged epoch is
    # recorded, with a NaN validation score.
    assert mlp.n_iter_ == len(mlp.loss_curve_) == len(mlp.validation_scores_)
    assert len(mlp.validation_loss_curve_) == mlp.n_iter_
    assert np.isnan(mlp.validation_scores_[-1])
    assert np.isfinite(mlp.validation_scores_[:-1]).all()
    assert mlp.best_validation_score_ == np.nanmax(mlp.validation_scores_)
    # The weights are those of the best epoch, and predict is finite.
    best = int(np.nanargmax(mlp.validation_scores_))
    assert np.isfinite(mlp.predict(X)).all()
    # A callback saw every epoch end, the diverged one last, with the state
    # the fit returns.
    assert [seen["n_iter"] for seen in ends.seen] == list(range(1, mlp.n_iter_ + 1))
    assert np.isnan(ends.seen[-1]["score"])
    assert_parameters_equal(ends.seen[-1]["params"], parameters(mlp))
    assert_parameters_equal(ends.seen[best]["params"], parameters(mlp))


def test_divergence_in_the_first_epoch_with_early_stopping_still_raises():
    # No epoch was validated: there are no best validated weights to keep.
    X, y = issue_regression()
    reg = DropoutMLPRegressor(
        solver="sgd",
        learning_rate_init=1e300,
        early_stopping=True,
        max_iter=5,
        random_state=0,
    )
    with pytest.raises(ValueError, match="diverged in epoch 1"):
        reg.fit(X * 1e5, y)
    assert reg.n_iter_ == 0


@pytest.mark.parametrize("Estimator", [DropoutMLPClassifier, DropoutMLPRegressor])
def test_non_finite_weights_without_validation_start_with_sklearns_words(Estimator):
    X, y = issue_classification()
    est = Estimator(
        solver="sgd", learning_rate_init=1e300, max_norm=None, random_state=0
    )
    with pytest.raises(ValueError) as info:
        est.fit(X * 1e100, y)
    message = str(info.value)
    assert message.startswith(SKLEARN_SENTENCES)
    assert "Training diverged in epoch 1" in message
    assert np.isfinite(est.predict(X)).all()


def test_a_finite_blow_up_in_partial_fit_raises_and_keeps_the_last_state():
    X, y = issue_regression()
    reg = DropoutMLPRegressor(
        hidden_layer_sizes=(16,),
        solver="sgd",
        learning_rate_init=1e6,
        max_norm=3.0,
        random_state=0,
    )
    recorder = EpochRecorder()
    reg.set_callbacks(recorder)
    # One call is one epoch, its loss measured before its updates (1.07);
    # the loss on the probe rows after it shows that the updates blew the
    # network up, and the call is undone like a diverged epoch of fit.
    with pytest.raises(ValueError, match="probed training rows climbed"):
        reg.partial_fit(X, y)
    assert reg.n_iter_ == 0 and reg.loss_curve_ == []
    assert_parameters_equal(parameters(reg), recorder.at_begin[0])
    assert np.isfinite(reg.predict(X)).all()


def test_the_pruning_callback_reports_the_diverged_epoch_and_the_fit_returns():
    optuna = pytest.importorskip(
        "optuna", reason="optuna is an optional extra: pip install '.[optuna]'"
    )
    from skdropout.tuning import OptunaPruningCallback

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    X, y = load_iris(return_X_y=True)
    study = optuna.create_study(direction="maximize")
    trial = study.ask()
    mlp = sklearn_diverging_loss_regressor()
    mlp.set_callbacks(OptunaPruningCallback(trial))
    with pytest.warns(ConvergenceWarning, match="diverged"):
        mlp.fit(X, y)
    reported = study.trials[0].intermediate_values
    assert sorted(reported) == list(range(mlp.n_iter_))
    assert np.isnan(reported[mlp.n_iter_ - 1])
    assert reported[0] == mlp.validation_scores_[0]


# ---------------------------------------------------------- dead networks
def _standardised_regression():
    X, y = make_regression(200, 5, noise=5, random_state=0)
    return (X - X.mean(0)) / X.std(0), (y - y.mean()) / y.std()


def test_a_fit_that_kills_every_relu_of_a_layer_warns_that_it_is_constant():
    # A step far too large pushes every unit below zero for good (max-norm
    # keeps the weights from blowing up meanwhile); the output bias still
    # learns, so the loss settles and nothing else says so.
    X, y = _standardised_regression()
    reg = DropoutMLPRegressor(
        hidden_layer_sizes=(16,),
        dropout_rate=0.5,
        max_iter=50,
        learning_rate_init=10.0,
        max_norm=3.0,
        random_state=0,
    )
    with pytest.warns(ConvergenceWarning, match="hidden layer 1 outputs 0 on every"):
        reg.fit(X, y)
    assert np.ptp(reg.predict(X)) == 0


def test_a_healthy_fit_does_not_warn_about_dead_units():
    X, y = _standardised_regression()
    reg = DropoutMLPRegressor(hidden_layer_sizes=(16,), max_iter=50, random_state=0)
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "error", message="Every unit", category=ConvergenceWarning
        )
        warnings.filterwarnings("ignore", message="Stochastic Optimizer")
        reg.fit(X, y)


def _one_epoch_net(X, y, hidden=(2,)):
    reg = DropoutMLPRegressor(hidden_layer_sizes=hidden, max_iter=1, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return reg.fit(X, y)


def test_a_unit_alive_only_outside_the_probe_rows_keeps_the_network_alive():
    X, y = _standardised_regression()
    reg = _one_epoch_net(X, y)
    # Unit 0 positive on one row only, unit 1 never: the probe of the other
    # rows sees a silent layer and equal outputs, all the rows do not.
    reg.coefs_[0][:] = 0.0
    reg.coefs_[0][0, 0] = 1.0
    reg.intercepts_[0][:] = [-np.sort(X[:, 0])[-2] - 1e-9, -np.inf]
    probe = np.delete(X, np.argmax(X[:, 0]), axis=0)
    probe_output = reg._forward(probe, check_input=False)
    assert np.ptp(probe_output) == 0
    assert _dead_network.dead_layer(reg, probe) == 1
    assert _dead_network.dead_layer(reg, X) is None
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        _dead_network.warn_if_dead(reg, probe_output, X)
    with pytest.warns(ConvergenceWarning, match="Every unit of hidden layer 1"):
        _dead_network.warn_if_dead(reg, probe_output, probe)


def test_identical_rows_through_live_units_are_no_dead_layer():
    X = np.ones((30, 3))
    reg = _one_epoch_net(X, np.arange(30.0))
    reg.intercepts_[0][:] = 1.0  # every unit positive on the one input
    output = reg._forward(X, check_input=False)
    assert np.ptp(output) == 0
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        _dead_network.warn_if_dead(reg, output, X)


def test_varying_outputs_settle_the_question_without_another_pass(monkeypatch):
    X, y = _standardised_regression()
    reg = _one_epoch_net(X, y, hidden=(8,))

    def refuse(*args, **kwargs):
        raise AssertionError("the training rows were passed through")

    monkeypatch.setattr(_dead_network, "dead_layer", refuse)
    _dead_network.warn_if_dead(reg, reg._forward(X[::4], check_input=False), X)


@pytest.mark.parametrize("best_is_dead", [True, False])
def test_with_early_stopping_the_check_judges_the_best_weights_it_keeps(
    monkeypatch, best_is_dead
):
    X, y = _standardised_regression()
    restore_best = _early_stopping.EarlyStopping.restore_best

    def restore_and_set_the_first_layer(self):
        restore_best(self)
        # Best weights that differ from the last epoch's in what matters.
        self._estimator.intercepts_[0][:] = -np.inf if best_is_dead else 1.0
        self._estimator.coefs_[0][:] = 0.0 if not best_is_dead else 1.0

    monkeypatch.setattr(
        _early_stopping.EarlyStopping, "restore_best", restore_and_set_the_first_layer
    )
    reg = DropoutMLPRegressor(
        hidden_layer_sizes=(8,), max_iter=3, early_stopping=True, random_state=0
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        reg.fit(X, y)
    warned = any("Every unit" in str(w.message) for w in caught)
    assert warned == best_is_dead
