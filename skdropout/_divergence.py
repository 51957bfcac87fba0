"""Divergence: what shows that an epoch blew the network up, and the
message of the error that ends such a fit.

A diverged epoch is undone (the epoch loop puts back the checkpoint of the
last completed epoch) and the fit raises ``ValueError`` with
:func:`message`.
"""

import math

import numpy as np

# The epoch loss is measured before each update, so weights that the
# epoch's last updates made finite but huge would slip through; a
# dropout-free pass over this many training rows catches them.
PROBE_ROWS = 256


def sign(estimator, loss, flat_params, probe):
    """What shows that the last epoch diverged, or None if nothing does."""
    if not math.isfinite(loss):
        return f"the training loss became {loss} (non-finite)"
    if not np.isfinite(flat_params).all():
        return f"the weights became non-finite (training loss {loss:.4g})"
    if not _outputs_are_finite(estimator, probe):
        return (
            "the weights grew so large that the network's outputs overflowed "
            f"(training loss {loss:.4g})"
        )
    return None


def validation_sign(loss):
    """The sign of a network whose validation outputs overflowed."""
    return (
        "the network's outputs on the validation set "
        f"overflowed (training loss {loss:.4g})"
    )


def message(estimator, sign):
    """The error message of a fit that diverged in its next epoch."""
    epoch = estimator.n_iter_ + 1
    kept = (
        f"the weights from the end of epoch {estimator.n_iter_}"
        if estimator.n_iter_
        else "the initial weights"
    )
    return (
        f"Training diverged in epoch {epoch}: {sign}, so training stopped "
        f"and {kept} were restored. Lower "
        f"learning_rate_init (now {estimator.learning_rate_init}), standardise the "
        "inputs, or bound the weights with max_norm (for example 3.0)."
    )


def _outputs_are_finite(estimator, X):
    with np.errstate(over="ignore", invalid="ignore"):
        return bool(np.isfinite(estimator._forward(X, check_input=False)).all())
