"""Shared estimator logic: validation, initialisation and the epoch loop."""

import copy
import math
import os
import sys
import warnings
from numbers import Integral, Real
from typing import Any, NamedTuple

import numpy as np
import scipy.sparse as sp
import sklearn
from sklearn import get_config
from sklearn.base import BaseEstimator, _fit_context, is_classifier
from sklearn.callback import CallbackSupportMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    validate_data,
)

from ._engine import (
    LOSSES,
    AdamOptimizer,
    Checkpoint,
    DropoutMasks,
    MinibatchTrainer,
    SGDOptimizer,
    forward,
    forward_stochastic,
    forward_stochastic_chunks,
    pack_parameters,
    packed_buffer,
)


class _Split(NamedTuple):
    """Training rows and, with early stopping, the held-out validation rows."""

    X: Any
    y: Any
    sample_weight: Any
    X_val: Any
    y_val: Any  # labels (classifier) or targets, as the score function wants
    sw_val: Any
    Y_val: Any  # encoded like the network's output, for the validation loss
    # The training rows' weights in the loss: sample_weight times the class
    # weights. Callbacks and validation scores see sample_weight alone.
    fit_weight: Any


# Warnings about the user's call point at the first frame outside this
# package and scikit-learn (whose score and Pipeline call our methods).
_LIBRARY_DIRS = tuple(
    os.path.dirname(os.path.abspath(path)) + os.sep
    for path in (__file__, sklearn.__file__)
)

# Rows per chunk of the prediction forward pass: bounds the memory of the
# hidden activations for very tall X while keeping BLAS calls large.
_PREDICT_CHUNK_ROWS = 8192

# Attributes of scikit-learn's callback framework, set around fit.
_CALLBACK_ATTRIBUTES = ("_skl_", "_callback_")


class BaseDropoutMLP(CallbackSupportMixin, BaseEstimator):
    """Base class of the dropout MLP estimators; not meant to be used directly."""

    _parameter_constraints: dict = {
        "hidden_layer_sizes": [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
        ],
        "activation": [StrOptions({"identity", "logistic", "tanh", "relu"})],
        # 'lbfgs' passes this check so that _check_solver can say why it is
        # refused, instead of sklearn's bare list of the allowed values.
        "solver": [StrOptions({"sgd", "adam", "lbfgs"})],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [
            StrOptions({"auto"}),
            Interval(Integral, 1, None, closed="left"),
        ],
        "learning_rate": [StrOptions({"constant", "invscaling", "adaptive"})],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "n_iter_no_change": [
            Interval(Integral, 1, None, closed="left"),
            Options(Real, {np.inf}),
        ],
        # Only L-BFGS reads it; accepted so that sklearn MLP parameters carry over.
        "max_fun": [Interval(Integral, 1, None, closed="left")],
        "dropout_rate": [Interval(Real, 0, 1, closed="left"), "array-like"],
        "input_dropout": [Interval(Real, 0, 1, closed="left")],
        "max_norm": [None, Interval(Real, 0, None, closed="neither")],
        "dropout_type": [StrOptions({"bernoulli", "gaussian"})],
    }

    # ------------------------------------------------------------ validation
    def _check_solver(self):
        if self.solver == "lbfgs":
            raise ValueError(
                f"The 'solver' parameter of {type(self).__name__} cannot be "
                "'lbfgs': L-BFGS is a full-batch quasi-Newton method, so it has "
                "no minibatches to drop units in. Use solver='adam' (the "
                "default) or 'sgd', or scikit-learn's MLP for an L-BFGS fit "
                "without dropout."
            )

    def _hidden_layer_sizes_list(self):
        sizes = self.hidden_layer_sizes
        if isinstance(sizes, dict | set | frozenset):
            # Iterable, but with no order of layers to give.
            raise TypeError(
                "hidden_layer_sizes must be an int or a sequence of ints, got "
                f"{sizes!r}."
            )
        if not hasattr(sizes, "__iter__"):
            sizes = [sizes]
        sizes = list(sizes)
        for size in sizes:
            if not isinstance(size, Integral | np.integer) or isinstance(size, bool):
                raise TypeError(
                    "hidden_layer_sizes must contain integers, got "
                    f"{self.hidden_layer_sizes!r}."
                )
            if size <= 0:
                raise ValueError(
                    f"hidden_layer_sizes must be > 0, got {self.hidden_layer_sizes!r}."
                )
        return [int(s) for s in sizes]

    def _hidden_dropout_rates(self, n_hidden):
        """One drop probability per hidden layer, validated."""
        rates = self.dropout_rate
        if isinstance(rates, bool | np.bool_):
            # The parameter check lets False through as the number 0.
            raise TypeError(
                f"dropout_rate must be a float or a sequence of floats, got "
                f"{rates!r}, a bool: give the rate itself (0.0 for no dropout)."
            )
        if isinstance(rates, str | dict | set | frozenset):
            raise TypeError(
                f"dropout_rate must be a float or a sequence of floats, got {rates!r}."
            )
        if isinstance(rates, np.ndarray) and rates.ndim == 0:
            rates = rates.item()  # a 0-d array is one rate, like a float
        if isinstance(rates, Real) and not isinstance(rates, bool):
            rates = [rates] * n_hidden
        elif np.asarray(rates, dtype=object).ndim > 1:
            raise ValueError(
                "dropout_rate must be a float or a one-dimensional sequence of "
                f"floats (one per hidden layer), got {self.dropout_rate!r}."
            )
        else:
            rates = list(rates)
        if len(rates) != n_hidden:
            raise ValueError(
                f"dropout_rate has {len(rates)} rates but hidden_layer_sizes has "
                f"{n_hidden} hidden layers; give one rate per hidden layer or a "
                "single float."
            )
        checked = []
        for rate in rates:
            if not isinstance(rate, Real | np.floating | np.integer) or isinstance(
                rate, bool
            ):
                raise TypeError(
                    "dropout_rate must contain floats in [0, 1), got "
                    f"{self.dropout_rate!r}."
                )
            if not 0 <= rate < 1:
                raise ValueError(
                    f"every dropout_rate must be in [0, 1), got {self.dropout_rate!r}."
                )
            checked.append(float(rate))
        return checked

    def _training_dtype(self, reset):
        """dtype to validate training data to.

        A new network takes the input's float dtype; a network being
        continued (``partial_fit``, ``warm_start``) keeps its own, and later
        data is cast to it, as its weights, moments and buffers are in it.
        """
        return (np.float64, np.float32) if reset else self.coefs_[0].dtype

    # -------------------------------------------------------- initialisation
    def _initialize(self, y, layer_units, dtype, random_state):
        self.n_iter_ = 0
        self.t_ = 0
        self.n_outputs_ = y.shape[1]
        self.n_layers_ = len(layer_units)
        self.out_activation_ = self._output_activation()
        self.coefs_ = []
        self.intercepts_ = []
        for fan_in, fan_out in zip(layer_units[:-1], layer_units[1:]):
            coef, intercept = self._init_coef(fan_in, fan_out, dtype, random_state)
            self.coefs_.append(coef)
            self.intercepts_.append(intercept)
        self.loss_curve_ = []
        self._no_improvement_count = 0
        if self.early_stopping:
            self.validation_scores_ = []
            self.validation_loss_curve_ = []
            self.best_validation_score_ = -np.inf
            self.best_loss_ = None
        else:
            self.best_loss_ = np.inf
            self.validation_scores_ = None
            self.validation_loss_curve_ = None
            self.best_validation_score_ = None

    def _init_coef(self, fan_in, fan_out, dtype, random_state):
        # Glorot & Bengio's uniform initialisation, drawn in the same order as
        # sklearn's MLP (weights, then biases, layer by layer) so that fits
        # without dropout can be compared step for step.
        factor = 2.0 if self.activation == "logistic" else 6.0
        bound = np.sqrt(factor / (fan_in + fan_out))
        coef = random_state.uniform(-bound, bound, (fan_in, fan_out))
        intercept = random_state.uniform(-bound, bound, fan_out)
        return coef.astype(dtype, copy=False), intercept.astype(dtype, copy=False)

    def _make_optimizer(self, params):
        if self.solver == "sgd":
            return SGDOptimizer(
                params,
                self.learning_rate_init,
                self.learning_rate,
                self.momentum,
                self.nesterovs_momentum,
                self.power_t,
            )
        return AdamOptimizer(
            params, self.learning_rate_init, self.beta_1, self.beta_2, self.epsilon
        )

    # ------------------------------------------------------------------- fit
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(
        self,
        X,
        y,
        sample_weight=None,
        *,
        X_val=None,
        y_val=None,
        sample_weight_val=None,
    ):
        """Fit the network to data matrix X and targets y.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Target values: class labels (or a label indicator matrix for
            multilabel tasks) for the classifier, real numbers for the
            regressor.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples in the loss.
        X_val : {array-like, sparse matrix} of shape (n_val_samples, n_features), \
                default=None
            A validation set, scored without dropout after every epoch. It
            replaces the internal split of ``early_stopping`` (no training data
            is held out), and whether or not early stopping is on, its score and
            loss are recorded in ``validation_scores_`` and
            ``validation_loss_curve_``. A warm-started fit with early stopping
            first scores the network it starts from on this set, so that it
            only keeps epochs that beat it there. In a
            :class:`~sklearn.pipeline.Pipeline`, route it with metadata
            routing (``set_fit_request``) and name it in the pipeline's
            ``transform_input=["X_val"]``, which runs it through the steps
            before the network as ``X`` is; without that it reaches the
            network untransformed (unscaled, say).
        y_val : array-like of shape (n_val_samples,) or (n_val_samples, n_outputs), \
                default=None
            Targets of ``X_val``, in the form of ``y``; required with it.
        sample_weight_val : array-like of shape (n_val_samples,), default=None
            Weights of the validation samples.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return self._fit(
            X,
            y,
            sample_weight=sample_weight,
            incremental=False,
            X_val=X_val,
            y_val=y_val,
            sample_weight_val=sample_weight_val,
        )

    def _fit(
        self,
        X,
        y,
        sample_weight=None,
        incremental=False,
        X_val=None,
        y_val=None,
        sample_weight_val=None,
        classes=None,
    ):
        # A call refused before it trains (data, a validation set or split
        # that will not do, a callback's setup) leaves the estimator as it
        # was: unfitted, or with its previous network, labels and features.
        # Every attribute a fit changes before training is assigned anew,
        # never updated in place, so a shallow copy is enough to go back
        # (the weights' one in-place change, the max-norm projection of the
        # starting network, is undone where it happens).
        state_before = dict(vars(self))
        try:
            if incremental:
                # scikit-learn skips the parameter check for partial_fit on
                # a fitted estimator; a parameter set since then (a dropout
                # rate of 1, say) would fail deep in the engine instead.
                # Unconditionally: inside partial_fit, sklearn's fit context
                # always reads skip_parameter_validation=True.
                self._validate_params()
                self._start_stream(y, classes)
            training = self._prepare_training(
                X, y, sample_weight, incremental, X_val, y_val, sample_weight_val
            )
        except BaseException:
            self._restore_state(state_before)
            raise
        self._run_epochs(*training, state_before=state_before)
        return self

    def _start_stream(self, y, classes):
        """What a ``partial_fit`` call sets up before validating its data."""

    def _restore_state(self, state):
        """Put back the attributes of ``state``, a copy of ``vars(self)``.

        scikit-learn's callback bookkeeping is left alone: its decorator
        around ``fit`` still needs it to tear the callbacks down.
        """
        for name in list(vars(self)):
            if not name.startswith(_CALLBACK_ATTRIBUTES):
                del self.__dict__[name]
        for name, value in state.items():
            if not name.startswith(_CALLBACK_ATTRIBUTES):
                self.__dict__[name] = value

    def _prepare_training(
        self, X, y, sample_weight, incremental, X_val, y_val, sample_weight_val
    ):
        """Validate, make or adopt the network, and build the trainer.

        Returns the arguments of ``_run_epochs``.
        """
        self._check_solver()
        if self.early_stopping and incremental:
            raise ValueError("partial_fit does not support early_stopping=True")
        hidden_layer_sizes = self._hidden_layer_sizes_list()
        hidden_rates = self._hidden_dropout_rates(len(hidden_layer_sizes))
        first_pass = not hasattr(self, "coefs_") or (
            not self.warm_start and not incremental
        )
        X, y, sample_weight, fit_weight = self._validate_input(
            X, y, sample_weight, incremental, reset=first_pass
        )
        if sp.issparse(X) and X.format != "csr":
            # Row gathers are cheap in CSR only; this copies the stored
            # entries once per fit, never per epoch.
            X = X.tocsr()
        if y.ndim == 1:
            y = y.reshape((-1, 1))
        layer_units = [X.shape[1], *hidden_layer_sizes, y.shape[1]]
        if not first_pass:
            self._check_same_architecture(layer_units)
            self._adopt_stopping_rule()
        given = None
        if X_val is not None or y_val is not None:
            given = self._given_validation_set(
                X, y, sample_weight, fit_weight, X_val, y_val, sample_weight_val
            )
        elif sample_weight_val is not None:
            raise ValueError(
                "sample_weight_val weights the rows of X_val: pass it together "
                "with X_val and y_val."
            )
        random_state = check_random_state(self.random_state)
        if first_pass:
            self._initialize(y, layer_units, X.dtype, random_state)

        # The trainer and optimizer work on one contiguous parameter vector;
        # coefs_ and intercepts_ are views of it, so they see every update.
        # A network that already lives in one (from an earlier fit) goes on
        # in it: arrays a user holds stay the model's, as in sklearn's MLP.
        flat_params = packed_buffer(self.coefs_ + self.intercepts_)
        if flat_params is None:
            flat_params, views = pack_parameters(self.coefs_ + self.intercepts_)
            n_weights = len(self.coefs_)
            self.coefs_, self.intercepts_ = views[:n_weights], views[n_weights:]
        if not incremental or not hasattr(self, "_optimizer"):
            self._optimizer = self._make_optimizer([flat_params])

        split = (
            given
            if given is not None
            else self._split_validation(X, y, sample_weight, fit_weight, random_state)
        )
        # Early stopping compares with the best score so far. A validation
        # set given to this call may be another set than last time: the
        # record then starts from the network's own score on it (taken in
        # _run_epochs, after any max-norm projection). The internal split
        # keeps the record across warm starts, as sklearn's MLP does.
        # So does a record kept on a set given to the previous call.
        seed_best_score = (
            self.early_stopping
            and not first_pass
            and (X_val is not None or getattr(self, "_validated_on_given_set", False))
        )
        self._validated_on_given_set = X_val is not None
        # Read by callbacks that report validation scores (the curves of an
        # earlier fit may exist, padded with NaN, when this one has none).
        self._scores_validation_set = split.X_val is not None
        if split.X_val is not None and self.validation_scores_ is None:
            # A validation set without early stopping: record its curves only,
            # lined up with loss_curve_ (which a warm start continues).
            self.validation_scores_ = [np.nan] * len(self.loss_curve_)
            self.validation_loss_curve_ = [np.nan] * len(self.loss_curve_)
        batch_size = self._resolve_batch_size(split.X.shape[0])

        rates = [float(self.input_dropout), *hidden_rates]
        mask_rng = None
        if any(rate > 0 for rate in rates):
            # Drawn after initialisation and the validation split, and only
            # when dropout is on, so that fits without dropout consume the
            # random stream exactly as sklearn's MLP does. Mixing in t_ gives
            # each partial_fit call its own masks even with an int seed.
            seed = random_state.randint(np.iinfo(np.int32).max)
            mask_rng = np.random.default_rng([seed, self.t_])
        trainer = MinibatchTrainer(
            self.coefs_,
            self.intercepts_,
            activation=self.activation,
            out_activation=self.out_activation_,
            loss=self._loss_name(),
            alpha=self.alpha,
            optimizer=self._optimizer,
            batch_size=batch_size,
            dropout_rates=rates,
            max_norm=self.max_norm,
            rng=mask_rng,
            flat_params=flat_params,
            dropout_type=self.dropout_type,
        )
        return (
            trainer,
            flat_params,
            split,
            batch_size,
            random_state,
            incremental,
            seed_best_score,
        )

    def __sklearn_is_fitted__(self):
        # validate_data sets n_features_in_ (and the classifier classes_)
        # before a first fit can still be refused: only a network counts.
        return hasattr(self, "coefs_")

    def _check_same_architecture(self, layer_units):
        expected = [self.coefs_[0].shape[0]] + [W.shape[1] for W in self.coefs_]
        if list(layer_units) != expected:
            raise ValueError(
                f"The network to continue has layer sizes {expected}, but the "
                f"current parameters and data ask for {list(layer_units)}. "
                "Set warm_start=False (or call fit instead of partial_fit) to "
                "start a new network."
            )
        wanted = self._output_activation()
        if wanted != self.out_activation_:
            # The loss is paired with its output activation: training one
            # through the other's output would fit a different model.
            raise ValueError(
                f"The network to continue has the output activation "
                f"{self.out_activation_!r}, but the current parameters (loss) "
                f"ask for {wanted!r}. Set warm_start=False (or call fit "
                "instead of partial_fit) to start a new network."
            )

    def _adopt_stopping_rule(self):
        """Switch a continued network's bookkeeping to the current early_stopping.

        A network started with early stopping and continued without it (or
        the reverse) starts the other rule's record afresh, as a new fit
        would, instead of comparing against a record it never kept.
        """
        if self.early_stopping and self.best_validation_score_ is None:
            self.best_validation_score_ = -np.inf
            self.best_loss_ = None
            self._no_improvement_count = 0
        elif not self.early_stopping and self.best_loss_ is None:
            self.best_loss_ = np.inf
            self.best_validation_score_ = None
            self._no_improvement_count = 0

    def _resolve_batch_size(self, n_samples):
        if self.batch_size == "auto":
            return min(200, n_samples)
        if self.batch_size > n_samples:
            warnings.warn(
                "Got `batch_size` less than 1 or larger than "
                "sample size. It is going to be clipped",
                stacklevel=_user_stacklevel(),
            )
        return int(np.clip(self.batch_size, 1, n_samples))

    def _given_validation_set(
        self, X, y, sample_weight, fit_weight, X_val, y_val, sw_val
    ):
        if X_val is None or y_val is None:
            raise ValueError("X_val and y_val must be given together.")
        # sklearn's checks speak of "X": say which X they mean.
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                X_val = self._validated_for_network(X_val, dtype=X.dtype)
            except ValueError as exc:
                raise ValueError(f"X_val: {exc}") from exc
        for warning in caught:
            # sklearn's text first, so that a filter on it still matches.
            warnings.warn(
                f"{warning.message} (This is about X_val.)",
                warning.category,
                stacklevel=_user_stacklevel(),
            )
        if X_val.shape[0] < 2:
            # As for the internal split: scores such as R^2 are undefined on
            # one sample, and early stopping would then never keep a best
            # network.
            raise ValueError(
                f"X_val has {X_val.shape[0]} sample; a validation set needs at least 2."
            )
        try:
            Y_val, labels = self._encode_validation_targets(y_val, X.dtype, y.shape[1])
        except (TypeError, ValueError) as exc:
            if "y_val" in str(exc):
                raise
            # sklearn's checks of a target speak of "Input" or of "y".
            kind = ValueError if isinstance(exc, ValueError) else TypeError
            raise kind(f"y_val: {exc}") from exc
        if Y_val.shape[0] != X_val.shape[0]:
            raise ValueError(
                f"X_val has {X_val.shape[0]} samples but y_val has {Y_val.shape[0]}."
            )
        if sw_val is not None:
            sw_val = _checked_validation_weight(sw_val, X_val)
        return _Split(X, y, sample_weight, X_val, labels, sw_val, Y_val, fit_weight)

    def _split_validation(self, X, y, sample_weight, fit_weight, random_state):
        if not self.early_stopping:
            return _Split(X, y, sample_weight, None, None, None, None, fit_weight)
        # Multilabel targets are not stratified, as in sklearn's MLP.
        stratify = y if is_classifier(self) and self.n_outputs_ == 1 else None
        # Without class weights the two weight arrays are one: split it once.
        separate = fit_weight is not sample_weight
        weights = [sample_weight] if sample_weight is not None else []
        if separate:
            weights.append(fit_weight)
        try:
            parts = train_test_split(
                X,
                y,
                *weights,
                random_state=random_state,
                test_size=self.validation_fraction,
                stratify=stratify,
            )
        except ValueError as exc:
            raise ValueError(
                f"validation_fraction={self.validation_fraction} cannot split "
                f"{X.shape[0]} samples into a training and a validation set "
                f"for early stopping: {exc}"
            ) from exc
        X_train, X_val, y_train, y_val = parts[:4]
        sw_train = sw_val = None
        if sample_weight is not None:
            sw_train, sw_val = parts[4:6]
        fit_train = parts[-2] if separate else sw_train
        if X_val.shape[0] < 2:
            raise ValueError(
                "The validation set is too small. Increase 'validation_fraction' "
                "or the size of your dataset."
            )
        if X_train.shape[0] < 1:
            raise ValueError(
                f"validation_fraction={self.validation_fraction} leaves no "
                "training samples. Decrease 'validation_fraction'."
            )
        # Scores weigh validation rows by sample_weight; the loss weighs
        # training rows by it times the class weights.
        for part, w in (("validation", sw_val), ("training", fit_train)):
            if w is not None and not w.any():
                raise ValueError(
                    f"Every sample of the early-stopping {part} split has a "
                    "weight of 0: give more samples a positive weight, or "
                    "pass a validation set of your own (X_val, y_val)."
                )
        return _Split(
            X_train,
            y_train,
            sw_train,
            X_val,
            self._decoded_targets(y_val),
            sw_val,
            y_val,
            fit_train,
        )

    def _run_epochs(
        self,
        trainer,
        flat_params,
        split,
        batch_size,
        random_state,
        incremental,
        seed_best_score,
        *,
        state_before,
    ):
        """Train epoch after epoch; ``state_before`` is ``vars(self)`` at the
        start of the call, put back if the call fails before anything trains.
        """
        X, y, sample_weight = split.X, split.y, split.fit_weight
        n_samples = X.shape[0]
        order = np.arange(n_samples) if self.shuffle else None
        # Callbacks see the training data with its original labels, made
        # only if a callback asks for them.
        hook_data = {
            "X": X,
            "y": lambda: self._decoded_targets(y),
            "metadata": None
            if split.sample_weight is None
            else {"sample_weight": split.sample_weight},
        }
        unprojected = None

        def refuse_before_training():
            # As the estimator was, and the weights as they were before the
            # max-norm projection below changed them in place.
            if unprojected is not None:
                flat_params[...] = unprojected
            self._restore_state(state_before)

        try:
            fit_ctx = self._init_callback_context(
                task_name="partial_fit" if incremental else "fit",
                max_subtasks=1 if incremental else self.max_iter,
            )
            fit_ctx.call_on_fit_task_begin(estimator=self, **hook_data)
        except BaseException:
            # Refused before training, by a callback's setup say: a fresh fit
            # must not leave random weights to predict with.
            refuse_before_training()
            raise
        try:
            if trainer.constraint is not None:
                # The starting weights (Glorot's, or a warm start's under another
                # cap) are what early stopping and a diverged fit may fall back
                # to: they must satisfy the constraint too. Projected in place,
                # in the arrays the estimator had: kept, in case the call is
                # still refused before it trains.
                unprojected = flat_params.copy()
                trainer.constraint.project(None)
                if trainer.constraint.n_clipped == 0:
                    unprojected = None
                # Projected, the starting network is not the one whose score the
                # record holds: score it afresh.
                seed_best_score = seed_best_score or (
                    self.early_stopping
                    and self.best_validation_score_ > -np.inf
                    and trainer.constraint.n_clipped > 0
                )
            if seed_best_score:
                start = self._validation_metrics(split)
                self.best_validation_score_ = -np.inf if start is None else start[0]
            if self.early_stopping:
                self._best_coefs = [c.copy() for c in self.coefs_]
                self._best_intercepts = [b.copy() for b in self.intercepts_]
            # The state at the end of the last completed epoch: what a diverged or
            # interrupted fit falls back to.
            checkpoint = Checkpoint([flat_params], self._optimizer)
        except BaseException:
            # A Ctrl-C too: nothing has trained, and there is no checkpoint yet
            # for the interrupt handler below to fall back to.
            refuse_before_training()
            raise
        # The epoch loss is measured before each update, so weights that the
        # epoch's last updates made finite but huge would slip through; a
        # dropout-free pass over a few training rows catches them.
        probe = X[: min(n_samples, 256)]
        self.n_iter_ = 0
        try:
            for _ in range(self.max_iter):
                epoch_ctx = fit_ctx.subcontext(task_name="epoch")
                try:
                    epoch_ctx.call_on_fit_task_begin(estimator=self, **hook_data)
                except Exception:
                    # (A KeyboardInterrupt goes to its own handler below.)
                    if self.n_iter_ == 0:
                        refuse_before_training()
                    raise
                if order is not None:
                    random_state.shuffle(order)
                loss = trainer.run_epoch(X, y, sample_weight, batch_size, order)
                sign = self._divergence_sign(loss, flat_params, probe)
                validation = None
                if sign is None and split.X_val is not None:
                    validation = self._validation_metrics(split)
                    if validation is None:
                        sign = (
                            "the network's outputs on the validation set "
                            f"overflowed (training loss {loss:.4g})"
                        )
                if sign is not None:
                    checkpoint.restore()
                    epoch_ctx.call_on_fit_task_end(estimator=self)
                    self._restore_best_weights()
                    raise ValueError(self._divergence_message(sign))
                checkpoint.save()
                self._record_epoch(loss, n_samples)
                plateau_stop = self._after_epoch(validation)
                callback_stop = epoch_ctx.call_on_fit_task_end(
                    estimator=self,
                    **hook_data,
                    reconstruction_attributes=self._reconstruction_attributes,
                )
                if plateau_stop or callback_stop or incremental:
                    break
                if self.n_iter_ == self.max_iter:
                    warnings.warn(
                        f"Stochastic Optimizer: Maximum iterations ({self.max_iter})"
                        " reached and the optimization hasn't converged yet.",
                        ConvergenceWarning,
                        stacklevel=_user_stacklevel(),
                    )
        except KeyboardInterrupt:
            checkpoint.restore()
            continued = "coefs_" in state_before and (self.warm_start or incremental)
            if self.n_iter_ == 0 and unprojected is not None and continued:
                # No epoch completed: the network is the one the call began
                # with, before the projection changed it in place (and not
                # early stopping's copy of the projected one). A fresh
                # network keeps its projection: it never was the user's.
                flat_params[...] = unprojected
                self.__dict__.pop("_best_coefs", None)
                self.__dict__.pop("_best_intercepts", None)
                # The record was re-scored on the projected network.
                self.best_validation_score_ = state_before.get("best_validation_score_")
            warnings.warn(
                f"Training interrupted by user after {self.n_iter_} completed "
                "epoch(s); the weights of the last completed epoch were kept. "
                "Continue with partial_fit, or fit with warm_start=True.",
                UserWarning,
                stacklevel=_user_stacklevel(),
            )
        except BaseException:
            # An exception from a callback (optuna.TrialPruned, say) leaves
            # the model as a stopped fit would: the best epoch's weights.
            self._restore_best_weights()
            raise
        finally:
            if not incremental:
                # Rebuilt on the next update; a fitted model need not carry
                # it (kept between partial_fit calls, which would each remake
                # and page in a new one).
                trainer.optimizer.release_workspace()
        self._restore_best_weights()
        fit_ctx.call_on_fit_task_end(
            estimator=self,
            **hook_data,
            reconstruction_attributes=self._reconstruction_attributes,
        )

    def _outputs_are_finite(self, X):
        with np.errstate(over="ignore", invalid="ignore"):
            return bool(np.isfinite(self._forward(X, check_input=False)).all())

    def _reconstruction_attributes(self):
        """What a callback's ``fitted_estimator`` holds beyond a shallow copy.

        It must look like a fit stopped after this epoch, and stay so while
        training goes on in place: copies of everything mutable, and with
        early stopping the best epoch's weights, which a stopped fit keeps.
        """
        coefs, intercepts = self.coefs_, self.intercepts_
        if self.early_stopping and getattr(self, "_best_coefs", None) is not None:
            coefs, intercepts = self._best_coefs, self._best_intercepts
        attributes = {
            "coefs_": [c.copy() for c in coefs],
            "intercepts_": [b.copy() for b in intercepts],
            "loss_curve_": list(self.loss_curve_),
            "_optimizer": copy.deepcopy(self._optimizer),
            "_best_coefs": None,
            "_best_intercepts": None,
        }
        for name in ("validation_scores_", "validation_loss_curve_"):
            curve = getattr(self, name)
            attributes[name] = None if curve is None else list(curve)
        return attributes

    def _record_epoch(self, loss, n_samples):
        self.loss_ = loss
        self.n_iter_ += 1
        self.t_ += n_samples
        self.loss_curve_.append(loss)
        if self.verbose:
            print(f"Iteration {self.n_iter_}, loss = {loss:.8f}")

    def _after_epoch(self, validation):
        """Progress bookkeeping after an epoch; True if training should stop.

        ``validation`` is the epoch's (score, loss) on the validation set, or
        None without one.
        """
        if validation is not None:
            score, loss = validation
            self.validation_scores_.append(score)
            self.validation_loss_curve_.append(loss)
            if self.verbose:
                print(f"Validation score: {score:f}")
        elif self.validation_scores_ is not None:
            # An earlier fit had a validation set: keep the curves aligned.
            self.validation_scores_.append(np.nan)
            self.validation_loss_curve_.append(np.nan)
        self._update_no_improvement_count()
        self._optimizer.iteration_ends(self.t_)
        if self._no_improvement_count > self.n_iter_no_change:
            if self._stop_on_plateau():
                return True
            self._no_improvement_count = 0
        return False

    def _restore_best_weights(self):
        """With early stopping, put back the best epoch's weights.

        The copies are dropped afterwards: the fitted model keeps one set of
        weights, as scikit-learn's MLP does. Calling it again does nothing.
        """
        if self.early_stopping and getattr(self, "_best_coefs", None) is not None:
            for target, best in zip(
                self.coefs_ + self.intercepts_, self._best_coefs + self._best_intercepts
            ):
                np.copyto(target, best)
        self.__dict__.pop("_best_coefs", None)
        self.__dict__.pop("_best_intercepts", None)

    def _divergence_sign(self, loss, flat_params, probe):
        """What shows that the last epoch diverged, or None if nothing does."""
        if not math.isfinite(loss):
            return f"the training loss became {loss} (non-finite)"
        if not np.isfinite(flat_params).all():
            return f"the weights became non-finite (training loss {loss:.4g})"
        if not self._outputs_are_finite(probe):
            return (
                "the weights grew so large that the network's outputs overflowed "
                f"(training loss {loss:.4g})"
            )
        return None

    def _divergence_message(self, sign):
        epoch = self.n_iter_ + 1
        kept = (
            f"the weights from the end of epoch {self.n_iter_}"
            if self.n_iter_
            else "the initial weights"
        )
        return (
            f"Training diverged in epoch {epoch}: {sign}, so training stopped "
            f"and {kept} were restored. Lower "
            f"learning_rate_init (now {self.learning_rate_init}), standardise the "
            "inputs, or bound the weights with max_norm (for example 3.0)."
        )

    def _stop_on_plateau(self):
        what = (
            "Validation score did not improve"
            if self.early_stopping
            else "Training loss did not improve"
        )
        msg = (
            f"{what} more than tol={self.tol:f} for "
            f"{self.n_iter_no_change} consecutive epochs."
        )
        stop = self._optimizer.on_plateau()
        if self.verbose:
            if stop and self.learning_rate == "adaptive" and self.solver == "sgd":
                print(msg + " Learning rate too small. Stopping.")
            elif stop:
                print(msg + " Stopping.")
            else:
                new_rate = self._optimizer.learning_rate
                print(f"{msg} Setting learning rate to {new_rate:f}")
        return stop

    def _validation_metrics(self, split):
        """Score and loss of the dropout-free network on the validation set.

        None when the network's outputs are not finite: the fit then counts
        as diverged. The score is computed from float64 predictions (a
        float32 R^2 overflows its sums of squares near 1e19).
        """
        # A blown-up network is caught here rather than warning from deep
        # inside a metric.
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            out = self._forward(split.X_val, check_input=False)
            if not np.isfinite(out).all():
                return None
            y_pred = self._output_to_prediction(out)
            if y_pred.dtype.kind == "f":
                y_pred = y_pred.astype(np.float64)
            score = float(
                self._score_function(split.y_val, y_pred, sample_weight=split.sw_val)
            )
            scratch = (np.empty_like(out), np.empty_like(out))
            loss = LOSSES[self._loss_name()](split.Y_val, out, split.sw_val, scratch)
        return score, loss

    def _update_no_improvement_count(self):
        if self.early_stopping:
            score = self.validation_scores_[-1]
            if score < self.best_validation_score_ + self.tol:
                self._no_improvement_count += 1
            else:
                self._no_improvement_count = 0
            if score > self.best_validation_score_:
                self.best_validation_score_ = score
                for best, current in zip(
                    self._best_coefs + self._best_intercepts,
                    self.coefs_ + self.intercepts_,
                ):
                    np.copyto(best, current)
        else:
            if self.loss_curve_[-1] > self.best_loss_ - self.tol:
                self._no_improvement_count += 1
            else:
                self._no_improvement_count = 0
            if self.loss_curve_[-1] < self.best_loss_:
                self.best_loss_ = self.loss_curve_[-1]

    # --------------------------------------------------------------- predict
    def _validated_for_network(self, X, dtype=None):
        """``X`` checked against the network: its features, in its dtype.

        ``dtype`` replaces the network's for a validation set checked
        before the network is made.

        Sparse input becomes CSR, converted once, since every forward pass
        slices rows in chunks. Values beyond the dtype's range get sklearn's
        error without numpy's overflow warning before it.
        """
        with np.errstate(over="ignore", invalid="ignore"):
            return validate_data(
                self,
                X,
                accept_sparse="csr",
                dtype=self.coefs_[0].dtype if dtype is None else dtype,
                reset=False,
            )

    def _forward(self, X, check_input=True):
        """Deterministic network output (dropout off) for ``X``."""
        if check_input:
            check_is_fitted(self)
            X = self._validated_for_network(X)
        # Inputs far outside the training data can overflow the output (the
        # Poisson model's exp first): one clear warning instead of numpy's.
        with np.errstate(over="ignore", invalid="ignore"):
            out = forward(X, *self._network(), batch_rows=_PREDICT_CHUNK_ROWS)
        if check_input:
            _warn_if_not_finite(out, "predictions")
        return out

    def _predict(self, X):
        return self._output_to_prediction(self._forward(X))

    def to_sklearn(self):
        """Return this network as a fitted scikit-learn MLP, for deployment.

        Prediction is a plain forward pass, so sklearn's
        :class:`~sklearn.neural_network.MLPClassifier` or
        :class:`~sklearn.neural_network.MLPRegressor` with the same weights
        predicts identically (for input of the model's dtype). The copy needs
        only scikit-learn, and converts to ONNX with ``skl2onnx``.

        Returns
        -------
        estimator : MLPClassifier or MLPRegressor
            A fitted copy; dropout-only settings are dropped, so refitting it
            trains without dropout.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn.datasets import load_iris
        >>> from skdropout import DropoutMLPClassifier
        >>> X, y = load_iris(return_X_y=True)
        >>> clf = DropoutMLPClassifier(hidden_layer_sizes=(16,), max_iter=50,
        ...                            random_state=0).fit(X, y)
        >>> mlp = clf.to_sklearn()
        >>> type(mlp).__name__, bool(np.array_equal(mlp.predict(X), clf.predict(X)))
        ('MLPClassifier', True)
        """
        from ._export import to_sklearn

        return to_sklearn(self)

    # ----------------------------------------------------- Monte Carlo dropout
    def _sample_outputs(self, X, n_samples, random_state):
        """Network outputs of ``n_samples`` passes with dropout left on."""
        X, masks, n_samples = self._monte_carlo_setup(X, n_samples, random_state)
        if masks is None:
            # No noise anywhere: every pass is the deterministic network.
            out = self._forward(X, check_input=False)
            _warn_if_not_finite(out, "predictions")
            return np.repeat(out[np.newaxis], n_samples, axis=0)
        with np.errstate(over="ignore", invalid="ignore"):
            out = forward_stochastic(
                X, *self._network(), masks, n_samples, masks.max_rows
            )
        _warn_if_not_finite(out, "Monte Carlo outputs")
        return out

    def _monte_carlo_summary(self, X, n_samples, random_state, spread=False):
        """Mean of the outputs over the passes, and their standard deviation.

        The deviation is None unless ``spread`` is True.

        Reduced chunk by chunk of rows, so that memory stays bounded by the
        size of the result rather than growing with ``n_samples``.
        """
        X, masks, n_samples = self._monte_carlo_setup(X, n_samples, random_state)
        if masks is None:
            out = self._forward(X, check_input=False)
            _warn_if_not_finite(out, "predictions")
            return out, (np.zeros_like(out) if spread else None)
        n_outputs = self.coefs_[-1].shape[1]
        mean = np.empty((X.shape[0], n_outputs), dtype=self.coefs_[0].dtype)
        std = np.empty_like(mean) if spread else None
        with np.errstate(over="ignore", invalid="ignore"):
            for rows, passes in forward_stochastic_chunks(
                X, *self._network(), masks, n_samples, masks.max_rows
            ):
                np.mean(passes, axis=0, out=mean[rows])
                if spread:
                    # Squares accumulated in float64: a float32 spread of
                    # 1e19 has squares beyond float32's range.
                    std[rows] = np.std(passes, axis=0, dtype=np.float64)
        warned = _warn_if_not_finite(mean, "Monte Carlo means")
        if std is not None and not warned:
            _warn_if_not_finite(std, "Monte Carlo spreads")
        return mean, std

    def _network(self):
        return self.coefs_, self.intercepts_, self.activation, self.out_activation_

    def _monte_carlo_setup(self, X, n_samples, random_state):
        """Validated X, the dropout noise (None if every rate is 0), n_samples."""
        check_is_fitted(self)
        # The passes read dropout_rate, input_dropout and dropout_type, which
        # set_params may have changed since fit without any check.
        if not get_config()["skip_parameter_validation"]:
            self._validate_params()
        if (
            not isinstance(n_samples, Integral)
            or isinstance(n_samples, bool)
            or n_samples < 1
        ):
            raise ValueError(f"n_samples must be an integer >= 1, got {n_samples!r}.")
        n_samples = int(n_samples)  # a np.int8 would overflow in chunk sizes
        X = self._validated_for_network(X)
        rates = [
            float(self.input_dropout),
            *self._hidden_dropout_rates(len(self.coefs_) - 1),
        ]
        seed = check_random_state(random_state).randint(np.iinfo(np.int32).max)
        if not any(rates):
            return X, None, n_samples
        batch_rows = max(_PREDICT_CHUNK_ROWS, n_samples)
        masks = DropoutMasks(
            rates,
            [W.shape[0] for W in self.coefs_],
            batch_rows,
            self.coefs_[0].dtype,
            np.random.default_rng(seed),
            kind=self.dropout_type,
        )
        return X, masks, n_samples

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


def _checked_sample_weight(sample_weight, X):
    """``sample_weight`` validated for ``X``, in X's dtype; None stays None.

    Negative weights are refused. Weights beyond the dtype's range get
    sklearn's error without numpy's overflow warning before it.
    """
    if sample_weight is None:
        return None
    with np.errstate(over="ignore", invalid="ignore"):
        sample_weight = _check_sample_weight(
            sample_weight, X, dtype=X.dtype, ensure_non_negative=True
        )
        total = sample_weight.sum()
    if not np.isfinite(total):
        # Every minibatch divides by its total weight: inf / inf is NaN,
        # which would read as a diverged fit.
        raise ValueError(
            f"sample_weight sums beyond the range of {X.dtype}, the dtype "
            "of X: scale the weights down."
        )
    return sample_weight


def _checked_validation_weight(sample_weight_val, X_val):
    """``sample_weight_val`` validated for ``X_val``, its errors naming it."""
    n_rows = X_val.shape[0]
    shape = np.shape(sample_weight_val)
    if shape not in ((n_rows,), ()):
        raise ValueError(
            f"sample_weight_val has shape {shape}, expected ({n_rows},): one "
            "weight per row of X_val."
        )
    try:
        sample_weight_val = _checked_sample_weight(sample_weight_val, X_val)
    except ValueError as exc:
        # (All zeros included: sklearn's check refuses them.)
        raise ValueError(f"sample_weight_val: {exc}") from exc
    return sample_weight_val


def _warn_if_not_finite(values, what):
    """One clear warning, from the user's line, when ``values`` overflowed.

    Returns whether it warned.

    Inputs far outside the training data, or strong dropout noise in Monte
    Carlo passes, can push activations beyond the float range; numpy's own
    overflow warnings (silenced around the passes) would name none of that.
    """
    n_bad = int(values.size - np.count_nonzero(np.isfinite(values)))
    if not n_bad:
        return False
    warnings.warn(
        f"{n_bad} of {values.size} {what} are not finite: the network's "
        "activations overflowed the float range, on inputs probably far "
        "outside the range of the training data (or, for Monte Carlo passes, "
        "under strong dropout noise).",
        UserWarning,
        stacklevel=_user_stacklevel(),
    )
    return True


def _user_stacklevel():
    """The ``stacklevel`` that points a warning at the first frame outside
    skdropout and scikit-learn, for a warning raised by this one's caller."""
    frame = sys._getframe(2)  # the frame that calls warnings.warn's caller
    level = 2
    while frame is not None and frame.f_code.co_filename.startswith(_LIBRARY_DIRS):
        frame = frame.f_back
        level += 1
    return level
