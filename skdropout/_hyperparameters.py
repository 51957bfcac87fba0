"""Hyperparameters resolved for one network: layer sizes, dropout rates,
batch size and the seed of the dropout masks.

Fitting and Monte Carlo prediction read the rates and the mask seed from
here, so both interpret ``dropout_rate`` and ``input_dropout`` alike.
"""

from numbers import Integral, Real

import numpy as np

from ._utils import warn_at_users_line


def hidden_layer_sizes(sizes):
    """``hidden_layer_sizes`` as a list of positive ints, validated."""
    given = sizes
    if isinstance(sizes, dict | set | frozenset):
        # Iterable, but with no order of layers to give.
        raise TypeError(
            f"hidden_layer_sizes must be an int or a sequence of ints, got {sizes!r}."
        )
    if not hasattr(sizes, "__iter__"):
        sizes = [sizes]
    sizes = list(sizes)
    for size in sizes:
        if not isinstance(size, Integral | np.integer) or isinstance(size, bool):
            raise TypeError(f"hidden_layer_sizes must contain integers, got {given!r}.")
        if size <= 0:
            raise ValueError(f"hidden_layer_sizes must be > 0, got {given!r}.")
    return [int(s) for s in sizes]


def check_solver(estimator):
    """Refuse 'lbfgs', which the parameter check lets through, saying why."""
    if estimator.solver == "lbfgs":
        raise ValueError(
            f"The 'solver' parameter of {type(estimator).__name__} cannot be "
            "'lbfgs': L-BFGS is a full-batch quasi-Newton method, so it has no "
            "minibatches to drop units in. Use solver='adam' (the default) or "
            "'sgd', or scikit-learn's MLP for an L-BFGS fit without dropout."
        )


def hidden_dropout_rates(dropout_rate, n_hidden):
    """One drop probability per hidden layer, validated."""
    rates = dropout_rate
    if isinstance(rates, bool | np.bool_):
        # The parameter check lets False through as the number 0.
        raise TypeError(
            f"dropout_rate must be a float or a sequence of floats, got "
            f"{rates!r}, a bool: give the rate itself (0.0 for no dropout)."
        )
    if isinstance(rates, str | dict | set | frozenset):
        raise TypeError(
            f"dropout_rate must be a float or a sequence of floats, got {rates!r}."
        )
    if isinstance(rates, np.ndarray) and rates.ndim == 0:
        rates = rates.item()  # a 0-d array is one rate, like a float
    if isinstance(rates, Real) and not isinstance(rates, bool):
        rates = [rates] * n_hidden
    elif np.asarray(rates, dtype=object).ndim > 1:
        raise ValueError(
            "dropout_rate must be a float or a one-dimensional sequence of "
            f"floats (one per hidden layer), got {dropout_rate!r}."
        )
    else:
        rates = list(rates)
    if len(rates) != n_hidden:
        raise ValueError(
            f"dropout_rate has {len(rates)} rates but hidden_layer_sizes has "
            f"{n_hidden} hidden layers; give one rate per hidden layer or a "
            "single float."
        )
    checked = []
    for rate in rates:
        if not isinstance(rate, Real | np.floating | np.integer) or isinstance(
            rate, bool
        ):
            raise TypeError(
                f"dropout_rate must contain floats in [0, 1), got {dropout_rate!r}."
            )
        if not 0 <= rate < 1:
            raise ValueError(
                f"every dropout_rate must be in [0, 1), got {dropout_rate!r}."
            )
        checked.append(float(rate))
    return checked


def dropout_rates(estimator, n_hidden):
    """Drop probabilities of the input and of each hidden layer, in order."""
    _refuse_bool("input_dropout", estimator.input_dropout, "0.0 for no dropout")
    return [
        float(estimator.input_dropout),
        *hidden_dropout_rates(estimator.dropout_rate, n_hidden),
    ]


def check_max_norm(estimator):
    """Refuse a bool ``max_norm``, which the parameter check lets through."""
    _refuse_bool("max_norm", estimator.max_norm, "None for no cap")


def _refuse_bool(name, value, off):
    # scikit-learn's Interval(Real, ...) accepts True and False as 1 and 0,
    # so max_norm=True would silently mean a cap of 1 (the default is 3).
    if isinstance(value, bool | np.bool_):
        raise TypeError(
            f"{name} must be a float, got {value!r}, a bool: give the value "
            f"itself ({off})."
        )


def batch_size(estimator, n_samples):
    """The minibatch size for ``n_samples`` training rows."""
    if estimator.batch_size == "auto":
        return min(200, n_samples)
    if estimator.batch_size > n_samples:
        warn_at_users_line(
            "Got `batch_size` less than 1 or larger than "
            "sample size. It is going to be clipped",
        )
    return int(np.clip(estimator.batch_size, 1, n_samples))


def mask_seed(random_state):
    """The one draw from ``random_state`` that seeds a run of dropout masks."""
    return random_state.randint(np.iinfo(np.int32).max)


def training_mask_rng(random_state, rates, t):
    """The generator of a fit's dropout masks; None when no rate is positive.

    Drawn after initialisation and the validation split, and only when
    dropout is on, so that fits without dropout consume the random stream
    exactly as sklearn's MLP does. Mixing in ``t`` (samples seen so far)
    gives each ``partial_fit`` call its own masks even with an int seed.
    """
    if not any(rate > 0 for rate in rates):
        return None
    return np.random.default_rng([mask_seed(random_state), t])
