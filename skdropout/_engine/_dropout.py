"""Inverted-dropout masks, sampled outside the forward pass.

A mask entry is ``0`` for a dropped unit and ``1 / (1 - rate)`` for a kept
one, so multiplying activations by the mask both drops units and rescales the
survivors. The expected activation is unchanged, which is why prediction can
be a plain forward pass without any weight scaling.
"""

import numpy as np


class DropoutMasks:
    """Reusable mask buffers for the input and hidden layers of one network.

    Parameters
    ----------
    rates : sequence of float
        Drop probability of each masked layer, input layer first; a rate of 0
        means that layer is never masked (and costs nothing).
    widths : sequence of int
        Number of units of each masked layer, aligned with ``rates``.
    max_rows : int
        Largest minibatch size the buffers must hold.
    dtype : numpy dtype
        dtype of the masks, the dtype of the computation.
    rng : numpy.random.Generator or None
        Source of randomness; may be None only if every rate is 0.
    """

    def __init__(self, rates, widths, max_rows, dtype, rng):
        self.rates = [float(r) for r in rates]
        self.dtype = np.dtype(dtype)
        self.rng = rng
        if rng is None and self.any_active:
            raise ValueError("a random generator is needed when a rate is > 0")
        self._buffers = [
            np.empty((max_rows, width), dtype=self.dtype) if rate > 0 else None
            for rate, width in zip(self.rates, widths)
        ]

    @property
    def any_active(self):
        """True if at least one layer is dropped out."""
        return any(rate > 0 for rate in self.rates)

    def sample(self, layer, n_rows):
        """Draw a fresh mask for ``layer`` over ``n_rows`` rows.

        Returns
        -------
        mask : ndarray of shape (n_rows, width) or None
            A view into a reused buffer (valid until the next call for the
            same layer), or None when the layer's rate is 0.
        """
        buffer = self._buffers[layer]
        if buffer is None:
            return None
        mask = buffer[:n_rows]
        self._fill(mask, self.rates[layer])
        return mask

    def sample_flat(self, layer, size):
        """Draw a one-dimensional mask of ``size`` entries for ``layer``.

        Used for sparse input, where dropout acts on the stored entries.
        Allocates, since the number of stored entries varies per batch.
        """
        rate = self.rates[layer]
        if rate == 0:
            return None
        mask = np.empty(size, dtype=self.dtype)
        self._fill(mask, rate)
        return mask

    def _fill(self, mask, rate):
        self.rng.random(out=mask, dtype=self.dtype)
        np.greater_equal(mask, rate, out=mask)
        mask *= 1.0 / (1.0 - rate)
