"""Inverted-dropout masks: 0 with probability ``rate``, else ``1 / (1 - rate)``.

Since commit 211a8ec rates off the 1/256 grid are realised as multiples of
1/65536 (documented as within 2**-17 of the request), with the kept value
1 / (1 - realised rate); rates on the grid are exact.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from skdropout._engine import DropoutMasks

DTYPES = [np.float32, np.float64]
RATES = [0.1, 0.5, 0.8]
GRID_RATES = [0.5, 0.25, 0.75, 3 / 256]  # multiples of 1/256: realised exactly
OFF_GRID_RATES = [0.1, 0.3, 0.8, 1e-3, 0.999]
QUANTUM = 2.0**-17  # documented bound on |realised rate - requested rate|
ROWS, WIDTH = 500, 400  # 200_000 entries per mask
N_SIGMA = 5


def _masks(rates, widths=None, max_rows=ROWS, dtype=np.float64, seed=0):
    widths = [WIDTH] * len(rates) if widths is None else widths
    rng = None if seed is None else np.random.default_rng(seed)
    return DropoutMasks(rates, widths, max_rows, dtype, rng)


def _assert_binomial_fraction(mask, rate):
    """The fraction of zeros is within N_SIGMA standard deviations of rate."""
    n = mask.size
    fraction = np.count_nonzero(mask == 0) / n
    assert abs(fraction - rate) <= N_SIGMA * np.sqrt(rate * (1 - rate) / n)


def _kept_value(mask):
    kept = np.unique(mask[mask != 0])
    assert kept.size == 1, "kept entries should all be equal"
    return kept[0]


def _implied_rate(mask):
    """The drop rate whose inverse keep probability the mask's kept value is."""
    return 1 - 1 / float(_kept_value(mask))


# ------------------------------------------------------------ distribution
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("rate", RATES)
def test_fraction_of_zeros_matches_the_rate(rate, dtype):
    mask = _masks([rate], dtype=dtype).sample(0, ROWS)

    _assert_binomial_fraction(mask, rate)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("rate", RATES)
def test_kept_entries_all_share_one_positive_value_in_the_mask_dtype(rate, dtype):
    mask = _masks([rate], dtype=dtype).sample(0, ROWS)

    assert mask.dtype == dtype
    values = np.unique(mask)
    assert len(values) == 2
    assert values[0] == 0 and values[1] > 1


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("rate", GRID_RATES)
def test_kept_entries_are_exactly_the_inverse_keep_probability_for_grid_rates(
    rate, dtype
):
    mask = _masks([rate], dtype=dtype).sample(0, ROWS)

    np.testing.assert_array_equal(
        _kept_value(mask), np.asarray(1 / (1 - rate), dtype=dtype), strict=True
    )


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("rate", OFF_GRID_RATES)
def test_kept_value_realises_a_rate_within_2_to_the_minus_17_of_the_requested_one(
    rate, dtype
):
    # Off the 1/256 grid the rate is quantised to a multiple of 1/65536 and
    # the kept value is the inverse keep probability of that realised rate.
    mask = _masks([rate], dtype=dtype).sample(0, ROWS)

    assert abs(_implied_rate(mask) - rate) <= QUANTUM


@pytest.mark.parametrize("rate", [1e-6, 1e-7])
def test_tiny_rates_are_realised_within_2_to_the_minus_17(rate):
    # Below 2**-8 the masks compare uniform floats, so tiny rates stay tiny.
    mask = _masks([rate], widths=[8], max_rows=8).sample(0, 8)

    assert abs(_implied_rate(mask) - rate) <= QUANTUM


@pytest.mark.parametrize("rate", [0.999995, 1 - 1e-7])
def test_rates_just_below_one_give_masks_that_drop_almost_everything(rate):
    masks = _masks([rate])

    mask = masks.sample(0, ROWS)

    assert np.all(np.isfinite(mask))
    _assert_binomial_fraction(mask, rate)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("rate", RATES)
def test_mask_mean_is_close_to_one(rate, dtype):
    # Each entry has mean 1 and variance rate / (1 - rate).
    mask = _masks([rate], dtype=dtype).sample(0, ROWS)

    sigma_of_mean = np.sqrt(rate / (1 - rate) / mask.size)
    assert abs(mask.mean(dtype=np.float64) - 1) <= N_SIGMA * sigma_of_mean


def test_sample_has_the_layer_width_and_the_requested_rows():
    masks = _masks([0.5, 0.2], widths=[3, 7], max_rows=10)

    assert masks.sample(0, 10).shape == (10, 3)
    assert masks.sample(1, 4).shape == (4, 7)


def test_consecutive_samples_are_fresh_draws():
    masks = _masks([0.5])

    first = masks.sample(0, ROWS).copy()
    second = masks.sample(0, ROWS)

    assert not np.array_equal(first, second)


# ------------------------------------------------------------------ rate 0
def test_rate_zero_layer_gives_none_and_draws_nothing_from_the_generator():
    rng = np.random.default_rng(0)
    masks = DropoutMasks([0.0, 0.5], [4, 6], 8, np.float64, rng)
    state = rng.bit_generator.state

    assert masks.sample(0, 8) is None
    assert masks.sample_flat(0, 25) is None
    assert rng.bit_generator.state == state


def test_positive_rate_layer_draws_from_the_generator():
    rng = np.random.default_rng(0)
    masks = DropoutMasks([0.0, 0.5], [4, 6], 8, np.float64, rng)
    state = rng.bit_generator.state

    masks.sample(1, 8)

    assert rng.bit_generator.state != state


def test_all_rates_zero_needs_no_generator():
    masks = DropoutMasks([0.0, 0.0], [4, 6], 8, np.float64, None)

    assert not masks.any_active
    assert masks.sample(0, 8) is None
    assert masks.sample(1, 8) is None
    assert masks.sample_flat(0, 25) is None


def test_a_positive_rate_without_a_generator_is_an_error():
    with pytest.raises(ValueError, match="random generator is needed"):
        DropoutMasks([0.0, 0.5], [4, 6], 8, np.float64, None)


@pytest.mark.parametrize(
    "rates, active", [([0.0, 0.0], False), ([0.2, 0.0], True), ([0.0, 0.5], True)]
)
def test_any_active_tells_whether_some_layer_is_dropped(rates, active):
    masks = DropoutMasks(rates, [4, 6], 8, np.float64, np.random.default_rng(0))

    assert masks.any_active is active


# ------------------------------------------------------------ reproducibility
@pytest.mark.parametrize("dtype", DTYPES)
def test_the_same_seed_gives_the_same_masks(dtype):
    def draws(seed):
        masks = _masks([0.3, 0.5], widths=[5, 9], max_rows=20, dtype=dtype, seed=seed)
        # Copies: sample returns a view of a buffer reused by the next call.
        return [
            masks.sample(0, 20).copy(),
            masks.sample(1, 13).copy(),
            masks.sample_flat(0, 31),
            masks.sample(0, 20).copy(),
        ]

    for a, b in zip(draws(7), draws(7)):
        np.testing.assert_array_equal(a, b, strict=True)


def test_different_seeds_give_different_masks():
    a = _masks([0.5], seed=1).sample(0, ROWS).copy()
    b = _masks([0.5], seed=2).sample(0, ROWS)

    assert not np.array_equal(a, b)


# ------------------------------------------------ random words fetched ahead
# A 0.5 rate draws bits, 0.25 bytes, 0.3 two-byte variates, 1e-3 uniform floats.
_MIXED_RATES = st.lists(st.sampled_from([0.0, 0.5, 0.25, 0.3, 1e-3]), min_size=1)


@given(
    rates=_MIXED_RATES.filter(lambda rates: len(rates) <= 3),
    kind=st.sampled_from(["bernoulli", "gaussian"]),
    rows=st.lists(st.integers(1, 9), min_size=1, max_size=6),
)
def test_fetching_words_ahead_leaves_a_seeds_masks_unchanged(rates, kind, rows):
    from unittest import mock

    from skdropout._engine import _dropout

    widths = [3, 70, 5][: len(rates)]

    def draws(masks):
        out = []
        for n in rows:
            # A step's order: the hidden layers' masks, then the input's.
            for layer in [*range(1, len(rates)), 0]:
                if masks.packs(layer):
                    out.append(masks.expand(masks.sample_packed(layer, n)).copy())
                elif masks.rates[layer] > 0:
                    out.append(masks.sample(layer, n).copy())
            if rates[0] > 0:
                out.append(masks.sample_flat(0, 2 * n + 1))
        return out

    def sampler():
        rng = np.random.default_rng(5)
        return DropoutMasks(rates, widths, 9, np.float64, rng, kind)

    fetching = draws(sampler())
    with mock.patch.object(_dropout, "_BLOCK_WORDS", 0):  # one fetch per draw
        one_by_one = draws(sampler())

    assert len(fetching) == len(one_by_one)
    for a, b in zip(fetching, one_by_one):
        np.testing.assert_array_equal(a, b, strict=True)


# ------------------------------------------------------------ packed masks
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("rows", "width"), [(20, 8), (13, 5), (1, 3)])
def test_a_packed_mask_expands_to_the_mask_sample_draws_from_the_same_seed(
    rows, width, dtype
):
    packing = _masks([0.5], widths=[width], max_rows=20, dtype=dtype, seed=3)
    sampling = _masks([0.5], widths=[width], max_rows=20, dtype=dtype, seed=3)

    for _ in range(3):  # and the streams stay in step, draw after draw
        expanded = packing.expand(packing.sample_packed(0, rows))
        np.testing.assert_array_equal(expanded, sampling.sample(0, rows), strict=True)


def test_an_unpickled_sampler_still_expands_into_the_mask_it_returns():
    import pickle

    masks = _masks([0.5], widths=[5], max_rows=4, seed=3)
    masks.sample(0, 4)  # caches the views of the buffer
    twin = pickle.loads(pickle.dumps(masks))

    # Same generator state in both: the same mask, if twin returns what it
    # wrote.
    np.testing.assert_array_equal(twin.sample(0, 4), masks.sample(0, 4))


def test_an_unpickled_sampler_still_draws_one_bit_masks_for_sparse_input():
    import pickle

    masks = _masks([0.5], widths=[5], max_rows=4, seed=3)
    twin = pickle.loads(pickle.dumps(masks))

    np.testing.assert_array_equal(twin.sample_flat(0, 11), masks.sample_flat(0, 11))


@pytest.mark.parametrize(
    ("rate", "kind", "packs"),
    [
        (0.5, "bernoulli", True),
        (0.25, "bernoulli", False),
        (0.3, "bernoulli", False),
        (0.5, "gaussian", False),
    ],
)
def test_only_one_bit_bernoulli_masks_are_drawn_packed(rate, kind, packs):
    masks = DropoutMasks([rate], [4], 2, np.float64, np.random.default_rng(0), kind)

    assert masks.packs(0) is packs


@st.composite
def _pre_activations(draw):
    dtype = draw(st.sampled_from(DTYPES))
    shape = draw(hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=19))
    # Zeros, signed zeros, infinities and NaN: the entries where "> 0" and
    # the mask's kept bits must still agree with the unpacked product.
    values = st.sampled_from([0.0, -0.0, 1.5, -2.0, np.inf, -np.inf, np.nan])
    return draw(hnp.arrays(dtype, shape, elements=values | st.floats(-3, 3, width=32)))


@given(Z=_pre_activations(), seed=st.integers(0, 2**32 - 1))
def test_relu_factor_is_the_expanded_mask_times_z_positive(Z, seed):
    rows, width = Z.shape
    masks = DropoutMasks([0.5], [width], rows, Z.dtype, np.random.default_rng(seed))
    packed = masks.sample_packed(0, rows)
    expected = (Z > 0) * masks.expand(packed)
    given_Z = Z.copy()

    factor = masks.relu_factor(packed, Z)

    np.testing.assert_array_equal(factor, expected, strict=True)
    np.testing.assert_array_equal(Z, given_Z)


# ------------------------------------------------------------------ sparse
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("rate", RATES)
def test_sample_flat_gives_a_one_dimensional_mask_with_the_same_law(rate, dtype):
    size = ROWS * WIDTH

    mask = _masks([rate], dtype=dtype).sample_flat(0, size)

    assert mask.shape == (size,)
    assert mask.dtype == dtype
    _assert_binomial_fraction(mask, rate)
    assert abs(_implied_rate(mask) - rate) <= QUANTUM


def test_sample_flat_of_size_zero_is_an_empty_mask():
    mask = _masks([0.5]).sample_flat(0, 0)

    assert mask.shape == (0,)
