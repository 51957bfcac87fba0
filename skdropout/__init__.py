"""scikit-learn estimators for multilayer perceptrons trained with dropout.

See https://jmlr.org/papers/v15/srivastava14a.html for the method.
"""

from ._classifier import DropoutMLPClassifier
from ._regressor import DropoutMLPRegressor

__version__ = "0.1.0"

__all__ = ["DropoutMLPClassifier", "DropoutMLPRegressor", "__version__"]
