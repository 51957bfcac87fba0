"""Backpropagation gradients against central finite differences.

With the dropout masks held fixed, the loss returned by
``MinibatchTrainer.loss_and_gradients`` is a smooth function of the network's
parameters, and the gradients it fills in (``coef_grads``, ``intercept_grads``)
must be the derivatives of exactly that loss, L2 penalty included. Every
hidden activation is checked against every loss/output pair, with and
without sample weights, with 0, 1 and 2 hidden layers, and with sparse input.
"""

import itertools

import numpy as np
import pytest
import scipy.sparse as sp

from skdropout._engine import MinibatchTrainer, SGDOptimizer

N_ROWS = 7
N_FEATURES = 5
KEEP = 0.6  # masks hold 0 or 1 / KEEP
ALPHA = 0.3
FD_STEP = 1e-6
RTOL = 1e-6
ATOL = 1e-8  # floor for entries whose true gradient is close to zero
RELU_MARGIN = 1e-4  # relu pre-activations must be this far from the kink

HIDDEN_ACTIVATIONS = ["identity", "logistic", "tanh", "relu"]
HIDDEN_LAYERS = [(), (6,), (6, 4)]

# (loss, output activation, number of outputs)
LOSS_PAIRS = [
    pytest.param("squared_error", "identity", 1, id="squared_error"),
    pytest.param("poisson", "exp", 2, id="poisson"),
    pytest.param("log_loss", "softmax", 3, id="log_loss"),
    pytest.param("binary_log_loss", "logistic", 1, id="binary_log_loss"),
    pytest.param("binary_log_loss", "logistic", 3, id="binary_log_loss-multilabel"),
    # A mean and a raw log-variance for each of 2 targets.
    pytest.param("gaussian_nll", "identity", 4, id="gaussian_nll"),
]


# --------------------------------------------------------------------- helpers
def _network(rng, hidden, n_outputs):
    units = [N_FEATURES, *hidden, n_outputs]
    # Scaled so that no output saturates: a clipped probability would make
    # the loss flat where the gradient is not.
    coefs = [
        rng.normal(scale=1 / np.sqrt(fan_in), size=(fan_in, fan_out))
        for fan_in, fan_out in zip(units[:-1], units[1:])
    ]
    intercepts = [rng.normal(scale=0.5, size=fan_out) for fan_out in units[1:]]
    return coefs, intercepts


def _targets(rng, loss, n_outputs):
    if loss == "squared_error":
        return rng.normal(size=(N_ROWS, n_outputs))
    if loss == "gaussian_nll":
        return rng.normal(size=(N_ROWS, n_outputs // 2))
    if loss == "poisson":
        return rng.poisson(2.0, size=(N_ROWS, n_outputs)).astype(np.float64)
    if loss == "log_loss":
        return np.eye(n_outputs)[rng.integers(n_outputs, size=N_ROWS)]
    return rng.integers(2, size=(N_ROWS, n_outputs)).astype(np.float64)


def _inputs(rng, sparse):
    X = rng.normal(size=(N_ROWS, N_FEATURES))
    if not sparse:
        return X
    X[rng.random(X.shape) < 0.4] = 0.0
    return sp.csr_matrix(X)


def _fixed_masks(rng, X, hidden):
    """One inverted-dropout mask per masked layer, input layer first."""
    if sp.issparse(X):
        input_mask = (rng.random(X.nnz) < KEEP) / KEEP
    else:
        input_mask = (rng.random(X.shape) < KEEP) / KEEP
    hidden_masks = [(rng.random((N_ROWS, width)) < KEEP) / KEEP for width in hidden]
    return [input_mask, *hidden_masks]


def _trainer(coefs, intercepts, activation, loss, out_activation, alpha):
    # Buffers for dropped activations exist only for layers whose rate is
    # above 0, so every layer gets a rate; the rng is never used because
    # loss_and_gradients takes the masks from the caller.
    return MinibatchTrainer(
        coefs,
        intercepts,
        activation=activation,
        out_activation=out_activation,
        loss=loss,
        alpha=alpha,
        optimizer=SGDOptimizer(coefs + intercepts),
        batch_size=N_ROWS,
        dropout_rates=[1 - KEEP] * len(coefs),
        rng=np.random.default_rng(0),
    )


def _relu_pre_activations(X, coefs, intercepts, masks):
    """Hidden pre-activations of a relu network under ``masks``."""
    if sp.issparse(X):
        A = X.copy()
        A.data *= masks[0]
    else:
        A = X * masks[0]
    pre_activations = []
    for W, b, mask in zip(coefs[:-1], intercepts[:-1], masks[1:]):
        Z = A @ W + b
        pre_activations.append(Z)
        A = np.maximum(Z, 0) * mask
    return pre_activations


def _problem(activation, loss, n_outputs, hidden, *, sparse=False, seed=0):
    """Data, parameters and fixed masks for one gradient check.

    For relu, seeds are tried in turn until no hidden pre-activation lies
    within ``RELU_MARGIN`` of 0, where finite differences would straddle
    the kink.
    """
    for s in itertools.count(seed):
        rng = np.random.default_rng(s)
        coefs, intercepts = _network(rng, hidden, n_outputs)
        if loss == "gaussian_nll":
            # Variances of order e rather than down to e^-3: a tiny variance
            # makes the loss so curved that finite differences, not the
            # gradient, lose the digits the tolerance asks for.
            intercepts[-1][n_outputs // 2 :] += 1.0
        X = _inputs(rng, sparse)
        Y = _targets(rng, loss, n_outputs)
        sample_weight = rng.uniform(0.5, 2.0, size=N_ROWS)
        masks = _fixed_masks(rng, X, hidden)
        if activation != "relu" or all(
            np.abs(Z).min() > RELU_MARGIN
            for Z in _relu_pre_activations(X, coefs, intercepts, masks)
        ):
            return X, Y, sample_weight, coefs, intercepts, masks
    raise AssertionError("unreachable")  # pragma: no cover


def _backprop_gradients(trainer, X, Y, sample_weight, masks):
    trainer.loss_and_gradients(X, Y, sample_weight, masks)
    return [g.copy() for g in trainer.grads]


def _finite_difference_gradients(trainer, X, Y, sample_weight, masks):
    gradients = []
    for param in trainer.params:
        gradient = np.empty_like(param)
        for idx in np.ndindex(param.shape):
            original = param[idx]
            param[idx] = original + FD_STEP
            loss_plus = trainer.loss_and_gradients(X, Y, sample_weight, masks)
            param[idx] = original - FD_STEP
            loss_minus = trainer.loss_and_gradients(X, Y, sample_weight, masks)
            param[idx] = original
            gradient[idx] = (loss_plus - loss_minus) / (2 * FD_STEP)
        gradients.append(gradient)
    return gradients


def _assert_gradients_match_finite_differences(trainer, X, Y, sample_weight, masks):
    backprop = _backprop_gradients(trainer, X, Y, sample_weight, masks)
    numerical = _finite_difference_gradients(trainer, X, Y, sample_weight, masks)
    n_layers = len(trainer.coefs)
    names = [f"coef_grads[{i}]" for i in range(n_layers)] + [
        f"intercept_grads[{i}]" for i in range(n_layers)
    ]
    for name, analytic, expected in zip(names, backprop, numerical):
        np.testing.assert_allclose(
            analytic, expected, rtol=RTOL, atol=ATOL, err_msg=name
        )


# ----------------------------------------------------------------------- tests
@pytest.mark.parametrize("use_sample_weight", [False, True], ids=["unweighted", "sw"])
@pytest.mark.parametrize("hidden", HIDDEN_LAYERS, ids=["0hidden", "1hidden", "2hidden"])
@pytest.mark.parametrize("loss, out_activation, n_outputs", LOSS_PAIRS)
@pytest.mark.parametrize("activation", HIDDEN_ACTIVATIONS)
def test_gradients_match_finite_differences_with_fixed_masks(
    activation, loss, out_activation, n_outputs, hidden, use_sample_weight
):
    X, Y, sample_weight, coefs, intercepts, masks = _problem(
        activation, loss, n_outputs, hidden
    )
    trainer = _trainer(coefs, intercepts, activation, loss, out_activation, ALPHA)
    sw = sample_weight if use_sample_weight else None

    _assert_gradients_match_finite_differences(trainer, X, Y, sw, masks)


@pytest.mark.parametrize("use_sample_weight", [False, True], ids=["unweighted", "sw"])
@pytest.mark.parametrize("hidden", HIDDEN_LAYERS, ids=["0hidden", "1hidden", "2hidden"])
@pytest.mark.parametrize("loss, out_activation, n_outputs", LOSS_PAIRS)
@pytest.mark.parametrize("activation", HIDDEN_ACTIVATIONS)
def test_gradients_match_finite_differences_for_sparse_input_with_input_mask(
    activation, loss, out_activation, n_outputs, hidden, use_sample_weight
):
    X, Y, sample_weight, coefs, intercepts, masks = _problem(
        activation, loss, n_outputs, hidden, sparse=True
    )
    assert sp.issparse(X) and masks[0].shape == X.data.shape
    trainer = _trainer(coefs, intercepts, activation, loss, out_activation, ALPHA)
    sw = sample_weight if use_sample_weight else None

    _assert_gradients_match_finite_differences(trainer, X, Y, sw, masks)


@pytest.mark.parametrize("loss, out_activation, n_outputs", LOSS_PAIRS)
def test_gradients_match_finite_differences_without_l2_penalty(
    loss, out_activation, n_outputs
):
    X, Y, sample_weight, coefs, intercepts, masks = _problem(
        "tanh", loss, n_outputs, (6,)
    )
    trainer = _trainer(coefs, intercepts, "tanh", loss, out_activation, alpha=0.0)

    _assert_gradients_match_finite_differences(trainer, X, Y, sample_weight, masks)


@pytest.mark.parametrize("use_sample_weight", [False, True], ids=["unweighted", "sw"])
def test_multi_output_squared_error_gradient_is_of_the_sum_over_outputs(
    use_sample_weight,
):
    # sklearn's convention, kept for parity with its MLP (scikit-learn issue
    # #8349): the reported squared error is averaged over the k outputs, but
    # the output delta y_pred - y_true differentiates the sum over outputs.
    # So the data gradients are k times the derivative of the reported loss.
    n_outputs = 3
    X, Y, sample_weight, coefs, intercepts, masks = _problem(
        "tanh", "squared_error", n_outputs, (6,)
    )
    trainer = _trainer(
        coefs, intercepts, "tanh", "squared_error", "identity", alpha=0.0
    )
    sw = sample_weight if use_sample_weight else None

    backprop = _backprop_gradients(trainer, X, Y, sw, masks)
    numerical = _finite_difference_gradients(trainer, X, Y, sw, masks)

    for analytic, expected in zip(backprop, numerical):
        np.testing.assert_allclose(
            analytic, n_outputs * np.asarray(expected), rtol=RTOL, atol=ATOL
        )


@pytest.mark.parametrize("use_sample_weight", [False, True], ids=["unweighted", "sw"])
def test_loss_includes_l2_penalty_divided_by_total_sample_weight(use_sample_weight):
    X, Y, sample_weight, coefs, intercepts, masks = _problem(
        "tanh", "log_loss", 3, (6, 4)
    )
    sw = sample_weight if use_sample_weight else None
    total_weight = N_ROWS if sw is None else sample_weight.sum()
    without = _trainer(coefs, intercepts, "tanh", "log_loss", "softmax", alpha=0.0)
    with_penalty = _trainer(coefs, intercepts, "tanh", "log_loss", "softmax", ALPHA)

    difference = with_penalty.loss_and_gradients(
        X, Y, sw, masks
    ) - without.loss_and_gradients(X, Y, sw, masks)

    squares = sum(np.sum(W**2) for W in coefs)
    assert difference == pytest.approx(0.5 * ALPHA * squares / total_weight, rel=1e-12)


def test_intercepts_are_not_penalised():
    X, Y, sample_weight, coefs, intercepts, masks = _problem(
        "tanh", "squared_error", 1, (6,)
    )
    without = _trainer(coefs, intercepts, "tanh", "squared_error", "identity", 0.0)
    without.loss_and_gradients(X, Y, sample_weight, masks)
    expected = [g.copy() for g in without.intercept_grads]
    with_penalty = _trainer(coefs, intercepts, "tanh", "squared_error", "identity", 5.0)

    with_penalty.loss_and_gradients(X, Y, sample_weight, masks)

    for got, want in zip(with_penalty.intercept_grads, expected):
        np.testing.assert_array_equal(got, want)


def test_dropped_hidden_unit_gets_only_the_penalty_gradient_on_its_outgoing_weights():
    X, Y, sample_weight, coefs, intercepts, masks = _problem(
        "logistic", "log_loss", 3, (6,)
    )
    masks[1][:, 2] = 0.0  # hidden unit 2 dropped in every row
    trainer = _trainer(coefs, intercepts, "logistic", "log_loss", "softmax", ALPHA)

    trainer.loss_and_gradients(X, Y, sample_weight, masks)

    np.testing.assert_allclose(
        trainer.coef_grads[1][2], ALPHA * coefs[1][2] / sample_weight.sum(), rtol=1e-14
    )
    # ... and nothing flows back through it to its incoming weights either.
    np.testing.assert_allclose(
        trainer.coef_grads[0][:, 2],
        ALPHA * coefs[0][:, 2] / sample_weight.sum(),
        rtol=1e-14,
    )
    assert trainer.intercept_grads[0][2] == 0.0


def test_dropped_input_feature_gets_only_the_penalty_gradient():
    X, Y, sample_weight, coefs, intercepts, masks = _problem("tanh", "poisson", 2, (6,))
    masks[0][:, 1] = 0.0  # feature 1 dropped in every row
    trainer = _trainer(coefs, intercepts, "tanh", "poisson", "exp", ALPHA)

    trainer.loss_and_gradients(X, Y, None, masks)

    np.testing.assert_allclose(
        trainer.coef_grads[0][1], ALPHA * coefs[0][1] / N_ROWS, rtol=1e-14
    )


def test_masks_of_ones_give_the_same_loss_and_gradients_as_no_masks():
    X, Y, sample_weight, coefs, intercepts, masks = _problem(
        "relu", "binary_log_loss", 3, (6, 4)
    )
    trainer = _trainer(coefs, intercepts, "relu", "binary_log_loss", "logistic", ALPHA)
    ones = [np.ones_like(mask) for mask in masks]

    loss_without = trainer.loss_and_gradients(X, Y, sample_weight, None)
    grads_without = [g.copy() for g in trainer.grads]
    loss_ones = trainer.loss_and_gradients(X, Y, sample_weight, ones)

    assert loss_ones == pytest.approx(loss_without, rel=1e-14)
    for got, want in zip(trainer.grads, grads_without):
        np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("activation", HIDDEN_ACTIVATIONS)
def test_sparse_input_mask_acts_like_a_dense_mask_on_the_stored_entries(activation):
    X, Y, sample_weight, coefs, intercepts, masks = _problem(
        activation, "log_loss", 3, (6,), sparse=True
    )
    dense_input_mask = np.ones((N_ROWS, N_FEATURES))
    rows, cols = X.nonzero()  # CSR order, the order of X.data
    dense_input_mask[rows, cols] = masks[0]
    trainer = _trainer(coefs, intercepts, activation, "log_loss", "softmax", ALPHA)

    sparse_loss = trainer.loss_and_gradients(X, Y, sample_weight, masks)
    sparse_grads = [g.copy() for g in trainer.grads]
    dense_loss = trainer.loss_and_gradients(
        X.toarray(), Y, sample_weight, [dense_input_mask, *masks[1:]]
    )

    assert sparse_loss == pytest.approx(dense_loss, rel=1e-13)
    for got, want in zip(sparse_grads, trainer.grads):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)


def test_sparse_input_mask_does_not_modify_the_callers_matrix():
    X, Y, sample_weight, coefs, intercepts, masks = _problem(
        "tanh", "squared_error", 1, (6,), sparse=True
    )
    data_before = X.data.copy()
    trainer = _trainer(coefs, intercepts, "tanh", "squared_error", "identity", ALPHA)

    trainer.loss_and_gradients(X, Y, sample_weight, masks)

    np.testing.assert_array_equal(X.data, data_before)


@pytest.mark.parametrize("loss, out_activation, n_outputs", LOSS_PAIRS)
def test_float32_gradients_agree_with_float64_gradients(
    loss, out_activation, n_outputs
):
    X, Y, sample_weight, coefs, intercepts, masks = _problem(
        "tanh", loss, n_outputs, (6, 4)
    )
    trainer64 = _trainer(coefs, intercepts, "tanh", loss, out_activation, ALPHA)
    loss64 = trainer64.loss_and_gradients(X, Y, sample_weight, masks)

    def f32(arrays):
        return [a.astype(np.float32) for a in arrays]

    trainer32 = _trainer(
        f32(coefs), f32(intercepts), "tanh", loss, out_activation, ALPHA
    )
    loss32 = trainer32.loss_and_gradients(
        X.astype(np.float32),
        Y.astype(np.float32),
        sample_weight.astype(np.float32),
        f32(masks),
    )

    assert loss32 == pytest.approx(loss64, rel=1e-5)
    for got, want in zip(trainer32.grads, trainer64.grads):
        assert got.dtype == np.float32
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6)


def _engine_masks(kind, input_nnz=None):
    """Masks for the (6, 4) network of ``_problem``, drawn by the engine.

    Copies, so that they stay fixed; the input layer's is over the stored
    entries when ``input_nnz`` (sparse input) is given.
    """
    from skdropout._engine import DropoutMasks

    sampler = DropoutMasks(
        [0.2, 0.5, 0.5],
        [N_FEATURES, 6, 4],
        N_ROWS,
        np.float64,
        np.random.default_rng(0),
        kind=kind,
    )
    first = (
        sampler.sample(0, N_ROWS)
        if input_nnz is None
        else sampler.sample_flat(0, input_nnz)
    )
    return [first.copy()] + [sampler.sample(i, N_ROWS).copy() for i in (1, 2)]


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
@pytest.mark.parametrize("activation", HIDDEN_ACTIVATIONS)
def test_gradients_match_finite_differences_with_fixed_gaussian_noise(
    activation, sparse
):
    # Gaussian dropout multiplies by 1 + sigma * N(0, 1): masks of any sign
    # and size, drawn here by the engine's own sampler and then held fixed.
    X, Y, sample_weight, coefs, intercepts, _ = _problem(
        activation, "log_loss", 3, (6, 4), sparse=sparse
    )
    masks = _engine_masks("gaussian", X.nnz if sparse else None)
    trainer = _trainer(coefs, intercepts, activation, "log_loss", "softmax", ALPHA)

    _assert_gradients_match_finite_differences(trainer, X, Y, sample_weight, masks)


@pytest.mark.parametrize("kind", ["bernoulli", "gaussian"])
def test_relu_folded_into_the_mask_gives_the_same_loss_and_gradients(kind):
    # The trainer multiplies relu networks by mask * (Z > 0) in one go; the
    # result must be the one of applying the ReLU and then the mask, and the
    # masks passed in must be left as they were.
    X, Y, sample_weight, coefs, intercepts, _ = _problem("relu", "log_loss", 3, (6, 4))
    masks = _engine_masks(kind)
    given = [m.copy() for m in masks]
    results = []
    for folded in (True, False):
        trainer = _trainer(coefs, intercepts, "relu", "log_loss", "softmax", ALPHA)
        trainer._relu_folds_into_mask = folded
        loss = trainer.loss_and_gradients(X, Y, sample_weight, masks)
        results.append((loss, [g.copy() for g in trainer.grads]))
    assert results[0][0] == results[1][0]
    for folded, separate in zip(results[0][1], results[1][1]):
        np.testing.assert_array_equal(folded, separate)
    for mask, original in zip(masks, given):
        np.testing.assert_array_equal(mask, original)


def test_a_minus_infinite_pre_activation_is_a_dead_relu_not_divergence():
    # relu(-inf) = 0, but the folded product -inf * 0 is NaN: the step must
    # fall back on applying the ReLU and the mask apart.
    from skdropout._engine import MinibatchTrainer

    coefs = [-np.ones((2, 3)), np.full((3, 1), 0.5)]
    intercepts = [np.zeros(3), np.full(1, 0.25)]
    trainer = MinibatchTrainer(
        coefs,
        intercepts,
        activation="relu",
        out_activation="identity",
        loss="squared_error",
        alpha=0.0,
        optimizer=SGDOptimizer(coefs + intercepts),
        batch_size=1,
        dropout_rates=[0.0, 0.5],
        rng=np.random.default_rng(0),
    )
    with np.errstate(over="ignore", invalid="ignore"):  # as run_epoch steps
        loss = trainer.step(np.array([[1e308, 1e308]]), np.array([[0.5]]))
    assert loss == pytest.approx(0.5 * (0.5 - 0.25) ** 2)
    assert trainer._relu_folds_into_mask
