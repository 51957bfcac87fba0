"""The estimators' common base: parameters, ``fit`` and prediction.

Each concern of a fit has its own module (see the architecture page of the
docs); this class holds the public methods, the parameter constraints and
the hooks the classifier and regressor fill in.
"""

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, _fit_context
from sklearn.callback import CallbackSupportMixin
from sklearn.utils._param_validation import Interval, Options, StrOptions

from . import _export, _fit_setup, _mc_dropout, _prediction
from ._epoch_loop import run_epochs
from ._fit_state import CallState
from ._parameter_check import validate_if_changed


class BaseDropoutMLP(CallbackSupportMixin, BaseEstimator):
    """Base class of the dropout MLP estimators; not meant to be used directly."""

    _parameter_constraints: dict = {
        "hidden_layer_sizes": [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
        ],
        "activation": [StrOptions({"identity", "logistic", "tanh", "relu"})],
        # 'lbfgs' passes this check so that fitting can say why it is
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
            network untransformed (unscaled, say). scikit-learn's
            cross-validation and searches split every fit argument with as
            many rows as ``X`` along with ``X``: an ``X_val`` of exactly
            ``len(X)`` rows is cut to each training fold without a word. For
            a validation set per fold, use ``early_stopping=True`` instead.
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
        # What a call that fails leaves behind: see _fit_state.
        call = CallState(self, incremental)
        with call.refused_on_failure():
            if incremental:
                # scikit-learn skips the parameter check for partial_fit on
                # a fitted estimator; a parameter set since then (a dropout
                # rate of 1, say) would fail deep in the engine instead.
                # Unconditionally: inside partial_fit, sklearn's fit context
                # always reads skip_parameter_validation=True. Only when a
                # parameter changed: see _parameter_check.
                validate_if_changed(self)
                self._start_stream(y, classes)
            plan = _fit_setup.prepare(
                self, X, y, sample_weight, incremental, X_val, y_val, sample_weight_val
            )
        run_epochs(self, plan, call)
        return self

    def __sklearn_is_fitted__(self):
        # validate_data sets n_features_in_ (and the classifier classes_)
        # before a first fit can still be refused: only a network counts.
        return hasattr(self, "coefs_")

    # ---------------------------------------------------------------- hooks
    def _outputs_per_target(self):
        """Output units per target column: 2 for a loss that learns the noise."""
        return 1

    def _start_stream(self, y, classes):
        """What a ``partial_fit`` call sets up before validating its data."""

    def _stratify_by(self, y):
        """Labels to stratify early stopping's split by; None: not stratified."""
        return None

    def _training_dtype(self, reset):
        """dtype to validate training data to.

        A new network takes the input's float dtype; a network being
        continued (``partial_fit``, ``warm_start``) keeps its own, and later
        data is cast to it, as its weights, moments and buffers are in it.
        """
        return (np.float64, np.float32) if reset else self.coefs_[0].dtype

    # --------------------------------------------------------------- predict
    def _network(self):
        return self.coefs_, self.intercepts_, self.activation, self.out_activation_

    def _validated_for_network(self, X, dtype=None):
        return _prediction.validated_for_network(self, X, dtype)

    def _forward(self, X, check_input=True):
        """Deterministic network output (dropout off) for ``X``."""
        return _prediction.forward(self, X, check_input)

    def _predict(self, X):
        return self._output_to_prediction(self._forward(X))

    def _sample_outputs(self, X, n_samples, random_state):
        """Network outputs of ``n_samples`` passes with dropout left on."""
        return _mc_dropout.sample_outputs(self, X, n_samples, random_state)

    def _monte_carlo_summary(self, X, n_samples, random_state, spread=False):
        """Mean and (with ``spread``) deviation of the Monte Carlo outputs."""
        return _mc_dropout.summary(self, X, n_samples, random_state, spread)

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
        return _export.to_sklearn(self)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    def __getstate__(self):
        # A copy: object.__getstate__ returns the instance's own __dict__.
        state = dict(super().__getstate__())
        # A cache of the parameters last validated (see _parameter_check),
        # holding objects that skops does not trust; rebuilt on next use.
        state.pop("_validated_parameters", None)
        return state
