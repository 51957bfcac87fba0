"""Searches spread over processes: joblib (loky, Dask) and a shared Optuna study."""

import subprocess
import sys

import joblib
import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skdropout import DropoutMLPClassifier

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

GRID = {"dropout_rate": [0.0, 0.5], "max_norm": [None, 1.0]}


@pytest.fixture
def small_digits():
    """300 digits, pixels scaled to [0, 1]."""
    X, y = load_digits(return_X_y=True)
    return X[:300] / 16.0, y[:300]


def small_net():
    return DropoutMLPClassifier(
        hidden_layer_sizes=(16,), max_iter=10, learning_rate_init=0.01, random_state=0
    )


def grid_search(n_jobs=None):
    return GridSearchCV(small_net(), GRID, cv=3, n_jobs=n_jobs)


# ------------------------------------------------------------------ joblib
def test_grid_search_with_two_loky_workers_matches_one_process(small_digits):
    X, y = small_digits
    serial = grid_search().fit(X, y)
    with joblib.parallel_backend("loky"):
        parallel = grid_search(n_jobs=2).fit(X, y)
    assert parallel.best_params_ == serial.best_params_
    assert_allclose(
        parallel.cv_results_["mean_test_score"], serial.cv_results_["mean_test_score"]
    )
    assert parallel.best_estimator_.n_iter_ == serial.best_estimator_.n_iter_


def test_cross_val_score_with_two_loky_workers_matches_one_process(small_digits):
    X, y = small_digits
    pipe = make_pipeline(StandardScaler(), small_net().set_params(dropout_rate=0.3))
    serial = cross_val_score(pipe, X, y, cv=3)
    with joblib.parallel_backend("loky"):
        parallel = cross_val_score(pipe, X, y, cv=3, n_jobs=2)
    assert parallel.shape == (3,)
    assert_allclose(parallel, serial)


def test_grid_search_on_a_dask_cluster_finds_the_local_best_params(small_digits):
    distributed = pytest.importorskip(
        "dask.distributed",
        reason="the Dask backend needs dask[distributed] (a dev dependency)",
    )
    X, y = small_digits
    local = grid_search(n_jobs=2).fit(X, y)
    with (
        distributed.LocalCluster(
            n_workers=2,
            processes=True,
            threads_per_worker=1,
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        client.wait_for_workers(2)
        workers = set(client.scheduler_info()["workers"])
        with (
            distributed.get_task_stream(client) as tasks,
            joblib.parallel_backend("dask"),
        ):
            on_dask = grid_search(n_jobs=-1).fit(X, y)
        # The fits ran as tasks on the cluster's worker processes.
        assert tasks.data
        assert {task["worker"] for task in tasks.data} <= workers
    assert on_dask.best_params_ == local.best_params_
    assert_allclose(
        on_dask.cv_results_["mean_test_score"], local.cv_results_["mean_test_score"]
    )


# ------------------------------------------------- Optuna, shared storage
# One worker of a study shared through a journal file: it loads the study and
# runs its trials. Two of them run at once, as they would on two machines.
WORKER = """
import os, sys, time, warnings
import optuna
from optuna.storages import JournalStorage
from optuna.storages.journal import JournalFileBackend
from sklearn.datasets import load_digits
from skdropout import DropoutMLPClassifier
from skdropout.tuning import OptunaPruningCallback, suggest_params

journal, study_name, n_trials, ready_dir, seed = sys.argv[1:]
warnings.simplefilter("ignore")
optuna.logging.set_verbosity(optuna.logging.WARNING)
X, y = load_digits(return_X_y=True)
X, y = X[:300] / 16.0, y[:300]

def objective(trial):
    trial.set_user_attr("pid", os.getpid())
    clf = DropoutMLPClassifier(
        **suggest_params(trial), early_stopping=True, max_iter=6, random_state=0
    ).set_callbacks(OptunaPruningCallback(trial))
    clf.fit(X, y)
    return clf.best_validation_score_

study = optuna.load_study(
    study_name=study_name,
    storage=JournalStorage(JournalFileBackend(journal)),
    sampler=optuna.samplers.RandomSampler(seed=int(seed)),
    pruner=optuna.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=1),
)
# Start together: wait until both workers have loaded the study.
open(os.path.join(ready_dir, seed), "w").close()
deadline = time.monotonic() + 60
while len(os.listdir(ready_dir)) < 2 and time.monotonic() < deadline:
    time.sleep(0.01)
study.optimize(objective, n_trials=int(n_trials))
"""


def test_two_processes_share_one_study_through_a_journal_file(
    tmp_path, child_environment
):
    optuna = pytest.importorskip(
        "optuna", reason="optuna is an optional extra: pip install '.[optuna]'"
    )
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    journal = str(tmp_path / "study.log")
    ready = tmp_path / "ready"
    ready.mkdir()
    n_trials = 4
    storage = JournalStorage(JournalFileBackend(journal))
    optuna.create_study(study_name="shared", storage=storage, direction="maximize")

    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, journal, "shared", str(n_trials), str(ready)]
            + [str(seed)],
            cwd=tmp_path,
            env=child_environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for seed in (1, 2)
    ]
    for worker in workers:
        _, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, err

    trials = optuna.load_study(study_name="shared", storage=storage).trials
    states = optuna.trial.TrialState
    assert len(trials) == 2 * n_trials
    assert sorted(t.number for t in trials) == list(range(2 * n_trials))
    assert all(t.state in (states.COMPLETE, states.PRUNED) for t in trials)
    pids = {worker.pid for worker in workers}
    by_pid = {pid: [t for t in trials if t.user_attrs["pid"] == pid] for pid in pids}
    assert all(len(mine) == n_trials for mine in by_pid.values())
    # The two workers ran at the same time, not one after the other.
    spans = [
        (min(t.datetime_start for t in mine), max(t.datetime_complete for t in mine))
        for mine in by_pid.values()
    ]
    assert spans[0][0] < spans[1][1] and spans[1][0] < spans[0][1]
    assert np.isfinite(max(t.value for t in trials if t.state == states.COMPLETE))
