"""Raw random words handed out in order, whatever block they were fetched in."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from skdropout._engine._raw_words import RawWords


@given(
    block_words=st.integers(0, 40),
    requests=st.lists(st.integers(1, 240), min_size=1, max_size=12),
    seed=st.integers(0, 2**32 - 1),
)
def test_raw_words_come_out_as_successive_random_raw_draws(block_words, requests, seed):
    words = RawWords(np.random.default_rng(seed).bit_generator, block_words)
    direct = np.random.default_rng(seed).bit_generator

    for n_bytes in requests:
        n_words = -(-n_bytes // 8)  # a draw takes whole words, uses what it needs
        expected = direct.random_raw(n_words).view(np.uint8)[:n_bytes]
        np.testing.assert_array_equal(words.take(n_words, n_bytes), expected)
