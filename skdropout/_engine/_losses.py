"""Loss functions paired with their canonical output activations.

Every loss here is matched with the output activation whose link makes the
gradient with respect to the output layer's pre-activation simply
``y_pred - y_true`` (identity + squared error, exp + Poisson deviance,
logistic + binary log-loss, softmax + log-loss). The trainer relies on that.

Each function returns the sample-weighted mean loss as a Python float and
uses the two ``scratch`` arrays (shaped like ``y_pred``) as workspace.
"""

import math

import numpy as np
from scipy.special import xlogy


def _weighted_mean_of_row_sums(values, sample_weight):
    """Mean over rows (weighted) of the sum over columns of ``values``."""
    if sample_weight is None:
        # np.add.reduce rather than values.sum(): the same sum without the
        # Python layer, which costs more than the sum of a minibatch's losses.
        return float(np.add.reduce(values, axis=None)) / values.shape[0]
    return float(np.dot(sample_weight, values).sum()) / float(sample_weight.sum())


def squared_error(y_true, y_pred, sample_weight, scratch):
    """Half the mean squared error, averaged over outputs."""
    diff = scratch[0]
    np.subtract(y_true, y_pred, out=diff)
    diff *= diff
    return 0.5 * _weighted_mean_of_row_sums(diff, sample_weight) / y_pred.shape[1]


def poisson(y_true, y_pred, sample_weight, scratch):
    """Half the Poisson deviance, summed over outputs.

    ``y log(y / y_pred) - y + y_pred``, with a prediction that underflowed to
    0 (the exp of a very negative logit) taken as the dtype's smallest normal
    number: a target of 0 then costs 0 rather than NaN, and a positive target
    a large finite loss rather than inf, which would read as divergence.
    """
    terms, clipped = scratch
    np.maximum(y_pred, np.finfo(y_pred.dtype).tiny, out=clipped)
    # An overflowed ratio (and, times a zero weight, NaN) is handled below.
    with np.errstate(over="ignore", invalid="ignore"):
        np.divide(y_true, clipped, out=terms)
        xlogy(y_true, terms, out=terms)
        terms -= y_true
        terms += y_pred
        loss = _weighted_mean_of_row_sums(terms, sample_weight)
    if not math.isfinite(loss) and np.isfinite(y_pred).all():
        # A ratio overflowed (a count over a clipped prediction; times a zero
        # weight it even gives NaN). There, and only there, the difference of
        # logs is used: finite, but it loses precision to cancellation
        # elsewhere. A rare path, so it may allocate.
        overflowed = ~np.isfinite(terms)
        with np.errstate(divide="ignore"):
            log_form = xlogy(y_true, y_true) - y_true * np.log(clipped)
        log_form += y_pred - y_true
        terms[overflowed] = log_form[overflowed]
        if sample_weight is not None:
            terms[sample_weight == 0] = 0  # rows that count for nothing
        loss = _weighted_mean_of_row_sums(terms, sample_weight)
    return loss


def _clip_probabilities(y_prob, out):
    """``y_prob`` clipped to [eps, 1 - eps], so that both logs stay finite."""
    eps = np.finfo(y_prob.dtype).eps
    # Two ufunc calls: np.clip's Python layer costs more than clipping a
    # minibatch's few probabilities.
    np.maximum(y_prob, eps, out=out)
    np.minimum(out, 1 - eps, out=out)
    return out


def log_loss(y_true, y_prob, sample_weight, scratch):
    """Categorical cross-entropy of one-hot ``y_true`` under ``y_prob``."""
    log_prob = _clip_probabilities(y_prob, scratch[0])
    np.log(log_prob, out=log_prob)
    log_prob *= y_true
    return -_weighted_mean_of_row_sums(log_prob, sample_weight)


def binary_log_loss(y_true, y_prob, sample_weight, scratch):
    """Binary cross-entropy, summed over independent logistic outputs."""
    log_p, log_not_p = scratch
    _clip_probabilities(y_prob, log_p)
    np.subtract(1, log_p, out=log_not_p)
    np.log(log_p, out=log_p)
    np.log(log_not_p, out=log_not_p)
    # y*log(p) + (1-y)*log(1-p), rearranged to need no third buffer.
    log_p -= log_not_p
    log_p *= y_true
    log_p += log_not_p
    return -_weighted_mean_of_row_sums(log_p, sample_weight)


LOSSES = {
    "squared_error": squared_error,
    "poisson": poisson,
    "log_loss": log_loss,
    "binary_log_loss": binary_log_loss,
}
