"""The epoch loop: epochs run, recorded, checked for divergence and handed
to the stopping rule and to scikit-learn's callbacks.

What a call that fails leaves behind is decided in :mod:`._fit_state`;
when to stop, in :mod:`._early_stopping`; what counts as diverged, in
:mod:`._divergence`.
"""

import copy
import functools

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from . import _divergence, _hyperparameters, _scale_advice, _validation_set
from ._blowup import BlowUpRule
from ._constant_baseline import warn_if_stopped_with_little_to_show
from ._dead_network import warn_if_dead
from ._early_stopping import EarlyStopping, counts_toward_stopping, dropout_free_loss
from ._engine import Checkpoint
from ._probe import TrainingProbe
from ._utils import warn_at_users_line


def run_epochs(estimator, plan, call):
    """Train epoch after epoch as ``plan`` says; ``call`` is the call's state."""
    est = estimator
    trainer, split = plan.trainer, plan.split
    X, y, sample_weight = split.X, split.y, split.fit_weight
    n_samples = X.shape[0]
    order = np.arange(n_samples) if est.shuffle else None
    # Callbacks see the training data with its original labels, made only
    # if a callback asks for them.
    hook_data = {
        "X": X,
        "y": lambda: est._decoded_targets(y),
        "metadata": None
        if split.sample_weight is None
        else {"sample_weight": split.sample_weight},
    }
    probe = TrainingProbe(est, trainer, X, y, sample_weight)
    judged_loss = counts = None
    rates = _hyperparameters.dropout_rates(est, len(est.coefs_) - 1)
    if not est.early_stopping and any(rate > 0 for rate in rates):
        judged_loss = dropout_free_loss(probe)
        counts = counts_toward_stopping(probe)
    stopping = EarlyStopping(est, judged_loss, counts)
    call.watch(stopping)
    fitted_copy = functools.partial(_fitted_copy_attributes, est, stopping)
    with call.refused_on_failure():
        fit_ctx = est._init_callback_context(
            task_name="partial_fit" if plan.incremental else "fit",
            max_subtasks=1 if plan.incremental else est.max_iter,
        )
        fit_ctx.call_on_fit_task_begin(estimator=est, **hook_data)
        # The starting weights (Glorot's, or a warm start's under another
        # cap) are what early stopping and a diverged fit may fall back to:
        # they must satisfy the constraint too.
        changed = call.project_start(trainer, plan.flat_params)
        stopping.start(
            stale_record=plan.stale_record,
            start_changed=changed,
            score_start=lambda: _validation_set.metrics(est, split, trainer),
        )
        # The state at the end of the last completed epoch: what a diverged
        # or interrupted fit falls back to.
        checkpoint = Checkpoint([plan.flat_params], est._optimizer)
    # A partial_fit call is one epoch, checked before the checkpoint moves
    # on: its start can wait there until the rule asks for it, which spares
    # a short call a pass over the probe rows.
    start = (
        functools.partial(probe.score_saved, checkpoint)
        if plan.incremental
        else probe.score()
    )
    # Saturated epochs in a row carry over from one partial_fit call to the
    # next, as the epochs of one fit.
    blowup = BlowUpRule(
        est._loss_name(),
        start,
        probe.Y,
        saturated_epochs=getattr(est, "_saturated_epochs", 0)
        if plan.incremental
        else 0,
    )
    est.n_iter_ = 0
    stopped_early = False
    try:
        for _ in range(est.max_iter):
            epoch_ctx = fit_ctx.subcontext(task_name="epoch")
            try:
                epoch_ctx.call_on_fit_task_begin(estimator=est, **hook_data)
            except Exception:
                # Refused as the first epoch begins: as if refused at setup.
                # (A KeyboardInterrupt is an interrupt, handled below.)
                if est.n_iter_ == 0:
                    call.refuse()
                raise
            if order is not None:
                plan.random_state.shuffle(order)
            loss = trainer.run_epoch(X, y, sample_weight, plan.batch_size, order)
            sign = _divergence.sign(
                est,
                loss,
                trainer.epoch_penalty,
                plan.flat_params,
                probe,
                blowup,
                checkpoint,
            )
            validation = None
            if sign is None and split.X_val is not None:
                validation = _validation_set.metrics(est, split, trainer)
                if validation is None:
                    sign = _divergence.validation_sign(loss)
            if sign is not None:
                weights_non_finite = not np.isfinite(plan.flat_params).all()
                checkpoint.restore()
                if stopping.has_validated_weights():
                    # As scikit-learn's MLP: the epoch is recorded, with a
                    # NaN validation score, and the best validated weights
                    # are kept; callbacks see the state the fit returns.
                    _record_epoch(est, loss, n_samples)
                    _validation_set.record_failed_epoch(est)
                    stopping.restore_best()
                    epoch_ctx.call_on_fit_task_end(
                        estimator=est,
                        **hook_data,
                        reconstruction_attributes=fitted_copy,
                    )
                    warn_at_users_line(
                        _divergence.message(est, sign, best=True),
                        ConvergenceWarning,
                    )
                    break
                epoch_ctx.call_on_fit_task_end(estimator=est)
                raise ValueError(
                    _divergence.message(
                        est, sign, weights_non_finite=weights_non_finite
                    )
                )
            checkpoint.save()
            _record_epoch(est, loss, n_samples)
            _validation_set.record(est, validation)
            est._saturated_epochs = blowup.saturated_epochs
            est._optimizer.iteration_ends(est.t_)
            plateau_stop = stopping.stop()
            callback_stop = epoch_ctx.call_on_fit_task_end(
                estimator=est, **hook_data, reconstruction_attributes=fitted_copy
            )
            ends = plateau_stop or est.n_iter_ == est.max_iter
            if ends and not plan.incremental and not stopping.has_validated_weights():
                # Too few saturated epochs for the rule, but the fit ends on
                # them. (Early stopping puts back its best weights instead;
                # a callback that stops the fit has its own reasons.)
                ended_sign = blowup.ended_saturated()
                if ended_sign is not None:
                    raise ValueError(_divergence.ended_message(est, ended_sign))
            if plateau_stop or callback_stop or plan.incremental:
                stopped_early = plateau_stop and not plan.incremental
                break
            if est.n_iter_ == est.max_iter:
                # scikit-learn's words, then (beyond them) which data are far
                # from unit scale, if any: the likely cause.
                remedy = _scale_advice.advice(est, probe)
                warn_at_users_line(
                    f"Stochastic Optimizer: Maximum iterations ({est.max_iter})"
                    " reached and the optimization hasn't converged yet."
                    + ("" if remedy is None else f" {remedy}."),
                    ConvergenceWarning,
                )
    except KeyboardInterrupt:
        call.interrupted(checkpoint)
    except BaseException:
        call.failed()
        raise
    finally:
        if not plan.incremental:
            # Rebuilt on the next update; a fitted model need not carry it
            # (kept between partial_fit calls, which would each remake and
            # page in a new one).
            trainer.release_workspace()
    stopping.restore_best()
    # The probe last scored the weights of the last completed epoch, which
    # a fit keeps unless early stopping has put its best ones back.
    if est.early_stopping:
        probe.score()
    warn_if_dead(est, probe.output, X)
    if stopped_early:
        warn_if_stopped_with_little_to_show(est, probe)
    fit_ctx.call_on_fit_task_end(
        estimator=est, **hook_data, reconstruction_attributes=fitted_copy
    )


def _record_epoch(estimator, loss, n_samples):
    estimator.loss_ = loss
    estimator.n_iter_ += 1
    estimator.t_ += n_samples
    estimator.loss_curve_.append(loss)
    if estimator.verbose:
        print(f"Iteration {estimator.n_iter_}, loss = {loss:.8f}")


def _fitted_copy_attributes(estimator, stopping):
    """What a callback's ``fitted_estimator`` holds beyond a shallow copy.

    It must look like a fit stopped after this epoch, and stay so while
    training goes on in place: copies of everything mutable, and with early
    stopping the best epoch's weights, which a stopped fit keeps.
    """
    coefs, intercepts = stopping.best_weights()
    attributes = {
        "coefs_": [c.copy() for c in coefs],
        "intercepts_": [b.copy() for b in intercepts],
        "loss_curve_": list(estimator.loss_curve_),
        "_optimizer": copy.deepcopy(estimator._optimizer),
    }
    for name in ("validation_scores_", "validation_loss_curve_"):
        curve = getattr(estimator, name)
        attributes[name] = None if curve is None else list(curve)
    return attributes
