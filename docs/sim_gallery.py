"""The gallery's image scraper for ``sim.plot`` charts.

``sim.plot`` builds its figures without pyplot (so that drawing needs no
display), and sphinx-gallery's matplotlib scraper finds only pyplot's. This
one saves the Figures a code block left in the script's variables that are
not pyplot's and were not saved by an earlier block. It runs before the
matplotlib scraper (which closes pyplot's figures), and marks pyplot's
figures as seen so that a closed one is not saved again later.

``docs/conf.py`` names it by module (``"sim_gallery"``): sphinx-gallery then
calls :func:`_get_sg_image_scraper`, and the configuration stays picklable.
"""

from __future__ import annotations


def scrape(block, block_vars, gallery_conf, **kwargs) -> str:
    """Save the block's new ``sim.plot`` figures; return their reST."""
    from matplotlib.figure import Figure
    from sphinx_gallery.scrapers import figure_rst

    images = block_vars["image_path_iterator"]
    rst = ""
    for value in list(block_vars["example_globals"].values()):
        if not isinstance(value, Figure) or getattr(value, "_gallery_seen", False):
            continue
        value._gallery_seen = True
        if getattr(value.canvas, "manager", None) is not None:
            continue  # pyplot's: the matplotlib scraper saves it
        path = next(images)
        value.savefig(path, **kwargs)
        rst += figure_rst([path], gallery_conf["src_dir"])
    return rst


def _get_sg_image_scraper():
    return scrape
