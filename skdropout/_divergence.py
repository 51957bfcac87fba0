"""Divergence: what shows that an epoch failed, and what a failed fit says.

After every epoch the loop asks :func:`sign`. A failed epoch is undone (the
epoch loop puts back the checkpoint of the last completed epoch). Without a
validation record the fit then raises ``ValueError`` with :func:`message`;
with early stopping's record of validated weights it keeps the best of them
and warns instead (:func:`message` with ``best=True``), as scikit-learn's
MLP does since its issue 29504.

The signs, in the order they are checked: a non-finite training loss,
non-finite weights, non-finite outputs on the probe rows, an optimizer whose
moment estimates overflowed (Adam's steps are then 0 or NaN while the
weights stay finite), an epoch that changed no weight while the loss is
above ``tol`` (a stalled fit), and a finite blow-up (:mod:`._blowup`).
"""

import math

import numpy as np

# scikit-learn's MLP raises with these words when its weights become
# non-finite; code written against its message keeps matching ours.
SKLEARN_NON_FINITE = (
    "Solver produced non-finite parameter weights. The input data may contain "
    "large values and need to be preprocessed."
)

# Marks the sign of an epoch that changed no weight: a failed fit, but one
# that stalled rather than diverged, with the opposite remedy.
_STALLED = "stalled: "


def sign(estimator, loss, penalty, flat_params, probe, blowup, checkpoint):
    """What shows that the last epoch failed, or None if nothing does.

    ``loss`` is the epoch's training loss, ``penalty`` the L2 penalty's share
    of it. ``checkpoint`` still holds the state from before the epoch;
    ``blowup`` is the call's :class:`~._blowup.BlowUpRule`; ``probe`` the
    call's :class:`~._probe.TrainingProbe`, scored here.
    """
    if not math.isfinite(loss):
        return f"the training loss became {loss} (non-finite)"
    if not np.isfinite(flat_params).all():
        return f"the weights became non-finite (training loss {loss:.4g})"
    # The epoch loss is measured before each update, so weights that the
    # epoch's last updates made finite but huge would slip through; the
    # probe's dropout-free pass after the epoch catches them.
    probe_output = probe.score()
    if not np.isfinite(probe_output).all():
        return (
            "the weights grew so large that the network's outputs overflowed "
            f"(training loss {loss:.4g})"
        )
    if not checkpoint.optimizer_state_is_finite():
        return (
            "the optimizer's moment estimates overflowed (the gradients are too "
            f"large for {flat_params.dtype}), so its updates were zero or "
            f"non-finite (training loss {loss:.4g})"
        )
    if loss > estimator.tol and checkpoint.params_unchanged():
        # Exactly zero updates everywhere: the steps underflowed, or the
        # gradients vanished, while the loss still had room to fall.
        return (
            f"{_STALLED}no weight changed in the whole epoch although the "
            f"training loss ({loss:.4g}) is above tol={estimator.tol}"
        )
    return blowup.sign(loss - penalty, probe.loss())


def validation_sign(loss):
    """The sign of a network whose validation outputs overflowed."""
    return (
        "the network's outputs on the validation set "
        f"overflowed (training loss {loss:.4g})"
    )


def ended_message(estimator, sign):
    """What a fit says that ended on a blown-up epoch, whose weights it keeps."""
    return (
        f"Training ended in epoch {estimator.n_iter_} but {sign}. Lower "
        f"learning_rate_init (now {estimator.learning_rate_init}), standardise "
        "the inputs, or bound the weights with max_norm (for example 3.0)."
    )


def message(estimator, sign, *, best=False, weights_non_finite=False):
    """What a failed fit says.

    ``best``: the failed epoch is recorded and the best validated weights
    were kept (a warning's text); otherwise the last completed epoch's
    weights were (an error's). ``weights_non_finite`` puts scikit-learn's
    two sentences first.
    """
    if best:
        epoch = estimator.n_iter_
        kept = (
            "the weights that scored best on the validation set (validation "
            f"score {estimator.best_validation_score_:.4g})"
        )
    else:
        epoch = estimator.n_iter_ + 1
        kept = (
            f"the weights from the end of epoch {estimator.n_iter_}"
            if estimator.n_iter_
            else "the initial weights"
        )
    if sign.startswith(_STALLED):
        text = (
            f"Training stalled in epoch {epoch}: {sign[len(_STALLED) :]}, so "
            f"training stopped and {kept} were kept. Raise learning_rate_init "
            f"(now {estimator.learning_rate_init}){_step_shrinkers(estimator)}: "
            f"steps too small for the weights' {estimator.coefs_[0].dtype} "
            "round away; or, if every hidden unit is inactive, try another "
            "random_state or activation."
        )
    else:
        text = (
            f"Training diverged in epoch {epoch}: {sign}, so training stopped "
            f"and {kept} were restored. Lower learning_rate_init (now "
            f"{estimator.learning_rate_init}), standardise the inputs (and scale "
            "a regressor's targets), or bound the weights with max_norm (for "
            "example 3.0)."
        )
    if weights_non_finite:
        text = f"{SKLEARN_NON_FINITE} {text}"
    return text


def _step_shrinkers(estimator):
    """The settings besides ``learning_rate_init`` that shrink every step.

    Named in a stalled fit's advice only when they are not at values that
    leave the step its size: the invscaling schedule's ``power_t`` (the step
    falls as ``t ** -power_t``, ``t`` the samples seen) and Adam's
    ``epsilon`` (the step is at most about ``learning_rate_init *
    |gradient| / epsilon`` once epsilon dwarfs the gradients' root mean
    square; the default, 1e-8, never stalls a fit).
    """
    if estimator.solver == "sgd" and estimator.learning_rate == "invscaling":
        return f", or lower power_t (now {estimator.power_t})"
    if estimator.solver == "adam" and estimator.epsilon > 1e-3:
        return f", or lower epsilon (now {estimator.epsilon})"
    return ""
