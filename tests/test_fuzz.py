"""Property tests over random problems and random hyper-parameters.

Whatever the shapes, dtypes, network and dropout settings, a fit either
succeeds and predicts finite outputs of the right shape and dtype, or fails
with one of the documented ValueErrors (an early-stopping split that tiny data
cannot make, or a diverged training run).

The default profile runs 50 examples per test. For a long run::

    SKDROPOUT_FUZZ=long pytest tests/test_fuzz.py --hypothesis-show-statistics
"""

import os
import re
import warnings
from contextlib import contextmanager

import numpy as np
import scipy.sparse as sp
from hypothesis import HealthCheck, Phase, event, example, given, settings
from hypothesis import strategies as st
from sklearn.exceptions import ConvergenceWarning

from skdropout import DropoutMLPClassifier, DropoutMLPRegressor

# The default profile is derandomized, so that a plain test run always checks
# the same examples; the long profile explores new ones on every run.
settings.register_profile(
    "skdropout-fuzz",
    max_examples=50,
    derandomize=True,
    print_blob=True,
    deadline=None,
    # No "explain" phase: it reruns a failing example hundreds of times.
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "skdropout-fuzz-long",
    parent=settings.get_profile("skdropout-fuzz"),
    max_examples=1000,
    derandomize=False,
)
# Applied per test rather than loaded, so that the other hypothesis tests of
# the suite keep their own settings.
FUZZ = settings.get_profile(
    "skdropout-fuzz-long"
    if os.environ.get("SKDROPOUT_FUZZ", "").lower() == "long"
    else "skdropout-fuzz"
)

TASKS = ["binary", "multiclass", "multilabel", "regression", "multioutput"]
CLASSIFICATION = {"binary", "multiclass", "multilabel"}

# The errors a valid call may still raise, and only those.
DOCUMENTED_ERRORS = re.compile(
    r"validation_fraction|validation set is too small|Training diverged"
)


# -------------------------------------------------------------- strategies
@st.composite
def problems(draw, tasks=TASKS):
    """X, y and the task name, made from drawn shapes, scales and a seed."""
    task = draw(st.sampled_from(tasks))
    n_samples = draw(st.integers(2, 40))
    n_features = draw(st.integers(1, 8))
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    scale = draw(st.sampled_from([1e-3, 1.0, 10.0]))
    layout = draw(st.sampled_from(["dense", "fortran", "csr", "csc"]))
    rng = np.random.RandomState(draw(st.integers(0, 2**32 - 1)))

    X = (rng.normal(size=(n_samples, n_features)) * scale).astype(dtype)
    if layout in ("csr", "csc"):
        X[rng.uniform(size=X.shape) < 0.5] = 0
        X = sp.csr_matrix(X) if layout == "csr" else sp.csc_matrix(X)
    elif layout == "fortran":
        X = np.asfortranarray(X)

    if task in ("binary", "multiclass"):
        n_classes = 2 if task == "binary" else draw(st.integers(3, 5))
        codes = rng.randint(n_classes, size=n_samples)
        codes[:2] = [0, 1]  # at least two classes: one class is a bad input
        labels = draw(
            st.sampled_from(
                [
                    np.arange(n_classes),
                    np.array([f"class_{i}" for i in range(n_classes)]),
                    # Floats must be whole numbers: sklearn treats others as
                    # a continuous target.
                    np.arange(n_classes) * 2.0 - 1.0,
                ]
            )
        )
        y = labels[codes]
    elif task == "multilabel":
        y = rng.randint(2, size=(n_samples, draw(st.integers(2, 4))))
    elif task == "regression":
        y = rng.normal(size=n_samples) * draw(st.sampled_from([1.0, 100.0]))
    else:
        y = rng.normal(size=(n_samples, draw(st.integers(2, 3))))
    return X, y, task


@st.composite
def hyper_parameters(draw, max_norm, allow_early_stopping=True):
    hidden = tuple(draw(st.lists(st.integers(1, 16), min_size=0, max_size=3)))
    rate = st.floats(0.0, 0.9)
    dropout_rate = draw(
        st.one_of(rate, st.lists(rate, min_size=len(hidden), max_size=len(hidden)))
    )
    solver = draw(st.sampled_from(["sgd", "adam"]))
    params = {
        "hidden_layer_sizes": hidden,
        "dropout_rate": dropout_rate,
        "input_dropout": draw(st.floats(0.0, 0.9)),
        "max_norm": draw(max_norm),
        "solver": solver,
        "batch_size": draw(st.one_of(st.just("auto"), st.integers(1, 50))),
        "activation": draw(st.sampled_from(["identity", "logistic", "tanh", "relu"])),
        "alpha": draw(st.sampled_from([0.0, 1e-4, 0.1])),
        # Large steps make some runs diverge, which must be handled too.
        "learning_rate_init": draw(st.sampled_from([1e-3, 1e-2, 1.0, 100.0])),
        "max_iter": draw(st.integers(1, 5)),
        "shuffle": draw(st.booleans()),
        "early_stopping": allow_early_stopping and draw(st.booleans()),
        "random_state": draw(st.integers(0, 2**31 - 1)),
    }
    if solver == "sgd":
        params["learning_rate"] = draw(
            st.sampled_from(["constant", "invscaling", "adaptive"])
        )
        params["momentum"] = draw(st.sampled_from([0.0, 0.9]))
    return params


# ----------------------------------------------------------------- checks
def make_estimator(task, params):
    if task in CLASSIFICATION:
        return DropoutMLPClassifier(**params)
    return DropoutMLPRegressor(**params)


@contextmanager
def expected_warnings_silenced():
    """Silence the warnings a tiny, short fit is expected to give.

    RuntimeWarning (overflow, invalid value) stays an error, as configured in
    pyproject.toml.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.filterwarnings(
            "ignore", message=".*batch_size.*clipped", category=UserWarning
        )
        yield


def check_outputs(est, X, y, task):
    """Finite outputs of the right shape and dtype."""
    n_samples = X.shape[0]
    y_pred = est.predict(X)
    assert y_pred.shape == y.shape
    assert all(p.dtype == X.dtype for p in est.coefs_ + est.intercepts_)
    if task not in CLASSIFICATION:
        assert y_pred.dtype == X.dtype
        assert np.isfinite(y_pred).all()
        return

    proba = est.predict_proba(X)
    assert proba.dtype == X.dtype
    assert np.isfinite(proba).all()
    assert ((proba >= 0) & (proba <= 1)).all()
    if task == "multilabel":
        assert proba.shape == y.shape
        assert set(np.unique(y_pred)) <= {0, 1}
        return
    classes = np.unique(y)
    assert proba.shape == (n_samples, len(classes))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(est.classes_, classes)
    assert y_pred.dtype == y.dtype
    assert set(y_pred) <= set(classes)
    np.testing.assert_array_equal(y_pred, est.classes_[proba.argmax(axis=1)])


def check_documented_error(exc, est, X, task):
    """A ValueError the docs promise, leaving a fitted model usable if any."""
    assert isinstance(exc, ValueError), repr(exc)
    match = DOCUMENTED_ERRORS.search(str(exc))
    assert match, str(exc)
    event(f"outcome: {match.group(0)}")
    if "diverged" in str(exc):
        y_pred = est.predict(X)
        assert y_pred.shape[0] == X.shape[0]
        if task not in CLASSIFICATION:
            assert np.isfinite(y_pred).all()


# ------------------------------------------------------------------- tests
BOUNDED = st.floats(0.1, 5.0)
UNBOUNDED = st.none()

# A network whose weights blow up to huge but finite values in one update: fit
# must report the divergence (its outputs overflow) and keep finite weights.
_rng = np.random.RandomState(0)
BLOW_UP_PROBLEM = (
    (_rng.normal(size=(20, 2)) * 10).astype(np.float32),
    _rng.normal(size=20),
    "regression",
)
BLOW_UP_PARAMS = {
    "hidden_layer_sizes": (4, 4),
    "dropout_rate": 0.0,
    "input_dropout": 0.0,
    "max_norm": None,
    "solver": "sgd",
    "batch_size": 20,
    "activation": "identity",
    "alpha": 0.0,
    "learning_rate_init": 1e12,
    "max_iter": 1,
    "shuffle": False,
    "early_stopping": False,
    "random_state": 0,
    "learning_rate": "constant",
    "momentum": 0.0,
}


def check_fit_then_predict(problem, params):
    X, y, task = problem
    event(f"task: {task}")
    est = make_estimator(task, params)
    with expected_warnings_silenced():
        try:
            est.fit(X, y)
        except ValueError as exc:
            check_documented_error(exc, est, X, task)
            return
        event("outcome: fitted")
        assert 1 <= est.n_iter_ <= params["max_iter"]
        assert len(est.loss_curve_) == est.n_iter_
        assert np.isfinite(est.loss_curve_).all()
        check_outputs(est, X, y, task)


def check_partial_fit(problem, params, weight_seed):
    X, y, task = problem
    event(f"task: {task}")
    rng = np.random.RandomState(weight_seed)
    sample_weight = rng.uniform(0, 2, size=X.shape[0])
    sample_weight[rng.uniform(size=X.shape[0]) < 0.3] = 0  # some rows ignored
    sample_weight[0] = 1.0  # ... but not all of them
    est = make_estimator(task, {**params, "early_stopping": False})
    kwargs = {}
    if task in ("binary", "multiclass"):
        kwargs["classes"] = np.unique(y)
    elif task == "multilabel":
        kwargs["classes"] = np.arange(y.shape[1])
    with expected_warnings_silenced():
        for _ in range(2):
            try:
                est.partial_fit(X, y, sample_weight=sample_weight, **kwargs)
            except ValueError as exc:
                check_documented_error(exc, est, X, task)
                return
            assert est.n_iter_ == 1
        event("outcome: fitted")
        assert np.isfinite(est.loss_curve_).all()
        check_outputs(est, X, y, task)


@FUZZ
@given(problem=problems(), params=hyper_parameters(BOUNDED))
def test_fit_then_predict_succeeds_or_raises_a_documented_error(problem, params):
    check_fit_then_predict(problem, params)


@FUZZ
@example(problem=BLOW_UP_PROBLEM, params=BLOW_UP_PARAMS)
@given(problem=problems(), params=hyper_parameters(UNBOUNDED))
def test_fit_then_predict_without_max_norm(problem, params):
    check_fit_then_predict(problem, params)


@FUZZ
@given(
    problem=problems(),
    params=hyper_parameters(BOUNDED, allow_early_stopping=False),
    weight_seed=st.integers(0, 2**32 - 1),
)
def test_partial_fit_with_sample_weights_gives_finite_outputs(
    problem, params, weight_seed
):
    check_partial_fit(problem, params, weight_seed)


@FUZZ
@example(problem=BLOW_UP_PROBLEM, params=BLOW_UP_PARAMS, weight_seed=0)
@given(
    problem=problems(),
    params=hyper_parameters(UNBOUNDED, allow_early_stopping=False),
    weight_seed=st.integers(0, 2**32 - 1),
)
def test_partial_fit_with_sample_weights_without_max_norm(problem, params, weight_seed):
    check_partial_fit(problem, params, weight_seed)


def test_profile_is_selected_by_the_environment():
    long = os.environ.get("SKDROPOUT_FUZZ", "").lower() == "long"
    assert FUZZ.max_examples == (1000 if long else 50)
