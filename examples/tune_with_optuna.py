"""
Tuning with Optuna, pruning unpromising trials
==============================================

Search the dropout network's hyperparameters with an Optuna study on the
handwritten digits bundled with scikit-learn. Each trial draws its settings
with :func:`skdropout.tuning.suggest_params` and trains with early-stopping
validation; :class:`skdropout.tuning.OptunaPruningCallback` reports the
validation accuracy after every epoch, and Optuna's
:class:`~optuna.pruners.MedianPruner` stops a trial whose accuracy falls below
the median of the earlier trials at the same epoch. The tuned network is then
compared with the untuned default one on a held-out test set.

Needs the ``optuna`` extra: ``pip install ".[optuna]"``.
"""

# %%
import warnings

import optuna
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from skdropout import DropoutMLPClassifier
from skdropout.tuning import OptunaPruningCallback, suggest_params

warnings.simplefilter("ignore", ConvergenceWarning)
optuna.logging.set_verbosity(optuna.logging.WARNING)

X, y = load_digits(return_X_y=True)
X = X / 16.0  # pixel intensities to [0, 1]
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, stratify=y, random_state=0
)

MAX_ITER = 20

# %%
# The objective trains on the training set only: ``early_stopping=True``
# holds out 20% of it and scores it after every epoch, which is what the
# callback reports. ``n_iter_no_change=MAX_ITER`` switches off the stop on a
# plateau, so that a trial ends early only when it is pruned.


def objective(trial):
    clf = DropoutMLPClassifier(
        **suggest_params(trial),
        early_stopping=True,
        validation_fraction=0.2,
        max_iter=MAX_ITER,
        n_iter_no_change=MAX_ITER,
        random_state=0,
    )
    clf.set_callbacks(OptunaPruningCallback(trial))
    clf.fit(X_train, y_train)  # raises optuna.TrialPruned to prune
    return clf.best_validation_score_


study = optuna.create_study(
    direction="maximize",
    sampler=optuna.samplers.TPESampler(seed=0),
    # Let 5 trials run to the end, then compare from the 4th epoch on.
    pruner=optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=3),
)
study.optimize(objective, n_trials=20)

# %%
# Each pruned trial reported one score per epoch it ran.
pruned = study.get_trials(states=[optuna.trial.TrialState.PRUNED])
complete = study.get_trials(states=[optuna.trial.TrialState.COMPLETE])
epochs_saved = sum(MAX_ITER - len(t.intermediate_values) for t in pruned)
print(f"trials: {len(study.trials)}, complete: {len(complete)}, pruned: {len(pruned)}")
print(
    f"epochs saved by pruning: {epochs_saved} of {MAX_ITER * len(study.trials)} "
    f"({epochs_saved / (MAX_ITER * len(study.trials)):.0%})"
)
print(f"best validation accuracy: {study.best_value:.4f}")
print("best parameters:")
best_params = suggest_params(optuna.trial.FixedTrial(study.best_params))
for name, value in best_params.items():
    shown = f"{value:.4g}" if isinstance(value, float) else value
    print(f"  {name} = {shown}")

# %%
# ``FixedTrial`` replays the best trial's draws through ``suggest_params``
# and gives back estimator parameters. Refit with them and compare with the
# default network on the test set, which no trial has seen. The comparison is
# not like for like: the tuned network trains for MAX_ITER epochs on 80% of
# the training set (the rest scores its epochs and keeps the best), the
# default one for up to 200 epochs on all of it; with a budget this small,
# the search is a demonstration of pruning more than of tuning.
tuned = DropoutMLPClassifier(
    **best_params,
    early_stopping=True,
    validation_fraction=0.2,  # as in the objective: the searched configuration
    max_iter=MAX_ITER,
    n_iter_no_change=MAX_ITER,
    random_state=0,
).fit(X_train, y_train)
default = DropoutMLPClassifier(random_state=0).fit(X_train, y_train)
print(f"test accuracy, tuned:   {tuned.score(X_test, y_test):.4f}")
print(f"test accuracy, default: {default.score(X_test, y_test):.4f}")
