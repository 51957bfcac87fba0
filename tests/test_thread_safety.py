"""A fitted model can serve predictions from many threads at once.

Prediction reads the parameters and allocates its own buffers, so concurrent
calls on one estimator must give exactly the answers of serial calls.
"""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import scipy.sparse as sp
from _helpers import SMALL_NET
from numpy.testing import assert_array_equal
from threadpoolctl import threadpool_limits

import skdropout._prediction

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

N_THREADS = 8
N_ROUNDS = 5
NET = {
    **SMALL_NET,
    "hidden_layer_sizes": (32, 16),
    "dropout_rate": 0.3,
    "input_dropout": 0.2,
    "max_iter": 3,
}


@pytest.fixture(autouse=True)
def single_threaded_blas():
    # The Python threads are what is under test; BLAS's own worker threads
    # would only oversubscribe the cores (8 threads times the BLAS pool).
    with threadpool_limits(limits=1, user_api="blas"):
        yield


def prediction_methods(est):
    names = ["predict", "predict_proba", "predict_log_proba", "score"]
    return [name for name in names if hasattr(est, name)]


def call(est, name, X, y):
    if name == "score":
        return np.asarray(est.score(X, y))
    return getattr(est, name)(X)


def chunks(X, y, n_chunks, seed):
    """Row chunks of different sizes and positions, one per task."""
    rng = np.random.RandomState(seed)
    out = []
    for _ in range(n_chunks):
        rows = rng.choice(X.shape[0], size=rng.randint(1, X.shape[0]), replace=False)
        out.append((X[rows], y[rows]))
    return out


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
def test_concurrent_predictions_equal_serial_predictions(Estimator, Xy, sparse):
    X, y = Xy
    # Repeat the rows so each call does real work, and start the threads
    # together so that their calls overlap.
    X, y = np.tile(X, (20, 1)), np.tile(y, 20)
    if sparse:
        X = sp.csr_matrix(X)
    est = Estimator(**NET).fit(X, y)

    for round_ in range(N_ROUNDS):
        tasks = [
            (name, Xc, yc)
            for name in prediction_methods(est)
            for Xc, yc in chunks(X, y, 2 * N_THREADS, seed=round_)
        ]
        serial = [call(est, name, Xc, yc) for name, Xc, yc in tasks]
        with ThreadPoolExecutor(max_workers=N_THREADS) as pool:
            futures = [pool.submit(call, est, name, Xc, yc) for name, Xc, yc in tasks]
            concurrent = [future.result() for future in futures]
        for got, expected in zip(concurrent, serial):
            assert_array_equal(got, expected, strict=True)


def test_concurrent_chunked_predictions_equal_serial_predictions(
    Estimator, Xy, monkeypatch
):
    # With a tiny chunk size every call walks many chunks of its own: the
    # chunking must keep no state on the estimator or the module.
    monkeypatch.setattr(skdropout._prediction, "CHUNK_ROWS", 7)
    X, y = Xy
    est = Estimator(**NET).fit(X, y)
    serial = {name: call(est, name, X, y) for name in prediction_methods(est)}

    with ThreadPoolExecutor(max_workers=N_THREADS) as pool:
        futures = [
            (name, pool.submit(call, est, name, X, y))
            for _ in range(N_ROUNDS * N_THREADS)
            for name in prediction_methods(est)
        ]
        for name, future in futures:
            assert_array_equal(future.result(), serial[name], strict=True)


def test_predicting_from_threads_leaves_the_model_unchanged(Estimator, Xy):
    X, y = Xy
    est = Estimator(**NET).fit(X, y)
    before = [p.copy() for p in est.coefs_ + est.intercepts_]
    with ThreadPoolExecutor(max_workers=N_THREADS) as pool:
        list(pool.map(est.predict, [X] * (4 * N_THREADS)))
    for p, original in zip(est.coefs_ + est.intercepts_, before):
        assert_array_equal(p, original, strict=True)
