"""Hyperparameters resolved for a network (skdropout/_hyperparameters.py):
per-layer dropout rates, batch size, the masks' seed, and the documented defaults."""

import ast
import re

import numpy as np
import pytest
from _helpers import (
    DROPOUT,
    SMALL_NET,
    assert_different_parameters,
    assert_same_parameters,
    partial_fit_kwargs,
)

from skdropout._engine import DropoutMasks

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.mark.parametrize(
    "rates",
    [[0.3, 0.3], (0.3, 0.3), np.array([0.3, 0.3]), np.array(0.3)],
    ids=["list", "tuple", "array", "0d_array"],
)
def test_per_layer_dropout_rates_all_equal_match_a_single_rate(Estimator, Xy, rates):
    X, y = Xy
    params = {**SMALL_NET, "hidden_layer_sizes": (10, 6)}
    single = Estimator(**params, dropout_rate=0.3).fit(X, y)
    per_layer = Estimator(**params, dropout_rate=rates).fit(X, y)
    assert_same_parameters(single, per_layer)


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
def test_out_of_range_dropout_parameters_raise(Estimator, Xy, params, name):
    X, y = Xy
    est = Estimator(hidden_layer_sizes=(10, 6), **params)
    with pytest.raises(ValueError, match=name):
        est.fit(X, y)


@pytest.mark.parametrize(
    "params",
    [
        {"solver": "adam", "beta_1": 0.85, "beta_2": 0.995, "epsilon": 1e-7},
        {"solver": "sgd", "momentum": 0.85, "alpha": 3e-4},
        {"solver": "sgd", "learning_rate": "invscaling", "power_t": 0.4},
    ],
    ids=["adam", "sgd", "invscaling"],
)
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


def test_auto_batch_size_is_200_rows_at_most(Estimator, Xy):
    X, y = Xy
    X, y = np.vstack([X] * 3), np.concatenate([y] * 3)  # 360 rows: 2 batches
    auto = Estimator(**{**SMALL_NET, "batch_size": "auto"}, **DROPOUT).fit(X, y)
    explicit = Estimator(**{**SMALL_NET, "batch_size": 200}, **DROPOUT).fit(X, y)
    assert_same_parameters(auto, explicit)


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
