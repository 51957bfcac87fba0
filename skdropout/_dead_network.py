"""A fit that ends with a layer of dead ReLUs: a constant model, said aloud.

A step size too large can push every ReLU of a hidden layer below zero on
every input. The layer then passes nothing on, its units get no gradient and
never come back, and the network predicts one value for every input, while
the output layer's bias still learns, so the loss settles and the fit looks
converged. Neither the divergence checks (every number is finite and moves)
nor scikit-learn's MLP say anything. A silent layer makes the outputs on
the probe rows (see :mod:`._probe`) all equal, which costs nothing to see
in the outputs the probe already holds; only then are all the training rows
passed through, so that a unit alive on rows outside the probe, or rows
that are merely alike, raise no false alarm.
"""

from sklearn.exceptions import ConvergenceWarning

from ._engine import active_units
from ._prediction import CHUNK_ROWS
from ._utils import warn_at_users_line


def dead_layer(estimator, rows, batch_rows=None):
    """Number (from 1) of the first hidden layer silent on every row, or None."""
    coefs, intercepts, activation, _ = estimator._network()
    active = active_units(rows, coefs, intercepts, activation, batch_rows)
    for number, units in enumerate(active, start=1):
        if not units.any():
            return number
    return None


def warn_if_dead(estimator, probe_output, X):
    """Warn if the fitted ReLU network passes nothing on through some layer.

    ``probe_output`` is the fitted network's output on the probe rows,
    ``X`` all the training rows.
    """
    if (
        estimator.activation != "relu"
        or len(estimator.coefs_) < 2
        or probe_output is None  # interrupted before any epoch was scored
    ):
        return
    if (probe_output != probe_output[:1]).any():
        return  # the outputs vary: every layer passes something on
    number = dead_layer(estimator, X, batch_rows=CHUNK_ROWS)
    if number is None:
        return
    warn_at_users_line(
        f"Every unit of hidden layer {number} outputs 0 on every training "
        "sample (its ReLUs are dead), so the network predicts the same value "
        "for every input. Lower learning_rate_init (now "
        f"{estimator.learning_rate_init}), standardise the inputs, or try "
        "another random_state.",
        ConvergenceWarning,
    )
