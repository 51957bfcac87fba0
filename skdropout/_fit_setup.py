"""Everything a call settles before its first epoch: the data validated, the
network made or adopted, the validation set, and the trainer."""

from typing import Any, NamedTuple

import scipy.sparse as sp
from sklearn.utils import check_random_state

from . import _early_stopping, _hyperparameters, _network, _validation_set
from ._engine import MinibatchTrainer


class TrainingPlan(NamedTuple):
    """What the epoch loop needs, as :func:`prepare` settled it."""

    trainer: Any  # MinibatchTrainer over the packed network
    flat_params: Any  # the vector coefs_ and intercepts_ are views of
    split: Any  # _validation_set.Split: training rows, validation rows
    batch_size: int
    random_state: Any  # the fit's RandomState, next used to shuffle
    incremental: bool  # a partial_fit call: one epoch
    stale_record: bool  # early stopping's best score must be taken afresh


def prepare(estimator, X, y, sample_weight, incremental, X_val, y_val, sw_val):
    """Validate, make or adopt the network, and build the trainer."""
    est = estimator
    _hyperparameters.check_solver(est)
    _hyperparameters.check_max_norm(est)
    if est.early_stopping and incremental:
        raise ValueError("partial_fit does not support early_stopping=True")
    sizes = _hyperparameters.hidden_layer_sizes(est.hidden_layer_sizes)
    rates = _hyperparameters.dropout_rates(est, len(sizes))
    first_pass = not hasattr(est, "coefs_") or (not est.warm_start and not incremental)
    X, y, sample_weight, fit_weight = est._validate_input(
        X, y, sample_weight, incremental, reset=first_pass
    )
    if sp.issparse(X) and X.format != "csr":
        # Row gathers are cheap in CSR only; this copies the stored entries
        # once per fit, never per epoch.
        X = X.tocsr()
    if y.ndim == 1:
        y = y.reshape((-1, 1))
    # Two output units per target (a mean and a variance) for a loss that
    # learns the noise.
    layer_units = [X.shape[1], *sizes, y.shape[1] * est._outputs_per_target()]
    if not first_pass:
        _network.check_same_architecture(est, layer_units)
        _early_stopping.adopt_rule(est)
    given = None
    if X_val is not None or y_val is not None:
        given = _validation_set.given_set(
            est, X, y, sample_weight, fit_weight, X_val, y_val, sw_val
        )
    elif sw_val is not None:
        raise ValueError(
            "sample_weight_val weights the rows of X_val: pass it together "
            "with X_val and y_val."
        )
    # One RandomState per call, drawn from in a fixed order: initialisation,
    # the validation split, the mask seed, then the shuffles.
    random_state = check_random_state(est.random_state)
    if first_pass:
        _network.initialize(est, y, layer_units, X.dtype, random_state)
    flat_params = _network.packed(est)
    if not incremental or not hasattr(est, "_optimizer"):
        est._optimizer = _network.make_optimizer(est, [flat_params])
    else:
        # The optimizer a partial_fit continues with may have been loaded
        # read-only (joblib.load with mmap_mode), as the parameters may.
        est._optimizer.make_state_writeable()
    split = given
    if split is None:
        split = _validation_set.internal_split(
            est, X, y, sample_weight, fit_weight, random_state
        )
    stale_record = _early_stopping.record_is_stale(
        est, first_pass, given_set=X_val is not None
    )
    _validation_set.start_curves(est, split)
    batch_size = _hyperparameters.batch_size(est, split.X.shape[0])
    trainer = MinibatchTrainer(
        est.coefs_,
        est.intercepts_,
        activation=est.activation,
        out_activation=est.out_activation_,
        loss=est._loss_name(),
        alpha=est.alpha,
        optimizer=est._optimizer,
        batch_size=batch_size,
        dropout_rates=rates,
        max_norm=est.max_norm,
        rng=_hyperparameters.training_mask_rng(random_state, rates, est.t_),
        flat_params=flat_params,
        dropout_type=est.dropout_type,
    )
    return TrainingPlan(
        trainer, flat_params, split, batch_size, random_state, incremental, stale_record
    )
