"""The finite blow-up rule: a training loss that stays a number but is garbage.

``max_norm`` bounds every unit's incoming weights, and the log-losses clip
probabilities, so a step size far too large need not overflow anything: the
loss explodes to 1e30 or sits at the clipped log-loss while every number
stays finite. This rule calls such an epoch diverged, like a non-finite one.

Losses are measured from the least value they can take (0, except for the
Gaussian negative log-likelihood, which is negative once the network fits
well and is bounded below through its variance floor), so that "times its
starting level" means growth of a positive quantity for every loss.

The reference is the larger of two dropout-free losses on the probe rows
(an evenly spaced sample of the training rows, see :mod:`._probe`), taken
when the call starts: the starting
network's, and that of the constant prediction of the rows' mean target
(class frequencies for a classifier). The constant's loss is the scale of
the task, so a starting network that already fits well (a warm start) does
not make the rule touchy.

An epoch has diverged when its training loss (dropout on; the L2 penalty
left out, since a large ``alpha`` alone makes the penalised loss large
while the network fits well), or the dropout-free loss on the probe rows
after it, which sees what the epoch's last updates did (the training loss is
measured before each update, and a ``partial_fit`` call is a single epoch):

- exceeds ``GROWTH_LIMIT`` (10^6) times the reference: for squared error,
  predictions a thousand standard deviations of the targets off. Dropout
  noise and the penalty raise a healthy loss by a small factor; the largest
  jump we saw a fit recover from was Adam's first epoch with a step far too
  large (raw digits pixels, identity activation, ``dropout_rate=0.5``,
  ``learning_rate_init=0.3``, ``random_state=0``: 2.6e4 times the
  reference, then down to an R^2 of 0.51), forty times below the limit,
  while the blow-ups that never recover climb by tens of orders of
  magnitude within a few epochs;
- or, for a classifier, reaches half the largest value the clipped log-loss
  can take (``-log(eps)`` per softmax output, per logistic output summed),
  and ``SATURATION_GROWTH`` (4) times the reference, in
  ``SATURATION_EPOCHS`` (3) epochs in a row, or in the last epochs of a
  fit that ends there (however few): on average the network then gives the
  true class a probability below ``sqrt(eps)`` (1.5e-8 in float64), confidently
  wrong. The log-losses are bounded, so such a fit never climbs four orders
  of magnitude. The factor 4 keeps problems of thousands of classes, whose
  starting loss ``log(n_classes)`` comes close to the float32 bound, out of
  the rule's reach. One such epoch is not enough: with a step too large,
  scikit-learn's MLP often spikes there for an epoch or two and recovers
  (standardised wine with ``learning_rate_init=1.0`` reaches 21.6, then
  trains to an accuracy of 1.0), while the fits that stay there for three
  epochs, in a sweep of bundled data sets and step sizes
  (``benchmarks/saturation_sweep.py``), ended at a training accuracy of
  0.65 at best, most at the majority class's share. The count carries over
  from one ``partial_fit`` call to the next.
"""

import numpy as np

from ._engine import LOSSES, OUTPUTS_PER_TARGET, constant_prediction, loss_lower_bound

GROWTH_LIMIT = 1e6
SATURATION_SHARE = 0.5
SATURATION_GROWTH = 4.0
SATURATION_EPOCHS = 3


class BlowUpRule:
    """The limits of one call's training loss, fixed when the call starts.

    Parameters
    ----------
    loss_name : str
        Key of the training loss in the engine's ``LOSSES``.
    start_output : ndarray of shape (n_probe, n_outputs) or callable
        The starting network's dropout-free output on the probe rows, or a
        function that returns it. The function is called only if an epoch's
        losses come near the limit that the constant prediction alone sets
        (the reference is at least that); a ``partial_fit`` call, whose
        training is shorter than a pass over the probe rows, so skips that
        pass.
    Y_probe : ndarray of shape (n_probe, n_targets)
        The probe rows' targets, encoded like the output (one column per
        output, or per two outputs under ``gaussian_nll``), in the
        network's dtype.
    saturated_epochs : int, default=0
        How many epochs in a row, up to the call, saturated the log-loss
        (a ``partial_fit`` stream's count so far).

    Attributes
    ----------
    saturated_epochs : int
        The same count, updated by :meth:`sign`.
    """

    def __init__(self, loss_name, start_output, Y_probe, saturated_epochs=0):
        self.saturated_epochs = saturated_epochs
        self._saturated_loss = None
        self._loss = LOSSES[loss_name]
        self._Y = Y_probe
        dtype = Y_probe.dtype
        n_outputs = Y_probe.shape[1] * OUTPUTS_PER_TARGET.get(loss_name, 1)
        self._scratch = tuple(
            np.empty((Y_probe.shape[0], n_outputs), dtype=dtype) for _ in range(2)
        )
        constant = constant_prediction(
            loss_name, Y_probe, np.empty_like(self._scratch[0])
        )
        # A continued Gaussian network that fits well starts below 0: from
        # 0, any epoch's loss would look like a millionfold growth.
        self._least = loss_lower_bound(loss_name, Y_probe.shape[1])
        with np.errstate(all="ignore"):
            baseline = self._loss(Y_probe, constant, None, self._scratch)
        # The floor keeps a network that fits constant targets perfectly from
        # making every rounding error look like growth.
        self._lower_reference = max(
            baseline - self._least, float(np.sqrt(np.finfo(dtype).eps))
        )
        self._start_output = start_output
        self._reference = None
        self._saturation = None
        if loss_name in ("log_loss", "binary_log_loss"):
            per_output = -float(np.log(np.finfo(dtype).eps))
            n_terms = n_outputs if loss_name == "binary_log_loss" else 1
            self._saturation = SATURATION_SHARE * per_output * n_terms

    @property
    def reference(self):
        """The starting level: the larger of the two losses, or the floor."""
        if self._reference is None:
            output = self._start_output
            if callable(output):
                output = output()
            with np.errstate(all="ignore"):
                start = self._loss(self._Y, output, None, self._scratch) - self._least
            # A non-finite start (an overflowing warm start) disables the
            # rule: the non-finite checks speak for such a network.
            self._reference = max(start, self._lower_reference)
            self._start_output = None
        return self._reference

    def _within_lower_limits(self, loss, probe_loss):
        """Whether the losses stay clear of every limit, whatever the start.

        The limits grow with the reference, which is at least the lower
        one: losses clear of the lower limits are clear of the true ones.
        """
        limit = GROWTH_LIMIT * self._lower_reference
        if loss - self._least > limit:
            return False
        if probe_loss is not None and probe_loss - self._least > limit:
            return False
        return self._saturation is None or loss < self._saturation

    def sign(self, loss, probe_loss=None):
        """Why the epoch counts as a blow-up, or None.

        ``loss`` is the epoch's training loss without the L2 penalty,
        ``probe_loss`` the unweighted loss of the dropout-free network's
        (finite) output on the probe rows after it. Call it once per epoch:
        it counts the saturated epochs in a row (see :meth:`ended_saturated`
        for a fit that ends before they are enough).
        """
        saturated = self._saturation is not None and loss >= self._saturation
        if not saturated:
            self.saturated_epochs = 0
        if self._within_lower_limits(loss, probe_loss):
            return None
        if not self.reference < np.inf:
            return None
        limit = GROWTH_LIMIT * self.reference
        if probe_loss is not None and probe_loss - self._least > limit:
            return (
                "the loss on the probed training rows "
                f"{self._growth(probe_loss, 'by the end of the epoch')} "
                f"(training loss {loss:.4g})"
            )
        if loss - self._least > limit:
            return f"the training loss {self._growth(loss)}"
        if saturated and loss >= SATURATION_GROWTH * self.reference:
            self.saturated_epochs += 1
            self._saturated_loss = loss
            if self.saturated_epochs >= SATURATION_EPOCHS:
                return self._saturation_sign(f"{self.saturated_epochs} epochs in a row")
        else:
            self.saturated_epochs = 0
        return None

    def ended_saturated(self):
        """Why a fit that ends now ends blown up, or None.

        For a fit that stops (``max_iter``, its stopping rule) while its
        last epochs saturated the log-loss, fewer of them than :meth:`sign`
        waits for.
        """
        if not self.saturated_epochs:
            return None
        count = self.saturated_epochs
        return self._saturation_sign(
            "the fit's last epoch" if count == 1 else f"the fit's last {count} epochs"
        )

    def _saturation_sign(self, when):
        return (
            "the training loss stayed near the largest value the clipped "
            f"log-loss takes in {when} (it reached "
            f"{self._saturated_loss:.4g}, from {self.reference:.4g} at the "
            "start): the network is confidently wrong on most samples"
        )

    def _growth(self, value, when=""):
        """How far ``value`` climbed (``when``), in the message's words."""
        climbed = f"climbed to {value:.4g}" + (f" {when}" if when else "")
        if self._least == 0:
            return (
                f"{climbed}, over {GROWTH_LIMIT:.0e} times its starting level "
                f"{self.reference:.4g}"
            )
        return (
            f"{climbed}: measured from the least value the loss can take "
            f"({self._least:.4g}), over {GROWTH_LIMIT:.0e} times its starting "
            f"level, {self.reference:.4g} above that value"
        )
