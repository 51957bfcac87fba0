"""The parameter check that scikit-learn skips, repeated only when needed.

scikit-learn validates an estimator's parameters when ``fit`` starts, but
not in ``partial_fit`` on a fitted estimator. Here ``partial_fit`` reads
parameters that ``set_params`` (or plain assignment) may have changed since,
and a bad one (a dropout rate of 1, say) would fail deep in the engine
instead of with a message naming it. Validating costs more than a small
``partial_fit`` call's training (``get_params`` inspects the constructor's
signature), so the values last found valid are remembered and the check runs
again only when one of them changed. (The Monte Carlo methods validate in
full: prediction writes nothing to the model.)
"""

import numpy as np
from sklearn.utils._param_validation import validate_parameter_constraints

_SCALARS = (str, bytes, bool, int, float, np.generic)


def validate_if_changed(estimator):
    """Validate ``estimator``'s parameters unless they are those last validated."""
    constraints = estimator._parameter_constraints
    params = {name: getattr(estimator, name) for name in constraints}
    snapshot = {name: _frozen(value) for name, value in params.items()}
    if snapshot == getattr(estimator, "_validated_parameters", None):
        return
    validate_parameter_constraints(
        constraints, params, caller_name=type(estimator).__name__
    )
    estimator._validated_parameters = snapshot


def _frozen(value):
    """A value to compare ``value`` with later, unaffected by its mutation.

    Containers and arrays are copied (a list of rates changed in place is a
    change); other objects, such as a ``RandomState``, compare by identity.
    """
    if isinstance(value, list | tuple):
        return (type(value), tuple(_frozen(item) for item in value))
    if isinstance(value, dict):
        return (dict, tuple((key, _frozen(item)) for key, item in value.items()))
    if isinstance(value, np.ndarray):
        return (np.ndarray, value.dtype.str, value.shape, value.tobytes())
    if value is None or isinstance(value, _SCALARS):
        return (type(value), value)
    return _Identity(value)


class _Identity:
    """Equal to another ``_Identity`` of the very same object."""

    __slots__ = ("obj",)
    __hash__ = None

    def __init__(self, obj):
        self.obj = obj

    def __eq__(self, other):
        return isinstance(other, _Identity) and other.obj is self.obj
