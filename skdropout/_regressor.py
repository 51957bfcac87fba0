"""Dropout multilayer perceptron for regression."""

import numpy as np
import scipy.sparse as sp
from sklearn.base import RegressorMixin, _fit_context
from sklearn.metrics import r2_score
from sklearn.neural_network import MLPRegressor
from sklearn.utils import Bunch
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import (
    check_array,
    check_is_fitted,
    column_or_1d,
    validate_data,
)

from ._base import BaseDropoutMLP
from ._engine import OUTPUTS_PER_TARGET
from ._feature_types import check_feature_types
from ._heteroscedastic import gaussian_moments
from ._utils import (
    checked_sample_weight,
    count_missing,
    in_float_dtype,
    warn_if_not_finite,
)


class DropoutMLPRegressor(RegressorMixin, BaseDropoutMLP):
    """Multilayer perceptron regressor trained with dropout and max-norm.

    A drop-in relative of :class:`sklearn.neural_network.MLPRegressor` for
    the stochastic solvers ('sgd', 'adam'). During training each hidden unit
    is dropped with probability ``dropout_rate`` and each input feature with
    probability ``input_dropout`` (Srivastava et al., 2014); the incoming
    weights of every unit can be kept inside a ball of radius ``max_norm``.
    Dropout is inverted: kept units are scaled by ``1 / (1 - rate)`` while
    training, so prediction is a plain deterministic forward pass.

    With ``dropout_rate=0``, ``input_dropout=0`` and ``max_norm=None`` a fit
    follows sklearn's ``MLPRegressor`` step for step and matches it to
    rounding.

    Parameters
    ----------
    loss : {'squared_error', 'poisson', 'gaussian_nll'}, default='squared_error'
        Loss to minimise. 'poisson' uses an exponential output so that
        predictions are positive, for counts and rates; it refuses negative
        ``y``, as :class:`~sklearn.linear_model.PoissonRegressor` does.
        'gaussian_nll' learns the noise as well as the mean (Kendall and Gal,
        2017): the network predicts a mean and a variance for every target
        (``2 * n_outputs_`` output units, means first, then raw
        log-variances; the variance is ``1e-6 + exp(raw)``) and minimises
        the Gaussian negative log-likelihood, summed over targets.
        ``predict`` still returns the mean and ``score`` its R^2;
        ``predict(X, return_std=True)`` returns the total predictive
        standard deviation and :meth:`predict_uncertainty` its two parts.
        The variance floor of 1e-6 assumes targets of roughly unit scale:
        standardise targets of a much smaller spread.

    hidden_layer_sizes : array-like of shape (n_layers - 2,), default=(100,)
        Number of units of each hidden layer.

    activation : {'identity', 'logistic', 'tanh', 'relu'}, default='relu'
        Activation of the hidden layers.

    dropout_rate : float or array-like of shape (n_layers - 2,), default=0.2
        Probability of dropping each hidden unit during training, either one
        value for every hidden layer or one per hidden layer, in [0, 1).
        Lighter than the classifier's 0.5, the paper's advice for
        classification networks: on a smooth regression target 0.5
        regularises more than the data need (``make_friedman1``, 500 rows,
        5-fold R^2 at ``max_iter=1000``: 0.843 with 0.5, 0.875 with 0.2,
        0.879 for scikit-learn's MLPRegressor;
        ``benchmarks/regression_rates.py``). At the defaults
        (``max_iter=1000``) it scores within 0.01 of R^2 of scikit-learn's
        MLPRegressor on four small regression sets
        (``benchmarks/battery_defaults.py``, see :doc:`/defaults`).

    input_dropout : float, default=0.0
        Probability of dropping each input feature during training, in
        [0, 1). Off by default: on tabular data one feature may carry the
        signal alone. Try 0.1 to 0.2 on wide, redundant inputs.

    max_norm : float or None, default=None
        If not None, after every update each unit's incoming weight vector
        (a column of a weight matrix, in every layer, the output layer
        included) whose L2 norm exceeds ``max_norm`` is rescaled to exactly
        ``max_norm``; shorter columns are left untouched. The paper
        recommends 3 to 4 with dropout. Off by default for regression: the
        output weights must scale with the target, and capping them at 3
        halved the R^2 on the diabetes data with its raw targets
        (``benchmarks/choose_defaults.py``, ``learning_rate_init=0.01``).
        Standardise the target (for example with
        :class:`~sklearn.compose.TransformedTargetRegressor`) before
        switching it on.

    dropout_type : {'bernoulli', 'gaussian'}, default='bernoulli'
        Distribution of the dropout noise. 'bernoulli' drops units (inverted
        dropout). 'gaussian' multiplies every unit by ``1 + sqrt(rate / (1 -
        rate)) * N(0, 1)`` noise instead, which has the same mean and variance
        (Srivastava et al., 2014, section 10); ``dropout_rate`` and
        ``input_dropout`` then set the noise level.

    solver : {'sgd', 'adam'}, default='adam'
        Optimizer of the weights. scikit-learn's third solver,
        'lbfgs', is refused with a ``ValueError`` when fitting: a full-batch
        quasi-Newton method has no minibatches to drop units in.

    alpha : float, default=0.0001
        Strength of the L2 penalty, divided by the minibatch's total sample
        weight.

    batch_size : int or 'auto', default='auto'
        Minibatch size; 'auto' means ``min(200, n_samples)``.

    learning_rate : {'constant', 'invscaling', 'adaptive'}, default='constant'
        Step-size schedule of the 'sgd' solver (see
        :class:`DropoutMLPClassifier`).

    learning_rate_init : float, default=0.001
        Initial step size.

    power_t : float, default=0.5
        Exponent of the 'invscaling' schedule.

    max_iter : int, default=200
        Maximum number of epochs.

    shuffle : bool, default=True
        Whether to shuffle the rows before every epoch.

    random_state : int, RandomState instance or None, default=None
        Seeds the weight initialisation, the early-stopping split, the
        shuffling and the dropout masks. An int makes fits repeatable bit for
        bit. See :term:`Glossary <random_state>`.

    tol : float, default=1e-4
        Minimum improvement of the training loss (or of the validation score
        with ``early_stopping``) that counts as progress. With dropout on,
        the training loss judged is that of the network with dropout off (the
        one that predicts), measured on the training rows after each epoch
        (on an evenly spaced 256 of them at most): the epoch's own loss,
        measured on thinned networks, is too noisy to judge. With every rate
        0 it is the epoch's loss, as in scikit-learn's MLP.

    verbose : bool, default=False
        Whether to print the loss (and validation score) after each epoch.

    warm_start : bool, default=False
        Whether ``fit`` continues from the previous solution instead of
        starting anew, updating the fitted arrays in place (as ``partial_fit``
        does). A network that no longer fits the parameters and data (other
        numbers of features, layers, units or outputs) is refused with a
        ``ValueError``, not continued. See :term:`the Glossary <warm_start>`.

    momentum : float, default=0.9
        Momentum of the 'sgd' solver, in [0, 1].

    nesterovs_momentum : bool, default=True
        Whether the 'sgd' solver uses Nesterov's momentum.

    early_stopping : bool, default=False
        Whether to hold out ``validation_fraction`` of the training data,
        score it (R^2, without dropout) after every epoch, stop when the
        score stops improving, and keep the best weights.

    validation_fraction : float, default=0.1
        Share of the training data held out for early stopping.

    beta_1 : float, default=0.9
        Decay rate of Adam's first-moment estimate, in [0, 1).

    beta_2 : float, default=0.999
        Decay rate of Adam's second-moment estimate, in [0, 1).

    epsilon : float, default=1e-8
        Adam's numerical-stability constant.

    n_iter_no_change : int, default=10
        Number of epochs without progress (see ``tol``, which says which loss
        is judged with dropout on) before stopping. With dropout on, an epoch
        after which the network with dropout off still does no better on the
        training rows than predicting the mean target for every row is not
        counted: it has not begun to learn (unscaled inputs can hold it there
        for many epochs).

    max_fun : int, default=15000
        Maximum number of loss evaluations of scikit-learn's 'lbfgs' solver.
        Meaningful only for L-BFGS, which these estimators do not offer:
        it is accepted and ignored so that the parameters of a scikit-learn
        MLP (``get_params()``, a saved grid) carry over unchanged.

    Attributes
    ----------
    loss_ : float
        Mean training loss (with dropout active) over the last epoch.

    best_loss_ : float or None
        Lowest ``loss_`` seen; None with ``early_stopping``.

    loss_curve_ : list of float
        ``loss_`` after every epoch.

    validation_scores_ : list of float or None
        R^2 on the validation set (``X_val`` or the early-stopping split)
        after every epoch, computed without dropout; None without one. Its
        entries line up with ``loss_curve_``: epochs that a warm-started fit
        or ``partial_fit`` trained without a validation set have NaN.

    validation_loss_curve_ : list of float or None
        Loss on the validation set after every epoch, computed without
        dropout and without the L2 penalty; with ``loss_curve_`` (measured
        with dropout on) it shows the gap between training and validation.
        NaN where ``validation_scores_`` is.

    best_validation_score_ : float or None
        Best validation score (early stopping only): the best entry of
        ``validation_scores_``, or, in a warm-started fit where no epoch beat
        it, the record it started from (the previous fits' best, or, when
        ``X_val`` is given, the starting network's score on it).

    t_ : int
        Number of training samples seen by the solver.

    coefs_ : list of ndarray of shape (n_fan_in, n_fan_out)
        Weight matrices; ``coefs_[i]`` maps layer ``i`` to layer ``i + 1``.

    intercepts_ : list of ndarray of shape (n_fan_out,)
        Bias vectors.

    n_features_in_ : int
        Number of features seen during fit.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the features seen during fit, when X has string column names.

    n_iter_ : int
        Number of epochs run by the last call to ``fit`` or ``partial_fit``.

    n_layers_ : int
        Number of layers, input and output included.

    n_outputs_ : int
        Number of outputs.

    out_activation_ : str
        Output activation: 'identity', or 'exp' for the Poisson loss.
        With 'gaussian_nll' the raw log-variance outputs are 'identity' too:
        the loss and :meth:`predict_uncertainty` turn them into variances.

    See Also
    --------
    DropoutMLPClassifier : The classification counterpart.
    sklearn.neural_network.MLPRegressor : The same network without dropout.

    References
    ----------
    N. Srivastava, G. Hinton, A. Krizhevsky, I. Sutskever and
    R. Salakhutdinov, "Dropout: A Simple Way to Prevent Neural Networks from
    Overfitting", JMLR 15(56):1929-1958, 2014.

    A. Kendall and Y. Gal, "What Uncertainties Do We Need in Bayesian Deep
    Learning for Computer Vision?", NeurIPS 2017.

    Examples
    --------
    >>> from sklearn.datasets import make_friedman1
    >>> from sklearn.model_selection import train_test_split
    >>> from skdropout import DropoutMLPRegressor
    >>> X, y = make_friedman1(n_samples=1000, noise=0.5, random_state=0)
    >>> X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    >>> reg = DropoutMLPRegressor(hidden_layer_sizes=(64, 64), dropout_rate=0.1,
    ...                           learning_rate_init=0.01, random_state=0)
    >>> reg.fit(X_train, y_train).predict(X_test[:3]).shape
    (3,)
    >>> bool(reg.score(X_test, y_test) > 0.7)
    True
    """

    _parameter_constraints: dict = {
        **BaseDropoutMLP._parameter_constraints,
        "loss": [StrOptions({"squared_error", "poisson", "gaussian_nll"})],
    }

    def __init__(
        self,
        loss="squared_error",
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        dropout_rate=0.2,
        input_dropout=0.0,
        max_norm=None,
        dropout_type="bernoulli",
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
    ):
        self.loss = loss
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.dropout_rate = dropout_rate
        self.input_dropout = input_dropout
        self.max_norm = max_norm
        self.dropout_type = dropout_type
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun

    # ---------------------------------------------------------------- hooks
    def _loss_name(self):
        return self.loss

    def _outputs_per_target(self):
        return OUTPUTS_PER_TARGET.get(self.loss, 1)

    def _output_activation(self):
        return "exp" if self.loss == "poisson" else "identity"

    _score_function = staticmethod(r2_score)
    _sklearn_counterpart = MLPRegressor  # what to_sklearn returns

    def _decoded_targets(self, Y):
        """Targets in the shape predict returns (1-D for one output)."""
        return Y.ravel() if Y.shape[1] == 1 else Y

    def _output_to_prediction(self, out):
        if out.shape[1] != self.n_outputs_:
            out = out[:, : self.n_outputs_]  # the means, not the variances
        return out.ravel() if out.shape[1] == 1 else out

    def _predicts_variance(self):
        """Whether the fitted network has a variance output per target.

        Read from the network, not from ``loss``, which ``set_params`` may
        have changed since the fit.
        """
        return self.coefs_[-1].shape[1] == 2 * self.n_outputs_

    def _encode_validation_targets(self, y_val, dtype, n_outputs):
        _check_numeric_targets(y_val, "y_val")
        y_val = check_array(y_val, ensure_2d=False, dtype=dtype, input_name="y_val")
        if self.loss == "poisson" and np.any(y_val < 0):
            raise ValueError("loss='poisson' requires non-negative y_val.")
        with np.errstate(over="ignore"):
            squares = np.dot(y_val.ravel(), y_val.ravel())
        if not np.isfinite(squares):
            # R^2 and the validation loss sum squared targets: they would be
            # NaN at every epoch, and early stopping would keep the start.
            raise ValueError(
                f"y_val has values too large for {y_val.dtype}, the dtype the "
                "network computes in: the sums of their squares, which the "
                "validation score and loss take, overflow. Scale the targets "
                "down (for example with TransformedTargetRegressor)."
            )
        Y_val = y_val.reshape(-1, 1) if y_val.ndim == 1 else y_val
        if Y_val.shape[1] != n_outputs:
            raise ValueError(
                f"y_val has {Y_val.shape[1]} outputs, the network {n_outputs}."
            )
        return Y_val, y_val

    def _validate_input(self, X, y, sample_weight, incremental, reset):
        dtype = self._training_dtype(reset)
        # Before validate_data, which fails on strings that are not numbers
        # with numpy's words.
        _check_numeric_targets(y, "y")
        check_feature_types(X)
        with np.errstate(over="ignore", invalid="ignore"):
            X, y = validate_data(
                self,
                X,
                y,
                accept_sparse=["csr", "csc"],
                multi_output=True,
                y_numeric=True,
                dtype=dtype,
                reset=reset,
            )
        X = in_float_dtype(X, dtype)
        if sp.issparse(y):
            y = y.toarray()  # the targets of a minibatch are gathered densely
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        with np.errstate(over="ignore", invalid="ignore"):
            y = y.astype(X.dtype, copy=False)
        if self.loss == "poisson" and np.any(y < 0):
            raise ValueError("loss='poisson' requires non-negative y.")
        if not np.isfinite(y).all():
            if np.isnan(y).any():
                # The string "nan" in an object y passes the missing-target
                # check and validate_data's, and only becomes NaN in the cast
                # (None and pd.NA are refused before validate_data).
                raise ValueError(_missing_targets_message("y"))
            raise ValueError(
                f"y has values too large for {X.dtype}, the dtype the network "
                "computes in: scale y down (for example with "
                "TransformedTargetRegressor), or start a new network on float64 "
                "X."
            )
        sample_weight = checked_sample_weight(sample_weight, X)
        return X, y, sample_weight, sample_weight

    # ------------------------------------------------------------ public API
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """Train for exactly one epoch over the given data.

        Each call after the first refuses data that the network does not fit
        (another number of features or outputs) with a ``ValueError``. It
        updates the fitted arrays (``coefs_``, ``intercepts_``) in place, as
        scikit-learn's MLP does, so arrays shared with another model (a shallow
        copy's, or arrays assigned from it) change with them; arrays that do
        not make up one parameter vector (after loading or deep-copying, or
        assigned by hand, or made read-only) are replaced by new ones on the
        next call. A model loaded read-only (``joblib.load(..., mmap_mode="r")``)
        trains on in copies of its arrays, the optimizer's state included.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples in the loss.

        Returns
        -------
        self : DropoutMLPRegressor
            The updated estimator.
        """
        return self._fit(X, y, sample_weight=sample_weight, incremental=True)

    def predict(self, X, return_std=False, n_samples=100, random_state=None):
        """Predict with the deterministic network, or with Monte Carlo dropout.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_rows, n_features)
            Input data.
        return_std : bool, default=False
            If False, a plain forward pass with dropout off. If True, Monte
            Carlo dropout (Gal and Ghahramani, 2016): ``n_samples`` passes
            with dropout on, returning their mean and standard deviation.
            With ``loss='gaussian_nll'`` the standard deviation is the total
            predictive one, ``sqrt(aleatoric**2 + epistemic**2)``: the
            predicted noise as well as the spread of the passes (see
            :meth:`predict_uncertainty`). Otherwise it is the spread of the
            passes alone, which measures the network's doubt but not the
            noise in the data.
        n_samples : int, default=100
            Number of stochastic passes; used only with ``return_std=True``.
        random_state : int, RandomState instance or None, default=None
            Seeds the dropout noise; used only with ``return_std=True``.

        Returns
        -------
        y_mean : ndarray of shape (n_rows,) or (n_rows, n_outputs)
            Predictions (the Monte Carlo mean with ``return_std=True``).
        y_std : ndarray of shape (n_rows,) or (n_rows, n_outputs)
            Standard deviation of the passes (the total predictive one with
            ``loss='gaussian_nll'``); only with ``return_std=True``.

        Examples
        --------
        >>> import numpy as np
        >>> from skdropout import DropoutMLPRegressor
        >>> rng = np.random.RandomState(0)
        >>> X = rng.uniform(-3, 3, (200, 1))
        >>> y = np.sin(X).ravel() + 0.1 * rng.randn(200)
        >>> reg = DropoutMLPRegressor(hidden_layer_sizes=(64,), dropout_rate=0.1,
        ...                           learning_rate_init=0.01, max_iter=300,
        ...                           random_state=0).fit(X, y)
        >>> mean, std = reg.predict(X[:5], return_std=True, random_state=0)
        >>> mean.shape, std.shape, bool((std > 0).all())
        ((5,), (5,), True)
        """
        if not return_std:
            return self._predict(X)
        check_is_fitted(self)
        if self._predicts_variance():
            parts = self._uncertainty(X, n_samples, random_state)
            return parts.mean, parts.std
        mean, std = self._monte_carlo_summary(X, n_samples, random_state, spread=True)
        if mean.shape[1] == 1:
            return mean[:, 0], std[:, 0]
        return mean, std

    @available_if(lambda self: _check_gaussian_loss(self))
    def predict_uncertainty(self, X, n_samples=100, random_state=None):
        """Predictive mean and standard deviation, split into their two parts.

        Only with ``loss='gaussian_nll'``. Monte Carlo dropout runs
        ``n_samples`` passes with dropout on; each predicts a mean and a
        variance for every target (Kendall and Gal, 2017). The aleatoric
        part is the noise in the data (the mean of the predicted variances,
        which more data does not shrink); the epistemic part is the network's
        doubt about its weights (the variance of the predicted means, which
        more data does shrink). ``std**2 == aleatoric_std**2 +
        epistemic_std**2``, and ``mean`` and ``std`` are what
        ``predict(X, return_std=True)`` returns with the same
        ``random_state``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_rows, n_features)
            Input data.
        n_samples : int, default=100
            Number of stochastic passes.
        random_state : int, RandomState instance or None, default=None
            Seeds the dropout noise; an int makes the result repeatable.

        Returns
        -------
        result : :class:`~sklearn.utils.Bunch`
            With attributes ``mean``, ``std``, ``aleatoric_std`` and
            ``epistemic_std``, each an ndarray of shape (n_rows,) or
            (n_rows, n_outputs). Without any dropout (every rate 0)
            ``epistemic_std`` is 0.

        Raises
        ------
        ValueError
            If the fitted network was trained with another loss than
            'gaussian_nll' (``loss`` was changed after the fit).

        Examples
        --------
        >>> import numpy as np
        >>> from skdropout import DropoutMLPRegressor
        >>> rng = np.random.RandomState(0)
        >>> X = rng.uniform(-2, 2, (500, 1))
        >>> y = X.ravel() + (0.1 + 0.5 * np.abs(X.ravel())) * rng.randn(500)
        >>> reg = DropoutMLPRegressor(loss="gaussian_nll", hidden_layer_sizes=(32,),
        ...                           dropout_rate=0.1, learning_rate_init=0.01,
        ...                           max_iter=100, random_state=0).fit(X, y)
        >>> parts = reg.predict_uncertainty([[0.0], [2.0]], random_state=0)
        >>> bool(parts.aleatoric_std[1] > 2 * parts.aleatoric_std[0])
        True
        >>> bool(np.allclose(parts.std**2,
        ...                  parts.aleatoric_std**2 + parts.epistemic_std**2))
        True
        """
        check_is_fitted(self)
        if not self._predicts_variance():
            raise ValueError(
                "predict_uncertainty needs a network fitted with "
                "loss='gaussian_nll'; this one was fitted with another loss "
                "(loss was changed after the fit): fit it again."
            )
        return self._uncertainty(X, n_samples, random_state)

    def _uncertainty(self, X, n_samples, random_state):
        mean, aleatoric, epistemic = gaussian_moments(self, X, n_samples, random_state)
        # Summed in float64: a float32 variance can overflow where its
        # square root does not.
        total = np.sqrt(aleatoric.astype(np.float64) + epistemic).astype(mean.dtype)
        if not warn_if_not_finite(mean, "predicted means"):
            warn_if_not_finite(total, "predicted standard deviations")
        parts = {
            "mean": mean,
            "std": total,
            "aleatoric_std": np.sqrt(aleatoric),
            "epistemic_std": np.sqrt(epistemic),
        }
        if mean.shape[1] == 1:
            parts = {name: values[:, 0] for name, values in parts.items()}
        return Bunch(**parts)

    def sample_predict(self, X, n_samples=100, random_state=None):
        """Draw predictions from stochastic passes with dropout left on (MC dropout).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_rows, n_features)
            Input data.
        n_samples : int, default=100
            Number of stochastic passes.
        random_state : int, RandomState instance or None, default=None
            Seeds the dropout noise; an int makes the result repeatable.

        Returns
        -------
        samples : ndarray of shape (n_samples, n_rows) or \
                (n_samples, n_rows, n_outputs)
            The prediction of each pass, for users who want their own
            statistics (quantiles, for instance). With
            ``loss='gaussian_nll'``, the predicted mean of each pass (the
            predicted variances are in :meth:`predict_uncertainty`).

        Examples
        --------
        >>> import numpy as np
        >>> from skdropout import DropoutMLPRegressor
        >>> X = np.linspace(0, 1, 50).reshape(-1, 1)
        >>> reg = DropoutMLPRegressor(hidden_layer_sizes=(16,), max_iter=50,
        ...                           random_state=0).fit(X, X.ravel())
        >>> reg.sample_predict(X[:4], n_samples=20, random_state=0).shape
        (20, 4)
        """
        out = self._sample_outputs(X, n_samples, random_state)
        out = out[:, :, : self.n_outputs_]
        return out[:, :, 0] if out.shape[2] == 1 else out


def _check_gaussian_loss(estimator):
    """``available_if`` check: the method needs loss='gaussian_nll'."""
    if estimator.loss != "gaussian_nll":
        raise AttributeError(
            "predict_uncertainty is available with loss='gaussian_nll' only, "
            f"not loss={estimator.loss!r}: the other losses learn no noise "
            "variance to split from the spread of the Monte Carlo passes."
        )
    return True


def _missing_targets_message(name):
    return (
        f"Input {name} contains NaN (a missing target, such as None or pd.NA): "
        "drop those rows or impute their targets."
    )


def _check_numeric_targets(y, name):
    """Refuse targets that do not convert to numbers, naming them.

    Strings of numbers are fine: they convert, as in scikit-learn's
    regressors. Anything else would otherwise fail later with numpy's words.
    """
    if y is None or sp.issparse(y):
        return  # validate_data's own checks say what is wrong, or nothing is
    if count_missing(y):
        raise ValueError(_missing_targets_message(name))
    try:
        values = np.asarray(y)
    except ValueError:
        return  # ragged: validate_data says so
    if values.dtype.kind in "mM":
        # NumPy would cast them to counts of their unit without a word.
        raise ValueError(
            f"{name} holds dates or durations (dtype {values.dtype}); a "
            "regressor needs numbers: convert them first, to the unit you mean."
        )
    if values.dtype.kind not in "OSU":
        return  # numbers already: no conversion to try
    try:
        values.astype(np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"{name} must hold numbers, a regressor's targets; converting it "
            f"to float failed: {exc}"
        ) from None
