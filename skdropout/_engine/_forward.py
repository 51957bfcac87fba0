"""Deterministic forward pass used for prediction and validation scoring."""

import numpy as np

from ._activations import ACTIVATIONS


def _dot(a, b):
    # Sparse @ dense returns a dense ndarray; dense @ dense goes to BLAS.
    return a @ b


def forward(X, coefs, intercepts, activation, out_activation, batch_rows=None):
    """Output of a fitted network for ``X``, without any dropout.

    Parameters
    ----------
    X : ndarray or scipy sparse matrix of shape (n_samples, n_features)
        Input rows, in the dtype of ``coefs``.
    coefs, intercepts : list of ndarray
        Weight matrices ``(fan_in, fan_out)`` and bias vectors.
    activation : str
        Hidden activation, a key of ``ACTIVATIONS``.
    out_activation : str
        Output activation, a key of ``ACTIVATIONS``.
    batch_rows : int, default=None
        If given, process the rows in chunks of this size so that the hidden
        activations never need more than ``batch_rows`` rows of memory.

    Returns
    -------
    out : ndarray of shape (n_samples, n_outputs)
    """
    n_samples = X.shape[0]
    if batch_rows is None or n_samples <= batch_rows:
        return _forward_rows(X, coefs, intercepts, activation, out_activation)
    out = np.empty((n_samples, coefs[-1].shape[1]), dtype=coefs[-1].dtype)
    for start in range(0, n_samples, batch_rows):
        stop = min(start + batch_rows, n_samples)
        out[start:stop] = _forward_rows(
            X[start:stop], coefs, intercepts, activation, out_activation
        )
    return out


def _forward_rows(X, coefs, intercepts, activation, out_activation):
    hidden = ACTIVATIONS[activation]
    last = len(coefs) - 1
    A = X
    for i, (W, b) in enumerate(zip(coefs, intercepts)):
        A = _dot(A, W)
        A += b
        if i != last:
            hidden(A)
    ACTIVATIONS[out_activation](A)
    return A
