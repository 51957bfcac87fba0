"""What the stopping rule's dropout-free loss costs per epoch.

With dropout on and no early stopping, the stopping rule judges the
dropout-free network's loss on (at most 256 of) the training rows after
every epoch, reading the pass over them that the divergence checks make
anyway. This times a fit of the default classifier for a fixed number of
epochs (``n_iter_no_change`` so large that the rule never stops it) with
that measure and with it replaced by nothing, interleaved in one process,
and prints the median ratio and its range. It also prints what the rule
would cost if it scored every training row: one dropout-free pass over all
of them, as a share of one epoch of the same fit (the first version of the
rule made such a pass of its own).

Run: python benchmarks/bench_stopping_rule.py   (under a minute)
"""

import argparse
import time
import warnings

import numpy as np
from sklearn.datasets import load_digits, make_moons
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

import skdropout._epoch_loop as epoch_loop
from skdropout import DropoutMLPClassifier

JUDGED = epoch_loop.dropout_free_loss


def _no_measure(*args):
    return None


def workloads(quick=False):
    rng = np.random.RandomState(0)
    sets = {
        "moons_100": (make_moons(100, noise=0.3, random_state=0), 300),
        "digits": (load_digits(return_X_y=True), 40),
        "random_10000x50": ((rng.randn(10000, 50), rng.randint(0, 2, 10000)), 5),
    }
    if quick:
        sets = {"moons_100": (make_moons(100, noise=0.3, random_state=0), 2)}
    return {
        name: (StandardScaler().fit_transform(X), y, epochs)
        for name, ((X, y), epochs) in sets.items()
    }


def timed_fit(X, y, epochs):
    """The default classifier fitted for ``epochs`` epochs, and the seconds it took."""
    clf = DropoutMLPClassifier(max_iter=epochs, n_iter_no_change=10**9, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        start = time.perf_counter()
        clf.fit(X, y)
        return clf, time.perf_counter() - start


def fit_seconds(X, y, epochs, judged):
    epoch_loop.dropout_free_loss = JUDGED if judged else _no_measure
    try:
        return timed_fit(X, y, epochs)[1]
    finally:
        epoch_loop.dropout_free_loss = JUDGED


def ratios(X, y, epochs, repeats):
    """Time with the measure over time without it, ``repeats`` times."""
    return [
        fit_seconds(X, y, epochs, True) / fit_seconds(X, y, epochs, False)
        for _ in range(repeats)
    ]


def full_pass_shares(X, y, epochs, repeats):
    """Seconds of a dropout-free pass over all of X over seconds per epoch.

    Each repeat times one fit of ``epochs`` epochs, then the pass (the mean
    of as many passes as the fit had epochs), so that both see the same
    load on the machine.
    """
    shares = []
    for _ in range(repeats):
        clf, seconds = timed_fit(X, y, epochs)
        epoch = seconds / epochs
        start = time.perf_counter()
        for _ in range(epochs):
            clf._forward(X, check_input=False)
        shares.append((time.perf_counter() - start) / epochs / epoch)
    return shares


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    for name, (X, y, epochs) in workloads(args.quick).items():
        r = ratios(X, y, epochs, args.repeats)
        print(
            f"{name}: {len(X)} rows, {epochs} epochs: with/without the measure "
            f"median {np.median(r):.2f}x, range {min(r):.2f}-{max(r):.2f}"
        )
        shares = full_pass_shares(X, y, epochs, args.repeats)
        print(
            f"{name}: a dropout-free pass over all {len(X)} rows takes "
            f"{np.median(shares):.2f} of an epoch (range "
            f"{min(shares):.2f}-{max(shares):.2f})"
        )


if __name__ == "__main__":
    main()
