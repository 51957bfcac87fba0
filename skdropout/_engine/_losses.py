"""Loss functions paired with their canonical output activations.

Every loss here but one is matched with the output activation whose link
makes the gradient with respect to the output layer's pre-activation simply
``y_pred - y_true`` (identity + squared error, exp + Poisson deviance,
logistic + binary log-loss, softmax + log-loss). The trainer relies on that
unless ``LOSS_GRADIENTS`` holds the loss's own gradient: the Gaussian
negative log-likelihood, whose network has two outputs per target (a mean
and a log-variance, see ``OUTPUTS_PER_TARGET``).

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


# The smallest variance the Gaussian loss lets the network predict. Without
# a floor a row fitted exactly would drive its variance, and the loss, to
# -inf; with it the loss is bounded below by 0.5 * log(floor) per target. A
# standard deviation of 1e-3 is negligible for targets of unit scale, and
# 1/floor is far inside float32's range, so r**2 / variance stays finite.
VARIANCE_FLOOR = 1e-6
_LOG_FLOOR = math.log(VARIANCE_FLOOR)
_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


def log_variance(raw, out):
    """Log of the variance that the raw outputs ``raw`` stand for.

    The variance is ``VARIANCE_FLOOR + exp(raw)``: positive, floored, and as
    fast to move over orders of magnitude as a plain log-variance. Its log is
    ``logaddexp(raw, log(floor))``, which neither overflows nor underflows.
    """
    return np.logaddexp(raw, _LOG_FLOOR, out=out)


def gaussian_variance(raw, out=None):
    """Predicted variance ``VARIANCE_FLOOR + exp(raw)`` of the Gaussian loss.

    Parameters
    ----------
    raw : ndarray
        The network's log-variance outputs (the second half of its columns).
    out : ndarray, default=None
        Where to write the result; a new array if None.

    Returns
    -------
    variance : ndarray
        In ``raw``'s dtype; inf only where ``exp(raw)`` overflows it.
    """
    out = log_variance(raw, out)
    with np.errstate(over="ignore"):
        return np.exp(out, out=out)


def _split_outputs(y_true, y_pred):
    """The mean and log-variance columns of the Gaussian network's output."""
    k = y_true.shape[1]
    if y_pred.shape[1] != 2 * k:
        raise ValueError(
            f"gaussian_nll needs 2 outputs per target: {y_pred.shape[1]} "
            f"outputs for {k} targets."
        )
    return y_pred[:, :k], y_pred[:, k:], k


def gaussian_nll(y_true, y_pred, sample_weight, scratch):
    """Gaussian negative log-likelihood, summed over targets.

    ``y_pred`` holds ``2 * k`` columns for ``k`` targets: the means, then the
    raw log-variances (see :func:`gaussian_variance`). Per target the loss is
    ``0.5 * (log(2 pi) + log(var) + (y - mean)**2 / var)``, computed from
    ``log(var)`` so that neither a tiny nor a huge variance overflows.
    """
    mean, raw, k = _split_outputs(y_true, y_pred)
    first, second = scratch
    log_var = log_variance(raw, first[:, :k])
    terms = first[:, k:]
    np.subtract(y_true, mean, out=terms)
    terms *= terms
    inverse = second[:, :k]
    np.negative(log_var, out=inverse)
    np.exp(inverse, out=inverse)
    terms *= inverse
    terms += log_var
    loss = 0.5 * _weighted_mean_of_row_sums(terms, sample_weight)
    return loss + k * _HALF_LOG_2PI


def gaussian_nll_gradient(y_true, y_pred, out, scratch):
    """Gradient of :func:`gaussian_nll`'s per-row terms, written to ``out``.

    With ``r = mean - y`` and ``var = floor + exp(s)``: ``r / var`` for a
    mean and ``0.5 * (1 - r**2 / var) * exp(s) / var`` for a raw
    log-variance ``s``; ``exp(s) / var = exp(s - log(var))`` is at most 1.
    Like ``y_pred - y_true`` for the canonical pairs, it is not yet divided
    by the batch's weight, which the trainer does.
    """
    mean, raw, k = _split_outputs(y_true, y_pred)
    first, second = scratch
    log_var = log_variance(raw, first[:, :k])
    inverse = second[:, :k]
    np.negative(log_var, out=inverse)
    np.exp(inverse, out=inverse)
    d_mean, d_raw = out[:, :k], out[:, k:]
    np.subtract(mean, y_true, out=d_mean)
    np.multiply(d_mean, d_mean, out=d_raw)
    d_raw *= inverse
    np.subtract(1, d_raw, out=d_raw)
    d_raw *= 0.5
    share = first[:, k:]
    np.subtract(raw, log_var, out=share)
    np.exp(share, out=share)
    d_raw *= share
    d_mean *= inverse
    return out


LOSSES = {
    "squared_error": squared_error,
    "poisson": poisson,
    "log_loss": log_loss,
    "binary_log_loss": binary_log_loss,
    "gaussian_nll": gaussian_nll,
}

# Gradients with respect to the output layer's pre-activation, for the losses
# that are not paired with a canonical link (for those it is y_pred - y_true).
LOSS_GRADIENTS = {"gaussian_nll": gaussian_nll_gradient}

# Network outputs per target column; 1 for every loss not listed.
OUTPUTS_PER_TARGET = {"gaussian_nll": 2}


def loss_lower_bound(loss_name, n_targets):
    """The least value the loss ``LOSSES[loss_name]`` can take.

    0 for every loss but the Gaussian negative log-likelihood, which is
    negative once the predicted variances are small, and bounded below by
    the variance floor: ``0.5 * (log(2 pi) + log(VARIANCE_FLOOR))`` per
    target. Growth of a loss is measured from this value.
    """
    if loss_name != "gaussian_nll":
        return 0.0
    return n_targets * (_HALF_LOG_2PI + 0.5 * _LOG_FLOOR)


def constant_prediction(loss_name, Y, out):
    """Write into ``out`` the outputs of the best constant model of ``Y``.

    The column means of ``Y`` (class frequencies for a label indicator
    matrix); under ``gaussian_nll``, whose outputs are the means and then one
    raw log-variance per target, the targets' variances go in the second
    half. It is the scale a loss of a useless network has on these targets.
    """
    n_targets = Y.shape[1]
    out[:, :n_targets] = Y.mean(axis=0)
    if out.shape[1] > n_targets:
        # The raw output whose variance, floor included, is the targets'.
        excess = np.maximum(Y.var(axis=0) - VARIANCE_FLOOR, VARIANCE_FLOOR)
        out[:, n_targets:] = np.log(excess)
    return out
