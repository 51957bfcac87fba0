"""Training rows scored without dropout after every epoch.

One dropout-free forward pass over a fixed, evenly spaced sample of the
training rows (all of them, up to ``PROBE_ROWS``, fewer for a network so wide
that the pass would cost a large share of an epoch) serves every rule that
looks at the network between epochs: the divergence checks (are its outputs
finite?), the blow-up rule (has the loss on these rows exploded?) and, with
dropout on, the stopping rule (has the loss of the network that predicts
stopped improving?). Scoring the rows once keeps what the rules cost to one
small forward pass per epoch, the same with dropout on or off.
"""

import math

import numpy as np
import scipy.sparse as sp

from ._engine import constant_prediction, forward, views_like
from ._prediction import CHUNK_ROWS

# Every row of a small data set, an evenly spaced sample of a larger one:
# enough rows for a loss that tracks the training loss, few enough that the
# pass stays a small share of an epoch (on digits, scoring all 1797 rows
# costs about a fifth of a default classifier's epoch:
# benchmarks/bench_stopping_rule.py).
PROBE_ROWS = 256
# Fewer rows when the network is so wide that scoring them would cost more
# than PROBE_PRODUCTS multiply-adds and more than PROBE_SHARE of the
# training rows: an epoch makes about 2.5 products per row (forward pass and
# gradients), so a quarter of the rows is about a tenth of an epoch's
# products. On narrow data the fixed cost of each minibatch dwarfs the
# pass, which keeps every row up to PROBE_ROWS; on 200 x 2000 with 100
# hidden units scoring all 200 rows made each epoch 1.35-1.39x sklearn's
# MLP's (one minibatch, and a pass as costly as its forward pass), 50 rows
# 1.04-1.11x (bench_training.py --tables shapes).
PROBE_PRODUCTS = 4_000_000
PROBE_SHARE = 0.25
MIN_PROBE_ROWS = 32


def probe_size(n_samples, products_per_row):
    """How many training rows the probe scores, for rows of that cost."""
    affordable = max(
        PROBE_PRODUCTS / max(products_per_row, 1),
        PROBE_SHARE * n_samples,
        MIN_PROBE_ROWS,
    )
    return max(1, min(n_samples, PROBE_ROWS, int(affordable)))


def _products_per_row(X, coefs):
    """Multiply-adds of one row's dropout-free forward pass."""
    # A sparse row costs its stored entries in the first product.
    width = X.nnz / max(X.shape[0], 1) if sp.issparse(X) else X.shape[1]
    first = width * coefs[0].shape[1]
    return first + sum(W.shape[0] * W.shape[1] for W in coefs[1:])


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
        size = probe_size(X.shape[0], _products_per_row(X, trainer.coefs))
        stride = math.ceil(X.shape[0] / size)
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
        self._scratch = None
        self._losses = {}
        self._constant_loss = None

    def score(self):
        """Score the rows with the current weights; return the outputs."""
        with np.errstate(over="ignore", invalid="ignore"):
            self.output = self._estimator._forward(self.X, check_input=False)
        self._losses.clear()
        return self.output

    def score_saved(self, checkpoint):
        """Outputs on the probe rows of the network saved in ``checkpoint``.

        Not kept as :attr:`output`, which stays the live network's. The
        checkpoint's parameters are the packed vector, laid out like the
        estimator's ``coefs_`` and ``intercepts_``.
        """
        (saved,) = checkpoint.saved_params()
        est = self._estimator
        views = views_like(saved, est.coefs_ + est.intercepts_)
        n_layers = len(est.coefs_)
        with np.errstate(over="ignore", invalid="ignore"):
            return forward(
                self.X,
                views[:n_layers],
                views[n_layers:],
                est.activation,
                est.out_activation_,
                batch_rows=CHUNK_ROWS,
            )

    def loss(self, weighted=False):
        """The data loss (no penalty) of the outputs last scored.

        Unweighted, the loss the blow-up rule compares with its reference;
        ``weighted``, with the rows' sample weights (the same number when
        there are none). Computed once per :meth:`score`, however many rules
        ask.
        """
        sample_weight = self.sample_weight if weighted else None
        key = sample_weight is not None
        if key not in self._losses:
            if self._scratch is None:
                self._scratch = (np.empty_like(self.output), np.empty_like(self.output))
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                self._losses[key] = float(
                    self._trainer.loss_of_outputs(
                        self.output, self.Y, sample_weight, self._scratch
                    )
                )
        return self._losses[key]

    def constant_loss(self):
        """The weighted data loss of the best constant prediction of the rows.

        The class frequencies (or, for a regressor, the mean target)
        predicted for every row: what a network that has learnt nothing
        scores, on the same rows and with the same weights as
        ``loss(weighted=True)``. The rows are fixed, so it is computed once.
        """
        if self._constant_loss is None:
            out = np.empty(
                (self.Y.shape[0], self._trainer.coefs[-1].shape[1]), dtype=self.Y.dtype
            )
            constant = constant_prediction(self._trainer.loss, self.Y, out)
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                self._constant_loss = float(
                    self._trainer.loss_of_outputs(constant, self.Y, self.sample_weight)
                )
        return self._constant_loss

    def no_better_than_a_constant(self):
        """Whether the outputs last scored vary, yet score no better than a constant.

        That is, their loss (weighted) is no lower than :meth:`constant_loss`,
        while they differ between rows: a network that has not begun to
        learn, rather than one that predicts a constant for good (a layer of
        dead ReLUs), which has its own warning.
        """
        if not self.outputs_vary():
            return False
        return self.loss(weighted=True) >= self.constant_loss()

    def outputs_vary(self):
        """Whether the outputs last scored differ between rows.

        False before any scoring, and for a network that predicts one value
        for every row (a layer of dead ReLUs), which has its own warning.
        """
        output = self.output
        return output is not None and bool((output != output[:1]).any())

    def penalised_loss(self):
        """The L2-penalised training loss of the outputs last scored.

        The objective the estimator minimises, of the dropout-free network,
        on the probe rows.
        """
        value = self.loss(weighted=True)
        alpha = self._estimator.alpha
        if alpha:
            value += 0.5 * alpha * self._trainer.squared_weights() / self._total_weight
        return value
