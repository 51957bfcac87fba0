"""Defaults against defaults: skdropout's estimators and scikit-learn's MLPs.

Every estimator keeps its default parameters except ``max_iter=1000`` (as
scikit-learn's gallery sets it) and ``random_state``. On each data set and
seed the data are drawn (synthetic sets) with that seed, split 60/40 with
that seed (stratified for classification), the features standardised on the
training part, and both estimators fitted with ``random_state=seed``. The
table gives the mean over the seeds of the test score (accuracy, or R^2 for
regression), the fit time and ``n_iter_``; the last columns are our mean
score minus scikit-learn's, and the standard error of that difference over
the seeds (the spread of the per-seed differences over the square root of
the number of seeds).

``--medium`` runs, by the same protocol, five synthetic sets of 5,000 to
10,000 rows instead: the defaults were chosen on small data, and this checks
that they do not fall short where there is more of it.

``--first-contact`` runs a newcomer's first fit instead, on the five bundled
data sets: the features as they come (not standardised),
``train_test_split``'s default split (25% test, stratified for
classification) and every parameter at its default, ``max_iter`` (200)
included.

``--rule`` swaps the stopping rule that skdropout's estimators judge with
dropout on, to compare the alternatives the defaults page discusses:
``dropout-free`` (the estimators' own: the dropout-free training loss),
``epoch-loss`` (scikit-learn's rule on the noisy epoch loss, the rule before
the change), ``ema`` (an exponential moving average of the epoch loss,
factor 0.9) and ``max-iter`` (never stop early: ``n_iter_no_change=inf``).

Run: python benchmarks/battery_defaults.py            (a few minutes on 2 cores)
     python benchmarks/battery_defaults.py --quick    (two sets, two seeds)
     python benchmarks/battery_defaults.py --medium   (about ten minutes)
     python benchmarks/battery_defaults.py --first-contact   (under a minute)
     python benchmarks/battery_defaults.py --rule ema --datasets circles,diabetes
     python benchmarks/battery_defaults.py --dropout-rate 0.2
"""

import argparse
import time
import warnings

import numpy as np
from joblib import Parallel, delayed
from sklearn.datasets import (
    load_breast_cancer,
    load_diabetes,
    load_digits,
    load_iris,
    load_wine,
    make_circles,
    make_classification,
    make_friedman1,
    make_moons,
    make_regression,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.preprocessing import StandardScaler

import skdropout._epoch_loop as epoch_loop
from skdropout import DropoutMLPClassifier, DropoutMLPRegressor

DROPOUT_FREE = epoch_loop.dropout_free_loss
EMA_FACTOR = 0.9


def _linearly_separable(seed):
    # scikit-learn's classifier-comparison example: two informative features
    # plus uniform noise.
    X, y = make_classification(
        n_features=2,
        n_redundant=0,
        n_informative=2,
        n_clusters_per_class=1,
        random_state=seed,
    )
    X = X + 2 * np.random.RandomState(seed).uniform(size=X.shape)
    return X, y


def _bundled(load):
    return lambda seed: load(return_X_y=True)


# name -> (task, data(seed) -> (X, y))
DATASETS = {
    "moons": ("clf", lambda s: make_moons(100, noise=0.3, random_state=s)),
    "circles": (
        "clf",
        lambda s: make_circles(100, noise=0.2, factor=0.5, random_state=s),
    ),
    "linear": ("clf", _linearly_separable),
    "iris": ("clf", _bundled(load_iris)),
    "wine": ("clf", _bundled(load_wine)),
    "breast_cancer": ("clf", _bundled(load_breast_cancer)),
    "digits": ("clf", _bundled(load_digits)),
    "classif_300x20": (
        "clf",
        lambda s: make_classification(
            300, 20, n_informative=5, n_classes=3, random_state=s
        ),
    ),
    "classif_wide_80x200": (
        "clf",
        lambda s: make_classification(80, 200, n_informative=10, random_state=s),
    ),
    "diabetes": ("reg", _bundled(load_diabetes)),
    "regression_200x10": (
        "reg",
        lambda s: make_regression(200, 10, n_informative=5, noise=10, random_state=s),
    ),
    "friedman1_200": (
        "reg",
        lambda s: make_friedman1(200, noise=1.0, random_state=s),
    ),
    "regression_wide_80x200": (
        "reg",
        lambda s: make_regression(80, 200, n_informative=10, noise=5, random_state=s),
    ),
}
QUICK_DATASETS = ["moons", "diabetes"]
# The sets that come in units of their own, for --first-contact.
FIRST_CONTACT_DATASETS = ["iris", "wine", "breast_cancer", "digits", "diabetes"]

# Larger synthetic sets, for --medium: two classification shapes (one with
# five classes and many uninformative features), moons with more points, and
# two regression shapes.
MEDIUM_DATASETS = {
    "classif_10000x20": (
        "clf",
        lambda s: make_classification(10000, 20, n_informative=10, random_state=s),
    ),
    "classif5_5000x100": (
        "clf",
        lambda s: make_classification(
            5000,
            100,
            n_informative=20,
            n_classes=5,
            n_clusters_per_class=1,
            random_state=s,
        ),
    ),
    "moons_5000": ("clf", lambda s: make_moons(5000, noise=0.3, random_state=s)),
    "friedman1_5000": (
        "reg",
        lambda s: make_friedman1(5000, noise=1.0, random_state=s),
    ),
    "regression_10000x50": (
        "reg",
        lambda s: make_regression(
            10000, 50, n_informative=20, noise=10, random_state=s
        ),
    ),
}
ALL_DATASETS = {**DATASETS, **MEDIUM_DATASETS}

CONTENDERS = {
    "skdropout": {"clf": DropoutMLPClassifier, "reg": DropoutMLPRegressor},
    "sklearn": {"clf": MLPClassifier, "reg": MLPRegressor},
}


def _epoch_loss_measure(probe):
    # None: the loop judges loss_curve_, the noisy epoch loss.
    return None


def _ema_measure(probe):
    estimator = probe._estimator

    def smoothed():
        value = None
        for loss in estimator.loss_curve_:
            value = (
                loss if value is None else EMA_FACTOR * value + (1 - EMA_FACTOR) * loss
            )
        return value

    return smoothed


# What the stopping rule judges with dropout on, by --rule; max-iter keeps
# the measure and sets n_iter_no_change=inf instead.
MEASURES = {
    "dropout-free": DROPOUT_FREE,
    "epoch-loss": _epoch_loss_measure,
    "ema": _ema_measure,
    "max-iter": DROPOUT_FREE,
}


def run_one(
    name,
    contender,
    seed,
    max_iter=1000,
    params=None,
    rule="dropout-free",
    first_contact=False,
):
    """Fit one contender on one data set and seed: (score, seconds, n_iter_).

    The rule is set here, in whichever process runs the fit.
    """
    epoch_loop.dropout_free_loss = MEASURES[rule]
    try:
        return _run_one(name, contender, seed, max_iter, params, first_contact)
    finally:
        epoch_loop.dropout_free_loss = DROPOUT_FREE


def _run_one(name, contender, seed, max_iter, params, first_contact=False):
    task, data = ALL_DATASETS[name]
    X, y = data(seed)
    X_train, X_test, y_train, y_test = train_test_split(
        X,
        y,
        test_size=0.25 if first_contact else 0.4,
        random_state=seed,
        stratify=y if task == "clf" else None,
    )
    if not first_contact:
        scaler = StandardScaler().fit(X_train)
        X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
        params = {"max_iter": max_iter, **(params or {})}
    model = CONTENDERS[contender][task](random_state=seed, **(params or {}))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        start = time.perf_counter()
        model.fit(X_train, y_train)
        seconds = time.perf_counter() - start
    return model.score(X_test, y_test), seconds, model.n_iter_


def run_battery(
    names,
    seeds,
    max_iter=1000,
    n_jobs=2,
    params=None,
    rule="dropout-free",
    first_contact=False,
):
    """Mean score, fit time and n_iter_ per data set and contender.

    ``params`` are extra parameters for skdropout's estimators only (to try
    candidate defaults); so is ``rule``, the stopping rule (see --rule).
    ``first_contact``: unscaled features, the default split and the
    default ``max_iter`` (see --first-contact).
    """
    if rule == "max-iter":
        params = {**(params or {}), "n_iter_no_change": np.inf}
    jobs = [
        (name, contender, seed)
        for name in names
        for seed in seeds
        for contender in CONTENDERS
    ]
    results = Parallel(n_jobs=n_jobs)(
        delayed(run_one)(
            name,
            contender,
            seed,
            max_iter,
            *((params, rule) if contender == "skdropout" else ({}, "dropout-free")),
            first_contact,
        )
        for name, contender, seed in jobs
    )
    table = {}
    for (name, contender, _), result in zip(jobs, results):
        table.setdefault((name, contender), []).append(result)
    summary = {
        key: {
            "score": float(np.mean([r[0] for r in rows])),
            "seconds": float(np.mean([r[1] for r in rows])),
            "n_iter": float(np.mean([r[2] for r in rows])),
            "scores": [r[0] for r in rows],
        }
        for key, rows in table.items()
    }
    for name in names:
        ours = summary[name, "skdropout"]
        differences = np.subtract(ours["scores"], summary[name, "sklearn"]["scores"])
        ours["difference_se"] = (
            float(differences.std(ddof=1) / np.sqrt(len(differences)))
            if len(differences) > 1
            else float("nan")
        )
    return summary


def rst_table(summary, names):
    """The summary as a reStructuredText simple table."""
    header = [
        "data set",
        "task",
        "ours",
        "sklearn",
        "ours s",
        "sklearn s",
        "ours n_iter",
        "sklearn n_iter",
        "difference",
        "std. error",
    ]
    rows = []
    for name in names:
        ours, theirs = summary[name, "skdropout"], summary[name, "sklearn"]
        rows.append(
            [
                name,
                "accuracy" if ALL_DATASETS[name][0] == "clf" else "R^2",
                f"{ours['score']:.3f}",
                f"{theirs['score']:.3f}",
                f"{ours['seconds']:.2f}",
                f"{theirs['seconds']:.2f}",
                f"{ours['n_iter']:.0f}",
                f"{theirs['n_iter']:.0f}",
                f"{ours['score'] - theirs['score']:+.3f}",
                f"{ours['difference_se']:.3f}",
            ]
        )
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    rule = "  ".join("=" * w for w in widths)

    def line(cells):
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()

    return "\n".join([rule, line(header), rule, *map(line, rows), rule])


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="two sets, two seeds")
    parser.add_argument(
        "--medium",
        action="store_true",
        help="the five sets of 5,000 to 10,000 rows instead of the small ones",
    )
    parser.add_argument(
        "--first-contact",
        action="store_true",
        help="a newcomer's first fit: the bundled sets unscaled, the default "
        "split and max_iter",
    )
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument(
        "--dropout-rate",
        type=float,
        default=None,
        help="dropout_rate for both of skdropout's estimators (default: theirs)",
    )
    parser.add_argument(
        "--rule",
        choices=list(MEASURES),
        default="dropout-free",
        help="the stopping rule skdropout's estimators use with dropout on",
    )
    parser.add_argument(
        "--datasets", default=None, help="comma-separated names (default: all)"
    )
    args = parser.parse_args(argv)
    if args.quick + args.medium + args.first_contact > 1:
        parser.error("--quick, --medium and --first-contact exclude each other")
    if args.quick:
        names = QUICK_DATASETS
    elif args.first_contact:
        names = FIRST_CONTACT_DATASETS
    else:
        names = list(MEDIUM_DATASETS if args.medium else DATASETS)
    if args.datasets is not None:
        names = [n for n in args.datasets.split(",") if n]
        unknown = sorted(set(names) - set(ALL_DATASETS))
        if unknown or not names:
            parser.error(
                f"unknown or no data sets: {unknown}; known: {list(ALL_DATASETS)}"
            )
    if args.seeds < 1:
        parser.error("--seeds must be at least 1")
    args.names = names
    args.seed_list = list(range(2 if args.quick else args.seeds))
    return args


def main(argv=None):
    args = parse_args(argv)
    start = time.perf_counter()
    params = None if args.dropout_rate is None else {"dropout_rate": args.dropout_rate}
    summary = run_battery(
        args.names,
        args.seed_list,
        n_jobs=args.jobs,
        params=params,
        rule=args.rule,
        first_contact=args.first_contact,
    )
    print(rst_table(summary, args.names))
    protocol = (
        "unscaled, default split and max_iter"
        if args.first_contact
        else "max_iter=1000"
    )
    print(
        f"# {len(args.seed_list)} seeds, {protocol}, {args.jobs} jobs, "
        f"stopping rule {args.rule}, dropout_rate "
        f"{'default' if args.dropout_rate is None else args.dropout_rate}, "
        f"{time.perf_counter() - start:.0f} s in all"
    )


if __name__ == "__main__":
    main()
