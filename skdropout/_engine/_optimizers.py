"""Stochastic optimizers that update lists of parameter arrays in place.

They hold their own state (velocities, moment estimates), allocated once per
fit in the parameters' dtype. ``update`` reads the gradients and, unless
told that it may overwrite them (as the trainer's step does: the next
minibatch refills them), leaves them as they were, working in two slices'
worth of scratch. The arithmetic follows scikit-learn's
``_stochastic_optimizers`` operation for operation, so that a network
trained without dropout matches sklearn's MLP to rounding.
"""

import math
import sys

import numpy as np

# Elements per slice of an update: the arrays an Adam step touches (its slice
# of the parameters, gradients and two moments, and two scratch slices) then
# fit in a core's L2 cache, so its dozen elementwise passes cost about one
# trip through memory instead of twelve. Arrays up to _WHOLE elements are updated in
# one slice: for them the cost of more calls outweighs the cache misses.
# Measured with cold caches on a 1 MiB-L2 core: 1.9M float32 parameters
# 2.6 ms whole, 2.1 ms in 2**16 slices, 2.2 ms in 2**15; up to 500k
# parameters the whole array was fastest.
_CHUNK = 1 << 16
_WHOLE = 1 << 19


def _chunks(*arrays):
    """Yield aligned flat slices of same-shaped contiguous arrays."""
    flats = [a.reshape(-1) for a in arrays]
    size = flats[0].size
    if size <= _WHOLE:
        yield flats
        return
    for start in range(0, size, _CHUNK):
        yield [f[start : start + _CHUNK] for f in flats]


def _slice_length(size):
    """Length of the longest slice ``_chunks`` cuts an array of ``size`` into."""
    return size if size <= _WHOLE else _CHUNK


def _slices(params, grads, l2_sizes, *states):
    """Aligned slices of each parameter array, its gradient and its states.

    Also yields how many leading entries of the slice carry the L2 term:
    ``l2_sizes[i]`` leading entries of ``params[i]`` do (the weights;
    intercepts carry none).
    """
    for arrays, n_penalised in zip(zip(params, grads, *states), l2_sizes):
        start = 0
        for param, grad, *rest in _chunks(*arrays):
            yield param, grad, min(max(n_penalised - start, 0), param.size), rest
            start += param.size


def _penalised_sizes(params, l2_sizes):
    """``l2_sizes``, or every entry of every array when it is None."""
    return [p.size for p in params] if l2_sizes is None else l2_sizes


def _with_l2(param, grad, n_penalised, l2, out, overwrite_grad=False):
    """``grad + l2 * param`` on the first ``n_penalised`` entries.

    Written to ``out`` (returned, cut to the slice's length) or, with
    ``overwrite_grad``, to ``grad`` itself (``out`` then holds ``l2 * param``);
    ``grad`` itself is returned when no entry carries the term. Adding the
    term slice by slice, just before the slice's update, reads the weights
    while they are in cache, instead of in passes of their own over the
    whole network.
    """
    if not l2 or n_penalised == 0:
        return grad
    term = out[:n_penalised]
    np.multiply(param[:n_penalised], l2, out=term)
    if overwrite_grad:
        # grad + term rounds as term + grad does: the same bits either way.
        grad[:n_penalised] += term
        return grad
    total = out[: grad.size]
    total[:n_penalised] += grad[:n_penalised]
    if n_penalised < grad.size:
        total[n_penalised:] = grad[n_penalised:]
    return total


class _Optimizer:
    def __init__(self, params, learning_rate_init):
        if not all(p.flags.c_contiguous for p in params):
            # Updates work on flat views; a copy would silently drop them.
            raise ValueError("optimizer parameters must be C-contiguous arrays")
        self.learning_rate_init = learning_rate_init
        self.learning_rate = float(learning_rate_init)
        self._scratch = None

    # The slices of the last update (see _sliced). A class attribute, so
    # that an optimizer pickled before they were kept reads None.
    _cut = None

    def _sliced(self, params, grads, l2_sizes):
        """The slices an update walks, and its two scratch vectors.

        Cutting them (aligned views of the parameters, the gradients and
        each state array, see ``_slices``) costs more than the update itself
        on a small network, and leaves more interpreter work between the
        matrix products of a step, which slows them too: the slices are cut
        once, and kept while the same ``params``, ``grads`` and ``l2_sizes``
        list objects come back, as they do from the trainer at every step.
        A caller must pass new lists rather than change what its lists hold.
        """
        cut = self._cut
        if (
            cut is None
            or cut[0] is not params
            or cut[1] is not grads
            or cut[2] is not l2_sizes
        ):
            states = [getattr(self, name) for name in self._state_lists]
            slices = list(
                _slices(params, grads, _penalised_sizes(params, l2_sizes), *states)
            )
            cut = self._cut = (params, grads, l2_sizes, slices, self._workspace(params))
        return cut[3], cut[4]

    def _workspace(self, params):
        """Two scratch vectors as long as the longest slice of ``params``."""
        # Rebuilt on demand rather than stored, so that a pickled estimator
        # does not carry it.
        length = max(_slice_length(p.size) for p in params)
        dtype = params[0].dtype
        scratch = self._scratch
        if scratch is None or scratch[0].size < length or scratch[0].dtype != dtype:
            self._scratch = scratch = (np.empty(length, dtype), np.empty(length, dtype))
        return scratch

    def release_workspace(self):
        """Free the scratch vectors; the next update makes them again."""
        self._scratch = self._cut = None

    def __getstate__(self):
        state = self.__dict__.copy()
        state["_scratch"] = state["_cut"] = None
        return state

    # Names of the scalar attributes that, with ``state_arrays``, make up the
    # optimizer's state (what a checkpoint must save to resume exactly).
    _state_scalars = ("learning_rate",)

    # Names of the attributes that hold the state arrays, one list each.
    _state_lists = ()

    def state_arrays(self):
        """The arrays holding the optimizer's state, updated in place."""
        return [array for name in self._state_lists for array in getattr(self, name)]

    def make_state_writeable(self):
        """Replace each state array that cannot be written by a copy of it.

        An optimizer loaded with ``joblib.load(..., mmap_mode="r")``, say,
        holds read-only memory maps; its values are kept, in arrays that
        training can update in place. Call it before :meth:`update` on an
        optimizer of unknown origin, and before taking a checkpoint of it.
        """
        for name in self._state_lists:
            arrays = getattr(self, name)
            for i, array in enumerate(arrays):
                if not array.flags.writeable:
                    arrays[i] = array.copy()
                    self._cut = None  # its slices were cut from the old array

    def state_scalars(self):
        """The scalar part of the optimizer's state, as a dict."""
        return {name: getattr(self, name) for name in self._state_scalars}

    def set_state_scalars(self, scalars):
        """Restore what :meth:`state_scalars` returned."""
        for name, value in scalars.items():
            setattr(self, name, value)

    def iteration_ends(self, time_step):
        """Hook called after every epoch with the number of samples seen."""

    def step_bound(self):
        """Upper bound on how far the last update moved any one parameter.

        None when the update rule gives no bound independent of the
        gradients' size (plain and momentum SGD).
        """
        return None

    def on_plateau(self):
        """React to a plateau of the monitored metric.

        Returns
        -------
        stop : bool
            True if training should stop, False if the optimizer adapted
            (lowered its learning rate) and training may go on.
        """
        return True


class SGDOptimizer(_Optimizer):
    """Stochastic gradient descent with (Nesterov) momentum.

    Parameters
    ----------
    params : list of ndarray
        Arrays to update in place.
    learning_rate_init : float
        Initial step size.
    lr_schedule : {'constant', 'invscaling', 'adaptive'}
        'invscaling' sets the step to ``learning_rate_init / (t + 1)**power_t``
        after each epoch, ``t`` being the number of samples seen; 'adaptive'
        divides it by 5 at each plateau.
    momentum : float
        Weight of the previous velocity in the new one.
    nesterov : bool
        Whether to use Nesterov's look-ahead momentum.
    power_t : float
        Exponent of the 'invscaling' schedule.
    """

    def __init__(
        self,
        params,
        learning_rate_init=0.1,
        lr_schedule="constant",
        momentum=0.9,
        nesterov=True,
        power_t=0.5,
    ):
        super().__init__(params, learning_rate_init)
        self.lr_schedule = lr_schedule
        # Python floats, not NumPy scalars: a np.float64 would make every
        # float32 update run (and round) in float64.
        self.momentum = float(momentum)
        self.nesterov = nesterov
        self.power_t = float(power_t)
        self.velocities = [np.zeros_like(p) for p in params]

    _state_lists = ("velocities",)

    def iteration_ends(self, time_step):
        if self.lr_schedule == "invscaling":
            self.learning_rate = (
                float(self.learning_rate_init) / (time_step + 1) ** self.power_t
            )

    def on_plateau(self):
        if self.lr_schedule != "adaptive" or self.learning_rate <= 1e-6:
            return True
        self.learning_rate /= 5.0
        return False

    def update(self, params, grads, l2=0.0, l2_sizes=None, overwrite_grads=False):
        """Take one step.

        Parameters
        ----------
        params, grads : list of ndarray
        l2 : float, default=0.0
            Coefficient of the L2 term added to the gradients first:
            ``grad += l2 * param``.
        l2_sizes : list of int, default=None
            How many leading entries of each (flattened) parameter array the
            L2 term applies to; None means all of them.
        overwrite_grads : bool, default=False
            Whether the step may use ``grads`` as its workspace, leaving them
            meaningless; by default they are only read. Fewer arrays in play
            keep more of them in cache. The trainer, which refills its
            gradients at every minibatch, lets it.
        """
        momentum, lr = self.momentum, self.learning_rate
        slices, (first, second) = self._sliced(params, grads, l2_sizes)
        for param, grad, n_penalised, (velocity,) in slices:
            total = _with_l2(param, grad, n_penalised, l2, first, overwrite_grads)
            step = total if overwrite_grads else second[: param.size]
            np.multiply(total, lr, out=step)
            velocity *= momentum
            velocity -= step
            if self.nesterov:
                look_ahead = first[: param.size]
                np.multiply(velocity, momentum, out=look_ahead)
                look_ahead -= step
                param += look_ahead
            else:
                param += velocity


class AdamOptimizer(_Optimizer):
    """Adam (Kingma and Ba, 2015).

    Parameters
    ----------
    params : list of ndarray
        Arrays to update in place.
    learning_rate_init : float
        Step size before bias correction.
    beta_1, beta_2 : float
        Decay rates of the first and second moment estimates.
    epsilon : float
        Added to the root of the second moment for numerical stability.

    Attributes
    ----------
    ms, vs : list of ndarray
        First and second moment estimates, stored divided by ``1 - beta_1``
        and ``1 - beta_2`` respectively (see ``update``).
    t : int
        Number of steps taken.
    """

    def __init__(
        self, params, learning_rate_init=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-8
    ):
        super().__init__(params, learning_rate_init)
        # Python floats, as SGDOptimizer's momentum.
        self.beta_1 = float(beta_1)
        self.beta_2 = float(beta_2)
        self.epsilon = float(epsilon)
        self.t = 0
        self.ms = [np.zeros_like(p) for p in params]
        self.vs = [np.zeros_like(p) for p in params]

    _state_scalars = ("learning_rate", "t")
    _state_lists = ("ms", "vs")

    def step_bound(self):
        """Upper bound on how far the last update moved any one parameter.

        Adam's step is ``lr_t * m / (sqrt(v) + epsilon)`` with
        ``m = (1 - beta_1) * sum_k beta_1**(t - k) * g_k`` and
        ``v = (1 - beta_2) * sum_k beta_2**(t - k) * g_k**2``. By Cauchy-Schwarz,
        ``|m| <= (1 - beta_1) / sqrt(1 - beta_2) * sqrt(v * S)`` with
        ``S = sum_{j < t} (beta_1**2 / beta_2)**j``, whatever the gradients,
        so no parameter moves by more than
        ``lr_t * (1 - beta_1) / sqrt(1 - beta_2) * sqrt(S)``: ``lr`` at the
        first step, about ``7.3 * lr`` later with the default betas.
        """
        if self.t == 0:
            return 0.0
        scale = self._settled_bound_scale
        if scale is None:
            scale = self._bound_scale()
        return self.learning_rate * scale

    # Once ``ratio**t`` is below the float epsilon, S is within a rounding
    # of its limit ``1 / (1 - ratio)``, which bounds S at every step: the
    # scale is then settled for good, and a step that asks for the bound
    # (every step under max-norm) does one multiplication. A class
    # attribute, so that an optimizer pickled before it existed reads None.
    _settled_bound_scale = None

    def _bound_scale(self):
        """``step_bound() / lr_t`` at step ``t``; settled once S has converged."""
        settled = True
        if self.beta_1 == 0:
            series = 1.0  # m is the last gradient alone: only the j = 0 term
        elif self.beta_2 == 0:
            # v is the last squared gradient alone, so m / sqrt(v) has no bound.
            return math.inf
        else:
            ratio = self.beta_1**2 / self.beta_2
            settled = ratio < 1 and ratio**self.t < sys.float_info.epsilon
            series = 1 / (1 - ratio) if settled else _geometric_series(ratio, self.t)
        scale = (1 - self.beta_1) / math.sqrt(1 - self.beta_2) * math.sqrt(series)
        if settled:
            self._settled_bound_scale = scale
        return scale

    def update(self, params, grads, l2=0.0, l2_sizes=None, overwrite_grads=False):
        """Take one step.

        ``l2`` and ``l2_sizes`` add an L2 term to the gradients first, and
        ``overwrite_grads`` lets the step use them as its workspace, as in
        :meth:`SGDOptimizer.update`.
        """
        self.t += 1
        beta_1, beta_2 = self.beta_1, self.beta_2
        correction = math.sqrt(1 - beta_2**self.t) / (1 - beta_1**self.t)
        self.learning_rate = float(self.learning_rate_init * correction)
        # The moments are stored divided by (1 - beta): M = m / (1 - beta_1)
        # and V = v / (1 - beta_2). Their updates then need no scaling pass
        # (M = beta_1 * M + g), and the constants fold into two scalars:
        #   learning_rate * m / (sqrt(v) + epsilon)
        #     = M / ((sqrt(V) + epsilon / sqrt(1 - beta_2)) / scale),
        # with scale = learning_rate * (1 - beta_1) / sqrt(1 - beta_2).
        # Ten passes over the parameters instead of twelve.
        root = math.sqrt(1 - beta_2)
        scale = self.learning_rate * (1 - beta_1) / root
        shifted_epsilon = self.epsilon / root
        slices, (first, second) = self._sliced(params, grads, l2_sizes)
        for param, grad, n_penalised, (m, v) in slices:
            grad = _with_l2(param, grad, n_penalised, l2, first, overwrite_grads)
            # Once added to the first moment, the gradient is needed only
            # squared: with overwrite_grads the rest of the step works in it,
            # and the passes below touch five arrays instead of six.
            step = grad if overwrite_grads else second[: param.size]
            m *= beta_1
            m += grad
            np.multiply(grad, grad, out=step)
            v *= beta_2
            v += step
            np.sqrt(v, out=step)
            step += shifted_epsilon
            step *= -1.0 / scale
            np.divide(m, step, out=step)
            param += step


def _geometric_series(ratio, n_terms):
    """``sum_{j < n_terms} ratio**j``; inf when it overflows."""
    if ratio == 1.0:
        return float(n_terms)
    try:
        series = (1 - ratio**n_terms) / (1 - ratio)
    except OverflowError:
        return math.inf
    # A ratio that overflowed to inf (beta_2 near 0) gives NaN here.
    return series if math.isfinite(series) else math.inf
