"""Forward passes of a fitted network: deterministic, or with dropout left on."""

import numpy as np
import scipy.sparse as sp

from ._activations import ACTIVATIONS, activation_workspace


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


def active_units(X, coefs, intercepts, activation, batch_rows=None):
    """Which hidden units give a nonzero output on at least one row of ``X``.

    Parameters
    ----------
    X : ndarray or scipy sparse matrix of shape (n_samples, n_features)
        Input rows, in the dtype of ``coefs``.
    coefs, intercepts : list of ndarray
        Weight matrices ``(fan_in, fan_out)`` and bias vectors.
    activation : str
        Hidden activation, a key of ``ACTIVATIONS``.
    batch_rows : int, default=None
        If given, the rows go through in chunks of this size.

    Returns
    -------
    active : list of ndarray of bool
        One per hidden layer, of its width. For ReLU units, False marks a
        dead unit: 0 on every row, so it passes nothing on.
    """
    hidden = ACTIVATIONS[activation]
    active = [np.zeros(W.shape[1], dtype=bool) for W in coefs[:-1]]
    n_samples = X.shape[0]
    step = n_samples if batch_rows is None else batch_rows
    for start in range(0, n_samples, max(step, 1)):
        A = X[start : start + step]
        for i, (W, b) in enumerate(zip(coefs[:-1], intercepts[:-1])):
            A = A @ W
            A += b
            hidden(A, activation_workspace(activation, 1, A.shape[1], A.dtype))
            active[i] |= (A != 0).any(axis=0)
    return active


def _forward_rows(X, coefs, intercepts, activation, out_activation, masks=None):
    """One pass over some rows; with ``masks``, each hidden layer gets noise.

    ``X`` must already carry its input noise. Sparse @ dense gives a dense
    array, so every layer after the first is dense.
    """
    hidden = ACTIVATIONS[activation]
    last = len(coefs) - 1
    A = X
    for i, (W, b) in enumerate(zip(coefs, intercepts)):
        A = A @ W
        A += b
        if i == last:
            break
        # A one-row workspace broadcasts over the rows (hidden activations
        # need no per-row state) and costs no memory worth mentioning.
        hidden(A, activation_workspace(activation, 1, A.shape[1], A.dtype))
        noise = None if masks is None else masks.sample(i + 1, A.shape[0])
        if noise is not None:
            A *= noise
    ACTIVATIONS[out_activation](A)
    return A


def forward_stochastic(
    X, coefs, intercepts, activation, out_activation, masks, n_samples, batch_rows
):
    """Outputs of ``n_samples`` forward passes with dropout left on.

    This is Monte Carlo dropout (Gal and Ghahramani, 2016). The passes for a
    chunk of rows run as one stacked batch, so there is no Python loop over
    rows or samples, and memory stays bounded by ``batch_rows``.

    Parameters
    ----------
    X : ndarray or scipy sparse matrix of shape (n_rows, n_features)
    coefs, intercepts : list of ndarray
    activation, out_activation : str
    masks : DropoutMasks
        Built for ``batch_rows`` rows; draws the noise of every pass.
    n_samples : int
        Number of stochastic passes.
    batch_rows : int
        Most rows (passes times input rows) in one stacked batch.

    Returns
    -------
    out : ndarray of shape (n_samples, n_rows, n_outputs)
    """
    n_outputs = coefs[-1].shape[1]
    out = np.empty((n_samples, X.shape[0], n_outputs), dtype=coefs[-1].dtype)
    for rows, passes in forward_stochastic_chunks(
        X, coefs, intercepts, activation, out_activation, masks, n_samples, batch_rows
    ):
        out[:, rows] = passes
    return out


def forward_stochastic_chunks(
    X, coefs, intercepts, activation, out_activation, masks, n_samples, batch_rows
):
    """:func:`forward_stochastic`, one chunk of rows at a time.

    For summaries of the passes (their mean, spread or entropy) that can be
    computed chunk by chunk: the memory then stays bounded by ``batch_rows``
    rather than growing with ``n_samples`` times the number of rows. The
    chunks come in row order and draw the same noise as
    :func:`forward_stochastic`.

    Yields
    ------
    rows : slice
        The rows of ``X`` in this chunk.
    passes : ndarray of shape (n_samples, n_chunk_rows, n_outputs)
        Their outputs in every pass; a new array for every chunk.
    """
    n_rows = X.shape[0]
    n_outputs = coefs[-1].shape[1]
    chunk = max(1, batch_rows // n_samples)
    for start in range(0, n_rows, chunk):
        stop = min(start + chunk, n_rows)
        rows = X[start:stop]
        if sp.issparse(rows):
            stacked = sp.vstack([rows] * n_samples, format="csr")
            noise = masks.sample_flat(0, stacked.nnz)
            if noise is not None:
                stacked.data *= noise
        else:
            stacked = np.tile(rows, (n_samples, 1))
            noise = masks.sample(0, stacked.shape[0])
            if noise is not None:
                stacked *= noise
        A = _forward_rows(stacked, coefs, intercepts, activation, out_activation, masks)
        yield slice(start, stop), A.reshape(n_samples, stop - start, n_outputs)
