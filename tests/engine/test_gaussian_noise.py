"""Gaussian dropout noise: multiplicative N(1, rate / (1 - rate))."""

import numpy as np
import pytest

from skdropout._engine import DropoutMasks

ROWS, WIDTH = 400, 250


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("rate", [0.1, 0.5, 0.8])
def test_gaussian_noise_has_mean_one_and_the_bernoulli_variance(rate, dtype):
    masks = DropoutMasks(
        [rate], [WIDTH], ROWS, dtype, np.random.default_rng(0), kind="gaussian"
    )
    noise = masks.sample(0, ROWS).astype(np.float64)
    variance = rate / (1 - rate)
    n = noise.size
    assert masks.sample(0, ROWS).dtype == dtype
    assert abs(noise.mean() - 1) < 5 * np.sqrt(variance / n)
    # The sample variance of n normals has standard error ~ variance*sqrt(2/n).
    assert abs(noise.var() - variance) < 5 * variance * np.sqrt(2 / n)


def test_gaussian_noise_at_rate_zero_is_not_drawn():
    rng = np.random.default_rng(0)
    before = rng.bit_generator.state
    masks = DropoutMasks([0.0], [WIDTH], ROWS, np.float64, rng, kind="gaussian")
    assert masks.sample(0, ROWS) is None
    assert rng.bit_generator.state == before


def test_unknown_noise_kind_is_rejected():
    with pytest.raises(ValueError, match="kind must be 'bernoulli' or 'gaussian'"):
        DropoutMasks([0.5], [3], 2, np.float64, np.random.default_rng(0), kind="x")
