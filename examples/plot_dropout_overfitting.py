"""
Dropout against overfitting: training and validation loss per epoch
===================================================================

A wide network trained on a few hundred handwritten digits memorises them:
its training loss falls towards zero while its loss on held-out digits turns
around and climbs. This example trains the same network three times, without
dropout, with dropout, and with dropout plus the max-norm constraint, and
draws the training and validation loss of every epoch on one figure with
:class:`~skdropout.TrainingCurveDisplay`.

The training loss is measured on the minibatches *with dropout active*; the
validation loss is measured after each epoch with the deterministic,
dropout-free network that ``predict`` uses. The dropout networks' training
curves therefore lie above what the same weights score without noise, which
is why the gaps printed at the end are computed from a dropout-free pass over
the training set.
"""

# %%
# Data: a small training set, so that there is something to overfit
# ------------------------------------------------------------------
# 300 digits to train on, 600 others to validate on; pixels scaled to [0, 1].
import warnings

import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import log_loss
from sklearn.model_selection import train_test_split

from skdropout import DropoutMLPClassifier, TrainingCurveDisplay

X, y = load_digits(return_X_y=True)
X_train, X_val, y_train, y_val = train_test_split(
    X / 16.0, y, train_size=300, test_size=600, stratify=y, random_state=0
)

# %%
# Three networks that differ only in their regularisation
# -------------------------------------------------------
# One hidden layer of 512 units, Adam with a learning rate of 0.01 (ten times
# the default, so that the networks fit within 100 epochs; large steps are
# what the dropout paper pairs max-norm with). Dropout drops half the hidden
# units and a fifth of the pixels. ``n_iter_no_change`` is set past
# ``max_iter`` so that every network runs all epochs and the curves can be
# compared epoch for epoch; the validation set is passed to ``fit`` so that
# its loss and accuracy are recorded after every epoch.
n_epochs = 100
models = {
    "no dropout": dict(dropout_rate=0.0, max_norm=None),
    "dropout": dict(dropout_rate=0.5, input_dropout=0.2, max_norm=None),
    "dropout + max-norm 3": dict(dropout_rate=0.5, input_dropout=0.2, max_norm=3.0),
}
fitted = {}
for name, params in models.items():
    clf = DropoutMLPClassifier(
        hidden_layer_sizes=(512,),
        learning_rate_init=0.01,
        max_iter=n_epochs,
        n_iter_no_change=n_epochs + 1,
        random_state=0,
        **params,
    )
    with warnings.catch_warnings():
        # Running out of epochs is intended here.
        warnings.simplefilter("ignore", ConvergenceWarning)
        fitted[name] = clf.fit(X_train, y_train, X_val=X_val, y_val=y_val)

# %%
# Loss curves on one figure
# -------------------------
# Each call to ``from_estimator`` with the same ``ax`` adds one model: the
# training loss solid, the validation loss dashed, in the model's colour.
#
# Without dropout the training loss falls to almost zero: the network has
# memorised its 300 digits. Its validation loss bottoms out within ten epochs
# and then climbs, as the network grows ever more confident, right or wrong.
# With dropout the training loss (measured with units dropped, so it stays
# noisy and high) never reaches zero, and the validation loss keeps falling
# for much longer and ends lower. Max-norm binds here (on the output
# weights, whose largest column norm it holds at 3 instead of about 4) but
# barely moves the curves: the two dropout networks end within a few
# thousandths of each other. Its use is as a guard against weights that
# grow without bound at large step sizes, not as a further regulariser on
# this problem.
fig, ax = plt.subplots(figsize=(9, 5.5), layout="constrained")
for name, clf in fitted.items():
    TrainingCurveDisplay.from_estimator(clf, ax=ax, name=name)
ax.set_ylim(0, 1)
ax.set_title("Digits, 300 training samples, one hidden layer of 512 units")
fig.savefig("plot_dropout_overfitting.png", dpi=100)

# %%
# The gap between training and validation at the last epoch
# ---------------------------------------------------------
# Both losses are computed here without dropout, so they are comparable. The
# loss gap is where dropout shows: on accuracy this small problem leaves
# little to win, as all three networks classify every training digit right
# and about 94% of the validation digits. What dropout removes is the
# overconfidence of the memorising network.
print(
    f"{'model':<22} {'train loss':>10} {'val loss':>9} {'loss gap':>9} "
    f"{'train acc':>9} {'val acc':>8} {'acc gap':>8}"
)
for name, clf in fitted.items():
    train_loss = log_loss(y_train, clf.predict_proba(X_train), labels=clf.classes_)
    val_loss = clf.validation_loss_curve_[-1]
    train_acc = clf.score(X_train, y_train)
    val_acc = clf.validation_scores_[-1]
    print(
        f"{name:<22} {train_loss:>10.4f} {val_loss:>9.4f} "
        f"{val_loss - train_loss:>9.4f} {train_acc:>9.4f} {val_acc:>8.4f} "
        f"{train_acc - val_acc:>8.4f}"
    )
