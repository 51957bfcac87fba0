"""Multiplicative dropout noise (masks), sampled outside the forward pass.

Bernoulli masks are inverted dropout: an entry is ``0`` for a dropped unit and
``1 / (1 - rate)`` for a kept one, so multiplying activations by the mask both
drops units and rescales the survivors. Gaussian masks (Srivastava et al.,
2014, section 10) are ``1 + sqrt(rate / (1 - rate)) * N(0, 1)``: the same
mean (1) and variance (rate / (1 - rate)) as the Bernoulli ones. Either way
the expected activation is unchanged, which is why prediction can be a plain
forward pass without any weight scaling.
"""

from typing import NamedTuple

import numpy as np

from ._raw_words import RawWords

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
# units (unpacked, then scaled), which halves the cost of a mask
# (benchmarks/bench_masks.py times the three kinds against uniform floats).
_LEVELS = {np.dtype(np.uint8): 256, np.dtype(np.uint16): 65536}
# Row b: the eight bits of the byte b, most significant first (the order of
# np.unpackbits). Scaled, it turns each random byte into eight mask entries.
_BITS_OF_BYTE = np.unpackbits(np.arange(256, dtype=np.uint8)[:, None], axis=1)
_UINT16_BAND = (2.0**-8, 1.0 - 2.0**-8)
# The variate kind of rate 0.5. Compared with ==, not "is": a sampler
# unpickled holds an equal string, not this object.
_ONE_BIT = "bit"
# Where a step's masks take at most _AHEAD_STEP_WORDS raw words (32 KiB of
# random bits), their words are fetched _AHEAD_STEPS steps' worth at a time
# (at least _BLOCK_WORDS): a call to random_raw costs about as much as
# generating 300 words, a moons step's whole mask.
_AHEAD_STEP_WORDS = 4096
_AHEAD_STEPS = 4
_BLOCK_WORDS = 4096


class PackedMask(NamedTuple):
    """A one-bit mask drawn but not yet written out as floats.

    Its random bytes hold one bit per unit, most significant bit first, in
    the mask's C order: the bit is 1 for a kept unit. Expanded (see
    :meth:`DropoutMasks.expand`), it is the mask :meth:`DropoutMasks.sample`
    would have drawn from the same random stream, entry for entry.
    """

    layer: int
    shape: tuple
    bits: np.ndarray


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
    if variate_dtype is None or _is_one_bit(variate_dtype):
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
        Source of randomness; may be None only if every rate is 0. Where a
        step's masks are small, their random bits are fetched from it
        several steps ahead (see :class:`RawWords`): the masks are those of
        drawing each in turn, as long as nothing else draws from ``rng``.
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
        # Compared with at every step. A ufunc takes a 0-d array of the
        # operand's dtype faster than a NumPy or Python scalar, which it
        # converts at every call (about 1 us less on a 200 x 100 ReLU layer).
        self._zero = np.zeros((), dtype=self.dtype)
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
        self._words = (
            None
            if rng is None
            else RawWords(rng.bit_generator, self._fetch_ahead_words())
        )
        # 0-d arrays, as _zero.
        self._scales = [
            np.asarray(1.0 / (1.0 - realised_rate(rate)), dtype=self.dtype)
            for rate in self.rates
        ]
        self._sigmas = [
            np.asarray(np.sqrt(r / (1.0 - r)), dtype=self.dtype) for r in self.rates
        ]
        # Per layer, by row count: cached views of the mask buffer, and the
        # same with the buffer where relu_factor writes ``Z > 0`` (made on
        # first use), all four in one tuple for relu_factor.
        self._views = [{} for _ in self.rates]
        self._factor_views = [{} for _ in self.rates]
        self._positive_buffers = [None] * len(self.rates)
        # The one-bit masks' table: 0 or the scale for each bit of a byte.
        self._bit_tables = [
            (_BITS_OF_BYTE * scale).astype(self.dtype)
            if kind == "bernoulli" and _is_one_bit(variate)
            else None
            for (variate, _), scale in zip(self._thresholds, self._scales)
        ]

    def __getstate__(self):
        # Pickling copies each cached view into an array of its own, no
        # longer a view of the buffer it was cut from: leave the caches
        # behind, to be cut afresh from the unpickled buffers.
        state = self.__dict__.copy()
        for caches in ("_views", "_factor_views"):
            state[caches] = [{} for _ in self.rates]
        return state

    def _fetch_ahead_words(self):
        """How many raw words to fetch at a time: a block, or 0 (none ahead).

        Fetching ahead pays where a step's masks are small, and a block
        several steps long then makes the words left over from one block,
        copied to the start of the next, a small share of it. Large masks
        gain little from it, and would double their random bits' memory
        at the step that copies what is left over. Draws of uniform or
        normal floats would take words from the generator between the ones
        fetched ahead.
        """
        if self.kind == "gaussian":
            return 0
        per_step = 0
        for rate, (variate, _), width in zip(self.rates, self._thresholds, self.widths):
            if rate == 0:
                continue
            if variate is None:
                return 0
            bits = 1 if _is_one_bit(variate) else 8 * variate.itemsize
            per_step += -(-self.max_rows * width * bits // 64)
        if per_step > _AHEAD_STEP_WORDS:
            return 0
        return max(_BLOCK_WORDS, _AHEAD_STEPS * per_step)

    @property
    def any_active(self):
        """True if at least one layer is dropped out."""
        return self._any_active

    def packs(self, layer):
        """Whether ``layer``'s masks can be drawn as :class:`PackedMask`."""
        return self._bit_tables[layer] is not None

    def sample_packed(self, layer, n_rows):
        """Draw ``layer``'s mask over ``n_rows`` rows as bits, one per unit.

        Only for a layer that :meth:`packs`; consumes the same random numbers
        as :meth:`sample`, so that either keeps a seed's stream of masks.
        """
        width = self.widths[layer]
        return PackedMask(layer, (n_rows, width), self._random_bytes(n_rows * width))

    def sample_layers(self, plan, n_rows):
        """Draw the masks of several layers over ``n_rows`` rows, in order.

        Parameters
        ----------
        plan : sequence of (int, bool)
            Each layer, and whether to draw it with :meth:`sample_packed`
            (else :meth:`sample`).
        n_rows : int

        Returns
        -------
        masks : list
            One mask per layer of ``plan``, as those methods return them.

        Notes
        -----
        One call for a training step's hidden layers: on a small network
        the calls a mask goes through cost as much as drawing its bits.
        """
        sample, sample_packed = self.sample, self.sample_packed
        return [
            sample_packed(layer, n_rows) if packed else sample(layer, n_rows)
            for layer, packed in plan
        ]

    def expand(self, packed):
        """The mask ``packed`` holds, in the layer's reused buffer."""
        mask, blocks = self._mask_views(packed.layer, packed.shape[0])
        self._write_bits(packed.bits, packed.layer, blocks)
        return mask

    def relu_factor(self, packed, Z):
        """``mask * (Z > 0)``, written where the mask would be, never the mask.

        The units both kept and positive are one AND of two bit strings
        (``Z > 0``, packed, and the mask's random bits); the layer's table
        turns those bits into floats in one pass. The same entries, bit for
        bit, as multiplying the expanded mask by ``Z > 0``.

        Parameters
        ----------
        packed : PackedMask
            The mask, drawn for ``Z``'s shape.
        Z : ndarray of shape ``packed.shape``
            Pre-activations.

        Returns
        -------
        factor : ndarray of shape ``Z.shape``
            A view of the layer's mask buffer, valid until the layer's next
            mask.
        """
        layer, n_rows = packed.layer, Z.shape[0]
        views = self._factor_views[layer].get(n_rows)
        if views is None:
            views = self._mask_views(layer, n_rows)
            views += self._positive_views(layer, n_rows)
            self._factor_views[layer][n_rows] = views
        factor, blocks, positive, positive_flat = views
        np.greater(Z, self._zero, out=positive)
        # packbits has no out= argument: a second temporary the size of the
        # random bits, ANDed into in place.
        kept = np.packbits(positive_flat)
        np.bitwise_and(kept, packed.bits, out=kept)
        # _write_bits, written out: a call fewer at every step.
        self._bit_tables[layer].take(kept, axis=0, out=blocks, mode="clip")
        return factor

    def _mask_views(self, layer, n_rows):
        """The mask of ``n_rows`` rows in ``layer``'s buffer, and its bytes' rows.

        The second view holds the mask's entries eight to a row (padded to
        whole bytes of bits): the shape a table lookup of one byte each
        writes. Views are cached by row count, which takes two values in a
        fit (the batch size and the last batch's), and cost more than the
        lookups they serve on a small network's masks.
        """
        views = self._views[layer].get(n_rows)
        if views is None:
            flat = self._buffer(layer)
            size = n_rows * self.widths[layer]
            n_bytes = -(-size // 8)
            views = (
                flat[:size].reshape(n_rows, self.widths[layer]),
                flat[: 8 * n_bytes].reshape(n_bytes, 8),
            )
            self._views[layer][n_rows] = views
        return views

    def _positive_views(self, layer, n_rows):
        """Where relu_factor writes ``Z > 0``: as ``Z``'s shape, and flat."""
        buffer = self._positive_buffers[layer]
        if buffer is None:
            buffer = np.empty(self.max_rows * self.widths[layer], dtype=bool)
            self._positive_buffers[layer] = buffer
        flat = buffer[: n_rows * self.widths[layer]]
        return flat.reshape(n_rows, self.widths[layer]), flat

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
        if self.packs(layer):
            return self.expand(self.sample_packed(layer, n_rows))
        flat = self._buffer(layer)
        width = self.widths[layer]
        mask = flat[: n_rows * width].reshape(n_rows, width)
        self._fill(mask, layer, flat)
        return mask

    def _buffer(self, layer):
        """``layer``'s reused mask buffer, made on first use."""
        flat = self._buffers[layer]
        if flat is None:
            flat = np.empty(
                _padded(self.max_rows * self.widths[layer]), dtype=self.dtype
            )
            self._buffers[layer] = flat
        return flat

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
        if _is_one_bit(variate_dtype):
            bits = self._random_bytes(mask.size)
            blocks = flat[: 8 * bits.shape[0]].reshape(bits.shape[0], 8)
            self._write_bits(bits, layer, blocks)
            return
        if variate_dtype is None:
            self.rng.random(out=mask, dtype=self.dtype)
            np.greater_equal(mask, threshold, out=mask)
        else:
            n_bytes = mask.size * variate_dtype.itemsize
            raw = self._random_bytes(8 * n_bytes)
            variates = raw.view(variate_dtype).reshape(mask.shape)
            np.greater_equal(variates, threshold, out=mask)
        mask *= self._scales[layer]

    def _random_bytes(self, n_bits):
        """``n_bits`` random bits, rounded up to whole bytes.

        They take whole 64-bit words from the generator, as a draw of
        ``random_raw`` would.
        """
        return self._words.take(-(-n_bits // 64), -(-n_bits // 8))

    def _write_bits(self, bits, layer, blocks):
        """Write the one-bit mask of ``bits`` into ``blocks``, eight to a row.

        Each byte picks its row of eight entries in the layer's table: one
        pass that writes the mask, where unpacking the bits and scaling them
        took three. The indices are bytes, all valid: mode="clip" skips the
        bounds check.
        """
        self._bit_tables[layer].take(bits, axis=0, out=blocks, mode="clip")


def _is_one_bit(variate_dtype):
    return isinstance(variate_dtype, str) and variate_dtype == _ONE_BIT


def _padded(size):
    """``size`` rounded up to a multiple of 8 (whole bytes of mask bits)."""
    return -(-size // 8) * 8
