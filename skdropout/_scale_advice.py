"""Data far from unit scale, named in the warning of a fit that ran out of epochs.

A network starts at unit scale: Glorot's weights turn inputs of about 1
into outputs of about 1, and Adam moves each weight by about
``learning_rate_init`` a step. Inputs in the hundreds swamp the first layer
(pre-activations in the hundreds, outputs confidently wrong), and a target
of 150 is 150,000 default steps away for the output layer's bias: on
diabetes as it comes, 200 epochs leave the regressor (scikit-learn's MLP
too) at an R^2 of about -3.4 (``benchmarks/battery_defaults.py
--first-contact``); standardised inputs and target give 0.28 on the split
of the example in ``docs/reliability.rst``, where the raw ones give -3.7.
Such a fit ends at ``max_iter`` with scikit-learn's words, "the optimization
hasn't converged yet", which name no cause. Targets of small spread fail
too: the initial network's outputs vary by far more, and scikit-learn's
absolute ``tol`` sees no progress in their small losses. When the probe
rows (see :mod:`._probe`, a sample of the training rows) show a feature or
a target an order of magnitude or more from unit scale (for a target, also
below it), a sentence saying which, and
how to scale it, follows those words, as scikit-learn's
``LogisticRegression`` advises scaling when it runs out of iterations; the
warning of a fit stopped no better than a constant
(:mod:`._constant_baseline`) names them too.
Sparse inputs are not looked at: they are not centred, and their scale is
their own business (counts, tf-idf).
"""

import numpy as np
import scipy.sparse as sp

# An order of magnitude from unit scale: a mean or a standard deviation
# beyond this, in absolute value, is far from it (and, for a target, a
# standard deviation below its inverse). Standardised data have
# mean 0 and standard deviation 1; min-max scaled data, or pixels over 255,
# stay well inside.
FAR = 10.0

# Losses whose targets the output layer meets in their own units. Poisson's
# output is exp(network), whose bias reaches a mean count of 150 at log(150).
_TARGETS_IN_OWN_UNITS = ("squared_error", "gaussian_nll")


def farthest_column(values, small_spread=False):
    """The column of ``values`` farthest from unit scale, if any is far.

    Parameters
    ----------
    values : ndarray of shape (n_rows, n_columns)
    small_spread : bool, default=False
        Whether a column whose standard deviation is positive but below
        ``1 / FAR`` is far too. Meant for targets: their spread is what the
        R^2 and ``tol`` measure, and the initial network's outputs vary by
        far more (``make_regression`` with a target of standard deviation
        0.05 stopped the regressor at a test R^2 of -0.35, 0.99
        standardised: the example in ``docs/reliability.rst``). Not for
        inputs, where a rare binary feature has a small spread and does no
        harm.

    Returns
    -------
    farthest : tuple or None
        ``(column, mean, std)`` of the column whose larger of ``|mean|`` and
        ``std`` is largest, when that exceeds :data:`FAR`; otherwise, with
        ``small_spread``, of the column with the smallest positive standard
        deviation, when that is below ``1 / FAR``; otherwise None (also for
        no rows, and for non-finite statistics).
    """
    if values.shape[0] == 0 or values.shape[1] == 0:
        return None
    with np.errstate(over="ignore", invalid="ignore"):
        mean = values.mean(axis=0, dtype=np.float64)
        std = values.std(axis=0, dtype=np.float64)
    size = np.maximum(np.abs(mean), std)
    if not np.isfinite(size).all():
        return None
    column = int(np.argmax(size))
    if size[column] <= FAR:
        if not small_spread:
            return None
        spread = np.where(std > 0, std, np.inf)
        column = int(np.argmin(spread))
        if spread[column] >= 1 / FAR:
            return None
    return column, float(mean[column]), float(std[column])


def advice(estimator, probe):
    """What to standardise, when the fit's data are far from unit scale.

    ``probe`` is the fit's :class:`~._probe.TrainingProbe`. Returns a
    sentence without its full stop (callers may go on with an "or ..."),
    naming the feature, or the target of a regressor whose loss meets the
    targets in their own units, farthest from unit scale; None when nothing
    is far.
    """
    far_input = None if sp.issparse(probe.X) else farthest_column(probe.X)
    far_target = None
    if getattr(estimator, "loss", None) in _TARGETS_IN_OWN_UNITS:
        far_target = farthest_column(probe.Y, small_spread=True)
    if far_input is None and far_target is None:
        return None
    parts, remedies = [], []
    if far_input is not None:
        column, mean, std = far_input
        parts.append(f"the inputs ({_feature(estimator, column)}: {_stats(mean, std)})")
        remedies.append("the inputs with a StandardScaler in a pipeline")
    if far_target is not None:
        column, mean, std = far_target
        several = probe.Y.shape[1] > 1
        parts.append(
            f"{f'target {column}' if several else 'the target'} ({_stats(mean, std)})"
        )
        remedies.append(
            f"{'the targets' if several else 'the target'} with "
            "TransformedTargetRegressor(regressor=..., transformer=StandardScaler())"
        )
    subject = " and ".join(parts)
    verb = "is" if len(parts) == 1 and far_input is None else "are"
    return (
        f"{subject[0].upper()}{subject[1:]} {verb} far from the unit scale that "
        "the network's initial weights and steps (learning_rate_init="
        f"{estimator.learning_rate_init}) are made for: standardise "
        f"{' and '.join(remedies)}"
    )


def _feature(estimator, column):
    names = getattr(estimator, "feature_names_in_", None)
    if names is not None:
        return f"feature {names[column]!r}"
    return f"feature {column}"


def _stats(mean, std):
    return f"mean {mean:.3g}, standard deviation {std:.3g}"
