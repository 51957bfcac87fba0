"""Minibatch backpropagation with dropout and the max-norm constraint."""

import math

import numpy as np
import scipy.sparse as sp

from ._activations import ACTIVATIONS, DERIVATIVES, activation_workspace
from ._dropout import DropoutMasks
from ._losses import LOSSES
from ._max_norm import MaxNormConstraint
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
        self._deriv_scratch = [np.empty((rows, u), dtype=dtype) for u in units[1:-1]]
        self._X_buffer = None  # allocated on first gather, in X's width
        self._Y_buffer = np.empty((rows, units[-1]), dtype=dtype)
        self._sw_buffer = np.empty(rows, dtype=dtype)
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
        self._relu_folds_into_mask = activation == "relu"

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
            and the parameters may hold non-finite values.
        """
        if batch_size > self._Y_buffer.shape[0]:
            raise ValueError(
                f"batch_size={batch_size} exceeds the {self._Y_buffer.shape[0]} "
                "rows the trainer's buffers were made for."
            )
        n_samples = X.shape[0]
        accumulated = 0.0
        if self.constraint is not None:
            # Between epochs the weights may have been restored from a
            # checkpoint or set by the caller: measure them afresh.
            self.constraint.forget()
        # Overflow is detected below, through the loss; numpy's warnings
        # about it would only repeat that news once per operation.
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            for start in range(0, n_samples, batch_size):
                stop = min(start + batch_size, n_samples)
                X_batch, Y_batch, sw_batch = self._gather(
                    X, Y, sample_weight, order, start, stop
                )
                batch_loss = self.step(X_batch, Y_batch, sw_batch)
                if not math.isfinite(batch_loss):
                    return batch_loss
                accumulated += batch_loss * (stop - start)
        return accumulated / n_samples

    def _gather(self, X, Y, sample_weight, order, start, stop):
        n = stop - start
        if order is None:
            rows = slice(start, stop)
            sw = None if sample_weight is None else sample_weight[rows]
            X_batch = X[rows]
            if not sp.issparse(X) and not X_batch.flags.c_contiguous:
                # Rows of a Fortran-ordered X (a single-dtype DataFrame, say)
                # are strided: np.dot would copy them into a new array at
                # every product; copy them once, into the reused buffer.
                buffer = self._rows_buffer(X)[:n]
                np.copyto(buffer, X_batch)
                X_batch = buffer
            return X_batch, Y[rows], sw
        idx = order[start:stop]
        # The indices come from a permutation of the rows, so they are valid:
        # mode="clip" skips the bounds check, and with it the temporary that
        # np.take otherwise fills before copying into ``out``.
        if sp.issparse(X):
            X_batch = X[idx]
        else:
            X_batch = np.take(X, idx, axis=0, out=self._rows_buffer(X)[:n], mode="clip")
        Y_batch = np.take(Y, idx, axis=0, out=self._Y_buffer[:n], mode="clip")
        sw = None
        if sample_weight is not None:
            sw = np.take(sample_weight, idx, out=self._sw_buffer[:n], mode="clip")
        return X_batch, Y_batch, sw

    def _rows_buffer(self, X):
        """The reused buffer for a minibatch of X's rows, made on first use."""
        if self._X_buffer is None or self._X_buffer.shape[1] != X.shape[1]:
            self._X_buffer = np.empty(
                (self._Y_buffer.shape[0], X.shape[1]), dtype=X.dtype
            )
        return self._X_buffer

    # ------------------------------------------------------------------- step
    def sample_masks(self, X_batch):
        """Fresh dropout masks for one minibatch (None where a rate is 0)."""
        n = X_batch.shape[0]
        masks = [self.masks.sample(i, n) for i in range(1, len(self.coefs))]
        if sp.issparse(X_batch):
            first = self.masks.sample_flat(0, X_batch.nnz)
        else:
            first = self.masks.sample(0, n)
        return [first] + masks

    def step(self, X_batch, Y_batch, sample_weight=None):
        """Sample masks, backpropagate, update, and project; returns the loss.

        A batch whose sample weights are all zero carries no information: it
        is skipped (no update) and its loss counts as 0.
        """
        if sample_weight is not None and not sample_weight.any():
            return 0.0
        masks = self.sample_masks(X_batch) if self.masks.any_active else None
        loss = self.loss_and_gradients(
            X_batch, Y_batch, sample_weight, masks, penalty_gradient=False
        )
        if not math.isfinite(loss) and masks is not None and self._relu_folds_into_mask:
            # A pre-activation of -inf (an overflow) is 0 after the ReLU,
            # but -inf * 0 is NaN in the folded product: the same batch and
            # masks again, the ReLU and the mask apart, decide divergence.
            self._relu_folds_into_mask = False
            try:
                loss = self.loss_and_gradients(
                    X_batch, Y_batch, sample_weight, masks, penalty_gradient=False
                )
            finally:
                self._relu_folds_into_mask = True
        # The optimizer adds the L2 term's gradient slice by slice, while each
        # slice of weights and gradients is in cache for its own update,
        # rather than in two passes of their own over all the weights.
        l2 = self.alpha / _batch_weight(X_batch.shape[0], sample_weight)
        self.optimizer.update(
            self._update_params, self._update_grads, l2=l2, l2_sizes=self._l2_sizes
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
            One mask per masked layer (input first), each None or an array of
            the layer's shape (a 1-D array over stored entries for sparse
            input); None means no dropout.
        penalty_gradient : bool, default=True
            Whether to add the L2 term's gradient to ``coef_grads``. The loss
            includes the L2 term either way; ``step`` leaves the gradient to
            the optimizer.

        Returns
        -------
        loss : float
        """
        n = X_batch.shape[0]
        n_layers = len(self.coefs)
        last = n_layers - 1
        if masks is None:
            masks = [None] * n_layers
        sparse = sp.issparse(X_batch)
        inputs = self._forward_train(X_batch, masks, n, sparse)
        out = self._act[last][:n]

        sw_sum = _batch_weight(n, sample_weight)
        loss = LOSSES[self.loss](
            Y_batch, out, sample_weight, [s[:n] for s in self._loss_scratch]
        )
        if self.alpha:
            squares = sum(float(np.dot(W, W)) for W in self._coef_blocks)
            loss += (0.5 * self.alpha) * squares / sw_sum

        delta = self._deltas[last][:n]
        np.subtract(out, Y_batch, out=delta)
        # Dividing the output error by the batch weight here, on a few
        # columns, scales every gradient below it (backprop is linear in the
        # error) and spares a pass over all the parameters at the end.
        if sample_weight is None:
            delta /= sw_sum
        else:
            row_weights = self._sw_scaled[:n]
            np.divide(sample_weight, sw_sum, out=row_weights)
            delta *= row_weights.reshape(-1, 1)
        self._layer_gradients(last, inputs[last], delta, sparse and last == 0)
        derivative = DERIVATIVES[self.activation]
        for i in range(last, 0, -1):
            below = self._deltas[i - 1][:n]
            np.dot(delta, self.coefs[i].T, out=below)
            if masks[i] is not None and self._relu_folds_into_mask:
                # The forward pass left mask * (Z > 0) here: dropout's and
                # the ReLU's factors in one multiplication.
                below *= self._deriv_scratch[i - 1][:n]
            else:
                if masks[i] is not None:
                    below *= masks[i]
                derivative(self._act[i - 1][:n], below, self._deriv_scratch[i - 1][:n])
            self._layer_gradients(i - 1, inputs[i - 1], below, sparse and i == 1)
            delta = below
        if self.alpha and penalty_gradient:
            # Outside the training loop (step passes False): allocating is fine.
            for W, grad in zip(self.coefs, self.coef_grads):
                grad += (self.alpha / sw_sum) * W
        return loss

    def _forward_train(self, X_batch, masks, n, sparse):
        """Forward pass with masks; returns each layer's (dropped) input.

        ``sparse`` says whether ``X_batch`` is a sparse matrix; only the first
        layer's input can be (sparse @ dense is dense).
        """
        first = masks[0]
        if first is not None:
            if sparse:
                X_batch = X_batch.copy()
                X_batch.data *= first
            else:
                if self._dropped[0] is None:
                    self._dropped[0] = np.empty(
                        (self._Y_buffer.shape[0], X_batch.shape[1]), dtype=self.dtype
                    )
                dropped = self._dropped[0][:n]
                np.multiply(X_batch, first, out=dropped)
                X_batch = dropped
        inputs = [X_batch]
        hidden = ACTIVATIONS[self.activation]
        last = len(self.coefs) - 1
        for i, (W, b) in enumerate(zip(self.coefs, self.intercepts)):
            Z = self._act[i][:n]
            A = inputs[i]
            if sparse and i == 0:
                Z[...] = A @ W
            else:
                np.dot(A, W, out=Z)
            Z += b
            workspace = self._workspaces[i]
            if workspace is not None:
                workspace = workspace[:n]
            if i == last:
                ACTIVATIONS[self.out_activation](Z, workspace)
                break
            mask = masks[i + 1]
            if mask is None:
                hidden(Z, workspace)
                inputs.append(Z)
                continue
            dropped = self._dropped[i + 1][:n]
            if self._relu_folds_into_mask:
                # relu(Z) * mask == Z * (mask * (Z > 0)), and the factor in
                # brackets is also what backpropagation multiplies by: one
                # pass fewer each way than applying the ReLU and the mask
                # apart. Where Z <= 0 the product is -0.0 or 0.0, which
                # every later sum treats alike; where Z is -inf it is NaN,
                # which step() catches and redoes the other way.
                factor = self._deriv_scratch[i][:n]
                np.greater(Z, 0, out=factor)
                factor *= mask
                np.multiply(Z, factor, out=dropped)
            else:
                hidden(Z, workspace)
                np.multiply(Z, mask, out=dropped)
            inputs.append(dropped)
        return inputs

    def _layer_gradients(self, layer, A, delta, sparse):
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
        np.dot(self._ones[: delta.shape[0]], delta, out=self.intercept_grads[layer])

    # ------------------------------------------- for the estimator layer
    def project_start(self):
        """Project the network onto the max-norm ball before training.

        Returns
        -------
        changed : bool
            Whether any weight column was rescaled (always False without
            ``max_norm``).
        """
        if self.constraint is None:
            return False
        before = self.constraint.n_clipped
        self.constraint.project(None)
        return self.constraint.n_clipped > before

    def release_workspace(self):
        """Free the optimizer's scratch vectors; the next step makes them again."""
        self.optimizer.release_workspace()

    def loss_of_outputs(self, out, Y, sample_weight=None):
        """The data loss (no penalty) of network outputs ``out`` for targets ``Y``.

        For rows outside the training minibatches, such as a validation set:
        its scratch arrays are made for ``out``, not taken from the trainer's.
        """
        scratch = (np.empty_like(out), np.empty_like(out))
        return LOSSES[self.loss](Y, out, sample_weight, scratch)


def _batch_weight(n_rows, sample_weight):
    """Total weight of a minibatch: its number of rows if unweighted."""
    return n_rows if sample_weight is None else float(sample_weight.sum())
