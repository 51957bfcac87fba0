"""Import of the optional dependencies, with a message naming the extra."""

import importlib


def import_optional(module_name, extra, *, caller=None):
    """Import an optional dependency, or say which extra brings it.

    Parameters
    ----------
    module_name : str
        Dotted name of the module to import, for example
        ``"matplotlib.pyplot"``.
    extra : str
        Name of the skdropout extra that installs the module, for example
        ``"plot"`` or ``"optuna"``.
    caller : str, default=None
        What needs the module (for example ``"TrainingCurveDisplay.plot"``),
        named at the start of the error message. Defaults to "This feature".

    Returns
    -------
    module : module
        The imported module.

    Raises
    ------
    ImportError
        If the module cannot be imported. The message names the distribution
        to install and skdropout's extra that brings it; the original error
        is chained.

    Examples
    --------
    >>> from skdropout._optional import import_optional
    >>> import_optional("json", "plot").__name__
    'json'
    >>> import_optional("no_such_module_xyz", "plot", caller="plotting")
    Traceback (most recent call last):
    ...
    ImportError: plotting requires no_such_module_xyz, from skdropout's 'plot' ...
    """
    try:
        return importlib.import_module(module_name)
    except ImportError as exc:
        package = module_name.partition(".")[0]
        who = "This feature" if caller is None else caller
        raise ImportError(
            f"{who} requires {package}, from skdropout's {extra!r} extra: "
            f'pip install "skdropout[{extra}]" (or ".[{extra}]" in a source '
            "checkout)"
        ) from exc
