"""Behaviour of ``MinibatchTrainer.step`` and ``run_epoch``."""

import numpy as np
import pytest
import scipy.sparse as sp

from skdropout._engine import AdamOptimizer, MinibatchTrainer, SGDOptimizer

N_ROWS, N_FEATURES, HIDDEN, N_OUTPUTS = 23, 6, (5, 4), 2
BATCH_SIZE = 8


def _parameters(dtype=np.float64, scale=0.5, seed=0):
    rng = np.random.default_rng(seed)
    units = [N_FEATURES, *HIDDEN, N_OUTPUTS]
    coefs = [
        rng.normal(scale=scale, size=(a, b)).astype(dtype)
        for a, b in zip(units[:-1], units[1:])
    ]
    intercepts = [rng.normal(scale=0.1, size=b).astype(dtype) for b in units[1:]]
    return coefs, intercepts


def _data(dtype=np.float64, sparse=False, seed=1):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(N_ROWS, N_FEATURES))
    if sparse:
        X[rng.random(X.shape) < 0.5] = 0.0
    X = X.astype(dtype)
    Y = rng.normal(size=(N_ROWS, N_OUTPUTS)).astype(dtype)
    sample_weight = rng.uniform(0.5, 2.0, size=N_ROWS).astype(dtype)
    return (sp.csr_matrix(X) if sparse else X), Y, sample_weight


def _trainer(
    coefs,
    intercepts,
    *,
    optimizer=None,
    rates=(0.2, 0.5, 0.5),
    max_norm=None,
    rng=0,
    alpha=1e-3,
    flat_params=None,
):
    if optimizer is None:
        params = coefs + intercepts if flat_params is None else [flat_params]
        optimizer = SGDOptimizer(params, 0.01)
    return MinibatchTrainer(
        coefs,
        intercepts,
        activation="relu",
        out_activation="identity",
        loss="squared_error",
        alpha=alpha,
        optimizer=optimizer,
        batch_size=BATCH_SIZE,
        dropout_rates=None if rates is None else list(rates),
        max_norm=max_norm,
        rng=None if rng is None else np.random.default_rng(rng),
        flat_params=flat_params,
    )


def _column_norms(coef):
    return np.linalg.norm(coef.astype(np.float64), axis=0)


# --------------------------------------------------------------------- max-norm
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_step_with_max_norm_keeps_every_column_norm_within_it_after_every_step(dtype):
    max_norm = 1.0
    coefs, intercepts = _parameters(dtype, scale=2.0)
    assert any(np.any(_column_norms(W) > max_norm) for W in coefs)
    optimizer = SGDOptimizer(coefs + intercepts, 0.5, momentum=0.9)
    trainer = _trainer(coefs, intercepts, optimizer=optimizer, max_norm=max_norm)
    X, Y, sample_weight = _data(dtype)
    tolerance = 1e-5 if dtype == np.float32 else 1e-12

    for start in range(0, N_ROWS - BATCH_SIZE, 3):
        rows = slice(start, start + BATCH_SIZE)
        trainer.step(X[rows], Y[rows], sample_weight[rows])
        for W in coefs:
            assert np.all(_column_norms(W) <= max_norm * (1 + tolerance))


def test_step_without_max_norm_lets_columns_grow_beyond_it():
    # The counterpart of the test above: the large steps do push norms up.
    coefs, intercepts = _parameters(scale=2.0)
    optimizer = SGDOptimizer(coefs + intercepts, 0.5, momentum=0.9)
    trainer = _trainer(coefs, intercepts, optimizer=optimizer, max_norm=None)
    X, Y, sample_weight = _data()

    trainer.step(X[:BATCH_SIZE], Y[:BATCH_SIZE], sample_weight[:BATCH_SIZE])

    assert any(np.any(_column_norms(W) > 1.0) for W in coefs)


def _train_with_adam(max_norm, skip_checks, dtype=np.float64, epochs=40):
    """Coefs after Adam epochs; ``skip_checks=False`` checks after every step."""
    coefs, intercepts = _parameters(dtype, scale=0.3)
    optimizer = AdamOptimizer(coefs + intercepts, 0.01)
    if not skip_checks:
        optimizer.step_bound = lambda: None  # an optimizer without a bound
    trainer = _trainer(coefs, intercepts, optimizer=optimizer, max_norm=max_norm)
    checks = []
    if max_norm is not None:
        project = trainer.constraint.project
        trainer.constraint.project = lambda bound: checks.append(project(bound))
    X, Y, sample_weight = _data(dtype)
    order = np.arange(N_ROWS)
    for _ in range(epochs):
        trainer.run_epoch(X, Y, sample_weight, BATCH_SIZE, order)
    return coefs, sum(checks), len(checks) * len(coefs)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_max_norm_skips_checks_without_changing_a_single_weight(dtype):
    max_norm = 0.75  # the first layer's columns reach it, the others do not
    skipped, n_checked, n_possible = _train_with_adam(max_norm, True, dtype)
    every_step, _, _ = _train_with_adam(max_norm, False, dtype)
    unconstrained, _, _ = _train_with_adam(None, True, dtype)

    assert 0 < n_checked < n_possible  # some checks were skipped, some ran
    assert not np.array_equal(every_step[0], unconstrained[0])  # the cap bit
    for W_skipped, W_checked in zip(skipped, every_step):
        np.testing.assert_array_equal(W_skipped, W_checked)


# -------------------------------------------------------------------- run_epoch
INPUT_KINDS = [
    pytest.param(np.float64, False, id="dense-float64"),
    pytest.param(np.float32, False, id="dense-float32"),
    pytest.param(np.float64, True, id="csr-float64"),
    pytest.param(np.float32, True, id="csr-float32"),
]
ORDERS = [
    pytest.param(None, id="in-place-order"),
    pytest.param(np.random.default_rng(3).permutation(N_ROWS), id="shuffled"),
]


@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize("dtype, sparse", INPUT_KINDS)
def test_run_epoch_returns_a_finite_float(dtype, sparse, order):
    coefs, intercepts = _parameters(dtype)
    trainer = _trainer(coefs, intercepts)
    X, Y, sample_weight = _data(dtype, sparse)

    loss = trainer.run_epoch(X, Y, sample_weight, BATCH_SIZE, order)

    assert type(loss) is float
    assert np.isfinite(loss)


@pytest.mark.parametrize("use_sample_weight", [False, True], ids=["unweighted", "sw"])
@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize("dtype, sparse", INPUT_KINDS)
def test_run_epoch_with_input_dropout_does_not_modify_the_callers_data(
    dtype, sparse, order, use_sample_weight
):
    coefs, intercepts = _parameters(dtype)
    trainer = _trainer(coefs, intercepts, rates=(0.5, 0.5, 0.5))
    X, Y, sample_weight = _data(dtype, sparse)
    sw = sample_weight if use_sample_weight else None
    X_before, Y_before, sw_before = X.copy(), Y.copy(), sample_weight.copy()
    order_before = None if order is None else order.copy()

    trainer.run_epoch(X, Y, sw, BATCH_SIZE, order)

    if sparse:
        for attr in ("data", "indices", "indptr"):
            np.testing.assert_array_equal(
                getattr(X, attr), getattr(X_before, attr), strict=True
            )
    else:
        np.testing.assert_array_equal(X, X_before, strict=True)
    np.testing.assert_array_equal(Y, Y_before, strict=True)
    np.testing.assert_array_equal(sample_weight, sw_before, strict=True)
    if order is not None:
        np.testing.assert_array_equal(order, order_before, strict=True)


def test_run_epoch_loss_is_the_row_weighted_mean_of_the_batch_losses():
    coefs, intercepts = _parameters()
    # A zero learning rate leaves the parameters, hence the batch losses, fixed.
    optimizer = SGDOptimizer(coefs + intercepts, 0.0, momentum=0.0, nesterov=False)
    trainer = _trainer(coefs, intercepts, optimizer=optimizer, rates=None, rng=None)
    X, Y, sample_weight = _data()
    batches = [slice(start, start + BATCH_SIZE) for start in (0, 8, 16)]
    batch_losses = [
        trainer.loss_and_gradients(X[b], Y[b], sample_weight[b]) for b in batches
    ]

    loss = trainer.run_epoch(X, Y, sample_weight, BATCH_SIZE)

    expected = (8 * batch_losses[0] + 8 * batch_losses[1] + 7 * batch_losses[2]) / 23
    assert loss == pytest.approx(expected, rel=1e-14)


def test_run_epoch_leaves_the_penalty_share_of_its_loss_in_epoch_penalty():
    coefs, intercepts = _parameters()
    optimizer = SGDOptimizer(coefs + intercepts, 0.0, momentum=0.0, nesterov=False)
    trainer = _trainer(coefs, intercepts, optimizer=optimizer, rates=None, rng=None)
    X, Y, sample_weight = _data()
    squares = sum(float(np.sum(W**2)) for W in coefs)
    weights = [sample_weight[start : start + BATCH_SIZE] for start in (0, 8, 16)]
    # Each batch's penalty is divided by its total weight, and the epoch
    # weighs the batches by their rows.
    expected = sum(len(w) * 0.5 * 1e-3 * squares / w.sum() for w in weights) / N_ROWS

    trainer.run_epoch(X, Y, sample_weight, BATCH_SIZE)

    assert trainer.epoch_penalty == pytest.approx(expected, rel=1e-12)


def test_run_epoch_with_an_order_trains_on_the_rows_in_that_order():
    order = np.random.default_rng(5).permutation(N_ROWS)
    X, Y, sample_weight = _data()
    coefs_a, intercepts_a = _parameters()
    coefs_b, intercepts_b = _parameters()
    trainer_a = _trainer(coefs_a, intercepts_a, rates=None, rng=None)
    trainer_b = _trainer(coefs_b, intercepts_b, rates=None, rng=None)

    loss_a = trainer_a.run_epoch(X, Y, sample_weight, BATCH_SIZE, order)
    loss_b = trainer_b.run_epoch(
        X[order], Y[order], sample_weight[order], BATCH_SIZE, None
    )

    assert loss_a == pytest.approx(loss_b, rel=1e-14)
    for a, b in zip(coefs_a + intercepts_a, coefs_b + intercepts_b):
        np.testing.assert_allclose(a, b, rtol=1e-14, atol=1e-15)


# ---------------------------------------------------------------------- step
def test_step_is_loss_and_gradients_followed_by_an_optimizer_update():
    X, Y, sample_weight = _data()
    rows = slice(0, BATCH_SIZE)
    coefs, intercepts = _parameters()
    trainer = _trainer(coefs, intercepts, rates=None, rng=None)
    ref_coefs, ref_intercepts = _parameters()
    reference = _trainer(ref_coefs, ref_intercepts, rates=None, rng=None)
    expected_loss = reference.loss_and_gradients(X[rows], Y[rows], sample_weight[rows])
    reference.optimizer.update(reference.params, reference.grads)

    loss = trainer.step(X[rows], Y[rows], sample_weight[rows])

    assert loss == expected_loss
    for got, want in zip(trainer.params, reference.params):
        np.testing.assert_array_equal(got, want)


def test_a_dropout_step_is_loss_and_gradients_with_the_seeds_masks_then_an_update():
    # A ReLU layer's rate-0.5 mask is drawn packed and never written out in
    # the step; the step must still be the one of the expanded masks.
    from skdropout._engine import DropoutMasks

    X, Y, sample_weight = _data()
    rows = slice(0, BATCH_SIZE)
    coefs, intercepts = _parameters()
    trainer = _trainer(coefs, intercepts, rates=(0.0, 0.5, 0.5), rng=4)
    ref_coefs, ref_intercepts = _parameters()
    reference = _trainer(ref_coefs, ref_intercepts, rates=None, rng=None)
    sampler = DropoutMasks(
        [0.0, 0.5, 0.5],
        [N_FEATURES, *HIDDEN],
        BATCH_SIZE,
        np.float64,
        np.random.default_rng(4),
    )
    masks = [None, sampler.sample(1, BATCH_SIZE), sampler.sample(2, BATCH_SIZE)]
    expected_loss = reference.loss_and_gradients(
        X[rows], Y[rows], sample_weight[rows], masks
    )
    reference.optimizer.update(reference.params, reference.grads)

    loss = trainer.step(X[rows], Y[rows], sample_weight[rows])

    assert loss == expected_loss
    for got, want in zip(trainer.params, reference.params):
        np.testing.assert_array_equal(got, want)


def test_step_updates_the_callers_parameter_arrays_in_place():
    coefs, intercepts = _parameters()
    originals = [p.copy() for p in coefs + intercepts]
    arrays = list(coefs + intercepts)
    trainer = _trainer(coefs, intercepts)
    X, Y, _ = _data()

    trainer.step(X[:BATCH_SIZE], Y[:BATCH_SIZE])

    for array, now, before in zip(arrays, coefs + intercepts, originals):
        assert now is array
        assert not np.array_equal(now, before)


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
@pytest.mark.parametrize(
    "make_optimizer",
    [
        lambda params: SGDOptimizer(params, 0.01),
        lambda params: AdamOptimizer(params, 0.01),
    ],
    ids=["sgd", "adam"],
)
def test_float32_parameters_stay_float32_through_a_step(make_optimizer, sparse):
    coefs, intercepts = _parameters(np.float32)
    optimizer = make_optimizer(coefs + intercepts)
    trainer = _trainer(coefs, intercepts, optimizer=optimizer, max_norm=1.0)
    X, Y, sample_weight = _data(np.float32, sparse)

    loss = trainer.step(X[:BATCH_SIZE], Y[:BATCH_SIZE], sample_weight[:BATCH_SIZE])

    assert np.isfinite(loss)
    for p in coefs + intercepts + trainer.grads:
        assert p.dtype == np.float32


# --------------------------------------------------------------- randomness
@pytest.mark.parametrize("rates", [None, (0.0, 0.0, 0.0)], ids=["None", "zeros"])
def test_trainer_with_all_rates_zero_needs_no_rng(rates):
    coefs, intercepts = _parameters()
    trainer = _trainer(coefs, intercepts, rates=rates, rng=None)
    X, Y, sample_weight = _data()

    loss = trainer.run_epoch(X, Y, sample_weight, BATCH_SIZE)

    assert np.isfinite(loss)


def test_training_without_dropout_is_deterministic():
    X, Y, sample_weight = _data()
    runs = []
    for _ in range(2):
        coefs, intercepts = _parameters()
        trainer = _trainer(coefs, intercepts, rates=None, rng=None)
        trainer.run_epoch(X, Y, sample_weight, BATCH_SIZE)
        runs.append(coefs + intercepts)

    for a, b in zip(*runs):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
def test_the_same_rng_seed_gives_the_same_training_run(sparse):
    X, Y, sample_weight = _data(sparse=sparse)
    runs = []
    for _ in range(2):
        coefs, intercepts = _parameters()
        trainer = _trainer(coefs, intercepts, rng=42)
        losses = [trainer.run_epoch(X, Y, sample_weight, BATCH_SIZE) for _ in range(2)]
        runs.append((losses, coefs + intercepts))

    assert runs[0][0] == runs[1][0]
    for a, b in zip(runs[0][1], runs[1][1]):
        np.testing.assert_array_equal(a, b)


def test_a_positive_rate_without_rng_is_an_error():
    coefs, intercepts = _parameters()

    with pytest.raises(ValueError, match="random generator is needed"):
        _trainer(coefs, intercepts, rates=(0.0, 0.5, 0.0), rng=None)


def test_dropout_rates_need_one_rate_per_masked_layer():
    coefs, intercepts = _parameters()

    with pytest.raises(ValueError, match=r"dropout_rates needs 3 rates .* got 2"):
        _trainer(coefs, intercepts, rates=(0.2, 0.5))


def test_run_epoch_refuses_batches_larger_than_its_buffers():
    X, Y, sample_weight = _data()
    coefs, intercepts = _parameters()
    trainer = _trainer(coefs, intercepts)
    with pytest.raises(ValueError, match="batch_size=16 exceeds the 8 rows"):
        trainer.run_epoch(X, Y, sample_weight, 2 * BATCH_SIZE)


def test_fortran_ordered_rows_are_copied_once_per_batch_not_per_product():
    import tracemalloc

    rng = np.random.default_rng(0)
    X = np.asfortranarray(rng.normal(size=(4 * BATCH_SIZE, 4000)))
    Y = rng.normal(size=(4 * BATCH_SIZE, N_OUTPUTS))
    units = [4000, *HIDDEN, N_OUTPUTS]
    coefs = [rng.normal(size=(a, b)) * 0.01 for a, b in zip(units[:-1], units[1:])]
    intercepts = [np.zeros(b) for b in units[1:]]
    trainer = _trainer(coefs, intercepts, rates=None, rng=None)
    trainer.run_epoch(X, Y, None, BATCH_SIZE)  # makes the reused buffers
    tracemalloc.start()
    try:
        trainer.run_epoch(X, Y, None, BATCH_SIZE)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    one_batch = BATCH_SIZE * X.shape[1] * X.itemsize  # 256 KB
    assert peak < one_batch / 4


def test_fortran_ordered_input_trains_like_c_ordered_input():
    X, Y, sample_weight = _data()
    runs = []
    for layout in (np.ascontiguousarray, np.asfortranarray):
        coefs, intercepts = _parameters()
        trainer = _trainer(coefs, intercepts)
        trainer.run_epoch(layout(X), Y, sample_weight, BATCH_SIZE)
        runs.append(coefs + intercepts)
    for a, b in zip(*runs):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_sparse_first_layer_gradient_equals_the_dense_one(fmt):
    X, Y, sample_weight = _data(sparse=True)
    X, Y, sample_weight = X[:BATCH_SIZE], Y[:BATCH_SIZE], sample_weight[:BATCH_SIZE]
    grads = []
    for batch in (X.asformat(fmt), X.toarray()):
        coefs, intercepts = _parameters()
        trainer = _trainer(coefs, intercepts, rates=None, rng=None)
        trainer.loss_and_gradients(batch, Y, sample_weight)
        grads.append([g.copy() for g in trainer.coef_grads])
    for sparse_grad, dense_grad in zip(*grads):
        np.testing.assert_allclose(sparse_grad, dense_grad, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("packed", [False, True], ids=["separate", "packed"])
def test_squared_weights_sums_the_squared_weights_but_not_the_intercepts(packed):
    from skdropout._engine import pack_parameters

    coefs, intercepts = _parameters()
    expected = sum(float(np.sum(W * W)) for W in coefs)
    flat = None
    if packed:
        flat, views = pack_parameters(coefs + intercepts)
        coefs, intercepts = views[: len(coefs)], views[len(coefs) :]
    trainer = _trainer(coefs, intercepts, rates=None, rng=None, flat_params=flat)

    assert trainer.squared_weights() == pytest.approx(expected, rel=1e-12)
