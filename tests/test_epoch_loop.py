"""The epoch loop (skdropout/_epoch_loop.py): epochs per call, what verbose
prints, and where its warnings point."""

import inspect
import subprocess
import sys
import warnings

import numpy as np
import pytest
from _helpers import (
    DROPOUT,
    SMALL_NET,
    assert_same_parameters,
    partial_fit_kwargs,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import Pipeline

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def test_verbose_prints_the_loss_of_every_epoch(Estimator, Xy, capsys):
    X, y = Xy
    est = Estimator(**{**SMALL_NET, "max_iter": 3}, **DROPOUT, verbose=True)
    est.fit(X, y)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(" = ")[0] for line in lines] == [
        "Iteration 1, loss",
        "Iteration 2, loss",
        "Iteration 3, loss",
    ]
    for line, loss in zip(lines, est.loss_curve_):
        assert float(line.split(" = ")[1]) == pytest.approx(loss, abs=1e-8)


def test_fit_warnings_point_at_the_users_line(Estimator, Xy):
    X, y = Xy
    est = Estimator(**{**SMALL_NET, "max_iter": 1, "batch_size": 10 * len(y)})
    with pytest.warns(UserWarning) as w:  # ConvergenceWarning, batch_size clipped
        est.fit(X, y)
    assert len(w) == 2
    assert {record.filename for record in w} == {__file__}
    with pytest.warns(UserWarning) as w:
        Pipeline([("mlp", est)]).fit(X, y)
    assert ConvergenceWarning in {record.category for record in w}
    assert {record.filename for record in w} == {__file__}


def test_fit_warnings_point_at_the_users_line_through_cross_validation(Estimator, Xy):
    # scikit-learn's cross-validation calls fit through joblib, also with
    # n_jobs=None: the warning names the line that called cross_val_score.
    X, y = Xy
    est = Estimator(**{**SMALL_NET, "max_iter": 1})
    with pytest.warns(ConvergenceWarning) as w:
        cross_val_score(est, X, y, cv=2)
    assert len(w) == 2
    assert {record.filename for record in w} == {__file__}


def test_fit_warnings_show_the_line_of_the_users_call(Estimator, Xy):
    X, y = Xy
    est = Estimator(**{**SMALL_NET, "max_iter": 1})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        line = inspect.currentframe().f_lineno + 1
        est.fit(X, y)
    assert [(w.filename, w.lineno) for w in caught] == [(__file__, line)]


def test_warnings_reach_a_python_dash_c_script():
    # Its __main__ has no source a loader can give.
    script = (
        "from sklearn.datasets import load_iris\n"
        "from skdropout import DropoutMLPClassifier\n"
        "DropoutMLPClassifier(max_iter=1).fit(*load_iris(return_X_y=True))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "<string>:3: ConvergenceWarning: Stochastic Optimizer" in done.stderr


def test_a_module_filter_on_skdropout_silences_its_warnings(Estimator, Xy):
    # As module="sklearn" silences scikit-learn's MLP: the warnings show the
    # user's line but are filed under the skdropout module that raised them.
    X, y = Xy
    est = Estimator(**{**SMALL_NET, "max_iter": 1, "batch_size": 10 * len(y)})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.filterwarnings("ignore", module="skdropout")
        est.fit(X, y)
    assert caught == []


def test_a_module_filter_on_the_users_module_leaves_skdropouts_warnings(Estimator, Xy):
    X, y = Xy
    est = Estimator(**{**SMALL_NET, "max_iter": 1})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.filterwarnings("ignore", module=__name__)
        est.fit(X, y)
    assert [w.category for w in caught] == [ConvergenceWarning]


def test_partial_fit_runs_exactly_one_epoch_per_call(Estimator, Xy):
    X, y = Xy
    est = Estimator(**SMALL_NET, **DROPOUT)
    kwargs = partial_fit_kwargs(Estimator, y)
    t = 0
    for calls, chunk in enumerate(np.array_split(np.arange(X.shape[0]), 3), 1):
        est.partial_fit(X[chunk], y[chunk], **kwargs)
        t += chunk.size
        assert est.n_iter_ == 1
        assert est.t_ == t
        assert len(est.loss_curve_) == calls


def test_partial_fit_is_repeatable_with_an_int_random_state(Estimator, Xy):
    X, y = Xy
    kwargs = partial_fit_kwargs(Estimator, y)
    first = Estimator(**SMALL_NET, **DROPOUT)
    second = Estimator(**SMALL_NET, **DROPOUT)
    for _ in range(3):
        first.partial_fit(X, y, **kwargs)
        second.partial_fit(X, y, **kwargs)
    assert_same_parameters(first, second)
