"""A fit that stopped early no better than a constant: said aloud.

On inputs far from unit scale a network can start confidently wrong and
stay there for more epochs than ``n_iter_no_change``; with
``early_stopping`` (whose rule is scikit-learn's) the validation score then
does not improve either, and the fit stops with a model worse than
predicting the class frequencies, or the mean target, for every sample:
about 0.4 accuracy on unscaled wine, for scikit-learn's MLP as for ours,
without a word. Only a fit that the stopping rule ended is looked at: one
that ran to ``max_iter`` already warns, and a network whose outputs are the
same on every row gets the dead-layer warning instead (:mod:`._dead_network`).

The constant's loss also says when ``tol``, which is absolute, was too
coarse to judge the fit: a target of small spread makes every loss small,
and a fit stopped on a plateau of such a loss may have barely begun. And
a fit stopped barely fitted, its loss still above a tenth of the
constant's, on data far from unit scale (:mod:`._scale_advice`) has the
likely cause named.
"""

from sklearn.base import is_classifier
from sklearn.exceptions import ConvergenceWarning

from ._scale_advice import advice
from ._utils import warn_at_users_line


def warn_if_stopped_with_little_to_show(estimator, probe):
    """After a fit the stopping rule ended: the first warning that applies.

    At most one: no better than a constant; else (judging the training
    loss, without ``early_stopping``) a ``tol`` too coarse for the loss;
    else barely fitted on data far from unit scale. ``probe`` is the fit's
    :class:`~._probe.TrainingProbe`, last scored on the weights the fit
    keeps.

    Returns whether it warned.
    """
    name = "the class frequencies" if is_classifier(estimator) else "the mean target"
    if warn_if_no_better_than_constant(estimator, probe, name):
        return True
    if not estimator.early_stopping and warn_if_tol_too_coarse(estimator, probe, name):
        return True
    return warn_if_unfitted_far_from_unit_scale(estimator, probe, name)


def warn_if_no_better_than_constant(estimator, probe, constant_name):
    """Warn if the fitted network scores no better than a constant.

    ``probe`` is the fit's :class:`~._probe.TrainingProbe`, last scored on
    the weights the fit keeps; ``constant_name`` says what the constant
    predicts ("the class frequencies", "the mean target").
    The advice names the feature or target far from unit scale, the likely
    cause, when the probe rows show one (:mod:`._scale_advice`).

    Returns whether it warned.
    """
    if not probe.no_better_than_a_constant():
        return False
    loss, constant = probe.loss(weighted=True), probe.constant_loss()
    # Name the data far from unit scale, the likely cause, when there are any.
    remedy = advice(estimator, probe)
    if remedy is None:
        remedy = "Standardise the inputs (a StandardScaler in a pipeline)"
    warn_at_users_line(
        f"Training stopped early, after {estimator.n_iter_} epochs, while the "
        f"network's loss on the training data ({loss:.4g}) is no lower than "
        f"that of predicting {constant_name} for every sample ({constant:.4g}). "
        f"{remedy}, or raise n_iter_no_change (now {estimator.n_iter_no_change}).",
        ConvergenceWarning,
    )
    return True


# Without early stopping the rule judges the training loss against the
# absolute ``tol``. Where predicting a constant already costs little (a
# target of small spread: half its variance), ``tol`` is a large share of
# all the loss there is to lose, and the rule stops fits that are still
# improving. Beyond COARSE_SHARE of the constant's loss, ``tol`` is too
# coarse to see 1% progress (at the default 1e-4: a standardised target's
# constant loss is 0.5, a target of standard deviation 0.14 is at the
# limit); a fit whose loss is still above UNFITTED_SHARE of the constant's
# (an R^2 below 0.9 on the training rows, for squared error) then warns.
COARSE_SHARE = 0.01
UNFITTED_SHARE = 0.1


def warn_if_tol_too_coarse(estimator, probe, constant_name):
    """Warn if ``tol`` was too coarse for a loss this small to judge the fit.

    For a fit the stopping rule ended while judging the training loss (no
    ``early_stopping``, whose validation score does not depend on the
    targets' scale). ``probe`` and ``constant_name`` as for
    :func:`warn_if_no_better_than_constant`, which takes precedence.

    Returns whether it warned.
    """
    losses = _barely_fitted(probe)
    tol = estimator.tol
    if losses is None or not tol > COARSE_SHARE * losses[1]:
        return False
    loss, constant = losses
    remedy = advice(estimator, probe)
    action = "Lower tol" if remedy is None else f"{remedy}, or lower tol"
    warn_at_users_line(
        f"Training stopped early, after {estimator.n_iter_} epochs, as its "
        f"training loss did not improve more than tol={tol} for "
        f"{estimator.n_iter_no_change} consecutive epochs. But tol is "
        f"{tol / constant:.1%} of the loss of predicting {constant_name} for "
        f"every sample ({constant:.3g}), too coarse to see the progress of a "
        "loss this small, and the network's loss on the training data "
        f"({loss:.3g}) is still {loss / constant:.0%} of that. {action}.",
        ConvergenceWarning,
    )
    return True


def warn_if_unfitted_far_from_unit_scale(estimator, probe, constant_name):
    """Warn if a fit stopped early, barely fitted, on data far from unit scale.

    The stopping rule can end a fit on a plateau that the scale of its
    data made: inputs in the hundreds swamp the first layer, and it learns
    little more. Such a fit is better than a constant, so
    :func:`warn_if_no_better_than_constant` is silent, and scikit-learn's
    MLP says nothing either. When the network's loss on the probe rows is
    still above ``UNFITTED_SHARE`` of the constant prediction's and
    :func:`~._scale_advice.advice` finds data far from unit scale, the
    warning names them. A fit that went far (digits as they come, whose
    pixels reach a mean of 12.6, stops under a tenth of the constant's
    loss) gets no warning.

    Returns whether it warned.
    """
    losses = _barely_fitted(probe)
    remedy = None if losses is None else advice(estimator, probe)
    if remedy is None:
        return False
    loss, constant = losses
    warn_at_users_line(
        f"Training stopped early, after {estimator.n_iter_} epochs, with the "
        f"network's loss on the training data ({loss:.3g}) still "
        f"{loss / constant:.0%} of that of predicting {constant_name} for every "
        f"sample ({constant:.3g}). {remedy}.",
        ConvergenceWarning,
    )
    return True


def _barely_fitted(probe):
    """The probe rows' ``(loss, constant's loss)`` if the network barely fits.

    That is, if its outputs vary (a constant network is the dead-layer
    warning's case) and its loss is still above ``UNFITTED_SHARE`` of a
    positive constant's; None otherwise.
    """
    if not probe.outputs_vary():
        return None
    constant = probe.constant_loss()
    loss = probe.loss(weighted=True)
    if not (0 < constant and loss > UNFITTED_SHARE * constant):
        return None
    return loss, constant
