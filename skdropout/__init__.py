"""scikit-learn estimators for multilayer perceptrons trained with dropout.

See Srivastava et al., "Dropout: A Simple Way to Prevent Neural Networks from
Overfitting", JMLR 15(56), 2014, for the method.
"""

import importlib

__version__ = "0.1.0.dev0"

# The estimators are imported on first access (PEP 562), so that importing
# the engine subpackage, ``skdropout._engine``, does not load scikit-learn.
_LAZY = {
    "DropoutMLPClassifier": "._classifier",
    "DropoutMLPRegressor": "._regressor",
    "TrainingCurveDisplay": "._display",
}

__all__ = [
    "DropoutMLPClassifier",
    "DropoutMLPRegressor",
    "TrainingCurveDisplay",
]


def __getattr__(name):
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    # The tuning submodule once it is imported (it needs an optional extra,
    # so importing skdropout does not import it).
    loaded = ["tuning"] if "tuning" in globals() else []
    return sorted([*__all__, "__version__", *loaded])
