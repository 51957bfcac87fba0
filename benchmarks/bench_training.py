"""Training and prediction speed of skdropout against sklearn, PyTorch and a floor.

What is measured
----------------
Seconds per training epoch (fit time with ``max_iter=E`` divided by ``E``;
for the estimators nothing is subtracted, so validation and initialisation
are included, while ``floor``, ``floor+adam`` and ``torch`` time their
training loop only, after building their arrays or model) on
three workloads, all with ``solver='adam'``, ``activation='relu'`` and
``shuffle=True``:

- W1: sklearn's digits, 1797 x 64 (X / 16), 10 classes, hidden (256, 256),
  batch 64.
- W2: synthetic 60000 x 784 uniform [0, 1) "pixels" labelled by a random
  linear teacher, 10 classes, hidden (1024, 1024), batch 128
  (``--quick``: 6000 rows).
- W3: synthetic 100000 x 100 standard normal regression with a fixed
  nonlinear target plus noise, scaled to unit variance, hidden
  (256, 256, 256), batch 256 (``--quick``: 10000 rows).

Contenders, timed in this fixed order inside every repeat:

- ``floor``: only the matrix products one epoch needs, on preallocated
  arrays with ``np.dot(..., out=...)``: per minibatch, ``X_b @ W_i`` for
  every layer (forward), ``D @ W_i.T`` for every layer but the first
  (backward) and ``A.T @ D`` for every layer (gradients), the minibatches
  being contiguous row slices of X. No gather, bias, activation, loss,
  optimizer or dropout: a lower bound for any NumPy MLP.
- ``floor+adam``: the same products plus, after every minibatch, skdropout's
  Adam step (no L2 term) on all parameters, laid out in one vector as
  skdropout lays them out and called as its trainer calls it (working in
  the gradients): what an engine costs whose only work besides the
  products is the optimizer. Its ratio to sklearn bounds what any change
  outside the optimizer could still gain.
- ``sklearn``: ``MLPClassifier`` / ``MLPRegressor`` with the same network,
  batch size and epochs (it has no dropout).
- ``skdropout``: ``DropoutMLPClassifier`` / ``DropoutMLPRegressor`` with
  ``dropout_rate=0.5``, ``input_dropout=0.2``, ``max_norm=3.0``.
- ``skdropout-off``: the same with ``dropout_rate=0``, ``input_dropout=0``,
  ``max_norm=None`` (it then follows sklearn step for step).
- ``torch`` (optional): an equivalent plain PyTorch CPU loop, with
  ``Dropout(0.2)`` on the input, ``Linear + ReLU + Dropout(0.5)`` per hidden
  layer, a ``Linear`` output, ``CrossEntropyLoss`` / ``MSELoss``,
  ``Adam(lr=1e-3)`` with ``weight_decay=alpha / batch_size`` on the weights
  (the L2 term the estimators' ``alpha=1e-4`` adds, for full minibatches),
  minibatches from a ``torch.randperm`` per epoch, max-norm 3 on every
  ``Linear`` after each step and ``torch.set_num_threads(2)``.

The machine this was written for has 2 cores and is shared, so every
comparison is made side by side in one process: the contenders are
interleaved (``for repeat: for contender: time it``, every other repeat in
reverse order), the median over repeats is reported, and the table's last
columns are ratios of those medians; "per-repeat skdropout/sklearn" is the
median and range of each repeat's own ratio, whose two fits ran moments
apart.
Prediction (``predict_proba`` for classifiers, ``predict`` for the regressor,
on the whole training set) of the fitted skdropout and sklearn models is
timed the same way, once per repeat.

Every workload first runs each contender for one epoch on at most 2048 rows
(warm-up); the fastest of three skdropout warm-ups, scaled to the full data,
chooses the number of epochs ``E`` (the same for every contender, at most
200) so that one timed skdropout fit takes about 3 s (0.5 s with
``--quick``); the warm-up includes the fit's fixed costs, scaled up with
the data, so timed fits come out somewhat shorter (about 2-3 s).

Two more tables (``--tables``) follow the workloads':

- ``layout``: the fit of issue 15, a user's first contact: 4000 x 784
  uniform [0, 1) rows, 10 random classes (``--quick``: 1000 rows), hidden
  (50,), ``solver='sgd'``, ``max_iter=10``, the estimators' defaults
  otherwise (dropout 0.5, max-norm 3), given as a C-ordered array, a
  Fortran-ordered one, a pandas DataFrame, a column-sliced view, and in
  float32 as a C-ordered array and a DataFrame. Each layout is fitted by
  skdropout and by sklearn's ``MLPClassifier`` (same settings), all
  interleaved; the table gives seconds per fit and skdropout's time over
  its time on the C-ordered array of the same dtype and over sklearn's on
  the same input.
- ``small``: seconds per epoch on small data sets (iris, breast cancer,
  ``make_moons(500, noise=0.3)``, standardised), the classifier's defaults
  with dropout on (0.5, max-norm 3) and off (0, no max-norm), ``tol=0`` so
  that every fit runs its ``max_iter`` epochs (200; ``--quick``: 50), and
  sklearn's ``MLPClassifier`` alike; then the regressor's defaults (0.2, no
  max-norm) against 0 and sklearn's ``MLPRegressor`` on diabetes and
  ``make_friedman1(500, noise=1)``, targets standardised; interleaved (every
  other repeat in reverse order). Where a minibatch is small, the fixed cost
  of each step shows: on/off is its measure, given as the ratio of the
  medians and as the median of each repeat's ratio; the latter pairs fits
  run moments apart, and holds up better when the machine's load comes and
  goes.

On a shared machine, ``--threads 1`` (single-threaded BLAS and torch, via
threadpoolctl) gives steadier numbers than two spinning BLAS threads
competing with another process for the same two cores.

Run
---
From the repository root::

    PYTHONPATH=. python benchmarks/bench_training.py             # full, minutes
    PYTHONPATH=. python benchmarks/bench_training.py --quick     # about a minute
    PYTHONPATH=. python benchmarks/bench_training.py --workloads W1,W3 \\
        --dtype float32,float64 --repeats 5 --json timings.json
    PYTHONPATH=. python benchmarks/bench_training.py --tables layout,small \\
        --repeats 7 --threads 1

The tables go to stdout, progress (every timing as it is taken) to stderr.

PyTorch is optional: the ``torch`` column is filled only if ``import torch``
works and ``--no-torch`` is not given. Install it only with exactly::

    pip install torch==2.13.0
"""

import argparse
import contextlib
import functools
import gc
import json
import os
import platform
import shlex
import statistics
import sys
import time
import warnings

import numpy as np
import sklearn
from sklearn.datasets import (
    load_breast_cancer,
    load_diabetes,
    load_digits,
    load_iris,
    make_friedman1,
    make_moons,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.preprocessing import StandardScaler

from skdropout import DropoutMLPClassifier, DropoutMLPRegressor
from skdropout._engine._optimizers import AdamOptimizer
from skdropout._engine._parameters import empty_like_packed, pack_parameters

SEED = 0
CONTENDERS = ["floor", "floor+adam", "sklearn", "skdropout", "skdropout-off", "torch"]
DROPOUT_ON = {"dropout_rate": 0.5, "input_dropout": 0.2, "max_norm": 3.0}
DROPOUT_OFF = {"dropout_rate": 0.0, "input_dropout": 0.0, "max_norm": None}
ALPHA = 1e-4  # the estimators' default L2 penalty, spelled out for torch
WARMUP_ROWS = 2048
MAX_EPOCHS = 200
TABLES = ["workloads", "layout", "small", "shapes", "stream"]
# What a run prints unless --tables says otherwise: the tables the docs'
# main results come from. The others are asked for by name.
DEFAULT_TABLES = ["workloads", "layout", "small"]
CALIBRATION_RUNS = 3


# What every timing reads: wall-clock time, or with --cpu-time the CPU time
# of this process (which, with --threads 1, leaves out the time other
# processes on a busy machine take the core away).
CLOCK = {"wall": time.perf_counter, "cpu": time.process_time}
_clock_name = "wall"


def clock():
    return CLOCK[_clock_name]()


# --------------------------------------------------------------- workloads
class Workload:
    """One dataset with its network, batch size and task."""

    def __init__(self, name, description, X, y, hidden, batch_size, classify):
        self.name = name
        self.description = description
        self.X = X
        self.y = y
        self.hidden = hidden
        self.batch_size = batch_size
        self.classify = classify

    @property
    def n_outputs(self):
        return int(self.y.max()) + 1 if self.classify else 1

    def subset(self, n_rows):
        """The first ``n_rows`` rows, as a workload of its own (for warm-up)."""
        n = min(n_rows, self.X.shape[0])
        return Workload(
            self.name,
            self.description,
            np.ascontiguousarray(self.X[:n]),
            self.y[:n].copy(),
            self.hidden,
            self.batch_size,
            self.classify,
        )


def make_w1(dtype, quick):
    X, y = load_digits(return_X_y=True)
    X = (X / 16).astype(dtype)
    return Workload("W1", "digits 1797x64", X, y, (256, 256), 64, True)


def make_w2(dtype, quick):
    n = 6000 if quick else 60000
    rng = np.random.default_rng(SEED)
    X = rng.random((n, 784), dtype=np.float64).astype(dtype)
    teacher = rng.standard_normal((784, 10))
    y = np.argmax((X - 0.5) @ teacher, axis=1)
    return Workload("W2", f"synthetic {n}x784", X, y, (1024, 1024), 128, True)


def make_w3(dtype, quick):
    n = 10000 if quick else 100000
    rng = np.random.default_rng(SEED + 1)
    X = rng.standard_normal((n, 100))
    a, b, c = rng.standard_normal((3, 100)) / 10.0
    y = (
        np.sin(X @ a)
        + 0.5 * (X @ b) ** 2
        + np.tanh(X @ c) * X[:, 0]
        + 0.1 * rng.standard_normal(n)
    )
    y = (y - y.mean()) / y.std()
    return Workload(
        "W3",
        f"synthetic {n}x100 regression",
        X.astype(dtype),
        y.astype(dtype),
        (256, 256, 256),
        256,
        False,
    )


WORKLOADS = {"W1": make_w1, "W2": make_w2, "W3": make_w3}


# -------------------------------------------------------------- contenders
def floor_arrays(wl, optimizer=False):
    """The preallocated arrays the floor multiplies, and its optimizer.

    Returns the packed parameter vector, its gradient vector, the Adam
    optimizer (None without ``optimizer``), the weight matrices and their
    gradients (views of the vectors), and the activation and delta buffers.
    """
    dtype = wl.X.dtype
    rng = np.random.default_rng(SEED)
    units = [wl.X.shape[1], *wl.hidden, wl.n_outputs]
    rows = wl.batch_size
    init = [
        (rng.uniform(-1, 1, (i, o)) * np.sqrt(6 / (i + o))).astype(dtype)
        for i, o in zip(units[:-1], units[1:])
    ]
    init += [np.zeros(o, dtype=dtype) for o in units[1:]]
    # Laid out like skdropout's parameters: one vector, the arrays views of it.
    flat, params = pack_parameters(init)
    flat_grad, grads = empty_like_packed(init)
    # The products rewrite the weight gradients at every minibatch; the
    # intercepts' part keeps these values, so that Adam works on finite numbers
    # rather than on whatever np.empty left. Drawn with or without the
    # optimizer, so that both contenders multiply the same deltas.
    flat_grad[:] = rng.standard_normal(flat_grad.size) * 1e-3
    adam = AdamOptimizer([flat]) if optimizer else None
    n_layers = len(units) - 1
    coefs, coef_grads = params[:n_layers], grads[:n_layers]
    acts = [np.empty((rows, u), dtype=dtype) for u in units[1:]]
    deltas = [rng.standard_normal((rows, u)).astype(dtype) for u in units[1:]]
    return flat, flat_grad, adam, coefs, coef_grads, acts, deltas


def run_floor(wl, epochs, optimizer=False):
    """Only the matrix products of ``epochs`` epochs, on preallocated arrays.

    With ``optimizer=True``, also skdropout's Adam step (without L2 term) on
    the network's parameters after every minibatch: the floor of an engine
    whose only other cost is its optimizer.
    """
    flat, flat_grad, adam, coefs, coef_grads, acts, deltas = floor_arrays(wl, optimizer)
    rows = wl.batch_size
    n_samples = wl.X.shape[0]
    last = len(coefs) - 1
    n_coef = sum(W.size for W in coefs)
    intercept_grads = flat_grad[n_coef:].copy()
    start_time = clock()
    for _ in range(epochs):
        for start in range(0, n_samples, rows):
            stop = min(start + rows, n_samples)
            n = stop - start
            inputs = [wl.X[start:stop]] + [a[:n] for a in acts[:-1]]
            for i, W in enumerate(coefs):
                np.dot(inputs[i], W, out=acts[i][:n])
            for i in range(last, 0, -1):
                np.dot(deltas[i][:n], coefs[i].T, out=deltas[i - 1][:n])
            for i in range(last + 1):
                np.dot(inputs[i].T, deltas[i][:n], out=coef_grads[i])
            if adam is not None:
                # As the trainer calls it: the update may work in the
                # gradients, which the next minibatch's products refill (the
                # intercepts' few are put back by hand).
                adam.update([flat], [flat_grad], overwrite_grads=True)
                flat_grad[n_coef:] = intercept_grads
    return clock() - start_time, None


def run_floor_adam(wl, epochs):
    return run_floor(wl, epochs, optimizer=True)


def _mlp_params(wl, epochs):
    return {
        "hidden_layer_sizes": wl.hidden,
        "activation": "relu",
        "solver": "adam",
        "alpha": ALPHA,
        "batch_size": wl.batch_size,
        "max_iter": epochs,
        "tol": 0.0,
        "n_iter_no_change": epochs + 10,
        "shuffle": True,
        "random_state": SEED,
    }


def _fit_timed(model, wl):
    start = clock()
    model.fit(wl.X, wl.y)
    return clock() - start, model


def run_sklearn(wl, epochs):
    cls = MLPClassifier if wl.classify else MLPRegressor
    return _fit_timed(cls(**_mlp_params(wl, epochs)), wl)


def run_skdropout(wl, epochs, dropout=DROPOUT_ON):
    cls = DropoutMLPClassifier if wl.classify else DropoutMLPRegressor
    return _fit_timed(cls(**_mlp_params(wl, epochs), **dropout), wl)


def run_skdropout_off(wl, epochs):
    return run_skdropout(wl, epochs, DROPOUT_OFF)


def run_torch(wl, epochs, threads=2):
    """A plain PyTorch CPU training loop doing the same work as skdropout."""
    import torch
    from torch import nn

    torch.set_num_threads(threads)
    torch.manual_seed(SEED)
    tdtype = torch.float64 if wl.X.dtype == np.float64 else torch.float32
    units = [wl.X.shape[1], *wl.hidden]
    layers = [nn.Dropout(DROPOUT_ON["input_dropout"])]
    for fan_in, fan_out in zip(units[:-1], units[1:]):
        layers += [
            nn.Linear(fan_in, fan_out),
            nn.ReLU(),
            nn.Dropout(DROPOUT_ON["dropout_rate"]),
        ]
    layers.append(nn.Linear(units[-1], wl.n_outputs))
    model = nn.Sequential(*layers).to(tdtype)
    linears = [m for m in model if isinstance(m, nn.Linear)]
    max_norm = DROPOUT_ON["max_norm"]

    X = torch.from_numpy(np.ascontiguousarray(wl.X))
    if wl.classify:
        y = torch.from_numpy(np.asarray(wl.y, dtype=np.int64))
        loss_fn = nn.CrossEntropyLoss()
    else:
        y = torch.from_numpy(np.asarray(wl.y)).to(tdtype).reshape(-1, 1)
        loss_fn = nn.MSELoss()
    # The estimators' L2 term, alpha * W / batch rows, on the weights only:
    # torch's (coupled) weight decay adds weight_decay * W to the gradient.
    weights = [linear.weight for linear in linears]
    biases = [linear.bias for linear in linears]
    optimizer = torch.optim.Adam(
        [
            {"params": weights, "weight_decay": ALPHA / wl.batch_size},
            {"params": biases, "weight_decay": 0.0},
        ],
        lr=1e-3,
    )
    generator = torch.Generator().manual_seed(SEED)
    n_samples = X.shape[0]

    start_time = clock()
    model.train()
    for _ in range(epochs):
        perm = torch.randperm(n_samples, generator=generator)
        for start in range(0, n_samples, wl.batch_size):
            idx = perm[start : start + wl.batch_size]
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(X[idx]), y[idx])
            loss.backward()
            optimizer.step()
            with torch.no_grad():
                # Linear.weight is (out, in): a unit's incoming weights are a
                # row, i.e. the sub-tensors along dim 0.
                for linear in linears:
                    linear.weight.renorm_(2, 0, max_norm)
    return clock() - start_time, model


RUNNERS = {
    "floor": run_floor,
    "floor+adam": run_floor_adam,
    "sklearn": run_sklearn,
    "skdropout": run_skdropout,
    "skdropout-off": run_skdropout_off,
    "torch": run_torch,
}


def time_predict(model, wl):
    method = model.predict_proba if wl.classify else model.predict
    start = clock()
    method(wl.X)
    return clock() - start


# ---------------------------------------------------------------- the loop
def choose_epochs(seconds_per_epoch, target):
    return int(np.clip(round(target / max(seconds_per_epoch, 1e-9)), 1, MAX_EPOCHS))


def bench_workload(wl, runners, repeats, target, log):
    """Warm up, pick the epochs, then time the contenders interleaved.

    ``runners`` maps each contender's name to its function, in timing order.
    """
    warm = wl.subset(WARMUP_ROWS)
    warm_times = {}
    for name, run in runners.items():
        gc.collect()
        warm_times[name], _ = run(warm, 1)
    # Two more skdropout warm-ups, keeping the fastest: a burst of load from
    # another process should not shrink the number of epochs.
    fastest = min(
        [warm_times["skdropout"]]
        + [runners["skdropout"](warm, 1)[0] for _ in range(CALIBRATION_RUNS - 1)]
    )
    estimate = fastest * wl.X.shape[0] / warm.X.shape[0]
    epochs = choose_epochs(estimate, target)
    log(f"  {wl.name}: {wl.description}, {epochs} epoch(s) per timed fit")

    fit_times = {name: [] for name in runners}
    predict_times = {"sklearn": [], "skdropout": []}
    for r in range(repeats):
        models = {}
        # Every other repeat in reverse order, as in bench_small: no
        # contender always inherits another's caches or a burst of load.
        order = list(runners.items())
        for name, run in order if r % 2 == 0 else order[::-1]:
            gc.collect()
            seconds, models[name] = run(wl, epochs)
            per_epoch = seconds / epochs
            fit_times[name].append(per_epoch)
            log(f"    repeat {r + 1}/{repeats} {name:>13}: {per_epoch:.4g} s/epoch")
        for name in predict_times:
            gc.collect()
            predict_times[name].append(time_predict(models[name], wl))
        del models
    return {
        "workload": wl.name,
        "description": wl.description,
        "n_samples": int(wl.X.shape[0]),
        "n_features": int(wl.X.shape[1]),
        "hidden_layer_sizes": list(wl.hidden),
        "batch_size": wl.batch_size,
        "epochs": epochs,
        "warmup_seconds": warm_times,
        "seconds_per_epoch": fit_times,
        "predict_seconds": predict_times,
    }


# ------------------------------------------------- input layouts, small data
LAYOUTS = [
    ("C-ordered", "float64"),
    ("Fortran-ordered", "float64"),
    ("DataFrame", "float64"),
    ("column view", "float64"),
    ("C-ordered", "float32"),
    ("DataFrame", "float32"),
]
LAYOUT_FIT = {
    "hidden_layer_sizes": (50,),
    "solver": "sgd",
    "max_iter": 10,
    "random_state": SEED,
}


def layout_inputs(n):
    """The issue-15 data, ``n`` rows, in every layout of ``LAYOUTS``; labels."""
    import pandas as pd

    rng = np.random.RandomState(SEED)
    X = rng.rand(n, 784)
    y = rng.randint(0, 10, n)
    inputs = {}
    for layout, dtype in LAYOUTS:
        Xd = X.astype(dtype)
        if layout == "Fortran-ordered":
            Xd = np.asfortranarray(Xd)
        elif layout == "DataFrame":
            Xd = pd.DataFrame(Xd)
        elif layout == "column view":
            wide = np.empty((n, 2 * X.shape[1]), dtype=dtype)
            wide[:, ::2] = Xd
            Xd = wide[:, ::2]
        inputs[layout, dtype] = Xd
    return inputs, y


def bench_layouts(repeats, n_rows, log):
    """Seconds per fit of skdropout and sklearn on every input layout."""
    inputs, y = layout_inputs(n_rows)
    times = {(key, who): [] for key in inputs for who in ("skdropout", "sklearn")}
    for X in inputs.values():  # warm-up: imports, BLAS threads, caches
        DropoutMLPClassifier(**{**LAYOUT_FIT, "max_iter": 1}).fit(X, y)
    for r in range(repeats):
        for key, X in inputs.items():
            for who, cls in (
                ("skdropout", DropoutMLPClassifier),
                ("sklearn", MLPClassifier),
            ):
                gc.collect()
                start = clock()
                cls(**LAYOUT_FIT).fit(X, y)
                times[key, who].append(clock() - start)
            log(
                f"    repeat {r + 1}/{repeats} {key[0]:>15} {key[1]}: "
                f"skdropout {times[key, 'skdropout'][-1]:.3f} s, "
                f"sklearn {times[key, 'sklearn'][-1]:.3f} s"
            )
    return {
        "n_samples": int(y.shape[0]),
        "fit": LAYOUT_FIT,
        "seconds_per_fit": [
            {
                "layout": layout,
                "dtype": dtype,
                "skdropout": times[(layout, dtype), "skdropout"],
                "sklearn": times[(layout, dtype), "sklearn"],
            }
            for layout, dtype in inputs
        ],
    }


def layout_table(result):
    header = [
        "input",
        "dtype",
        "skdropout (s)",
        "sklearn (s)",
        "skdropout / skdropout on C-ordered",
        "skdropout / sklearn",
        "per-repeat skdropout / sklearn",
    ]
    lines = _table_head(header, text_columns=2)
    rows = result["seconds_per_fit"]
    c_ordered = {
        r["dtype"]: _median(r["skdropout"]) for r in rows if r["layout"] == "C-ordered"
    }
    for r in rows:
        ours, theirs = _median(r["skdropout"]), _median(r["sklearn"])
        per_repeat = _repeat_ratios(r["skdropout"], r["sklearn"])
        lines.append(
            "| "
            + " | ".join(
                [
                    r["layout"],
                    r["dtype"],
                    _fmt_seconds(ours),
                    _fmt_seconds(theirs),
                    _fmt_ratio(ours, c_ordered.get(r["dtype"])),
                    _fmt_ratio(ours, theirs),
                    _fmt_range(per_repeat),
                ]
            )
            + " |"
        )
    return "\n".join(lines)


def small_datasets():
    """Small classification sets, then small regression sets: (name, X, y).

    A regression set's targets are floats, standardised (the classes are
    integers): ``bench_small`` times the regressor on them.
    """
    X, y = load_iris(return_X_y=True)
    yield "iris 150x4", X, y
    X, y = load_breast_cancer(return_X_y=True)
    yield "breast cancer 569x30", X, y
    X, y = make_moons(500, noise=0.3, random_state=SEED)
    yield "moons 500x2", X, y
    X, y = load_diabetes(return_X_y=True)
    yield "diabetes 442x10 (regressor)", X, (y - y.mean()) / y.std()
    X, y = make_friedman1(500, noise=1.0, random_state=SEED)
    yield "friedman1 500x10 (regressor)", X, (y - y.mean()) / y.std()


# Each estimator's defaults with dropout on (the classifier's 0.5 and
# max-norm 3, the regressor's 0.2 without max-norm) and off, and sklearn's.
SMALL_CONTENDERS = {
    "dropout on": (DropoutMLPClassifier, {"dropout_rate": 0.5, "max_norm": 3.0}),
    "dropout off": (DropoutMLPClassifier, {"dropout_rate": 0.0, "max_norm": None}),
    "sklearn": (MLPClassifier, {}),
}
SMALL_REGRESSION_CONTENDERS = {
    "dropout on": (DropoutMLPRegressor, {"dropout_rate": 0.2, "max_norm": None}),
    "dropout off": (DropoutMLPRegressor, {"dropout_rate": 0.0, "max_norm": None}),
    "sklearn": (MLPRegressor, {}),
}


def shape_datasets():
    """Random classification data of the shapes beyond the workloads."""
    rng = np.random.RandomState(SEED)
    for n_rows, n_features in ((10, 3), (20, 5000), (200, 2000), (20000, 10)):
        X = rng.randn(n_rows, n_features)
        yield f"{n_rows}x{n_features}", X, (X[:, 0] > 0).astype(int)


def _time_interleaved(runs, repeats, label, log):
    """Each run's seconds over ``repeats`` rounds, the runs interleaved.

    ``runs`` maps a contender to a callable that returns seconds. Every
    other round runs them in reverse order: a contender that always ran
    right after another would inherit its caches, or the start of a burst
    of load from other processes, every time.
    """
    times = {who: [] for who in runs}
    for r in range(repeats):
        order = list(runs.items())
        for who, run in order if r % 2 == 0 else order[::-1]:
            gc.collect()
            times[who].append(run())
        log(
            f"    repeat {r + 1}/{repeats} {label}: "
            + ", ".join(f"{w} {t[-1] * 1e3:.3f} ms" for w, t in times.items())
        )
    return times


def bench_small(repeats, epochs, dtype, log, datasets=small_datasets):
    """Seconds per epoch, dropout on and off and sklearn, on ``datasets()``."""
    fit = {"max_iter": epochs, "tol": 0.0, "n_iter_no_change": epochs + 10}
    fit["random_state"] = SEED
    results = []
    for name, X, y in datasets():
        X = StandardScaler().fit_transform(X).astype(dtype)

        def epoch_seconds(cls, extra, X=X, y=y):
            start = clock()
            cls(**fit, **extra).fit(X, y)
            return (clock() - start) / epochs

        contenders = (
            SMALL_CONTENDERS
            if np.issubdtype(np.asarray(y).dtype, np.integer)
            else SMALL_REGRESSION_CONTENDERS
        )
        runs = {
            who: functools.partial(epoch_seconds, cls, extra)
            for who, (cls, extra) in contenders.items()
        }
        times = _time_interleaved(runs, repeats, name, log)
        results.append({"dataset": name, "epochs": epochs, "seconds_per_epoch": times})
    return results


def small_table(results):
    header = [
        "data set",
        "dropout on (ms)",
        "dropout off (ms)",
        "sklearn (ms)",
        "on/off",
        "per-repeat on/off",
        "median per-repeat on/off",
        "on/sklearn",
    ]
    lines = _table_head(header)
    for res in results:
        t = res["seconds_per_epoch"]
        on, off, sk = (_median(t[w]) for w in SMALL_CONTENDERS)
        per_repeat = _repeat_ratios(t["dropout on"], t["dropout off"])
        cells = [
            f"{res['dataset']} (E={res['epochs']})",
            *(f"{v * 1e3:.4g}" for v in (on, off, sk)),
            _fmt_ratio(on, off),
            _fmt_range(per_repeat),
            f"{statistics.median(per_repeat):.3g}",
            _fmt_ratio(on, sk),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def bench_stream(repeats, n_calls, dtype, log, rows=256, n_features=50):
    """Seconds per ``partial_fit`` call of ``rows`` rows, after the first."""
    rng = np.random.RandomState(SEED)
    X = rng.randn(n_calls * rows, n_features).astype(dtype)
    targets = {
        "classifier": (X[:, 0] > 0).astype(int) + (X[:, 1] > 0),
        "regressor": X[:, :5].sum(axis=1) / 3,
    }
    results = []
    for task, y in targets.items():
        is_clf = task == "classifier"
        ours = DropoutMLPClassifier if is_clf else DropoutMLPRegressor
        theirs = MLPClassifier if is_clf else MLPRegressor
        contenders = {
            "dropout on": lambda ours=ours: ours(random_state=SEED),
            "dropout off": lambda ours=ours: ours(random_state=SEED, **DROPOUT_OFF),
            "sklearn": lambda theirs=theirs: theirs(random_state=SEED),
        }
        first = {"classes": np.unique(y)} if is_clf else {}

        def call_seconds(make, y=y, first=first):
            model = make()
            model.partial_fit(X[:rows], y[:rows], **first)
            start = clock()
            for call in range(1, n_calls):
                batch = slice(call * rows, (call + 1) * rows)
                model.partial_fit(X[batch], y[batch])
            return (clock() - start) / (n_calls - 1)

        runs = {
            who: functools.partial(call_seconds, make)
            for who, make in contenders.items()
        }
        times = _time_interleaved(runs, repeats, task, log)
        name = f"{task}, {rows}x{n_features} a call"
        results.append({"dataset": name, "epochs": n_calls, "seconds_per_epoch": times})
    return results


def shapes_table(results):
    header = [
        "shape",
        "dropout on (ms)",
        "dropout off (ms)",
        "sklearn (ms)",
        "on/sklearn",
        "per-repeat on/sklearn",
        "off/sklearn",
        "per-repeat off/sklearn",
    ]
    lines = _table_head(header)
    for res in results:
        t = res["seconds_per_epoch"]
        on, off, sk = (_median(t[w]) for w in SMALL_CONTENDERS)
        cells = [f"{res['dataset']} (E={res['epochs']})"]
        cells += [f"{v * 1e3:.4g}" for v in (on, off, sk)]
        for who, value in (("dropout on", on), ("dropout off", off)):
            per_repeat = _repeat_ratios(t[who], t["sklearn"])
            cells += [
                _fmt_ratio(value, sk),
                f"{statistics.median(per_repeat):.3g} ({_fmt_range(per_repeat)})",
            ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


# --------------------------------------------------------------- reporting
def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def blas_info():
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "unknown (threadpoolctl not installed)"
    pools = [
        f"{p.get('internal_api')} {p.get('version')} ({p.get('num_threads')} threads)"
        for p in threadpool_info()
        if p.get("user_api") == "blas"
    ]
    return ", ".join(pools) or "unknown"


def torch_version():
    try:
        import torch
    except ImportError:
        return None
    return torch.__version__


def machine_info(use_torch):
    return {
        "cpu": cpu_model(),
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "blas": blas_info(),
        "sklearn": sklearn.__version__,
        "torch": torch_version() if use_torch else None,
    }


def command_line():
    prefix = ""
    if os.environ.get("PYTHONPATH"):
        prefix = f"PYTHONPATH={shlex.quote(os.environ['PYTHONPATH'])} "
    return prefix + shlex.join(["python", *sys.argv])


def _median(values):
    return statistics.median(values) if values else None


def _fmt_seconds(value):
    return "–" if value is None else f"{value:.4g}"


def _fmt_ratio(num, den):
    if num is None or den is None or den == 0:
        return "–"
    return f"{num / den:.3g}"


def _repeat_ratios(numerators, denominators):
    """Each repeat's own ratio, ``numerators[r] / denominators[r]``.

    A repeat's fits run seconds apart, so their ratio shares the load of
    that moment: steadier on a busy machine than the ratio of medians.
    """
    return [a / b for a, b in zip(numerators, denominators) if b]


def _table_head(header, text_columns=1):
    """A markdown table's header and rule; numbers right-aligned."""
    rule = ["---"] * text_columns + ["---:"] * (len(header) - text_columns)
    return ["| " + " | ".join(header) + " |", "|" + "|".join(rule) + "|"]


def _fmt_range(values):
    return f"{min(values):.3g}-{max(values):.3g}" if values else "–"


def _per_repeat_ratio(times, num, den):
    """Median and range of each repeat's own ``num / den``."""
    ratios = _repeat_ratios(times.get(num, []), times.get(den, []))
    if not ratios:
        return "–"
    return f"{statistics.median(ratios):.3g} ({_fmt_range(ratios)})"


def markdown_table(results):
    header = [
        "workload",
        "floor",
        "floor+adam",
        "sklearn",
        "skdropout",
        "skdropout-off",
        "torch",
        "skdropout/sklearn",
        "per-repeat skdropout/sklearn",
        "skdropout/torch",
        "on/off",
        "skdropout/floor",
        "(floor+adam)/sklearn",
        "predict skdropout/sklearn",
    ]
    lines = _table_head(header)
    for res in results:
        med = {
            name: _median(res["seconds_per_epoch"].get(name, [])) for name in CONTENDERS
        }
        pred = {k: _median(v) for k, v in res["predict_seconds"].items()}
        row = [
            f"{res['workload']} ({res['description']}, E={res['epochs']})",
            *(_fmt_seconds(med[name]) for name in CONTENDERS),
            _fmt_ratio(med["skdropout"], med["sklearn"]),
            _per_repeat_ratio(res["seconds_per_epoch"], "skdropout", "sklearn"),
            _fmt_ratio(med["skdropout"], med["torch"]),
            _fmt_ratio(med["skdropout"], med["skdropout-off"]),
            _fmt_ratio(med["skdropout"], med["floor"]),
            _fmt_ratio(med["floor+adam"], med["sklearn"]),
            _fmt_ratio(pred["skdropout"], pred["sklearn"]),
        ]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def machine_line(info):
    parts = [
        f"CPU: {info['cpu']} ({info['cpu_count']} logical cores)",
        f"Python {info['python']}",
        f"numpy {info['numpy']} (BLAS: {info['blas']})",
        f"scikit-learn {info['sklearn']}",
    ]
    if info["torch"]:
        parts.append(f"torch {info['torch']}")
    return "; ".join(parts)


# -------------------------------------------------------------------- main
def limit_threads(n_threads):
    """Context limiting the BLAS/OpenMP thread pools, or doing nothing."""
    if not n_threads:
        return contextlib.nullcontext()
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=n_threads)


def add_selection_arguments(parser, option, dtype_default, repeats_default):
    """The options that pick workloads, dtypes, repeats and PyTorch."""
    parser.add_argument(
        option, default="W1,W2,W3", help="comma-separated subset of W1,W2,W3"
    )
    parser.add_argument(
        "--dtype",
        default=dtype_default,
        help="float32, float64 or both comma-separated (one table each)",
    )
    parser.add_argument(
        "--repeats", type=int, default=repeats_default, help="timed repeats"
    )
    parser.add_argument("--no-torch", action="store_true", help="skip PyTorch")


def check_selection_arguments(parser, args, attribute):
    """Split and check what :func:`add_selection_arguments` parsed, in place."""
    names = [n.strip().upper() for n in getattr(args, attribute).split(",")]
    names = [n for n in names if n]
    if not names:
        parser.error(f"--{attribute} names none of W1, W2, W3")
    unknown = set(names) - set(WORKLOADS)
    if unknown:
        parser.error(f"unknown {attribute}: {', '.join(sorted(unknown))}")
    setattr(args, attribute, names)
    args.dtype = [d.strip() for d in args.dtype.split(",") if d.strip()]
    if not args.dtype or not set(args.dtype) <= {"float32", "float64"}:
        parser.error("--dtype must be float32, float64 or float32,float64")
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n", 1)[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--quick", action="store_true", help="smaller data and shorter timed fits"
    )
    add_selection_arguments(parser, "--workloads", "float32", 3)
    parser.add_argument(
        "--threads",
        type=int,
        metavar="N",
        help="limit the BLAS/OpenMP pools (threadpoolctl) and torch to N threads; "
        "by default BLAS is left alone and torch gets 2",
    )
    parser.add_argument("--json", metavar="PATH", help="also dump raw timings here")
    parser.add_argument(
        "--cpu-time",
        action="store_true",
        help="time with this process's CPU time instead of the wall clock "
        "(meaningful with --threads 1: steadier on a busy machine)",
    )
    parser.add_argument(
        "--tables",
        default=",".join(DEFAULT_TABLES),
        help=f"comma-separated subset of {','.join(TABLES)} (default: %(default)s)",
    )
    args = parser.parse_args(argv)
    check_selection_arguments(parser, args, "workloads")
    args.tables = [t.strip() for t in args.tables.split(",") if t.strip()]
    if not args.tables or not set(args.tables) <= set(TABLES):
        parser.error("--tables must name some of " + ", ".join(TABLES))
    if args.threads is not None and args.threads < 1:
        parser.error("--threads must be at least 1")
    return args


def main(argv=None):
    global _clock_name
    args = parse_args(argv)
    _clock_name = "cpu" if args.cpu_time else "wall"
    warnings.simplefilter("ignore", ConvergenceWarning)
    use_torch = not args.no_torch and torch_version() is not None
    runners = {name: RUNNERS[name] for name in CONTENDERS}
    if not use_torch:
        del runners["torch"]
    elif args.threads:
        runners["torch"] = functools.partial(run_torch, threads=args.threads)
    target = 0.5 if args.quick else 3.0

    def log(message):
        print(message, file=sys.stderr, flush=True)

    info = machine_info(use_torch)
    report = {
        "machine": info,
        "command": command_line(),
        "threads": args.threads,
        "clock": _clock_name,
        "results": {},
    }
    print(f"Machine: {machine_line(info)}")
    print(f"Command: `{report['command']}`")
    print(
        f"Seconds per epoch, median of {args.repeats} interleaved repeat(s); "
        "ratios are of the medians; predict = predict_proba / predict on the "
        "training set."
    )
    if args.threads:
        print(f"Thread pools limited to {args.threads} thread(s) with --threads.")
    if args.cpu_time:
        print("Times are the process's CPU time (--cpu-time), not wall-clock time.")
    with limit_threads(args.threads):
        for dtype in args.dtype if "workloads" in args.tables else []:
            log(f"dtype {dtype}")
            results = []
            for name in args.workloads:
                wl = WORKLOADS[name](np.dtype(dtype), args.quick)
                results.append(bench_workload(wl, runners, args.repeats, target, log))
            report["results"][dtype] = results
            print(f"\n### {dtype}\n")
            print(markdown_table(results), flush=True)
        if "layout" in args.tables:
            log("input layouts")
            report["layouts"] = layouts = bench_layouts(
                args.repeats, 1000 if args.quick else 4000, log
            )
            print(
                f"\n### Input layouts: seconds per fit ({layouts['n_samples']} x 784, "
                f"{layouts['fit']}), median of {args.repeats}\n"
            )
            print(layout_table(layouts), flush=True)
        for dtype in args.dtype if "small" in args.tables else []:
            log(f"small data sets, {dtype}")
            epochs = 50 if args.quick else 200
            small = bench_small(args.repeats, epochs, np.dtype(dtype), log)
            report.setdefault("small", {})[dtype] = small
            print(f"\n### Small data sets, {dtype}: milliseconds per epoch\n")
            print(small_table(small), flush=True)
        for dtype in args.dtype if "shapes" in args.tables else []:
            log(f"shapes, {dtype}")
            epochs = 10 if args.quick else 40
            shapes = bench_small(
                args.repeats, epochs, np.dtype(dtype), log, datasets=shape_datasets
            )
            report.setdefault("shapes", {})[dtype] = shapes
            print(
                f"\n### Tiny, wide and tall data, {dtype}: milliseconds per epoch "
                "(hidden (100,), batch_size='auto')\n"
            )
            print(shapes_table(shapes), flush=True)
        for dtype in args.dtype if "stream" in args.tables else []:
            log(f"partial_fit stream, {dtype}")
            stream = bench_stream(
                args.repeats, 20 if args.quick else 100, np.dtype(dtype), log
            )
            report.setdefault("stream", {})[dtype] = stream
            print(
                f"\n### partial_fit streams, {dtype}: milliseconds per call "
                "(E = calls, defaults)\n"
            )
            print(shapes_table(stream), flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=2)
        log(f"raw timings written to {args.json}")


if __name__ == "__main__":
    main()
