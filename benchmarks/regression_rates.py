"""Dropout rates for regression: the regressor against scikit-learn's MLP on
a smooth target.

``make_friedman1`` (noise 1.0) is a smooth function of five of its features:
a network has little noise to overfit, and dropout's regularisation can cost
more than it gives. For each seed, 5-fold cross-validated R^2 (folds
shuffled with the seed) of pipelines that standardise X, with the target
standardised too (``TransformedTargetRegressor``):

- ``small``: 500 rows x 10 features, every estimator at its defaults with
  ``max_iter=1000`` (the getting-started advice for small data), the
  regressor at ``dropout_rate`` 0.5 (its former default), 0.2 (its
  default) and 0;
- ``large`` (``--large``): 4,000 rows x 20 features, the getting-started
  settings for large data (hidden (256, 256), ``max_norm=3``,
  ``early_stopping=True``) at ``dropout_rate`` 0.5 and 0.2, against
  scikit-learn's MLP at its defaults;
- ``other`` (``--other``): the ``small`` protocol on other shapes, smooth
  (``make_friedman2``, ``make_friedman3``) and noisy with many features
  (``make_regression``), where the rates trade places.

Run from the project root::

    python benchmarks/regression_rates.py            # small, seeds 0-2
    python benchmarks/regression_rates.py --large    # and the large case
    python benchmarks/regression_rates.py --other    # and the other shapes

The numbers quoted in docs/getting_started.rst come from this script.
"""

import argparse
import warnings

import numpy as np
from sklearn.compose import TransformedTargetRegressor
from sklearn.datasets import (
    make_friedman1,
    make_friedman2,
    make_friedman3,
    make_regression,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import KFold, cross_val_score
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skdropout import DropoutMLPRegressor


def scaled(regressor):
    """X and the target standardised around ``regressor``."""
    return make_pipeline(
        StandardScaler(),
        TransformedTargetRegressor(regressor, transformer=StandardScaler()),
    )


def small_models(seed, max_iter=1000):
    return {
        "sklearn MLPRegressor": scaled(
            MLPRegressor(max_iter=max_iter, random_state=seed)
        ),
        **{
            f"skdropout dropout_rate={rate}": scaled(
                DropoutMLPRegressor(
                    max_iter=max_iter, dropout_rate=rate, random_state=seed
                )
            )
            for rate in (0.5, 0.2, 0.0)
        },
    }


def large_models(seed, max_iter=200):
    large = {
        "hidden_layer_sizes": (256, 256),
        "max_norm": 3.0,
        "early_stopping": True,
        "max_iter": max_iter,
        "random_state": seed,
    }
    return {
        "sklearn MLPRegressor": scaled(
            MLPRegressor(max_iter=max_iter, random_state=seed)
        ),
        **{
            f"skdropout dropout_rate={rate}": scaled(
                DropoutMLPRegressor(dropout_rate=rate, **large)
            )
            for rate in (0.5, 0.2)
        },
    }


def friedman1(n_samples, n_features):
    """``make_data`` for ``run``: friedman1 of this shape, noise 1."""

    def make(seed):
        return make_friedman1(
            n_samples, n_features=n_features, noise=1.0, random_state=seed
        )

    return make


OTHER_SETS = {
    "friedman2 300": lambda seed: make_friedman2(300, noise=10, random_state=seed),
    "friedman3 300": lambda seed: make_friedman3(300, noise=0.1, random_state=seed),
    "regression 300x50, noise 50": lambda seed: make_regression(
        300, 50, n_informative=10, noise=50, random_state=seed
    ),
    "regression 100x100, noise 10": lambda seed: make_regression(
        100, 100, n_informative=20, noise=10, random_state=seed
    ),
}


def run(make_data, make_models, seeds, n_jobs):
    """Mean cross-validated R^2 per model label, one entry per seed."""
    scores = {}
    for seed in seeds:
        X, y = make_data(seed)
        folds = KFold(5, shuffle=True, random_state=seed)
        for label, model in make_models(seed).items():
            cv = cross_val_score(model, X, y, cv=folds, n_jobs=n_jobs)
            scores.setdefault(label, []).append(cv.mean())
    return scores


def print_table(title, scores, seeds):
    print(f"\n{title}, mean 5-fold R^2")
    print(f"| model | {' | '.join(f'seed {s}' for s in seeds)} | mean |")
    print(f"|---|{'---:|' * (len(seeds) + 1)}")
    for label, values in scores.items():
        cells = " | ".join(f"{v:.3f}" for v in values)
        print(f"| {label} | {cells} | {np.mean(values):.3f} |")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0,1,2", help="comma-separated seeds")
    parser.add_argument("--large", action="store_true", help="also 4000 x 20")
    parser.add_argument("--other", action="store_true", help="also other shapes")
    parser.add_argument("--n-jobs", type=int, default=2, help="folds in parallel")
    args = parser.parse_args(argv)
    seeds = [int(s) for s in args.seeds.split(",")]
    warnings.simplefilter("ignore", ConvergenceWarning)
    small = run(friedman1(500, 10), small_models, seeds, args.n_jobs)
    print_table("small: friedman1 500x10", small, seeds)
    if args.large:
        large = run(friedman1(4000, 20), large_models, seeds, args.n_jobs)
        print_table("large: friedman1 4000x20", large, seeds)
    if args.other:
        for name, make_data in OTHER_SETS.items():
            scores = run(make_data, small_models, seeds, args.n_jobs)
            print_table(f"other: {name}", scores, seeds)


if __name__ == "__main__":
    main()
