"""Saving and restoring a training state in place, for divergence and Ctrl-C."""

import numpy as np


class Checkpoint:
    """A copy of parameters and optimizer state that can be put back.

    The copies are allocated once; :meth:`save` and :meth:`restore` copy in
    place, so taking a checkpoint after every epoch costs one pass over the
    parameters and moments, and allocates nothing.

    Parameters
    ----------
    params : list of ndarray
        Parameter arrays (for instance the packed parameter vector).
    optimizer : SGDOptimizer or AdamOptimizer
        Whose moment arrays and scalars are saved along with ``params``.
    """

    def __init__(self, params, optimizer):
        self._n_params = len(params)
        self._live = list(params) + list(optimizer.state_arrays())
        self._saved = [array.copy() for array in self._live]
        self._optimizer = optimizer
        self._scalars = optimizer.state_scalars()

    def save(self):
        """Overwrite the checkpoint with the current state."""
        for saved, live in zip(self._saved, self._live):
            np.copyto(saved, live)
        self._scalars = self._optimizer.state_scalars()

    def restore(self):
        """Put the saved state back into the live arrays and optimizer."""
        for saved, live in zip(self._saved, self._live):
            np.copyto(live, saved)
        self._optimizer.set_state_scalars(self._scalars)

    def saved_params(self):
        """The saved copies of the parameter arrays (not the optimizer's).

        Read-only use: they hold the state :meth:`restore` puts back.
        """
        return self._saved[: self._n_params]

    def params_unchanged(self):
        """Whether no parameter moved since the last :meth:`save`."""
        return all(
            np.array_equal(saved, live)
            for saved, live in zip(self._saved[: self._n_params], self._live)
        )

    def optimizer_state_is_finite(self):
        """Whether every moment estimate of the optimizer is finite.

        Adam's second moment overflows to inf when the squared gradients
        exceed the dtype's range; its steps are then 0 (or NaN) while the
        parameters stay finite, so the parameters alone do not show it.
        """
        return all(np.isfinite(state).all() for state in self._live[self._n_params :])
