"""Bad input and bad parameters fail early with an error that names the problem.

``test_bad_input_raises_a_clear_error`` is one table: every row is a way to
misuse an estimator, the exception type it must raise and a regex the message
must match (the parameter's name or the problem). Count the rows with::

    pytest --collect-only -q tests/test_bad_input.py | grep -c bad_input_raises

The second half checks that no method ever writes into the arrays it is given.
"""

import sys
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from _helpers import SMALL_NET, is_classifier_class
from numpy.testing import assert_array_equal

from skdropout import DropoutMLPClassifier, DropoutMLPRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

CLF = DropoutMLPClassifier
REG = DropoutMLPRegressor
BOTH = (CLF, REG)
SHORT_NAME = {CLF: "classifier", REG: "regressor"}

# Small enough for the rows that have to fit a network before misusing it.
TINY_NET = {**SMALL_NET, "hidden_layer_sizes": (5,), "max_iter": 2}
TWO_LAYERS = {"hidden_layer_sizes": (5, 4)}


def partial_fit_kwargs(est, y):
    return {"classes": np.unique(y)} if is_classifier_class(type(est)) else {}


# ------------------------------------------------------- ways to misuse it
# Each builder returns ``prepare(est, X, y)``, which does any setup (such as
# a first, valid fit) and returns the zero-argument call that must raise.
def _same(a):
    return a


def call_fit(X=_same, y=_same, sample_weight=None):
    """``fit`` with X and y passed through the given transformations."""

    def prepare(est, X0, y0):
        kwargs = {} if sample_weight is None else {"sample_weight": sample_weight}
        return lambda: est.fit(X(X0), y(y0), **kwargs)

    return prepare


def call_after_fit(method, X=_same, y=None):
    """Fit on good data, then call ``method`` on transformed X (and y)."""

    def prepare(est, X0, y0):
        est.fit(X0, y0)
        args = [X(X0)] if y is None else [X(X0), y(y0)]
        return lambda: getattr(est, method)(*args)

    return prepare


def call_partial_fit_after_fit(X=_same, y=_same, **kwargs):
    """Fit on good data, then ``partial_fit`` on transformed X and y."""

    def prepare(est, X0, y0):
        est.fit(X0, y0)
        return lambda: est.partial_fit(X(X0), y(y0), **kwargs)

    return prepare


def call_partial_fit(**kwargs):
    """A first ``partial_fit`` (with ``classes=`` for a classifier)."""

    def prepare(est, X0, y0):
        return lambda: est.partial_fit(
            X0, y0, **{**partial_fit_kwargs(est, y0), **kwargs}
        )

    return prepare


def call_fit_with_validation_set(X_val=None, y_val=None, sample_weight_val=None):
    """``fit`` with a validation set made from the training data."""

    def prepare(est, X0, y0):
        kwargs = {}
        if X_val is not None:
            kwargs["X_val"] = X_val(X0)
        if y_val is not None:
            kwargs["y_val"] = y_val(y0)
        if sample_weight_val is not None:
            kwargs["sample_weight_val"] = sample_weight_val
        return lambda: est.fit(X0, y0, **kwargs)

    return prepare


def call_sampling_after_fit(method, X=_same, **kwargs):
    """Fit on good data, then draw Monte Carlo dropout predictions."""

    def prepare(est, X0, y0):
        est.fit(X0, y0)
        return lambda: getattr(est, method)(X(X0), **kwargs)

    return prepare


def call_partial_fit_with_new_classes(est, X0, y0):
    classes = np.unique(y0)
    est.partial_fit(X0, y0, classes=classes)
    return lambda: est.partial_fit(X0, y0, classes=np.append(classes, 99))


def call_partial_fit_without_classes(est, X0, y0):
    return lambda: est.partial_fit(X0, y0)


def call_partial_fit_with_unseen_label(est, X0, y0):
    classes = np.unique(y0)
    est.partial_fit(X0, y0, classes=classes)
    y_new = y0.copy()
    y_new[0] = 99
    return lambda: est.partial_fit(X0, y_new)


def call_warm_start_with_other_layers(est, X0, y0):
    est.fit(X0, y0)
    est.set_params(warm_start=True, hidden_layer_sizes=(7,))
    return lambda: est.fit(X0, y0)


def call_predict_before_fit(est, X0, y0):
    return lambda: est.predict(X0)


# ---------------------------------------------------- transformations of data
def with_nan(X):
    X = X.astype(float)
    X[3, 1] = np.nan
    return X


def with_inf(X):
    X = X.astype(float)
    X[3, 1] = np.inf
    return X


def with_nan_1d(y):
    y = y.astype(float)
    y[3] = np.nan
    return y


def with_pd_na(y):
    y = y.astype(object)
    y[3] = pd.NA
    return y


def as_strings_with_na(y):
    """Labels as a pandas string column, one of them pd.NA."""
    labels = pd.Series(np.asarray(y).astype(str), dtype="string")
    labels[3] = pd.NA
    return labels


def no_rows(X):
    return X[:0]


def as_strings(X):
    return np.full(X.shape, "a", dtype=object)


def as_words(y):
    return np.full(np.shape(y), "many", dtype=object)


def as_dates(y):
    return np.arange(len(y)).astype("datetime64[D]")


def as_frame(X):
    return pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])


def with_column(make_column):
    """X as a DataFrame with its last feature replaced by ``make_column(n)``."""

    def transform(X):
        frame = as_frame(X)
        frame[frame.columns[-1]] = make_column(len(frame))
        return frame.rename(columns={frame.columns[-1]: "odd"})

    return transform


def words(n):
    return np.array(["red", "green", "blue"] * n)[:n]


def dates(n):
    return pd.date_range("2024-01-01", periods=n, freq="D")


def durations(n):
    return pd.to_timedelta(np.arange(n), unit="h")


def periods(n):
    return pd.period_range("2024-01", periods=n, freq="M")


def word_categories(n):
    return pd.Categorical(words(n))


def as_dates_2d(X):
    return np.arange(X.size).astype("datetime64[D]").reshape(X.shape)


def fit_frame_then_predict(X=_same, method="predict"):
    """Fit on X as a DataFrame, then call ``method`` on the transformed X."""

    def prepare(est, X0, y0):
        est.fit(as_frame(X0), y0)
        return lambda: getattr(est, method)(X(X0))

    return prepare


def drop_a_feature(X):
    return X[:, :-1]


def drop_a_row(a):
    return a[:-1]


def unseen_labels(y):
    return y + 100


def one_class(y):
    return np.full_like(y, y[0])


def tiny(a):
    return a[:5]


def three_d(X):
    return X[:, :, np.newaxis]


def negative(y):
    return -np.abs(y) - 1.0


def zero_weights(X):
    return np.zeros(X.shape[0])


def three_d_targets(y):
    return y[:, np.newaxis, np.newaxis]


def first_target(y):
    return y[0]  # a scalar


def with_none(y):
    y = y.astype(object)
    y[3] = None
    return y


def one_spam_among_hams(y):
    labels = np.full(len(y), "ham", dtype=object)
    labels[0] = "spam"
    return labels


def indicator(y):
    """A two-column label indicator matrix made from y's labels."""
    return np.c_[y == y[0], y != y[0]].astype(int)


def fit_indicator(Y=indicator, Y_val=None):
    """``fit`` on an indicator matrix, optionally with a validation set."""

    def prepare(est, X0, y0):
        kwargs = {} if Y_val is None else {"X_val": X0, "y_val": Y_val(y0)}
        return lambda: est.fit(X0, Y(y0), **kwargs)

    return prepare


@dataclass(frozen=True)
class BadInput:
    """One row of the table: how to misuse the estimator, and what it says."""

    id: str
    prepare: object
    error: type
    match: str
    params: dict = field(default_factory=dict)
    estimators: tuple = BOTH


# Rows of conftest's datasets, for the sample_weight arrays below.
N_ROWS = 120

BAD_INPUTS = [
    # --- data
    BadInput("nan_in_X", call_fit(X=with_nan), ValueError, "Input X contains NaN"),
    BadInput("inf_in_X", call_fit(X=with_inf), ValueError, "Input X contains infinity"),
    BadInput("nan_in_y", call_fit(y=with_nan_1d), ValueError, "Input y contains NaN"),
    BadInput(
        "none_in_y",
        call_fit(y=with_none),
        ValueError,
        r"Input y contains NaN \(a missing target, such as None or pd.NA\)",
        estimators=(REG,),
    ),
    BadInput(
        "none_in_y_labels",
        call_fit(y=with_none),
        ValueError,
        r"y has 1 missing label\(s\) \(None, NaN or pd.NA\)",
        estimators=(CLF,),
    ),
    BadInput(
        "na_in_string_labels",
        call_fit(y=as_strings_with_na),
        ValueError,
        "y has 1 missing label",
        estimators=(CLF,),
    ),
    BadInput(
        "na_in_object_labels",
        call_fit(y=with_pd_na),
        ValueError,
        "y has 1 missing label",
        estimators=(CLF,),
    ),
    BadInput(
        "na_in_object_targets",
        call_fit(y=with_pd_na),
        ValueError,
        r"Input y contains NaN \(a missing target, such as None or pd.NA\)",
        estimators=(REG,),
    ),
    BadInput("empty_X", call_fit(X=no_rows, y=no_rows), ValueError, r"0 sample\(s\)"),
    BadInput(
        "string_X", call_fit(X=as_strings), ValueError, "could not convert string"
    ),
    BadInput("3d_X", call_fit(X=three_d), ValueError, "dim 3"),
    BadInput(
        "column_of_words_in_frame",
        call_fit(X=with_column(words)),
        ValueError,
        r"X has 1 column\(s\) of text or other values, not numbers: 'odd' \(.*"
        r"OneHotEncoder",
    ),
    BadInput(
        "column_of_word_categories_in_frame",
        call_fit(X=with_column(word_categories)),
        ValueError,
        r"X has 1 column\(s\) of text or other values, not numbers: 'odd' "
        r"\(category\)",
    ),
    BadInput(
        "column_of_dates_in_frame",
        call_fit(X=with_column(dates)),
        ValueError,
        r"X has 1 column\(s\) of dates, durations or text, not numbers: 'odd' "
        r"\(datetime64",
    ),
    BadInput(
        "column_of_durations_in_frame",
        call_fit(X=with_column(durations)),
        ValueError,
        r"column\(s\) of dates, durations or text, not numbers: 'odd' "
        r"\(timedelta64",
    ),
    BadInput(
        "column_of_periods_in_frame",
        call_fit(X=with_column(periods)),
        ValueError,
        r"column\(s\) of dates, durations or text, not numbers: 'odd' \(period",
    ),
    BadInput(
        "dates_as_X",
        call_fit(X=as_dates_2d),
        ValueError,
        r"X holds dates or durations \(dtype datetime64\[D\]\)",
    ),
    BadInput(
        "column_of_words_at_predict",
        fit_frame_then_predict(X=with_column(words)),
        ValueError,
        r"X has 1 column\(s\) of text or other values, not numbers: 'odd'",
    ),
    BadInput(
        "column_of_dates_at_partial_fit",
        call_partial_fit_after_fit(X=with_column(dates)),
        ValueError,
        r"column\(s\) of dates, durations or text, not numbers: 'odd'",
    ),
    BadInput(
        "column_of_words_in_validation_set",
        call_fit_with_validation_set(X_val=with_column(words), y_val=_same),
        ValueError,
        r"X_val: X has 1 column\(s\) of text or other values, not numbers: 'odd'",
    ),
    BadInput(
        "words_as_regression_targets",
        call_fit(y=as_words),
        ValueError,
        r"y must hold numbers, a regressor's targets; converting it to float "
        r"failed: could not convert",
        estimators=(REG,),
    ),
    BadInput(
        "dates_as_regression_targets",
        call_fit(y=as_dates),
        ValueError,
        r"y holds dates or durations \(dtype datetime64\[D\]\)",
        estimators=(REG,),
    ),
    BadInput(
        "words_as_regression_validation_targets",
        call_fit_with_validation_set(X_val=_same, y_val=as_words),
        ValueError,
        r"y_val must hold numbers",
        estimators=(REG,),
    ),
    BadInput(
        "X_and_y_of_different_lengths",
        call_fit(y=drop_a_row),
        ValueError,
        "inconsistent numbers of samples",
    ),
    BadInput(
        "one_class_in_y",
        call_fit(y=one_class),
        ValueError,
        "at least 2 classes",
        estimators=(CLF,),
    ),
    BadInput(
        "negative_y_with_poisson_loss",
        call_fit(y=negative),
        ValueError,
        "poisson.*non-negative y",
        params={"loss": "poisson"},
        estimators=(REG,),
    ),
    # --- data at predict time and in later calls
    BadInput(
        "predict_before_fit",
        call_predict_before_fit,
        ValueError,
        "not fitted yet",
    ),
    BadInput(
        "wrong_n_features_at_predict",
        call_after_fit("predict", X=drop_a_feature),
        ValueError,
        "X has 7 features, but .* is expecting 8 features",
    ),
    BadInput(
        "wrong_n_features_at_predict_proba",
        call_after_fit("predict_proba", X=drop_a_feature),
        ValueError,
        "X has 7 features, but .* is expecting 8 features",
        estimators=(CLF,),
    ),
    BadInput(
        "wrong_n_features_at_score",
        call_after_fit("score", X=drop_a_feature, y=_same),
        ValueError,
        "X has 7 features, but .* is expecting 8 features",
    ),
    BadInput(
        "nan_in_X_at_predict",
        call_after_fit("predict", X=with_nan),
        ValueError,
        "Input X contains NaN",
    ),
    BadInput(
        "wrong_n_features_at_partial_fit",
        call_partial_fit_after_fit(X=drop_a_feature),
        ValueError,
        "X has 7 features, but .* is expecting 8 features",
    ),
    BadInput(
        "partial_fit_classes_change",
        call_partial_fit_with_new_classes,
        ValueError,
        "classes=.* is not the same as on last call to partial_fit",
        estimators=(CLF,),
    ),
    BadInput(
        "partial_fit_first_call_without_classes",
        call_partial_fit_without_classes,
        ValueError,
        "classes must be passed on the first call to partial_fit",
        estimators=(CLF,),
    ),
    BadInput(
        "partial_fit_label_outside_classes",
        call_partial_fit_with_unseen_label,
        ValueError,
        "`y` has classes not in `self.classes_`",
        estimators=(CLF,),
    ),
    BadInput(
        "partial_fit_with_early_stopping",
        call_partial_fit(),
        ValueError,
        "partial_fit does not support early_stopping",
        params={"early_stopping": True},
    ),
    BadInput(
        "warm_start_with_other_hidden_layer_sizes",
        call_warm_start_with_other_layers,
        ValueError,
        "layer sizes.*warm_start=False",
    ),
    # --- a validation set passed to fit
    BadInput(
        "X_val_without_y_val",
        call_fit_with_validation_set(X_val=_same),
        ValueError,
        "X_val and y_val must be given together",
    ),
    BadInput(
        "y_val_without_X_val",
        call_fit_with_validation_set(y_val=_same),
        ValueError,
        "X_val and y_val must be given together",
    ),
    BadInput(
        "X_val_with_wrong_n_features",
        call_fit_with_validation_set(X_val=drop_a_feature, y_val=_same),
        ValueError,
        "X has 7 features, but .* is expecting 8 features",
    ),
    BadInput(
        "X_val_and_y_val_of_different_lengths",
        call_fit_with_validation_set(X_val=_same, y_val=drop_a_row),
        ValueError,
        "X_val has 120 samples but y_val has 119",
    ),
    BadInput(
        "nan_in_X_val",
        call_fit_with_validation_set(X_val=with_nan, y_val=_same),
        ValueError,
        "contains NaN",
    ),
    BadInput(
        "X_val_of_one_sample",
        call_fit_with_validation_set(X_val=lambda X: X[:1], y_val=lambda y: y[:1]),
        ValueError,
        "X_val has 1 sample; a validation set needs at least 2",
    ),
    BadInput(
        "sample_weight_val_without_X_val",
        call_fit_with_validation_set(sample_weight_val=np.ones(N_ROWS)),
        ValueError,
        "sample_weight_val .* together with X_val and y_val",
    ),
    BadInput(
        "y_val_with_classes_not_in_y",
        call_fit_with_validation_set(X_val=_same, y_val=unseen_labels),
        ValueError,
        "y_val has classes .* not in the training classes",
        estimators=(CLF,),
    ),
    BadInput(
        "nan_in_y_val",
        call_fit_with_validation_set(X_val=_same, y_val=with_nan_1d),
        ValueError,
        "Input y_val contains NaN",
    ),
    BadInput(
        "3d_y_val",
        call_fit_with_validation_set(X_val=_same, y_val=three_d_targets),
        ValueError,
        "y_val: Found array with dim 3",
    ),
    BadInput(
        "scalar_y_val",
        call_fit_with_validation_set(X_val=_same, y_val=first_target),
        TypeError,
        "y_val: Input should have at least 1 dimension",
    ),
    BadInput(
        "none_in_y_val_labels",
        call_fit_with_validation_set(X_val=_same, y_val=with_none),
        ValueError,
        "y_val has 1 missing label",
        estimators=(CLF,),
    ),
    BadInput(
        "na_in_string_y_val_labels",
        call_fit_with_validation_set(X_val=_same, y_val=as_strings_with_na),
        ValueError,
        "y_val has 1 missing label",
        estimators=(CLF,),
    ),
    BadInput(
        "none_in_y_val_targets",
        call_fit_with_validation_set(X_val=_same, y_val=with_none),
        ValueError,
        "Input y_val contains NaN",
        estimators=(REG,),
    ),
    BadInput(
        "short_sample_weight_val",
        call_fit_with_validation_set(
            X_val=_same, y_val=_same, sample_weight_val=np.ones(3)
        ),
        ValueError,
        r"sample_weight_val has shape \(3,\), expected \(120,\)",
    ),
    BadInput(
        "nan_in_sample_weight_val",
        call_fit_with_validation_set(
            X_val=_same, y_val=_same, sample_weight_val=with_nan_1d(np.ones(N_ROWS))
        ),
        ValueError,
        "sample_weight_val: .*NaN",
    ),
    BadInput(
        "all_zero_sample_weight_val",
        call_fit_with_validation_set(
            X_val=_same, y_val=_same, sample_weight_val=np.zeros(N_ROWS)
        ),
        ValueError,
        "sample_weight_val: .*non-zero",
    ),
    # --- label indicator matrices (multilabel targets)
    BadInput(
        "indicator_y_of_0_and_2",
        fit_indicator(Y=lambda y: 2 * indicator(y)),
        ValueError,
        r"y is a label indicator matrix .* holds \[0, 2\]",
        estimators=(CLF,),
    ),
    BadInput(
        "indicator_y_of_minus_1_and_1",
        fit_indicator(Y=lambda y: 2 * indicator(y) - 1),
        ValueError,
        r"y is a label indicator matrix .* holds \[-1, 1\]",
        estimators=(CLF,),
    ),
    BadInput(
        "sparse_indicator_y_of_0_and_2",
        fit_indicator(Y=lambda y: sp.csr_matrix(2 * indicator(y))),
        ValueError,
        r"y is a label indicator matrix .* holds \[2\]",
        estimators=(CLF,),
    ),
    BadInput(
        "indicator_y_val_of_0_and_2",
        fit_indicator(Y_val=lambda y: 2 * indicator(y)),
        ValueError,
        r"y_val is a label indicator matrix .* holds \[0, 2\]",
        estimators=(CLF,),
    ),
    BadInput(
        "class_weight_dict_with_indicator_y",
        fit_indicator(),
        ValueError,
        "class_weight for multilabel y .* a list of 2 dicts, one per column",
        params={"class_weight": {1: 10.0}},
        estimators=(CLF,),
    ),
    BadInput(
        "class_weight_list_with_one_label_per_row",
        call_fit(),
        ValueError,
        "list of dicts is for multilabel y",
        params={"class_weight": [{1: 10.0}]},
        estimators=(CLF,),
    ),
    BadInput(
        "class_weight_list_of_wrong_length",
        fit_indicator(),
        ValueError,
        "list of 2 dicts",
        params={"class_weight": [{1: 10.0}]},
        estimators=(CLF,),
    ),
    BadInput(
        "partial_fit_with_2d_classes",
        lambda est, X0, y0: lambda: est.partial_fit(X0, y0, classes=[np.unique(y0)]),
        ValueError,
        "classes must be a one-dimensional array-like",
        estimators=(CLF,),
    ),
    BadInput(
        "zero_weights_for_the_whole_early_stopping_split",
        # Only the first row weighs anything: one split gets no weight.
        lambda est, X0, y0: (
            lambda: est.fit(X0, y0, sample_weight=np.r_[1.0, np.zeros(X0.shape[0] - 1)])
        ),
        ValueError,
        "early-stopping (validation|training) split has a weight of 0",
        params={"early_stopping": True},
    ),
    # --- continuing a network
    BadInput(
        "warm_start_with_another_loss",
        lambda est, X0, y0: (
            est.fit(X0, np.abs(y0)),
            est.set_params(warm_start=True, loss="poisson"),
            lambda: est.fit(X0, np.abs(y0)),
        )[-1],
        ValueError,
        "output activation 'identity', but .* ask for 'exp'",
        estimators=(REG,),
    ),
    BadInput(
        "partial_fit_with_one_class",
        lambda est, X0, y0: lambda: est.partial_fit(X0, np.zeros_like(y0), classes=[0]),
        ValueError,
        "classes must list at least 2 classes",
        estimators=(CLF,),
    ),
    BadInput(
        "y_val_squares_overflow",
        call_fit_with_validation_set(X_val=_same, y_val=lambda y: y * 1e160),
        ValueError,
        "y_val has values too large for float64",
        estimators=(REG,),
    ),
    BadInput(
        "y_too_large_for_float32",
        call_fit(X=lambda X: X.astype(np.float32), y=lambda y: y * 1e39),
        ValueError,
        "y has values too large for float32",
        estimators=(REG,),
    ),
    # --- Monte Carlo dropout predictions
    BadInput(
        "sample_predict_n_samples_0",
        call_sampling_after_fit("sample_predict", n_samples=0),
        ValueError,
        "n_samples must be an integer >= 1",
    ),
    BadInput(
        "sample_predict_wrong_n_features",
        call_sampling_after_fit("sample_predict", X=drop_a_feature),
        ValueError,
        "X has 7 features, but .* is expecting 8 features",
    ),
    BadInput(
        "predict_proba_mc_n_samples_0",
        call_sampling_after_fit("predict_proba_mc", n_samples=0),
        ValueError,
        "n_samples must be an integer >= 1",
        estimators=(CLF,),
    ),
    BadInput(
        "predict_return_std_n_samples_0",
        call_sampling_after_fit("predict", return_std=True, n_samples=0),
        ValueError,
        "n_samples must be an integer >= 1",
        estimators=(REG,),
    ),
    # --- sample and class weights
    BadInput(
        "negative_sample_weight",
        call_fit(sample_weight=np.full(N_ROWS, -1.0)),
        ValueError,
        "Negative values in data passed to `sample_weight`",
    ),
    BadInput(
        "all_zero_sample_weight",
        call_fit(sample_weight=np.zeros(N_ROWS)),
        ValueError,
        "Sample weights must contain at least one non-zero number",
    ),
    BadInput(
        "sample_weight_of_wrong_length",
        call_fit(sample_weight=np.ones(N_ROWS - 1)),
        ValueError,
        r"sample_weight\.shape == \(119,\), expected \(120,\)",
    ),
    BadInput(
        "balanced_class_weight_in_partial_fit",
        call_partial_fit(),
        ValueError,
        "class_weight='balanced' is not supported in partial_fit",
        params={"class_weight": "balanced"},
        estimators=(CLF,),
    ),
    *[
        BadInput(
            f"class_weight_{name}",
            call_fit(),
            ValueError,
            "class_weight values must be finite numbers >= 0",
            params={"class_weight": {0: 1.0, 1: value, 2: 1.0}},
            estimators=(CLF,),
        )
        for name, value in [("inf", np.inf), ("nan", np.nan), ("negative", -1.0)]
    ],
    BadInput(
        "class_weight_zero_for_every_weighted_class",
        # sample_weight leaves only class 0, which class_weight then zeroes.
        lambda est, X0, y0: lambda: est.fit(X0, y0, sample_weight=(y0 == 0) * 1.0),
        ValueError,
        "give every sample a weight of 0",
        params={"class_weight": {0: 0.0, 1: 1.0, 2: 1.0}},
        estimators=(CLF,),
    ),
    BadInput(
        "class_weight_beyond_float32",
        call_fit(X=lambda X: X.astype(np.float32)),
        ValueError,
        "class_weight times sample_weight exceeds the range of float32",
        params={"class_weight": {0: 1e39, 1: 1.0, 2: 1.0}},
        estimators=(CLF,),
    ),
    BadInput(
        "sample_weight_summing_beyond_float32",
        # Each weight is a valid float32; their total is not.
        call_fit(X=lambda X: X.astype(np.float32), sample_weight=np.full(N_ROWS, 3e37)),
        ValueError,
        "sample_weight sums beyond the range of float32",
    ),
    BadInput(
        "class_weight_summing_beyond_float32",
        call_fit(X=lambda X: X.astype(np.float32)),
        ValueError,
        "class_weight times sample_weight exceeds the range of float32",
        params={"class_weight": {0: 3e37, 1: 3e37, 2: 3e37}},
        estimators=(CLF,),
    ),
    BadInput(
        "class_weight_zero_for_every_class",
        call_fit(),
        ValueError,
        "give every sample a weight of 0",
        params={"class_weight": {0: 0.0, 1: 0.0, 2: 0.0}},
        estimators=(CLF,),
    ),
    BadInput(
        "class_weight_unknown_string",
        call_fit(),
        ValueError,
        "'class_weight' parameter",
        params={"class_weight": "equal"},
        estimators=(CLF,),
    ),
    # --- dropout parameters
    *[
        BadInput(
            f"dropout_rate_{name}",
            call_fit(),
            error,
            "dropout_rate",
            params={**TWO_LAYERS, "dropout_rate": value},
        )
        for name, value, error in [
            ("1.0", 1.0, ValueError),
            ("-0.1", -0.1, ValueError),
            ("str_0.5", "0.5", TypeError),
            ("one_rate_for_2_layers", [0.5], ValueError),
            ("3_rates_for_2_layers", [0.5, 0.5, 0.5], ValueError),
            ("list_with_1.2", [0.5, 1.2], ValueError),
            ("list_with_-0.5", [0.5, -0.5], ValueError),
            ("list_with_str", [0.5, "a"], TypeError),
            ("list_with_None", [0.5, None], TypeError),
            ("nan", np.nan, ValueError),
            ("None", None, TypeError),
            ("2d_list", [[0.5, 0.5]], ValueError),
            ("set", {0.1, 0.2}, TypeError),
            ("2d_array", np.full((2, 1), 0.5), ValueError),
            ("0d_array_1.5", np.array(1.5), ValueError),
        ]
    ],
    *[
        BadInput(
            f"input_dropout_{name}",
            call_fit(),
            error,
            "input_dropout",
            params={"input_dropout": value},
        )
        for name, value, error in [
            ("1.0", 1.0, ValueError),
            ("-0.2", -0.2, ValueError),
            ("None", None, TypeError),
            ("str_0.2", "0.2", TypeError),
        ]
    ],
    *[
        BadInput(
            f"max_norm_{name}",
            call_fit(),
            error,
            "max_norm",
            params={"max_norm": value},
        )
        for name, value, error in [
            ("0", 0, ValueError),
            ("-1", -1, ValueError),
            ("str_3", "3", TypeError),
        ]
    ],
    # --- network shape
    *[
        BadInput(
            f"hidden_layer_sizes_{name}",
            call_fit(),
            error,
            "hidden_layer_sizes",
            params={"hidden_layer_sizes": value},
        )
        for name, value, error in [
            ("(0,)", (0,), ValueError),
            ("(-5,)", (-5,), ValueError),
            ("(10,0)", (10, 0), ValueError),
            ("(2.5,)", (2.5,), TypeError),
            ("int_0", 0, ValueError),
            ("str", "10", TypeError),
            ("dict", {5: 1}, TypeError),
            ("set", {5, 3}, TypeError),
        ]
    ],
    # --- solver parameters
    *[
        BadInput(
            f"{param}_{name}",
            call_fit(),
            error,
            f"'{param}' parameter",
            params={param: value},
        )
        for param, name, value, error in [
            ("learning_rate_init", "0", 0, ValueError),
            ("learning_rate_init", "-0.1", -0.1, ValueError),
            ("batch_size", "0", 0, ValueError),
            ("batch_size", "str", "all", ValueError),
            ("max_iter", "0", 0, ValueError),
            ("max_iter", "float", 2.5, TypeError),
            ("momentum", "1.5", 1.5, ValueError),
            ("alpha", "-1", -1.0, ValueError),
            ("beta_1", "1", 1.0, ValueError),
            ("validation_fraction", "1", 1.0, ValueError),
            ("activation", "softplus", "softplus", ValueError),
            ("solver", "lbfgs", "lbfgs", ValueError),
            ("learning_rate", "cosine", "cosine", ValueError),
            ("dropout_type", "uniform", "uniform", ValueError),
        ]
    ],
    # The parameter check reads False as the number 0.
    BadInput(
        "dropout_rate_False",
        call_fit(),
        TypeError,
        "dropout_rate must be a float .* got False, a bool",
        params={"dropout_rate": False},
    ),
    # max_norm=True would otherwise be a cap of 1, a third of the default.
    BadInput(
        "max_norm_True",
        call_fit(),
        TypeError,
        "max_norm must be a float, got True, a bool",
        params={"max_norm": True},
    ),
    BadInput(
        "input_dropout_False",
        call_fit(),
        TypeError,
        "input_dropout must be a float, got False, a bool",
        params={"input_dropout": False},
    ),
    BadInput(
        "loss_unknown",
        call_fit(),
        ValueError,
        "'loss' parameter",
        params={"loss": "absolute_error"},
        estimators=(REG,),
    ),
    # --- early stopping split
    BadInput(
        "validation_fraction_0_with_early_stopping",
        call_fit(),
        ValueError,
        "validation_fraction",
        params={"early_stopping": True, "validation_fraction": 0.0},
    ),
    BadInput(
        "validation_fraction_leaves_under_2_validation_samples",
        call_fit(X=tiny, y=tiny),
        ValueError,
        "validation_fraction",
        params={"early_stopping": True, "validation_fraction": 0.1},
    ),
    BadInput(
        "early_stopping_with_a_class_of_one_sample",
        call_fit(y=one_spam_among_hams),
        ValueError,
        r"these classes have a single sample: \['spam'\]",
        params={"early_stopping": True},
        estimators=(CLF,),
    ),
    BadInput(
        "validation_fraction_leaves_no_training_samples",
        call_fit(X=tiny, y=tiny),
        ValueError,
        "validation_fraction",
        params={"early_stopping": True, "validation_fraction": 0.99},
    ),
]


BAD_INPUT_PARAMS = [
    pytest.param(Estimator, case, id=f"{case.id}-{SHORT_NAME[Estimator]}")
    for case in BAD_INPUTS
    for Estimator in case.estimators
]


def test_bad_input_table_ids_are_unique():
    ids = [case.id for case in BAD_INPUTS]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize(("Estimator", "case"), BAD_INPUT_PARAMS)
def test_bad_input_raises_a_clear_error(Estimator, case, Xy):
    X, y = Xy
    est = Estimator(**{**TINY_NET, **case.params})
    call = case.prepare(est, X, y)
    with pytest.raises(case.error, match=case.match):
        call()


# --------------------------------------------------- inputs are left alone
DROPOUT_EVERYWHERE = {
    "hidden_layer_sizes": (6, 5),
    "dropout_rate": 0.4,
    "input_dropout": 0.3,
    "max_norm": 1.0,
    "max_iter": 3,
    "batch_size": 16,
    "random_state": 0,
}


def make_X(kind, X):
    if kind == "dense_float64":
        return np.asarray(X, dtype=np.float64)
    if kind == "dense_float32":
        return np.asarray(X, dtype=np.float32)
    if kind == "dense_fortran":
        return np.asfortranarray(X)
    if kind == "csr":
        return sp.csr_matrix(X)
    if kind == "csc":
        return sp.csc_matrix(X)
    if kind == "dataframe":
        return pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    raise AssertionError(kind)


def snapshot(a):
    """A deep copy to compare against, bit for bit, in the same memory layout."""
    return a.copy(order="K") if isinstance(a, np.ndarray) else a.copy()


def assert_unchanged(a, original):
    assert type(a) is type(original)
    if isinstance(a, pd.DataFrame):
        pd.testing.assert_frame_equal(a, original, check_exact=True)
        return
    if sp.issparse(a):
        assert a.format == original.format
        for attr in ("data", "indices", "indptr"):
            assert getattr(a, attr).dtype == getattr(original, attr).dtype
            assert getattr(a, attr).tobytes() == getattr(original, attr).tobytes()
        return
    assert a.dtype == original.dtype
    assert a.shape == original.shape
    assert a.flags.c_contiguous == original.flags.c_contiguous
    assert_array_equal(a, original, strict=True)
    assert a.tobytes() == original.tobytes()


INPUT_KINDS = [
    "dense_float64",
    "dense_float32",
    "dense_fortran",
    "csr",
    "csc",
    "dataframe",
]


@pytest.mark.parametrize("dropout_type", ["bernoulli", "gaussian"])
@pytest.mark.parametrize("shuffle", [True, False], ids=["shuffle", "no_shuffle"])
@pytest.mark.parametrize("method", ["fit", "partial_fit", "predict"])
@pytest.mark.parametrize("kind", INPUT_KINDS)
@pytest.mark.parametrize("Estimator", BOTH, ids=SHORT_NAME.get)
def test_inputs_are_never_modified(Estimator, Xy, kind, method, shuffle, dropout_type):
    X0, y = Xy
    X = make_X(kind, X0)
    sample_weight = np.linspace(0.5, 2.0, X0.shape[0])
    est = Estimator(**DROPOUT_EVERYWHERE, shuffle=shuffle, dropout_type=dropout_type)
    if method == "predict":
        est.fit(X, y, sample_weight=sample_weight)
    originals = [snapshot(a) for a in (X, y, sample_weight)]

    if method == "fit":
        # The same arrays double as the validation set, which must not be
        # written into either.
        est.fit(X, y, sample_weight=sample_weight, X_val=X, y_val=y)
    elif method == "partial_fit":
        kwargs = {"classes": np.unique(y)} if is_classifier_class(Estimator) else {}
        est.partial_fit(X, y, sample_weight=sample_weight, **kwargs)
        est.partial_fit(X, y, sample_weight=sample_weight)
    else:
        est.predict(X)
        if hasattr(est, "predict_proba"):
            est.predict_proba(X)
        est.score(X, y, sample_weight=sample_weight)
        est.sample_predict(X, n_samples=3, random_state=0)

    for array, original in zip((X, y, sample_weight), originals):
        assert_unchanged(array, original)


@pytest.mark.parametrize("Estimator", BOTH, ids=SHORT_NAME.get)
def test_inputs_are_not_modified_when_one_batch_is_the_whole_input(Estimator, Xy):
    # One unshuffled batch may be a view of X itself rather than a copy: input
    # dropout must still not write into it.
    X, y = Xy
    original = X.copy()
    params = {**DROPOUT_EVERYWHERE, "batch_size": X.shape[0]}
    Estimator(**params, shuffle=False).fit(X, y)
    assert_unchanged(X, original)


@pytest.mark.parametrize("pandas_imported", [True, False])
def test_missing_labels_are_counted_with_or_without_pandas_imported(
    pandas_imported, monkeypatch
):
    from skdropout._utils import count_missing

    labels = np.array(["a", None, "b", float("nan"), "c"], dtype=object)
    if not pandas_imported:
        monkeypatch.delitem(sys.modules, "pandas")
    assert count_missing(labels) == 2
    assert count_missing(labels.astype(str)) == 0  # no object array: not asked
