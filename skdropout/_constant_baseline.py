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
"""

from sklearn.exceptions import ConvergenceWarning

from ._scale_advice import advice
from ._utils import warn_at_users_line


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
