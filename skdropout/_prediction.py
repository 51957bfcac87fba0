"""The deterministic (dropout-free) forward pass that every prediction,
validation score and divergence probe runs, on input checked for the
network."""

import numpy as np
from sklearn.utils.validation import check_is_fitted, validate_data

from ._engine import forward as engine_forward
from ._feature_types import check_feature_types
from ._utils import in_float_dtype, warn_if_not_finite

# Rows per chunk of a forward pass: bounds the memory of the hidden
# activations for very tall X while keeping BLAS calls large. Monte Carlo
# passes use it too (read at call time, so a test may change it).
CHUNK_ROWS = 8192


def validated_for_network(estimator, X, dtype=None):
    """``X`` checked against the network: its features, in its dtype.

    ``dtype`` replaces the network's for a validation set checked before
    the network is made.

    Sparse input becomes CSR, converted once, since every forward pass
    slices rows in chunks. Values beyond the dtype's range get sklearn's
    error without numpy's overflow warning before it.
    """
    dtype = estimator.coefs_[0].dtype if dtype is None else dtype
    check_feature_types(X)
    with np.errstate(over="ignore", invalid="ignore"):
        X = validate_data(estimator, X, accept_sparse="csr", dtype=dtype, reset=False)
    return in_float_dtype(X, dtype)


def forward(estimator, X, check_input=True):
    """Deterministic network output (dropout off) for ``X``."""
    if check_input:
        check_is_fitted(estimator)
        X = validated_for_network(estimator, X)
    # Inputs far outside the training data can overflow the output (the
    # Poisson model's exp first): one clear warning instead of numpy's.
    with np.errstate(over="ignore", invalid="ignore"):
        out = engine_forward(X, *estimator._network(), batch_rows=CHUNK_ROWS)
    if check_input:
        warn_if_not_finite(out, "predictions")
    return out
