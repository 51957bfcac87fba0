"""Raw random words fetched from a bit generator in blocks, handed out in order.

Drawing a small dropout mask costs more in the call to ``random_raw`` than in
generating its bits; fetching a block of words several masks long, and
handing them out in order, leaves each mask the words it would have drawn.
"""

import numpy as np

_NO_BYTES = np.empty(0, dtype=np.uint8)


class RawWords:
    """A bit generator's raw 64-bit words, fetched in blocks, handed out in order.

    The words come out exactly as successive ``random_raw`` calls would give
    them, whatever the block size: fetching ahead changes where a draw's
    words are stored, never which words a draw gets. That holds only while
    nothing else draws from the generator, so a caller that also draws
    floats from it must use ``block_words=0`` (fetch exactly what is asked).
    Words fetched ahead and never handed out are lost with this object; the
    generators it serves are private to one fit or one prediction.

    Parameters
    ----------
    bit_generator : numpy.random.BitGenerator
    block_words : int
        Fewest words to fetch at a time.
    """

    def __init__(self, bit_generator, block_words):
        self._bit_generator = bit_generator
        self._block_words = int(block_words)
        self._bytes = _NO_BYTES  # the fetched words, as bytes
        self._start = 0  # first byte not handed out; a multiple of 8

    def take(self, n_words, n_bytes):
        """The first ``n_bytes`` bytes of the next ``n_words`` words.

        A view of the fetched block (valid for as long as it is kept); the
        rest of the ``n_words`` words are skipped, as a draw of ``n_words``
        would leave them.
        """
        start = self._start
        stop = start + 8 * n_words
        if stop > self._bytes.shape[0]:
            if not self._block_words:  # nothing is fetched ahead: draw
                return self._bit_generator.random_raw(n_words).view(np.uint8)[:n_bytes]
            self._refill(n_words)
            start, stop = 0, 8 * n_words
        self._start = stop
        return self._bytes[start : start + n_bytes]

    def _refill(self, n_words):
        """Fetch a block that begins with the words not yet handed out."""
        left = self._bytes[self._start :]
        if not left.shape[0]:
            left = self._bytes = _NO_BYTES  # let the old block go first
        # random_raw has no out= argument: a new block (and, with words
        # left over, a concatenation) per fetch, not per draw.
        n_fetch = max(n_words, self._block_words) - left.shape[0] // 8
        fresh = self._bit_generator.random_raw(n_fetch).view(np.uint8)
        self._bytes = np.concatenate([left, fresh]) if left.shape[0] else fresh
        self._start = 0
