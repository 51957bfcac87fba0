"""Doctest collection without the optional extras.

``pytest`` collects the docstrings of every module in ``skdropout/``. Without
its extra, ``skdropout.tuning`` cannot even be imported, and the examples of
``skdropout._display`` cannot run: their doctests are left out then, as
``tests/`` skips the tests that need the extras.
"""

from importlib.util import find_spec

collect_ignore = []
if find_spec("optuna") is None or find_spec("optuna_integration") is None:
    collect_ignore.append("skdropout/tuning.py")
if find_spec("matplotlib") is None:
    collect_ignore.append("skdropout/_display.py")
