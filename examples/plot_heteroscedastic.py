"""
Calibrated intervals that follow the noise
==========================================

The noise in this example's data grows and shrinks along the input. A
network fitted with ``loss="gaussian_nll"`` predicts a mean *and* a
variance for every row, and Monte Carlo dropout adds its doubt about the
mean: ``predict(X, return_std=True)`` returns the total predictive standard
deviation. MAPIE's split conformal regressor then turns that standard
deviation into intervals with a 90% coverage guarantee, using calibration
rows the network never saw. The intervals narrow where the data is quiet
and widen where it is noisy, close to the band the true noise gives.
"""

# %%
# Data whose noise scale we know
# ------------------------------
# A sine with noise of standard deviation ``0.05 + 0.5 * sin(x / 2)**2``:
# quiet near 0 and 2 pi, loud in between. Three disjoint sets of rows:
# training, calibration (for MAPIE only) and test.
import warnings

import matplotlib.pyplot as plt
import numpy as np
from mapie.conformity_scores import StdConformityScore
from mapie.regression import SplitConformalRegressor
from sklearn.exceptions import ConvergenceWarning

from skdropout import DropoutMLPRegressor


def noise_scale(x):
    return 0.05 + 0.5 * np.sin(x / 2) ** 2


rng = np.random.RandomState(0)
X = rng.uniform(0, 2 * np.pi, (3000, 1))
y = np.sin(X[:, 0]) + noise_scale(X[:, 0]) * rng.randn(3000)
X_train, y_train = X[:1500], y[:1500]
X_cal, y_cal = X[1500:2000], y[1500:2000]
X_test, y_test = X[2000:], y[2000:]

# %%
# A network that learns the noise
# -------------------------------
# A light dropout rate: the variance the network learns also takes in the
# jitter that dropout gives its mean while training.
reg = DropoutMLPRegressor(
    loss="gaussian_nll",
    hidden_layer_sizes=(64, 64),
    dropout_rate=0.05,
    learning_rate_init=0.003,
    max_iter=150,
    random_state=0,
)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    reg.fit(X_train, y_train)

grid = np.linspace(0, 2 * np.pi, 300).reshape(-1, 1)
parts = reg.predict_uncertainty(grid, random_state=0)

# %%
# Before calibration: the total standard deviation
# ------------------------------------------------
# ``mean +- 1.645 * std`` would cover 90% of the rows if the predicted
# distribution were exactly right. On the test rows:
mean, std = reg.predict(X_test, return_std=True, random_state=0)
raw = np.mean(np.abs(y_test - mean) <= 1.645 * std)
print(f"uncalibrated coverage of mean +- 1.645 std: {raw:.3f}")
print(
    "aleatoric / epistemic std, averaged over the grid: "
    f"{parts.aleatoric_std.mean():.3f} / {parts.epistemic_std.mean():.3f}"
)

# %%
# Calibration with MAPIE
# ----------------------
# ``StdConformityScore`` divides each calibration residual by the predicted
# standard deviation, which MAPIE gets from ``predict(X, return_std=True)``
# (``predict_params`` seeds the Monte Carlo passes); the 90% quantile of
# those ratios scales every interval.
mapie = SplitConformalRegressor(
    reg, confidence_level=0.9, prefit=True, conformity_score=StdConformityScore()
)
mapie.conformalize(X_cal, y_cal, predict_params={"random_state": 0})
_, test_interval = mapie.predict_interval(X_test)
low, high = test_interval[:, 0, 0], test_interval[:, 1, 0]
calibrated = np.mean((y_test >= low) & (y_test <= high))
print(f"calibrated coverage on the test rows: {calibrated:.3f}")

_, interval = mapie.predict_interval(grid)

# %%
# The intervals against the noise
# -------------------------------
# The dashed lines are ``sin(x) +- 1.645 * noise_scale(x)``, the band the
# true noise gives.
fig, ax = plt.subplots(figsize=(8, 4.5))
ax.scatter(X_test[:500, 0], y_test[:500], s=4, color="0.6", label="test rows")
ax.fill_between(
    grid[:, 0],
    interval[:, 0, 0],
    interval[:, 1, 0],
    alpha=0.3,
    label="calibrated 90% interval",
)
ax.plot(grid[:, 0], parts.mean, label="predicted mean")
truth = np.sin(grid[:, 0])
for sign in (-1, 1):
    ax.plot(
        grid[:, 0],
        truth + sign * 1.645 * noise_scale(grid[:, 0]),
        "k--",
        lw=1,
        label="true 90% band" if sign == 1 else None,
    )
ax.set_xlabel("x")
ax.set_ylabel("y")
ax.legend(loc="lower left")
ax.set_title("loss='gaussian_nll' + Monte Carlo dropout, calibrated by MAPIE")
plt.show()
