"""The figure of the user guide's dropout page: a network and a thinned one.

Drawn by matplotlib's ``plot`` directive when the documentation is built.
"""

import matplotlib.pyplot as plt
import numpy as np

LAYERS = [4, 6, 6, 2]
NAMES = ["input", "hidden", "hidden", "output"]
COLOURS = ["#9ecae1", "#fdae6b", "#fdae6b", "#a1d99b"]
# Units dropped in the training step of panel (b), per layer: one input in
# four (input_dropout about 0.2) and about half of the hidden units.
DROPPED = {0: {2}, 1: {1, 4}, 2: {0, 3, 5}}


def unit_positions():
    """(x, y) of every unit, keyed by (layer, unit)."""
    positions = {}
    for layer, n_units in enumerate(LAYERS):
        heights = np.linspace(-(n_units - 1) / 2, (n_units - 1) / 2, n_units)
        for unit, height in enumerate(heights):
            positions[layer, unit] = (layer, height)
    return positions


def draw(ax, title, dropped):
    positions = unit_positions()
    for (layer, unit), (x0, y0) in positions.items():
        if layer == len(LAYERS) - 1 or unit in dropped.get(layer, ()):
            continue
        for target in range(LAYERS[layer + 1]):
            if target in dropped.get(layer + 1, ()):
                continue
            x1, y1 = positions[layer + 1, target]
            ax.plot([x0, x1], [y0, y1], color="0.55", lw=0.8, zorder=1)
    for (layer, unit), (x, y) in positions.items():
        off = unit in dropped.get(layer, ())
        face = "white" if off else COLOURS[layer]
        ax.scatter([x], [y], s=330, c=face, edgecolors="0.2", linewidths=1.2, zorder=2)
        if off:  # a red cross over a dropped unit
            for sign in (1, -1):
                ax.plot(
                    [x - 0.09, x + 0.09],
                    [y - sign * 0.22, y + sign * 0.22],
                    color="#d62728",
                    lw=2,
                    zorder=3,
                )
    for x, name in enumerate(NAMES):
        ax.text(x, -3.15, name, ha="center", fontsize=9)
    ax.set_title(title, fontsize=11)
    ax.set_xlim(-0.4, len(LAYERS) - 0.6)
    ax.set_ylim(-3.2, 3.2)
    ax.axis("off")


fig, (left, right) = plt.subplots(1, 2, figsize=(8, 3.4), layout="constrained")
draw(left, "(a) The whole network: predict", {})
draw(right, "(b) A thinned network: one training step", DROPPED)
