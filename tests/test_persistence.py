"""Saved and loaded models predict, and keep training, exactly like the originals.

pickle and joblib round-trips are checked bit for bit; skops, the safe format
for sharing models, must need to trust nothing outside the skdropout package.
"""

import io
import pickle

import joblib
import numpy as np
import pytest
import scipy.sparse as sp
import skops.io as sio
from _helpers import (
    SMALL_NET,
    assert_same_parameters,
    is_classifier_class,
    partial_fit_kwargs,
)
from numpy.testing import assert_array_equal
from sklearn.datasets import make_multilabel_classification
from skops.io.exceptions import UntrustedTypesFoundException

from skdropout import DropoutMLPClassifier

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

TWO_LAYER_NET = {
    **SMALL_NET,
    "hidden_layer_sizes": (10, 6),
    "dropout_rate": [0.3, 0.2],
    "input_dropout": 0.2,
    "max_iter": 4,
}


def pickle_round_trip(est):
    return pickle.loads(pickle.dumps(est, protocol=pickle.HIGHEST_PROTOCOL))


def joblib_round_trip(est):
    buffer = io.BytesIO()
    joblib.dump(est, buffer)
    buffer.seek(0)
    return joblib.load(buffer)


def skops_round_trip(est):
    data = sio.dumps(est)
    return sio.loads(data, trusted=sio.get_untrusted_types(data=data))


ROUND_TRIPS = [
    pytest.param(pickle_round_trip, id="pickle"),
    pytest.param(joblib_round_trip, id="joblib"),
]
ALL_ROUND_TRIPS = [*ROUND_TRIPS, pytest.param(skops_round_trip, id="skops")]


def make_X(kind, X):
    if kind == "dense_float64":
        return X
    if kind == "dense_float32":
        return X.astype(np.float32)
    if kind == "csr":
        return sp.csr_matrix(X)
    raise AssertionError(kind)


INPUT_KINDS = ["dense_float64", "dense_float32", "csr"]


def assert_same_predictions(restored, original, X):
    """predict (and predict_proba) agree bit for bit, dtypes included."""
    assert_array_equal(restored.predict(X), original.predict(X), strict=True)
    if hasattr(original, "predict_proba"):
        assert_array_equal(
            restored.predict_proba(X), original.predict_proba(X), strict=True
        )


# ----------------------------------------------------------------- predict
@pytest.mark.parametrize("round_trip", ALL_ROUND_TRIPS)
@pytest.mark.parametrize("kind", INPUT_KINDS)
def test_round_trip_predicts_identically(Estimator, Xy, kind, round_trip):
    X, y = Xy
    X = make_X(kind, X)
    est = Estimator(**TWO_LAYER_NET).fit(X, y)
    restored = round_trip(est)
    assert type(restored) is Estimator
    assert restored.get_params() == est.get_params()
    assert_same_parameters(restored, est)
    assert_same_predictions(restored, est, X)


@pytest.mark.parametrize("round_trip", ALL_ROUND_TRIPS)
def test_round_trip_after_warm_start_predicts_identically(Estimator, Xy, round_trip):
    X, y = Xy
    est = Estimator(**TWO_LAYER_NET, warm_start=True).fit(X, y)
    est.set_params(max_iter=2)
    est.fit(X, y)
    restored = round_trip(est)
    assert_same_predictions(restored, est, X)


@pytest.mark.parametrize("round_trip", ALL_ROUND_TRIPS)
def test_round_trip_after_partial_fit_predicts_identically(Estimator, Xy, round_trip):
    X, y = Xy
    est = Estimator(**TWO_LAYER_NET)
    est.partial_fit(X, y, **partial_fit_kwargs(Estimator, y))
    est.partial_fit(X, y)
    restored = round_trip(est)
    assert_same_predictions(restored, est, X)


def test_round_trip_of_a_multilabel_classifier():
    X, Y = make_multilabel_classification(
        n_samples=80, n_features=6, n_classes=3, random_state=0
    )
    est = DropoutMLPClassifier(**TWO_LAYER_NET).fit(X, Y)
    for round_trip in (pickle_round_trip, joblib_round_trip, skops_round_trip):
        assert_same_predictions(round_trip(est), est, X)


def test_round_trip_keeps_string_class_labels(binary_data):
    X, y = binary_data
    est = DropoutMLPClassifier(**TWO_LAYER_NET).fit(X, y)
    for round_trip in (pickle_round_trip, joblib_round_trip, skops_round_trip):
        restored = round_trip(est)
        assert_array_equal(restored.classes_, est.classes_, strict=True)
        assert_same_predictions(restored, est, X)


# ----------------------------------------------------- continued training
@pytest.mark.parametrize("round_trip", ALL_ROUND_TRIPS)
@pytest.mark.parametrize("solver", ["sgd", "adam"])
@pytest.mark.parametrize("kind", INPUT_KINDS)
def test_loaded_model_continues_partial_fit_like_the_original(
    Estimator, Xy, kind, solver, round_trip
):
    # The optimizer's moments, the sample counter behind the dropout seed and
    # the label binarizer all survive the round-trip.
    X, y = Xy
    X = make_X(kind, X)
    est = Estimator(**TWO_LAYER_NET, solver=solver)
    est.partial_fit(X, y, **partial_fit_kwargs(Estimator, y))
    est.partial_fit(X, y)
    restored = round_trip(est)

    est.partial_fit(X, y)
    restored.partial_fit(X, y)

    assert restored.t_ == est.t_
    assert_same_parameters(restored, est)
    assert_same_predictions(restored, est, X)


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_memory_mapped_model_continues_partial_fit_like_the_original(
    Estimator, Xy, solver, tmp_path
):
    # joblib.load(mmap_mode="r") gives read-only arrays: the weights and the
    # optimizer's moments alike. Training goes on in copies of them.
    X, y = Xy
    est = Estimator(**TWO_LAYER_NET, solver=solver)
    est.partial_fit(X, y, **partial_fit_kwargs(Estimator, y))
    path = tmp_path / "model.joblib"
    joblib.dump(est, path)
    restored = joblib.load(path, mmap_mode="r")
    state = restored._optimizer.state_arrays()
    assert not any(array.flags.writeable for array in state)
    saved = [array.copy() for array in state]

    est.partial_fit(X, y)
    restored.partial_fit(X, y)

    assert_same_parameters(restored, est)
    assert_same_predictions(restored, est, X)
    for array, values in zip(state, saved):
        assert_array_equal(array, values)


@pytest.mark.parametrize("round_trip", ROUND_TRIPS)
def test_loaded_model_continues_warm_start_like_the_original(Estimator, Xy, round_trip):
    X, y = Xy
    est = Estimator(**TWO_LAYER_NET, warm_start=True).fit(X, y)
    restored = round_trip(est)
    est.fit(X, y)
    restored.fit(X, y)
    assert_same_parameters(restored, est)
    assert restored.loss_curve_ == est.loss_curve_


# ------------------------------------------------------------------- skops
@pytest.mark.parametrize(
    "params",
    [
        pytest.param({}, id="adam"),
        pytest.param({"solver": "sgd", "learning_rate": "adaptive"}, id="sgd"),
        pytest.param({"early_stopping": True}, id="early_stopping"),
        pytest.param({"max_norm": None, "dropout_rate": 0.0}, id="no_dropout"),
    ],
)
def test_skops_needs_to_trust_only_skdropout_types(Estimator, Xy, params):
    X, y = Xy
    est = Estimator(**{**TWO_LAYER_NET, **params}).fit(X, y)
    data = sio.dumps(est)

    untrusted = sio.get_untrusted_types(data=data)

    assert untrusted, "the estimator class itself must need trusting"
    outside = [name for name in untrusted if not name.startswith("skdropout.")]
    assert outside == []
    assert f"{Estimator.__module__}.{Estimator.__name__}" in untrusted
    restored = sio.loads(data, trusted=untrusted)
    assert_same_parameters(restored, est)
    assert_same_predictions(restored, est, X)


def test_skops_refuses_to_load_without_trusting_the_types(classification_data):
    X, y = classification_data
    data = sio.dumps(DropoutMLPClassifier(**TWO_LAYER_NET).fit(X, y))
    with pytest.raises(UntrustedTypesFoundException, match="[Uu]ntrusted types"):
        sio.loads(data)


# ------------------------------------------------------------------ memory
def test_saved_model_size_does_not_grow_with_the_training_set(Estimator):
    # fit keeps no copy of X: the model is the same size after 100 or 2000 rows.
    rng = np.random.RandomState(0)
    sizes = []
    for n_samples in (100, 2000):
        X = rng.normal(size=(n_samples, 5))
        y = (X[:, 0] > 0).astype(int)
        y = y if is_classifier_class(Estimator) else y.astype(float)
        est = Estimator(**{**TWO_LAYER_NET, "max_iter": 1}).fit(X, y)
        # The loss curve has the same length; only the data size differs.
        sizes.append(len(pickle.dumps(est)))
    assert abs(sizes[1] - sizes[0]) < 64


def _array_bytes(obj, seen=None):
    """Bytes of every ndarray reachable through ``obj``'s attributes and lists."""
    seen = set() if seen is None else seen
    if id(obj) in seen:
        return 0
    seen.add(id(obj))
    if isinstance(obj, np.ndarray):
        return obj.nbytes
    if isinstance(obj, list | tuple):
        return sum(_array_bytes(item, seen) for item in obj)
    if hasattr(obj, "__dict__"):
        return sum(_array_bytes(v, seen) for v in vars(obj).values())
    return 0


@pytest.mark.parametrize("early_stopping", [False, True], ids=["plain", "es"])
def test_fitted_model_holds_its_weights_and_adam_state_only(
    Estimator, Xy, early_stopping
):
    # Weights and Adam's two moments: the optimizer keeps no scratch after
    # fit (two more arrays the size of a slice), and early stopping keeps no
    # second copy of the weights. The slack is for the small attributes.
    X, y = Xy
    est = Estimator(**{**TWO_LAYER_NET, "early_stopping": early_stopping}).fit(X, y)
    weights = sum(p.nbytes for p in est.coefs_ + est.intercepts_)
    assert _array_bytes(est) <= 3.1 * weights
    assert est._optimizer._scratch is None
