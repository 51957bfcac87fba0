"""NumPy backprop engine for dropout multilayer perceptrons.

Arrays in, arrays out: this subpackage knows nothing about scikit-learn. It
holds the numerical pieces (activations, losses, dropout masks, the max-norm
constraint, optimizers) and the minibatch trainer that strings them together.
The estimators in :mod:`skdropout` validate user input and drive it.
"""

from ._activations import ACTIVATIONS, DERIVATIVES
from ._checkpoint import Checkpoint
from ._dropout import DropoutMasks
from ._forward import (
    active_units,
    forward,
    forward_stochastic,
    forward_stochastic_chunks,
)
from ._losses import (
    LOSSES,
    OUTPUTS_PER_TARGET,
    VARIANCE_FLOOR,
    constant_prediction,
    gaussian_variance,
    loss_lower_bound,
)
from ._max_norm import apply_max_norm
from ._optimizers import AdamOptimizer, SGDOptimizer
from ._parameters import pack_parameters, packed_buffer, views_like
from ._trainer import MinibatchTrainer

__all__ = [
    "ACTIVATIONS",
    "DERIVATIVES",
    "LOSSES",
    "OUTPUTS_PER_TARGET",
    "VARIANCE_FLOOR",
    "AdamOptimizer",
    "Checkpoint",
    "DropoutMasks",
    "MinibatchTrainer",
    "SGDOptimizer",
    "active_units",
    "apply_max_norm",
    "constant_prediction",
    "forward",
    "forward_stochastic",
    "forward_stochastic_chunks",
    "gaussian_variance",
    "loss_lower_bound",
    "pack_parameters",
    "packed_buffer",
    "views_like",
]
