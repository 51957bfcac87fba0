"""Predictive uncertainty of a network that learns a mean and a variance.

Under ``loss='gaussian_nll'`` the regressor's network has two outputs per
target: a mean and a raw log-variance (see
:func:`skdropout._engine.gaussian_variance`). Monte Carlo dropout then gives,
as in Kendall and Gal (2017), two parts of the predictive variance:

- aleatoric: the noise in the data, the mean over the passes of the
  predicted variances;
- epistemic: the network's doubt about its weights, the variance over the
  passes of the predicted means.

Their sum is the variance of the mixture of the passes' Gaussians, the
predictive distribution Monte Carlo dropout stands for.
"""

import numpy as np

from . import _mc_dropout
from ._engine import forward_stochastic_chunks, gaussian_variance


def gaussian_moments(estimator, X, n_samples, random_state):
    """Mean, aleatoric and epistemic variance of a fitted Gaussian network.

    Parameters
    ----------
    estimator : DropoutMLPRegressor
        Fitted with ``loss='gaussian_nll'``.
    X : {array-like, sparse matrix} of shape (n_rows, n_features)
    n_samples : int
        Number of passes with dropout on.
    random_state : int, RandomState instance or None
        Seeds the dropout noise.

    Returns
    -------
    mean, aleatoric, epistemic : ndarray of shape (n_rows, n_outputs)
        In the network's dtype. Without any dropout there is one network,
        not a distribution over networks: the epistemic part is then 0.
    """
    X, masks, n_samples = _mc_dropout._setup(estimator, X, n_samples, random_state)
    k = estimator.n_outputs_
    dtype = estimator.coefs_[0].dtype
    if masks is None:
        out = estimator._forward(X, check_input=False)
        with np.errstate(over="ignore"):
            aleatoric = gaussian_variance(out[:, k:])
        return np.ascontiguousarray(out[:, :k]), aleatoric, np.zeros_like(aleatoric)
    mean = np.empty((X.shape[0], k), dtype=dtype)
    aleatoric = np.empty_like(mean)
    epistemic = np.empty_like(mean)
    with np.errstate(over="ignore", invalid="ignore"):
        for rows, passes in forward_stochastic_chunks(
            X, *estimator._network(), masks, n_samples, masks.max_rows
        ):
            means = passes[:, :, :k]
            np.mean(means, axis=0, out=mean[rows])
            # Sums in float64: float32 squares of a spread of 1e19 overflow.
            epistemic[rows] = np.var(means, axis=0, dtype=np.float64)
            variances = gaussian_variance(passes[:, :, k:])
            aleatoric[rows] = np.mean(variances, axis=0, dtype=np.float64)
    return mean, aleatoric, epistemic
