"""Multiplicative dropout noise (masks), sampled outside the forward pass.

Bernoulli masks are inverted dropout: an entry is ``0`` for a dropped unit and
``1 / (1 - rate)`` for a kept one, so multiplying activations by the mask both
drops units and rescales the survivors. Gaussian masks (Srivastava et al.,
2014, section 10) are ``1 + sqrt(rate / (1 - rate)) * N(0, 1)``: the same
mean (1) and variance (rate / (1 - rate)) as the Bernoulli ones. Either way
the expected activation is unchanged, which is why prediction can be a plain
forward pass without any weight scaling.
"""

import numpy as np

# Masks are drawn from raw random bits rather than from uniform floats where
# that is exact enough: one 64-bit draw yields eight uint8 or four uint16
# variates, about three times cheaper than ``Generator.random`` in float32. A
# rate r becomes the threshold k = round(r * levels), and a unit is dropped
# when its variate is below k. Rates on the 1/256 grid (0.25, 3/256, ...) use
# uint8 and are exact. Other rates in [2**-8, 1 - 2**-8] use uint16 and are
# realised as k / 65536, within 2**-17 of r (0.2% of r at worst). Rates
# outside that band, where 2**-17 would be a large share of r or of 1 - r,
# compare uniform floats instead, exact to the float's resolution. The rate
# 0.5, the default, needs a single bit per unit: a 64-bit draw masks 64
# units (unpacked, then scaled), which halves the cost of a mask.
_LEVELS = {np.dtype(np.uint8): 256, np.dtype(np.uint16): 65536}
# Row b: the eight bits of the byte b, most significant first (the order of
# np.unpackbits). Scaled, it turns each random byte into eight mask entries.
_BITS_OF_BYTE = np.unpackbits(np.arange(256, dtype=np.uint8)[:, None], axis=1)
_UINT16_BAND = (2.0**-8, 1.0 - 2.0**-8)
_ONE_BIT = "bit"  # the variate kind of rate 0.5


def quantize_rate(rate):
    """How a drop probability ``rate`` is realised.

    Returns
    -------
    variate_dtype : numpy dtype, "bit" or None
        uint8 or uint16 for integer variates; "bit" for one random bit per
        unit (rate 0.5, the unit is dropped when its bit is 0); None for
        uniform floats.
    threshold : int or float
        Variates below it are dropped.
    """
    if rate == 0.5:
        return _ONE_BIT, 1
    if rate * 256 == round(rate * 256):
        return np.dtype(np.uint8), round(rate * 256)
    if _UINT16_BAND[0] <= rate <= _UINT16_BAND[1]:
        return np.dtype(np.uint16), round(rate * 65536)
    return None, rate


def realised_rate(rate):
    """The drop probability actually applied for a requested ``rate``."""
    variate_dtype, threshold = quantize_rate(rate)
    if variate_dtype is None or variate_dtype is _ONE_BIT:
        return rate
    return threshold / _LEVELS[variate_dtype]


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
    kind : {'bernoulli', 'gaussian'}, default='bernoulli'
        Distribution of the multiplicative noise.
    """

    def __init__(self, rates, widths, max_rows, dtype, rng, kind="bernoulli"):
        if kind not in ("bernoulli", "gaussian"):
            raise ValueError(f"kind must be 'bernoulli' or 'gaussian', got {kind!r}")
        self.kind = kind
        self.rates = [float(r) for r in rates]
        # Asked at every training step: computed once.
        self._any_active = any(rate > 0 for rate in self.rates)
        self.dtype = np.dtype(dtype)
        self.rng = rng
        if rng is None and self.any_active:
            raise ValueError("a random generator is needed when a rate is > 0")
        self.max_rows = int(max_rows)
        self.widths = [int(w) for w in widths]
        # Each layer's buffer is made on its first dense mask: sparse input
        # is masked through sample_flat only, and a dense buffer as wide as
        # a hashed vocabulary (millions of columns) would never be used.
        self._buffers = [None] * len(self.rates)
        self._thresholds = [quantize_rate(rate) for rate in self.rates]
        self._scales = [
            self.dtype.type(1.0 / (1.0 - realised_rate(rate))) for rate in self.rates
        ]
        self._sigmas = [self.dtype.type(np.sqrt(r / (1.0 - r))) for r in self.rates]
        # The one-bit masks' table: 0 or the scale for each bit of a byte.
        self._bit_tables = [
            (_BITS_OF_BYTE * scale).astype(self.dtype)
            if kind == "bernoulli" and variate is _ONE_BIT
            else None
            for (variate, _), scale in zip(self._thresholds, self._scales)
        ]

    @property
    def any_active(self):
        """True if at least one layer is dropped out."""
        return self._any_active

    def sample(self, layer, n_rows):
        """Draw a fresh mask for ``layer`` over ``n_rows`` rows.

        Returns
        -------
        mask : ndarray of shape (n_rows, width) or None
            A view into a reused buffer (valid until the next call for the
            same layer), or None when the layer's rate is 0.
        """
        if self.rates[layer] == 0:
            return None
        flat = self._buffers[layer]
        width = self.widths[layer]
        if flat is None:
            flat = np.empty(_padded(self.max_rows * width), dtype=self.dtype)
            self._buffers[layer] = flat
        mask = flat[: n_rows * width].reshape(n_rows, width)
        self._fill(mask, layer, flat)
        return mask

    def sample_flat(self, layer, size):
        """Draw a one-dimensional mask of ``size`` entries for ``layer``.

        Used for sparse input, where dropout acts on the stored entries.
        Allocates, since the number of stored entries varies per batch.
        """
        if self.rates[layer] == 0:
            return None
        flat = np.empty(_padded(size), dtype=self.dtype)
        mask = flat[:size]
        self._fill(mask, layer, flat)
        return mask

    def _fill(self, mask, layer, flat):
        """Fill ``mask``, whose entries are the first of the 1-D ``flat``.

        ``flat`` has room for the mask rounded up to whole bytes of bits.
        """
        if self.kind == "gaussian":
            self.rng.standard_normal(out=mask, dtype=self.dtype)
            mask *= self._sigmas[layer]
            mask += 1
            return
        variate_dtype, threshold = self._thresholds[layer]
        if variate_dtype is _ONE_BIT:
            # random_raw has no out= argument: this small temporary (an
            # eighth of the mask in bytes) is the one allocation per mask.
            # Each byte picks its row of eight entries in the layer's table:
            # one pass that writes the mask, where unpacking the bits and
            # scaling them took three; the same entries, bit for bit, in the
            # same order. The indices are bytes, all valid: mode="clip"
            # skips the bounds check.
            n_bytes = -(-mask.size // 8)
            raw = self.rng.bit_generator.random_raw(-(-mask.size // 64))
            self._bit_tables[layer].take(
                raw.view(np.uint8)[:n_bytes],
                axis=0,
                out=flat[: 8 * n_bytes].reshape(n_bytes, 8),
                mode="clip",
            )
            return
        if variate_dtype is None:
            self.rng.random(out=mask, dtype=self.dtype)
            np.greater_equal(mask, threshold, out=mask)
        else:
            n_bytes = mask.size * variate_dtype.itemsize
            # random_raw has no out= argument: this small temporary of random
            # bits is the one allocation per mask.
            raw = self.rng.bit_generator.random_raw(-(-n_bytes // 8))
            variates = raw.view(variate_dtype)[: mask.size].reshape(mask.shape)
            np.greater_equal(variates, threshold, out=mask)
        mask *= self._scales[layer]


def _padded(size):
    """``size`` rounded up to a multiple of 8 (whole bytes of mask bits)."""
    return -(-size // 8) * 8
