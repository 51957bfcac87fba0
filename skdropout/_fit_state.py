"""What a failed ``fit`` or ``partial_fit`` call leaves behind, decided here.

Every call takes a :class:`CallState` when it starts. The rules (the user
guide's reliability page states them for users):

* **Refused**: a call that fails before training begins (its data,
  validation set or split will not do, a callback's setup raises, memory
  runs out for the checkpoint, a Ctrl-C while it sets up), or whose first
  epoch is refused as it begins, leaves the estimator exactly as it was:
  unfitted, or with its previous network, labels, features and record, the
  weights as they were before the max-norm projection changed them in place.
  :meth:`CallState.refuse` is that one path back.
* **Interrupted**: a Ctrl-C during the epochs ends the fit with a warning,
  keeping the weights of the last completed epoch (:meth:`interrupted`).
  With none completed, a continued network goes back to the weights the
  call began with; a fresh one keeps its (projected) initial weights.
* **Failed**: any other exception during the epochs (a divergence, a
  callback's ``optuna.TrialPruned``) propagates, leaving the model as a
  stopped fit would: the best epoch's weights (:meth:`failed`).
"""

from contextlib import contextmanager

from ._utils import warn_at_users_line

# Attributes of scikit-learn's callback framework, set around fit.
_CALLBACK_ATTRIBUTES = ("_skl_", "_callback_")


class CallState:
    """The estimator as a call found it, and the paths back to it.

    Every attribute a fit changes before training is assigned anew, never
    updated in place, so a shallow copy of ``vars(estimator)`` is enough to
    go back. The weights' one in-place change before training, the max-norm
    projection of the starting network, is recorded by :meth:`project_start`.

    Parameters
    ----------
    estimator : BaseDropoutMLP
    incremental : bool
        Whether the call is ``partial_fit``.
    """

    def __init__(self, estimator, incremental):
        self._estimator = estimator
        self._attributes = dict(vars(estimator))
        # Whether the call goes on with the network the estimator holds.
        self.continued = "coefs_" in self._attributes and (
            estimator.warm_start or incremental
        )
        self._flat_params = None
        self._unprojected = None
        self._stopping = None

    def project_start(self, trainer, flat_params):
        """Project the starting network onto the max-norm ball, keeping a
        copy of it as it was; return whether the projection changed it."""
        if self._estimator.max_norm is None:
            return False
        self._flat_params = flat_params
        self._unprojected = flat_params.copy()
        changed = trainer.project_start()
        if not changed:
            self._unprojected = None
        return changed

    def watch(self, stopping):
        """Let the paths back drop or restore ``stopping``'s best weights."""
        self._stopping = stopping

    @contextmanager
    def refused_on_failure(self):
        """Run a block of the call's set-up: if it raises, :meth:`refuse`."""
        try:
            yield
        except BaseException:
            # A Ctrl-C too: nothing has trained.
            self.refuse()
            raise

    def refuse(self):
        """Put the estimator back as the call found it.

        scikit-learn's callback bookkeeping is left alone: its decorator
        around ``fit`` still needs it to tear the callbacks down.
        """
        self._put_back_start()
        estimator = self._estimator
        for name in list(vars(estimator)):
            if not name.startswith(_CALLBACK_ATTRIBUTES):
                del estimator.__dict__[name]
        for name, value in self._attributes.items():
            if not name.startswith(_CALLBACK_ATTRIBUTES):
                estimator.__dict__[name] = value

    def interrupted(self, checkpoint):
        """End a Ctrl-C'd fit on the last completed epoch, with a warning."""
        estimator = self._estimator
        checkpoint.restore()
        if estimator.n_iter_ == 0 and self.continued and self._unprojected is not None:
            # No epoch completed: the network is the one the call began
            # with, before the projection changed it in place (and not early
            # stopping's copy of the projected one), and the record that was
            # re-scored on the projected network goes back too. A fresh
            # network keeps its projection: it never was the user's.
            self._put_back_start()
            estimator.best_validation_score_ = self._attributes.get(
                "best_validation_score_"
            )
        warn_at_users_line(
            f"Training interrupted by user after {estimator.n_iter_} completed "
            "epoch(s); the weights of the last completed epoch were kept. "
            "Continue with partial_fit, or fit with warm_start=True.",
            UserWarning,
        )

    def failed(self):
        """Leave the model of a fit ended by an exception as a stopped fit's."""
        if self._stopping is not None:
            self._stopping.restore_best()

    def _put_back_start(self):
        # The weights as the call found them, and no copies of the
        # projected ones for early stopping to restore.
        if self._unprojected is not None:
            self._flat_params[...] = self._unprojected
        if self._stopping is not None:
            self._stopping.forget_best()
