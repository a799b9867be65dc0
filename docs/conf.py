"""Sphinx configuration of sim's documentation site.

Built by ``.ci/run`` with ``python3 -m sphinx -W --keep-going -b html docs docs/_build/html``:
every warning is an error. The pages are Markdown (MyST), the command-line
reference comes from the click commands, the API reference from the
docstrings, and the gallery scripts in ``examples/`` run at build time.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the checkout, installed or not
sys.path.insert(0, str(ROOT / "docs"))  # sim_gallery, the gallery's image scraper

import sim  # noqa: E402

os.environ.setdefault("MPLBACKEND", "Agg")

project = "sim"
author = "the sim authors"
copyright = "the sim authors"
release = sim.__version__
version = release

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "sphinx_click",
    "sphinx_gallery.gen_gallery",
    "sphinxcontrib.bibtex",
]

source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
root_doc = "index"
exclude_patterns = ["_build", "scripts", "Thumbs.db", ".DS_Store",
                    "auto_examples/*.ipynb", "auto_examples/*.py", "auto_examples/*.zip",
                    "auto_examples/*.md5", "auto_examples/*.codeobj.json"]

# MyST: anchors for headings down to ###, so that pages link to sections
# ("model.md#4-distributions"); ::: fences. No $...$ maths: the pages write USD
# amounts with "$".
myst_heading_anchors = 3
myst_enable_extensions = ["colon_fence", "deflist"]

# Autodoc: the public names of ``sim`` load their modules lazily; autodoc
# imports them like any other attribute.
autodoc_default_options = {"members": False, "undoc-members": False}
autodoc_typehints = "description"
autodoc_member_order = "bysource"
napoleon_google_docstring = True
napoleon_numpy_docstring = True

# The bibliography.
bibtex_bibfiles = ["references.bib"]
bibtex_default_style = "plain"
bibtex_reference_style = "author_year"

# The gallery: each script in examples/ runs once per build (small n, so the
# whole gallery takes well under a minute with the kernels cached) and its
# figures are shown under its code.
sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "download_all_examples": False,
    "remove_config_comments": True,
    "within_subsection_order": "FileNameSortKey",
    "abort_on_example_error": True,
    "show_memory": False,
    "matplotlib_animations": False,
    "image_scrapers": ("sim_gallery", "matplotlib"),  # docs/sim_gallery.py: sim.plot's figures
    "reset_modules": ("matplotlib",),
    "capture_repr": ("_repr_html_", "__repr__"),
    "plot_gallery": "True",
    "write_computation_times": False,
}

html_theme = "pydata_sphinx_theme"
html_title = "sim"
html_theme_options = {
    "navigation_with_keys": False,
    "header_links_before_dropdown": 4,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": [],
}
html_static_path: list[str] = []
html_show_sourcelink = False
