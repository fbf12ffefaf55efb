"""``etom-kg export --format svg`` and the site's ``map.svg``: the poster grid as a picture
(issue 14, item 5). The SVG must parse, hold every box of the grid in its verticals'
columns and its band, each with its id and both names, and take the heat-map colours of a
links file."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from etom_kg.cli import EXIT_USAGE, main
from etom_kg.site.layout import poster_grid
from etom_kg.site.model import collect
from etom_kg.site.picture import palette, poster_svg

SVG = "{http://www.w3.org/2000/svg}"
LINKS = Path(__file__).parent / "data" / "site" / "applications.ttl"


def export_svg(tmp_path: Path, *extra: str) -> tuple[ET.Element, bytes]:
    out = tmp_path / "map.svg"
    assert main(["export", "--format", "svg", "-o", str(out), *extra]) == 0
    data = out.read_bytes()
    assert data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<svg')
    return ET.fromstring(data), data


def groups(root: ET.Element, kind: str) -> dict:
    return {g.get("data-process"): g for g in root.iter(f"{SVG}g") if kind in (g.get("class") or "").split()}


def rect_of(g: ET.Element) -> tuple[float, float, float, float]:
    r = g.find(f"{SVG}rect")
    return float(r.get("x")), float(r.get("y")), float(r.get("width")), float(r.get("height"))


def words(g: ET.Element) -> str:
    """Every text of a group, lines joined: wrapping splits a name over tspans."""
    return " ".join(" ".join(" ".join(t.itertext()).split()) for t in g.iter(f"{SVG}text"))


@pytest.fixture(scope="module")
def model(store, asserted_store):
    return collect(store, asserted_store)


@pytest.fixture(scope="module")
def cli(tmp_path_factory) -> tuple[ET.Element, bytes]:
    return export_svg(tmp_path_factory.mktemp("svg"))


@pytest.fixture(scope="module")
def cli_svg(cli) -> ET.Element:
    return cli[0]


def test_the_svg_holds_every_box_of_the_grid_with_its_id_and_names(cli_svg, model):
    grid = poster_grid(model)
    expected = {(cell.box.process, f"{cell.box.start}-{cell.box.start + cell.box.span - 1}")
                for band in grid for row in band.rows for cell in row if cell.box}
    boxes = groups(cli_svg, "box")
    by_slug = {model.process(iri).slug: iri for iri, _ in expected}
    assert {(by_slug[s], g.get("data-columns")) for s, g in boxes.items()} == expected
    assert len(boxes) == len(expected) >= 35
    for slug, g in boxes.items():
        p = model.process(by_slug[slug])
        text = words(g)
        assert p.classic_id in text and p.label.en in text and p.label.es in text, slug
        assert g.find(f"{SVG}title").text == f"{p.classic_id} {p.label.en}"


def test_boxes_sit_in_their_verticals_columns_and_their_band(cli_svg, model):
    heads = groups(cli_svg, "vertical")
    bands = groups(cli_svg, "horizontal")
    assert list(heads) == [model.process(v).slug for v in model.verticals] and len(heads) == 4
    assert list(bands) == [model.process(h).slug for h in model.horizontals] and len(bands) == 4
    columns = [rect_of(g) for g in heads.values()]
    assert all(a[0] + a[2] < b[0] for a, b in zip(columns, columns[1:]))  # left to right
    rows = [rect_of(g) for g in bands.values()]
    assert all(a[1] + a[3] <= b[1] for a, b in zip(rows, rows[1:]))  # top to bottom
    band_of = {model.process(e.process).slug: model.process(e.horizontal).slug for e in model.matrix}
    for slug, g in groups(cli_svg, "box").items():
        first, last = map(int, g.get("data-columns").split("-"))
        x, y, w, h = rect_of(g)
        assert abs(x - columns[first][0]) < 0.5 and abs(x + w - columns[last][0] - columns[last][2]) < 0.5, slug
        band = rect_of(bands[band_of[slug]])
        assert band[1] <= y and y + h <= band[1] + band[3] + 0.5, slug
    for a in groups(cli_svg, "box").values():  # no two boxes overlap
        ax, ay, aw, ah = rect_of(a)
        for b in groups(cli_svg, "box").values():
            if a is not b:
                bx, by, bw, bh = rect_of(b)
                assert ax + aw <= bx or bx + bw <= ax or ay + ah <= by or by + bh <= ay


def test_names_fit_their_boxes_and_the_picture_is_as_tall_as_its_content(cli_svg):
    width, height = float(cli_svg.get("width")), float(cli_svg.get("height"))
    assert cli_svg.get("viewBox") == f"0 0 {cli_svg.get('width')} {cli_svg.get('height')}"
    for g in groups(cli_svg, "box").values():
        x, y, w, h = rect_of(g)
        assert x + w <= width and y + h <= height
        for t in g.iter(f"{SVG}text"):
            size = float(t.get("font-size"))
            for line in (s.text or "" for s in t.iter(f"{SVG}tspan")) if t.find(f"{SVG}tspan") is not None else [t.text]:
                assert len(line) * size * 0.5 <= w, line  # a line is never far wider than its box


def test_with_links_the_svg_is_the_coverage_heat_map(tmp_path, asserted_store, cli):
    from etom_kg.site.links import graph_with_links

    root, _ = export_svg(tmp_path, "--with-links", str(LINKS))
    linked = collect(graph_with_links(LINKS), asserted_store, applications=True)
    colours = palette()
    boxes = groups(root, "box")
    assert boxes
    levels = set()
    for slug, g in boxes.items():
        p = next(p for p in linked.processes.values() if p.slug == slug)
        count = len({a.iri for a in p.applications})
        level = min(count, 3)
        levels.add(level)
        assert f"cov-{level}" in g.get("class").split(), slug
        fill = g.find(f"{SVG}rect").get("fill")
        assert fill == ("url(#uncovered)" if level == 0 else colours[f"cov{level}"]), slug
        assert re.search(rf"\b{count} (application|applications)\b", words(g)), slug
    assert {0, 1} <= levels
    assert root.find(f".//{SVG}pattern[@id='uncovered']") is not None
    assert "cov-" not in cli[1].decode("utf-8")  # without links, no heat map


def test_the_site_and_the_cli_draw_the_same_picture(model, cli):
    """Two roads to the map (the site's reasoned store, the CLI's rdflib graph reasoned
    again) give the same bytes: the picture depends on the graph only. The site writes it
    as map.svg (checked in test_site_screens_browser.py, which builds a site anyway)."""
    assert poster_svg(model, poster_grid(model)).encode("utf-8") == cli[1]


def test_bad_requests_are_clear_errors_with_exit_2(tmp_path, capsys):
    assert main(["export", "-f", "svg", "--bom", "-o", str(tmp_path / "x.svg")]) == EXIT_USAGE
    assert "does not apply to format 'svg'" in capsys.readouterr().err
    assert main(["export", "-f", "svg", "--with-links", str(tmp_path / "missing.ttl"), "-o", str(tmp_path / "x.svg")]) == EXIT_USAGE
    assert "missing.ttl" in capsys.readouterr().err
    assert not (tmp_path / "x.svg").exists()


def test_a_graph_without_groupings_has_no_map_to_draw():
    import rdflib

    from etom_kg.errors import InputError
    from etom_kg.site.picture import to_svg

    with pytest.raises(InputError, match="no map to draw"):
        to_svg(rdflib.Graph())
