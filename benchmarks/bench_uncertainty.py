"""Measure the predictive uncertainty of loss='gaussian_nll' against its limit.

For every problem and seed, three disjoint sets of rows: training rows (the
network and, with early stopping, its validation split), calibration rows
(MAPIE's split conformal calibration, never seen in training) and test rows
(every number below). Nominal level 0.9.

Problems: three synthetic ones whose noise scale is known (homoscedastic,
mildly and strongly heteroscedastic) and two real ones bundled with
scikit-learn (no download): diabetes, and breast_cancer's 'worst area'
predicted from the ten 'mean' features. Inputs and targets are standardised
with the training rows' statistics.

Columns (means over seeds unless said otherwise):

- ``raw cov``: coverage of ``mean +- 1.645 * std``, the total std of
  ``predict(X, return_std=True)``, before any calibration;
- ``cal cov`` (and ``min``): coverage after MAPIE's ``SplitConformalRegressor``
  with ``StdConformityScore`` (the lowest seed in brackets);
- ``noisy/quiet cov``: calibrated coverage of the test rows in the noisiest
  and in the quietest quarter of the true noise scale (synthetic only);
- ``width/oracle``: mean calibrated width over the width of the conformal
  interval normalised by the *true* noise scale on the same calibration rows
  and the same mean, the limit of an interval of the form mean +- q * scale
  (synthetic problems only);
- ``width/abs``: the same width over MAPIE's default absolute score (constant
  width) on the same network and calibration rows;
- ``rho``: Spearman rank correlation of the learned aleatoric std with the
  true noise scale (synthetic only);
- ``fit x``: fit time of loss='gaussian_nll' over loss='squared_error' with
  otherwise the same settings, fitted one after the other (median; the two
  losses may stop early after different numbers of epochs);
- ``default``: the issue's baseline, the default loss's Monte Carlo spread:
  its raw coverage, and its calibrated width over ours.

Then, for the classifier: MAPIE's SplitConformalClassifier (LAC score) on
digits, with the deterministic ``predict_proba`` and with the Monte Carlo
average ``predict_proba_mc``: coverage and mean set size.

Run: python benchmarks/bench_uncertainty.py            (10 seeds, 1-2 min on 2 cores)
     python benchmarks/bench_uncertainty.py --quick    (2 seeds)
"""

import argparse
import time
import warnings

import numpy as np
from scipy.stats import spearmanr
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from skdropout import DropoutMLPClassifier, DropoutMLPRegressor
from skdropout._optional import import_optional

LEVEL = 0.9
Z = 1.6448536269514722  # the normal quantile at 0.95: mean +- Z std is 90%
# The user guide's settings: a light dropout rate (the variance head also
# absorbs the jitter dropout gives the mean, which flattens the learned
# scale), and no early stopping, which watches the mean's R^2 and stops
# before the variances have settled; training stops when the loss (the
# negative log-likelihood) does.
NETWORK = {
    "hidden_layer_sizes": (64, 64),
    "dropout_rate": 0.05,
    "learning_rate_init": 0.003,
    "max_iter": 200,
}


# ------------------------------------------------------------------ problems
def _synthetic(scale_of, n, seed):
    rng = np.random.RandomState(seed)
    X = rng.uniform(-1, 1, (n, 5))
    mean = np.sin(np.pi * X[:, 0]) + X[:, 1] ** 2 + 0.5 * X[:, 2]
    scale = scale_of(X)
    return X, mean + scale * rng.randn(n), scale


SYNTHETIC = {
    # The noise scale's max/min ratio: 1, 2 and 20.
    "homoscedastic": lambda X: np.full(len(X), 0.3),
    "mild": lambda X: 0.3 * (1.5 + 0.5 * X[:, 0]),
    "strong": lambda X: 0.05 + 0.95 * ((X[:, 0] + 1) / 2) ** 2,
}


def _real(name):
    if name == "diabetes":
        return load_diabetes(return_X_y=True)
    data = load_breast_cancer()
    names = list(data.feature_names)
    X = data.data[:, [names.index(f) for f in names if f.startswith("mean ")]]
    return X, data.data[:, names.index("worst area")]


def split_problem(name, seed, quick):
    """Training, calibration and test rows (X, y, true scale or None)."""
    if name in SYNTHETIC:
        sizes = (600, 500, 1000) if quick else (1500, 1000, 2000)
        X, y, scale = _synthetic(SYNTHETIC[name], sum(sizes), seed)
        bounds = np.cumsum(sizes)[:-1]
        return [
            (X[a:b], y[a:b], scale[a:b])
            for a, b in zip([0, *bounds], [*bounds, sum(sizes)])
        ]
    X, y = _real(name)
    X_train, X_rest, y_train, y_rest = train_test_split(
        X, y, train_size=0.5, random_state=seed
    )
    X_cal, X_test, y_cal, y_test = train_test_split(
        X_rest, y_rest, train_size=0.5, random_state=seed
    )
    return [(X_train, y_train, None), (X_cal, y_cal, None), (X_test, y_test, None)]


def standardised(parts):
    """Parts scaled with the training rows' statistics (scales too)."""
    (X, y, _) = parts[0]
    x_scaler = StandardScaler().fit(X)
    y_mean, y_std = y.mean(), y.std()
    return [
        (
            x_scaler.transform(Xp),
            (yp - y_mean) / y_std,
            None if sp is None else sp / y_std,
        )
        for Xp, yp, sp in parts
    ]


# -------------------------------------------------------------- measurements
def _interval_stats(y, interval):
    low, high = interval[:, 0, 0], interval[:, 1, 0]
    return float(np.mean((y >= low) & (y <= high))), float(np.mean(high - low))


def calibrated(reg, cal, test, score):
    """Coverage, mean width and the intervals of MAPIE's split conformal."""
    regression = import_optional("mapie.regression", "uncertainty")
    kwargs = {}
    predict_params = None
    if score == "std":
        scores = import_optional("mapie.conformity_scores", "uncertainty")
        kwargs["conformity_score"] = scores.StdConformityScore()
        predict_params = {"random_state": 0}
    mapie = regression.SplitConformalRegressor(
        reg, confidence_level=LEVEL, prefit=True, **kwargs
    )
    mapie.conformalize(cal[0], cal[1], predict_params=predict_params)
    interval = mapie.predict_interval(test[0])[1]
    return (*_interval_stats(test[1], interval), interval)


def oracle_width(reg, cal, test):
    """Width of the conformal interval normalised by the true noise scale."""
    scores = np.abs(cal[1] - reg.predict(cal[0])) / cal[2]
    n = len(scores)
    q = np.quantile(scores, min(1.0, np.ceil((n + 1) * LEVEL) / n), method="higher")
    return float(np.mean(2 * q * test[2]))


def measure(name, seed, quick):
    train, cal, test = standardised(split_problem(name, seed, quick))
    timings = {}
    models = {}
    for loss in ("gaussian_nll", "squared_error"):
        reg = DropoutMLPRegressor(loss=loss, random_state=seed, **NETWORK)
        start = time.perf_counter()
        reg.fit(train[0], train[1])
        timings[loss] = time.perf_counter() - start
        models[loss] = reg
    ours, default = models["gaussian_nll"], models["squared_error"]
    parts = ours.predict_uncertainty(test[0], random_state=0)
    row = {
        "raw_cov": float(np.mean(np.abs(test[1] - parts.mean) <= Z * parts.std)),
        "fit_ratio": timings["gaussian_nll"] / timings["squared_error"],
    }
    row["cal_cov"], row["width"], interval = calibrated(ours, cal, test, "std")
    row["abs_cov"], row["abs_width"], _ = calibrated(ours, cal, test, "absolute")
    mean, std = default.predict(test[0], return_std=True, random_state=0)
    row["default_raw_cov"] = float(np.mean(np.abs(test[1] - mean) <= Z * std))
    row["default_cal_cov"], row["default_width"], _ = calibrated(
        default, cal, test, "std"
    )
    if test[2] is not None:
        covered = (test[1] >= interval[:, 0, 0]) & (test[1] <= interval[:, 1, 0])
        noisy = test[2] >= np.quantile(test[2], 0.75)
        quiet = test[2] <= np.quantile(test[2], 0.25)
        if noisy.all():  # homoscedastic: every row is in both quarters
            row["noisy_cov"] = row["quiet_cov"] = row["cal_cov"]
        else:
            row["noisy_cov"] = float(covered[noisy].mean())
            row["quiet_cov"] = float(covered[quiet].mean())
        row["oracle_width"] = oracle_width(ours, cal, test)
        if np.ptp(test[2]) > 0:  # undefined for a constant noise scale
            row["rho"] = float(spearmanr(parts.aleatoric_std, test[2])[0])
    row["n_cal"] = len(cal[1])
    return row


# ---------------------------------------------------------------- classifier
class MonteCarloProba(ClassifierMixin, BaseEstimator):
    """A fitted DropoutMLPClassifier whose predict_proba is predict_proba_mc."""

    def __init__(self, classifier, n_samples=100):
        self.classifier = classifier
        self.n_samples = n_samples

    def fit(self, X, y):  # pragma: no cover - only ever used prefit
        raise NotImplementedError("wraps a fitted classifier")

    def __sklearn_is_fitted__(self):
        return True

    @property
    def classes_(self):
        return self.classifier.classes_

    def predict_proba(self, X):
        return self.classifier.predict_proba_mc(X, self.n_samples, random_state=0)

    def predict(self, X):
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


def classifier_sets(seed):
    """Coverage and mean set size, deterministic and Monte Carlo probabilities."""
    classification = import_optional("mapie.classification", "uncertainty")
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    X_train, X_rest, y_train, y_rest = train_test_split(
        X, y, train_size=0.5, random_state=seed, stratify=y
    )
    X_cal, X_test, y_cal, y_test = train_test_split(
        X_rest, y_rest, train_size=0.5, random_state=seed, stratify=y_rest
    )
    clf = DropoutMLPClassifier(
        hidden_layer_sizes=(64,), dropout_rate=0.5, max_iter=100, random_state=seed
    ).fit(X_train, y_train)
    result = {}
    for kind, model in (("deterministic", clf), ("monte_carlo", MonteCarloProba(clf))):
        mapie = classification.SplitConformalClassifier(
            model, confidence_level=LEVEL, prefit=True
        ).conformalize(X_cal, y_cal)
        sets = mapie.predict_set(X_test)[1][:, :, 0]
        covered = sets[np.arange(len(y_test)), np.searchsorted(clf.classes_, y_test)]
        result[kind] = (float(covered.mean()), float(sets.sum(axis=1).mean()))
    return result


# -------------------------------------------------------------------- report
def summarise(rows):
    def mean(key):
        return float(np.mean([r[key] for r in rows]))

    summary = {
        "raw_cov": mean("raw_cov"),
        "cal_cov": mean("cal_cov"),
        "cal_cov_min": float(min(r["cal_cov"] for r in rows)),
        "width_over_abs": float(np.mean([r["width"] / r["abs_width"] for r in rows])),
        "fit_ratio": float(np.median([r["fit_ratio"] for r in rows])),
        "default_raw_cov": mean("default_raw_cov"),
        "default_over_ours": float(
            np.mean([r["default_width"] / r["width"] for r in rows])
        ),
        "n_cal": rows[0]["n_cal"],
    }
    if "oracle_width" in rows[0]:
        summary["width_over_oracle"] = float(
            np.mean([r["width"] / r["oracle_width"] for r in rows])
        )
        summary["width_over_oracle_max"] = float(
            max(r["width"] / r["oracle_width"] for r in rows)
        )
        summary["noisy_cov"] = mean("noisy_cov")
        summary["quiet_cov"] = mean("quiet_cov")
        if "rho" in rows[0]:
            summary["rho"] = mean("rho")
    return summary


def markdown_table(summaries):
    lines = [
        "| problem | cal rows | raw cov | cal cov (min) | noisy/quiet cov "
        "| width/oracle (max) | width/abs | rho | fit x | default raw cov "
        "| default width/ours |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, s in summaries.items():
        oracle = (
            f"{s['width_over_oracle']:.3f} ({s['width_over_oracle_max']:.3f})"
            if "width_over_oracle" in s
            else "-"
        )
        rho = f"{s['rho']:.3f}" if "rho" in s else "-"
        quarters = (
            f"{s['noisy_cov']:.3f} / {s['quiet_cov']:.3f}" if "noisy_cov" in s else "-"
        )
        lines.append(
            f"| {name} | {s['n_cal']} | {s['raw_cov']:.3f} "
            f"| {s['cal_cov']:.3f} ({s['cal_cov_min']:.3f}) | {quarters} | {oracle} "
            f"| {s['width_over_abs']:.3f} | {rho} | {s['fit_ratio']:.2f} "
            f"| {s['default_raw_cov']:.3f} | {s['default_over_ours']:.3f} |"
        )
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 seeds, fewer rows")
    parser.add_argument("--seeds", type=int, default=None, help="number of seeds")
    args = parser.parse_args(argv)
    n_seeds = args.seeds if args.seeds is not None else (2 if args.quick else 10)
    if n_seeds < 1:
        parser.error("--seeds must be at least 1")
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    start = time.perf_counter()
    summaries = {}
    for name in [*SYNTHETIC, "diabetes", "breast_cancer"]:
        rows = [measure(name, seed, args.quick) for seed in range(n_seeds)]
        summaries[name] = summarise(rows)
        print(f"{name}: done after {time.perf_counter() - start:.0f} s", flush=True)
    print()
    print(markdown_table(summaries))
    sets = [classifier_sets(seed) for seed in range(n_seeds)]
    print()
    print("| digits, LAC, 0.9 | coverage | mean set size |")
    print("|---|---|---|")
    for kind in ("deterministic", "monte_carlo"):
        coverage = np.mean([s[kind][0] for s in sets])
        size = np.mean([s[kind][1] for s in sets])
        print(f"| {kind} | {coverage:.3f} | {size:.3f} |")
    print(f"\n{n_seeds} seeds, {time.perf_counter() - start:.0f} s in all")


if __name__ == "__main__":
    main()
