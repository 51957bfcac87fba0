"""Hyperparameter search for the dropout networks with Optuna.

This module needs the ``optuna`` extra (``pip install ".[optuna]"``).
It holds

- one search space for :class:`~skdropout.DropoutMLPClassifier` and
  :class:`~skdropout.DropoutMLPRegressor`, following Srivastava et al.
  (2014), in two shapes: :func:`suggest_params` for a hand-written objective
  and :func:`param_distributions` for ``optuna_integration.OptunaSearchCV``;
- :class:`OptunaPruningCallback`, a scikit-learn callback that reports the
  validation score after every epoch and stops a trial that lags behind.

Searches run wherever Optuna, scikit-learn and joblib run them: a study
shared through a storage (a journal file, SQLite, PostgreSQL) spreads trials
over processes and machines, and ``n_jobs`` with a joblib backend (loky,
Dask) spreads the fits of ``GridSearchCV``. skdropout adds no scheduler.
"""

import inspect
import math
import warnings

from ._optional import import_optional

optuna = import_optional("optuna", extra="optuna", caller="skdropout.tuning")

__all__ = ["OptunaPruningCallback", "param_distributions", "suggest_params"]


# ------------------------------------------------------------ search space
# Each dimension knows its range once and renders it two ways: as trial
# suggestions (define-by-run, may branch) and as a single Optuna distribution
# whose values the estimator takes as they are (flat, for OptunaSearchCV).


class _Float:
    """A float drawn from [low, high], uniformly or on a log scale."""

    def __init__(self, name, low, high, *, log=False):
        self.name, self.low, self.high, self.log = name, low, high, log

    def suggest(self, trial, prefix):
        return trial.suggest_float(
            prefix + self.name, self.low, self.high, log=self.log
        )

    def distribution(self):
        return optuna.distributions.FloatDistribution(self.low, self.high, log=self.log)


class _FloatOrOff:
    """A float in [low, high], or None to switch the setting off.

    A trial first draws ``use_<name>``, then the value only if it is on.
    A flat distribution cannot branch, so it is a categorical over None and
    the whole numbers from low to high.
    """

    def __init__(self, name, low, high):
        self.name, self.low, self.high = name, low, high

    def suggest(self, trial, prefix):
        if trial.suggest_categorical(f"{prefix}use_{self.name}", [True, False]):
            return trial.suggest_float(prefix + self.name, self.low, self.high)
        return None

    def distribution(self):
        grid = range(math.ceil(self.low), math.floor(self.high) + 1)
        return optuna.distributions.CategoricalDistribution(
            [None, *(float(value) for value in grid)]
        )


class _EqualLayers:
    """Hidden layers of one width: a depth and a width on a log scale.

    A trial draws ``n_hidden_layers`` and ``hidden_layer_width`` as integers.
    A flat distribution must give the estimator a tuple at once, so it is a
    categorical over every depth and the powers of two between the widths.
    """

    def __init__(self, name, depth, width):
        self.name, self.depth, self.width = name, depth, width

    def suggest(self, trial, prefix):
        depth = trial.suggest_int(f"{prefix}n_hidden_layers", *self.depth)
        width = trial.suggest_int(f"{prefix}hidden_layer_width", *self.width, log=True)
        return (width,) * depth

    def distribution(self):
        low, high = (math.log2(w) for w in self.width)
        widths = [2**k for k in range(math.ceil(low), math.floor(high) + 1)]
        depths = range(self.depth[0], self.depth[1] + 1)
        with warnings.catch_warnings():
            # Optuna warns that tuples cannot go to a persistent storage; the
            # docstring of param_distributions says so and what to use there.
            warnings.filterwarnings(
                "ignore", message="Choices for a categorical distribution"
            )
            return optuna.distributions.CategoricalDistribution(
                [(width,) * depth for depth in depths for width in widths]
            )


# Ranges after Srivastava et al. (2014), appendix A: retention p of 0.5 to
# 0.8 for hidden units (drop 0.2 to 0.5) and about 0.8 for real-valued
# inputs, max-norm radius c of 3 to 4, dropout nets wider than plain ones
# and trained with larger steps. Each range runs past the advice on both
# sides, and 0 keeps "no dropout" in reach.
_SEARCH_SPACE = (
    _Float("dropout_rate", 0.0, 0.7),
    _Float("input_dropout", 0.0, 0.5),
    _FloatOrOff("max_norm", 1.0, 6.0),
    _Float("learning_rate_init", 1e-4, 1e-1, log=True),
    _EqualLayers("hidden_layer_sizes", depth=(1, 3), width=(32, 512)),
)


def suggest_params(trial, prefix=""):
    """Draw the dropout network's hyperparameters from an Optuna trial.

    For a hand-written objective: the trial's ``suggest_*`` methods draw

    - ``dropout_rate`` from [0, 0.7] and ``input_dropout`` from [0, 0.5];
    - ``use_max_norm`` (True or False), then ``max_norm`` from [1, 6] when
      it is True; when False the estimator gets ``max_norm=None``;
    - ``learning_rate_init`` from [1e-4, 1e-1] on a log scale;
    - ``n_hidden_layers`` from 1 to 3 and ``hidden_layer_width`` from 32 to
      512 on a log scale, which make ``hidden_layer_sizes``.

    Only ints, floats and bools are drawn, so the study can live in any
    Optuna storage. :func:`param_distributions` is the same space for
    ``OptunaSearchCV``.

    Parameters
    ----------
    trial : optuna.trial.Trial or optuna.trial.FixedTrial
        The trial to draw from. A :class:`~optuna.trial.FixedTrial` built from
        ``study.best_params`` turns the best trial back into estimator
        parameters.
    prefix : str, default=""
        Put before every trial parameter name and every returned key, such
        as ``"mlp__"`` for the step named ``mlp`` of a
        :class:`~sklearn.pipeline.Pipeline`.

    Returns
    -------
    params : dict
        Estimator parameters ``dropout_rate``, ``input_dropout``,
        ``max_norm``, ``learning_rate_init`` and ``hidden_layer_sizes``, each
        with ``prefix``, for ``set_params`` or the estimator's constructor.

    See Also
    --------
    param_distributions : The same search space as Optuna distributions.
    OptunaPruningCallback : Stop unpromising trials after an epoch.

    Examples
    --------
    >>> from optuna.trial import FixedTrial
    >>> from skdropout.tuning import suggest_params
    >>> trial = FixedTrial({
    ...     "dropout_rate": 0.5, "input_dropout": 0.2,
    ...     "use_max_norm": True, "max_norm": 3.0,
    ...     "learning_rate_init": 0.001,
    ...     "n_hidden_layers": 2, "hidden_layer_width": 256,
    ... })
    >>> suggest_params(trial)  # doctest: +NORMALIZE_WHITESPACE
    {'dropout_rate': 0.5, 'input_dropout': 0.2, 'max_norm': 3.0,
     'learning_rate_init': 0.001, 'hidden_layer_sizes': (256, 256)}

    In an objective, with the network as the step ``mlp`` of a pipeline:

    >>> import optuna
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.pipeline import Pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skdropout import DropoutMLPClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> pipe = Pipeline([("scale", StandardScaler()),
    ...                  ("mlp", DropoutMLPClassifier(max_iter=20, random_state=0))])
    >>> def objective(trial):
    ...     pipe.set_params(**suggest_params(trial, prefix="mlp__"))
    ...     return pipe.fit(X, y).score(X, y)
    >>> optuna.logging.set_verbosity(optuna.logging.WARNING)
    >>> study = optuna.create_study(
    ...     direction="maximize", sampler=optuna.samplers.RandomSampler(seed=0))
    >>> study.optimize(objective, n_trials=2)
    >>> sorted(study.best_params)[:2]
    ['mlp__dropout_rate', 'mlp__hidden_layer_width']
    """
    return {
        prefix + dimension.name: dimension.suggest(trial, prefix)
        for dimension in _SEARCH_SPACE
    }


def param_distributions(prefix=""):
    """The dropout network's search space as Optuna distributions.

    For ``optuna_integration.OptunaSearchCV``, which draws every parameter
    independently from a flat dict and hands the values to the estimator as
    they are. The space is the one of :func:`suggest_params`, with the two
    parameters that need a branch there made categorical:

    - ``dropout_rate``: float in [0, 0.7]; ``input_dropout``: float in
      [0, 0.5]; ``learning_rate_init``: float in [1e-4, 1e-1], log scale
      (the same distributions as in :func:`suggest_params`);
    - ``max_norm``: one of None (off), 1.0, 2.0, 3.0, 4.0, 5.0, 6.0;
    - ``hidden_layer_sizes``: a tuple of 1 to 3 equal widths, each a power
      of two from 32 to 512 (15 choices).

    Parameters
    ----------
    prefix : str, default=""
        Put before every key, such as ``"mlp__"`` for the step named ``mlp``
        of a :class:`~sklearn.pipeline.Pipeline`.

    Returns
    -------
    distributions : dict of str to optuna.distributions.BaseDistribution
        One distribution per estimator parameter: ``dropout_rate``,
        ``input_dropout``, ``max_norm``, ``learning_rate_init`` and
        ``hidden_layer_sizes``, each with ``prefix``.

    See Also
    --------
    suggest_params : The same search space drawn from a trial.

    Notes
    -----
    The choices of ``hidden_layer_sizes`` are tuples, which Optuna keeps in
    memory only: give ``OptunaSearchCV`` no ``study``, or one in memory. For
    a study in a database or journal file, shared by several processes, write
    the objective with :func:`suggest_params`, which draws plain numbers.

    Examples
    --------
    >>> from skdropout.tuning import param_distributions
    >>> distributions = param_distributions(prefix="mlp__")
    >>> distributions["mlp__dropout_rate"]
    FloatDistribution(high=0.7, log=False, low=0.0, step=None)
    >>> distributions["mlp__max_norm"].choices
    (None, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0)

    With ``OptunaSearchCV``:

    >>> import optuna
    >>> from optuna_integration import OptunaSearchCV
    >>> from sklearn.datasets import load_iris
    >>> from skdropout import DropoutMLPClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> optuna.logging.set_verbosity(optuna.logging.WARNING)
    >>> search = OptunaSearchCV(
    ...     DropoutMLPClassifier(max_iter=20, random_state=0),
    ...     param_distributions(), n_trials=2, cv=2, random_state=0,
    ... ).fit(X, y)
    >>> sorted(search.best_params_)  # doctest: +NORMALIZE_WHITESPACE
    ['dropout_rate', 'hidden_layer_sizes', 'input_dropout', 'learning_rate_init',
     'max_norm']
    """
    return {
        prefix + dimension.name: dimension.distribution() for dimension in _SEARCH_SPACE
    }


# ----------------------------------------------------------------- pruning
# What a monitor name reads: the per-epoch record the estimator keeps, and
# whether a higher value is better.
_MONITORS = {"validation_score": ("validation_scores_", True)}


class OptunaPruningCallback:
    """Report the validation score to an Optuna trial after every epoch.

    A scikit-learn fit callback (``estimator.set_callbacks(...)``): at the end
    of each training epoch it reports the score of the epoch to ``trial``,
    with the epoch's index (from 0) as the step, and raises
    :class:`optuna.TrialPruned` out of ``fit`` when the study's pruner says
    the trial is unlikely to beat the others. Let the exception leave the
    objective: Optuna records the trial as pruned.

    The score is the one the estimator computes on data it does not train on,
    without dropout, after each epoch: with ``early_stopping=True`` the held
    out ``validation_fraction`` of the training data, or the validation set
    given to ``fit`` as ``X_val`` and ``y_val``.

    Parameters
    ----------
    trial : optuna.trial.Trial
        The running trial. A :class:`~optuna.trial.FixedTrial` is accepted
        too and never prunes.
    monitor : {"validation_score"}, default="validation_score"
        What to report: ``"validation_score"`` is the last entry of
        ``validation_scores_`` (accuracy for a classifier, R² for a
        regressor), so the study must maximize.

    Attributes
    ----------
    trial : optuna.trial.Trial
        The trial given.
    monitor : str
        The monitored value.

    See Also
    --------
    suggest_params : Draw the estimator's hyperparameters from the trial.
    optuna.pruners.MedianPruner : Prune below the median of earlier trials.

    Notes
    -----
    The step is the epoch's index counted from 0, as Optuna's own
    integrations count epochs: ``n_iter_ - 1`` in a fresh fit, so a pruner's
    ``n_warmup_steps=k`` spares the first ``k`` epochs. It is the index into
    ``validation_scores_``, so it keeps counting across the fits of a
    ``warm_start`` estimator. Report one fit per trial: the folds of a
    cross-validation would report the same steps again, and Optuna keeps only
    the first value of each step.

    Examples
    --------
    >>> import optuna
    >>> from sklearn.datasets import load_digits
    >>> from skdropout import DropoutMLPClassifier
    >>> from skdropout.tuning import OptunaPruningCallback, suggest_params
    >>> X, y = load_digits(return_X_y=True)
    >>> X, y = X[:500] / 16, y[:500]
    >>> def objective(trial):
    ...     clf = DropoutMLPClassifier(
    ...         **suggest_params(trial), early_stopping=True, max_iter=10,
    ...         n_iter_no_change=10, random_state=0)
    ...     clf.set_callbacks(OptunaPruningCallback(trial))
    ...     clf.fit(X, y)
    ...     return clf.best_validation_score_
    >>> optuna.logging.set_verbosity(optuna.logging.WARNING)
    >>> study = optuna.create_study(
    ...     direction="maximize",
    ...     sampler=optuna.samplers.RandomSampler(seed=0),
    ...     pruner=optuna.pruners.MedianPruner(n_startup_trials=2),
    ... )
    >>> study.optimize(objective, n_trials=4)
    >>> len(study.trials[0].intermediate_values)  # one score per epoch
    10
    """

    def __init__(self, trial, monitor="validation_score"):
        self.trial = trial
        self.monitor = monitor

    def setup(self, estimator, context):
        """Check that the estimator records the monitored value and the study.

        Parameters
        ----------
        estimator : estimator instance
            The estimator being fitted.
        context : sklearn.callback.CallbackContext
            The root context of the fit.

        Raises
        ------
        ValueError
            If ``monitor`` is unknown, if the study minimizes, or if the
            estimator records no validation score in this fit.
        """
        if self.monitor not in _MONITORS:
            raise ValueError(
                f"monitor must be one of {sorted(_MONITORS)}, got {self.monitor!r}."
            )
        attribute, higher_is_better = _MONITORS[self.monitor]
        study = getattr(self.trial, "study", None)
        if study is not None and len(study.directions) > 1:
            # Optuna's Trial.report refuses multi-objective studies, and
            # would do so only after the first epoch had trained.
            raise ValueError(
                "OptunaPruningCallback needs a single-objective study: Optuna "
                "cannot report intermediate values or prune in a study with "
                f"{len(study.directions)} objectives."
            )
        if study is not None:
            maximize = study.direction == optuna.study.StudyDirection.MAXIMIZE
            if maximize != higher_is_better:
                wanted = "maximize" if higher_is_better else "minimize"
                raise ValueError(
                    f"OptunaPruningCallback reports {self.monitor!r}, so the study "
                    f"must be created with direction={wanted!r} for its pruner "
                    "to compare trials the right way round."
                )
        if not hasattr(estimator, attribute):
            # A Pipeline, say: set_callbacks on it reaches no network.
            raise ValueError(
                f"OptunaPruningCallback reads {attribute} after every epoch, "
                f"which {type(estimator).__name__} does not record. Set the "
                "callback on the DropoutMLPClassifier or DropoutMLPRegressor "
                "itself; in a Pipeline, on its last step: "
                "pipe[-1].set_callbacks(callback)."
            )
        record = getattr(estimator, attribute, None)
        # A warm-started fit without a validation set still has the curves of
        # the fits before it, which it extends with NaN.
        if record is None or not getattr(estimator, "_scores_validation_set", True):
            raise ValueError(
                _no_validation_message(estimator, self.monitor, context.task_name)
            )
        self._n_recorded_before = len(record)

    def on_fit_task_begin(self, estimator, context):
        """Do nothing: the score is known only at the end of an epoch.

        Parameters
        ----------
        estimator : estimator instance
            The estimator being fitted.
        context : sklearn.callback.CallbackContext
            The context of the task that begins.
        """

    def on_fit_task_end(self, estimator, context):
        """Report the epoch's value to the trial; raise TrialPruned to prune.

        Parameters
        ----------
        estimator : estimator instance
            The estimator being fitted.
        context : sklearn.callback.CallbackContext
            The context of the task that ended: an ``"epoch"``, or the whole
            fit, which is ignored.

        Returns
        -------
        stop : bool
            Always False: training goes on unless the trial is pruned.

        Raises
        ------
        optuna.TrialPruned
            If the study's pruner prunes the trial after this epoch.
        """
        # The end of the whole fit, or an epoch that diverged and was undone.
        if context.task_name != "epoch" or estimator.n_iter_ <= context.task_id:
            return False
        attribute, _ = _MONITORS[self.monitor]
        record = getattr(estimator, attribute)
        if len(record) - self._n_recorded_before < estimator.n_iter_:
            raise ValueError(_no_validation_message(estimator, self.monitor, "fit"))
        value, step = float(record[-1]), len(record) - 1
        self.trial.report(value, step)
        if self.trial.should_prune():
            raise optuna.TrialPruned(
                f"Pruned after epoch {step + 1} with {self.monitor} {value:.6g}."
            )
        return False

    def teardown(self, estimator, context):
        """Do nothing: the callback holds no resources.

        Parameters
        ----------
        estimator : estimator instance
            The estimator that was fitted.
        context : sklearn.callback.CallbackContext
            The root context of the fit.
        """


def _no_validation_message(estimator, monitor, task_name):
    name = type(estimator).__name__
    message = (
        f"OptunaPruningCallback reports the {monitor} after every epoch, but this "
        f"{task_name} of {name} records none: "
    )
    if task_name == "partial_fit":
        # partial_fit takes neither early stopping nor a validation set.
        return message + (
            "partial_fit scores no validation set, so report your own score "
            "with trial.report after each call instead."
        )
    message += (
        "set early_stopping=True, which holds out validation_fraction of the "
        "training data and scores it after each epoch"
    )
    fit = getattr(estimator, "fit", None)
    if fit is not None and "X_val" in _parameter_names(fit):
        message += ", or pass a validation set to fit(X, y, X_val=..., y_val=...)"
    return message + "."


def _parameter_names(function):
    try:
        return inspect.signature(function).parameters
    except (TypeError, ValueError):
        return {}
