"""The browsable eTOM Operations map: a static site generated from the graph.

>>> from etom_kg.site import build_site
>>> build_site("site")  # doctest: +SKIP
"""

from .build import SiteReport, build_site, render_site

__all__ = ["SiteReport", "build_site", "render_site"]
