"""Activation functions and their derivatives, all working in place.

The activations take an optional ``workspace`` (see ``activation_workspace``)
that spares them allocations or slow paths. The derivatives take the
activation *output* (not its input), so the forward cache is all
backpropagation needs. Each derivative multiplies ``delta`` in
place and may use ``scratch``, an array shaped like ``delta``, as workspace so
that the training loop allocates nothing.
"""

import numpy as np
from scipy.special import expit


def identity(Z, workspace=None):
    """Leave ``Z`` unchanged."""


def logistic(Z, workspace=None):
    """Logistic sigmoid of ``Z``, in place."""
    expit(Z, out=Z)


def tanh(Z, workspace=None):
    """Hyperbolic tangent of ``Z``, in place."""
    np.tanh(Z, out=Z)


def relu(Z, workspace=None):
    """Rectified linear unit of ``Z``, in place.

    ``workspace`` is an optional array of zeros broadcastable to ``Z``:
    numpy takes the maximum against an array several times faster than
    against the scalar 0 (its scalar path is not vectorised).
    """
    np.maximum(Z, 0 if workspace is None else workspace, out=Z)


def exp(Z, workspace=None):
    """Exponential of ``Z``, in place (the Poisson regression output)."""
    np.exp(Z, out=Z)


def softmax(Z, workspace=None):
    """Row-wise softmax of ``Z``, in place.

    ``workspace`` is an optional ``(n_rows, 1)`` array of Z's dtype for the
    row maxima and sums. Subtracting the row maximum first keeps ``exp`` from
    overflowing, however large the logits are.
    """
    row_buffer = workspace
    if row_buffer is None:
        row_buffer = np.empty((Z.shape[0], 1), dtype=Z.dtype)
    # The ufuncs' own reductions: np.max and np.sum add a Python layer that
    # costs more than the reduction itself on a minibatch's few outputs.
    np.maximum.reduce(Z, axis=1, keepdims=True, out=row_buffer)
    np.subtract(Z, row_buffer, out=Z)
    np.exp(Z, out=Z)
    np.add.reduce(Z, axis=1, keepdims=True, out=row_buffer)
    np.divide(Z, row_buffer, out=Z)


ACTIVATIONS = {
    "identity": identity,
    "logistic": logistic,
    "tanh": tanh,
    "relu": relu,
    "exp": exp,
    "softmax": softmax,
}


def activation_workspace(name, n_rows, width, dtype):
    """The workspace activation ``name`` can use on ``(n_rows, width)`` inputs.

    Slicing its first ``n`` rows gives the workspace for ``n`` rows. Returns
    None for activations that need none.
    """
    if name == "relu":
        return np.zeros((n_rows, width), dtype=dtype)
    if name == "softmax":
        return np.empty((n_rows, 1), dtype=dtype)
    return None


def identity_derivative(A, delta, scratch):
    """The identity's derivative is one: nothing to do."""


def logistic_derivative(A, delta, scratch):
    """Multiply ``delta`` by ``A * (1 - A)``, the sigmoid's derivative."""
    delta *= A
    np.subtract(1, A, out=scratch)
    delta *= scratch


def tanh_derivative(A, delta, scratch):
    """Multiply ``delta`` by ``1 - A**2``, the tanh derivative."""
    np.multiply(A, A, out=scratch)
    np.subtract(1, scratch, out=scratch)
    delta *= scratch


def relu_derivative(A, delta, scratch):
    """Zero ``delta`` where the unit was inactive (``A == 0``)."""
    np.greater(A, 0, out=scratch)
    delta *= scratch


DERIVATIVES = {
    "identity": identity_derivative,
    "logistic": logistic_derivative,
    "tanh": tanh_derivative,
    "relu": relu_derivative,
}
