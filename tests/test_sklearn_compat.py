"""scikit-learn's estimator checks, in the three configurations users meet most."""

import pytest
from sklearn.utils.estimator_checks import (
    check_sample_weight_equivalence_on_dense_data,
    check_sample_weight_equivalence_on_sparse_data,
    parametrize_with_checks,
)

from skdropout import DropoutMLPClassifier, DropoutMLPRegressor

# With dropout on, a row of weight 2 gets one dropout mask per step while the
# same row repeated gets two independent masks: the two noisy objectives differ,
# so the fits differ. Without dropout the equivalence holds, and
# test_sample_weight_equivalence_without_dropout checks that it does.
_SAMPLE_WEIGHT_REASON = (
    "dropout draws one mask for a row of weight 2 but two independent masks for "
    "the row repeated, so the stochastic objectives (and fits) differ"
)


def _expected_failed_checks(estimator):
    return {
        "check_sample_weight_equivalence_on_dense_data": _SAMPLE_WEIGHT_REASON,
        "check_sample_weight_equivalence_on_sparse_data": _SAMPLE_WEIGHT_REASON,
    }


CONFIGURATIONS = [
    {},
    {"dropout_rate": 0.5, "input_dropout": 0.2, "max_norm": 3.0},
    # The paper's recipe: sgd with a larger step than its 1e-3 default (too
    # small to fit the checks' tiny datasets in 200 full-batch epochs), kept
    # stable by max-norm, and one dropout rate per hidden layer.
    {
        "solver": "sgd",
        "learning_rate_init": 0.02,
        "max_norm": 3.0,
        "hidden_layer_sizes": (20, 10),
        "dropout_rate": [0.2, 0.5],
    },
    # Multiplicative Gaussian noise instead of Bernoulli masks.
    {"dropout_type": "gaussian", "dropout_rate": 0.3, "input_dropout": 0.1},
]


@parametrize_with_checks(
    [
        Est(**config)
        for Est in (DropoutMLPClassifier, DropoutMLPRegressor)
        for config in CONFIGURATIONS
    ],
    expected_failed_checks=_expected_failed_checks,
)
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


@pytest.mark.parametrize(
    "check",
    [
        check_sample_weight_equivalence_on_dense_data,
        check_sample_weight_equivalence_on_sparse_data,
    ],
)
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_sample_weight_equivalence_without_dropout(Estimator, check):
    # sklearn's own settings for MLPRegressor's check: full-batch sgd that
    # stops early, where weighting and repeating rows give the same steps.
    estimator = Estimator(
        dropout_rate=0.0,
        input_dropout=0.0,
        max_norm=3.0,
        solver="sgd",
        tol=1e-2,
        random_state=42,
    )
    check(Estimator.__name__, estimator)
