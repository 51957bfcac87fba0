"""
Quick start: dropout on the digits data
=======================================

Train the same network on sklearn's bundled handwritten digits twice, once
without dropout and once with dropout and the max-norm constraint, and compare
how far training accuracy runs ahead of test accuracy.
"""

# %%
import warnings

from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from skdropout import DropoutMLPClassifier

X, y = load_digits(return_X_y=True)
X = X / 16.0  # pixel intensities to [0, 1]
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.5, stratify=y, random_state=0
)

# %%
# A wide network trained for 100 epochs, long enough to memorise the training
# half. Both runs share every setting and seed but the dropout ones.
settings = {
    "without dropout": dict(dropout_rate=0.0, max_norm=None),
    "with dropout": dict(dropout_rate=0.5, max_norm=3.0),
}
print(f"{'':<16} {'train acc':>9} {'test acc':>9} {'gap':>7}")
for name, params in settings.items():
    clf = DropoutMLPClassifier(
        hidden_layer_sizes=(256, 256),
        max_iter=100,
        n_iter_no_change=100,  # train all 100 epochs: compare like with like
        random_state=0,
        **params,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X_train, y_train)
    train_acc = clf.score(X_train, y_train)
    test_acc = clf.score(X_test, y_test)
    print(f"{name:<16} {train_acc:>9.4f} {test_acc:>9.4f} {train_acc - test_acc:>7.4f}")
