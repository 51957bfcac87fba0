"""SGD and Adam steps against their update formulas, computed by hand."""

import pickle

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from skdropout._engine import AdamOptimizer, SGDOptimizer


def _params():
    """A weight matrix and a bias vector, as the trainer passes them."""
    return [
        np.array([[0.5, -1.0], [2.0, 0.25]]),
        np.array([0.1, -0.3]),
    ]


# Three steps' gradients for each parameter.
GRADIENTS = [
    [np.array([[1.0, -2.0], [0.5, 0.0]]), np.array([0.2, -0.4])],
    [np.array([[-0.5, 1.0], [0.25, 3.0]]), np.array([-0.1, 0.6])],
    [np.array([[2.0, 0.5], [-1.0, -1.5]]), np.array([0.3, 0.0])],
]


def _take_steps(optimizer, params, gradients):
    """Apply each step's gradients."""
    trajectory = []
    for grads in gradients:
        optimizer.update(params, [g.copy() for g in grads])
        trajectory.append([p.copy() for p in params])
    return trajectory


# ------------------------------------------------------------------------ SGD
def test_sgd_first_step_with_plain_momentum_on_a_scalar():
    # v1 = 0.9 * 0 - 0.1 * 2 = -0.2;  p1 = 1 + v1 = 0.8
    param = np.array([1.0])
    optimizer = SGDOptimizer([param], 0.1, momentum=0.9, nesterov=False)

    optimizer.update([param], [np.array([2.0])])

    assert param[0] == pytest.approx(0.8, rel=1e-15)


def test_sgd_first_step_with_nesterov_momentum_on_a_scalar():
    # v1 = -0.2;  p1 = 1 + 0.9 * v1 - 0.1 * 2 = 0.62
    param = np.array([1.0])
    optimizer = SGDOptimizer([param], 0.1, momentum=0.9, nesterov=True)

    optimizer.update([param], [np.array([2.0])])

    assert param[0] == pytest.approx(0.62, rel=1e-15)


def test_sgd_plain_momentum_steps_match_hand_computed_values():
    lr, mu = 0.1, 0.9
    params = _params()
    optimizer = SGDOptimizer(params, lr, momentum=mu, nesterov=False)

    trajectory = _take_steps(optimizer, params, GRADIENTS)

    expected = _params()
    velocities = [np.zeros_like(p) for p in expected]
    for grads, got in zip(GRADIENTS, trajectory):
        for p, v, g in zip(expected, velocities, grads):
            v[...] = mu * v - lr * g  # v_t = mu v_{t-1} - lr g_t
            p += v  # p_t = p_{t-1} + v_t
        for got_p, want_p in zip(got, expected):
            np.testing.assert_allclose(got_p, want_p, rtol=1e-14, atol=1e-15)


def test_sgd_nesterov_steps_match_hand_computed_values():
    lr, mu = 0.05, 0.8
    params = _params()
    optimizer = SGDOptimizer(params, lr, momentum=mu, nesterov=True)

    trajectory = _take_steps(optimizer, params, GRADIENTS)

    expected = _params()
    velocities = [np.zeros_like(p) for p in expected]
    for grads, got in zip(GRADIENTS, trajectory):
        for p, v, g in zip(expected, velocities, grads):
            v[...] = mu * v - lr * g  # v_t = mu v_{t-1} - lr g_t
            p += mu * v - lr * g  # look ahead along the new velocity
        for got_p, want_p in zip(got, expected):
            np.testing.assert_allclose(got_p, want_p, rtol=1e-14, atol=1e-15)


@given(
    param=hnp.arrays(np.float64, (3, 2), elements=st.floats(-10, 10)),
    grad=hnp.arrays(np.float64, (3, 2), elements=st.floats(-10, 10)),
    lr=st.floats(1e-4, 1.0),
)
def test_sgd_without_momentum_is_plain_gradient_descent(param, grad, lr):
    expected = param - lr * grad
    optimizer = SGDOptimizer([param], lr, momentum=0.0, nesterov=False)

    optimizer.update([param], [grad.copy()])

    np.testing.assert_allclose(param, expected, rtol=1e-15, atol=1e-15)


def test_sgd_velocity_is_kept_between_steps():
    param = np.array([0.0])
    optimizer = SGDOptimizer([param], 1.0, momentum=0.5, nesterov=False)

    optimizer.update([param], [np.array([1.0])])  # v = -1, p = -1
    optimizer.update([param], [np.array([0.0])])  # v = -0.5, p = -1.5

    assert param[0] == -1.5
    assert optimizer.velocities[0][0] == -0.5


# ----------------------------------------------------------------------- Adam
def test_adam_steps_match_hand_computed_values():
    lr, b1, b2, eps = 0.01, 0.8, 0.9, 1e-2  # a large eps, so its place matters
    params = _params()
    optimizer = AdamOptimizer(params, lr, beta_1=b1, beta_2=b2, epsilon=eps)

    trajectory = _take_steps(optimizer, params, GRADIENTS)

    expected = _params()
    ms = [np.zeros_like(p) for p in expected]
    vs = [np.zeros_like(p) for p in expected]
    for t, (grads, got) in enumerate(zip(GRADIENTS, trajectory), start=1):
        # Bias correction folded into the step size; eps added to sqrt(v).
        lr_t = lr * np.sqrt(1 - b2**t) / (1 - b1**t)
        for p, m, v, g in zip(expected, ms, vs, grads):
            m[...] = b1 * m + (1 - b1) * g
            v[...] = b2 * v + (1 - b2) * g**2
            p -= lr_t * m / (np.sqrt(v) + eps)
        for got_p, want_p in zip(got, expected):
            np.testing.assert_allclose(got_p, want_p, rtol=1e-14, atol=1e-15)
    assert optimizer.learning_rate == pytest.approx(lr_t, rel=1e-15)


def test_adam_counts_its_steps():
    params = _params()
    optimizer = AdamOptimizer(params)

    _take_steps(optimizer, params, GRADIENTS)

    assert optimizer.t == len(GRADIENTS)


@given(
    grad=hnp.arrays(np.float64, (4,), elements=st.floats(-1e3, 1e3)),
    lr=st.floats(1e-4, 1e-1),
)
def test_adam_first_step_moves_each_weight_by_about_the_learning_rate(grad, lr):
    # After one step m = (1 - b1) g and sqrt(v) = sqrt(1 - b2) |g|; the bias
    # correction cancels both factors, leaving lr * g / (|g| + eps / sqrt(1 - b2)),
    # i.e. a move of lr against the sign of g unless |g| is close to eps.
    b2, eps = 0.999, 1e-8
    param = np.zeros(4)
    optimizer = AdamOptimizer([param], lr, beta_2=b2, epsilon=eps)

    optimizer.update([param], [grad.copy()])

    expected = -lr * grad / (np.abs(grad) + eps / np.sqrt(1 - b2))
    np.testing.assert_allclose(param, expected, rtol=1e-12, atol=1e-300)


@given(
    gradients=hnp.arrays(
        np.float64,
        st.tuples(st.integers(1, 40), st.just(3)),
        elements=st.floats(-1e6, 1e6) | st.sampled_from([0.0, 1e-12, -1e-12]),
    ),
    betas=st.sampled_from(
        [(0.9, 0.999), (0.5, 0.9), (0.0, 0.999), (0.99, 0.999), (0.99, 0.9)]
    ),
)
def test_adam_step_bound_holds_for_any_gradient_sequence(gradients, betas):
    # Large gradients followed by tiny ones are the worst case: the first
    # moment remembers them longer than the second moment's root shrinks.
    lr = 1e-2
    param = np.zeros(3)
    optimizer = AdamOptimizer([param], lr, beta_1=betas[0], beta_2=betas[1])

    for grad in gradients:
        before = param.copy()
        optimizer.update([param], [grad.copy()])
        moved = np.abs(param - before).max()
        assert moved <= optimizer.step_bound() * (1 + 1e-9)


def test_adam_step_bound_is_the_learning_rate_at_the_first_step():
    optimizer = AdamOptimizer([np.zeros(2)], 0.01)

    optimizer.update([np.zeros(2)], [np.array([3.0, -1e-3])])

    assert optimizer.step_bound() == pytest.approx(0.01, rel=1e-12)


def test_adam_step_bound_is_reached_by_gradients_growing_like_beta_2_over_beta_1():
    # Cauchy-Schwarz is an equality when g_k is proportional to
    # (beta_2 / beta_1)**k: the bound cannot be lowered.
    b1, b2 = 0.9, 0.999
    param = np.zeros(1)
    optimizer = AdamOptimizer([param], 1.0, beta_1=b1, beta_2=b2, epsilon=0.0)
    for k in range(150):
        before = param.copy()
        optimizer.update([param], [np.array([(b2 / b1) ** k])])

    moved = abs(param - before)[0]
    assert moved <= optimizer.step_bound() * (1 + 1e-12)
    assert moved == pytest.approx(optimizer.step_bound(), rel=1e-6)


def _exact_adam_bound(optimizer):
    """The closed form of the bound at the optimizer's step, from scratch."""
    b1, b2, t = optimizer.beta_1, optimizer.beta_2, optimizer.t
    ratio = b1**2 / b2
    series = (1 - ratio**t) / (1 - ratio)
    return optimizer.learning_rate * (1 - b1) / np.sqrt(1 - b2) * np.sqrt(series)


def test_adam_step_bound_follows_the_series_until_it_has_converged():
    # The bound is settled on the series' limit once ratio**t is below the
    # float epsilon (t >= 171 for the default betas): before that it must
    # still be the closed form at each step, not the looser limit.
    optimizer = AdamOptimizer([np.zeros(1)], 0.01)
    for t in (1, 5, 50, 170, 171, 400, 5000):
        optimizer.t = t
        assert optimizer.step_bound() == pytest.approx(
            _exact_adam_bound(optimizer), rel=1e-13
        )


def test_adam_step_bound_still_bounds_a_step_count_rewound_by_a_checkpoint():
    # Restoring a checkpoint sets t back: the settled limit must still
    # bound the (smaller) series at the earlier step.
    optimizer = AdamOptimizer([np.zeros(1)], 0.01)
    optimizer.t = 1000
    optimizer.step_bound()  # settles
    for t in (1, 3, 20, 100):
        optimizer.t = t
        assert optimizer.step_bound() >= _exact_adam_bound(optimizer)


def test_adam_step_bound_is_infinite_once_beta_1_squared_over_beta_2_explodes():
    # With beta_1**2 > beta_2 the Cauchy-Schwarz series grows geometrically;
    # past float range the bound is inf, and max-norm then checks every step.
    optimizer = AdamOptimizer([np.zeros(1)], 0.01, beta_1=0.99, beta_2=0.9)
    optimizer.t = 100_000

    assert optimizer.step_bound() == np.inf


def test_sgd_gives_no_step_bound():
    assert SGDOptimizer(_params(), 0.1).step_bound() is None


# ------------------------------------------------------------------ L2 term
OPTIMIZERS = [
    pytest.param(lambda params: SGDOptimizer(params, 0.1, momentum=0.9), id="sgd"),
    pytest.param(lambda params: AdamOptimizer(params, 0.01), id="adam"),
]


@pytest.mark.parametrize("make_optimizer", OPTIMIZERS)
@pytest.mark.parametrize(
    "size, n_penalised",
    [(10, 10), (10, 4), (10, 0), ((1 << 19) + 1000, 3 * (1 << 16) + 123)],
    ids=["whole", "prefix", "none", "prefix-ending-inside-a-slice"],
)
def test_l2_term_equals_adding_l2_times_the_penalised_weights_to_the_gradient(
    make_optimizer, size, n_penalised
):
    rng = np.random.default_rng(0)
    start = rng.normal(size=size).astype(np.float32)
    grad = rng.normal(size=size).astype(np.float32)
    l2 = np.float32(0.03)
    with_term, by_hand = start.copy(), start.copy()
    summed = grad.copy()
    summed[:n_penalised] += l2 * start[:n_penalised]

    make_optimizer([with_term]).update(
        [with_term], [grad.copy()], l2=l2, l2_sizes=[n_penalised]
    )
    make_optimizer([by_hand]).update([by_hand], [summed])

    np.testing.assert_array_equal(with_term, by_hand)


@pytest.mark.parametrize("make_optimizer", OPTIMIZERS)
@pytest.mark.parametrize("l2", [0.0, 0.03])
@pytest.mark.parametrize("size", [10, (1 << 19) + 1000], ids=["whole", "sliced"])
def test_update_only_reads_the_gradients(make_optimizer, l2, size):
    rng = np.random.default_rng(0)
    param = rng.normal(size=size)
    grad = rng.normal(size=size)
    before = grad.copy()

    make_optimizer([param]).update([param], [grad], l2=l2, l2_sizes=[size // 2])

    np.testing.assert_array_equal(grad, before)


@pytest.mark.parametrize(
    "make_optimizer",
    [
        *OPTIMIZERS,
        pytest.param(
            lambda params: SGDOptimizer(params, 0.1, nesterov=False), id="sgd-plain"
        ),
    ],
)
@pytest.mark.parametrize("l2", [0.0, 0.03])
@pytest.mark.parametrize("size", [10, (1 << 19) + 1000], ids=["whole", "sliced"])
def test_overwriting_the_gradients_takes_the_same_steps_to_the_bit(
    make_optimizer, l2, size
):
    rng = np.random.default_rng(0)
    start = rng.normal(size=size).astype(np.float32)
    steps = [rng.normal(size=size).astype(np.float32) for _ in range(3)]
    reading, overwriting = start.copy(), start.copy()
    read_only, may_overwrite = make_optimizer([reading]), make_optimizer([overwriting])

    for grad in steps:
        read_only.update([reading], [grad.copy()], l2=l2, l2_sizes=[size // 3])
        may_overwrite.update(
            [overwriting],
            [grad.copy()],
            l2=l2,
            l2_sizes=[size // 3],
            overwrite_grads=True,
        )

    np.testing.assert_array_equal(overwriting, reading)


@pytest.mark.parametrize("make_optimizer", OPTIMIZERS)
def test_make_state_writeable_copies_read_only_state_and_keeps_its_values(
    make_optimizer,
):
    param = np.zeros(4)
    optimizer = make_optimizer([param])
    optimizer.update([param], [np.arange(4.0)])
    state = optimizer.state_arrays()
    values = [array.copy() for array in state]
    for array in state:
        array.flags.writeable = False

    optimizer.make_state_writeable()
    optimizer.update([param], [np.arange(4.0)])

    assert all(array.flags.writeable for array in optimizer.state_arrays())
    for array, before in zip(state, values):
        np.testing.assert_array_equal(array, before)


START = np.linspace(-1.0, 1.0, 4)
TWO_STEPS = [np.arange(4.0), np.array([1.0, -2.0, 0.5, 3.0])]


def _after_the_first_step(make_optimizer):
    """An optimizer, its parameter and its lists, one step into TWO_STEPS."""
    param = START.copy()
    params, grads = [param], [TWO_STEPS[0].copy()]
    optimizer = make_optimizer(params)
    optimizer.update(params, grads)
    return optimizer, params, grads


def _assert_both_steps_taken(optimizer, param, make_optimizer):
    """``optimizer`` and ``param`` are where a fresh optimizer takes them."""
    want = START.copy()
    fresh = make_optimizer([want])
    for grad in TWO_STEPS:
        fresh.update([want], [grad.copy()])
    np.testing.assert_array_equal(param, want)
    for got, expected in zip(optimizer.state_arrays(), fresh.state_arrays()):
        np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("make_optimizer", OPTIMIZERS)
def test_steps_reusing_the_same_lists_after_make_state_writeable_update_the_copies(
    make_optimizer,
):
    # The trainer passes the same lists at every step; the optimizer keeps
    # the slices it cut from them, which must follow the copied state.
    optimizer, params, grads = _after_the_first_step(make_optimizer)
    for array in optimizer.state_arrays():
        array.flags.writeable = False

    optimizer.make_state_writeable()
    grads[0][...] = TWO_STEPS[1]
    optimizer.update(params, grads)

    _assert_both_steps_taken(optimizer, params[0], make_optimizer)


@pytest.mark.parametrize("make_optimizer", OPTIMIZERS)
def test_a_pickled_optimizer_takes_the_steps_the_original_takes(make_optimizer):
    optimizer, params, _ = _after_the_first_step(make_optimizer)

    copy = pickle.loads(pickle.dumps(optimizer))
    copied_param = params[0].copy()
    copy.update([copied_param], [TWO_STEPS[1].copy()])

    _assert_both_steps_taken(copy, copied_param, make_optimizer)


# ------------------------------------------------------------------ schedules
def test_invscaling_sets_the_learning_rate_from_the_samples_seen():
    optimizer = SGDOptimizer(_params(), 0.5, lr_schedule="invscaling", power_t=0.25)

    optimizer.iteration_ends(80)

    assert optimizer.learning_rate == pytest.approx(0.5 / 81**0.25, rel=1e-15)


def test_invscaling_depends_only_on_the_latest_time_step():
    optimizer = SGDOptimizer(_params(), 0.5, lr_schedule="invscaling", power_t=0.5)

    optimizer.iteration_ends(10)
    optimizer.iteration_ends(99)

    assert optimizer.learning_rate == pytest.approx(0.5 / 10.0, rel=1e-15)


def test_invscaling_learning_rate_is_used_by_the_next_step():
    param = np.array([1.0])
    optimizer = SGDOptimizer(
        [param], 1.0, lr_schedule="invscaling", momentum=0.0, nesterov=False
    )
    optimizer.iteration_ends(3)  # lr = 1 / sqrt(4) = 0.5

    optimizer.update([param], [np.array([1.0])])

    assert param[0] == pytest.approx(0.5, rel=1e-15)


@pytest.mark.parametrize("schedule", ["constant", "adaptive"])
def test_iteration_ends_leaves_other_schedules_alone(schedule):
    optimizer = SGDOptimizer(_params(), 0.5, lr_schedule=schedule)

    optimizer.iteration_ends(1000)

    assert optimizer.learning_rate == 0.5


def test_adaptive_plateau_divides_the_learning_rate_by_five_and_continues():
    optimizer = SGDOptimizer(_params(), 0.5, lr_schedule="adaptive")

    stop = optimizer.on_plateau()

    assert stop is False
    assert optimizer.learning_rate == pytest.approx(0.1, rel=1e-15)


def test_adaptive_plateau_stops_once_the_learning_rate_is_at_most_1e_6():
    optimizer = SGDOptimizer(_params(), 1.0, lr_schedule="adaptive")
    n_reductions = 0
    while not optimizer.on_plateau():
        n_reductions += 1

    # 1 / 5**9 > 1e-6 >= 1 / 5**9 / 5: nine reductions, then stop.
    assert n_reductions == 9
    assert optimizer.learning_rate == pytest.approx(5.0**-9, rel=1e-12)
    assert optimizer.on_plateau() is True
    assert optimizer.learning_rate == pytest.approx(5.0**-9, rel=1e-12)


@pytest.mark.parametrize("schedule", ["constant", "invscaling"])
def test_sgd_plateau_stops_training_for_non_adaptive_schedules(schedule):
    optimizer = SGDOptimizer(_params(), 0.5, lr_schedule=schedule)

    assert optimizer.on_plateau() is True
    assert optimizer.learning_rate == 0.5


def test_adam_plateau_stops_training():
    optimizer = AdamOptimizer(_params(), 0.01)

    assert optimizer.on_plateau() is True


# ---------------------------------------------------------------------- dtype
def _float32_params():
    return [p.astype(np.float32) for p in _params()]


def _float32_gradients():
    return [[g.astype(np.float32) for g in grads] for grads in GRADIENTS]


@pytest.mark.parametrize("nesterov", [False, True])
def test_sgd_keeps_float32_parameters_and_state_in_float32(nesterov):
    params = _float32_params()
    optimizer = SGDOptimizer(params, 0.1, momentum=0.9, nesterov=nesterov)

    _take_steps(optimizer, params, _float32_gradients())

    assert all(p.dtype == np.float32 for p in params)
    assert all(v.dtype == np.float32 for v in optimizer.velocities)


def test_adam_keeps_float32_parameters_and_state_in_float32():
    params = _float32_params()
    optimizer = AdamOptimizer(params, 0.01)

    _take_steps(optimizer, params, _float32_gradients())

    assert all(p.dtype == np.float32 for p in params)
    assert all(m.dtype == np.float32 for m in optimizer.ms)
    assert all(v.dtype == np.float32 for v in optimizer.vs)


@pytest.mark.parametrize(
    "make_optimizer",
    [
        lambda params: SGDOptimizer(params, 0.1, momentum=0.9, nesterov=True),
        lambda params: AdamOptimizer(params, 0.01, epsilon=1e-2),
    ],
    ids=["sgd", "adam"],
)
def test_float32_steps_agree_with_float64_steps(make_optimizer):
    params64 = _params()
    params32 = _float32_params()

    _take_steps(make_optimizer(params64), params64, GRADIENTS)
    _take_steps(make_optimizer(params32), params32, _float32_gradients())

    for p32, p64 in zip(params32, params64):
        np.testing.assert_allclose(p32, p64, rtol=1e-6, atol=1e-7)


def test_adam_step_bound_is_infinite_with_beta_2_zero():
    # v is then the last squared gradient alone, and m (which remembers
    # earlier, larger gradients) over its root has no bound.
    optimizer = AdamOptimizer([np.zeros(1)], 0.01, beta_1=0.9, beta_2=0.0)
    optimizer.update([np.zeros(1)], [np.ones(1)])

    assert optimizer.step_bound() == np.inf


def test_adam_step_bound_with_beta_1_zero_is_the_first_step_bound():
    # m is the last gradient alone: |m| / sqrt(v) <= 1 / sqrt(1 - beta_2).
    param = np.zeros(1)
    optimizer = AdamOptimizer([param], 0.01, beta_1=0.0, beta_2=0.0)
    for grad in (1.0, -1e-6, 1e6):
        before = param.copy()
        optimizer.update([param], [np.array([grad])])
        assert abs(param - before)[0] <= optimizer.step_bound() * (1 + 1e-12)
    assert optimizer.step_bound() == pytest.approx(0.01)
