"""Doctest collection without the optional extras.

``pytest`` collects the docstrings of every module in ``skdropout/``; the
modules that need an extra cannot even be imported without it, so they are
left out then, as ``tests/`` skips the tests that need them.
"""

from importlib.util import find_spec

collect_ignore = []
if find_spec("optuna") is None or find_spec("optuna_integration") is None:
    collect_ignore.append("skdropout/tuning.py")
if find_spec("matplotlib") is None:
    collect_ignore.append("skdropout/_display.py")
