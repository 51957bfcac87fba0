"""Dropout multilayer perceptron for classification."""

import math
from numbers import Real

import numpy as np
import scipy.sparse as sp
from scipy.special import xlogy
from sklearn.base import ClassifierMixin, _fit_context
from sklearn.metrics import accuracy_score
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.class_weight import compute_class_weight, compute_sample_weight
from sklearn.utils.multiclass import (
    _check_partial_fit_first_call,
    type_of_target,
    unique_labels,
)
from sklearn.utils.validation import (
    check_array,
    column_or_1d,
    validate_data,
)

from ._base import BaseDropoutMLP
from ._feature_types import check_feature_types
from ._utils import checked_sample_weight, count_missing, in_float_dtype


class DropoutMLPClassifier(ClassifierMixin, BaseDropoutMLP):
    """Multilayer perceptron classifier trained with dropout and max-norm.

    A drop-in relative of :class:`sklearn.neural_network.MLPClassifier` for
    the stochastic solvers ('sgd', 'adam'). During training each hidden unit
    is dropped with probability ``dropout_rate`` and each input feature with
    probability ``input_dropout`` (Srivastava et al., 2014); the incoming
    weights of every unit can be kept inside a ball of radius ``max_norm``.
    Dropout is inverted: kept units are scaled by ``1 / (1 - rate)`` while
    training, so prediction is a plain deterministic forward pass.

    With ``dropout_rate=0``, ``input_dropout=0`` and ``max_norm=None`` a fit
    follows sklearn's ``MLPClassifier`` step for step (same initialisation,
    shuffling, batching and updates) and matches it to rounding.

    Parameters
    ----------
    hidden_layer_sizes : array-like of shape (n_layers - 2,), default=(100,)
        Number of units of each hidden layer.

    activation : {'identity', 'logistic', 'tanh', 'relu'}, default='relu'
        Activation of the hidden layers.

    dropout_rate : float or array-like of shape (n_layers - 2,), default=0.5
        Probability of dropping each hidden unit during training, either one
        value for every hidden layer or one per hidden layer. Must lie in
        [0, 1). The default 0.5 is the paper's advice for hidden layers. At
        their defaults (``max_iter=1000``) on 13 small data sets
        (``benchmarks/battery_defaults.py``, see :doc:`/defaults`) it scores
        within 0.01 of scikit-learn's MLP on all but the two-feature toys
        moons and circles, where there is nothing to regularise and it
        costs 4 to 5 points; on iris it scores as no dropout does (0.970).
        Dropout pays off as the network's capacity to overfit grows (wide or
        deep layers, long training).

    input_dropout : float, default=0.0
        Probability of dropping each input feature during training, in
        [0, 1). The paper uses 0.2 for redundant inputs such as image pixels.
        On tabular data, where one feature may carry the signal alone, it
        did not help in our measurements (wine, 5-fold accuracy at the
        other defaults: 0.983 without, 0.972 with 0.2; see the defaults
        page), so the default leaves the inputs alone; try 0.1 to 0.2 on
        wide inputs.

    max_norm : float or None, default=3.0
        If not None, after every update each unit's incoming weight vector
        (a column of a weight matrix, in every layer) whose L2 norm exceeds
        ``max_norm`` is rescaled to exactly ``max_norm``; shorter columns are
        left untouched. The paper found 3 to 4 to work well with dropout: it
        keeps the weights bounded even with large learning rates, which is
        what lets dropout nets train fast. With the default step size it did
        not change accuracy on the bundled datasets.

    dropout_type : {'bernoulli', 'gaussian'}, default='bernoulli'
        Distribution of the dropout noise. 'bernoulli' drops units (inverted
        dropout). 'gaussian' multiplies every unit by ``1 + sqrt(rate / (1 -
        rate)) * N(0, 1)`` noise instead, which has the same mean and variance
        (Srivastava et al., 2014, section 10); ``dropout_rate`` and
        ``input_dropout`` then set the noise level.

    solver : {'sgd', 'adam'}, default='adam'
        Optimizer of the weights: stochastic gradient descent with momentum,
        or Adam (Kingma and Ba). scikit-learn's third solver,
        'lbfgs', is refused with a ``ValueError`` when fitting: a full-batch
        quasi-Newton method has no minibatches to drop units in.

    alpha : float, default=0.0001
        Strength of the L2 penalty; the penalty is divided by the minibatch's
        total sample weight before being added to the loss.

    batch_size : int or 'auto', default='auto'
        Minibatch size; 'auto' means ``min(200, n_samples)``.

    learning_rate : {'constant', 'invscaling', 'adaptive'}, default='constant'
        Step-size schedule of the 'sgd' solver. 'invscaling' uses
        ``learning_rate_init / t**power_t`` with ``t`` the number of samples
        seen; 'adaptive' divides the step by 5 whenever the monitored metric
        fails to improve by ``tol`` for ``n_iter_no_change`` epochs.

    learning_rate_init : float, default=0.001
        Initial step size.

    power_t : float, default=0.5
        Exponent of the 'invscaling' schedule.

    max_iter : int, default=200
        Maximum number of epochs (passes over the training data).

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
        numbers of features, layers or units, or another kind of target:
        binary, multiclass or multilabel) is refused with a ``ValueError``, not
        continued. See :term:`the Glossary <warm_start>`.

    momentum : float, default=0.9
        Momentum of the 'sgd' solver, in [0, 1].

    nesterovs_momentum : bool, default=True
        Whether the 'sgd' solver uses Nesterov's momentum.

    early_stopping : bool, default=False
        Whether to hold out ``validation_fraction`` of the training data
        (stratified for binary targets, as in sklearn's MLP), score it
        without dropout after every epoch, stop when the score stops
        improving, and keep the best weights.

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
        training rows than predicting the class frequencies for every row is not
        counted: it has not begun to learn (unscaled inputs can hold it there
        for many epochs).

    max_fun : int, default=15000
        Maximum number of loss evaluations of scikit-learn's 'lbfgs' solver.
        Meaningful only for L-BFGS, which these estimators do not offer:
        it is accepted and ignored so that the parameters of a scikit-learn
        MLP (``get_params()``, a saved grid) carry over unchanged.

    class_weight : dict, list of dict, 'balanced' or None, default=None
        Weights of the classes in the training loss, multiplied into
        ``sample_weight``. 'balanced' weighs each class by
        ``n_samples / (n_classes * count)``. For multilabel targets (a label
        indicator matrix), give a list of dicts, one per label column, each
        mapping 0 and/or 1 to a weight, as scikit-learn's forests take it;
        a sample's weight is the product over its columns. Not available
        with 'balanced' in ``partial_fit``, where the class counts of the
        whole stream are unknown; a dict there weighs every batch against
        all the ``classes`` given at the first call, as
        :class:`~sklearn.linear_model.SGDClassifier` does, so a batch that
        lacks a class is fine. The validation score and loss (early stopping, ``X_val``)
        are not class-weighted, as in :class:`~sklearn.linear_model.SGDClassifier`.

    Attributes
    ----------
    classes_ : ndarray or list of ndarray of shape (n_classes,)
        Class labels.

    loss_ : float
        Mean training loss (with dropout active) over the last epoch.

    best_loss_ : float or None
        Lowest ``loss_`` seen; None with ``early_stopping``.

    loss_curve_ : list of float
        ``loss_`` after every epoch.

    validation_scores_ : list of float or None
        Accuracy on the validation set (``X_val`` or the early-stopping split)
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
        Number of output units.

    out_activation_ : str
        Output activation: 'logistic' for binary and multilabel targets,
        'softmax' for multiclass.

    See Also
    --------
    DropoutMLPRegressor : The regression counterpart.
    sklearn.neural_network.MLPClassifier : The same network without dropout.

    References
    ----------
    N. Srivastava, G. Hinton, A. Krizhevsky, I. Sutskever and
    R. Salakhutdinov, "Dropout: A Simple Way to Prevent Neural Networks from
    Overfitting", JMLR 15(56):1929-1958, 2014.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.model_selection import train_test_split
    >>> from skdropout import DropoutMLPClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> X_train, X_test, y_train, y_test = train_test_split(
    ...     X / 16, y, random_state=0)
    >>> clf = DropoutMLPClassifier(hidden_layer_sizes=(128,), early_stopping=True,
    ...                            random_state=0).fit(X_train, y_train)
    >>> clf.predict_proba(X_test[:1]).shape
    (1, 10)
    >>> bool(clf.score(X_test, y_test) > 0.9)
    True
    """

    _parameter_constraints: dict = {
        **BaseDropoutMLP._parameter_constraints,
        "class_weight": [dict, list, StrOptions({"balanced"}), None],
    }

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        dropout_rate=0.5,
        input_dropout=0.0,
        max_norm=3.0,
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
        class_weight=None,
    ):
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
        self.class_weight = class_weight

    # ---------------------------------------------------------------- hooks
    def _loss_name(self):
        return "binary_log_loss" if self.out_activation_ == "logistic" else "log_loss"

    def _output_activation(self):
        return (
            "softmax" if self._label_binarizer.y_type_ == "multiclass" else "logistic"
        )

    _score_function = staticmethod(accuracy_score)
    _sklearn_counterpart = MLPClassifier  # what to_sklearn returns

    def _stratify_by(self, y):
        # Multilabel targets are not stratified, as in sklearn's MLP.
        return y if self.n_outputs_ == 1 else None

    def _decoded_targets(self, Y):
        """Labels, as the user gave them, from one-hot encoded targets."""
        return self._label_binarizer.inverse_transform(Y)

    def _binary_as_two_columns(self, out):
        """Probabilities of both classes from a binary network's one output.

        ``out`` has the network's outputs on its last axis; multiclass and
        multilabel outputs are returned as they are.
        """
        if self.n_outputs_ != 1:
            return out
        return np.concatenate([1 - out, out], axis=-1)

    def _output_to_prediction(self, out):
        if self.n_outputs_ == 1:
            out = out.ravel()
        return self._label_binarizer.inverse_transform(out)

    def _encode_validation_targets(self, y_val, dtype, n_outputs):
        _refuse_missing_labels(y_val, "y_val", "validation")
        y_val = check_array(
            y_val,
            accept_sparse=["csr", "csc"],
            ensure_2d=False,
            dtype=None,
            input_name="y_val",
        )
        if sp.issparse(y_val) and y_val.shape[1] == 1:
            y_val = y_val.toarray()  # one label per row, as column_or_1d takes it
        if y_val.ndim == 2 and y_val.shape[1] == 1:
            y_val = column_or_1d(y_val, warn=True)
        multilabel = self._label_binarizer.y_type_.startswith("multilabel")
        if multilabel and y_val.ndim == 2:
            _check_indicator_values(y_val, "y_val")
        if type_of_target(y_val).startswith("multilabel") != multilabel:
            form = "a label indicator matrix" if multilabel else "one label per row"
            raise ValueError(
                f"y_val must be in the form of y: {form}, got "
                f"{type_of_target(y_val)!r} targets."
            )
        if multilabel and y_val.shape[1] != n_outputs:
            # (Labels of a single-output network always encode to its width.)
            raise ValueError(
                f"y_val encodes {y_val.shape[1]} output(s) but the network has "
                f"{n_outputs}: give y_val in the form of y (the same number of "
                "label columns)."
            )
        unknown = np.setdiff1d(unique_labels(y_val), self.classes_)
        if len(unknown):
            raise ValueError(
                f"y_val has classes {unknown} that are not in the training "
                f"classes {self.classes_}."
            )
        Y_val = self._label_binarizer.transform(y_val).astype(dtype)
        return Y_val, y_val

    def _validate_input(self, X, y, sample_weight, incremental, reset):
        dtype = self._training_dtype(reset)
        # Before validate_data, which fails on a None or pd.NA among string
        # labels without saying which.
        _refuse_missing_labels(y, "y", "training")
        check_feature_types(X)
        with np.errstate(over="ignore", invalid="ignore"):
            X, y = validate_data(
                self,
                X,
                y,
                accept_sparse=["csr", "csc"],
                multi_output=True,
                dtype=dtype,
                reset=reset,
            )
        X = in_float_dtype(X, dtype)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        # A new label encoding is kept only once every check below has
        # passed, so that a refit refused here keeps the fitted model's labels
        # (validate_data above has already reset n_features_in_, as it does
        # in scikit-learn's estimators).
        binarizer = getattr(self, "_label_binarizer", None)
        if not hasattr(self, "classes_") or (reset and not incremental):
            binarizer = LabelBinarizer().fit(y)
            if len(binarizer.classes_) < 2:
                raise ValueError(
                    f"{type(self).__name__} needs samples of at least 2 classes "
                    f"in y; got only class {binarizer.classes_[0]!r}. (partial_fit "
                    "accepts a batch of one class when classes= lists them all.)"
                )
        else:
            classes = unique_labels(y)
            if self.warm_start:
                if set(classes) != set(self.classes_):
                    raise ValueError(
                        "warm_start can only be used where `y` has the same "
                        "classes as in the previous call to fit. Previously "
                        f"got {self.classes_}, `y` has {classes}"
                    )
            elif len(np.setdiff1d(classes, self.classes_, assume_unique=True)):
                raise ValueError(
                    "`y` has classes not in `self.classes_`. "
                    f"`self.classes_` has {self.classes_}. 'y' has {classes}."
                )
        if binarizer.y_type_.startswith("multilabel"):
            _check_indicator_values(y, "y")
        sample_weight = checked_sample_weight(sample_weight, X)
        fit_weight = sample_weight
        if self.class_weight is not None:
            # In float64, then checked: class weights beyond float32's range
            # would otherwise overflow silently into inf.
            weights = self._class_weights_of_samples(binarizer, y, incremental)
            if sample_weight is not None:
                weights = weights * sample_weight
            with np.errstate(over="ignore", invalid="ignore"):
                fit_weight = weights.astype(X.dtype)
                # The sum too: every minibatch divides by its total weight.
                total = fit_weight.sum()
            if not np.isfinite(total):
                raise ValueError(
                    "class_weight times sample_weight exceeds the range of "
                    f"{X.dtype}, the dtype of X: scale the weights down."
                )
            if not fit_weight.any():
                # Every minibatch would be skipped: the fit would return the
                # initial weights as if it had trained.
                raise ValueError(
                    "class_weight and sample_weight together give every sample a "
                    "weight of 0: there is nothing to train on."
                )
        Y = binarizer.transform(y).astype(X.dtype)
        self._label_binarizer = binarizer
        self.classes_ = binarizer.classes_
        return X, Y, sample_weight, fit_weight

    def _class_weights_of_samples(self, binarizer, y, incremental):
        """Each sample's weight from ``class_weight``, in float64.

        A dict is matched against every class the network knows (all of
        ``classes`` in a stream), not only the labels of this batch.
        """
        class_weight = self.class_weight
        if class_weight == "balanced":
            if incremental:
                raise ValueError(
                    "class_weight='balanced' is not supported in partial_fit: the "
                    "class frequencies of the whole stream are unknown. Pass a "
                    "dict of class weights instead."
                )
            return compute_sample_weight("balanced", y)
        if binarizer.y_type_.startswith("multilabel"):
            if sp.issparse(y):
                y = y.toarray()  # as dense as the encoded targets the fit uses
            if not isinstance(class_weight, list) or len(class_weight) != y.shape[1]:
                raise ValueError(
                    "class_weight for multilabel y (a label indicator matrix of "
                    f"{y.shape[1]} columns) must be 'balanced' or a list of "
                    f"{y.shape[1]} dicts, one per column, each mapping 0 and/or 1 "
                    f"to a weight; got {class_weight!r}."
                )
            weights = np.ones(y.shape[0])
            for column, column_weight in enumerate(class_weight):
                per_class = _class_weight_vector(
                    column_weight, np.array([0, 1]), y[:, column].astype(np.intp)
                )
                weights *= per_class[y[:, column].astype(np.intp)]
            return weights
        if isinstance(class_weight, list):
            raise ValueError(
                "class_weight as a list of dicts is for multilabel y (one dict "
                "per label column); for y of one label per row, pass one dict."
            )
        per_class = _class_weight_vector(class_weight, binarizer.classes_, y)
        return per_class[np.searchsorted(binarizer.classes_, y)]

    # ------------------------------------------------------------ public API
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """Train for exactly one epoch over the given data.

        Each call after the first refuses data that the network does not fit
        (another number of features, or labels outside ``classes``) with a
        ``ValueError``. It updates the fitted arrays (``coefs_``,
        ``intercepts_``) in place, as scikit-learn's MLP does, so arrays shared
        with another model (a shallow copy's, or arrays assigned from it)
        change with them; arrays that do not make up one parameter vector
        (after loading or deep-copying, or assigned by hand, or made read-only)
        are replaced by new ones on the next call. A model loaded read-only
        (``joblib.load(..., mmap_mode="r")``) trains on in copies of its
        arrays, the optimizer's state included.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Class labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples in the loss.
        classes : array-like of shape (n_classes,), default=None
            All the classes that can appear across calls. Required on the
            first call; later calls may repeat it (it must not change).

        Returns
        -------
        self : DropoutMLPClassifier
            The updated estimator.
        """
        return self._fit(
            X, y, sample_weight=sample_weight, incremental=True, classes=classes
        )

    def _start_stream(self, y, classes):
        if classes is not None and np.ndim(classes) != 1:
            raise ValueError(
                "classes must be a one-dimensional array-like of labels, got "
                f"{classes!r} (of {np.ndim(classes)} dimensions)."
            )
        # Only calls that pass classes= need the target type.
        multilabel = classes is not None and type_of_target(y).startswith("multilabel")
        if classes is not None and not multilabel and len(np.unique(classes)) < 2:
            raise ValueError(
                f"classes must list at least 2 classes, got {classes!r}: "
                f"{type(self).__name__} needs two to tell apart."
            )
        if _check_partial_fit_first_call(self, classes):
            self._label_binarizer = LabelBinarizer()
            if multilabel:
                self._label_binarizer.fit(y)
            else:
                self._label_binarizer.fit(classes)

    def predict(self, X):
        """Predict class labels with the deterministic (dropout-free) network.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Predicted labels (an indicator matrix for multilabel targets).
        """
        return self._predict(X)

    def predict_proba(self, X):
        """Estimate class probabilities with the deterministic network.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probability of each class, columns ordered as ``classes_``.
        """
        return self._binary_as_two_columns(self._forward(X))

    def predict_log_proba(self, X):
        """Return the logarithm of :meth:`predict_proba`.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Log-probability of each class, columns ordered as ``classes_``.
        """
        proba = self.predict_proba(X)
        # A probability that underflowed to 0 has log -inf, as in sklearn.
        with np.errstate(divide="ignore"):
            return np.log(proba, out=proba)

    def sample_predict(self, X, n_samples=100, random_state=None):
        """Draw class probabilities from stochastic passes with dropout left on.

        Monte Carlo dropout (Gal and Ghahramani, 2016): every pass draws new
        dropout noise, so the spread of the passes shows how much the
        prediction depends on which units happen to be kept.

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
        samples : ndarray of shape (n_samples, n_rows, n_classes)
            Class probabilities of each pass, columns ordered as ``classes_``.

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> from skdropout import DropoutMLPClassifier
        >>> X, y = load_iris(return_X_y=True)
        >>> clf = DropoutMLPClassifier(hidden_layer_sizes=(32,), dropout_rate=0.2,
        ...                            learning_rate_init=0.01, max_iter=300,
        ...                            random_state=0).fit(X, y)
        >>> clf.sample_predict(X[:2], n_samples=50, random_state=0).shape
        (50, 2, 3)
        """
        return self._binary_as_two_columns(
            self._sample_outputs(X, n_samples, random_state)
        )

    def predict_proba_mc(self, X, n_samples=100, random_state=None):
        """Estimate the class probabilities by Monte Carlo dropout.

        The mean of :meth:`sample_predict` over its passes. Unlike
        :meth:`predict_proba`, which uses the deterministic network, it
        averages the predictions of many thinned networks.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_rows, n_features)
            Input data.
        n_samples : int, default=100
            Number of stochastic passes.
        random_state : int, RandomState instance or None, default=None
            Seeds the dropout noise.

        Returns
        -------
        proba : ndarray of shape (n_rows, n_classes)
            Mean class probabilities, columns ordered as ``classes_``.

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> from skdropout import DropoutMLPClassifier
        >>> X, y = load_iris(return_X_y=True)
        >>> clf = DropoutMLPClassifier(hidden_layer_sizes=(32,), dropout_rate=0.2,
        ...                            learning_rate_init=0.01, max_iter=300,
        ...                            random_state=0).fit(X, y)
        >>> proba = clf.predict_proba_mc(X[:2], random_state=0)
        >>> proba.shape, bool(abs(proba.sum(axis=1) - 1).max() < 1e-6)
        ((2, 3), True)
        """
        mean, _ = self._monte_carlo_summary(X, n_samples, random_state)
        return self._binary_as_two_columns(mean)

    def predictive_entropy(self, X, n_samples=100, random_state=None):
        """Measure per-sample uncertainty: entropy of the MC class probabilities.

        0 means every pass agrees with certainty; the maximum, ``log(n_classes)``,
        means the averaged prediction is uniform. For multilabel targets the
        binary entropies of the labels are summed.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_rows, n_features)
            Input data.
        n_samples : int, default=100
            Number of stochastic passes.
        random_state : int, RandomState instance or None, default=None
            Seeds the dropout noise.

        Returns
        -------
        entropy : ndarray of shape (n_rows,)
            Predictive entropy in nats.

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> from skdropout import DropoutMLPClassifier
        >>> X, y = load_iris(return_X_y=True)
        >>> clf = DropoutMLPClassifier(hidden_layer_sizes=(32,), dropout_rate=0.2,
        ...                            learning_rate_init=0.01, max_iter=300,
        ...                            random_state=0).fit(X, y)
        >>> clf.predictive_entropy(X[:3], random_state=0).shape
        (3,)
        """
        proba = self.predict_proba_mc(X, n_samples, random_state)
        if self.out_activation_ == "logistic" and self.n_outputs_ > 1:
            return -(xlogy(proba, proba) + xlogy(1 - proba, 1 - proba)).sum(axis=1)
        return -xlogy(proba, proba).sum(axis=1)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


def _class_weight_vector(class_weight, classes, y):
    """One weight per entry of ``classes`` from a dict of class weights."""
    if not isinstance(class_weight, dict):
        raise ValueError(
            "class_weight must be a dict, a list of dicts (multilabel y), "
            f"'balanced' or None; got {class_weight!r} where a dict belongs."
        )
    _check_class_weight_values(class_weight)
    return compute_class_weight(class_weight, classes=classes, y=y)


def _check_indicator_values(Y, name):
    """Refuse a label indicator matrix that holds more than 0 and 1."""
    # A sparse matrix (MultiLabelBinarizer(sparse_output=True)) stores only
    # its nonzero entries, and its implicit zeros are valid.
    values = np.unique(Y.data if sp.issparse(Y) else np.asarray(Y))
    if not np.isin(values, [0, 1]).all():
        raise ValueError(
            f"{name} is a label indicator matrix (multilabel targets), which "
            f"holds only 0 and 1, but it holds {values.tolist()}: the log-loss is "
            "unbounded for targets outside [0, 1]. Map the values to 0 and 1 "
            "(for instance (Y > 0).astype(int))."
        )


def _check_class_weight_values(class_weight):
    """Reject class weights that would make invalid sample weights."""
    for label, weight in class_weight.items():
        if (
            not isinstance(weight, Real)
            or isinstance(weight, bool)
            or not math.isfinite(weight)
            or weight < 0
        ):
            raise ValueError(
                "class_weight values must be finite numbers >= 0, got "
                f"{weight!r} for class {label!r}."
            )


def _refuse_missing_labels(y, name, role):
    missing = count_missing(y)
    if missing:
        raise ValueError(
            f"{name} has {missing} missing label(s) (None, NaN or pd.NA): every "
            f"{role} sample needs a label; drop those rows or fill them in."
        )
