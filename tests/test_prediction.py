"""The dropout-free forward pass (skdropout/_prediction.py): chunked rows and
overflow warnings."""

import numpy as np
import pytest
from _helpers import (
    DROPOUT,
    SMALL_NET,
    outputs,
)
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import Pipeline

import skdropout._prediction
from skdropout import DropoutMLPRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def test_predict_is_deterministic(Estimator, Xy):
    X, y = Xy
    est = Estimator(**SMALL_NET, dropout_rate=0.5, input_dropout=0.5).fit(X, y)
    assert_array_equal(est.predict(X), est.predict(X))
    assert_array_equal(outputs(est, X), outputs(est, X))


def test_predict_before_fit_raises_not_fitted_error(Estimator, Xy):
    X, _ = Xy
    with pytest.raises(NotFittedError, match="not fitted"):
        Estimator().predict(X)


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
