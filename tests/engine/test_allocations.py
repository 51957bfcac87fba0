"""The minibatch loop allocates nothing of the size of its arrays.

Buffers are made once per fit; a step reuses them through ``out=`` arguments.
The only temporaries left are the random bits of the dropout masks (NumPy's
``random_raw`` has no ``out=``), a bit to two bytes per masked unit, the
packed ``Z > 0`` bits a rate-0.5 ReLU layer ANDs them with (``packbits``
has no ``out=`` either), and NumPy's own buffer for ufuncs that cast (8192
elements, 64 KiB in float64; the relu derivative writes booleans into a
float array).
tracemalloc sees NumPy's array memory, so a stray full-size temporary (one
activation here is 1 MiB) shows up as a jump in the traced peak.
"""

import tracemalloc

import numpy as np
import pytest
import scipy.sparse as sp

from skdropout._engine import AdamOptimizer, MinibatchTrainer, SGDOptimizer

ROWS, FEATURES, HIDDEN, OUTPUTS = 256, 64, 512, 3
ACTIVATION_BYTES = ROWS * HIDDEN * 8  # one float64 hidden activation: 1 MiB
# NumPy's casting buffer plus Python objects (views, floats, lists).
SMALL_BYTES = ACTIVATION_BYTES // 8


def _trainer(
    rates, make_optimizer, max_norm, units=(FEATURES, HIDDEN, HIDDEN, OUTPUTS)
):
    rng = np.random.default_rng(0)
    coefs = [rng.normal(scale=0.05, size=(a, b)) for a, b in zip(units, units[1:])]
    intercepts = [np.zeros(b) for b in units[1:]]
    return MinibatchTrainer(
        coefs,
        intercepts,
        activation="relu",
        out_activation="softmax",
        loss="log_loss",
        alpha=1e-4,
        optimizer=make_optimizer(coefs + intercepts),
        batch_size=ROWS,
        dropout_rates=rates,
        max_norm=max_norm,
        rng=np.random.default_rng(1),
    )


def _peak_bytes_of_steps(trainer, X=None, n_steps=5):
    rng = np.random.default_rng(2)
    if X is None:
        X = rng.normal(size=(ROWS, FEATURES))
    Y = np.eye(OUTPUTS)[rng.integers(0, OUTPUTS, ROWS)]
    trainer.step(X, Y)  # first step: lazily made buffers and scratch
    tracemalloc.start()
    try:
        baseline, _ = tracemalloc.get_traced_memory()
        for _ in range(n_steps):
            trainer.step(X, Y)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak - baseline


OPTIMIZERS = [
    pytest.param(lambda params: AdamOptimizer(params, 1e-3), id="adam"),
    pytest.param(lambda params: SGDOptimizer(params, 1e-2), id="sgd"),
]


@pytest.mark.parametrize("make_optimizer", OPTIMIZERS)
@pytest.mark.parametrize("max_norm", [None, 3.0])
def test_a_step_without_dropout_allocates_nothing_array_sized(make_optimizer, max_norm):
    trainer = _trainer([0.0, 0.0, 0.0], make_optimizer, max_norm)

    assert _peak_bytes_of_steps(trainer) < SMALL_BYTES


@pytest.mark.parametrize("make_optimizer", OPTIMIZERS)
@pytest.mark.parametrize("rates", [[0.2, 0.5, 0.5], [0.2, 0.3, 0.3]])
def test_a_step_with_dropout_allocates_only_the_masks_random_bits(
    make_optimizer, rates
):
    trainer = _trainer(rates, make_optimizer, 3.0)
    # At most two bytes of random variates per unit of the largest mask (the
    # uint16 ones), or at rate 0.5 a random bit and a packed "Z > 0" bit.
    random_bits = 2 * ROWS * HIDDEN

    assert _peak_bytes_of_steps(trainer) < random_bits + SMALL_BYTES


def test_a_sparse_step_allocates_nothing_the_size_of_the_first_weights():
    # Hashed features: the first weight matrix (50,000 x 64) is the largest
    # array of the model; its gradient must not be made anew at every step.
    # What a step may allocate grows with the batch's stored entries (here
    # about 1,300 columns), not with the number of features.
    n_features, hidden = 50_000, 64
    trainer = _trainer(
        [0.2, 0.5],
        lambda params: AdamOptimizer(params, 1e-3),
        3.0,
        units=(n_features, hidden, OUTPUTS),
    )
    X = sp.random(ROWS, n_features, density=1e-4, format="csr", random_state=0)
    first_weights_bytes = trainer.coefs[0].nbytes

    assert _peak_bytes_of_steps(trainer, X, n_steps=3) < first_weights_bytes // 10
