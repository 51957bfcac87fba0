"""A fit reads every layout of X alike: same network, X left as it was.

Column-major input (a DataFrame's values, a Fortran-ordered array, a
column-sliced view) is copied once into C order for the shuffled minibatch
gathers (see ``MinibatchRows._shuffled_rows``); the network trained must be
the one trained on the C-ordered array, to the bit.
"""

import numpy as np
import pytest
import scipy.sparse as sp

from skdropout import DropoutMLPClassifier, DropoutMLPRegressor
from skdropout._engine import MinibatchTrainer, SGDOptimizer

pd = pytest.importorskip("pandas", reason="the DataFrame cases need pandas")

SETTINGS = {
    "hidden_layer_sizes": (7,),
    "max_iter": 4,
    "batch_size": 16,
    "random_state": 0,
    "input_dropout": 0.2,
    "max_norm": 2.0,
}


def _layouts(X):
    wide = np.empty((X.shape[0], 2 * X.shape[1]), dtype=X.dtype)
    wide[:, ::2] = X
    return {
        "fortran": np.asfortranarray(X),
        "dataframe": pd.DataFrame(X),
        "column view": wide[:, ::2],
        "row view": np.repeat(X, 2, axis=0)[::2],
    }


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shuffle", [True, False])
@pytest.mark.parametrize("Estimator", [DropoutMLPClassifier, DropoutMLPRegressor])
def test_every_layout_trains_the_network_of_the_c_ordered_array(
    Estimator, shuffle, dtype
):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(70, 5)).astype(dtype)
    y = rng.integers(0, 3, 70) if Estimator is DropoutMLPClassifier else X[:, 0]
    reference = Estimator(**SETTINGS, shuffle=shuffle).fit(X, y)
    for name, layout in _layouts(X).items():
        before = np.array(layout, copy=True)
        model = Estimator(**SETTINGS, shuffle=shuffle).fit(layout, y)
        for got, expected in zip(
            model.coefs_ + model.intercepts_,
            reference.coefs_ + reference.intercepts_,
        ):
            assert got.dtype == dtype, name
            np.testing.assert_array_equal(got, expected, err_msg=name)
        np.testing.assert_array_equal(np.asarray(layout), before, err_msg=name)


def _engine_trainer():
    rng = np.random.default_rng(0)
    coefs = [rng.normal(size=(5, 4)), rng.normal(size=(4, 2))]
    intercepts = [np.zeros(4), np.zeros(2)]
    trainer = MinibatchTrainer(
        coefs,
        intercepts,
        activation="relu",
        out_activation="identity",
        loss="squared_error",
        alpha=0.0,
        optimizer=SGDOptimizer(coefs + intercepts, 0.01),
        batch_size=8,
    )
    return trainer, coefs


def test_the_trainer_copies_a_column_major_x_once_not_per_epoch():
    rng = np.random.default_rng(1)
    X = np.asfortranarray(rng.normal(size=(30, 5)))
    Y = rng.normal(size=(30, 2))
    order = rng.permutation(30)
    trainer, _ = _engine_trainer()
    trainer.run_epoch(X, Y, None, 8, order)
    copy = trainer.minibatches.row_major_copy
    assert copy is not None and copy.flags.c_contiguous
    np.testing.assert_array_equal(copy, X)
    trainer.run_epoch(X, Y, None, 8, order)
    assert trainer.minibatches.row_major_copy is copy
    # Another X (an internal validation split, a partial_fit batch) replaces
    # the copy rather than adding one.
    other = np.asfortranarray(X[:20])
    trainer.run_epoch(other, Y[:20], None, 8, order[order < 20])
    assert trainer.minibatches.row_major_copy is not copy
    np.testing.assert_array_equal(trainer.minibatches.row_major_copy, other)


def test_the_trainer_copies_nothing_for_c_ordered_or_unshuffled_input():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(30, 5))
    Y = rng.normal(size=(30, 2))
    trainer, _ = _engine_trainer()
    trainer.run_epoch(X, Y, None, 8, rng.permutation(30))
    trainer.run_epoch(np.asfortranarray(X), Y, None, 8, None)
    assert trainer.minibatches.row_major_copy is None


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("Estimator", [DropoutMLPClassifier, DropoutMLPRegressor])
def test_a_frame_of_sparse_bools_trains_like_its_float_matrix(Estimator):
    # pd.get_dummies(..., sparse=True) makes sparse bool columns, which
    # scikit-learn's validation leaves as bools whatever dtype it is asked
    # for: the network must still be built in floats.
    rng = np.random.RandomState(0)
    frame = pd.DataFrame(
        {"a": rng.choice(list("xyz"), 60), "b": rng.choice(["p", "q"], 60)}
    )
    X_bool = pd.get_dummies(frame, sparse=True)
    X_float = X_bool.sparse.to_coo().tocsr().astype(np.float64)
    y = rng.randint(0, 2, 60)

    from_bools = Estimator(**SETTINGS).fit(X_bool, y, X_val=X_bool, y_val=y)
    from_floats = Estimator(**SETTINGS).fit(X_float, y, X_val=X_float, y_val=y)

    for ours, theirs in zip(from_bools.coefs_, from_floats.coefs_):
        np.testing.assert_array_equal(ours, theirs, strict=True)
    np.testing.assert_array_equal(
        from_bools.predict(X_bool), from_floats.predict(X_float), strict=True
    )
    from_bools.partial_fit(X_bool, y)
    assert from_bools.coefs_[0].dtype == np.float64


# Columns that are not floats but hold numbers, as scikit-learn converts
# them: the check that refuses dates and words (skdropout._feature_types)
# must let them through.
NUMBERS_IN_OTHER_DTYPES = {
    "objects": lambda v: pd.Series(v, dtype=object),
    "numbers written as text": lambda v: pd.Series(v.astype(str), dtype="string"),
    "categories of numbers": lambda v: pd.Series(pd.Categorical(v)),
    "categories of numbers written as text": lambda v: pd.Series(
        pd.Categorical(v.astype(str))
    ),
    "nullable integers": lambda v: pd.Series(v.astype(int), dtype="Int64"),
    "bools": lambda v: pd.Series(v > 1),
}


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize(
    "make_column", NUMBERS_IN_OTHER_DTYPES.values(), ids=NUMBERS_IN_OTHER_DTYPES.keys()
)
@pytest.mark.parametrize("Estimator", [DropoutMLPClassifier, DropoutMLPRegressor])
def test_a_column_of_numbers_in_another_dtype_trains_like_its_floats(
    Estimator, make_column
):
    rng = np.random.RandomState(0)
    values = rng.randint(0, 4, 60).astype(np.float64)
    numbers = pd.DataFrame({"a": rng.rand(60), "b": values})
    other = numbers.assign(b=make_column(values))
    as_floats = numbers.assign(b=other["b"].astype(np.float64))
    y = rng.randint(0, 2, 60)

    from_other = Estimator(**SETTINGS).fit(other, y)
    from_floats = Estimator(**SETTINGS).fit(as_floats, y)

    for ours, theirs in zip(from_other.coefs_, from_floats.coefs_):
        np.testing.assert_array_equal(ours, theirs, strict=True)
    np.testing.assert_array_equal(
        from_other.predict(other), from_floats.predict(as_floats), strict=True
    )


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("Estimator", [DropoutMLPClassifier, DropoutMLPRegressor])
def test_hidden_dropout_trains_the_same_network_on_sparse_and_dense_input(
    Estimator,
):
    # Only input dropout masks sparse input differently (its stored
    # entries); the hidden layers' masks are the dense fit's.
    X = sp.random(90, 12, density=0.3, format="csr", random_state=0)
    y = np.random.default_rng(0).integers(0, 3, 90)
    if Estimator is DropoutMLPRegressor:
        y = y.astype(float)
    settings = {**SETTINGS, "input_dropout": 0.0, "dropout_rate": 0.5}
    on_sparse = Estimator(**settings).fit(X, y)
    on_dense = Estimator(**settings).fit(X.toarray(), y)
    for a, b in zip(on_sparse.coefs_, on_dense.coefs_):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)
