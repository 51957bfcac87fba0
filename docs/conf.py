"""Sphinx configuration for the skdropout documentation."""

import skdropout

project = "skdropout"
author = "the skdropout developers"
copyright = "2026, the skdropout developers"
release = skdropout.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "numpydoc",
]
autosummary_generate = True
numpydoc_show_class_members = False
intersphinx_mapping = {
    "python": ("https://docs.python.org/3", None),
    "numpy": ("https://numpy.org/doc/stable", None),
    "sklearn": ("https://scikit-learn.org/stable", None),
}
exclude_patterns = ["_build"]
html_theme = "alabaster"
