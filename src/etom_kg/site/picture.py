"""The Operations map as an SVG picture, for ``etom-kg export --format svg`` and the site's
``map.svg``: the poster grid (vertical groupings as columns, horizontal groupings as rows,
one box per Level-2 process with its id and name) laid out from
:func:`etom_kg.site.layout.poster_grid`, in the site's colours (read from the shipped
``site.css``), with the application-coverage heat map when the graph links applications.

Names are in English and Spanish: each text is an SVG ``<switch>`` whose Spanish branch a
viewer shows to Spanish readers (``systemLanguage``), the English one to everyone else.
Text widths are estimated from the font size (no font files are read), with room to spare;
the browser export (assets/export.js) is the one that copies the screen exactly.

A PNG is not written here: rasterising text needs an imaging library the project does not
depend on. The site's "PNG picture" button draws this kind of SVG in the browser instead.
"""

from __future__ import annotations

import re
import textwrap
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from .layout import Band
from .model import SiteModel, Text

SVG_NS = "http://www.w3.org/2000/svg"
FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans", "DejaVu Sans", sans-serif'
WIDTH = 1400
MARGIN = 12
GAP = 6
ROW_HEAD = 200
PAD = 6
NAME_SIZE, NAME_LINE = 12.5, 15.5
ID_SIZE, ID_LINE = 10.5, 13
SMALL_SIZE, SMALL_LINE = 10, 13
CHAR_WIDTH = 0.62  # of the font size: a generous average for a bold sans-serif
LANGS = ("en", "es")

# the site's palette, used when site.css does not define a colour
FALLBACK = {
    "ink": "#1d2730", "muted": "#5a6772", "line": "#c9d3db", "paper": "#ffffff", "vertical": "#1f4e6b",
    "vertical-osr": "#3d6680", "band": "#f4e3a1", "band-ink": "#3a3000", "box": "#e6f0f7", "box-line": "#7fa6c2",
    "cov0": "#f6c9cc", "cov0-line": "#b0232f", "cov1": "#dcefdc", "cov2": "#a8d8aa", "cov3": "#5fb865",
}


def palette() -> dict:
    """The colours of the site: the custom properties of ``site.css``'s :root rule."""
    from .build import asset

    css = asset("site.css").read_text(encoding="utf-8")
    root = re.search(r":root\s*\{(.*?)\}", css, re.S)
    found = dict(re.findall(r"--([\w-]+)\s*:\s*(#[0-9a-fA-F]{3,8})\s*;", root.group(1) if root else ""))
    return {**FALLBACK, **{k: v for k, v in found.items() if k in FALLBACK}}


def _wrap(text: str, width: float, size: float) -> list[str]:
    chars = max(4, int((width - 2 * PAD) / (size * CHAR_WIDTH)))
    return textwrap.wrap(text, chars, break_long_words=True, break_on_hyphens=True) or [""]


@dataclass
class _Lines:
    """A bilingual text wrapped to a width: lines per language."""

    by_lang: dict

    @property
    def count(self) -> int:
        return max(len(v) for v in self.by_lang.values())


def _lines(text: Text, width: float, size: float) -> _Lines:
    return _Lines({lang: _wrap(text.get(lang), width, size) for lang in LANGS})


class _Svg:
    def __init__(self, width: int, colours: dict):
        ET.register_namespace("", SVG_NS)
        self.root = ET.Element(f"{{{SVG_NS}}}svg", {"width": str(width), "font-family": FONT})
        self.colours = colours
        self.width = width

    def sub(self, parent, tag: str, attributes: dict, text: str | None = None):
        e = ET.SubElement(parent, f"{{{SVG_NS}}}{tag}", {k: _num(v) for k, v in attributes.items() if v is not None})
        if text is not None:
            e.text = text
        return e

    def text(self, parent, x: float, y: float, lines: _Lines, size: float, line: float, attributes: dict,
             middle_of: float | None = None):
        """A bilingual block of lines starting at baseline ``y``, or centred in the
        ``middle_of`` px tall space starting at ``y`` (each language by its own lines)."""
        switch = self.sub(parent, "switch", {})
        for lang in ("es", "en"):  # the first branch that matches wins; English is the default
            top = y if middle_of is None else y + (middle_of - len(lines.by_lang[lang]) * line) / 2 + size * 0.85
            node = self.sub(switch, "text", {"x": x, "y": top, "font-size": size, **attributes,
                                             "systemLanguage": "es" if lang == "es" else None})
            for i, ln in enumerate(lines.by_lang[lang]):
                self.sub(node, "tspan", {"x": x, "dy": 0 if i == 0 else line}, ln)

    def plain(self, parent, x: float, y: float, text: str, size: float, attributes: dict):
        self.sub(parent, "text", {"x": x, "y": y, "font-size": size, **attributes}, text)


def _num(value) -> str:
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return str(value)


def poster_svg(model: SiteModel, grid: list[Band]) -> str:
    """The map as an SVG document (text). Pure: the same model gives the same bytes."""
    c = palette()
    svg = _Svg(WIDTH, c)
    columns = len(model.verticals)
    col_width = (WIDTH - 2 * MARGIN - ROW_HEAD - columns * GAP) / max(columns, 1)

    def col_x(i: int) -> float:
        return MARGIN + ROW_HEAD + GAP + i * (col_width + GAP)

    defs = svg.sub(svg.root, "defs", {})
    stripes = svg.sub(defs, "pattern", {"id": "uncovered", "patternUnits": "userSpaceOnUse", "width": 9, "height": 9,
                                        "patternTransform": "rotate(45)"})
    svg.sub(stripes, "rect", {"width": 9, "height": 9, "fill": "#ffffff"})
    svg.sub(stripes, "rect", {"width": 5, "height": 9, "fill": c["cov0"]})
    background = svg.sub(svg.root, "rect", {"x": 0, "y": 0, "width": WIDTH, "fill": c["paper"]})
    area = model.processes.get(model.area) if model.area else None
    title = ET.SubElement(svg.root, f"{{{SVG_NS}}}title")
    title.text = f"{area.classic_id} {area.label.en}".strip() if area else "eTOM Operations map"

    y = MARGIN
    if area:
        heading = _lines(Text(f"{area.classic_id} {area.label.en}".strip(), f"{area.classic_id} {area.label.es}".strip()),
                         WIDTH, 18)
        svg.text(svg.root, MARGIN, y + 18, heading, 18, 22, {"font-weight": 700, "fill": c["ink"]})
        y += 30

    # vertical headers
    heads = [_lines(model.process(v).label, col_width, NAME_SIZE) for v in model.verticals]
    head_height = max((h.count for h in heads), default=1) * NAME_LINE + 2 * PAD + 4
    grid_top = y
    column_layer = svg.sub(svg.root, "g", {"class": "columns"})
    layer = svg.sub(svg.root, "g", {"class": "grid"})
    for i, (v, lines) in enumerate(zip(model.verticals, heads)):
        p = model.process(v)
        g = svg.sub(layer, "g", {"class": "vertical", "data-process": p.slug})
        svg.sub(g, "rect", {"x": col_x(i), "y": y, "width": col_width, "height": head_height, "rx": 3,
                            "fill": c["vertical-osr"] if i == 0 else c["vertical"]})
        svg.text(g, col_x(i) + col_width / 2, y, lines, NAME_SIZE, NAME_LINE,
                 {"font-weight": 700, "fill": "#ffffff", "text-anchor": "middle"}, middle_of=head_height)
    y += head_height + GAP

    for band in grid:
        h = model.process(band.horizontal)
        row_heights = []
        placed = []
        for cells in band.rows:
            col, tallest = 0, 36.0
            for cell in cells:
                if cell.box is not None:
                    width = cell.colspan * col_width + (cell.colspan - 1) * GAP
                    content = _box_content(model, cell.box, width)
                    placed.append((len(row_heights), col, width, cell.box, content))
                    tallest = max(tallest, content[-1])
                col += cell.colspan
            row_heights.append(tallest)
        head_lines = _lines(h.label, ROW_HEAD, NAME_SIZE)
        head_needed = 2 * PAD + ID_LINE + head_lines.count * NAME_LINE
        total = max(sum(row_heights) + GAP * (len(row_heights) - 1), head_needed)
        if total > sum(row_heights) + GAP * (len(row_heights) - 1):
            row_heights[-1] += total - (sum(row_heights) + GAP * (len(row_heights) - 1))
        g = svg.sub(layer, "g", {"class": "horizontal", "data-process": h.slug})
        svg.sub(g, "rect", {"x": MARGIN, "y": y, "width": ROW_HEAD, "height": total, "rx": 3, "fill": c["band"]})
        top = y + (total - head_needed) / 2 + PAD
        svg.plain(g, MARGIN + PAD, top + ID_SIZE, h.classic_id, ID_SIZE, {"fill": c["band-ink"]})
        svg.text(g, MARGIN + PAD, top + ID_LINE + NAME_SIZE, head_lines, NAME_SIZE, NAME_LINE,
                 {"font-weight": 700, "fill": c["band-ink"]})
        offsets = [y + sum(row_heights[:r]) + GAP * r for r in range(len(row_heights))]
        for row, col, width, box, content in placed:
            _draw_box(svg, layer, model, box, col_x(col), offsets[row], width, row_heights[row], content)
        y += total + GAP

    for i in range(columns):
        svg.sub(column_layer, "rect", {"x": col_x(i) - 2, "y": grid_top - 2, "width": col_width + 4,
                                       "height": y - grid_top, "fill": "#edf1f4" if i == 0 else "#f7f9fb"})
    height = y + MARGIN - GAP
    svg.root.set("height", _num(height))
    svg.root.set("viewBox", f"0 0 {WIDTH} {_num(height)}")
    background.set("height", _num(height))
    ET.indent(svg.root, space=" ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(svg.root, encoding="unicode") + "\n"


def _box_content(model: SiteModel, box, width: float) -> tuple:
    p = model.process(box.process)
    name = _lines(p.label, width, NAME_SIZE)
    height = 2 * PAD + (ID_LINE if p.classic_id else 0) + name.count * NAME_LINE
    if box.unassigned:
        height += SMALL_LINE
    if model.has_applications:
        height += SMALL_LINE + 2
    return name, height


def _draw_box(svg: _Svg, layer, model: SiteModel, box, x: float, y: float, width: float, height: float, content) -> None:
    c = svg.colours
    p = model.process(box.process)
    name, _ = content
    fill, stroke, stroke_width, classes = c["box"], c["box-line"], 1, ["box"]
    count = len({a.iri for a in p.applications})
    if model.has_applications:
        level = min(count, 3)
        classes.append(f"cov-{level}")
        fill = "url(#uncovered)" if level == 0 else c[f"cov{level}"]
        if level == 0:
            stroke, stroke_width = c["cov0-line"], 2
    if box.unassigned:
        classes.append("unassigned")
    g = svg.sub(layer, "g", {"class": " ".join(classes), "data-process": p.slug,
                             "data-columns": f"{box.start}-{box.start + box.span - 1}"})
    tip = ET.SubElement(g, f"{{{SVG_NS}}}title")
    tip.text = f"{p.classic_id} {p.label.en}".strip()
    svg.sub(g, "rect", {"x": x, "y": y, "width": width, "height": height, "rx": 3, "fill": fill, "stroke": stroke,
                        "stroke-width": stroke_width, "stroke-dasharray": "4 3" if box.unassigned else None})
    top = y + PAD
    if p.classic_id:
        svg.plain(g, x + PAD, top + ID_SIZE, p.classic_id, ID_SIZE, {"class": "pid", "fill": c["muted"]})
        top += ID_LINE
    svg.text(g, x + PAD, top + NAME_SIZE, name, NAME_SIZE, NAME_LINE, {"class": "name", "font-weight": 600, "fill": c["ink"]})
    top += name.count * NAME_LINE
    if box.unassigned:
        svg.text(g, x + PAD, top + SMALL_SIZE, _Lines({"en": ["in no vertical grouping"], "es": ["en ninguna agrupación vertical"]}),
                 SMALL_SIZE, SMALL_LINE, {"font-style": "italic", "fill": c["muted"]})
        top += SMALL_LINE
    if model.has_applications:
        words = _Lines({"en": [f"{count} application" + ("" if count == 1 else "s")],
                        "es": [f"{count} aplicaci" + ("ón" if count == 1 else "ones")]})
        svg.text(g, x + PAD, top + 2 + SMALL_SIZE, words, SMALL_SIZE, SMALL_LINE,
                 {"font-weight": 700 if count == 0 else None, "fill": c["cov0-line"] if count == 0 else c["ink"]})


# --------------------------------------------------------------------------- the exporter


def to_svg(graph) -> bytes:
    """``etom-kg export --format svg``: the map of ``graph`` (an rdflib graph: the embedded
    one, plus any ``--with-links`` files). Its OWL 2 RL closure is computed here, as the site
    does; application links in the graph turn on the coverage heat map."""
    import pyoxigraph as ox

    from ..namespaces import ETOM
    from ..rules import materialize
    from ..search import add_search_keys
    from ..store import OxigraphBackend
    from .layout import poster_grid
    from .links import LINK_PROPERTIES
    from .model import collect

    data = graph.serialize(format="nt", encoding="utf-8")
    asserted = ox.Store()
    asserted.load(data, format=ox.RdfFormat.N_TRIPLES)
    store = ox.Store()
    store.load(data, format=ox.RdfFormat.N_TRIPLES)
    materialize(store)
    add_search_keys(store)
    links = any(next(store.quads_for_pattern(None, ox.NamedNode(p), None), None) is not None for p in LINK_PROPERTIES)
    model = collect(OxigraphBackend(store), OxigraphBackend(asserted), applications=links)
    if not model.verticals or not model.horizontals:
        from ..errors import InputError

        raise InputError(f"the graph has no map to draw: no vertical or horizontal groupings of {ETOM}Process")
    return poster_svg(model, poster_grid(model)).encode("utf-8")
