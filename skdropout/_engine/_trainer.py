"""Minibatch backpropagation with dropout and the max-norm constraint."""

import math

import numpy as np

from ._activations import ACTIVATIONS, DERIVATIVES, activation_workspace
from ._dropout import DropoutMasks, PackedMask
from ._losses import LOSS_GRADIENTS, LOSSES, OUTPUTS_PER_TARGET
from ._max_norm import MaxNormConstraint
from ._minibatches import MinibatchRows, is_sparse
from ._parameters import empty_like_packed


class MinibatchTrainer:
    """Train a multilayer perceptron one minibatch at a time.

    All buffers (activations, deltas, gradients, masks) are allocated here,
    once, for minibatches of up to ``batch_size`` rows; the per-batch work
    reuses them through ``out=`` arguments and in-place updates. Sparse input
    is the exception: SciPy's products have no ``out=``, so the first layer's
    product and gradient make arrays the size of the batch (its rows, and
    the columns it stores), never the size of the whole feature space.

    Parameters
    ----------
    coefs, intercepts : list of ndarray
        The network's parameters, updated in place.
    activation : str
        Hidden activation, a key of ``ACTIVATIONS`` with a derivative.
    out_activation : str
        Output activation; with ``loss`` it must form a canonical pair.
    loss : str
        A key of ``LOSSES``.
    alpha : float
        L2 penalty; the penalty term is divided by the batch's total weight.
    optimizer : SGDOptimizer or AdamOptimizer
        Holds the update rule and its state.
    batch_size : int
        Largest number of rows in a minibatch.
    dropout_rates : sequence of float, default=None
        Drop probability of the input layer followed by one per hidden
        layer. None means no dropout anywhere.
    max_norm : float, default=None
        Cap on the L2 norm of every unit's incoming weights, enforced after
        each update (see :class:`MaxNormConstraint`, which skips the checks
        that the optimizer's step bound shows cannot clip). None disables
        it.
    rng : numpy.random.Generator, default=None
        Source of the dropout masks; needed only if a rate is above 0.
    dropout_type : {'bernoulli', 'gaussian'}, default='bernoulli'
        Distribution of the multiplicative noise (see :class:`DropoutMasks`).
    flat_params : ndarray, default=None
        The vector made by :func:`pack_parameters` that ``coefs`` and
        ``intercepts`` (in that order) are views of. When given, the
        optimizer, which must then have been built on ``[flat_params]``,
        updates the whole network in one go.
    """

    def __init__(
        self,
        coefs,
        intercepts,
        *,
        activation,
        out_activation,
        loss,
        alpha,
        optimizer,
        batch_size,
        dropout_rates=None,
        max_norm=None,
        rng=None,
        flat_params=None,
        dropout_type="bernoulli",
    ):
        self.coefs = coefs
        self.intercepts = intercepts
        self.params = list(coefs) + list(intercepts)
        self.activation = activation
        self.out_activation = out_activation
        self.loss = loss
        # Python floats, not NumPy scalars: a np.float64 would make every
        # float32 operation it enters run (and round) in float64.
        self.alpha = float(alpha)
        self.optimizer = optimizer
        dtype = coefs[0].dtype
        self.dtype = dtype
        units = [coefs[0].shape[0]] + [W.shape[1] for W in coefs]
        n_layers = len(coefs)
        if dropout_rates is None:
            dropout_rates = [0.0] * n_layers
        if len(dropout_rates) != n_layers:
            raise ValueError(
                f"dropout_rates needs {n_layers} rates (input and each hidden "
                f"layer), got {len(dropout_rates)}"
            )
        self.masks = DropoutMasks(
            dropout_rates, units[:-1], batch_size, dtype, rng, kind=dropout_type
        )

        rows = batch_size
        self._act = [np.empty((rows, u), dtype=dtype) for u in units[1:]]
        # One buffer per hidden layer, also where the rate is 0, so that
        # loss_and_gradients accepts any mask a caller passes in. The input
        # layer's buffer is made on first use: it is not needed for sparse
        # input, whose width may be huge.
        self._dropped = [None] + [np.empty((rows, u), dtype=dtype) for u in units[1:-1]]
        self._deltas = [np.empty((rows, u), dtype=dtype) for u in units[1:]]
        # Per hidden layer: where the forward pass writes the fused ReLU-and-
        # mask factor it hands to the backward pass (see _forward_train), or
        # else the scratch the activation's derivative works in.
        self._hidden_scratch = [np.empty((rows, u), dtype=dtype) for u in units[1:-1]]
        # Y has fewer columns than the output layer for a loss that predicts
        # more than one number per target (a mean and a variance).
        n_targets = units[-1] // OUTPUTS_PER_TARGET.get(loss, 1)
        self.minibatches = MinibatchRows(rows, n_targets, dtype)
        self._sw_scaled = np.empty(rows, dtype=dtype)
        self._loss_scratch = (
            np.empty((rows, units[-1]), dtype=dtype),
            np.empty((rows, units[-1]), dtype=dtype),
        )
        self._workspaces = [
            activation_workspace(activation, rows, u, dtype) for u in units[1:-1]
        ] + [activation_workspace(out_activation, rows, units[-1], dtype)]
        # Summing a delta over the minibatch (the intercept gradient) is a
        # matrix-vector product with ones: BLAS does it faster than np.sum.
        self._ones = np.ones(rows, dtype=dtype)
        # The buffers cut to a minibatch's rows, by row count (two in a fit:
        # the batch size and the last batch's), and the functions of this
        # network: looked up once, not at every step. Each lookup or slice
        # costs little, but a step's hundred of them slow the matrix
        # products around them too (on digits, W1, a step made 20 us shorter
        # by cutting the optimizer's slices once).
        self._row_views = {}
        self._hidden = ACTIVATIONS[activation]
        self._output = ACTIVATIONS[out_activation]
        self._derivative = DERIVATIVES[activation]
        self._loss = LOSSES[loss]
        self._output_gradient = LOSS_GRADIENTS.get(loss)
        # Gradients live in one vector laid out like the packed parameters, so
        # that the optimizer can update the whole network in one go.
        self._grad_flat, self.grads = empty_like_packed(self.params)
        self.coef_grads = self.grads[:n_layers]
        self.intercept_grads = self.grads[n_layers:]
        n_coef = sum(W.size for W in coefs)
        if flat_params is None:
            self._update_params, self._update_grads = self.params, self.grads
            self._coef_blocks = [W.reshape(-1) for W in coefs]
            self._l2_sizes = [W.size for W in coefs] + [0] * n_layers
        else:
            self._update_params, self._update_grads = [flat_params], [self._grad_flat]
            # Weights come first in the packed vector: the L2 penalty of the
            # whole network is then one contiguous block.
            self._coef_blocks = [flat_params[:n_coef]]
            self._l2_sizes = [n_coef]
        self.constraint = (
            None if max_norm is None else MaxNormConstraint(self.coefs, max_norm)
        )
        # Whether a dropped-out ReLU layer may multiply by one fused factor
        # (see _forward_train). Configuration only: a step that needs the
        # ReLU and the mask apart asks for that explicitly.
        self._relu_folds_into_mask = activation == "relu"
        # Per hidden layer: whether its masks are drawn packed, as where the
        # ReLU folds into them (see sample_masks). Fixed for the fit.
        self._hidden_plan = tuple(
            (i, self._relu_folds_into_mask and self.masks.packs(i))
            for i in range(1, n_layers)
        )
        self._input_dropped = dropout_rates[0] > 0
        # The L2 penalty's share of the last batch's loss, and of the last
        # epoch's: the divergence rules judge the data loss without it.
        self._penalty = 0.0
        self.epoch_penalty = 0.0

    # ------------------------------------------------------------------ epoch
    def run_epoch(self, X, Y, sample_weight, batch_size, order=None):
        """One pass over the data; returns the mean training loss.

        Parameters
        ----------
        X : ndarray or CSR matrix of shape (n_samples, n_features)
        Y : ndarray of shape (n_samples, n_outputs)
        sample_weight : ndarray of shape (n_samples,) or None
        batch_size : int
        order : ndarray of int or None
            Row order for this epoch; None walks the rows in place.

        Returns
        -------
        loss : float
            Mean over samples of the per-batch losses (penalty included),
            each batch weighted by its number of rows; NaN or inf if a batch
            loss was not finite, in which case the epoch stops at that batch
            and the parameters may hold non-finite values. The penalty's
            share of it is left in :attr:`epoch_penalty` (0 after a
            non-finite batch).

        Notes
        -----
        With ``max_norm``, the constraint skips the checks that the bound on
        the steps taken since the last one shows cannot clip. Weights changed
        other than by this trainer's steps (restored, set by the caller)
        void that bound: call :meth:`project_start` before training on.
        """
        gather = self.minibatches.gather
        if batch_size > self.minibatches.batch_size:
            raise ValueError(
                f"batch_size={batch_size} exceeds the "
                f"{self.minibatches.batch_size} rows the trainer's buffers were "
                "made for."
            )
        n_samples = X.shape[0]
        accumulated = penalties = 0.0
        self.epoch_penalty = 0.0
        # Overflow is detected below, through the loss; numpy's warnings
        # about it would only repeat that news once per operation.
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            for start in range(0, n_samples, batch_size):
                stop = min(start + batch_size, n_samples)
                X_batch, Y_batch, sw_batch = gather(
                    X, Y, sample_weight, order, start, stop
                )
                batch_loss = self.step(X_batch, Y_batch, sw_batch)
                if not math.isfinite(batch_loss):
                    return batch_loss
                accumulated += batch_loss * (stop - start)
                penalties += self._penalty * (stop - start)
        self.epoch_penalty = penalties / n_samples
        return accumulated / n_samples

    # ------------------------------------------------------------------- step
    def sample_masks(self, X_batch):
        """Fresh dropout masks for one minibatch (None where a rate is 0).

        Some may be :class:`PackedMask`; ``loss_and_gradients`` takes them
        as they are.
        """
        n = X_batch.shape[0]
        # The hidden layers' masks are drawn before the input's: the order
        # of the random stream, which fixes every fit's masks for a seed.
        # A mask that the ReLU will fold into stays packed: _forward_train
        # makes the fused factor from its bits, never writing the mask out.
        drawn = [None]
        drawn += self.masks.sample_layers(self._hidden_plan, n)
        if self._input_dropped:
            masks = self.masks
            if is_sparse(X_batch):
                drawn[0] = masks.sample_flat(0, X_batch.nnz)
            else:
                drawn[0] = masks.sample(0, n)
        return drawn

    def step(self, X_batch, Y_batch, sample_weight=None):
        """Sample masks, backpropagate, update, and project; returns the loss.

        The update works in ``coef_grads`` and ``intercept_grads``: after a
        step they hold no gradient (:meth:`loss_and_gradients` fills them).

        A batch whose sample weights are all zero carries no information: it
        is skipped (no update) and its loss counts as 0.
        """
        if sample_weight is not None and not sample_weight.any():
            self._penalty = 0.0
            return 0.0
        masks = self.sample_masks(X_batch) if self.masks.any_active else None
        fused = masks is not None and self._relu_folds_into_mask
        loss = self._backpropagate(X_batch, Y_batch, sample_weight, masks, fused)
        if fused and not math.isfinite(loss):
            # A pre-activation of -inf (an overflow) is 0 after the ReLU,
            # but -inf * 0 is NaN in the fused product: the same batch and
            # masks again, the ReLU and the mask apart, decide divergence.
            loss = self._backpropagate(
                X_batch, Y_batch, sample_weight, masks, fuse_relu_and_mask=False
            )
        # The optimizer adds the L2 term's gradient slice by slice, while each
        # slice of weights and gradients is in cache for its own update,
        # rather than in two passes of their own over all the weights. The
        # next batch refills the gradients: the update may work in them.
        l2 = self.alpha / _batch_weight(X_batch.shape[0], sample_weight)
        self.optimizer.update(
            self._update_params,
            self._update_grads,
            l2=l2,
            l2_sizes=self._l2_sizes,
            overwrite_grads=True,
        )
        if self.constraint is not None:
            self.constraint.project(self.optimizer.step_bound())
        return loss

    def loss_and_gradients(
        self, X_batch, Y_batch, sample_weight=None, masks=None, penalty_gradient=True
    ):
        """Loss of one minibatch and its gradients, for given masks.

        The gradients land in ``coef_grads`` and ``intercept_grads``. Passing
        the masks in (rather than sampling them here) lets tests hold them
        fixed and compare against finite differences.

        Parameters
        ----------
        X_batch : ndarray or CSR matrix of shape (n, n_features)
        Y_batch : ndarray of shape (n, n_outputs)
        sample_weight : ndarray of shape (n,) or None
        masks : list or None
            One mask per masked layer (input first), each None, an array of
            the layer's shape (a 1-D array over stored entries for sparse
            input) or, for a hidden layer, a :class:`PackedMask` as
            :meth:`sample_masks` draws them; None means no dropout.
        penalty_gradient : bool, default=True
            Whether to add the L2 term's gradient to ``coef_grads``. The loss
            includes the L2 term either way; ``step`` leaves the gradient to
            the optimizer.

        Returns
        -------
        loss : float
        """
        return self._backpropagate(
            X_batch,
            Y_batch,
            sample_weight,
            masks,
            fuse_relu_and_mask=self._relu_folds_into_mask,
            penalty_gradient=penalty_gradient,
        )

    def _backpropagate(
        self,
        X_batch,
        Y_batch,
        sample_weight,
        masks,
        fuse_relu_and_mask,
        penalty_gradient=False,
    ):
        """:meth:`loss_and_gradients`, saying whether ReLU and mask may fuse."""
        n = X_batch.shape[0]
        n_layers = len(self.coefs)
        last = n_layers - 1
        if masks is None:
            masks = [None] * n_layers
        elif not fuse_relu_and_mask:
            masks = [
                self.masks.expand(m) if isinstance(m, PackedMask) else m for m in masks
            ]
        sparse = is_sparse(X_batch)
        rows = self._rows(n)
        inputs, factors = self._forward_train(
            X_batch, masks, rows, sparse, fuse_relu_and_mask
        )
        out = rows.act[last]

        sw_sum = _batch_weight(n, sample_weight)
        scratch = rows.loss_scratch
        loss = self._loss(Y_batch, out, sample_weight, scratch)
        self._penalty = 0.0
        if self.alpha:
            self._penalty = (0.5 * self.alpha) * self.squared_weights() / sw_sum
            loss += self._penalty

        delta = rows.deltas[last]
        if self._output_gradient is None:
            np.subtract(out, Y_batch, out=delta)
        else:
            self._output_gradient(Y_batch, out, delta, scratch)
        # Dividing the output error by the batch weight here, on a few
        # columns, scales every gradient below it (backprop is linear in the
        # error) and spares a pass over all the parameters at the end.
        if sample_weight is None:
            delta /= sw_sum
        else:
            row_weights = rows.sw_scaled
            np.divide(sample_weight, sw_sum, out=row_weights)
            delta *= row_weights.reshape(-1, 1)
        ones = rows.ones
        self._layer_gradients(last, inputs[last], delta, ones, sparse and last == 0)
        for i in range(last, 0, -1):
            below = rows.deltas[i - 1]
            np.dot(delta, self.coefs[i].T, out=below)
            if factors[i] is not None:
                # Dropout's and the ReLU's factors in one multiplication.
                below *= factors[i]
            else:
                if masks[i] is not None:
                    below *= masks[i]
                self._derivative(rows.act[i - 1], below, rows.hidden_scratch[i - 1])
            self._layer_gradients(i - 1, inputs[i - 1], below, ones, sparse and i == 1)
            delta = below
        if self.alpha and penalty_gradient:
            # Outside the training loop (step passes False): allocating is fine.
            for W, grad in zip(self.coefs, self.coef_grads):
                grad += (self.alpha / sw_sum) * W
        return loss

    def _forward_train(self, X_batch, masks, rows, sparse, fuse_relu_and_mask):
        """Forward pass with masks.

        ``rows`` holds the buffers cut to the batch's rows (see ``_rows``);
        ``sparse`` says whether ``X_batch`` is a sparse matrix; only the first
        layer's input can be (sparse @ dense is dense). With
        ``fuse_relu_and_mask``, a dropped-out ReLU layer multiplies by one
        factor, ``mask * (Z > 0)``, instead of applying the ReLU and then the
        mask.

        Returns
        -------
        inputs : list of arrays
            Each layer's (dropped-out) input, ``inputs[0]`` being the batch's.
        factors : list
            Aligned with ``inputs``: the fused factor that backpropagation
            multiplies the error reaching ``inputs[i]`` by (a view of the
            layer's ``_hidden_scratch`` or, for a packed mask, of the mask's
            buffer; valid until the next pass), or None where the ReLU and
            the mask were not fused.
        """
        first = masks[0]
        if first is not None:
            if sparse:
                X_batch = X_batch.copy()
                X_batch.data *= first
            else:
                if self._dropped[0] is None:
                    self._dropped[0] = np.empty(
                        (self.minibatches.batch_size, X_batch.shape[1]),
                        dtype=self.dtype,
                    )
                dropped = self._dropped[0][: X_batch.shape[0]]
                np.multiply(X_batch, first, out=dropped)
                X_batch = dropped
        inputs = [X_batch]
        factors = [None] * len(self.coefs)
        last = len(self.coefs) - 1
        for i, (W, b) in enumerate(zip(self.coefs, self.intercepts)):
            Z = rows.act[i]
            A = inputs[i]
            if sparse and i == 0:
                Z[...] = A @ W
            else:
                np.dot(A, W, out=Z)
            Z += b
            workspace = rows.workspaces[i]
            if i == last:
                self._output(Z, workspace)
                break
            mask = masks[i + 1]
            if mask is None:
                self._hidden(Z, workspace)
                inputs.append(Z)
                continue
            if fuse_relu_and_mask:
                # relu(Z) * mask == Z * (mask * (Z > 0)), and the factor in
                # brackets is also what backpropagation multiplies by: one
                # pass fewer each way than applying the ReLU and the mask
                # apart. Where Z <= 0 the product is -0.0 or 0.0, which
                # every later sum treats alike; where Z is -inf it is NaN,
                # which step() catches and redoes the other way. The
                # backward pass needs the factor, not Z: the product can
                # overwrite Z, which keeps one buffer fewer in cache.
                if isinstance(mask, PackedMask):
                    factor = self.masks.relu_factor(mask, Z)
                else:
                    factor = rows.hidden_scratch[i]
                    np.greater(Z, 0, out=factor)
                    factor *= mask
                Z *= factor
                factors[i + 1] = factor
                inputs.append(Z)
                continue
            dropped = rows.dropped[i + 1]
            self._hidden(Z, workspace)
            np.multiply(Z, mask, out=dropped)
            inputs.append(dropped)
        return inputs, factors

    def _rows(self, n):
        """The trainer's buffers cut to a minibatch of ``n`` rows, cut once."""
        views = self._row_views.get(n)
        if views is None:
            views = self._row_views[n] = _RowViews(self, n)
        return views

    def _layer_gradients(self, layer, A, delta, ones, sparse):
        grad = self.coef_grads[layer]
        if sparse:
            # A.T @ delta would be a new dense (n_features, units) array at
            # every step, the size of the largest weight matrix for hashed
            # or text features. Only the batch's stored columns have nonzero
            # gradient rows: compute those, and zero the rest in place.
            if A.format != "csr":  # the indices must be column indices
                A = A.tocsr()
            columns = np.unique(A.indices)
            grad.fill(0)
            grad[columns] = A[:, columns].T @ delta
        else:
            np.dot(A.T, delta, out=grad)
        np.dot(ones, delta, out=self.intercept_grads[layer])

    # ------------------------------------------- for the estimator layer
    def project_start(self):
        """Project the network onto the max-norm ball before training.

        Call it whenever the weights were changed other than by
        :meth:`step`: it measures every matrix afresh.

        Returns
        -------
        changed : bool
            Whether any weight column was rescaled (always False without
            ``max_norm``).
        """
        if self.constraint is None:
            return False
        return self.constraint.clip_all() > 0

    def release_workspace(self):
        """Free the optimizer's scratch vectors; the next step makes them again."""
        self.optimizer.release_workspace()

    def loss_of_outputs(self, out, Y, sample_weight=None, scratch=None):
        """The data loss (no penalty) of network outputs ``out`` for targets ``Y``.

        For rows outside the training minibatches, such as a validation set.
        ``scratch`` is a pair of arrays shaped like ``out`` for a caller that
        scores the same rows again and again; without it, they are made for
        this call, not taken from the trainer's.
        """
        if scratch is None:
            scratch = (np.empty_like(out), np.empty_like(out))
        return LOSSES[self.loss](Y, out, sample_weight, scratch)

    def squared_weights(self):
        """The sum of the squared weights (not intercepts): the L2 penalty's."""
        blocks = self._coef_blocks
        if len(blocks) == 1:
            # The packed weights, one block: a generator and sum() would
            # double the cost of this dot on a small network, at every step.
            return float(np.dot(blocks[0], blocks[0]))
        return sum(float(np.dot(W, W)) for W in blocks)


class _RowViews:
    """A trainer's minibatch buffers, each cut to the first ``n`` rows.

    Attributes mirror the trainer's buffers of the same names (without the
    underscore); ``workspaces`` and ``dropped`` keep None where the trainer
    has no buffer.
    """

    __slots__ = (
        "act",
        "deltas",
        "hidden_scratch",
        "dropped",
        "workspaces",
        "loss_scratch",
        "sw_scaled",
        "ones",
    )

    def __init__(self, trainer, n):
        self.act = [a[:n] for a in trainer._act]
        self.deltas = [d[:n] for d in trainer._deltas]
        self.hidden_scratch = [s[:n] for s in trainer._hidden_scratch]
        # The input layer's buffer is made on first use: not cut here.
        self.dropped = [None] + [d[:n] for d in trainer._dropped[1:]]
        self.workspaces = [None if w is None else w[:n] for w in trainer._workspaces]
        self.loss_scratch = tuple(s[:n] for s in trainer._loss_scratch)
        self.sw_scaled = trainer._sw_scaled[:n]
        self.ones = trainer._ones[:n]


def _batch_weight(n_rows, sample_weight):
    """Total weight of a minibatch: its number of rows if unweighted."""
    return n_rows if sample_weight is None else float(sample_weight.sum())
