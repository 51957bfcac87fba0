"""Monte Carlo dropout: predictions from passes with dropout left on.

The classifier and regressor turn these outputs into their public methods
(``sample_predict``, ``predict_proba_mc``, ``predictive_entropy``,
``predict(return_std=True)``).
"""

from numbers import Integral

import numpy as np
from sklearn import get_config
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from . import _hyperparameters, _prediction
from ._engine import DropoutMasks, forward_stochastic, forward_stochastic_chunks
from ._utils import warn_if_not_finite


def sample_outputs(estimator, X, n_samples, random_state):
    """Network outputs of ``n_samples`` passes with dropout left on."""
    X, masks, n_samples = _setup(estimator, X, n_samples, random_state)
    if masks is None:
        # No noise anywhere: every pass is the deterministic network.
        out = estimator._forward(X, check_input=False)
        warn_if_not_finite(out, "predictions")
        return np.repeat(out[np.newaxis], n_samples, axis=0)
    with np.errstate(over="ignore", invalid="ignore"):
        out = forward_stochastic(
            X, *estimator._network(), masks, n_samples, masks.max_rows
        )
    warn_if_not_finite(out, "Monte Carlo outputs")
    return out


def summary(estimator, X, n_samples, random_state, spread=False):
    """Mean of the outputs over the passes, and their standard deviation.

    The deviation is None unless ``spread`` is True.

    Reduced chunk by chunk of rows, so that memory stays bounded by the
    size of the result rather than growing with ``n_samples``.
    """
    X, masks, n_samples = _setup(estimator, X, n_samples, random_state)
    if masks is None:
        out = estimator._forward(X, check_input=False)
        warn_if_not_finite(out, "predictions")
        return out, (np.zeros_like(out) if spread else None)
    coefs = estimator.coefs_
    mean = np.empty((X.shape[0], coefs[-1].shape[1]), dtype=coefs[0].dtype)
    std = np.empty_like(mean) if spread else None
    with np.errstate(over="ignore", invalid="ignore"):
        for rows, passes in forward_stochastic_chunks(
            X, *estimator._network(), masks, n_samples, masks.max_rows
        ):
            np.mean(passes, axis=0, out=mean[rows])
            if spread:
                # Squares accumulated in float64: a float32 spread of 1e19
                # has squares beyond float32's range.
                std[rows] = np.std(passes, axis=0, dtype=np.float64)
    warned = warn_if_not_finite(mean, "Monte Carlo means")
    if std is not None and not warned:
        warn_if_not_finite(std, "Monte Carlo spreads")
    return mean, std


def _setup(estimator, X, n_samples, random_state):
    """Validated X, the dropout noise (None if every rate is 0), n_samples."""
    check_is_fitted(estimator)
    # The passes read dropout_rate, input_dropout and dropout_type, which
    # set_params may have changed since fit without any check. In full, not
    # through _parameter_check's cache: prediction writes nothing to the
    # model, so that threads can share it.
    if not get_config()["skip_parameter_validation"]:
        estimator._validate_params()
    if (
        not isinstance(n_samples, Integral)
        or isinstance(n_samples, bool)
        or n_samples < 1
    ):
        raise ValueError(f"n_samples must be an integer >= 1, got {n_samples!r}.")
    n_samples = int(n_samples)  # a np.int8 would overflow in chunk sizes
    X = estimator._validated_for_network(X)
    coefs = estimator.coefs_
    rates = _hyperparameters.dropout_rates(estimator, len(coefs) - 1)
    seed = _hyperparameters.mask_seed(check_random_state(random_state))
    if not any(rates):
        return X, None, n_samples
    masks = DropoutMasks(
        rates,
        [W.shape[0] for W in coefs],
        max(_prediction.CHUNK_ROWS, n_samples),
        coefs[0].dtype,
        np.random.default_rng(seed),
        kind=estimator.dropout_type,
    )
    return X, masks, n_samples
