"""The stopping rule: when a fit stops before ``max_iter``, and what it keeps.

Without ``early_stopping`` a fit stops when the training loss has not
improved by ``tol`` for ``n_iter_no_change`` epochs; with it, when the
validation score has not, and the best epoch's weights are put back. The
record (``best_loss_`` or ``best_validation_score_`` and the count of epochs
without improvement) lives on the estimator, since warm starts continue it;
everything else lives in one :class:`EarlyStopping` object per fit.

With dropout on, the training loss of an epoch is measured on thinned
networks: it is noisy, one lucky low epoch becomes the best loss, and the
rule stopped fits long before they had learnt anything (issue 15). The rule
then judges the training loss of the network that predicts, dropout off,
measured after each epoch on the probe rows (:func:`dropout_free_loss`).
With every rate 0 it judges ``loss_curve_`` as scikit-learn's MLP does.
"""

import numpy as np


def dropout_free_loss(probe):
    """What the rule judges with dropout on: the training loss with it off.

    The L2-penalised loss of the network that predicts, on the
    :class:`~._probe.TrainingProbe`'s rows, as scored after the epoch
    (the divergence checks score them first). The rows are the same every
    epoch, so the measure changes only as the weights do.
    """
    return probe.penalised_loss


def counts_toward_stopping(probe):
    """Whether an epoch without improvement counts, as the network stands.

    It counts once the network that predicts does better on the
    :class:`~._probe.TrainingProbe`'s rows (as scored after the epoch) than
    predicting the class frequencies or the mean target for every row, or
    when its outputs are the same on every row: a layer of dead ReLUs
    predicts a constant for good, and waiting for it to beat one would run
    the fit to ``max_iter``. See :class:`EarlyStopping`.
    """

    return lambda: not probe.no_better_than_a_constant()


def new_record(estimator):
    """Start the record of a new network, for the current ``early_stopping``."""
    estimator._no_improvement_count = 0
    estimator._best_dropout_free_loss = np.inf
    if estimator.early_stopping:
        estimator.validation_scores_ = []
        estimator.validation_loss_curve_ = []
        estimator.best_validation_score_ = -np.inf
        estimator.best_loss_ = None
    else:
        estimator.best_loss_ = np.inf
        estimator.validation_scores_ = None
        estimator.validation_loss_curve_ = None
        estimator.best_validation_score_ = None


def adopt_rule(estimator):
    """Switch a continued network's record to the current ``early_stopping``.

    A network started with early stopping and continued without it (or the
    reverse) starts the other rule's record afresh, as a new fit would,
    instead of comparing against a record it never kept.
    """
    if estimator.early_stopping and estimator.best_validation_score_ is None:
        estimator.best_validation_score_ = -np.inf
        estimator.best_loss_ = None
        estimator._no_improvement_count = 0
    elif not estimator.early_stopping and estimator.best_loss_ is None:
        estimator.best_loss_ = np.inf
        estimator._best_dropout_free_loss = np.inf
        estimator.best_validation_score_ = None
        estimator._no_improvement_count = 0


def record_is_stale(estimator, first_pass, given_set):
    """Whether the best score must be taken afresh on this call's network.

    Early stopping compares with the best score so far. A validation set
    given to this call may be another set than last time: the record then
    starts from the network's own score on it. The internal split keeps the
    record across warm starts, as sklearn's MLP does; so does a record kept
    on a set given to the previous call.
    """
    stale = (
        estimator.early_stopping
        and not first_pass
        and (given_set or getattr(estimator, "_validated_on_given_set", False))
    )
    estimator._validated_on_given_set = given_set
    return stale


class EarlyStopping:
    """The stopping rule of one fit: its counter and the best weights.

    Made when the fit's first epoch is about to run and dropped when the
    fit ends. The epoch loop asks :meth:`stop` after every completed epoch.

    Parameters
    ----------
    estimator : BaseDropoutMLP
        The estimator being fitted; its record attributes are read and
        updated, its ``coefs_`` and ``intercepts_`` copied and restored.
    judged_loss : callable, default=None
        Without early stopping, what is judged instead of the epoch's
        training loss: the :func:`dropout_free_loss` when dropout is on.
    counts : callable, default=None
        With ``judged_loss``, whether an epoch without improvement counts
        (:func:`counts_toward_stopping`): one after which the network does
        no better than a constant prediction does not. On
        inputs far from unit scale (a DataFrame straight from a file) a
        network with dropout can start confidently wrong and stay there for
        more than ``n_iter_no_change`` epochs before it improves, and the
        rule stopped such fits at chance level (unscaled wine, after 15-22
        epochs, where scikit-learn's MLP reaches 0.78).
    """

    def __init__(self, estimator, judged_loss=None, counts=None):
        self._estimator = estimator
        self._judged_loss = judged_loss
        self._counts = counts
        # With early_stopping, copies of the best epoch's weights.
        self._best = None

    def start(self, *, stale_record, start_changed, score_start):
        """Set the record up for the network the fit starts from.

        ``start_changed`` says whether the max-norm projection changed the
        starting network, whose score the record then no longer holds;
        ``score_start()`` returns its (score, loss) on the validation set,
        or None if its outputs overflow.
        """
        est = self._estimator
        rescore = stale_record or (
            est.early_stopping
            and est.best_validation_score_ > -np.inf
            and start_changed
        )
        if rescore:
            start = score_start()
            est.best_validation_score_ = -np.inf if start is None else start[0]
        if est.early_stopping:
            self._best = (
                [c.copy() for c in est.coefs_],
                [b.copy() for b in est.intercepts_],
            )

    def stop(self):
        """After an epoch: update the record; True if training should stop."""
        est = self._estimator
        self._update_count()
        if est._no_improvement_count > est.n_iter_no_change:
            if self._stop_on_plateau():
                return True
            est._no_improvement_count = 0
        return False

    def _update_count(self):
        est = self._estimator
        if est.early_stopping:
            score = est.validation_scores_[-1]
            if score < est.best_validation_score_ + est.tol:
                est._no_improvement_count += 1
            else:
                est._no_improvement_count = 0
            if score > est.best_validation_score_:
                est.best_validation_score_ = score
                for best, current in zip(
                    self._best[0] + self._best[1], est.coefs_ + est.intercepts_
                ):
                    np.copyto(best, current)
        elif self._judged_loss is None:
            if est.loss_curve_[-1] > est.best_loss_ - est.tol:
                est._no_improvement_count += 1
            else:
                est._no_improvement_count = 0
            if est.loss_curve_[-1] < est.best_loss_:
                est.best_loss_ = est.loss_curve_[-1]
        else:
            judged = self._judged_loss()
            # Absent on a network last fitted by an older version.
            best = getattr(est, "_best_dropout_free_loss", np.inf)
            if not judged <= best - est.tol:
                est._no_improvement_count += 1
            else:
                est._no_improvement_count = 0
            if judged < best:
                est._best_dropout_free_loss = judged
            if self._counts is not None and not self._counts():
                est._no_improvement_count = 0
            # Still the lowest training loss, as documented.
            est.best_loss_ = min(est.best_loss_, est.loss_curve_[-1])

    def _stop_on_plateau(self):
        # The optimizer decides: an adaptive learning rate is lowered first.
        est = self._estimator
        if est.early_stopping:
            what = "Validation score did not improve"
        elif self._judged_loss is not None:
            what = "Training loss with dropout off did not improve"
        else:
            what = "Training loss did not improve"
        msg = (
            f"{what} more than tol={est.tol:f} for "
            f"{est.n_iter_no_change} consecutive epochs."
        )
        stop = est._optimizer.on_plateau()
        if est.verbose:
            if stop and est.learning_rate == "adaptive" and est.solver == "sgd":
                print(msg + " Learning rate too small. Stopping.")
            elif stop:
                print(msg + " Stopping.")
            else:
                new_rate = est._optimizer.learning_rate
                print(f"{msg} Setting learning rate to {new_rate:f}")
        return stop

    def has_validated_weights(self):
        """Whether early stopping holds weights scored on a validation set."""
        return self._best is not None and (
            self._estimator.best_validation_score_ > -np.inf
        )

    def best_weights(self):
        """The weights a fit stopped now would keep: (coefs, intercepts)."""
        if self._best is not None:
            return self._best
        return self._estimator.coefs_, self._estimator.intercepts_

    def restore_best(self):
        """With early stopping, put back the best epoch's weights.

        The copies are dropped afterwards: the fitted model keeps one set of
        weights, as scikit-learn's MLP does. Calling it again does nothing.
        """
        if self._best is not None:
            est = self._estimator
            for target, best in zip(
                est.coefs_ + est.intercepts_, self._best[0] + self._best[1]
            ):
                np.copyto(target, best)
        self._best = None

    def forget_best(self):
        """Drop the copies without putting them back."""
        self._best = None
