"""A fit that runs out of epochs on data far from unit scale says which data.

scikit-learn's words ("the optimization hasn't converged yet") come first,
unchanged; a sentence naming the feature or target far from unit scale, and
how to standardise it, follows only when the training rows show one.
"""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.datasets import load_diabetes, load_wine
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

from skdropout import DropoutMLPClassifier, DropoutMLPRegressor
from skdropout._scale_advice import FAR, farthest_column

SKLEARN_WORDS = (
    "Stochastic Optimizer: Maximum iterations (5) reached and the optimization "
    "hasn't converged yet."
)


def _max_iter_message(estimator, X, y):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        estimator.fit(X, y)
    messages = [
        str(w.message)
        for w in caught
        if w.category is ConvergenceWarning and "Maximum iterations" in str(w.message)
    ]
    assert len(messages) == 1
    return messages[0]


def _standardised_diabetes():
    X, y = load_diabetes(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def test_a_regressor_on_raw_targets_is_told_to_standardise_them():
    X, y = _standardised_diabetes()
    message = _max_iter_message(DropoutMLPRegressor(max_iter=5, random_state=0), X, y)
    assert message.startswith(SKLEARN_WORDS)
    assert " The target (mean 1" in message  # about 150
    assert "TransformedTargetRegressor(" in message
    assert "inputs" not in message


def test_inputs_far_from_unit_scale_are_named_by_their_column():
    X, y = load_wine(return_X_y=True, as_frame=True)
    message = _max_iter_message(DropoutMLPClassifier(max_iter=5, random_state=0), X, y)
    assert message.startswith(SKLEARN_WORDS)
    assert "The inputs (feature 'proline': mean 7" in message  # about 750
    assert "StandardScaler in a pipeline" in message
    assert "target" not in message


def test_an_array_s_column_is_named_by_its_index():
    X, y = load_wine(return_X_y=True)
    message = _max_iter_message(DropoutMLPClassifier(max_iter=5, random_state=0), X, y)
    assert "(feature 12: mean" in message


def test_standardised_data_get_scikit_learns_words_alone():
    X, y = _standardised_diabetes()
    reg = DropoutMLPRegressor(max_iter=5, random_state=0)
    assert _max_iter_message(reg, X, (y - y.mean()) / y.std()) == SKLEARN_WORDS


def test_several_far_targets_are_advised_together():
    X, y = _standardised_diabetes()
    Y = np.column_stack([(y - y.mean()) / y.std(), y])
    message = _max_iter_message(DropoutMLPRegressor(max_iter=5, random_state=0), X, Y)
    assert " Target 1 (mean" in message and "standardise the targets with" in message


def test_a_target_of_small_spread_is_named():
    X, y = _standardised_diabetes()
    y = 0.02 * (y - y.mean()) / y.std()
    message = _max_iter_message(DropoutMLPRegressor(max_iter=5, random_state=0), X, y)
    assert " The target (mean " in message and "standard deviation 0.02" in message


def test_a_rare_binary_feature_is_not_far_from_unit_scale():
    # One row in a hundred is 1: a standard deviation of about 0.1, which
    # does a network no harm. Only targets are judged by a small spread.
    X, y = _standardised_diabetes()
    rare = (np.arange(X.shape[0]) % 100 == 0).astype(float)
    X = np.column_stack([X, rare])
    reg = DropoutMLPRegressor(max_iter=5, random_state=0)
    assert _max_iter_message(reg, X, (y - y.mean()) / y.std()) == SKLEARN_WORDS


def test_poisson_targets_are_not_judged_by_their_scale():
    # The Poisson output is exp(network): a mean count of 150 is log(150)
    # away, not 150.
    X, y = _standardised_diabetes()
    reg = DropoutMLPRegressor(loss="poisson", max_iter=5, random_state=0)
    assert _max_iter_message(reg, X, y) == SKLEARN_WORDS


def test_sparse_inputs_are_not_judged_by_their_scale():
    X, y = load_wine(return_X_y=True)
    clf = DropoutMLPClassifier(max_iter=5, random_state=0)
    assert _max_iter_message(clf, sp.csr_matrix(X), y) == SKLEARN_WORDS


def test_an_early_stopped_fit_no_better_than_the_mean_names_the_far_target():
    # Without dropout the stopping rule is scikit-learn's, and tol=1e6 (the
    # loss on raw diabetes targets is about 1e4) ends the fit within a few
    # epochs, no better than the mean target: the warning that says so
    # names the target, rather than advising to standardise the inputs.
    X, y = _standardised_diabetes()
    reg = DropoutMLPRegressor(
        dropout_rate=0.0, tol=1e6, n_iter_no_change=2, random_state=0
    )
    with pytest.warns(ConvergenceWarning, match="Training stopped early") as caught:
        reg.fit(X, y)
    assert reg.n_iter_ < reg.max_iter
    (message,) = [str(w.message) for w in caught]
    assert " The target (mean 1" in message
    assert message.endswith(", or raise n_iter_no_change (now 2).")


def test_an_early_stopped_fit_on_unit_scale_data_keeps_the_general_advice():
    # Targets of pure noise, at unit scale: three epochs leave the network
    # worse than their mean.
    X, _ = _standardised_diabetes()
    y = np.random.RandomState(0).normal(size=X.shape[0])
    reg = DropoutMLPRegressor(
        dropout_rate=0.0, tol=1e6, n_iter_no_change=2, random_state=0
    )
    with pytest.warns(ConvergenceWarning, match="Training stopped early") as caught:
        reg.fit(X, y)
    (message,) = [str(w.message) for w in caught]
    assert message.endswith(
        "Standardise the inputs (a StandardScaler in a pipeline), or raise "
        "n_iter_no_change (now 2)."
    )


@settings(max_examples=50, deadline=None)
@given(
    arrays(
        np.float64,
        st.tuples(st.integers(2, 30), st.integers(1, 5)),
        elements=st.floats(-1e6, 1e6),
    )
)
def test_standardised_columns_are_never_far(values):
    std = values.std(axis=0)
    values = (values - values.mean(axis=0)) / np.where(std > 0, std, 1.0)
    assert farthest_column(values) is None


def test_the_farthest_column_is_found_by_its_mean_or_its_spread():
    values = np.zeros((4, 3))
    values[:, 1] = 2 * FAR  # far by its mean, spread 0
    values[:, 2] = [-1, 1, -1, 1]
    column, mean, std = farthest_column(values)
    assert (column, mean, std) == (1, 2 * FAR, 0.0)
    values[:, 2] *= 3 * FAR  # now farther, by its spread
    assert farthest_column(values)[0] == 2


def test_a_small_spread_is_far_only_when_asked_for_and_not_zero():
    values = np.column_stack([np.ones(4), [0.0, 0.05, 0.0, 0.05], [-1, 1, -1, 1]])
    assert farthest_column(values) is None
    column, mean, std = farthest_column(values, small_spread=True)
    assert (column, mean, std) == (1, 0.025, 0.025)
    values[:, 1] *= 4  # a spread of 0.1: no longer below 1 / FAR
    assert farthest_column(values, small_spread=True) is None


@pytest.mark.parametrize(
    "values",
    [np.empty((0, 3)), np.empty((3, 0)), np.array([[np.nan, 1e3]]), np.ones((2, 2))],
    ids=["no rows", "no columns", "not finite", "at unit scale"],
)
def test_nothing_is_far_without_finite_columns_beyond_the_threshold(values):
    assert farthest_column(values) is None
