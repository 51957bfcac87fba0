"""Validation sets: the user's ``X_val``, the internal split of early
stopping, and the per-epoch score and loss recorded on either."""

import warnings
from typing import Any, NamedTuple

import numpy as np
from sklearn.model_selection import train_test_split

from ._utils import checked_sample_weight, warn_at_users_line


class Split(NamedTuple):
    """Training rows and, with a validation set, the held-out rows."""

    X: Any
    y: Any
    sample_weight: Any
    X_val: Any
    y_val: Any  # labels (classifier) or targets, as the score function wants
    sw_val: Any
    Y_val: Any  # encoded like the network's output, for the validation loss
    # The training rows' weights in the loss: sample_weight times the class
    # weights. Callbacks and validation scores see sample_weight alone.
    fit_weight: Any


def given_set(estimator, X, y, sample_weight, fit_weight, X_val, y_val, sw_val):
    """The split of a call given ``X_val`` and ``y_val``, validated."""
    if X_val is None or y_val is None:
        raise ValueError("X_val and y_val must be given together.")
    # sklearn's checks speak of "X": say which X they mean.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            X_val = estimator._validated_for_network(X_val, dtype=X.dtype)
        except ValueError as exc:
            raise ValueError(f"X_val: {exc}") from exc
    for warning in caught:
        # sklearn's text first, so that a filter on it still matches.
        warn_at_users_line(
            f"{warning.message} (This is about X_val.)",
            warning.category,
        )
    if X_val.shape[0] < 2:
        # As for the internal split: scores such as R^2 are undefined on
        # one sample, and early stopping would then never keep a best
        # network.
        raise ValueError(
            f"X_val has {X_val.shape[0]} sample; a validation set needs at least 2."
        )
    try:
        Y_val, labels = estimator._encode_validation_targets(y_val, X.dtype, y.shape[1])
    except (TypeError, ValueError) as exc:
        if "y_val" in str(exc):
            raise
        # sklearn's checks of a target speak of "Input" or of "y".
        kind = ValueError if isinstance(exc, ValueError) else TypeError
        raise kind(f"y_val: {exc}") from exc
    if Y_val.shape[0] != X_val.shape[0]:
        raise ValueError(
            f"X_val has {X_val.shape[0]} samples but y_val has {Y_val.shape[0]}."
        )
    if sw_val is not None:
        sw_val = _checked_validation_weight(sw_val, X_val)
    return Split(X, y, sample_weight, X_val, labels, sw_val, Y_val, fit_weight)


def _checked_validation_weight(sample_weight_val, X_val):
    """``sample_weight_val`` validated for ``X_val``, its errors naming it."""
    n_rows = X_val.shape[0]
    shape = np.shape(sample_weight_val)
    if shape not in ((n_rows,), ()):
        raise ValueError(
            f"sample_weight_val has shape {shape}, expected ({n_rows},): one "
            "weight per row of X_val."
        )
    try:
        return checked_sample_weight(sample_weight_val, X_val)
    except ValueError as exc:
        # (All zeros included: sklearn's check refuses them.)
        raise ValueError(f"sample_weight_val: {exc}") from exc


def internal_split(estimator, X, y, sample_weight, fit_weight, random_state):
    """Early stopping's held-out split (no validation set without it)."""
    if not estimator.early_stopping:
        return Split(X, y, sample_weight, None, None, None, None, fit_weight)
    stratify = estimator._stratify_by(y)
    fraction = estimator.validation_fraction
    if stratify is not None:
        _check_every_class_splits(estimator, y, fraction)
    # Without class weights the two weight arrays are one: split it once.
    separate = fit_weight is not sample_weight
    weights = [sample_weight] if sample_weight is not None else []
    if separate:
        weights.append(fit_weight)
    try:
        parts = train_test_split(
            X,
            y,
            *weights,
            random_state=random_state,
            test_size=fraction,
            stratify=stratify,
        )
    except ValueError as exc:
        raise ValueError(
            f"validation_fraction={fraction} cannot split "
            f"{X.shape[0]} samples into a training and a validation set "
            f"for early stopping: {exc}"
        ) from exc
    X_train, X_val, y_train, y_val = parts[:4]
    sw_train = sw_val = None
    if sample_weight is not None:
        sw_train, sw_val = parts[4:6]
    fit_train = parts[-2] if separate else sw_train
    if X_val.shape[0] < 2:
        raise ValueError(
            "The validation set is too small. Increase 'validation_fraction' "
            "or the size of your dataset."
        )
    if X_train.shape[0] < 1:
        raise ValueError(
            f"validation_fraction={fraction} leaves no "
            "training samples. Decrease 'validation_fraction'."
        )
    # Scores weigh validation rows by sample_weight; the loss weighs
    # training rows by it times the class weights.
    for part, w in (("validation", sw_val), ("training", fit_train)):
        if w is not None and not w.any():
            raise ValueError(
                f"Every sample of the early-stopping {part} split has a "
                "weight of 0: give more samples a positive weight, or "
                "pass a validation set of your own (X_val, y_val)."
            )
    return Split(
        X_train,
        y_train,
        sw_train,
        X_val,
        estimator._decoded_targets(y_val),
        sw_val,
        y_val,
        fit_train,
    )


def start_curves(estimator, split):
    """Line the validation curves up with ``loss_curve_`` for this call."""
    # Read by callbacks that report validation scores (the curves of an
    # earlier fit may exist, padded with NaN, when this one has none).
    estimator._scores_validation_set = split.X_val is not None
    if split.X_val is not None and estimator.validation_scores_ is None:
        # A validation set without early stopping: record its curves only,
        # lined up with loss_curve_ (which a warm start continues).
        estimator.validation_scores_ = [np.nan] * len(estimator.loss_curve_)
        estimator.validation_loss_curve_ = [np.nan] * len(estimator.loss_curve_)


def metrics(estimator, split, trainer):
    """Score and loss of the dropout-free network on the validation set.

    None when the network's outputs are not finite: the fit then counts as
    diverged. The score is computed from float64 predictions (a float32 R^2
    overflows its sums of squares near 1e19).
    """
    # A blown-up network is caught here rather than warning from deep
    # inside a metric.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        out = estimator._forward(split.X_val, check_input=False)
        if not np.isfinite(out).all():
            return None
        y_pred = estimator._output_to_prediction(out)
        if y_pred.dtype.kind == "f":
            y_pred = y_pred.astype(np.float64)
        score = float(
            estimator._score_function(split.y_val, y_pred, sample_weight=split.sw_val)
        )
        loss = trainer.loss_of_outputs(out, split.Y_val, split.sw_val)
    return score, loss


def record_failed_epoch(estimator):
    """Append NaN for an epoch that diverged: its network was not scored."""
    estimator.validation_scores_.append(np.nan)
    estimator.validation_loss_curve_.append(np.nan)


def record(estimator, validation):
    """Append an epoch's (score, loss), or None without a validation set."""
    if validation is not None:
        score, loss = validation
        estimator.validation_scores_.append(score)
        estimator.validation_loss_curve_.append(loss)
        if estimator.verbose:
            print(f"Validation score: {score:f}")
    elif estimator.validation_scores_ is not None:
        # An earlier fit had a validation set: keep the curves aligned.
        estimator.validation_scores_.append(np.nan)
        estimator.validation_loss_curve_.append(np.nan)


def _check_every_class_splits(estimator, y, fraction):
    """Refuse, naming the user's labels, a class too small to stratify.

    The split is stratified on the encoded targets (as scikit-learn's MLP
    splits, so the same rows are held out), whose error would name a class
    by its code (``'1.0'``) rather than by its label.
    """
    labels, counts = np.unique(estimator._decoded_targets(y), return_counts=True)
    lonely = labels[counts < 2]
    if len(lonely):
        raise ValueError(
            f"validation_fraction={fraction} cannot split {y.shape[0]} samples "
            "into a training and a validation set for early stopping: the "
            "split keeps each class's share, and these classes have a single "
            f"sample: {lonely.tolist()}. Pass X_val and y_val, or set "
            "early_stopping=False."
        )
