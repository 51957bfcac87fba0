"""How scikit-learn's MLP fits that saturate the log-loss end (docs/reliability.rst).

The blow-up rule (``skdropout/_blowup.py``) calls a classifier's fit failed
when its training loss sits at the saturation limit (half the largest value
the clipped log-loss can take) for ``SATURATION_EPOCHS`` epochs in a row.
This sweep is the evidence for that count: it fits scikit-learn's own
``MLPClassifier`` with steps from reasonable to far too large, and for every
fit that reached the limit prints the longest run of saturated epochs next
to the training accuracy the fit ended with and the majority class's share.
Fits that recover spend only an epoch or two at the limit; when this was
written, the fits that stayed there three epochs or more ended at a
training accuracy of 0.652 at best, most at the majority class's share.

Grid: wine, iris, breast cancer, digits and 300 rows of moons, raw and
standardised, ``learning_rate_init`` 0.1, 0.3, 1 and 3, adam and sgd, seeds
0 and 1, ``max_iter=80`` (160 fits).

Run: python benchmarks/saturation_sweep.py           (about 3 minutes on 2 cores)
     python benchmarks/saturation_sweep.py --quick   (iris and wine, one seed)
"""

import argparse
import itertools
import warnings

import numpy as np
from sklearn.datasets import (
    load_breast_cancer,
    load_digits,
    load_iris,
    load_wine,
    make_moons,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler

from skdropout._blowup import SATURATION_EPOCHS, SATURATION_SHARE

DATASETS = {
    "wine": lambda: load_wine(return_X_y=True),
    "iris": lambda: load_iris(return_X_y=True),
    "breast_cancer": lambda: load_breast_cancer(return_X_y=True),
    "digits": lambda: load_digits(return_X_y=True),
    "moons": lambda: make_moons(300, noise=0.3, random_state=0),
}
QUICK_DATASETS = ("iris", "wine")
STEPS = (0.1, 0.3, 1.0, 3.0)
SOLVERS = ("adam", "sgd")
MAX_ITER = 80

# The limit of the float64 softmax and single-logistic log-losses that
# sklearn's MLP minimises (one clipped term per row either way).
SATURATION_LIMIT = SATURATION_SHARE * -np.log(np.finfo(np.float64).eps)


def longest_run(flags):
    """Length of the longest run of True in ``flags``."""
    longest = current = 0
    for flag in flags:
        current = current + 1 if flag else 0
        longest = max(longest, current)
    return longest


class _PenaltyRecordingMLP(MLPClassifier):
    """scikit-learn's MLP, noting the L2 term of every minibatch's loss."""

    def _backprop(self, X, y, sample_weight, *args):
        # The weights the batch's loss was computed with, before its update.
        squares = sum(float(np.dot(W.ravel(), W.ravel())) for W in self.coefs_)
        weight = X.shape[0] if sample_weight is None else sample_weight.sum()
        self.batch_penalties_.append((X.shape[0], 0.5 * self.alpha * squares / weight))
        return super()._backprop(X, y, sample_weight, *args)

    def fit(self, X, y):
        self.batch_penalties_ = []
        return super().fit(X, y)


def epoch_data_losses(model, n_samples):
    """Each epoch's loss without its L2 term, as the blow-up rule judges it."""
    penalties, rows, total = [], 0, 0.0
    for batch_rows, penalty in model.batch_penalties_:
        rows += batch_rows
        total += batch_rows * penalty
        if rows == n_samples:
            penalties.append(total / n_samples)
            rows, total = 0, 0.0
    return np.asarray(model.loss_curve_) - np.asarray(penalties)


def sweep(names, seeds, steps=STEPS, solvers=SOLVERS, max_iter=MAX_ITER):
    """Fit the grid; return one dict per fit that reached the limit."""
    rows = []
    grid = itertools.product(names, (False, True), steps, solvers, seeds)
    for name, scale, step, solver, seed in grid:
        X, y = DATASETS[name]()
        if scale:
            X = StandardScaler().fit_transform(X)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model = _PenaltyRecordingMLP(
                learning_rate_init=step,
                solver=solver,
                max_iter=max_iter,
                random_state=seed,
            ).fit(X, y)
        curve = np.asarray(model.loss_curve_)
        saturated = epoch_data_losses(model, len(y)) >= SATURATION_LIMIT
        if not (curve >= SATURATION_LIMIT).any():
            continue
        rows.append(
            {
                "data": name + (" std" if scale else " raw"),
                "step": step,
                "solver": solver,
                "seed": seed,
                "longest_run": longest_run(saturated),
                "saturated_epochs": int(saturated.sum()),
                "epochs": len(model.loss_curve_),
                "accuracy": model.score(X, y),
                # Epochs at the limit only through the L2 term: the rule
                # does not count them.
                "penalty_epochs": int((curve >= SATURATION_LIMIT).sum())
                - int(saturated.sum()),
                "majority": np.unique(y, return_counts=True)[1].max() / len(y),
            }
        )
    return rows


def markdown_table(rows):
    """The fits, longest saturated run first."""
    lines = [
        "| longest run | saturated epochs | epochs | accuracy | majority share "
        "| epochs there by the L2 term | data | step | solver | seed |",
        "|---:|---:|---:|---:|---:|---:|---|---:|---|---:|",
    ]
    for row in sorted(rows, key=lambda r: (-r["longest_run"], r["accuracy"])):
        lines.append(
            f"| {row['longest_run']} | {row['saturated_epochs']} | {row['epochs']} "
            f"| {row['accuracy']:.3f} | {row['majority']:.3f} "
            f"| {row['penalty_epochs']} | {row['data']} "
            f"| {row['step']} | {row['solver']} | {row['seed']} |"
        )
    return "\n".join(lines)


def summary(rows, epochs=SATURATION_EPOCHS, recovered=0.9):
    """What became of the fits that stayed ``epochs`` or more, and of the rest."""
    lines = [
        f"{len(rows)} fits reached the limit {SATURATION_LIMIT:.2f}, "
        f"{sum(r['longest_run'] == 0 for r in rows)} of them only through "
        "the L2 term (longest run 0)."
    ]
    for label, stayed in ((f">= {epochs}", True), (f"< {epochs}", False)):
        group = [r for r in rows if (r["longest_run"] >= epochs) == stayed]
        at_majority = sum(r["accuracy"] <= r["majority"] + 0.01 for r in group)
        good = sum(r["accuracy"] >= recovered for r in group)
        best = max((r["accuracy"] for r in group), default=float("nan"))
        lines.append(
            f"longest run {label} epochs: {len(group)} fits, {at_majority} "
            f"ended within 0.01 of the majority share or below, {good} at an "
            f"accuracy of {recovered} or more, the best at {best:.3f}"
        )
    return "\n".join(lines)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="iris and wine, seed 0 only"
    )
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    names = QUICK_DATASETS if args.quick else tuple(DATASETS)
    seeds = (0,) if args.quick else (0, 1)
    rows = sweep(names, seeds)
    print(markdown_table(rows))
    print()
    print(summary(rows))


if __name__ == "__main__":
    main()
