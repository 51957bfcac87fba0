"""Behaviour of the fitted estimators with dropout and max-norm switched on."""

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from _helpers import (
    DROPOUT,
    SMALL_NET,
    assert_different_parameters,
    assert_same_parameters,
    column_norms,
    is_classifier_class,
    outputs,
    partial_fit_kwargs,
)
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.utils.class_weight import compute_sample_weight

from skdropout import DropoutMLPClassifier, DropoutMLPRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

SKLEARN_COUNTERPART = {
    DropoutMLPClassifier: MLPClassifier,
    DropoutMLPRegressor: MLPRegressor,
}


# ---------------------------------------------------------------- attributes
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


def test_predict_rejects_a_dataframe_with_other_feature_names(Estimator, Xy):
    X, y = Xy
    frame = pd.DataFrame(X, columns=[f"feature_{i}" for i in range(X.shape[1])])
    est = Estimator(**SMALL_NET, **DROPOUT).fit(frame, y)
    renamed = frame.rename(columns={"feature_0": "other"})
    with pytest.raises(ValueError, match="feature names"):
        est.predict(renamed)


# ---------------------------------------------------------- randomness & dropout
def test_fit_with_an_int_random_state_is_repeatable_bit_for_bit(Estimator, Xy):
    X, y = Xy
    first = Estimator(**SMALL_NET, **DROPOUT).fit(X, y)
    second = Estimator(**SMALL_NET, **DROPOUT).fit(X, y)
    assert_same_parameters(first, second)
    assert first.loss_curve_ == second.loss_curve_
    assert_array_equal(outputs(first, X), outputs(second, X))


def test_fits_with_different_random_states_differ(Estimator, Xy):
    X, y = Xy
    first = Estimator(**{**SMALL_NET, "random_state": 0}, **DROPOUT).fit(X, y)
    second = Estimator(**{**SMALL_NET, "random_state": 1}, **DROPOUT).fit(X, y)
    assert_different_parameters(first, second)
    assert not np.array_equal(outputs(first, X), outputs(second, X))


@pytest.mark.parametrize(
    "dropout", [{"dropout_rate": 0.5}, {"input_dropout": 0.3}], ids=["hidden", "input"]
)
def test_dropout_changes_the_fit(Estimator, Xy, dropout):
    X, y = Xy
    no_dropout = {"dropout_rate": 0.0, "input_dropout": 0.0, "max_norm": None}
    plain = Estimator(**SMALL_NET, **no_dropout).fit(X, y)
    dropped = Estimator(**SMALL_NET, **{**no_dropout, **dropout}).fit(X, y)
    assert_different_parameters(plain, dropped)
    assert plain.loss_curve_ != dropped.loss_curve_


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
def test_max_norm_holds_with_adam_betas_at_zero(Estimator, Xy, beta_1, beta_2):
    # sklearn accepts beta_2=0; Adam's step bound is then unbounded (or, with
    # beta_1=0 too, the learning rate), and max-norm must still work.
    # The biases, which max-norm leaves alone, can then blow up: such a fit
    # diverges and says so, and the weights it keeps respect the cap too.
    X, y = Xy
    est = Estimator(**SMALL_NET, beta_1=beta_1, beta_2=beta_2, max_norm=0.5)
    try:
        est.fit(X, y)
    except ValueError as exc:
        assert "diverged" in str(exc)
    assert column_norms(est).max() <= 0.5 * (1 + 1e-12)


def test_max_norm_bounds_every_weight_column_after_each_partial_fit(Estimator, Xy):
    X, y = Xy
    est = Estimator(**{**SMALL_NET, "learning_rate_init": 0.1}, **DROPOUT, max_norm=0.8)
    for _ in range(4):
        est.partial_fit(X, y, **partial_fit_kwargs(Estimator, y))
        assert np.all(column_norms(est) <= 0.8 + 1e-12)
    assert np.any(np.isclose(column_norms(est), 0.8, rtol=1e-12))


# ---------------------------------------------------------------- input data


@pytest.mark.parametrize("shuffle", [True, False])
@pytest.mark.parametrize("fmt", ["csr", "csc"])
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
def test_sparse_and_dense_input_predict_the_same(Estimator, Xy, fmt):
    X, y = Xy
    X_sparse = sp.random(
        X.shape[0], X.shape[1], density=0.5, format=fmt, random_state=0
    )
    est = Estimator(**SMALL_NET, input_dropout=0.3).fit(X_sparse, y)
    assert_allclose(outputs(est, X_sparse), outputs(est, X_sparse.toarray()))


@pytest.mark.parametrize("shuffle", [True, False])
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


@pytest.mark.parametrize("sparse_format", [sp.csr_matrix, sp.csc_matrix, sp.csr_array])
def test_sparse_label_indicator_targets_train_as_dense_and_predict_sparse(
    multilabel_data, sparse_format
):
    # What MultiLabelBinarizer(sparse_output=True) gives; sklearn's MLP takes
    # it too, and predicts a sparse indicator matrix.
    X, Y = multilabel_data
    params = {**SMALL_NET, **DROPOUT, "class_weight": [{1: 2.0}] * Y.shape[1]}
    dense = DropoutMLPClassifier(**params).fit(X, Y, X_val=X, y_val=Y)
    sparse = DropoutMLPClassifier(**params).fit(
        X, sparse_format(Y), X_val=X, y_val=sparse_format(Y)
    )
    for left, right in zip(dense.coefs_, sparse.coefs_):
        assert_array_equal(left, right)
    assert_array_equal(sparse.validation_scores_, dense.validation_scores_)
    prediction = sparse.predict(X)
    assert sp.issparse(prediction)
    assert_array_equal(prediction.toarray(), dense.predict(X))


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


# ---------------------------------------------------------------------- clone
def test_clone_refits_to_identical_predictions(Estimator, Xy):
    X, y = Xy
    est = Estimator(**SMALL_NET, **DROPOUT).fit(X, y)
    refit = clone(est).fit(X, y)
    assert_array_equal(outputs(refit, X), outputs(est, X))
    assert_array_equal(refit.predict(X), est.predict(X))


# --------------------------------------------------------- regression targets
def test_regressor_accepts_sparse_multi_output_targets(regression_data):
    X, y = regression_data
    Y = np.c_[y, -y]
    dense = DropoutMLPRegressor(**SMALL_NET).fit(X, Y)
    sparse = DropoutMLPRegressor(**SMALL_NET).fit(X, sp.csr_matrix(Y))
    assert_same_parameters(dense, sparse)


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
