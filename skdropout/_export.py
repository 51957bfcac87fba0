"""Export of a fitted dropout network as scikit-learn's own MLP."""

import copy

import numpy as np
from sklearn.base import is_classifier
from sklearn.utils.validation import check_is_fitted

# Attributes of sklearn's MLP that describe the network or its input and are
# needed to predict.
_NETWORK_ATTRIBUTES = ("n_layers_", "n_outputs_", "out_activation_", "n_features_in_")
# Attributes that record how training went, shared with sklearn's MLP.
_HISTORY_ATTRIBUTES = (
    "loss_",
    "loss_curve_",
    "best_loss_",
    "validation_scores_",
    "best_validation_score_",
    "n_iter_",
    "t_",
)


def to_sklearn(estimator):
    """Copy a fitted dropout network into scikit-learn's own MLP.

    The trained network is an ordinary multilayer perceptron: dropout and the
    max-norm constraint act only while training, and inverted dropout needs no
    rescaling of the weights afterwards. The weights are therefore copied as
    they are into a fitted :class:`~sklearn.neural_network.MLPClassifier` or
    :class:`~sklearn.neural_network.MLPRegressor`, which then computes the
    same forward pass: ``predict``, ``predict_proba`` and ``score`` give the
    same results as the dropout estimator's, bit for bit on input of the
    weights' dtype. This lets tools that know sklearn's MLP but not
    skdropout (for example skl2onnx) deploy the model.

    Parameters
    ----------
    estimator : DropoutMLPClassifier or DropoutMLPRegressor
        A fitted dropout network.

    Returns
    -------
    mlp : MLPClassifier or MLPRegressor
        A fitted sklearn MLP with copies of ``coefs_`` and ``intercepts_`` (in
        their dtype), the same ``activation``, ``hidden_layer_sizes``,
        ``out_activation_``, ``classes_``, feature counts and names, the
        training history that sklearn's MLP also records (``loss_curve_``,
        ``n_iter_``, ..., and ``validation_scores_`` with early stopping:
        without it, sklearn's MLP keeps none, so the scores of an ``X_val``
        are not carried over) and the hyperparameters the
        two share (solver, learning rate, ...). Dropout-only settings
        (``dropout_rate``, ``input_dropout``, ``max_norm``, ``class_weight``)
        have no counterpart and are dropped, so refitting the exported model
        trains without dropout.

    Raises
    ------
    sklearn.exceptions.NotFittedError
        If ``estimator`` is not fitted.
    TypeError
        If ``estimator`` is not a skdropout estimator.
    ValueError
        If ``estimator`` was fitted with ``loss='gaussian_nll'``, whose
        variance outputs sklearn's MLP cannot represent.

    See Also
    --------
    sklearn.neural_network.MLPClassifier : The classifier returned for a
        DropoutMLPClassifier.
    sklearn.neural_network.MLPRegressor : The regressor returned for a
        DropoutMLPRegressor.

    Notes
    -----
    sklearn's MLP computes in the dtype of its input, while skdropout casts
    the input to the weights' dtype. Predictions are thus identical for input
    of that dtype (float64 for a model fitted on float64 data); a float32
    model given float64 input computes in float64 in sklearn and may differ
    in the last bits.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from skdropout import DropoutMLPClassifier
    >>> from skdropout._export import to_sklearn
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = DropoutMLPClassifier(hidden_layer_sizes=(16,), max_iter=300,
    ...                            random_state=0).fit(X, y)
    >>> mlp = to_sklearn(clf)
    >>> type(mlp).__name__
    'MLPClassifier'
    >>> bool((mlp.predict_proba(X) == clf.predict_proba(X)).all())
    True
    """
    # The estimators name their counterpart; any other object has none.
    target_cls = getattr(type(estimator), "_sklearn_counterpart", None)
    if target_cls is None:
        raise TypeError(
            "to_sklearn expects a DropoutMLPClassifier or DropoutMLPRegressor, "
            f"got {type(estimator).__name__}."
        )
    check_is_fitted(estimator)
    if getattr(estimator, "_predicts_variance", lambda: False)():
        raise ValueError(
            "to_sklearn cannot export a network fitted with loss='gaussian_nll': "
            "sklearn's MLPRegressor has one output per target and no variance "
            "output, so it would predict the means and the raw log-variances "
            "as if both were targets. Save the model with pickle or skops "
            "instead."
        )

    classifier = is_classifier(estimator)
    shared = target_cls().get_params(deep=False).keys()
    params = {
        key: copy.deepcopy(value)
        for key, value in estimator.get_params(deep=False).items()
        if key in shared
    }
    mlp = target_cls(**params)

    # Independent, contiguous copies: the estimator's arrays are views into
    # one parameter vector that a later fit of the estimator would overwrite.
    mlp.coefs_ = [np.array(coef, copy=True, order="C") for coef in estimator.coefs_]
    mlp.intercepts_ = [
        np.array(intercept, copy=True, order="C") for intercept in estimator.intercepts_
    ]
    for name in _NETWORK_ATTRIBUTES:
        setattr(mlp, name, getattr(estimator, name))
    if hasattr(estimator, "feature_names_in_"):
        mlp.feature_names_in_ = estimator.feature_names_in_.copy()
    if classifier:
        mlp._label_binarizer = copy.deepcopy(estimator._label_binarizer)
        mlp.classes_ = mlp._label_binarizer.classes_
    for name in _HISTORY_ATTRIBUTES:
        if hasattr(estimator, name):
            setattr(mlp, name, copy.deepcopy(getattr(estimator, name)))
    if not mlp.early_stopping:
        # Scores of an X_val given without early stopping: sklearn's MLP has
        # them only with early stopping (None otherwise), and continuing the
        # export would grow loss_curve_ and leave these behind.
        mlp.validation_scores_ = None
        mlp.best_validation_score_ = None
    # What sklearn's MLP needs to continue training with warm_start=True or
    # partial_fit (it then builds a fresh optimizer).
    mlp._no_improvement_count = 0
    if mlp.early_stopping:
        mlp._best_coefs = [coef.copy() for coef in mlp.coefs_]
        mlp._best_intercepts = [intercept.copy() for intercept in mlp.intercepts_]
    return mlp
