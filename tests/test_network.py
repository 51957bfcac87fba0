"""The network (skdropout/_network.py): its dtype, and a continued network
kept in its arrays and checked against the data and parameters."""

import numpy as np
import pytest
import scipy.sparse as sp
from _helpers import (
    DROPOUT,
    SMALL_NET,
    is_classifier_class,
    outputs,
    partial_fit_kwargs,
)
from numpy.testing import assert_array_equal

from skdropout import DropoutMLPRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


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


def test_a_new_fit_takes_the_dtype_of_its_own_data(Estimator, Xy):
    X, y = Xy
    est = Estimator(**SMALL_NET).fit(X.astype(np.float32), y)
    est.fit(X.astype(np.float64), y)
    assert all(p.dtype == np.float64 for p in est.coefs_ + est.intercepts_)


@pytest.mark.parametrize("continue_with", ["partial_fit", "warm_start"])
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


def test_partial_fit_with_a_different_number_of_features_raises(Estimator, Xy):
    X, y = Xy
    est = Estimator(**SMALL_NET, **DROPOUT)
    est.partial_fit(X, y, **partial_fit_kwargs(Estimator, y))
    with pytest.raises(ValueError, match="features"):
        est.partial_fit(X[:, :5], y)


def test_warm_start_with_other_hidden_layer_sizes_raises(Estimator, Xy):
    X, y = Xy
    est = Estimator(**SMALL_NET, **DROPOUT, warm_start=True).fit(X, y)
    est.set_params(hidden_layer_sizes=(6,))
    with pytest.raises(ValueError, match="layer sizes"):
        est.fit(X, y)


def test_continuing_a_float32_network_on_data_beyond_float32_is_a_clear_error():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 3))
    y = X.sum(axis=1)
    reg = DropoutMLPRegressor(hidden_layer_sizes=(4,), max_iter=1, random_state=0)
    reg.fit(X.astype(np.float32), y)
    # No RuntimeWarning from the cast (the test run turns those into errors).
    with pytest.raises(ValueError, match="infinity or a value too large"):
        reg.partial_fit(X * 1e39, y)
