"""Peak memory of fitting and predicting with DropoutMLPRegressor vs sklearn.

What is measured
----------------
For each model (skdropout's ``DropoutMLPRegressor`` with dropout on, and
sklearn's ``MLPRegressor``) and each phase (``fit``, ``predict``), a fresh
Python subprocess:

1. imports numpy, scikit-learn and skdropout (for ``predict`` it also fits
   the model on 10000 rows drawn like X, with another random target) and
   records the *baseline* RSS;
2. creates X, a ``--rows`` x 50 float32 standard normal matrix (2,000,000
   rows by default, about 381 MiB), and its target y, and records the RSS
   *after X*;
3. runs ``fit`` (hidden (64,), batch 256, ``max_iter=1``, float32
   throughout) or ``predict`` on X, and records the *peak* RSS.

Each model's fit is also measured on X as a pandas DataFrame (rows
``skdropout (DataFrame)`` and ``sklearn (DataFrame)``): the same values,
drawn in blocks of rows into a column-major array (the layout a
DataFrame keeps its values in) that the DataFrame wraps without a second
copy. skdropout copies
such an X once into C order for its shuffled minibatch gathers (on
column-major memory each gather would otherwise copy all of X), so that
fit needs about one more X than the fit on the C-ordered array.

Every RSS is ``resource.getrusage(RUSAGE_SELF).ru_maxrss`` (KiB on Linux),
the high-water mark of the process so far, so the peak includes every
temporary the phase allocated. The table reports the size of X, the three
RSS values, ``peak / size(X)`` and ``(peak - baseline) / size(X)``: the
latter is about 1 if the phase needs X and little else, and grows with every
copy of X or full-height intermediate array.

The parent process imports only the standard library on purpose: on Linux a
child's ``ru_maxrss`` starts from the high-water mark of the process it was
spawned from, so a heavy parent would inflate the baseline.

Run
---
From the repository root::

    PYTHONPATH=. python benchmarks/bench_memory.py                 # 2e6 rows
    PYTHONPATH=. python benchmarks/bench_memory.py --rows 200000   # quick
"""

import argparse
import importlib.util
import json
import os
import resource
import shlex
import subprocess
import sys

N_FEATURES = 50
HIDDEN = (64,)
BATCH_SIZE = 256
PREDICT_FIT_ROWS = 10_000
SEED = 0
DROPOUT_ON = {"dropout_rate": 0.5, "input_dropout": 0.2, "max_norm": 3.0}
MODELS = ["skdropout", "sklearn"]
PHASES = ["fit", "predict"]
INPUTS = ["array", "dataframe"]
MIB = 1024 * 1024


def peak_rss_bytes():
    """High-water RSS of this process, in bytes (ru_maxrss is KiB on Linux)."""
    kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kib * (1 if sys.platform == "darwin" else 1024)


# ------------------------------------------------------------------- child
def make_data(n_rows, seed, dataframe=False):
    import numpy as np

    rng = np.random.default_rng(seed)
    if not dataframe:
        X = rng.standard_normal((n_rows, N_FEATURES), dtype=np.float32)
    else:
        # The same values, drawn in blocks of rows into a column-major array
        # (the layout a DataFrame keeps them in), which the DataFrame then
        # wraps without a copy: X is never held twice.
        X = np.empty((n_rows, N_FEATURES), dtype=np.float32, order="F")
        for start in range(0, n_rows, 65536):
            stop = min(start + 65536, n_rows)
            X[start:stop] = rng.standard_normal(
                (stop - start, N_FEATURES), dtype=np.float32
            )
    # Kept in float32 so that X @ w makes no float64 copy of X.
    w = (rng.standard_normal(N_FEATURES) / np.sqrt(N_FEATURES)).astype(np.float32)
    y = X @ w
    y += 0.1 * rng.standard_normal(n_rows, dtype=np.float32)
    if dataframe:
        import pandas as pd

        X = pd.DataFrame(X, copy=False)
    return X, y


def make_model(name):
    params = {
        "hidden_layer_sizes": HIDDEN,
        "batch_size": BATCH_SIZE,
        "max_iter": 1,
        "random_state": SEED,
    }
    if name == "skdropout":
        from skdropout import DropoutMLPRegressor

        return DropoutMLPRegressor(**params, **DROPOUT_ON)
    from sklearn.neural_network import MLPRegressor

    return MLPRegressor(**params)


def child(model_name, phase, n_rows, input_kind="array"):
    """Run one measurement and print its result as one JSON line."""
    import warnings

    import numpy as np  # (imported before the baseline on purpose)
    import sklearn  # noqa: F401
    from sklearn.exceptions import ConvergenceWarning

    import skdropout  # noqa: F401

    dataframe = input_kind == "dataframe"
    if dataframe:
        import pandas  # noqa: F401  (before the baseline, as numpy)
    warnings.simplefilter("ignore", ConvergenceWarning)
    model = make_model(model_name)
    if phase == "predict":
        X_small, y_small = make_data(PREDICT_FIT_ROWS, SEED + 1)
        model.fit(X_small, y_small)
        del X_small, y_small
    baseline = peak_rss_bytes()

    X, y = make_data(n_rows, SEED, dataframe)
    after_x = peak_rss_bytes()

    if phase == "fit":
        model.fit(X, y)
    else:
        model.predict(X)
    peak = peak_rss_bytes()

    dtype = model.coefs_[0].dtype.name
    result = {
        "model": model_name if not dataframe else f"{model_name} (DataFrame)",
        "input": input_kind,
        "phase": phase,
        "rows": n_rows,
        "x_bytes": np.asarray(X).nbytes,  # a view of a DataFrame's one block
        "baseline_bytes": baseline,
        "after_x_bytes": after_x,
        "peak_bytes": peak,
        "model_dtype": dtype,
    }
    print(json.dumps(result))


# ------------------------------------------------------------------ parent
def measure(model_name, phase, n_rows, input_kind="array"):
    cmd = [
        sys.executable,
        os.path.abspath(__file__),
        "--child",
        "--model",
        model_name,
        "--phase",
        phase,
        "--rows",
        str(n_rows),
        "--input",
        input_kind,
    ]
    out = subprocess.run(
        cmd, check=True, capture_output=True, text=True, env=_child_environment()
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _child_environment():
    """This environment, with the skdropout this process imports first on
    the child's path (a source checkout need not be pip-installed)."""
    env = dict(os.environ)
    spec = importlib.util.find_spec("skdropout")
    if spec is not None and spec.origin:
        root = os.path.dirname(os.path.dirname(spec.origin))
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))
    return env


def markdown_table(results):
    header = [
        "model",
        "phase",
        "X (MiB)",
        "baseline RSS (MiB)",
        "RSS after X (MiB)",
        "peak RSS (MiB)",
        "peak / X",
        "(peak - baseline) / X",
    ]
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join(["---", "---"] + ["---:"] * (len(header) - 2)) + "|",
    ]
    for r in results:
        x = r["x_bytes"]
        row = [
            r["model"],
            r["phase"],
            f"{x / MIB:.0f}",
            f"{r['baseline_bytes'] / MIB:.0f}",
            f"{r['after_x_bytes'] / MIB:.0f}",
            f"{r['peak_bytes'] / MIB:.0f}",
            f"{r['peak_bytes'] / x:.2f}",
            f"{(r['peak_bytes'] - r['baseline_bytes']) / x:.2f}",
        ]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def command_line():
    prefix = ""
    if os.environ.get("PYTHONPATH"):
        prefix = f"PYTHONPATH={shlex.quote(os.environ['PYTHONPATH'])} "
    return prefix + shlex.join(["python", *sys.argv])


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--rows", type=int, default=2_000_000, help="rows of X (default 2,000,000)"
    )
    parser.add_argument("--json", metavar="PATH", help="also dump raw results here")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--model", choices=MODELS, help=argparse.SUPPRESS)
    parser.add_argument("--phase", choices=PHASES, help=argparse.SUPPRESS)
    parser.add_argument(
        "--input", choices=INPUTS, default="array", help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if args.rows < 1:
        parser.error("--rows must be at least 1")
    return args


def main(argv=None):
    args = parse_args(argv)
    if args.child:
        child(args.model, args.phase, args.rows, args.input)
        return
    results = []
    for model_name in MODELS:
        for phase in PHASES:
            print(f"measuring {model_name} {phase} ...", file=sys.stderr, flush=True)
            results.append(measure(model_name, phase, args.rows))
    for model_name in MODELS:
        print(f"measuring {model_name} fit on a DataFrame ...", file=sys.stderr)
        results.append(measure(model_name, "fit", args.rows, "dataframe"))
    dtypes = sorted({r["model_dtype"] for r in results})
    print(f"Command: `{command_line()}`")
    print(
        f"X: {args.rows} x {N_FEATURES} float32; hidden {HIDDEN}, batch "
        f"{BATCH_SIZE}, max_iter=1; skdropout with {DROPOUT_ON}; model dtype "
        f"{', '.join(dtypes)}. RSS = ru_maxrss high-water marks, one fresh "
        "process per row.\n"
    )
    print(markdown_table(results))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"command": command_line(), "results": results}, f, indent=2)


if __name__ == "__main__":
    main()
