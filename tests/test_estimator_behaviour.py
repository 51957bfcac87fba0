"""Behaviour of the fitted estimators with dropout and max-norm switched on."""

import ast
import pickle
import re

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import sklearn
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import ClassifierMixin, clone
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import Pipeline
from sklearn.utils.class_weight import compute_sample_weight

import skdropout._prediction
import skdropout._validation_set
from skdropout import DropoutMLPClassifier, DropoutMLPRegressor
from skdropout._engine import DropoutMasks

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

ESTIMATORS = [
    pytest.param(DropoutMLPClassifier, id="classifier"),
    pytest.param(DropoutMLPRegressor, id="regressor"),
]
SKLEARN_COUNTERPART = {
    DropoutMLPClassifier: MLPClassifier,
    DropoutMLPRegressor: MLPRegressor,
}

# A tiny network trained for a few epochs with dropout on every layer.
SMALL_NET = {
    "hidden_layer_sizes": (10,),
    "max_iter": 5,
    "batch_size": 32,
    "learning_rate_init": 0.01,
    "random_state": 0,
}
DROPOUT = {"dropout_rate": 0.3, "input_dropout": 0.2}


def is_classifier_class(Estimator):
    return issubclass(Estimator, ClassifierMixin)


def partial_fit_kwargs(Estimator, y):
    """``classes=`` for a classifier's partial_fit, nothing for a regressor."""
    return {"classes": np.unique(y)} if is_classifier_class(Estimator) else {}


def outputs(estimator, X):
    """What the network computes: probabilities or regression values."""
    if hasattr(estimator, "predict_proba"):
        return estimator.predict_proba(X)
    return estimator.predict(X)


def column_norms(estimator):
    """L2 norm of every unit's incoming weights, all layers concatenated."""
    return np.concatenate([np.linalg.norm(W, axis=0) for W in estimator.coefs_])


def assert_same_parameters(first, second):
    for a, b in zip(
        first.coefs_ + first.intercepts_, second.coefs_ + second.intercepts_
    ):
        assert_array_equal(a, b)


def assert_different_parameters(first, second):
    assert not all(
        np.array_equal(a, b)
        for a, b in zip(
            first.coefs_ + first.intercepts_, second.coefs_ + second.intercepts_
        )
    )


# ---------------------------------------------------------------- attributes
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_fitted_attributes_have_sklearn_mlp_names_and_types(Estimator, Xy):
    X, y = Xy
    est = Estimator(**SMALL_NET, **DROPOUT).fit(X, y)
    n_outputs = 3 if is_classifier_class(Estimator) else 1

    assert isinstance(est.coefs_, list)
    assert [W.shape for W in est.coefs_] == [(8, 10), (10, n_outputs)]
    assert isinstance(est.intercepts_, list)
    assert [b.shape for b in est.intercepts_] == [(10,), (n_outputs,)]
    assert all(isinstance(W, np.ndarray) for W in est.coefs_ + est.intercepts_)
    assert isinstance(est.n_layers_, int) and est.n_layers_ == 3
    assert isinstance(est.n_outputs_, int) and est.n_outputs_ == n_outputs
    assert isinstance(est.n_features_in_, int) and est.n_features_in_ == 8
    assert isinstance(est.n_iter_, int) and est.n_iter_ == 5
    assert isinstance(est.t_, int) and est.t_ == 5 * X.shape[0]
    assert isinstance(est.loss_, float)
    assert isinstance(est.loss_curve_, list) and len(est.loss_curve_) == 5
    assert all(isinstance(loss, float) for loss in est.loss_curve_)
    assert est.loss_ == est.loss_curve_[-1]
    assert isinstance(est.best_loss_, float)
    assert est.best_loss_ == min(est.loss_curve_)
    assert est.validation_scores_ is None
    assert est.best_validation_score_ is None
    if is_classifier_class(Estimator):
        assert est.out_activation_ == "softmax"
        assert isinstance(est.classes_, np.ndarray)
        assert_array_equal(est.classes_, [0, 1, 2])
    else:
        assert est.out_activation_ == "identity"
        assert not hasattr(est, "classes_")


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_fitted_attributes_include_every_sklearn_mlp_attribute(Estimator, Xy):
    X, y = Xy
    reference = SKLEARN_COUNTERPART[Estimator](**SMALL_NET).fit(X, y)
    est = Estimator(**SMALL_NET, **DROPOUT).fit(X, y)
    reference_attributes = {
        name
        for name in vars(reference)
        if name.endswith("_") and not name.startswith("_")
    }
    for name in reference_attributes:
        assert hasattr(est, name), name
        value = getattr(reference, name)
        # numpy.float64 and float are both floats.
        expected_type = float if isinstance(value, float) else type(value)
        assert isinstance(getattr(est, name), expected_type), name


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_early_stopping_records_validation_scores(Estimator, Xy):
    X, y = Xy
    est = Estimator(**{**SMALL_NET, "max_iter": 8}, **DROPOUT, early_stopping=True).fit(
        X, y
    )
    assert isinstance(est.validation_scores_, list)
    assert len(est.validation_scores_) == est.n_iter_
    assert all(isinstance(score, float) for score in est.validation_scores_)
    assert isinstance(est.best_validation_score_, float)
    assert est.best_validation_score_ == max(est.validation_scores_)
    assert est.best_loss_ is None


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_feature_names_are_recorded_from_a_dataframe(Estimator, Xy):
    X, y = Xy
    columns = [f"feature_{i}" for i in range(X.shape[1])]
    frame = pd.DataFrame(X, columns=columns)
    est = Estimator(**SMALL_NET, **DROPOUT).fit(frame, y)
    assert isinstance(est.feature_names_in_, np.ndarray)
    assert_array_equal(est.feature_names_in_, columns)
    from_array = Estimator(**SMALL_NET, **DROPOUT).fit(X, y)
    assert not hasattr(from_array, "feature_names_in_")
    assert_array_equal(est.predict(frame), from_array.predict(X))


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_predict_rejects_a_dataframe_with_other_feature_names(Estimator, Xy):
    X, y = Xy
    frame = pd.DataFrame(X, columns=[f"feature_{i}" for i in range(X.shape[1])])
    est = Estimator(**SMALL_NET, **DROPOUT).fit(frame, y)
    renamed = frame.rename(columns={"feature_0": "other"})
    with pytest.raises(ValueError, match="feature names"):
        est.predict(renamed)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_predict_before_fit_raises_not_fitted_error(Estimator, Xy):
    X, _ = Xy
    with pytest.raises(NotFittedError, match="not fitted"):
        Estimator().predict(X)


# ---------------------------------------------------------- randomness & dropout
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_fit_with_an_int_random_state_is_repeatable_bit_for_bit(Estimator, Xy):
    X, y = Xy
    first = Estimator(**SMALL_NET, **DROPOUT).fit(X, y)
    second = Estimator(**SMALL_NET, **DROPOUT).fit(X, y)
    assert_same_parameters(first, second)
    assert first.loss_curve_ == second.loss_curve_
    assert_array_equal(outputs(first, X), outputs(second, X))


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_fits_with_different_random_states_differ(Estimator, Xy):
    X, y = Xy
    first = Estimator(**{**SMALL_NET, "random_state": 0}, **DROPOUT).fit(X, y)
    second = Estimator(**{**SMALL_NET, "random_state": 1}, **DROPOUT).fit(X, y)
    assert_different_parameters(first, second)
    assert not np.array_equal(outputs(first, X), outputs(second, X))


@pytest.mark.parametrize(
    "dropout", [{"dropout_rate": 0.5}, {"input_dropout": 0.3}], ids=["hidden", "input"]
)
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_dropout_changes_the_fit(Estimator, Xy, dropout):
    X, y = Xy
    no_dropout = {"dropout_rate": 0.0, "input_dropout": 0.0, "max_norm": None}
    plain = Estimator(**SMALL_NET, **no_dropout).fit(X, y)
    dropped = Estimator(**SMALL_NET, **{**no_dropout, **dropout}).fit(X, y)
    assert_different_parameters(plain, dropped)
    assert plain.loss_curve_ != dropped.loss_curve_


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_predict_is_deterministic(Estimator, Xy):
    X, y = Xy
    est = Estimator(**SMALL_NET, dropout_rate=0.5, input_dropout=0.5).fit(X, y)
    assert_array_equal(est.predict(X), est.predict(X))
    assert_array_equal(outputs(est, X), outputs(est, X))


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_network_with_dropout_learns_the_training_data(Estimator, Xy):
    X, y = Xy
    est = Estimator(
        hidden_layer_sizes=(32,),
        dropout_rate=0.2,
        max_iter=100,
        batch_size=16,
        learning_rate_init=0.01,
        random_state=0,
    ).fit(X, y)
    assert est.score(X, y) > 0.9


# ------------------------------------------------------------------ max-norm
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_max_norm_bounds_every_weight_column_after_fit(Estimator, Xy):
    X, y = Xy
    params = {**SMALL_NET, **DROPOUT, "learning_rate_init": 0.1}
    unconstrained = Estimator(**params, max_norm=None).fit(X, y)
    assert column_norms(unconstrained).max() > 1.0  # the cap below must bite
    est = Estimator(**params, max_norm=1.0).fit(X, y)
    norms = column_norms(est)
    assert np.all(norms <= 1.0 + 1e-12)
    # Columns that grew too long were rescaled to exactly max_norm.
    assert np.any(np.isclose(norms, 1.0, rtol=1e-12))


@pytest.mark.parametrize(("beta_1", "beta_2"), [(0.9, 0.0), (0.0, 0.0)])
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_max_norm_holds_with_adam_betas_at_zero(Estimator, Xy, beta_1, beta_2):
    # sklearn accepts beta_2=0; Adam's step bound is then unbounded (or, with
    # beta_1=0 too, the learning rate), and max-norm must still work.
    X, y = Xy
    est = Estimator(**SMALL_NET, beta_1=beta_1, beta_2=beta_2, max_norm=0.5)
    est.fit(X, y)
    assert column_norms(est).max() <= 0.5 * (1 + 1e-12)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_max_norm_bounds_every_weight_column_after_each_partial_fit(Estimator, Xy):
    X, y = Xy
    est = Estimator(**{**SMALL_NET, "learning_rate_init": 0.1}, **DROPOUT, max_norm=0.8)
    for _ in range(4):
        est.partial_fit(X, y, **partial_fit_kwargs(Estimator, y))
        assert np.all(column_norms(est) <= 0.8 + 1e-12)
    assert np.any(np.isclose(column_norms(est), 0.8, rtol=1e-12))


# ------------------------------------------------------ dropout_rate per layer
@pytest.mark.parametrize(
    "rates",
    [[0.3, 0.3], (0.3, 0.3), np.array([0.3, 0.3]), np.array(0.3)],
    ids=["list", "tuple", "array", "0d_array"],
)
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_per_layer_dropout_rates_all_equal_match_a_single_rate(Estimator, Xy, rates):
    X, y = Xy
    params = {**SMALL_NET, "hidden_layer_sizes": (10, 6)}
    single = Estimator(**params, dropout_rate=0.3).fit(X, y)
    per_layer = Estimator(**params, dropout_rate=rates).fit(X, y)
    assert_same_parameters(single, per_layer)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_per_layer_dropout_rates_apply_to_their_own_layer(Estimator, Xy):
    X, y = Xy
    params = {**SMALL_NET, "hidden_layer_sizes": (10, 6)}
    fits = [
        Estimator(**params, dropout_rate=rates).fit(X, y)
        for rates in ([0.3, 0.0], [0.0, 0.3], [0.3, 0.3])
    ]
    for i, first in enumerate(fits):
        for second in fits[i + 1 :]:
            assert_different_parameters(first, second)


@pytest.mark.parametrize("rates", [[0.3], [0.3, 0.3, 0.3]], ids=["short", "long"])
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_dropout_rate_list_of_wrong_length_raises(Estimator, Xy, rates):
    X, y = Xy
    est = Estimator(hidden_layer_sizes=(10, 6), dropout_rate=rates)
    with pytest.raises(ValueError, match="dropout_rate"):
        est.fit(X, y)


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"dropout_rate": 1.0}, "dropout_rate"),
        ({"dropout_rate": -0.1}, "dropout_rate"),
        ({"dropout_rate": [0.2, 1.0]}, "dropout_rate"),
        ({"input_dropout": 1.0}, "input_dropout"),
        ({"max_norm": 0.0}, "max_norm"),
    ],
)
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_out_of_range_dropout_parameters_raise(Estimator, Xy, params, name):
    X, y = Xy
    est = Estimator(hidden_layer_sizes=(10, 6), **params)
    with pytest.raises(ValueError, match=name):
        est.fit(X, y)


# ---------------------------------------------------------------- input data
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_float32_input_gives_float32_parameters_and_outputs(Estimator, Xy):
    X, y = Xy
    X32 = X.astype(np.float32)
    est = Estimator(**SMALL_NET, **DROPOUT).fit(X32, y)
    assert all(p.dtype == np.float32 for p in est.coefs_ + est.intercepts_)
    assert outputs(est, X32).dtype == np.float32
    if not is_classifier_class(Estimator):
        assert est.predict(X32).dtype == np.float32


@pytest.mark.parametrize(
    "later_data",
    [
        lambda X: X.astype(np.float64),
        lambda X: np.round(X * 10).astype(np.int64),
        lambda X: sp.csr_matrix(X.astype(np.float64)),
    ],
    ids=["float64", "int64", "csr_float64"],
)
@pytest.mark.parametrize("continue_with", ["partial_fit", "warm_start"])
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_continued_training_casts_new_data_to_the_network_dtype(
    Estimator, Xy, continue_with, later_data
):
    # The network's weights, optimizer state and buffers are float32 once it
    # is started on float32 data; data of another dtype joins them. (Without
    # input dropout: its float32 mask buffer would cast the batch anyway.)
    X, y = Xy
    X32 = X.astype(np.float32)
    est = Estimator(**SMALL_NET, dropout_rate=0.3, input_dropout=0.0)
    if continue_with == "partial_fit":
        est.partial_fit(X32, y, **partial_fit_kwargs(Estimator, y))
        est.partial_fit(later_data(X), y)
    else:
        est.set_params(warm_start=True).fit(X32, y)
        est.fit(later_data(X), y)
    assert all(p.dtype == np.float32 for p in est.coefs_ + est.intercepts_)
    assert np.isfinite(outputs(est, X32)).all()


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_a_new_fit_takes_the_dtype_of_its_own_data(Estimator, Xy):
    X, y = Xy
    est = Estimator(**SMALL_NET).fit(X.astype(np.float32), y)
    est.fit(X.astype(np.float64), y)
    assert all(p.dtype == np.float64 for p in est.coefs_ + est.intercepts_)


@pytest.mark.parametrize("shuffle", [True, False])
@pytest.mark.parametrize("fmt", ["csr", "csc"])
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_sparse_input_with_input_dropout_is_not_modified(Estimator, Xy, fmt, shuffle):
    X, y = Xy
    X_sparse = sp.random(
        X.shape[0], X.shape[1], density=0.5, format=fmt, random_state=0
    )
    original = X_sparse.copy()
    # A single full batch: the batch may be the input matrix itself.
    Estimator(
        **{**SMALL_NET, "batch_size": X.shape[0]},
        input_dropout=0.5,
        shuffle=shuffle,
    ).fit(X_sparse, y)
    assert X_sparse.format == fmt
    assert_array_equal(X_sparse.data, original.data)
    assert_array_equal(X_sparse.indices, original.indices)
    assert_array_equal(X_sparse.indptr, original.indptr)


@pytest.mark.parametrize("fmt", ["csr", "csc"])
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_sparse_and_dense_input_predict_the_same(Estimator, Xy, fmt):
    X, y = Xy
    X_sparse = sp.random(
        X.shape[0], X.shape[1], density=0.5, format=fmt, random_state=0
    )
    est = Estimator(**SMALL_NET, input_dropout=0.3).fit(X_sparse, y)
    assert_allclose(outputs(est, X_sparse), outputs(est, X_sparse.toarray()))


@pytest.mark.parametrize("shuffle", [True, False])
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_dense_input_is_not_modified(Estimator, Xy, shuffle):
    X, y = Xy
    sample_weight = np.linspace(0.5, 2.0, X.shape[0])
    originals = [X.copy(), y.copy(), sample_weight.copy()]
    est = Estimator(
        **{**SMALL_NET, "batch_size": X.shape[0]},
        **DROPOUT,
        shuffle=shuffle,
    ).fit(X, y, sample_weight=sample_weight)
    est.predict(X)
    est.partial_fit(X, y, sample_weight=sample_weight)
    for array, original in zip([X, y, sample_weight], originals):
        assert_array_equal(array, original)


# ------------------------------------------------------------ learning tasks
def test_binary_targets_get_one_logistic_output_and_predict_the_likelier_label(
    binary_data,
):
    X, y = binary_data
    clf = DropoutMLPClassifier(**SMALL_NET, **DROPOUT).fit(X, y)
    assert_array_equal(clf.classes_, ["no", "yes"])
    assert clf.out_activation_ == "logistic"
    assert clf.n_outputs_ == 1
    proba = clf.predict_proba(X)
    assert proba.shape == (X.shape[0], 2)
    assert_allclose(proba.sum(axis=1), 1.0)
    assert_array_equal(clf.predict(X), clf.classes_[proba.argmax(axis=1)])


def test_multiclass_targets_get_a_softmax_output_and_predict_the_likeliest_class(
    classification_data,
):
    X, y = classification_data
    clf = DropoutMLPClassifier(**SMALL_NET, **DROPOUT).fit(X, y)
    assert clf.out_activation_ == "softmax"
    assert clf.n_outputs_ == 3
    proba = clf.predict_proba(X)
    assert proba.shape == (X.shape[0], 3)
    assert_allclose(proba.sum(axis=1), 1.0)
    assert_array_equal(clf.predict(X), clf.classes_[proba.argmax(axis=1)])


def test_multilabel_targets_get_logistic_outputs_thresholded_at_one_half(
    multilabel_data,
):
    X, Y = multilabel_data
    clf = DropoutMLPClassifier(**SMALL_NET, **DROPOUT).fit(X, Y)
    assert clf.out_activation_ == "logistic"
    assert clf.n_outputs_ == Y.shape[1]
    proba = clf.predict_proba(X)
    assert proba.shape == Y.shape
    assert np.all((proba >= 0) & (proba <= 1))
    assert_array_equal(clf.predict(X), (proba > 0.5).astype(int))


def test_single_output_regression_predicts_a_one_dimensional_array(regression_data):
    X, y = regression_data
    reg = DropoutMLPRegressor(**SMALL_NET, **DROPOUT).fit(X, y)
    assert reg.out_activation_ == "identity"
    assert reg.n_outputs_ == 1
    assert reg.predict(X).shape == (X.shape[0],)


def test_multi_output_regression_predicts_one_column_per_target(
    multioutput_regression_data,
):
    X, Y = multioutput_regression_data
    reg = DropoutMLPRegressor(**SMALL_NET, **DROPOUT).fit(X, Y)
    assert reg.n_outputs_ == 3
    assert reg.predict(X).shape == Y.shape


# -------------------------------------------------------------- class_weight
@pytest.fixture
def imbalanced_data():
    """150 samples of 3 classes in proportions of roughly 6:3:1."""
    return make_classification(
        n_samples=150,
        n_features=8,
        n_informative=5,
        n_classes=3,
        weights=[0.6, 0.3, 0.1],
        random_state=0,
    )


@pytest.mark.parametrize("class_weight", ["balanced", {0: 1.0, 1: 2.0, 2: 5.0}])
def test_class_weight_changes_the_fit(imbalanced_data, class_weight):
    X, y = imbalanced_data
    plain = DropoutMLPClassifier(**SMALL_NET, **DROPOUT).fit(X, y)
    weighted = DropoutMLPClassifier(
        **SMALL_NET, **DROPOUT, class_weight=class_weight
    ).fit(X, y)
    assert_different_parameters(plain, weighted)


@pytest.mark.parametrize("class_weight", ["balanced", {0: 1.0, 1: 2.0, 2: 5.0}])
def test_class_weight_multiplies_sample_weight(imbalanced_data, class_weight):
    X, y = imbalanced_data
    sample_weight = np.linspace(0.5, 2.0, X.shape[0])
    weighted = DropoutMLPClassifier(
        **SMALL_NET, **DROPOUT, class_weight=class_weight
    ).fit(X, y, sample_weight=sample_weight)
    equivalent = DropoutMLPClassifier(**SMALL_NET, **DROPOUT).fit(
        X, y, sample_weight=sample_weight * compute_sample_weight(class_weight, y)
    )
    assert_same_parameters(weighted, equivalent)


def test_class_weight_leaves_the_early_stopping_score_plain_accuracy(imbalanced_data):
    # As with a validation set given to fit, and as in SGDClassifier: class
    # weights shape the training loss, not the score that picks the epoch.
    X, y = imbalanced_data
    params = {**SMALL_NET, **DROPOUT, "early_stopping": True, "max_iter": 3}
    weighted = DropoutMLPClassifier(**params, class_weight={0: 1.0, 1: 1.0, 2: 50.0})
    weighted.fit(X, y)
    X_train, X_val, y_train, y_val = _replayed_early_stopping_split(weighted, X, y)
    accuracy = weighted.score(X_val, y_val)
    assert weighted.validation_scores_[-1] == pytest.approx(accuracy)
    assert weighted.validation_scores_[-1] != pytest.approx(
        weighted.score(
            X_val,
            y_val,
            sample_weight=compute_sample_weight(weighted.class_weight, y_val),
        )
    )


def _replayed_early_stopping_split(est, X, y):
    """The split an early-stopping fit of ``est`` (int random_state) made."""
    random_state = np.random.RandomState(est.random_state)
    for W in est.coefs_:  # the initial weights, then biases, drawn first
        random_state.uniform(size=W.shape)
        random_state.uniform(size=W.shape[1])
    return train_test_split(
        X, y, random_state=random_state, test_size=est.validation_fraction, stratify=y
    )


def test_balanced_class_weight_in_partial_fit_raises(classification_data):
    X, y = classification_data
    clf = DropoutMLPClassifier(**SMALL_NET, class_weight="balanced")
    with pytest.raises(ValueError, match="class_weight='balanced'"):
        clf.partial_fit(X, y, classes=np.unique(y))


def test_dict_class_weight_works_in_partial_fit(imbalanced_data):
    X, y = imbalanced_data
    class_weight = {0: 1.0, 1: 2.0, 2: 5.0}
    clf = DropoutMLPClassifier(**SMALL_NET, **DROPOUT, class_weight=class_weight)
    # The first chunk lacks class 2 entirely.
    clf.partial_fit(X[y != 2], y[y != 2], classes=[0, 1, 2])
    clf.partial_fit(X, y)
    assert_array_equal(clf.classes_, [0, 1, 2])


# ---------------------------------------------------------------- partial_fit
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_partial_fit_runs_exactly_one_epoch_per_call(Estimator, Xy):
    X, y = Xy
    est = Estimator(**SMALL_NET, **DROPOUT)
    kwargs = partial_fit_kwargs(Estimator, y)
    t = 0
    for calls, chunk in enumerate(np.array_split(np.arange(X.shape[0]), 3), 1):
        est.partial_fit(X[chunk], y[chunk], **kwargs)
        t += chunk.size
        assert est.n_iter_ == 1
        assert est.t_ == t
        assert len(est.loss_curve_) == calls


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_partial_fit_is_repeatable_with_an_int_random_state(Estimator, Xy):
    X, y = Xy
    kwargs = partial_fit_kwargs(Estimator, y)
    first = Estimator(**SMALL_NET, **DROPOUT)
    second = Estimator(**SMALL_NET, **DROPOUT)
    for _ in range(3):
        first.partial_fit(X, y, **kwargs)
        second.partial_fit(X, y, **kwargs)
    assert_same_parameters(first, second)


@pytest.mark.parametrize("continue_with", ["partial_fit", "warm_start"])
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_continued_training_updates_the_fitted_arrays_in_place(
    Estimator, Xy, continue_with
):
    # As in sklearn's MLP: arrays a user keeps hold of stay the model's.
    X, y = Xy
    est = Estimator(**SMALL_NET, **DROPOUT, warm_start=continue_with == "warm_start")
    est.fit(X, y)
    held = est.coefs_ + est.intercepts_
    before = [a.copy() for a in held]
    if continue_with == "partial_fit":
        est.partial_fit(X, y)
    else:
        est.fit(X, y)
    assert all(a is b for a, b in zip(est.coefs_ + est.intercepts_, held))
    assert not any(np.array_equal(a, b) for a, b in zip(held, before))


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_continued_training_leaves_arrays_made_read_only_untouched(Estimator, Xy):
    X, y = Xy
    est = Estimator(**SMALL_NET, **DROPOUT).fit(X, y)
    held = est.coefs_ + est.intercepts_
    before = [a.copy() for a in held]
    for array in held:
        array.flags.writeable = False
    est.partial_fit(X, y)
    for array, values in zip(held, before):
        assert_array_equal(array, values)
    assert not any(np.array_equal(a, b) for a, b in zip(est.coefs_, before))


def test_partial_fit_accepts_the_same_classes_on_every_call(classification_data):
    X, y = classification_data
    clf = DropoutMLPClassifier(**SMALL_NET, **DROPOUT)
    for chunk in np.array_split(np.arange(X.shape[0]), 3):
        clf.partial_fit(X[chunk], y[chunk], classes=[0, 1, 2])
    assert_array_equal(clf.classes_, [0, 1, 2])


def test_partial_fit_raises_if_classes_change(classification_data):
    X, y = classification_data
    clf = DropoutMLPClassifier(**SMALL_NET, **DROPOUT)
    clf.partial_fit(X, y, classes=[0, 1, 2])
    with pytest.raises(ValueError, match="classes"):
        clf.partial_fit(X, y, classes=[0, 1, 2, 3])


def test_partial_fit_requires_classes_on_the_first_call(classification_data):
    X, y = classification_data
    with pytest.raises(ValueError, match="classes must be passed"):
        DropoutMLPClassifier(**SMALL_NET).partial_fit(X, y)


def test_partial_fit_rejects_labels_outside_classes(classification_data):
    X, y = classification_data
    clf = DropoutMLPClassifier(**SMALL_NET, **DROPOUT)
    clf.partial_fit(X[y != 2], y[y != 2], classes=[0, 1])
    with pytest.raises(ValueError, match="classes not in"):
        clf.partial_fit(X, y)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_partial_fit_rejects_early_stopping(Estimator, Xy):
    X, y = Xy
    est = Estimator(**SMALL_NET, early_stopping=True)
    with pytest.raises(ValueError, match="early_stopping"):
        est.partial_fit(X, y, **partial_fit_kwargs(Estimator, y))


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_partial_fit_with_a_different_number_of_features_raises(Estimator, Xy):
    X, y = Xy
    est = Estimator(**SMALL_NET, **DROPOUT)
    est.partial_fit(X, y, **partial_fit_kwargs(Estimator, y))
    with pytest.raises(ValueError, match="features"):
        est.partial_fit(X[:, :5], y)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_warm_start_with_other_hidden_layer_sizes_raises(Estimator, Xy):
    X, y = Xy
    est = Estimator(**SMALL_NET, **DROPOUT, warm_start=True).fit(X, y)
    est.set_params(hidden_layer_sizes=(6,))
    with pytest.raises(ValueError, match="layer sizes"):
        est.fit(X, y)


# ------------------------------------------------------------ early stopping
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_early_stopping_restores_the_best_weights(Estimator, Xy, monkeypatch):
    X, y = Xy
    # Record the validation split the estimator draws for early stopping.
    real_split = skdropout._validation_set.train_test_split
    splits = []

    def recording_split(*arrays, **kwargs):
        parts = real_split(*arrays, **kwargs)
        splits.append(parts)
        return parts

    monkeypatch.setattr(skdropout._validation_set, "train_test_split", recording_split)
    est = Estimator(
        hidden_layer_sizes=(10,),
        **DROPOUT,
        early_stopping=True,
        validation_fraction=0.25,
        n_iter_no_change=5,
        max_iter=60,
        learning_rate_init=0.05,
        batch_size=16,
        random_state=0,
    ).fit(X, y)
    # The run must end on a worse epoch, or restoring would be invisible.
    assert est.validation_scores_[-1] < est.best_validation_score_
    assert est.n_iter_ < 60

    (parts,) = splits
    X_val, y_val = parts[1], parts[3]
    if is_classifier_class(Estimator):  # the split holds one-hot targets
        y_val = est.classes_[np.argmax(y_val, axis=1)]
    assert est.best_validation_score_ == max(est.validation_scores_)
    assert est.score(X_val, y_val) == est.best_validation_score_


# ------------------------------------------------- dropout as in the paper
def test_dropout_passes_average_to_the_prediction_of_a_linear_network(
    regression_data,
):
    """Inverted dropout is the paper's weight-scaling rule in expectation.

    Srivastava et al. scale the weights by the keep probability at test time
    so that every unit's expected input is the one it saw in training;
    inverted dropout scales the kept units up in training instead, so that
    the plain forward pass is that expectation. For a linear network (and
    independent masks per layer) the expectation passes through every layer
    exactly: the mean of many dropout passes must match predict.
    """
    X, y = regression_data
    reg = DropoutMLPRegressor(
        **{**SMALL_NET, "hidden_layer_sizes": (10, 6)},
        activation="identity",
        dropout_rate=0.5,
        input_dropout=0.2,
    ).fit(X, y)
    passes = reg.sample_predict(X[:10], n_samples=20_000, random_state=0)
    standard_error = passes.std(axis=0) / np.sqrt(passes.shape[0])
    assert np.all(
        np.abs(passes.mean(axis=0) - reg.predict(X[:10])) < 5 * standard_error
    )


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_mean_over_input_masks_converges_to_the_deterministic_preactivation(
    classification_data, dtype
):
    X, y = classification_data
    q = 0.25  # exact in binary, so the realised drop rate is exactly q
    clf = DropoutMLPClassifier(**SMALL_NET, input_dropout=q).fit(X, y)
    W, b = clf.coefs_[0].astype(np.float64), clf.intercepts_[0].astype(np.float64)
    n_draws = 20_000
    masks = DropoutMasks(
        [q], [X.shape[1]], n_draws, dtype, rng=np.random.default_rng(0)
    ).sample(0, n_draws)
    masks = masks.astype(np.float64)
    # Inverted masks hold 0 (dropped) or 1 / (1 - q) (kept), each entry kept
    # with probability 1 - q: their mean is 1 and their variance q / (1 - q).
    assert_allclose(np.unique(masks), [0.0, 1 / (1 - q)], rtol=1e-6)
    assert abs((masks == 0).mean() - q) < 0.01
    for x in X[:5]:
        deterministic = x @ W + b
        sampled = (masks * x) @ W + b
        standard_error = np.sqrt((q / (1 - q)) * (x**2 @ W**2) / n_draws)
        assert np.all(np.abs(sampled.mean(axis=0) - deterministic) < 4 * standard_error)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_predict_on_more_rows_than_one_chunk_matches_predicting_in_pieces(
    Estimator, Xy
):
    X, y = Xy
    est = Estimator(**SMALL_NET, **DROPOUT).fit(X, y)
    n_rows = skdropout._prediction.CHUNK_ROWS + 100
    X_many = np.random.RandomState(0).normal(size=(n_rows, X.shape[1]))
    in_pieces = np.concatenate(
        [outputs(est, piece) for piece in np.array_split(X_many, 7)]
    )
    # BLAS may round differently for other matrix shapes, hence allclose.
    assert_allclose(outputs(est, X_many), in_pieces, rtol=1e-12)


# ------------------------------------------------ clone, pickle and verbose
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_clone_refits_to_identical_predictions(Estimator, Xy):
    X, y = Xy
    est = Estimator(**SMALL_NET, **DROPOUT).fit(X, y)
    refit = clone(est).fit(X, y)
    assert_array_equal(outputs(refit, X), outputs(est, X))
    assert_array_equal(refit.predict(X), est.predict(X))


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_pickle_round_trip_predicts_identically(Estimator, Xy):
    X, y = Xy
    est = Estimator(**SMALL_NET, **DROPOUT).fit(X, y)
    restored = pickle.loads(pickle.dumps(est))
    assert_array_equal(outputs(restored, X), outputs(est, X))
    assert_array_equal(restored.predict(X), est.predict(X))


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_pickled_estimator_continues_training_identically(Estimator, Xy):
    X, y = Xy
    est = Estimator(**SMALL_NET, **DROPOUT)
    kwargs = partial_fit_kwargs(Estimator, y)
    est.partial_fit(X, y, **kwargs)
    restored = pickle.loads(pickle.dumps(est))
    est.partial_fit(X, y, **kwargs)
    restored.partial_fit(X, y, **kwargs)
    assert_same_parameters(est, restored)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_verbose_prints_the_loss_of_every_epoch(Estimator, Xy, capsys):
    X, y = Xy
    est = Estimator(**{**SMALL_NET, "max_iter": 3}, **DROPOUT, verbose=True)
    est.fit(X, y)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(" = ")[0] for line in lines] == [
        "Iteration 1, loss",
        "Iteration 2, loss",
        "Iteration 3, loss",
    ]
    for line, loss in zip(lines, est.loss_curve_):
        assert float(line.split(" = ")[1]) == pytest.approx(loss, abs=1e-8)


# ------------------------------------------- switching the stopping rule
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_warm_start_can_switch_early_stopping_on(Estimator, Xy):
    X, y = Xy
    est = Estimator(**SMALL_NET).fit(X, y)
    est.set_params(early_stopping=True, warm_start=True, max_iter=3).fit(X, y)
    assert np.isfinite(est.best_validation_score_)
    assert est.best_loss_ is None
    assert len(est.validation_scores_) == len(est.loss_curve_) == 8
    assert np.isnan(est.validation_scores_[:5]).all()


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_partial_fit_after_an_early_stopped_fit_tracks_the_training_loss(Estimator, Xy):
    X, y = Xy
    est = Estimator(**SMALL_NET, early_stopping=True).fit(X, y)
    est.set_params(early_stopping=False).partial_fit(X, y)
    assert est.best_validation_score_ is None
    assert est.best_loss_ == est.loss_curve_[-1]


@pytest.mark.parametrize(
    "params",
    [
        {"solver": "adam", "beta_1": 0.85, "beta_2": 0.995, "epsilon": 1e-7},
        {"solver": "sgd", "momentum": 0.85, "alpha": 3e-4},
        {"solver": "sgd", "learning_rate": "invscaling", "power_t": 0.4},
    ],
    ids=["adam", "sgd", "invscaling"],
)
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_numpy_scalar_hyperparameters_train_like_python_floats(Estimator, Xy, params):
    # A grid such as np.logspace yields np.float64 values; they must not turn
    # a float32 fit's updates into float64 arithmetic.
    X, y = Xy
    X32 = X.astype(np.float32)
    as_python = Estimator(**SMALL_NET, **params).fit(X32, y)
    as_numpy = {
        k: np.float64(v) if isinstance(v, float) else v for k, v in params.items()
    }
    as_numpy = Estimator(**SMALL_NET, **as_numpy).fit(X32, y)
    assert_same_parameters(as_python, as_numpy)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_a_warm_start_under_a_smaller_cap_projects_even_the_kept_best_weights(
    Estimator, Xy
):
    # Early stopping may keep the starting weights as the best: they come
    # from the previous fit, which had no cap, and must be projected too.
    X, y = Xy
    est = Estimator(**SMALL_NET, max_norm=None, early_stopping=True).fit(X, y)
    est.set_params(warm_start=True, max_norm=0.2, max_iter=2).fit(X, y)
    assert column_norms(est).max() <= 0.2 * (1 + 1e-12)


def test_regressor_accepts_sparse_multi_output_targets(regression_data):
    X, y = regression_data
    Y = np.c_[y, -y]
    dense = DropoutMLPRegressor(**SMALL_NET).fit(X, Y)
    sparse = DropoutMLPRegressor(**SMALL_NET).fit(X, sp.csr_matrix(Y))
    assert_same_parameters(dense, sparse)


def test_a_refit_refused_by_validation_leaves_the_fitted_classifier_usable(
    classification_data,
):
    X, y = classification_data
    clf = DropoutMLPClassifier(**SMALL_NET).fit(X, y)
    expected = clf.predict(X)
    with pytest.raises(ValueError, match="Negative values"):
        clf.fit(X, y % 2, sample_weight=-np.ones(len(y)))
    assert_array_equal(clf.classes_, np.unique(y))
    assert_array_equal(clf.predict(X), expected)


def test_predictions_that_overflow_give_one_clear_warning(regression_data):
    X, y = regression_data
    est = DropoutMLPRegressor(**SMALL_NET, loss="poisson").fit(X, np.abs(y))
    with pytest.warns(UserWarning, match="predictions are not finite") as w:
        est.predict(X[:3] * -1e6)
    assert [record.filename for record in w] == [__file__]  # the user's line
    with pytest.warns(UserWarning, match="predictions are not finite") as w:
        # Through sklearn's Pipeline: still the user's line.
        Pipeline([("mlp", est)]).predict(X[:3] * -1e6)
    assert [record.filename for record in w] == [__file__]


def test_a_warm_start_under_a_tighter_cap_keeps_its_best_epoch():
    # The projected starting network is not the one whose score the record
    # held: it is scored afresh, and a better epoch of this fit is kept.
    rng = np.random.RandomState(0)
    X = rng.normal(size=(100, 4))
    y = X @ [1.0, -2.0, 0.5, 0.0] + 0.1 * rng.normal(size=100)
    params = dict(
        hidden_layer_sizes=(8,),
        random_state=0,
        early_stopping=True,
        dropout_rate=0.0,
        validation_fraction=0.2,
    )
    reg = DropoutMLPRegressor(**params, max_iter=3, learning_rate_init=0.1)
    reg.fit(X, y)
    reg.set_params(warm_start=True, max_norm=0.5, learning_rate_init=0.05)
    reg.fit(X, y)
    # Here every epoch beats the projected start (scored 0.10 against 0.14 to
    # 0.19), so the last epoch's network is kept; the old record (0.30,
    # earned by the unprojected network) would have discarded them all.
    assert reg.best_validation_score_ == max(reg.validation_scores_[-reg.n_iter_ :])
    assert column_norms(reg).max() <= 0.5 * (1 + 1e-12)


def test_float32_targets_whose_r2_sums_overflow_do_not_read_as_divergence():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 3)).astype(np.float32)
    y = (rng.poisson(3, 40) * 1e20).astype(np.float32)
    reg = DropoutMLPRegressor(
        loss="poisson",
        hidden_layer_sizes=(4,),
        max_iter=3,
        random_state=0,
        early_stopping=True,
    ).fit(X, y)
    assert np.isfinite(reg.validation_scores_).all()


def test_continuing_a_float32_network_on_data_beyond_float32_is_a_clear_error():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 3))
    y = X.sum(axis=1)
    reg = DropoutMLPRegressor(hidden_layer_sizes=(4,), max_iter=1, random_state=0)
    reg.fit(X.astype(np.float32), y)
    # No RuntimeWarning from the cast (the test run turns those into errors).
    with pytest.raises(ValueError, match="infinity or a value too large"):
        reg.partial_fit(X * 1e39, y)


@pytest.mark.parametrize(
    "est, y",
    [
        pytest.param(DropoutMLPClassifier(), np.zeros(30), id="one-class"),
        pytest.param(
            DropoutMLPRegressor(loss="poisson"), -np.ones(30), id="negative-counts"
        ),
    ],
)
def test_a_first_fit_refused_after_validate_data_leaves_the_estimator_unfitted(est, y):
    # validate_data has set n_features_in_ by the time y is refused.
    X = np.ones((30, 3))
    with pytest.raises(ValueError):
        est.fit(X, y)
    assert not hasattr(est, "n_features_in_")
    with pytest.raises(NotFittedError, match="not fitted"):
        est.predict(X)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_a_first_fit_whose_early_stopping_split_fails_leaves_it_unfitted(Estimator, Xy):
    X, y = Xy
    est = Estimator(**SMALL_NET, early_stopping=True, validation_fraction=0.01)
    with pytest.raises(ValueError, match="validation"):
        est.fit(X[:20], y[:20])
    with pytest.raises(NotFittedError, match="not fitted"):
        est.predict(X)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_fit_warnings_point_at_the_users_line(Estimator, Xy):
    X, y = Xy
    est = Estimator(**{**SMALL_NET, "max_iter": 1, "batch_size": 10 * len(y)})
    with pytest.warns(UserWarning) as w:  # ConvergenceWarning, batch_size clipped
        est.fit(X, y)
    assert len(w) == 2
    assert {record.filename for record in w} == {__file__}
    with pytest.warns(UserWarning) as w:
        Pipeline([("mlp", est)]).fit(X, y)
    assert ConvergenceWarning in {record.category for record in w}
    assert {record.filename for record in w} == {__file__}


# ------------------------------------------------------------------- defaults
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_every_default_is_the_one_the_docstring_states(Estimator):
    # Written once in __init__ and once in the numpydoc "default=" of the
    # Parameters section: the two must not drift apart.
    documented = {}
    for line in Estimator.__doc__.splitlines():
        match = re.match(r"^    (\w+) : .*default=(.+)$", line)
        if match:
            documented[match.group(1)] = match.group(2)
    params = Estimator().get_params()
    assert set(documented) == set(params)
    for name, text in documented.items():
        assert params[name] == ast.literal_eval(text), name


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_auto_batch_size_is_200_rows_at_most(Estimator, Xy):
    X, y = Xy
    X, y = np.vstack([X] * 3), np.concatenate([y] * 3)  # 360 rows: 2 batches
    auto = Estimator(**{**SMALL_NET, "batch_size": "auto"}, **DROPOUT).fit(X, y)
    explicit = Estimator(**{**SMALL_NET, "batch_size": 200}, **DROPOUT).fit(X, y)
    assert_same_parameters(auto, explicit)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_each_partial_fit_call_draws_new_masks_with_an_int_random_state(
    Estimator, Xy, monkeypatch
):
    # The second and third calls are the telling ones: the first also draws
    # the initial weights from the same seeded generator.
    X, y = Xy
    hidden_masks = []
    original = DropoutMasks.sample

    def record(self, layer, n_rows):
        mask = original(self, layer, n_rows)
        if layer == 1:
            hidden_masks.append(mask.copy())
        return mask

    est = Estimator(**{**SMALL_NET, "batch_size": len(y)}, **DROPOUT)
    kwargs = partial_fit_kwargs(Estimator, y)
    est.partial_fit(X, y, **kwargs)
    monkeypatch.setattr(DropoutMasks, "sample", record)
    est.partial_fit(X, y, **kwargs)
    est.partial_fit(X, y, **kwargs)
    assert len(hidden_masks) == 2  # one batch per call
    assert not np.array_equal(hidden_masks[0], hidden_masks[1])


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_partial_fit_checks_parameters_set_since_the_first_call(Estimator, Xy):
    X, y = Xy
    est = Estimator(**SMALL_NET)
    kwargs = partial_fit_kwargs(Estimator, y)
    est.partial_fit(X, y, **kwargs)
    est.set_params(input_dropout=1.0)
    with pytest.raises(ValueError, match="input_dropout"):
        est.partial_fit(X, y)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_monte_carlo_passes_check_parameters_set_since_fit(Estimator, Xy):
    X, y = Xy
    est = Estimator(**SMALL_NET, **DROPOUT).fit(X, y)
    est.set_params(input_dropout=-0.5)
    with pytest.raises(ValueError, match="input_dropout"):
        est.sample_predict(X[:3], n_samples=2)


def test_a_refused_first_partial_fit_leaves_no_classes_behind(multilabel_data):
    X, Y = multilabel_data
    clf = DropoutMLPClassifier(**SMALL_NET, warm_start=True)
    with pytest.raises(ValueError):
        clf.partial_fit(X[:0], Y[:0], classes=[0, 1])
    assert not hasattr(clf, "classes_")
    clf.fit(X, Y)  # a fit after it starts afresh
    assert clf.n_outputs_ == Y.shape[1]


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_skip_parameter_validation_also_skips_the_monte_carlo_check(Estimator, Xy):
    X, y = Xy
    est = Estimator(**SMALL_NET, **DROPOUT).fit(X, y)
    est.set_params(validation_fraction=2.0)  # read by early stopping only
    with sklearn.config_context(skip_parameter_validation=True):
        est.sample_predict(X[:3], n_samples=2)
    with pytest.raises(ValueError, match="validation_fraction"):
        est.sample_predict(X[:3], n_samples=2)


@pytest.mark.parametrize("as_strings", [str, object], ids=["str", "object"])
def test_regressor_trains_on_strings_of_numbers_as_on_the_numbers(
    regression_data, as_strings
):
    # As scikit-learn's regressors take them (Ridge, SGDRegressor).
    X, y = regression_data
    strings = y.astype(str).astype(as_strings)
    numbers = DropoutMLPRegressor(**SMALL_NET, **DROPOUT).fit(X, strings.astype(float))
    from_strings = DropoutMLPRegressor(**SMALL_NET, **DROPOUT).fit(X, strings)
    assert_same_parameters(from_strings, numbers)
