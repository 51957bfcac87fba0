"""Check that healthy fits do not trip the failed-fit rules (docs/reliability.rst).

Every candidate of choose_defaults.py (27 settings of dropout_rate,
input_dropout and max_norm on its 5 bundled datasets) is fitted once on the
whole standardised data, with and without early stopping: 270 fits. A fit
that raises or warns that it diverged or stalled is printed and counted.

Run: python benchmarks/check_failure_rules.py   (some minutes on 2 cores)
"""

import warnings

import choose_defaults
from sklearn.preprocessing import StandardScaler


def main():
    failed = n_fits = 0
    for name, (loader, Estimator) in choose_defaults.DATASETS.items():
        X, y = loader(return_X_y=True)
        X = StandardScaler().fit_transform(X)
        for rate, input_rate, max_norm in choose_defaults.CANDIDATES:
            for early_stopping in (False, True):
                params = {
                    "dropout_rate": rate,
                    "input_dropout": input_rate,
                    "max_norm": max_norm,
                    "early_stopping": early_stopping,
                    "random_state": 0,
                }
                if Estimator.__name__.endswith("Regressor"):
                    params["learning_rate_init"] = 0.01  # as choose_defaults
                n_fits += 1
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    try:
                        Estimator(**params).fit(X, y)
                    except ValueError as exc:
                        failed += 1
                        print("raised", name, params, str(exc)[:120])
                        continue
                for warning in caught:
                    text = str(warning.message)
                    if "diverged" in text or "stalled" in text:
                        failed += 1
                        print("warned", name, params, text[:120])
                        break
    print(f"{failed} failed of {n_fits} fits")


if __name__ == "__main__":
    main()
