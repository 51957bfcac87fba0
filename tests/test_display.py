"""TrainingCurveDisplay: the per-epoch loss and validation-score plots."""

import sys
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits, make_regression
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skdropout import DropoutMLPClassifier, DropoutMLPRegressor
from skdropout._display import TrainingCurveDisplay

matplotlib = pytest.importorskip(
    "matplotlib",
    reason="needs matplotlib: pip install '.[plot]'",
)
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

N_EPOCHS = 8


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def _fit(estimator, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(*args, **kwargs)


def _classification_split():
    X, y = load_digits(return_X_y=True)
    return train_test_split(X[:300] / 16, y[:300], random_state=0)


def _regression_split():
    X, y = make_regression(n_samples=200, n_features=6, noise=0.1, random_state=0)
    return train_test_split(X, y / y.std(), random_state=0)


@pytest.fixture(scope="module")
def fitted():
    """Small networks fitted for N_EPOCHS epochs, with and without validation."""
    X_train, X_val, y_train, y_val = _classification_split()
    Xr_train, Xr_val, yr_train, yr_val = _regression_split()
    params = dict(hidden_layer_sizes=(16,), max_iter=N_EPOCHS, random_state=0)
    return {
        "classifier": _fit(
            DropoutMLPClassifier(**params), X_train, y_train, X_val=X_val, y_val=y_val
        ),
        "classifier_no_validation": _fit(
            DropoutMLPClassifier(**params), X_train, y_train
        ),
        "regressor": _fit(
            DropoutMLPRegressor(**params),
            Xr_train,
            yr_train,
            X_val=Xr_val,
            y_val=yr_val,
        ),
        "regressor_early_stopping": _fit(
            DropoutMLPRegressor(early_stopping=True, n_iter_no_change=100, **params),
            Xr_train,
            yr_train,
        ),
    }


@pytest.mark.parametrize("key", ["classifier", "regressor", "regressor_early_stopping"])
def test_loss_draws_training_and_validation_curves(fitted, key):
    est = fitted[key]
    display = TrainingCurveDisplay.from_estimator(est)

    assert isinstance(display.ax_, matplotlib.axes.Axes)
    assert display.figure_ is display.ax_.figure
    train, validation = display.lines_
    name = type(est).__name__
    assert train.get_label() == f"{name}: training loss"
    assert validation.get_label() == f"{name}: validation loss"
    np.testing.assert_array_equal(train.get_xdata(), np.arange(1, N_EPOCHS + 1))
    np.testing.assert_allclose(train.get_ydata(), est.loss_curve_)
    np.testing.assert_array_equal(validation.get_xdata(), np.arange(1, N_EPOCHS + 1))
    np.testing.assert_allclose(validation.get_ydata(), est.validation_loss_curve_)
    # One colour per model; validation dashed.
    assert validation.get_color() == train.get_color()
    assert train.get_linestyle() == "-"
    assert validation.get_linestyle() == "--"
    assert display.ax_.get_xlabel() == "Epoch"
    assert display.ax_.get_ylabel() == "Loss"
    legend = [text.get_text() for text in display.ax_.get_legend().get_texts()]
    assert legend == [train.get_label(), validation.get_label()]


def test_loss_without_validation_set_draws_training_curve_only(fitted):
    est = fitted["classifier_no_validation"]
    assert est.validation_loss_curve_ is None
    display = TrainingCurveDisplay.from_estimator(est, name="net")

    (train,) = display.lines_
    assert train.get_label() == "net: training loss"
    np.testing.assert_allclose(train.get_ydata(), est.loss_curve_)
    assert len(display.ax_.get_lines()) == 1


def test_two_estimators_overlay_on_one_axes(fitted):
    _, ax = plt.subplots()
    first = TrainingCurveDisplay.from_estimator(fitted["classifier"], ax=ax, name="a")
    second = TrainingCurveDisplay.from_estimator(
        fitted["classifier_no_validation"], ax=ax, name="b"
    )

    assert first.ax_ is ax and second.ax_ is ax
    assert first.figure_ is second.figure_
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels == ["a: training loss", "a: validation loss", "b: training loss"]
    legend = [text.get_text() for text in ax.get_legend().get_texts()]
    assert legend == labels
    # The second model takes the next colour of the cycle.
    assert first.lines_[0].get_color() != second.lines_[0].get_color()
    assert len(second.lines_) == 1


@pytest.mark.parametrize(
    "key, score_name",
    [
        ("classifier", "accuracy"),
        ("regressor", "R²"),
        ("regressor_early_stopping", "R²"),
    ],
)
def test_score_draws_validation_score(fitted, key, score_name):
    est = fitted[key]
    display = TrainingCurveDisplay.from_estimator(est, metric="score", name="net")

    (line,) = display.lines_
    assert line.get_label() == f"net: validation {score_name}"
    np.testing.assert_allclose(line.get_ydata(), est.validation_scores_)
    np.testing.assert_array_equal(line.get_xdata(), np.arange(1, N_EPOCHS + 1))
    assert display.ax_.get_ylabel() == f"Validation {score_name}"


def test_plot_keywords_override_defaults(fitted):
    display = TrainingCurveDisplay.from_estimator(
        fitted["classifier"],
        train_kw={"c": "red", "label": "train"},
        validation_kw={"color": "black", "ls": ":", "lw": 3},
    )

    train, validation = display.lines_
    assert (train.get_color(), train.get_label()) == ("red", "train")
    assert validation.get_color() == "black"
    assert validation.get_linestyle() == ":"
    assert validation.get_linewidth() == 3


def test_plot_name_overrides_stored_name(fitted):
    display = TrainingCurveDisplay.from_estimator(fitted["classifier"], name="old")
    display.plot(name="new")

    assert [line.get_label() for line in display.lines_] == [
        "new: training loss",
        "new: validation loss",
    ]


def test_display_from_arrays_without_name():
    display = TrainingCurveDisplay(
        train_loss=[1.0, 0.5, 0.25], validation_score=[0.7, 0.8, 0.9]
    ).plot(metric="score")

    (line,) = display.lines_
    assert line.get_label() == "Validation score"
    assert display.ax_.get_ylabel() == "Validation score"
    display.plot(metric="loss")
    assert [line.get_label() for line in display.lines_] == ["Training loss"]


def test_empty_name_gives_unprefixed_labels():
    display = TrainingCurveDisplay(
        train_loss=[1.0, 0.5], validation_loss=[0.9, 0.6], name=""
    ).plot()

    assert [line.get_label() for line in display.lines_] == [
        "Training loss",
        "Validation loss",
    ]


def test_display_keeps_its_curves_when_the_estimator_trains_on():
    X_train, X_val, y_train, y_val = _classification_split()
    clf = DropoutMLPClassifier(
        hidden_layer_sizes=(8,), max_iter=3, warm_start=True, random_state=0
    )
    _fit(clf, X_train, y_train, X_val=X_val, y_val=y_val)
    display = TrainingCurveDisplay.from_estimator(clf)
    _fit(clf, X_train, y_train, X_val=X_val, y_val=y_val)

    display.plot()  # redraws the three epochs it was made from
    assert [len(line.get_xdata()) for line in display.lines_] == [3, 3]
    display.plot(metric="score")
    assert len(display.lines_[0].get_ydata()) == 3


def test_an_isolated_validation_point_between_gaps_is_drawn_with_a_marker():
    display = TrainingCurveDisplay(
        train_loss=[1.0, 0.8, 0.6], validation_loss=[np.nan, 0.7, np.nan]
    ).plot()

    assert display.lines_[1].get_marker() == "."


def test_a_validation_curve_without_gaps_has_no_marker():
    display = TrainingCurveDisplay(
        train_loss=[1.0, 0.8, 0.6], validation_loss=[0.9, 0.7, 0.65]
    ).plot()

    assert display.lines_[1].get_marker() in ("None", None, "")


def test_shorter_validation_curve_is_aligned_with_last_epochs():
    display = TrainingCurveDisplay(
        train_loss=[1.0, 0.8, 0.6, 0.5], validation_loss=[0.7, 0.65]
    ).plot()

    np.testing.assert_array_equal(display.lines_[1].get_xdata(), [3, 4])


def test_pipeline_is_read_through_its_last_step():
    X_train, X_val, y_train, y_val = _classification_split()
    pipe = make_pipeline(
        StandardScaler(),
        DropoutMLPClassifier(hidden_layer_sizes=(8,), max_iter=3, random_state=0),
    )
    _fit(pipe, X_train, y_train)

    display = TrainingCurveDisplay.from_estimator(pipe)
    assert display.lines_[0].get_label() == "DropoutMLPClassifier: training loss"


def test_sklearn_mlp_is_accepted():
    X_train, _, y_train, _ = _classification_split()
    mlp = _fit(
        MLPClassifier(hidden_layer_sizes=(8,), max_iter=3, random_state=0),
        X_train,
        y_train,
    )

    display = TrainingCurveDisplay.from_estimator(mlp)
    np.testing.assert_allclose(display.lines_[0].get_ydata(), mlp.loss_curve_)


def test_unfitted_estimator_raises(Estimator):
    with pytest.raises(NotFittedError, match="is not fitted yet"):
        TrainingCurveDisplay.from_estimator(Estimator())


def test_estimator_without_loss_curve_raises():
    X_train, _, y_train, _ = _classification_split()
    est = LogisticRegression(max_iter=500).fit(X_train, y_train)
    with pytest.raises(TypeError, match="loss_curve_"):
        TrainingCurveDisplay.from_estimator(est)


def test_score_without_validation_set_raises(fitted):
    with pytest.raises(ValueError, match="fitted without a validation set"):
        TrainingCurveDisplay.from_estimator(
            fitted["classifier_no_validation"], metric="score"
        )
    # The error comes before any figure is made.
    assert plt.get_fignums() == []


def test_unknown_metric_raises(fitted):
    with pytest.raises(ValueError, match="metric must be one of"):
        TrainingCurveDisplay.from_estimator(fitted["classifier"], metric="accuracy")


def test_missing_training_loss_raises():
    with pytest.raises(ValueError, match="train_loss is None"):
        TrainingCurveDisplay(train_loss=None).plot()


def test_mismatched_epochs_raise():
    display = TrainingCurveDisplay(epochs=[1, 2], train_loss=[1.0, 0.5, 0.2])
    with pytest.raises(ValueError, match="one epoch number per training loss"):
        display.plot()


def test_validation_curve_longer_than_training_raises():
    display = TrainingCurveDisplay(train_loss=[1.0], validation_loss=[1.0, 0.5])
    with pytest.raises(ValueError, match="more than the 1 epochs"):
        display.plot()


@pytest.mark.parametrize("method", ["plot", "from_estimator"])
def test_missing_matplotlib_names_the_extra(fitted, monkeypatch, method):
    # None in sys.modules makes `import matplotlib...` fail as if uninstalled.
    for module in list(sys.modules):
        if module == "matplotlib" or module.startswith("matplotlib."):
            monkeypatch.setitem(sys.modules, module, None)
    est = fitted["classifier"]
    expected = (
        rf"TrainingCurveDisplay\.{method} requires matplotlib, from "
        r"skdropout's 'plot' extra: pip install \"skdropout\[plot\]\""
    )
    with pytest.raises(ImportError, match=expected):
        if method == "plot":
            TrainingCurveDisplay(train_loss=est.loss_curve_).plot()
        else:
            TrainingCurveDisplay.from_estimator(est)
