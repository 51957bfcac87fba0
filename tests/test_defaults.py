"""The defaults against scikit-learn's MLPs at theirs, on small data (issue 15).

With dropout on, the epoch's training loss is measured on thinned networks
and is noisy; judged as scikit-learn judges it, one lucky low epoch became
the best loss and the fits stopped after 13 to 150 epochs, at chance level
on circles. These tests fit both estimators as scikit-learn's gallery does
(``max_iter=1000``, standardised inputs, 40% test) over 5 seeds; the full
comparison is ``benchmarks/battery_defaults.py``.
"""

from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sklearn.datasets import (
    load_breast_cancer,
    load_diabetes,
    load_wine,
    make_circles,
    make_classification,
    make_friedman1,
    make_moons,
    make_regression,
)
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.preprocessing import StandardScaler

from skdropout import DropoutMLPClassifier, DropoutMLPRegressor
from skdropout._early_stopping import EarlyStopping, dropout_free_loss
from skdropout._engine import LOSSES
from skdropout._probe import (
    MIN_PROBE_ROWS,
    PROBE_PRODUCTS,
    PROBE_ROWS,
    TrainingProbe,
    probe_size,
)

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

SEEDS = range(5)


def mean_score_and_epochs(Estimator, data, stratify=True, **params):
    scores, epochs = [], []
    for seed in SEEDS:
        X, y = data(seed)
        X_train, X_test, y_train, y_test = train_test_split(
            X, y, test_size=0.4, random_state=seed, stratify=y if stratify else None
        )
        scaler = StandardScaler().fit(X_train)
        est = Estimator(max_iter=1000, random_state=seed, **params)
        est.fit(scaler.transform(X_train), y_train)
        scores.append(est.score(scaler.transform(X_test), y_test))
        epochs.append(est.n_iter_)
    return np.mean(scores), np.mean(epochs)


@pytest.mark.parametrize(
    ("data", "tolerance"),
    [
        # Measured: 0.845 against 0.885 (0.830 before the fix, stopped after
        # 105 epochs on average).
        (lambda s: make_moons(100, noise=0.3, random_state=s), 0.05),
        # Measured: 0.840 against 0.890 (0.530 before, after 45 epochs).
        (lambda s: make_circles(100, noise=0.2, factor=0.5, random_state=s), 0.06),
    ],
    ids=["moons", "circles"],
)
def test_default_classifier_is_not_stopped_by_dropout_noise(data, tolerance):
    ours, our_epochs = mean_score_and_epochs(DropoutMLPClassifier, data)
    theirs, _ = mean_score_and_epochs(MLPClassifier, data)
    assert ours >= theirs - tolerance
    # Trained until the dropout-free loss stops improving: hundreds of
    # epochs, as scikit-learn's MLP, not the 45 to 105 of the noisy rule.
    assert our_epochs >= 300


def test_regressor_with_dropout_trains_as_long_as_it_learns():
    # Measured: R^2 0.393 against 0.398 (-0.112 before the fix).
    def data(seed):
        return load_diabetes(return_X_y=True)

    ours, _ = mean_score_and_epochs(
        DropoutMLPRegressor, data, stratify=False, dropout_rate=0.5
    )
    theirs, _ = mean_score_and_epochs(MLPRegressor, data, stratify=False)
    assert ours >= theirs - 0.02


def test_default_regressor_is_not_over_regularised_on_a_smooth_target():
    # Measured: R^2 0.619 against 0.615; 0.602 at the rate 0.5, the
    # regressor's default before.
    def data(seed):
        return make_friedman1(200, noise=1.0, random_state=seed)

    ours, _ = mean_score_and_epochs(DropoutMLPRegressor, data, stratify=False)
    theirs, _ = mean_score_and_epochs(MLPRegressor, data, stratify=False)
    assert ours >= theirs - 0.01


def first_contact_mean_score_and_epochs(Estimator, load):
    """A newcomer's first fit: a bundled data set as a DataFrame, unscaled,
    split as ``train_test_split`` does by default, the defaults."""
    X, y = load(return_X_y=True, as_frame=True)
    scores, epochs = [], []
    for seed in SEEDS:
        X_train, X_test, y_train, y_test = train_test_split(
            X, y, random_state=seed, stratify=y
        )
        est = Estimator(random_state=seed).fit(X_train, y_train)
        scores.append(est.score(X_test, y_test))
        epochs.append(est.n_iter_)
    return np.mean(scores), np.mean(epochs)


@pytest.mark.parametrize(
    ("load", "tolerance"),
    [
        # Measured: 0.760 against 0.782; 0.333 (chance) before the fix, the
        # fits stopped after 15 to 22 epochs, confidently wrong.
        (load_wine, 0.05),
        # Measured: 0.933 against 0.924; 0.814 before, after 24 epochs.
        (load_breast_cancer, 0.01),
    ],
    ids=["wine", "breast_cancer"],
)
def test_unscaled_data_is_not_stopped_before_the_network_beats_a_constant(
    load, tolerance
):
    ours, our_epochs = first_contact_mean_score_and_epochs(DropoutMLPClassifier, load)
    theirs, _ = first_contact_mean_score_and_epochs(MLPClassifier, load)
    assert ours >= theirs - tolerance
    assert our_epochs > 100


def _stand_in_estimator():
    """What EarlyStopping reads of an estimator fitted without early stopping."""
    return SimpleNamespace(
        early_stopping=False,
        tol=1e-4,
        n_iter_no_change=3,
        _no_improvement_count=0,
        _best_dropout_free_loss=np.inf,
        best_loss_=np.inf,
        loss_curve_=[1.0],
        verbose=False,
        _optimizer=SimpleNamespace(on_plateau=lambda: True),
    )


@pytest.mark.parametrize("beats_a_constant", [True, False])
def test_epochs_no_better_than_a_constant_do_not_count_against_n_iter_no_change(
    beats_a_constant,
):
    est = _stand_in_estimator()
    stopping = EarlyStopping(
        est, judged_loss=lambda: 5.0, counts=lambda: beats_a_constant
    )
    stops = [stopping.stop() for _ in range(2 * est.n_iter_no_change + 2)]
    if beats_a_constant:
        # The loss never improves: stopped once the count exceeds the limit.
        assert stops.index(True) == est.n_iter_no_change + 1
    else:
        assert not any(stops)
        assert est._no_improvement_count == 0


def test_a_network_that_predicts_a_constant_for_good_is_still_stopped():
    # A step far too large kills every ReLU of the layer: the network
    # predicts one value for every row and can never beat a constant, so
    # waiting for it to would run the fit to max_iter.
    X, y = make_regression(200, 5, noise=5, random_state=0)
    X, y = (X - X.mean(0)) / X.std(0), (y - y.mean()) / y.std()
    reg = DropoutMLPRegressor(
        hidden_layer_sizes=(16,),
        dropout_rate=0.5,
        max_iter=300,
        learning_rate_init=10.0,
        max_norm=3.0,
        random_state=0,
    ).fit(X, y)
    assert np.ptp(reg.predict(X)) == 0
    assert reg.n_iter_ < 100


def test_the_constant_reference_is_the_loss_of_predicting_the_class_frequencies():
    X, y = make_classification(
        90,
        4,
        n_classes=3,
        n_informative=3,
        n_redundant=0,
        weights=[0.6, 0.3, 0.1],
        random_state=0,
    )
    clf = DropoutMLPClassifier((5,), max_iter=5, random_state=0).fit(X, y)
    Y = np.eye(3)[y]
    probe = _probe(clf, X, Y, "log_loss")
    frequencies = Y.mean(axis=0)
    expected = -np.mean(np.log(frequencies[y]))
    assert probe.constant_loss() == pytest.approx(expected, rel=1e-9)


def _probe(estimator, X, Y, loss_name):
    trainer = type("Trainer", (), {})()
    trainer.coefs = estimator.coefs_
    trainer.loss = loss_name
    trainer.loss_of_outputs = lambda out, Y, sw, scratch=None: LOSSES[loss_name](
        Y, out, sw, scratch or (np.empty_like(out), np.empty_like(out))
    )
    trainer.squared_weights = lambda: sum(
        float(np.vdot(W, W)) for W in estimator.coefs_
    )
    return TrainingProbe(estimator, trainer, X, Y, None)


def test_the_judged_loss_is_the_dropout_free_training_loss():
    X, y = make_moons(100, noise=0.3, random_state=0)
    clf = DropoutMLPClassifier(max_iter=50, random_state=0).fit(X, y)
    probe = _probe(clf, X, y.reshape(-1, 1).astype(float), "binary_log_loss")
    probe.score()
    judged = dropout_free_loss(probe)()
    p = clf.predict_proba(X)[:, 1]
    log_loss = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
    penalty = 0.5 * clf.alpha * sum((W**2).sum() for W in clf.coefs_) / len(X)
    assert judged == pytest.approx(log_loss + penalty, rel=1e-6)
    # The documented record is kept: the lowest epoch loss.
    assert clf.best_loss_ == min(clf.loss_curve_)


def test_a_large_training_set_is_judged_on_a_bounded_sample():
    rng = np.random.RandomState(0)
    X = rng.rand(3 * PROBE_ROWS + 5, 3)
    Y = rng.rand(len(X), 1)
    reg = DropoutMLPRegressor(hidden_layer_sizes=(4,), max_iter=1, random_state=0).fit(
        X, Y[:, 0]
    )
    probe = _probe(reg, X, Y, "squared_error")

    assert 0 < len(probe.score()) <= PROBE_ROWS
    # Evenly spaced over the whole set, not its first rows.
    stride = -(-len(X) // PROBE_ROWS)
    np.testing.assert_array_equal(probe.X, X[::stride])


@given(
    n_samples=st.integers(1, 5000),
    products_per_row=st.integers(1, 10**8),
)
def test_the_probe_keeps_every_row_it_can_afford_and_never_too_few(
    n_samples, products_per_row
):
    size = probe_size(n_samples, products_per_row)
    assert min(n_samples, MIN_PROBE_ROWS) <= size <= min(n_samples, PROBE_ROWS)
    if min(n_samples, PROBE_ROWS) * products_per_row <= PROBE_PRODUCTS:
        assert size == min(n_samples, PROBE_ROWS)


def test_a_wide_network_on_few_rows_is_judged_on_a_quarter_of_them():
    # 200 rows, 2000 features, 100 units: scoring all rows would cost about
    # 40% of an epoch, a single minibatch; a quarter of them, evenly spaced.
    rng = np.random.RandomState(0)
    X = rng.rand(200, 2000)
    Y = rng.rand(200, 1)
    reg = DropoutMLPRegressor(
        hidden_layer_sizes=(100,), max_iter=1, random_state=0
    ).fit(X, Y[:, 0])
    probe = _probe(reg, X, Y, "squared_error")
    np.testing.assert_array_equal(probe.X, X[::4])
    narrow = DropoutMLPRegressor(
        hidden_layer_sizes=(100,), max_iter=1, random_state=0
    ).fit(X[:, :20], Y[:, 0])
    assert _probe(narrow, X[:, :20], Y, "squared_error").X.shape[0] == 200


def test_verbose_names_the_dropout_free_loss(capsys):
    X, y = make_moons(40, noise=0.3, random_state=0)
    DropoutMLPClassifier(
        (4,), max_iter=500, n_iter_no_change=2, tol=1.0, verbose=True, random_state=0
    ).fit(X, y)
    assert "Training loss with dropout off did not improve" in capsys.readouterr().out


def test_without_dropout_the_rule_judges_the_epoch_loss(capsys):
    X, y = make_moons(40, noise=0.3, random_state=0)
    DropoutMLPClassifier(
        (4,),
        dropout_rate=0.0,
        max_iter=500,
        n_iter_no_change=2,
        tol=1.0,
        verbose=True,
        random_state=0,
    ).fit(X, y)
    out = capsys.readouterr().out
    assert "Training loss did not improve" in out
    assert "dropout off" not in out
