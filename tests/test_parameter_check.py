"""The parameter check that partial_fit repeats when a parameter changed, and
that the Monte Carlo methods repeat in full without writing to the model."""

import pickle

import numpy as np
import pytest
import skops.io as sio

from skdropout import DropoutMLPClassifier, DropoutMLPRegressor, _parameter_check

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _data():
    X = np.random.RandomState(0).randn(40, 3)
    return X, X[:, 0]


@pytest.fixture
def checks(monkeypatch):
    """Count the validations that actually run."""
    calls = []
    validate = _parameter_check.validate_parameter_constraints

    def counted(*args, **kwargs):
        calls.append(args)
        return validate(*args, **kwargs)

    monkeypatch.setattr(_parameter_check, "validate_parameter_constraints", counted)
    return calls


def test_partial_fit_validates_again_only_after_a_parameter_changed(checks):
    X, y = _data()
    reg = DropoutMLPRegressor(hidden_layer_sizes=(4,), random_state=0)
    reg.partial_fit(X, y)
    reg.partial_fit(X, y)
    reg.partial_fit(X, y)
    assert len(checks) == 1
    reg.set_params(alpha=1e-3)
    reg.partial_fit(X, y)
    assert len(checks) == 2


def test_a_rate_list_changed_in_place_is_checked_again(checks):
    X, y = _data()
    rates = [0.2, 0.3]
    reg = DropoutMLPRegressor(
        hidden_layer_sizes=(4, 4), dropout_rate=rates, random_state=0
    )
    reg.partial_fit(X, y)
    rates[1] = 0.4
    reg.partial_fit(X, y)
    assert len(checks) == 2


def test_a_new_random_state_object_is_a_change(checks):
    X, y = _data()
    reg = DropoutMLPRegressor(
        hidden_layer_sizes=(4,), random_state=np.random.RandomState(0)
    )
    reg.partial_fit(X, y)
    reg.partial_fit(X, y)
    assert len(checks) == 1
    reg.random_state = np.random.RandomState(0)
    reg.partial_fit(X, y)
    assert len(checks) == 2


def test_monte_carlo_predictions_check_the_parameters_but_write_nothing():
    # Prediction must leave the model as it was: threads may share it.
    X, y = _data()
    reg = DropoutMLPRegressor(hidden_layer_sizes=(4,), random_state=0).fit(X, y)
    before = dict(vars(reg))
    reg.predict(X, return_std=True)
    assert vars(reg).keys() == before.keys()
    reg.set_params(dropout_rate=1.0)
    with pytest.raises(ValueError, match="dropout_rate"):
        reg.predict(X, return_std=True)


@pytest.mark.parametrize("Estimator", [DropoutMLPClassifier, DropoutMLPRegressor])
def test_the_remembered_parameters_are_not_saved_with_the_model(Estimator):
    X, y = _data()
    y = (y > 0).astype(int) if Estimator is DropoutMLPClassifier else y
    kwargs = {"classes": [0, 1]} if Estimator is DropoutMLPClassifier else {}
    est = Estimator(hidden_layer_sizes=(4,), random_state=np.random.RandomState(0))
    est.partial_fit(X, y, **kwargs)
    est.partial_fit(X, y)
    assert hasattr(est, "_validated_parameters")

    restored = pickle.loads(pickle.dumps(est))

    assert not hasattr(restored, "_validated_parameters")
    assert hasattr(est, "_validated_parameters")  # saving left the model alone
    fitted = Estimator(
        hidden_layer_sizes=(4,), random_state=np.random.RandomState(0)
    ).fit(X, y)
    assert sio.get_untrusted_types(data=sio.dumps(est)) == sio.get_untrusted_types(
        data=sio.dumps(fitted)
    )
    restored.partial_fit(X, y)  # and checks its parameters afresh
