"""Training rows scored without dropout after every epoch.

One dropout-free forward pass over a fixed, evenly spaced sample of the
training rows (all of them, up to ``PROBE_ROWS``) serves every rule that
looks at the network between epochs: the divergence checks (are its outputs
finite?), the blow-up rule (has the loss on these rows exploded?) and, with
dropout on, the stopping rule (has the loss of the network that predicts
stopped improving?). Scoring the rows once keeps what the rules cost to one
small forward pass per epoch, the same with dropout on or off.
"""

import math

import numpy as np
import scipy.sparse as sp

# Every row of a small data set, an evenly spaced sample of a larger one:
# enough rows for a loss that tracks the training loss, few enough that the
# pass stays a small share of an epoch (on the digits workload, scoring all
# 1797 rows added a quarter to each epoch).
PROBE_ROWS = 256


class TrainingProbe:
    """The probe rows of one fit and the network's outputs on them.

    Parameters
    ----------
    estimator : BaseDropoutMLP
        Whose dropout-free forward pass scores the rows.
    trainer : MinibatchTrainer
        Whose loss the penalised loss uses.
    X : ndarray or sparse matrix of shape (n_samples, n_features)
    Y : ndarray of shape (n_samples, n_targets)
    sample_weight : ndarray of shape (n_samples,) or None
    """

    def __init__(self, estimator, trainer, X, Y, sample_weight):
        stride = math.ceil(X.shape[0] / PROBE_ROWS)
        if stride > 1:
            # Copied once, contiguous: a strided view would be gathered again
            # by every epoch's matrix product.
            X = X[::stride] if sp.issparse(X) else np.ascontiguousarray(X[::stride])
            Y = np.ascontiguousarray(Y[::stride])
            if sample_weight is not None:
                sample_weight = np.ascontiguousarray(sample_weight[::stride])
        self._estimator = estimator
        self._trainer = trainer
        self.X, self.Y, self.sample_weight = X, Y, sample_weight
        self._total_weight = (
            X.shape[0] if sample_weight is None else float(sample_weight.sum())
        )
        self.output = None

    def score(self):
        """Score the rows with the current weights; return the outputs."""
        with np.errstate(over="ignore", invalid="ignore"):
            self.output = self._estimator._forward(self.X, check_input=False)
        return self.output

    def penalised_loss(self):
        """The L2-penalised training loss of the outputs last scored.

        The objective the estimator minimises, of the dropout-free network,
        on the probe rows.
        """
        est = self._estimator
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            value = self._trainer.loss_of_outputs(
                self.output, self.Y, self.sample_weight
            )
        if est.alpha:
            squares = sum(float(np.vdot(W, W)) for W in est.coefs_)
            value += 0.5 * est.alpha * squares / self._total_weight
        return float(value)
