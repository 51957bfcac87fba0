"""The network's weights: a new one initialised, a continued one checked,
both packed into the one vector the trainer and optimizer update."""

import numpy as np

from ._early_stopping import new_record
from ._engine import AdamOptimizer, SGDOptimizer, pack_parameters, packed_buffer


def initialize(estimator, y, layer_units, dtype, random_state):
    """Give ``estimator`` a new network for targets ``y`` and a fresh record."""
    estimator.n_iter_ = 0
    estimator.t_ = 0
    estimator.n_outputs_ = y.shape[1]
    estimator.n_layers_ = len(layer_units)
    estimator.out_activation_ = estimator._output_activation()
    estimator.coefs_ = []
    estimator.intercepts_ = []
    for fan_in, fan_out in zip(layer_units[:-1], layer_units[1:]):
        coef, intercept = _init_coef(
            estimator.activation, fan_in, fan_out, dtype, random_state
        )
        estimator.coefs_.append(coef)
        estimator.intercepts_.append(intercept)
    estimator.loss_curve_ = []
    new_record(estimator)


def _init_coef(activation, fan_in, fan_out, dtype, random_state):
    # Glorot & Bengio's uniform initialisation, drawn in the same order as
    # sklearn's MLP (weights, then biases, layer by layer) so that fits
    # without dropout can be compared step for step.
    factor = 2.0 if activation == "logistic" else 6.0
    bound = np.sqrt(factor / (fan_in + fan_out))
    coef = random_state.uniform(-bound, bound, (fan_in, fan_out))
    intercept = random_state.uniform(-bound, bound, fan_out)
    return coef.astype(dtype, copy=False), intercept.astype(dtype, copy=False)


def check_same_architecture(estimator, layer_units):
    """Refuse to continue a network that the data or parameters do not fit."""
    expected = [estimator.coefs_[0].shape[0]] + [W.shape[1] for W in estimator.coefs_]
    if list(layer_units) != expected:
        raise ValueError(
            f"The network to continue has layer sizes {expected}, but the "
            f"current parameters and data ask for {list(layer_units)}. "
            "Set warm_start=False (or call fit instead of partial_fit) to "
            "start a new network."
        )
    wanted = estimator._output_activation()
    if wanted != estimator.out_activation_:
        # The loss is paired with its output activation: training one
        # through the other's output would fit a different model.
        raise ValueError(
            f"The network to continue has the output activation "
            f"{estimator.out_activation_!r}, but the current parameters (loss) "
            f"ask for {wanted!r}. Set warm_start=False (or call fit "
            "instead of partial_fit) to start a new network."
        )


def packed(estimator):
    """The one vector that ``coefs_`` and ``intercepts_`` are views of.

    The trainer and optimizer work on one contiguous parameter vector, so
    that they see every update at once. A network that already lives in
    one (from an earlier fit) goes on in it: arrays a user holds stay the
    model's, as in sklearn's MLP.
    """
    flat_params = packed_buffer(estimator.coefs_ + estimator.intercepts_)
    if flat_params is None:
        flat_params, views = pack_parameters(estimator.coefs_ + estimator.intercepts_)
        n_weights = len(estimator.coefs_)
        estimator.coefs_ = views[:n_weights]
        estimator.intercepts_ = views[n_weights:]
    return flat_params


def make_optimizer(estimator, params):
    """The optimizer that ``solver`` names, over ``params``."""
    if estimator.solver == "sgd":
        return SGDOptimizer(
            params,
            estimator.learning_rate_init,
            estimator.learning_rate,
            estimator.momentum,
            estimator.nesterovs_momentum,
            estimator.power_t,
        )
    return AdamOptimizer(
        params,
        estimator.learning_rate_init,
        estimator.beta_1,
        estimator.beta_2,
        estimator.epsilon,
    )
