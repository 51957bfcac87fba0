"""
Monte Carlo dropout: predictive uncertainty for a 1-D regression
================================================================

Dropout is usually switched off at prediction time. Leaving it on and
predicting many times over (Monte Carlo dropout, Gal and Ghahramani, 2016)
gives a spread of predictions: wide where the network has not seen data,
narrow where it has. ``DropoutMLPRegressor.predict(X, return_std=True)``
returns the mean and standard deviation of such passes.

This example fits a network to a noisy sine observed on three intervals, with
gaps between them, and draws the Monte Carlo mean and a band of two standard
deviations over a grid that reaches beyond the data on both sides.
"""

# %%
# Data: a noisy sine on three separate intervals
# ----------------------------------------------
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning

from skdropout import DropoutMLPRegressor

rng = np.random.RandomState(0)
intervals = [(-6.0, -3.5), (-1.0, 1.0), (3.0, 4.5)]
X = np.concatenate([rng.uniform(low, high, 60) for low, high in intervals])
X = X.reshape(-1, 1)
y = np.sin(X).ravel() + 0.1 * rng.randn(X.shape[0])

# %%
# A dropout network
# -----------------
# Two hidden layers of 128 ReLU units, a fifth of which are dropped at every
# training step. Dropout that is too weak gives a band too narrow to mean
# much, too strong a network that underfits; 0.1 to 0.2 is common for
# regression. Minibatches of 32 give a few steps per epoch, and
# ``n_iter_no_change=300`` lets the fit run all of its 300 epochs, whatever
# the plateau rule would decide: the band below is that of a fixed budget.
reg = DropoutMLPRegressor(
    hidden_layer_sizes=(128, 128),
    dropout_rate=0.2,
    batch_size=32,
    learning_rate_init=0.005,
    max_iter=300,
    n_iter_no_change=300,
    random_state=0,
)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    reg.fit(X, y)

# %%
# Monte Carlo mean and standard deviation on a wider grid
# --------------------------------------------------------
# 200 stochastic passes over 400 grid points; ``random_state`` makes the
# band repeatable.
grid = np.linspace(-9, 8, 400).reshape(-1, 1)
mean, std = reg.predict(grid, return_std=True, n_samples=200, random_state=0)

fig, ax = plt.subplots(figsize=(9, 4.5), layout="constrained")
ax.fill_between(
    grid.ravel(),
    mean - 2 * std,
    mean + 2 * std,
    alpha=0.3,
    label="MC dropout mean ± 2 std",
)
ax.plot(grid.ravel(), mean, label="MC dropout mean")
ax.plot(grid.ravel(), np.sin(grid.ravel()), "k:", label="sin(x)")
ax.scatter(X.ravel(), y, s=8, color="k", alpha=0.6, label="training data")
for low, high in intervals:
    ax.axvspan(low, high, color="0.9", zorder=0)
ax.set_xlabel("x")
ax.set_ylabel("y")
ax.set_ylim(-3.5, 3.5)
ax.legend(loc="upper left")
ax.set_title("Monte Carlo dropout: the band widens away from the data")
fig.savefig("plot_mc_dropout.png", dpi=100)

# %%
# The standard deviation inside and outside the data
# --------------------------------------------------
# Average predicted standard deviation on the grid points inside the three
# intervals, in the gaps between them, and beyond them. The spread grows with
# the distance from the data, but it is no calibrated interval: beyond the
# data the band widens while the true sine leaves it all the same. Monte
# Carlo dropout flags where the network is extrapolating; it does not know
# what the function does there.
x = grid.ravel()
inside = np.any([(low <= x) & (x <= high) for low, high in intervals], axis=0)
beyond = (x < intervals[0][0]) | (x > intervals[-1][1])
gaps = ~inside & ~beyond
for where, mask in [("inside", inside), ("gaps", gaps), ("beyond", beyond)]:
    print(f"mean std {where:>6}: {std[mask].mean():.3f}")
