"""``apply_max_norm`` projects each column onto the ball of radius max_norm."""

import warnings

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from skdropout._engine import apply_max_norm
from skdropout._engine._max_norm import MaxNormConstraint

RTOL = {np.dtype(np.float32): 1e-5, np.dtype(np.float64): 1e-6}
BORDER = 1e-4  # columns this close to max_norm (relatively) may go either way


@st.composite
def weights_and_limit(draw):
    """A (fan_in, fan_out) weight matrix and a max_norm cutting through it."""
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    width = 32 if dtype == np.float32 else 64
    coef = draw(
        hnp.arrays(
            dtype,
            hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=6),
            elements=st.floats(-10, 10, width=width, allow_subnormal=False),
        )
    )
    max_norm = draw(st.floats(0.01, 30.0))
    return coef, max_norm


def _column_norms(coef):
    """Reference column norms, computed in float64."""
    return np.linalg.norm(coef.astype(np.float64), axis=0)


@given(weights_and_limit())
def test_every_column_norm_is_at_most_max_norm(case):
    coef, max_norm = case

    apply_max_norm(coef, max_norm)

    assert np.all(_column_norms(coef) <= max_norm * (1 + RTOL[coef.dtype]))


@given(weights_and_limit())
def test_columns_within_the_limit_are_unchanged_bit_for_bit(case):
    coef, max_norm = case
    original = coef.copy()
    within = _column_norms(original) <= max_norm * (1 - BORDER)

    apply_max_norm(coef, max_norm)

    np.testing.assert_array_equal(coef[:, within], original[:, within], strict=True)


@given(weights_and_limit())
def test_columns_over_the_limit_end_on_it_and_keep_their_direction(case):
    coef, max_norm = case
    original = coef.copy()
    norms = _column_norms(original)
    over = norms >= max_norm * (1 + BORDER)

    apply_max_norm(coef, max_norm)

    rtol = RTOL[coef.dtype]
    np.testing.assert_allclose(_column_norms(coef[:, over]), max_norm, rtol=rtol)
    # Same direction: each clipped column is the original scaled down.
    expected = original[:, over] * (max_norm / norms[over])
    # atol: entries far below the column's norm may end up subnormal.
    np.testing.assert_allclose(coef[:, over], expected, rtol=rtol, atol=rtol * max_norm)


@given(weights_and_limit())
def test_returns_the_number_of_clipped_columns(case):
    coef, max_norm = case
    norms = _column_norms(coef)
    assume(not np.any(np.abs(norms / max_norm - 1) < BORDER))
    original = coef.copy()

    n_clipped = apply_max_norm(coef, max_norm)

    assert n_clipped == np.count_nonzero(norms > max_norm)
    assert n_clipped == np.count_nonzero(np.any(coef != original, axis=0))


@given(weights_and_limit())
def test_dtype_and_shape_are_preserved_in_place(case):
    coef, max_norm = case
    dtype, shape = coef.dtype, coef.shape

    apply_max_norm(coef, max_norm)

    assert coef.dtype == dtype
    assert coef.shape == shape


@given(weights_and_limit())
def test_norms_workspace_gives_the_same_result(case):
    coef, max_norm = case
    without_workspace = coef.copy()
    workspace = np.empty(coef.shape[1], dtype=coef.dtype)

    n_with = apply_max_norm(coef, max_norm, norms=workspace)
    n_without = apply_max_norm(without_workspace, max_norm)

    assert n_with == n_without
    np.testing.assert_array_equal(coef, without_workspace, strict=True)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_column_exactly_at_the_limit_is_not_touched(dtype):
    coef = np.array([[3.0, 30.0], [4.0, 40.0]], dtype=dtype)  # norms 5 and 50

    n_clipped = apply_max_norm(coef, 5.0)

    assert n_clipped == 1
    np.testing.assert_array_equal(coef[:, 0], np.array([3.0, 4.0], dtype=dtype))
    np.testing.assert_allclose(coef[:, 1], [3.0, 4.0], rtol=RTOL[np.dtype(dtype)])


def test_a_zero_column_stays_zero():
    coef = np.array([[0.0, 6.0], [0.0, 8.0]])

    n_clipped = apply_max_norm(coef, 1.0)

    assert n_clipped == 1
    np.testing.assert_array_equal(coef[:, 0], [0.0, 0.0])
    np.testing.assert_allclose(coef[:, 1], [0.6, 0.8], rtol=1e-15)


def test_columns_are_clipped_independently_not_shrunk_globally():
    # Row j holds the outgoing weights of input j; only column norms count.
    coef = np.array([[1.0, 0.0, 2.0], [0.0, 0.5, 2.0]])

    apply_max_norm(coef, 1.0)

    np.testing.assert_array_equal(coef[:, :2], [[1.0, 0.0], [0.0, 0.5]])
    np.testing.assert_allclose(coef[:, 2], [np.sqrt(0.5)] * 2, rtol=1e-15)


# ------------------------------------------------------------ extreme weights
@pytest.mark.parametrize(
    ("dtype", "huge"), [(np.float32, 2e19), (np.float64, 1e160)], ids=["f32", "f64"]
)
def test_a_column_whose_squared_norm_overflows_is_rescaled_not_zeroed(dtype, huge):
    coef = np.array([[huge, 1.0], [1.0, 0.5]], dtype=dtype)

    n_clipped = apply_max_norm(coef, 3.0)

    assert n_clipped == 1
    assert _column_norms(coef)[0] == pytest.approx(3.0, rel=RTOL[coef.dtype])
    assert coef[1, 0] > 0  # the small weight keeps its direction, scaled down
    assert coef[:, 1].tolist() == [1.0, 0.5]


def test_norms_of_very_wide_float32_columns_are_accurate_enough_to_clip():
    # 300,000 equal weights: a plain float32 sum of their squares comes out
    # about 0.4% low, which would leave a column 0.1% over the cap unclipped.
    coef = np.full((300_000, 2), 0.0017, dtype=np.float32)
    coef *= np.float32(3.003 / _column_norms(coef)[0])

    n_clipped = apply_max_norm(coef, 3.0)

    assert n_clipped == 2
    assert _column_norms(coef) == pytest.approx([3.0, 3.0], rel=1e-5)


# ------------------------------------------- skipping checks between steps
def test_skipped_checks_account_for_the_rounding_of_each_update():
    # Each "update" moves the float32 weight by one ulp while reporting a step
    # bound far below it, as storing w + step does when the step is about
    # half an ulp. Counting only the bounds, the constraint would skip every
    # check and let the weight pass the cap after about 70,000 steps.
    coef = np.array([[0.896]], dtype=np.float32)
    constraint = MaxNormConstraint([coef], 0.9)
    constraint.project(None)
    for _ in range(80_000):
        coef[0, 0] = np.nextafter(coef[0, 0], np.float32(1.0))
        constraint.project(step_bound=1e-9)
        assert coef[0, 0] <= np.float32(0.9)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_cap_whose_square_underflows_is_still_enforced(dtype):
    coef = np.array([[3e-29, 1e-31], [4e-29, 0.0]], dtype=dtype)

    n_clipped = apply_max_norm(coef, 1e-30)

    assert n_clipped == 1
    assert _column_norms(coef)[0] == pytest.approx(1e-30, rel=1e-6)
    assert coef[0, 1] == dtype(1e-31)


def test_nan_columns_pass_through_without_warnings():
    # A diverged network: the caller sees the NaN norms, numpy says nothing.
    coef = np.array([[np.nan, 1e30], [1.0, 1e30]], dtype=np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        n_clipped = apply_max_norm(coef, 3.0)
    assert n_clipped == 1
    assert np.isnan(coef[0, 0])


# ------------------------------------------------- a matrix at the cap
def _at_the_cap(dtype, fan_in=5, fan_out=7, seed=0):
    """A constraint whose matrix was just clipped: its next check is direct."""
    rng = np.random.default_rng(seed)
    coef = (rng.standard_normal((fan_in, fan_out)) * 3).astype(dtype)
    constraint = MaxNormConstraint([coef], 1.0)
    assert constraint.clip_all() > 0
    return coef, constraint


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_matrix_at_the_cap_is_projected_as_apply_max_norm_projects_it(dtype):
    coef, constraint = _at_the_cap(dtype)
    rng = np.random.default_rng(1)
    coef += rng.standard_normal(coef.shape).astype(dtype) * 0.3  # some columns out
    expected = coef.copy()
    apply_max_norm(expected, 1.0)

    assert constraint.project(step_bound=None) == 1

    np.testing.assert_allclose(coef, expected, rtol=RTOL[np.dtype(dtype)])
    assert np.all(_column_norms(coef) <= 1.0 * (1 + RTOL[np.dtype(dtype)]))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_columns_inside_the_ball_of_a_matrix_at_the_cap_are_unchanged(dtype):
    coef, constraint = _at_the_cap(dtype)
    coef[:, 0] *= 0.5  # well inside
    coef[:, 1] *= 2.0  # outside
    inside = coef[:, 0].copy()

    constraint.project(step_bound=None)

    np.testing.assert_array_equal(coef[:, 0], inside, strict=True)
    assert _column_norms(coef)[1] == pytest.approx(1.0, rel=RTOL[np.dtype(dtype)])


@pytest.mark.parametrize(
    ("dtype", "huge"), [(np.float32, 2e19), (np.float64, 1e160)], ids=["f32", "f64"]
)
def test_an_overflowing_column_of_a_matrix_at_the_cap_is_rescaled_not_zeroed(
    dtype, huge
):
    coef, constraint = _at_the_cap(dtype)
    coef[0, 2] = huge

    constraint.project(step_bound=None)

    assert _column_norms(coef)[2] == pytest.approx(1.0, rel=RTOL[np.dtype(dtype)])
    assert coef[0, 2] > 0


def test_a_matrix_that_left_the_cap_is_skipped_again_while_the_bound_allows():
    coef, constraint = _at_the_cap(np.float64)
    coef *= 0.5  # every column now at most half the cap
    constraint.forget()
    assert constraint.project(step_bound=1e-6) == 1  # finds none too long
    assert constraint.project(step_bound=1e-6) == 1  # measures the largest norm
    assert constraint.project(step_bound=1e-6) == 0  # and skips on that bound


def test_a_diverged_matrix_is_checked_at_every_step_beside_a_short_one():
    # A NaN norm leaves no room to skip on: the one travel that all the
    # matrices share must not let the healthy one's headroom skip it.
    short = np.full((4, 3), 0.01)
    diverged = np.full((4, 3), np.nan)
    constraint = MaxNormConstraint([short, diverged], 3.0)
    with np.errstate(invalid="ignore"):
        constraint.clip_all()
        checked = [constraint.project(step_bound=1e-6) for _ in range(5)]

    assert checked == [1] * 5  # the diverged matrix, every time; not the short


def test_one_matrix_reaching_the_cap_is_checked_without_the_others():
    # Both matrices skip while the shared travel allows; when the long one
    # could reach the cap, only it is measured.
    near = np.zeros((1, 1))
    near[0, 0] = 2.9
    far = np.full((1, 1), 0.1)
    constraint = MaxNormConstraint([near, far], 3.0)
    constraint.clip_all()

    checked = [constraint.project(step_bound=0.01) for _ in range(20)]

    assert checked[:8] == [0] * 8  # 2.9 * 1.001 + 8 * 0.01 < 2.997
    assert 1 in checked and max(checked) == 1
