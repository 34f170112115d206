"""Sphinx configuration of the sklearn-qe documentation (`make docs`).

The build needs no network: no intersphinx inventories, and sphinx-gallery links code only
to this package's own pages. MathJax loads in the reader's browser, not at build time.
"""

import re
from pathlib import Path

from sphinx.util import logging

import sklearn_qe
import sklearn_qe.nets

project = "sklearn-qe"
author = "sklearn-qe developers"
copyright = "sklearn-qe developers"
release = sklearn_qe.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "myst_parser",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
templates_path = ["_templates"]
exclude_patterns = ["_build"]

autosummary_generate = True
autodoc_typehints = "none"

# numpydoc renders the Attributes section; autodoc lists the methods (_templates/class.rst).
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False

# README.md is included in the index and the user guide, whose pages are Markdown too:
# GitHub-style tables and headings.
myst_heading_anchors = 3

# Examples run during the build only when they take seconds; the rest (which train networks,
# measure every level on all samples or start a cluster: minutes each) are shown as code.
EXECUTED_EXAMPLES = ("plot_entanglement_profile",)
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": (
        r"/(" + "|".join(EXECUTED_EXAMPLES) + r")\.py$" if EXECUTED_EXAMPLES else r"(?!)"
    ),
    "abort_on_example_error": True,
    "doc_module": ("sklearn_qe",),
    "backreferences_dir": "generated/backreferences",
    # Code links to this package only, resolved locally: nothing is fetched.
    "reference_url": {"sklearn_qe": None},
    "download_all_examples": False,
}

html_theme = "pydata_sphinx_theme"
html_title = f"sklearn-qe {release}"


def _check_api_reference_complete(app):
    """Fail the build (a warning under -W) when api.rst misses a public name."""
    listed = set(re.findall(r"^ {3}(\w+)$", Path(app.srcdir, "api.rst").read_text(), re.M))
    missing = [
        f"{module.__name__}.{name}"
        for module in (sklearn_qe, sklearn_qe.nets)
        for name in module.__all__
        if name not in listed
    ]
    if missing:
        logging.getLogger(__name__).warning("api.rst does not list %s", ", ".join(missing))


def _foreign_reference_as_text(app, env, node, contnode):
    """Show as plain text the references that inherited scikit-learn docstrings make to
    pages of scikit-learn's own site, which this offline build cannot link to; references
    in sklearn-qe's own docstrings and pages still have to resolve."""
    source = node.source or ""
    if ":docstring of " in source and ":docstring of sklearn_qe." not in source:
        return contnode
    return None


def _skip_named_tuple_fields(app, what, name, obj, skip, options):
    """Leave a named tuple's fields to its Attributes section: autodoc would add an entry
    'Alias for field number N' for each."""
    if (getattr(obj, "__doc__", None) or "").startswith("Alias for field number"):
        return True
    return None


def setup(app):
    app.connect("builder-inited", _check_api_reference_complete)
    app.connect("autodoc-skip-member", _skip_named_tuple_fields)
    app.connect("missing-reference", _foreign_reference_as_text)
