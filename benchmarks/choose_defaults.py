"""Measure dropout_rate, input_dropout and max_norm candidates on bundled data.

Used to pick the estimators' defaults: every candidate is scored with 5-fold
cross-validation (accuracy for classifiers, R^2 for the regressor) on
sklearn's bundled datasets, with every other parameter at its default (but
learning_rate_init=0.01, ten times the default, for the regressor), inputs
standardised, and the same seeds for every candidate.

Run: python benchmarks/choose_defaults.py   (a few minutes on 2 cores)
"""

import itertools
import time
import warnings

import numpy as np
from sklearn.datasets import (
    load_breast_cancer,
    load_diabetes,
    load_digits,
    load_iris,
    load_wine,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import KFold, StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skdropout import DropoutMLPClassifier, DropoutMLPRegressor

DATASETS = {
    "digits": (load_digits, DropoutMLPClassifier),
    "breast_cancer": (load_breast_cancer, DropoutMLPClassifier),
    "wine": (load_wine, DropoutMLPClassifier),
    "iris": (load_iris, DropoutMLPClassifier),
    "diabetes": (load_diabetes, DropoutMLPRegressor),
}
CANDIDATES = list(itertools.product([0.0, 0.2, 0.5], [0.0, 0.1, 0.2], [None, 3.0, 4.0]))


def main():
    warnings.simplefilter("ignore", ConvergenceWarning)
    scores = {}
    for name, (load, Estimator) in DATASETS.items():
        X, y = load(return_X_y=True)
        is_clf = Estimator is DropoutMLPClassifier
        cv = (StratifiedKFold if is_clf else KFold)(5, shuffle=True, random_state=0)
        extra = {} if is_clf else {"learning_rate_init": 0.01}
        start = time.perf_counter()
        for rate, input_rate, max_norm in CANDIDATES:
            model = make_pipeline(
                StandardScaler(),
                Estimator(
                    dropout_rate=rate,
                    input_dropout=input_rate,
                    max_norm=max_norm,
                    random_state=0,
                    **extra,
                ),
            )
            scores[name, rate, input_rate, max_norm] = cross_val_score(
                model, X, y, cv=cv, n_jobs=2
            ).mean()
        print(f"# {name}: {time.perf_counter() - start:.0f} s")

    names = list(DATASETS)
    header = "dropout input max_norm " + " ".join(f"{n:>13}" for n in names)
    print(header + "   mean rank")
    ranks = {
        n: {
            c: r
            for r, c in enumerate(
                sorted(CANDIDATES, key=lambda c: -scores[(n, *c)]), start=1
            )
        }
        for n in names
    }
    for cand in sorted(CANDIDATES, key=lambda c: np.mean([ranks[n][c] for n in names])):
        row = " ".join(f"{scores[(n, *cand)]:>13.4f}" for n in names)
        mean_rank = np.mean([ranks[n][cand] for n in names])
        print(f"{cand[0]:>7} {cand[1]:>5} {cand[2]!s:>8} {row}   {mean_rank:6.1f}")


if __name__ == "__main__":
    main()
