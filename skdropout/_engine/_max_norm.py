"""The max-norm constraint of Srivastava et al. (2014), section 5.1."""

import numpy as np


def apply_max_norm(coef, max_norm, norms=None):
    """Rescale the columns of ``coef`` whose L2 norm exceeds ``max_norm``.

    Column ``j`` of a ``(fan_in, fan_out)`` weight matrix holds the incoming
    weights of unit ``j``. A column longer than ``max_norm`` is scaled to
    length exactly ``max_norm``; shorter columns are not touched at all, so
    the constraint is a projection onto the ball, not a global shrinkage.

    Parameters
    ----------
    coef : ndarray of shape (fan_in, fan_out)
        Weight matrix, modified in place.
    max_norm : float
        Largest allowed L2 norm of a column.
    norms : ndarray of shape (fan_out,), default=None
        Workspace of ``coef``'s dtype for the column norms.

    Returns
    -------
    n_clipped : int
        How many columns were rescaled.
    """
    if norms is None:
        norms = np.empty(coef.shape[1], dtype=coef.dtype)
    np.einsum("ij,ij->j", coef, coef, out=norms)
    # Most steps leave every column inside the ball: then the squared norms
    # answer the question and the square roots are not needed.
    if norms.max() <= max_norm * max_norm:
        return 0
    np.sqrt(norms, out=norms)
    too_long = norms > max_norm
    n_clipped = int(np.count_nonzero(too_long))
    if n_clipped:
        # One broadcast pass over the matrix, cheaper than gathering and
        # scattering columns; a factor of exactly 1 leaves a column as it is.
        np.divide(max_norm, norms, out=norms, where=too_long)
        norms[~too_long] = 1
        coef *= norms
    return n_clipped
