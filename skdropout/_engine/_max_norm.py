"""The max-norm constraint of Srivastava et al. (2014), section 5.1."""

import math

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
    return _project_columns(coef, max_norm, norms)[0]


# A float32 sum of n squares can be off by up to n times the float32
# epsilon: 0.4% was measured at 300,000 rows (a hashed vocabulary), enough to
# miss a column over the cap. Above _WIDE rows, a float32 matrix's squared
# column norms are therefore summed in blocks of _BLOCK_ROWS rows, the blocks
# being added in float64 (measured: 1.9x the time of one float32 sum at
# 300,000 rows, 1.1x at 4096; at most _WIDE rows one sum is kept).
_WIDE = 2048
_BLOCK_ROWS = 256


def _column_squares(coef, out):
    """Squared L2 norm of every column of ``coef``, written to ``out``."""
    if coef.shape[0] <= _WIDE or coef.dtype == np.float64:
        return np.einsum("ij,ij->j", coef, coef, out=out)
    total = np.zeros(coef.shape[1], dtype=np.float64)
    for start in range(0, coef.shape[0], _BLOCK_ROWS):
        block = coef[start : start + _BLOCK_ROWS]
        total += np.einsum("ij,ij->j", block, block, out=out)
    out[...] = total
    return out


def _project_with_scaled_columns(coef, max_norm):
    """``_project_columns`` for squares outside the dtype's range.

    That is, squared norms that overflow (after a huge step) or a cap so
    small that its square underflows. Each column is divided by its largest
    magnitude, in float64, before squaring, and a clipped column is rebuilt
    from the scaled one, ``(w / s) * (max_norm / |w / s|)``: no intermediate
    leaves the float range however large or small the norm. Slow, and only
    taken in those cases.
    """
    scaled = coef.astype(np.float64)
    scale = np.abs(scaled).max(axis=0)
    scale[scale == 0] = 1.0
    scaled /= scale
    scaled_norms = np.sqrt(np.einsum("ij,ij->j", scaled, scaled))
    with np.errstate(over="ignore"):
        norms = scale * scaled_norms
    too_long = norms > max_norm
    n_clipped = int(np.count_nonzero(too_long))
    if n_clipped:
        clipped = scaled[:, too_long] * (max_norm / scaled_norms[too_long])
        coef[:, too_long] = clipped
    # NaN norms (a diverged network) pass through, as in _project_columns.
    return n_clipped, max_norm if n_clipped else float(norms.max())


def _smallest_fast_cap(dtype):
    """Below this cap, squared norms near it underflow in ``dtype``."""
    info = np.finfo(dtype)
    return float(np.sqrt(info.tiny) / info.eps)


_FAST_CAPS = {np.dtype(t): _smallest_fast_cap(t) for t in (np.float32, np.float64)}


def _project_columns(coef, max_norm, norms=None):
    """``apply_max_norm``, also returning the largest column norm after it."""
    if norms is None:
        norms = np.empty(coef.shape[1], dtype=coef.dtype)
    if not norms.size:
        return 0, 0.0
    if max_norm < _FAST_CAPS.get(coef.dtype, np.inf):
        return _project_with_scaled_columns(coef, max_norm)
    _column_squares(coef, norms)
    # Most steps leave every column inside the ball: then the squared norms
    # answer the question and the square roots are not needed. (The ufuncs'
    # own reductions: ndarray.max adds a Python layer that costs more than
    # the reduction on a small network's few columns.)
    largest_square = float(np.maximum.reduce(norms))
    if largest_square <= max_norm * max_norm:
        return 0, math.sqrt(largest_square)
    if math.isinf(largest_square):
        # Only after a huge step: worth a slow pass to rescale the columns
        # rather than scale them by max_norm / inf = 0.
        return _project_with_scaled_columns(coef, max_norm)
    # The factor of every column, max_norm / max(norm, max_norm): exactly 1
    # for a column inside the ball (left as it is by the multiplication),
    # max_norm / norm for a longer one, and below 1 exactly for those (a
    # quotient below 1 by at least 2**-53 never rounds up to 1). fmax takes
    # a NaN norm (a diverged network) as max_norm: such a column is left as
    # it is, and the NaN is passed on to the callers, who must keep checking.
    # One broadcast pass over the matrix, cheaper than gathering and
    # scattering columns.
    np.sqrt(norms, out=norms)
    np.fmax(norms, max_norm, out=norms)
    np.divide(max_norm, norms, out=norms)
    n_clipped = norms.size - int(np.count_nonzero(norms == 1))
    coef *= norms
    return n_clipped, max_norm if n_clipped else math.sqrt(largest_square)


# Relative slack on every bound below: it absorbs the rounding of the norms
# (float32 sums of up to thousands of squares) and of the optimizer's update,
# so a check is skipped only when it could not have clipped anything.
_SLACK = 1e-3


class MaxNormConstraint:
    """Enforce the max-norm constraint on a network's weight matrices.

    Checking costs a pass over every weight. When the optimizer can bound how
    far one step moves any single weight (Adam can, see
    ``AdamOptimizer.step_bound``), a column of ``fan_in`` weights moves by at
    most ``sqrt(fan_in)`` times that bound, so the largest column norm after
    ``k`` steps is at most its last measured value plus the ``k`` bounds.
    While that sum stays below the cap no column can exceed it, and the check
    is skipped: the weights are exactly those that checking after every step
    would give. The steps' bounds are summed once for all the matrices (see
    ``_restart_travel``), so that a step that skips every check costs one
    addition and one comparison, not a loop over the matrices.

    A matrix whose last check clipped a column is at the cap, where training
    with max-norm spends most of its steps: every step pushes some column
    out again. Such a matrix is rescaled straight away, without first asking
    whether any column is too long, which on a small network's matrices is
    a large share of the check; the weights are the same either way, since
    a column inside the ball is multiplied by exactly 1.

    Parameters
    ----------
    coefs : list of ndarray of shape (fan_in, fan_out)
        Weight matrices, projected in place.
    max_norm : float
        Largest allowed L2 norm of a column.
    """

    def __init__(self, coefs, max_norm):
        self.coefs = coefs
        self.max_norm = float(max_norm)
        self._norms = [np.empty(W.shape[1], dtype=W.dtype) for W in coefs]
        self._root_fan_in = [math.sqrt(W.shape[0]) for W in coefs]
        # Caps whose square underflows take the slow, scaled path every time.
        self._direct = self.max_norm >= _FAST_CAPS.get(coefs[0].dtype, np.inf)
        self._at_cap = [False] * len(coefs)
        self._limit = self.max_norm * (1 - _SLACK)
        # The largest machine epsilon among the matrices: one travel (see
        # project) serves them all.
        self._eps_max = max((float(np.finfo(W.dtype).eps) for W in coefs), default=0.0)
        self.forget()

    def forget(self):
        """Drop the bounds: the next ``project`` checks every matrix.

        Call it whenever the weights change other than through the steps
        reported to ``project``.
        """
        self._radius = [np.inf] * len(self.coefs)
        self._restart_travel()

    def _restart_travel(self):
        """Start counting steps afresh from the radii just recorded.

        ``_travel`` sums, over the steps since, a bound on how far one
        weight moved, rounding included; matrix ``i``'s largest column norm
        is then at most ``_radius[i] + sqrt(fan_in) * _travel``. Every check
        can be skipped while ``_travel`` stays below ``_headroom``, the
        smallest travel that would take a matrix to the cap: one addition
        and one comparison a step, whatever the number of matrices.
        """
        self._travel = 0.0
        headroom = math.inf
        for radius, root_fan_in in zip(self._radius, self._root_fan_in):
            room = (self._limit - radius) / root_fan_in
            if math.isnan(room):  # diverged weights: no room, checked every step
                room = -math.inf
            headroom = min(headroom, room)
        self._headroom = headroom

    def clip_all(self):
        """Check every matrix now; return how many columns were rescaled."""
        self.forget()
        n_clipped = 0
        for i, W in enumerate(self.coefs):
            clipped, largest = _project_columns(W, self.max_norm, self._norms[i])
            n_clipped += clipped
            self._radius[i] = largest * (1 + _SLACK)
            self._at_cap[i] = clipped > 0
        self._restart_travel()
        return n_clipped

    def project(self, step_bound=None):
        """Project the columns that may exceed the cap onto the ball.

        Parameters
        ----------
        step_bound : float or None
            Upper bound on how much any single weight changed since the last
            call; None if unknown (every matrix is then checked).

        Returns
        -------
        n_checked : int
            How many matrices were actually checked.
        """
        if step_bound is not None:
            # Storing ``w + step`` rounds it, moving a weight by up to half
            # an ulp beyond the step: negligible against Adam's usual steps,
            # but not when a tiny learning rate makes the step itself an ulp
            # or two. While no matrix has reached the cap, an ulp is at most
            # eps * max_norm.
            eps = self._eps_max
            self._travel += step_bound * (1 + _SLACK + eps) + eps * self.max_norm
            if self._travel < self._headroom:
                return 0
        n_checked = 0
        for i, W in enumerate(self.coefs):
            if step_bound is not None:
                radius = self._radius[i] + self._root_fan_in[i] * self._travel
                if radius < self._limit:
                    self._radius[i] = radius
                    continue
            n_checked += 1
            if self._at_cap[i] and self._direct:
                clipped = self._rescale(i, W)
                if clipped is not None:
                    # Every column now lies in the ball: the cap bounds
                    # them (NaN columns, left as they are, keep the matrix
                    # checked at every step through _at_cap).
                    self._radius[i] = self.max_norm * (1 + _SLACK)
                    self._at_cap[i] = clipped
                    continue
            clipped, largest = _project_columns(W, self.max_norm, self._norms[i])
            # NaN (diverged weights) makes the radius NaN, and with it the
            # headroom: such a matrix is checked at every step.
            self._radius[i] = largest * (1 + _SLACK)
            self._at_cap[i] = clipped > 0
        self._restart_travel()
        return n_checked

    def _rescale(self, i, W):
        """Scale matrix ``i``'s long columns onto the cap without asking first.

        Returns whether any column was clipped, or None, having changed
        nothing, when a squared norm overflowed (a huge step: the scaled
        path must rescale such a column rather than zero it).
        """
        norms = _column_squares(W, self._norms[i])
        # As in _project_columns: max_norm / max(norm, max_norm) is exactly
        # 1 inside the ball, below 1 exactly for a longer column, and 0 only
        # for an infinite norm.
        np.sqrt(norms, out=norms)
        np.fmax(norms, self.max_norm, out=norms)
        np.divide(self.max_norm, norms, out=norms)
        smallest = float(np.minimum.reduce(norms))
        if smallest == 0.0:
            return None
        if smallest < 1.0:
            W *= norms
            return True
        return False
