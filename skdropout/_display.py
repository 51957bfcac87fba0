"""Plot of the per-epoch training curves of a fitted network."""

import numpy as np
from sklearn.base import is_classifier
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from ._optional import import_optional

_METRICS = ("loss", "score")

# Matplotlib aliases of the style keywords the display sets by default: a
# user's alias must replace the default rather than clash with it.
_STYLE_ALIASES = {"c": "color", "ls": "linestyle", "lw": "linewidth"}


def _style(defaults, user_kw):
    """``defaults`` overridden by ``user_kw``, resolving matplotlib aliases."""
    style = dict(defaults)
    for key, value in (user_kw or {}).items():
        style[_STYLE_ALIASES.get(key, key)] = value
    return style


def _copy_of_curve(values):
    """A float array holding ``values`` (None stays None)."""
    return None if values is None else np.array(values, dtype=float)


def _as_curve(values, what):
    if values is None:
        return None
    curve = np.asarray(values, dtype=float)
    if curve.ndim != 1:
        raise ValueError(f"{what} must be one-dimensional, got shape {curve.shape}.")
    return curve


class TrainingCurveDisplay:
    """Per-epoch training curves of a network: loss or validation score.

    Shows what happened during training, epoch by epoch: the training loss
    (measured on the minibatches with dropout active) against the validation
    loss (measured after the epoch on the validation set, with the
    deterministic, dropout-free network), or the validation score. A gap
    that opens between the two losses is the mark of overfitting. This is
    not :class:`sklearn.model_selection.LearningCurveDisplay`, which shows
    scores against the size of the training set.

    Prefer :meth:`from_estimator` to build one. All parameters are stored as
    attributes.

    The training loss is measured with dropout active, the validation loss
    without it, so the two are not on the same footing: dropout raises the
    training loss, while fitting the training rows lowers it. Either may lie
    above the other (in the gallery's example the training loss ends below
    the validation loss); compare the trends, not the levels.

    Parameters
    ----------
    epochs : array-like of shape (n_epochs,), default=None
        Epoch number of each entry of ``train_loss``; None means
        ``1, ..., n_epochs``.

    train_loss : array-like of shape (n_epochs,)
        Mean training loss of every epoch, as in ``loss_curve_``.

    validation_loss : array-like of shape (n_validation_epochs,), default=None
        Validation loss of every epoch, as in ``validation_loss_curve_``; None
        when there was no validation set. A curve shorter than ``train_loss``
        is aligned with its last epochs.

    validation_score : array-like of shape (n_validation_epochs,), default=None
        Validation score of every epoch, as in ``validation_scores_``; None
        when there was no validation set. Aligned like ``validation_loss``.

    name : str, default=None
        Name of the model, which starts every legend label. None leaves it
        out.

    score_name : str, default=None
        Name of the validation score on the axis and in the legend, for
        example "accuracy"; None means "score".

    Attributes
    ----------
    ax_ : matplotlib Axes
        Axes with the curves.

    figure_ : matplotlib Figure
        Figure containing the curves.

    lines_ : list of matplotlib Line2D
        Lines drawn by the last call to :meth:`plot`: the training loss, then
        the validation loss if there is one (``metric="loss"``), or the
        validation score (``metric="score"``).

    See Also
    --------
    sklearn.model_selection.LearningCurveDisplay : Scores against the number
        of training samples.
    sklearn.model_selection.ValidationCurveDisplay : Scores against a
        hyperparameter's value.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> from skdropout import TrainingCurveDisplay
    >>> display = TrainingCurveDisplay(
    ...     train_loss=[0.9, 0.6, 0.5, 0.45], validation_loss=[0.8, 0.55, 0.5, 0.52],
    ...     name="net")
    >>> display = display.plot()
    >>> [line.get_label() for line in display.lines_]
    ['net: training loss', 'net: validation loss']
    >>> plt.close(display.figure_)
    """

    def __init__(
        self,
        *,
        epochs=None,
        train_loss,
        validation_loss=None,
        validation_score=None,
        name=None,
        score_name=None,
    ):
        self.epochs = epochs
        self.train_loss = train_loss
        self.validation_loss = validation_loss
        self.validation_score = validation_score
        self.name = name
        self.score_name = score_name

    def plot(
        self,
        ax=None,
        *,
        name=None,
        metric="loss",
        train_kw=None,
        validation_kw=None,
    ):
        """Plot the curves.

        Each call draws on ``ax`` without clearing it, so curves of several
        models can share one axes; the training and validation curves of one
        call share a colour (solid for training, dashed for validation), and
        the next call takes the next colour of the axes' cycle.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to plot on. If None, a new figure and axes are created.

        name : str, default=None
            Name of the model in the legend labels; None uses ``self.name``.

        metric : {"loss", "score"}, default="loss"
            "loss" draws the training loss and, if recorded, the validation
            loss; "score" draws the validation score (accuracy for a
            classifier, R² for a regressor), which requires a validation set.

        train_kw : dict, default=None
            Keyword arguments passed to matplotlib's ``plot`` for the training
            curve; they override the defaults (including ``label``).

        validation_kw : dict, default=None
            Keyword arguments passed to matplotlib's ``plot`` for the
            validation curve; they override the defaults (including
            ``label``).

        Returns
        -------
        display : TrainingCurveDisplay
            The display, with ``ax_``, ``figure_`` and ``lines_`` set.

        Raises
        ------
        ValueError
            If ``metric`` is unknown, if ``train_loss`` is None, if
            ``metric="score"`` but there is no validation score, or if the
            curves' lengths do not fit together.
        ImportError
            If matplotlib is not installed.

        See Also
        --------
        TrainingCurveDisplay.from_estimator : Build the display from a fitted
            network and plot it.
        """
        plt = import_optional(
            "matplotlib.pyplot", "plot", caller=f"{type(self).__name__}.plot"
        )
        from matplotlib.ticker import MaxNLocator

        if metric not in _METRICS:
            raise ValueError(
                f"metric must be one of {_METRICS}, got {metric!r}. "
                "Use 'loss' for the training and validation losses or 'score' "
                "for the validation score."
            )
        train_loss = _as_curve(self.train_loss, "train_loss")
        if train_loss is None:
            raise ValueError(
                "train_loss is None: the display needs the training loss of "
                "every epoch (a fitted network's loss_curve_)."
            )
        epochs = (
            np.arange(1, len(train_loss) + 1)
            if self.epochs is None
            else np.asarray(self.epochs)
        )
        if epochs.shape != train_loss.shape:
            raise ValueError(
                f"epochs has {epochs.size} entries but train_loss has "
                f"{train_loss.size}; give one epoch number per training loss."
            )
        if metric == "loss":
            validation = _as_curve(self.validation_loss, "validation_loss")
        else:
            validation = _as_curve(self.validation_score, "validation_score")
            if validation is None:
                raise ValueError(
                    "metric='score' needs the validation score of every epoch, "
                    "but there is none: the model was fitted without a "
                    "validation set. Fit it with early_stopping=True (or, for "
                    "skdropout's estimators, with fit(X, y, X_val=X_val, "
                    "y_val=y_val)), or plot metric='loss'."
                )
        if validation is not None and validation.size > epochs.size:
            raise ValueError(
                f"The validation curve has {validation.size} entries, more "
                f"than the {epochs.size} epochs of train_loss."
            )
        name = self.name if name is None else name
        prefix = f"{name}: " if name else ""
        score_name = "score" if self.score_name is None else self.score_name

        if ax is None:
            _, ax = plt.subplots()
        lines = []
        color = None
        if metric == "loss":
            train_label = f"{prefix}training loss" if prefix else "Training loss"
            style = _style({"label": train_label, "linestyle": "-"}, train_kw)
            (train_line,) = ax.plot(epochs, train_loss, **style)
            lines.append(train_line)
            color = train_line.get_color()
        if validation is not None:
            # Recorded for the last epochs, if fewer than the training epochs.
            validation_epochs = epochs[epochs.size - validation.size :]
            what = "loss" if metric == "loss" else score_name
            label = f"{prefix}validation {what}" if prefix else f"Validation {what}"
            defaults = {"label": label, "linestyle": "--"}
            if np.isnan(validation).any():
                # Epochs without a validation set (NaN) break the line: a
                # marker keeps an isolated measured epoch visible.
                defaults["marker"] = "."
            if color is not None:
                defaults["color"] = color
            style = _style(defaults, validation_kw)
            lines.extend(ax.plot(validation_epochs, validation, **style))

        ax.set_xlabel("Epoch")
        ax.set_ylabel("Loss" if metric == "loss" else f"Validation {score_name}")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.legend()

        self.ax_ = ax
        self.figure_ = ax.figure
        self.lines_ = lines
        return self

    @classmethod
    def from_estimator(
        cls,
        estimator,
        *,
        ax=None,
        name=None,
        metric="loss",
        train_kw=None,
        validation_kw=None,
    ):
        """Plot the training curves recorded by a fitted network.

        Reads ``loss_curve_`` and, when the network was fitted with a
        validation set (``X_val`` or ``early_stopping=True``),
        ``validation_loss_curve_`` and ``validation_scores_``. Nothing is
        recomputed. Call it again with the same ``ax`` to overlay the curves
        of another model.

        Parameters
        ----------
        estimator : estimator instance
            A fitted :class:`~skdropout.DropoutMLPClassifier` or
            :class:`~skdropout.DropoutMLPRegressor`, or a
            :class:`~sklearn.pipeline.Pipeline` ending with one. sklearn's
            own ``MLPClassifier`` and ``MLPRegressor`` (stochastic solvers)
            work too; they record no validation loss.

        ax : matplotlib Axes, default=None
            Axes to plot on. If None, a new figure and axes are created.

        name : str, default=None
            Name of the model in the legend labels; None uses the
            estimator's class name.

        metric : {"loss", "score"}, default="loss"
            "loss" draws the training loss and, if recorded, the validation
            loss; "score" draws the validation score (accuracy for a
            classifier, R² for a regressor), which requires a validation set.

        train_kw : dict, default=None
            Keyword arguments passed to matplotlib's ``plot`` for the training
            curve.

        validation_kw : dict, default=None
            Keyword arguments passed to matplotlib's ``plot`` for the
            validation curve.

        Returns
        -------
        display : TrainingCurveDisplay
            The display, with ``ax_``, ``figure_`` and ``lines_`` set.

        Raises
        ------
        sklearn.exceptions.NotFittedError
            If the estimator is not fitted.
        TypeError
            If the estimator records no per-epoch training loss.
        ValueError
            If ``metric="score"`` but the estimator was fitted without a
            validation set.
        ImportError
            If matplotlib is not installed.

        See Also
        --------
        TrainingCurveDisplay.plot : Plot stored curves, for example again on
            other axes or with another metric.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import matplotlib.pyplot as plt
        >>> from sklearn.datasets import load_digits
        >>> from sklearn.model_selection import train_test_split
        >>> from skdropout import DropoutMLPClassifier, TrainingCurveDisplay
        >>> X, y = load_digits(return_X_y=True)
        >>> X_train, X_val, y_train, y_val = train_test_split(
        ...     X[:600] / 16, y[:600], random_state=0)
        >>> clf = DropoutMLPClassifier(hidden_layer_sizes=(64,), early_stopping=True,
        ...                            n_iter_no_change=5, random_state=0)
        >>> clf = clf.fit(X_train, y_train, X_val=X_val, y_val=y_val)
        >>> display = TrainingCurveDisplay.from_estimator(clf, name="dropout")
        >>> [line.get_label() for line in display.lines_]
        ['dropout: training loss', 'dropout: validation loss']
        >>> plt.close(display.figure_)
        """
        import_optional(
            "matplotlib.pyplot", "plot", caller=f"{cls.__name__}.from_estimator"
        )
        if isinstance(estimator, Pipeline):
            estimator = estimator[-1]
        check_is_fitted(estimator)
        if getattr(estimator, "loss_curve_", None) is None:
            raise TypeError(
                f"{cls.__name__}.from_estimator needs an estimator that records "
                "its training loss per epoch in loss_curve_ (DropoutMLPClassifier, "
                "DropoutMLPRegressor, or sklearn's MLP with solver 'sgd' or "
                f"'adam'); {type(estimator).__name__} does not."
            )
        display = cls(
            epochs=np.arange(1, len(estimator.loss_curve_) + 1),
            # Copies: a warm start or partial_fit extends the estimator's
            # lists in place, and the display must keep the curves it drew.
            train_loss=_copy_of_curve(estimator.loss_curve_),
            validation_loss=_copy_of_curve(
                getattr(estimator, "validation_loss_curve_", None)
            ),
            validation_score=_copy_of_curve(
                getattr(estimator, "validation_scores_", None)
            ),
            name=type(estimator).__name__ if name is None else name,
            score_name="accuracy" if is_classifier(estimator) else "R²",
        )
        return display.plot(
            ax=ax, metric=metric, train_kw=train_kw, validation_kw=validation_kw
        )
