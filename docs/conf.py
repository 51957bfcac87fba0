"""Sphinx configuration for the skdropout documentation.

Build it from the repository root, after ``pip install -e ".[docs]"``::

    python -m sphinx -W --keep-going -b html docs docs/_build/html

and open ``docs/_build/html/index.html``. ``-W`` turns every warning into an
error, so a broken cross-reference, a docstring that fails numpydoc's
validation or a gallery example that raises fails the build (``.ci/run``
builds the docs this way). The build needs no network.
"""

import re
import sys
from pathlib import Path

import skdropout

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS / "sphinxext"))

# -- Project ------------------------------------------------------------------

project = "skdropout"
author = "the skdropout developers"
copyright = "2026, the skdropout developers"
release = skdropout.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "matplotlib.sphinxext.plot_directive",
    # Only for performance.md, which includes benchmarks/README.md's tables.
    "myst_parser",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
templates_path = ["_templates"]
exclude_patterns = [
    "_build",
    "sphinxext",
    "Thumbs.db",
    ".DS_Store",
    # sphinx-gallery writes these next to the generated pages; Sphinx reads
    # only the .rst files.
    "auto_examples/*.ipynb",
    "auto_examples/*.py",
    "auto_examples/*.md5",
]
# A reference that cannot be resolved is plain text, not a warning, unless it
# is a :ref:, :doc: or :term: (those always warn, and -W makes them errors).
nitpicky = False
default_role = "literal"
# No intersphinx: the build must work offline. References to scikit-learn
# and Optuna objects are linked by ``_link_external`` below instead.

# -- autodoc, autosummary and numpydoc ---------------------------------------

autosummary_generate = True
autodoc_default_options = {"members": True, "inherited-members": True}
autodoc_typehints = "none"
autodoc_member_order = "alphabetical"
# "fit()" rather than "DropoutMLPClassifier.fit()" in the page's contents.
toc_object_entries_show_parents = "hide"

numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True

# numpydoc validates every docstring that autodoc renders (the public classes,
# their methods, inherited ones included, and the public functions); with -W a
# failure stops the build. Like scikit-learn's own docstring test
# (sklearn/tests/test_docstrings.py), every check runs except
#   GL01, GL02  where the summary starts and blank lines before Returns,
#   RT02        a name may stand before the return type ("self : ...").
# scikit-learn also requires an extended summary, a See Also and an Examples
# section (ES01, SA01, EX01) of classes and functions but not of methods;
# numpydoc cannot tell the two apart, so they are left out here and checked
# for classes and functions only by ``_validate_top_level`` below.
numpydoc_validation_checks = {"all", "GL01", "GL02", "RT02", "ES01", "SA01", "EX01"}
_TOP_LEVEL_CHECKS = {"ES01", "SA01", "EX01"}

# -- matplotlib's plot directive (the figure of user_guide/dropout.rst) -------

plot_basedir = str(DOCS)
plot_include_source = False
plot_html_show_source_link = False
plot_html_show_formats = False
plot_formats = [("png", 100)]

# -- sphinx-gallery -----------------------------------------------------------

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    # Run every script, not only those named plot_*: the examples' printed
    # output is part of the page, and the build checks that they still run.
    "filename_pattern": r"\.py$",
    "ignore_pattern": r"__init__\.py",
    "within_subsection_order": "gallery_order.ExampleOrder",
    "image_scrapers": ("matplotlib",),
    "doc_module": ("skdropout",),
    "backreferences_dir": "gen_modules/backreferences",
    # Link the names in the examples' code to this API reference.
    "reference_url": {"skdropout": None},
    "remove_config_comments": True,
    "show_memory": False,
    "matplotlib_animations": False,
    "min_reported_time": 1,
    # No sg_execution_times.rst in the source tree; the build log has the times.
    "write_computation_times": False,
}

# -- HTML ---------------------------------------------------------------------

html_theme = "pydata_sphinx_theme"
html_title = f"skdropout {release}"
html_static_path = ["_static"]
html_css_files = ["custom.css"]
html_theme_options = {
    "logo": {"text": "skdropout"},
    "navbar_align": "left",
    "navbar_persistent": ["search-button"],
    "header_links_before_dropdown": 8,
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "secondary_sidebar_items": ["page-toc", "sourcelink"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version", "theme-version"],
}
html_sidebars = {
    # Pages without sub-pages need no section navigation on the left.
    page: []
    for page in [
        "index",
        "getting_started",
        "tuning",
        "performance",
        "glossary",
        "changelog",
    ]
}
html_show_sourcelink = True
html_copy_source = True


# -- Hooks --------------------------------------------------------------------

# Where scikit-learn and Optuna document a dotted name. Without intersphinx
# (no network), references to them are resolved by these URL patterns.
_EXTERNAL_DOCS = {
    "sklearn": (
        "https://scikit-learn.org/stable/modules/generated/{name}.html",
        "https://scikit-learn.org/stable/api/{name}.html",
    ),
    "optuna": (
        "https://optuna.readthedocs.io/en/stable/reference/generated/{name}.html",
        "https://optuna.readthedocs.io/en/stable/reference/{short}.html",
    ),
}
# Optuna documents some names under their defining module only.
_OPTUNA_ALIASES = {"optuna.TrialPruned": "optuna.exceptions.TrialPruned"}


def _link_external(app, env, node, contnode):
    """Resolve a :class:, :func:, :meth: or :mod: role aimed at sklearn or Optuna."""
    from docutils import nodes

    if node.get("refdomain") != "py":
        return None
    target = node.get("reftarget", "")
    package = target.partition(".")[0]
    if package not in _EXTERNAL_DOCS:
        return None
    target = _OPTUNA_ALIASES.get(target, target)
    object_url, module_url = _EXTERNAL_DOCS[package]
    if node.get("reftype") == "mod":
        url = module_url.format(name=target, short=target.partition(".")[2] or target)
    else:
        url = object_url.format(name=target)
    reference = nodes.reference("", "", internal=False, refuri=url, reftitle=target)
    reference.append(contnode)
    return reference


_VALIDATED = set()


def _validate_top_level(app, what, name, obj, options, lines):
    """Require ES01, SA01 and EX01 of public classes and functions only."""
    if what not in ("class", "function") or not name.startswith("skdropout."):
        return
    if name in _VALIDATED:  # autosummary and autodoc both process it
        return
    _VALIDATED.add(name)
    from numpydoc.validate import validate
    from sphinx.util import logging

    errors = [
        (code, message)
        for code, message in validate(name)["errors"]
        if code in _TOP_LEVEL_CHECKS
    ]
    if errors:
        text = "".join(f"\n  {code}: {message}" for code, message in errors)
        logging.getLogger(__name__).warning(
            "[numpydoc] Validation warnings while processing docstring for %r:%s",
            name,
            text,
        )


# Pages of scikit-learn's site that the :ref: labels of its docstrings point
# to; a label not listed here is rendered as plain text.
_SKLEARN_SITE = "https://scikit-learn.org/stable/"
_SKLEARN_LABELS = {
    "metadata_routing": "metadata_routing.html",
    "accuracy_score": "modules/model_evaluation.html#accuracy-score",
    "r2_score": "modules/model_evaluation.html#r2-score",
}
_ROLE = re.compile(r":(ref|term):`([^`<]*?)\s*(?:<([^`>]*)>)?`")


def _sklearn_link(match):
    role, text, target = match.group(1), match.group(2).strip(), match.group(3)
    target = target or text
    if role == "term":
        anchor = re.sub(r"\s+", "-", target)
        url = f"{_SKLEARN_SITE}glossary.html#term-{anchor}"
    elif target in _SKLEARN_LABELS:
        url = _SKLEARN_SITE + _SKLEARN_LABELS[target]
    else:
        return f"*{text}*"
    return f"`{text} <{url}>`__"


def _sklearn_refs(app, what, name, obj, options, lines):
    """Point the :ref: and :term: roles of sklearn docstrings at its site.

    The methods every estimator inherits from scikit-learn (``score``,
    ``set_fit_request``, ``get_metadata_routing``, ...) refer to labels and
    glossary terms of scikit-learn's own documentation, which do not exist
    here and would fail the build.
    """
    if not getattr(obj, "__module__", "").startswith("sklearn."):
        return
    for i, line in enumerate(lines):
        lines[i] = _ROLE.sub(_sklearn_link, line)


def setup(app):
    app.connect("missing-reference", _link_external)
    # Before numpydoc (priority 500) reformats the docstring.
    app.connect("autodoc-process-docstring", _sklearn_refs, priority=100)
    app.connect("autodoc-process-docstring", _validate_top_level, priority=100)
