"""A minibatch's rows of X, the targets and the sample weights, in reused buffers."""

import numpy as np
import scipy.sparse as sp


class MinibatchRows:
    """Gathers the rows of one minibatch into buffers made once per fit.

    Parameters
    ----------
    batch_size : int
        Most rows a minibatch has.
    n_targets : int
        Columns of the targets ``Y``.
    dtype : numpy dtype
        Of the targets and sample weights (X keeps its own).
    """

    def __init__(self, batch_size, n_targets, dtype):
        self.batch_size = int(batch_size)
        self._X_buffer = None  # allocated on first gather, in X's width
        # The C-ordered copy of a column-major or strided X that shuffled
        # epochs gather from, and the X it copies (see _shuffled_rows).
        self._copied_from = None
        self.row_major_copy = None
        self._Y_buffer = np.empty((batch_size, n_targets), dtype=dtype)
        self._sw_buffer = np.empty(batch_size, dtype=dtype)

    def gather(self, X, Y, sample_weight, order, start, stop):
        """Rows ``start:stop`` of the epoch's row order, of X, Y and the weights.

        Parameters
        ----------
        X : ndarray or sparse matrix of shape (n_samples, n_features)
        Y : ndarray of shape (n_samples, n_targets)
        sample_weight : ndarray of shape (n_samples,) or None
        order : ndarray of int or None
            The epoch's row order (a permutation); None walks the rows in place.
        start, stop : int

        Returns
        -------
        X_batch, Y_batch, sw_batch
            Views of the reused buffers (or of the inputs, for rows in
            place), valid until the next gather.
        """
        n = stop - start
        if order is None:
            rows = slice(start, stop)
            sw = None if sample_weight is None else sample_weight[rows]
            X_batch = X[rows]
            if not is_sparse(X) and not X_batch.flags.c_contiguous:
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
        # take otherwise fills before copying into ``out``. (The methods, not
        # np.take: its Python wrapper costs a microsecond a call, a share of
        # a small network's step.)
        if is_sparse(X):
            X_batch = X[idx]
        else:
            X = self._shuffled_rows(X)
            X_batch = X.take(idx, axis=0, out=self._rows_buffer(X)[:n], mode="clip")
        Y_batch = Y.take(idx, axis=0, out=self._Y_buffer[:n], mode="clip")
        sw = None
        if sample_weight is not None:
            sw = sample_weight.take(idx, out=self._sw_buffer[:n], mode="clip")
        return X_batch, Y_batch, sw

    def _shuffled_rows(self, X):
        """``X``, or a C-ordered copy of it made once per fit, to gather from.

        np.take copies a whole array that is not C-contiguous (a DataFrame's
        values, a Fortran-ordered or column-sliced array) into C order before
        taking any row: for a shuffled minibatch that is the whole of X per
        batch, several times the rest of the step. One copy made at the first
        shuffled gather and kept while the same X comes back (this object
        lives for one fit) costs one pass over X per fit instead; it doubles
        the memory X takes during the fit, where C-ordered input needs no
        copy. The gathered rows are the same values either way, so the fit
        is the same as on C-ordered input, to the bit.
        """
        if X.flags.c_contiguous:
            return X
        if self._copied_from is not X:
            self.row_major_copy = None  # let the old copy go before the new
            self.row_major_copy = np.ascontiguousarray(X)
            self._copied_from = X
        return self.row_major_copy

    def _rows_buffer(self, X):
        """The reused buffer for a minibatch of X's rows, made on first use."""
        if self._X_buffer is None or self._X_buffer.shape[1] != X.shape[1]:
            self._X_buffer = np.empty((self.batch_size, X.shape[1]), dtype=X.dtype)
        return self._X_buffer


def is_sparse(X):
    """``sp.issparse(X)``, without its abstract-class check for an ndarray."""
    return not isinstance(X, np.ndarray) and sp.issparse(X)
