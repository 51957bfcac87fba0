"""skdropout.tuning: the Optuna search space and the pruning callback."""

import subprocess
import sys
import warnings

import pytest
from sklearn.datasets import load_digits
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from skdropout import DropoutMLPClassifier

optuna = pytest.importorskip(
    "optuna", reason="optuna is an optional extra: pip install '.[optuna]'"
)
from skdropout.tuning import (  # noqa: E402
    OptunaPruningCallback,
    param_distributions,
    suggest_params,
)

pytestmark = [
    pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning"),
    # Warnings raised inside optuna itself about its own API, not about ours.
    pytest.mark.filterwarnings("ignore::optuna.exceptions.ExperimentalWarning"),
    pytest.mark.filterwarnings("ignore:.*optuna.terminator.*:FutureWarning"),
]
optuna.logging.set_verbosity(optuna.logging.WARNING)

ESTIMATOR_PARAMS = {
    "dropout_rate",
    "input_dropout",
    "max_norm",
    "learning_rate_init",
    "hidden_layer_sizes",
}
MAX_ITER = 12


@pytest.fixture
def small_digits():
    """400 digits, pixels scaled to [0, 1]."""
    X, y = load_digits(return_X_y=True)
    return X[:400] / 16.0, y[:400]


def ask_with(study, **fixed):
    """A new trial of ``study`` whose parameters ``fixed`` are set."""
    if fixed:
        study.enqueue_trial(fixed)
    return study.ask()


# ------------------------------------------------------------ optional import
def test_import_error_names_the_extra_when_optuna_is_missing(
    tmp_path, child_environment
):
    # sys.modules[name] = None makes every import of optuna fail, as if it
    # were not installed; a fresh interpreter keeps this test's optuna intact.
    code = (
        "import sys\n"
        "sys.modules['optuna'] = None\n"
        "try:\n"
        "    import skdropout.tuning\n"
        "except ImportError as exc:\n"
        "    print(exc)\n"
        "else:\n"
        "    print('imported')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=child_environment,
        check=True,
    )
    assert "skdropout.tuning requires optuna" in result.stdout
    assert "'optuna' extra" in result.stdout
    assert 'pip install "skdropout[optuna]"' in result.stdout


# --------------------------------------------------------------- search space
@pytest.mark.parametrize("prefix", ["", "mlp__"])
def test_both_forms_give_the_same_estimator_parameters(prefix):
    trial = ask_with(optuna.create_study())
    suggested = suggest_params(trial, prefix=prefix)
    distributions = param_distributions(prefix=prefix)
    expected = {prefix + name for name in ESTIMATOR_PARAMS}
    assert set(suggested) == set(distributions) == expected


def test_both_forms_have_the_same_float_ranges():
    trial = ask_with(optuna.create_study())
    suggest_params(trial)
    distributions = param_distributions()
    for name in ["dropout_rate", "input_dropout", "learning_rate_init"]:
        assert trial.distributions[name] == distributions[name]
    assert distributions["dropout_rate"].low == 0.0
    assert distributions["dropout_rate"].high == 0.7
    assert distributions["input_dropout"].high == 0.5
    lr = distributions["learning_rate_init"]
    assert (lr.low, lr.high, lr.log) == (1e-4, 1e-1, True)


def test_max_norm_is_one_to_six_or_off_in_both_forms():
    study = optuna.create_study()
    on = ask_with(study, use_max_norm=True)
    assert suggest_params(on)["max_norm"] is not None
    off = ask_with(study, use_max_norm=False)
    assert suggest_params(off)["max_norm"] is None
    assert "max_norm" not in off.params  # no value drawn when it is off
    drawn = on.distributions["max_norm"]
    choices = param_distributions()["max_norm"].choices
    values = [c for c in choices if c is not None]
    assert None in choices
    assert (min(values), max(values)) == (drawn.low, drawn.high) == (1.0, 6.0)
    assert on.distributions["use_max_norm"].choices == (True, False)


def test_hidden_layers_have_the_same_depths_and_widths_in_both_forms():
    trial = ask_with(optuna.create_study())
    sizes = suggest_params(trial)["hidden_layer_sizes"]
    depth = trial.distributions["n_hidden_layers"]
    width = trial.distributions["hidden_layer_width"]
    assert (depth.low, depth.high) == (1, 3)
    assert (width.low, width.high, width.log) == (32, 512, True)
    assert sizes == (trial.params["hidden_layer_width"],) * len(sizes)
    choices = param_distributions()["hidden_layer_sizes"].choices
    assert {len(c) for c in choices} == {1, 2, 3}
    widths = {w for c in choices for w in c}
    assert (min(widths), max(widths)) == (32, 512)
    assert all(isinstance(c, tuple) and len(set(c)) == 1 for c in choices)


def test_suggested_values_lie_in_the_distributions_ranges():
    distributions = param_distributions()
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    for _ in range(50):
        params = suggest_params(study.ask())
        for name in ["dropout_rate", "input_dropout", "learning_rate_init"]:
            dist = distributions[name]
            assert dist.low <= params[name] <= dist.high
        assert params["max_norm"] is None or 1.0 <= params["max_norm"] <= 6.0
        sizes = params["hidden_layer_sizes"]
        assert 1 <= len(sizes) <= 3 and all(32 <= w <= 512 for w in sizes)


def test_prefix_names_the_trial_parameters_and_reaches_a_pipeline_step():
    trial = ask_with(optuna.create_study(), mlp__use_max_norm=True)
    params = suggest_params(trial, prefix="mlp__")
    assert all(name.startswith("mlp__") for name in trial.params)
    pipe = Pipeline([("scale", StandardScaler()), ("mlp", DropoutMLPClassifier())])
    pipe.set_params(**params)
    assert pipe.named_steps["mlp"].max_norm == params["mlp__max_norm"]
    assert (
        pipe.named_steps["mlp"].hidden_layer_sizes
        == (params["mlp__hidden_layer_sizes"])
    )


def test_fixed_trial_turns_best_params_back_into_estimator_params():
    drawn = {}

    def objective(trial):
        drawn[trial.number] = suggest_params(trial)
        return drawn[trial.number]["dropout_rate"]

    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=1))
    study.optimize(objective, n_trials=5)
    params = suggest_params(optuna.trial.FixedTrial(study.best_params))
    assert params == drawn[study.best_trial.number]
    DropoutMLPClassifier(**params)._validate_params()


def test_param_distributions_warns_about_nothing():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        param_distributions()


def test_optuna_search_cv_over_param_distributions(small_digits):
    optuna_integration = pytest.importorskip(
        "optuna_integration", reason="pip install '.[optuna]' brings it"
    )
    X, y = small_digits
    pipe = Pipeline(
        [
            ("scale", StandardScaler()),
            ("mlp", DropoutMLPClassifier(max_iter=8, random_state=0)),
        ]
    )
    search = optuna_integration.OptunaSearchCV(
        pipe,
        param_distributions(prefix="mlp__"),
        cv=2,
        n_trials=4,
        random_state=0,
        verbose=0,
    ).fit(X, y)
    assert len(search.trials_) == 4
    assert set(search.best_params_) == {"mlp__" + n for n in ESTIMATOR_PARAMS}
    best = search.best_estimator_.named_steps["mlp"]
    assert best.hidden_layer_sizes == search.best_params_["mlp__hidden_layer_sizes"]
    assert isinstance(best.hidden_layer_sizes, tuple)


# ------------------------------------------------------------------- pruning
def test_reports_one_validation_score_per_epoch_with_its_index_as_step(
    small_digits,
):
    X, y = small_digits
    study = optuna.create_study(direction="maximize")
    trial = study.ask()
    clf = DropoutMLPClassifier(
        hidden_layer_sizes=(32,),
        early_stopping=True,
        max_iter=6,
        n_iter_no_change=6,
        random_state=0,
    ).set_callbacks(OptunaPruningCallback(trial))
    clf.fit(X, y)
    reported = study.trials[0].intermediate_values
    assert list(reported) == list(range(clf.n_iter_))  # epoch index from 0
    assert list(reported.values()) == pytest.approx(clf.validation_scores_)


def test_trial_pruned_propagates_out_of_fit(Estimator, small_digits):
    X, y = small_digits
    # Every score is below 2, so the pruner prunes after the first epoch.
    study = optuna.create_study(
        direction="maximize", pruner=optuna.pruners.ThresholdPruner(lower=2.0)
    )
    trial = study.ask()
    clf = Estimator(
        hidden_layer_sizes=(16,), early_stopping=True, max_iter=10, random_state=0
    ).set_callbacks(OptunaPruningCallback(trial))
    with pytest.raises(optuna.TrialPruned, match="after epoch 1"):
        clf.fit(X, y)
    assert clf.n_iter_ == 1
    assert list(study.trials[0].intermediate_values) == [0]


def test_median_pruner_prunes_some_trials_early(small_digits):
    X, y = small_digits

    def objective(trial):
        clf = DropoutMLPClassifier(
            **suggest_params(trial),
            early_stopping=True,
            validation_fraction=0.2,
            max_iter=MAX_ITER,
            n_iter_no_change=MAX_ITER,  # no plateau stop: completed = all epochs
            random_state=0,
        ).set_callbacks(OptunaPruningCallback(trial))
        try:
            clf.fit(X, y)
        finally:
            trial.set_user_attr("epochs", clf.n_iter_)
        return clf.best_validation_score_

    study = optuna.create_study(
        direction="maximize",
        sampler=optuna.samplers.RandomSampler(seed=0),
        pruner=optuna.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=1),
    )
    study.optimize(objective, n_trials=10)
    states = optuna.trial.TrialState
    pruned = [t for t in study.trials if t.state == states.PRUNED]
    completed = [t for t in study.trials if t.state == states.COMPLETE]
    assert pruned and completed
    assert len(pruned) + len(completed) == 10
    assert all(t.user_attrs["epochs"] == MAX_ITER for t in completed)
    for t in pruned:
        # Pruned at the end of the last epoch it reported; never in the
        # pruner's warm-up (step 0, the first epoch).
        assert t.user_attrs["epochs"] == len(t.intermediate_values)
        assert 2 <= t.user_attrs["epochs"] < MAX_ITER


def test_callback_needs_early_stopping(small_digits):
    X, y = small_digits
    trial = optuna.create_study(direction="maximize").ask()
    clf = DropoutMLPClassifier(hidden_layer_sizes=(8,), max_iter=2)
    clf.set_callbacks(OptunaPruningCallback(trial))
    with pytest.raises(ValueError, match="set early_stopping=True"):
        clf.fit(X, y)
    assert not hasattr(clf, "n_iter_") or clf.n_iter_ == 0


def test_callback_refuses_a_study_that_minimizes(small_digits):
    X, y = small_digits
    trial = optuna.create_study(direction="minimize").ask()
    clf = DropoutMLPClassifier(hidden_layer_sizes=(8,), early_stopping=True)
    clf.set_callbacks(OptunaPruningCallback(trial))
    with pytest.raises(ValueError, match="direction='maximize'"):
        clf.fit(X, y)


def test_callback_rejects_an_unknown_monitor(small_digits):
    X, y = small_digits
    trial = optuna.create_study(direction="maximize").ask()
    clf = DropoutMLPClassifier(hidden_layer_sizes=(8,), early_stopping=True)
    clf.set_callbacks(OptunaPruningCallback(trial, monitor="accuracy"))
    with pytest.raises(ValueError, match="monitor must be one of"):
        clf.fit(X, y)


def test_callback_with_a_fixed_trial_never_prunes(small_digits):
    X, y = small_digits
    clf = DropoutMLPClassifier(
        hidden_layer_sizes=(8,), early_stopping=True, max_iter=3, n_iter_no_change=3
    )
    clf.set_callbacks(OptunaPruningCallback(optuna.trial.FixedTrial({})))
    clf.fit(X, y)
    assert clf.n_iter_ == 3


def test_callback_reports_the_score_of_an_explicit_validation_set(small_digits):
    X, y = small_digits
    trial = optuna.create_study(direction="maximize").ask()
    clf = DropoutMLPClassifier(hidden_layer_sizes=(8,), max_iter=3, random_state=0)
    clf.set_callbacks(OptunaPruningCallback(trial))
    clf.fit(X[:300], y[:300], X_val=X[300:], y_val=y[300:])
    assert len(trial.study.trials[0].intermediate_values) == clf.n_iter_
    with pytest.raises(ValueError, match="X_val="):
        clf.fit(X, y)


def test_callback_refuses_a_warm_started_fit_without_a_validation_set(small_digits):
    # The estimator still holds the validation curve of its first fit, which
    # the second fit pads with NaN: there is nothing to report.
    X, y = small_digits
    clf = DropoutMLPClassifier(
        hidden_layer_sizes=(8,), max_iter=2, warm_start=True, random_state=0
    )
    clf.fit(X[:300], y[:300], X_val=X[300:], y_val=y[300:])
    trial = optuna.create_study(direction="maximize").ask()
    clf.set_callbacks(OptunaPruningCallback(trial))
    with pytest.raises(ValueError, match="X_val="):
        clf.fit(X, y)
    assert trial.study.trials[0].intermediate_values == {}


def test_callback_refuses_a_multi_objective_study_before_training(small_digits):
    X, y = small_digits
    study = optuna.create_study(directions=["maximize", "minimize"])
    clf = DropoutMLPClassifier(hidden_layer_sizes=(8,), early_stopping=True)
    clf.set_callbacks(OptunaPruningCallback(study.ask()))
    with pytest.raises(ValueError, match="single-objective study"):
        clf.fit(X, y)
    assert not hasattr(clf, "n_iter_") or clf.n_iter_ == 0


def test_callback_in_partial_fit_says_to_report_scores_by_hand(small_digits):
    # partial_fit takes neither early_stopping nor X_val: the message must
    # not suggest them.
    X, y = small_digits
    clf = DropoutMLPClassifier(hidden_layer_sizes=(8,))
    study = optuna.create_study(direction="maximize")
    clf.set_callbacks(OptunaPruningCallback(study.ask()))
    with pytest.raises(ValueError, match="partial_fit scores no validation set") as e:
        clf.partial_fit(X, y, classes=list(range(10)))
    assert "early_stopping=True" not in str(e.value)


def test_callback_set_on_a_pipeline_says_to_set_it_on_the_network(small_digits):
    X, y = small_digits
    pipe = Pipeline(
        [
            ("scale", StandardScaler()),
            ("mlp", DropoutMLPClassifier(hidden_layer_sizes=(8,), early_stopping=True)),
        ]
    )
    trial = optuna.create_study(direction="maximize").ask()
    pipe.set_callbacks(OptunaPruningCallback(trial))
    with pytest.raises(ValueError, match=r"pipe\[-1\]\.set_callbacks"):
        pipe.fit(X, y)
    pipe.set_callbacks()  # none on the pipeline now
    pipe[-1].set_params(max_iter=2).set_callbacks(OptunaPruningCallback(trial))
    pipe.fit(X, y)
    assert len(trial.study.trials[0].intermediate_values) == 2
