"""Every screen and pictures (issue 14, items 4 and 5), in a real headless Chromium.

Phones: no page is wider than the screen at 360-430 px, the map keeps the poster's four
columns with headers that stay in view, the search box is whole. Paper: the map prints on
one landscape A4 or Letter page. Pictures: the map downloads as SVG and PNG as shown (heat
map, search highlights, language) and its lists as CSV. Screenshots of every page kind at
390 px go to $ETOM_KG_ARTIFACTS.

The browser, the built sites and their servers are the shared fixtures of browser_fixtures.py.
"""

from __future__ import annotations

import csv
import io
import re
import struct
import xml.etree.ElementTree as ET

import pytest
from browser_fixtures import CHROMIUM, IN_CI  # the session fixtures come from there, through conftest.py
from test_site_browser import shot

from etom_kg.site.model import collect

if CHROMIUM is None and not IN_CI:
    pytestmark = pytest.mark.skip(reason="no 'chromium' on PATH (apt-get install chromium); CI runs these tests")

PHONE_WIDTHS = (360, 375, 390, 414, 430)
SVG = "{http://www.w3.org/2000/svg}"
# printable area of a landscape sheet with the stylesheet's 8 mm margins, in CSS px (96 per inch)
MM = 96 / 25.4
A4_AREA = ((297 - 16) * MM, (210 - 16) * MM)
LETTER_AREA = ((279.4 - 16) * MM, (215.9 - 16) * MM)


@pytest.fixture(scope="session")
def model(store, asserted_store):
    return collect(store, asserted_store)


@pytest.fixture(scope="session")
def page_kinds(model) -> dict:
    """One page of every kind: the map, a process page per level (the longest name of each,
    the hardest to fit), the catalogue, the ontology, SPARQL and a flow."""
    pages = {"home": "index.html"}
    for level in sorted({p.level for p in model.processes.values()}):
        longest = max((p for p in model.processes.values() if p.level == level), key=lambda p: (len(p.label.en), p.slug))
        pages[f"level-{level}"] = f"process/{longest.slug}.html"
    pages.update({"processes": "processes.html", "ontology": "ontology.html", "sparql": "sparql.html"})
    if model.flows:
        widest = max(model.flows, key=lambda f: (len(f.members), f.slug))
        pages["flow"] = f"flow/{widest.slug}.html"
    return pages


def phone(browser, width: int, locale: str = "en-US", **options):
    context = browser.new_context(viewport={"width": width, "height": 844}, locale=locale, is_mobile=True,
                                  has_touch=True, device_scale_factor=1, **options)
    pg = context.new_page()
    pg.problems = []
    pg.on("console", lambda m: pg.problems.append(f"console {m.type}: {m.text}") if m.type in ("error", "warning") else None)
    pg.on("pageerror", lambda e: pg.problems.append(f"page error: {e}"))
    return context, pg


OVERFLOW = """() => [document.documentElement.scrollWidth, window.innerWidth,
  [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5)
     .slice(0, 5).map(e => e.tagName + '.' + e.className)]"""


def rect(pg, selector: str) -> dict:
    return pg.eval_on_selector(selector, "e => { const r = e.getBoundingClientRect(); return {x: r.left, y: r.top, right: r.right, bottom: r.bottom, width: r.width, height: r.height}; }")


def phone_shot(pg, artifacts, name: str, longest: int = 6000):
    """A full-page screenshot, cut at ``longest`` px: the catalogue is ~130 000 px tall."""
    height = pg.evaluate("document.documentElement.scrollHeight")
    if height <= longest:
        return shot(pg, artifacts, name)
    path = artifacts / name
    pg.screenshot(path=str(path), full_page=True, clip={"x": 0, "y": 0, "width": pg.viewport_size["width"], "height": longest})
    print(f"screenshot: {path} (first {longest} of {height} px)")
    return path


# --------------------------------------------------------------------------- phones


def test_no_page_is_wider_than_a_phone(browser, site_url, linked_site_url, page_kinds):
    urls = [site_url + rel for rel in page_kinds.values()]
    urls += [linked_site_url + "index.html", linked_site_url + "process/ProblemHandling.html"]  # heat map, applications table
    for width, locale in [(w, "en-US") for w in PHONE_WIDTHS] + [(360, "es-ES")]:  # Spanish names are longer
        context, pg = phone(browser, width, locale)
        for url in urls:
            pg.goto(url)
            assert pg.evaluate("document.documentElement.lang") == locale[:2]
            scroll_width, inner, culprits = pg.evaluate(OVERFLOW)
            assert scroll_width <= inner, f"{url} at {width}px ({locale}) is {scroll_width}px wide: {culprits}"
        assert pg.problems == []
        context.close()


def test_the_search_box_and_its_buttons_are_whole_on_a_phone(browser, site_url):
    for width in PHONE_WIDTHS:
        context, pg = phone(browser, width)
        pg.goto(site_url + "index.html")
        for selector in ("#topic", ".topic-search button[type='submit']", ".topic-search button[type='reset']"):
            r = rect(pg, selector)
            assert r["x"] >= 0 and r["right"] <= width and r["width"] >= 24, (width, selector, r)
        assert rect(pg, "#topic")["width"] >= 120
        context.close()


def test_the_phone_map_keeps_four_columns_with_headers_in_view(browser, site_url):
    context, pg = phone(browser, 390)
    pg.goto(site_url + "index.html")
    heads = pg.locator("#map thead th[data-vertical]")
    columns = [heads.nth(i).bounding_box() for i in range(heads.count())]
    assert len(columns) == 4 and all(a["x"] + a["width"] <= b["x"] for a, b in zip(columns, columns[1:]))
    assert columns[0]["x"] >= 0 and columns[-1]["x"] + columns[-1]["width"] <= 390
    for box in pg.locator("#map a.box").all():
        first, last = map(int, box.get_attribute("data-columns").split("-"))
        r = box.bounding_box()
        # every box still spans exactly its verticals' columns, inside the screen
        assert abs(r["x"] - columns[first]["x"]) <= 2, box.get_attribute("data-process")
        assert abs(r["x"] + r["width"] - columns[last]["x"] - columns[last]["width"]) <= 2
        names = box.locator(".name").evaluate("e => [e.scrollWidth, e.clientWidth]")
        assert names[0] <= names[1] + 1  # long names wrap inside their box
    for band in pg.locator("#map tbody[data-horizontal]").all():
        head = band.locator("th.horizontal").bounding_box()
        first_box = band.locator("a.box").first.bounding_box()
        assert head["width"] >= 0.9 * (columns[-1]["x"] + columns[-1]["width"] - columns[0]["x"])  # a section title
        assert head["y"] + head["height"] <= first_box["y"] + 1
    # scrolled to the last band, the column headers are still on the screen, at its top
    pg.locator("#map tbody[data-horizontal]").last.scroll_into_view_if_needed()
    pg.evaluate("window.scrollBy(0, 200)")
    top = rect(pg, "#map thead th[data-vertical]")
    assert -1 <= top["y"] <= 2 and pg.evaluate("window.scrollY") > 600
    # a box scrolled to the top edge (Shift+Tab, find in page) stops below the stuck headers
    middle = pg.locator("#map tbody[data-horizontal]").nth(1).locator("a.box").first
    middle.evaluate("e => e.scrollIntoView({block: 'start'})")
    heads_bottom = max(h["y"] + h["height"] for h in (heads.nth(i).bounding_box() for i in range(4)))
    assert middle.bounding_box()["y"] >= heads_bottom - 1 and pg.evaluate("window.scrollY") > 0
    context.close()


SPLIT_WORDS = """() => {
  const split = [];
  const ctx = document.createElement('canvas').getContext('2d');
  for (const name of document.querySelectorAll('#map a.box .name')) {
    const text = name.firstChild && name.firstChild.nodeType === 3 ? name.firstChild : null;
    const spans = text ? [text] : [...name.querySelectorAll('span')].filter(s => s.offsetParent).map(s => s.firstChild);
    for (const node of spans) {
      if (!node) continue;
      for (const m of node.textContent.matchAll(/[^\\s\\/-]+/g)) {
        const range = document.createRange();
        range.setStart(node, m.index);
        range.setEnd(node, m.index + m[0].length);
        const lines = new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top)));
        if (lines.size < 2) continue;
        // a word wider than the box may break; one that would fit on a line of its own may not
        const style = getComputedStyle(node.parentNode);
        ctx.font = style.fontWeight + ' ' + style.fontSize + ' ' + style.fontFamily;
        const room = name.closest('td').clientWidth - 8;  // the cell, less a box's border and padding
        if (ctx.measureText(m[0]).width <= room) split.push(m[0] + ' in ' + name.closest('a.box').dataset.process);
      }
    }
  }
  return split;
}"""


def test_box_names_wrap_between_words_on_a_phone(browser, site_url):
    """A box gives its name its whole width (the button that opens the box sits under it):
    no word that fits the box is cut across lines ("Custo / mer") at phone widths, in
    either language (a word wider than its box, such as a long Spanish one at 360 px, may
    break)."""
    for width, locale in [(360, "en-US"), (430, "en-US"), (360, "es-ES")]:
        context, pg = phone(browser, width, locale)
        pg.goto(site_url + "index.html")
        pg.wait_for_selector("#map td.has-parts")  # map.js has added the buttons
        assert pg.evaluate(SPLIT_WORDS) == [], (width, locale)
        context.close()


def test_screenshots_of_every_page_kind_on_a_phone(browser, site_url, linked_site_url, page_kinds, artifacts):
    context, pg = phone(browser, 390)
    for name, rel in page_kinds.items():
        pg.goto(site_url + rel)
        path = phone_shot(pg, artifacts, f"phone-390-{name}.png")
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert struct.unpack(">II", path.read_bytes()[16:24])[0] == 390
    pg.goto(linked_site_url + "index.html")
    pg.fill("#topic", "complaints")
    pg.press("#topic", "Enter")
    phone_shot(pg, artifacts, "phone-390-home-heat-map-search.png")
    assert pg.problems == []
    context.close()


# --------------------------------------------------------------------------- paper


def pdf_pages(data: bytes) -> int:
    """Page objects of a PDF that Chromium wrote (its page tree is not compressed)."""
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", data))


@pytest.mark.parametrize("which", ["plain", "heat"])
def test_the_map_prints_on_one_landscape_page(browser, site_url, linked_site_url, which):
    url = (site_url if which == "plain" else linked_site_url) + "index.html"
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="en-US")
    pg = context.new_page()
    pg.goto(url)
    if which == "heat":
        pg.fill("#topic", "complaints")
        pg.press("#topic", "Enter")
    for paper in ("A4", "Letter"):
        data = pg.pdf(format=paper, landscape=True, print_background=True)
        assert data[:5] == b"%PDF-" and pdf_pages(data) == 1, paper
    context.close()
    # laid out on the printable area of the smaller sheet, the grid fits it whole
    width, height = min(A4_AREA[0], LETTER_AREA[0]), min(A4_AREA[1], LETTER_AREA[1])
    context = browser.new_context(viewport={"width": int(width), "height": int(height)}, locale="en-US")
    pg = context.new_page()
    pg.emulate_media(media="print")
    pg.goto(url)
    grid = rect(pg, "#map")
    assert grid["x"] >= 0 and grid["right"] <= width and grid["bottom"] <= height, grid
    assert pg.locator(".site-header").is_hidden() and pg.locator(".topic-search").is_hidden()
    assert pg.locator("#map a.box").count() >= 35 and pg.locator("#map a.box").last.is_visible()
    context.close()


def test_the_page_counter_sees_more_than_one_page(browser, site_url):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    pg = context.new_page()
    pg.goto(site_url + "processes.html")
    assert pdf_pages(pg.pdf(format="A4", landscape=True)) > 3
    context.close()


# --------------------------------------------------------------------------- pictures and lists


def download(pg, kind: str):
    with pg.expect_download() as info:
        pg.click(f".export-tools [data-export='{kind}']")
    d = info.value
    return d.suggested_filename, d.path().read_bytes()


def visible_boxes(pg) -> list[dict]:
    return pg.evaluate("""() => [...document.querySelectorAll('#map a.box')].filter(e => e.getClientRects().length).map(e => {
        const s = getComputedStyle(e);
        return {slug: e.dataset.process, cls: e.className, background: s.backgroundColor, opacity: s.opacity,
                id: e.querySelector('.pid') ? e.querySelector('.pid').innerText : '', name: e.querySelector('.name').innerText}; })""")


def svg_boxes(data: bytes) -> dict:
    root = ET.fromstring(data)
    return root, {g.get("data-process"): g for g in root.iter(f"{SVG}g") if "box" in (g.get("class") or "").split()}


def texts(g) -> str:
    return " ".join(" ".join(t.itertext()) for t in g.iter(f"{SVG}text"))


def test_the_map_downloads_as_svg_png_and_csv_as_shown(browser, linked_site_url, artifacts):
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="en-US", accept_downloads=True)
    pg = context.new_page()
    pg.goto(linked_site_url + "index.html")
    assert pg.locator(".export-tools").is_visible()
    assert pg.locator(".export-tools [data-export='csv-results']").is_disabled()  # nothing searched yet
    pg.fill("#topic", "complaints")
    pg.press("#topic", "Enter")
    shown = visible_boxes(pg)
    assert any("match" in b["cls"].split() for b in shown) and any("cov-0" in b["cls"].split() for b in shown)

    name, data = download(pg, "svg")
    assert name.endswith(".svg")
    (artifacts / "export-map-heat-search.svg").write_bytes(data)
    root, groups = svg_boxes(data)
    assert set(groups) == {b["slug"] for b in shown}
    for b in shown:
        g = groups[b["slug"]]
        rects = list(g.iter(f"{SVG}rect"))
        # the picture breaks lines where the screen does ("QoS/" | "SLA"): compare without spaces
        assert rects and b["id"] in texts(g) and "".join(b["name"].split()) in "".join(texts(g).split()), b["slug"]
        classes = b["cls"].split()
        if "cov-0" in classes:  # striped: a pattern in the picture too
            assert rects[0].get("fill").startswith("url(#") and root.find(f".//{SVG}pattern") is not None
        else:  # the colour on the screen (heat map, search highlight) is the colour in the picture
            rgb = re.sub(r"rgba?\((\d+),\s*(\d+),\s*(\d+).*", r"rgb(\1,\2,\3)", b["background"]).replace(" ", "")
            assert rects[0].get("fill").replace(" ", "") == rgb, b["slug"]
        assert (float(g.get("opacity", "1")) < 1) == (float(b["opacity"]) < 1), b["slug"]  # dimmed stays dimmed
    headers = [g for g in root.iter(f"{SVG}g") if "vertical" in (g.get("class") or "").split()]
    assert len(headers) == 4
    width, height = int(root.get("width")), int(root.get("height"))

    name, png = download(pg, "png")
    assert name.endswith(".png") and png[:8] == b"\x89PNG\r\n\x1a\n"
    (artifacts / "export-map-heat-search.png").write_bytes(png)
    scale = pg.evaluate("window.etomKgExport.pngScale")
    assert struct.unpack(">II", png[16:24]) == (width * scale, height * scale)
    assert len(png) > 50_000  # drawn, not blank

    name, table = download(pg, "csv-map")
    rows = list(csv.DictReader(io.StringIO(table.decode("utf-8"))))
    assert [r["id"] for r in rows] == [b["id"] for b in shown]
    assert {r["id"] for r in rows if r["highlight"] == "match"} == {b["id"] for b in shown if "match" in b["cls"].split()}
    assert all(r["applications"].isdigit() and r["url"].startswith(linked_site_url) for r in rows)
    problem = next(r for r in rows if r["id"] == "1.1.1.6")
    assert problem["name"] == "Problem Handling" and problem["verticals"] == "Assurance"

    name, table = download(pg, "csv-results")
    results = list(csv.DictReader(io.StringIO(table.decode("utf-8"))))
    listed = pg.locator("#search-results a[data-process]").count()
    assert len(results) == listed > 0 and any(r["name"] == "Problem Handling" for r in results)

    # in Spanish the picture and the lists speak Spanish
    pg.click("[data-set-lang='es']")
    _, data = download(pg, "svg")
    _, groups = svg_boxes(data)
    assert "Gestión de Problemas" in texts(groups["ProblemHandling"]) and "Problem Handling" not in texts(groups["ProblemHandling"])
    _, table = download(pg, "csv-map")
    assert "Gestión de Problemas" in table.decode("utf-8")
    context.close()


def test_the_site_holds_the_map_as_a_picture(site_dir, model):
    root = ET.fromstring((site_dir / "map.svg").read_bytes())
    on_map = {model.process(e.process).slug for e in model.matrix}
    assert {g.get("data-process") for g in root.iter(f"{SVG}g") if "box" in (g.get("class") or "").split()} == on_map


def test_a_flow_page_downloads_its_map_with_the_flow_marked(browser, site_url, page_kinds):
    context = browser.new_context(viewport={"width": 1400, "height": 900}, accept_downloads=True)
    pg = context.new_page()
    pg.goto(site_url + page_kinds["flow"])
    assert pg.locator("[data-export='csv-results']").is_hidden()  # a flow page has no search
    marked = {b["slug"] for b in visible_boxes(pg) if "match" in b["cls"].split()}
    assert marked
    name, data = download(pg, "svg")
    assert name == f"etom-operations-map-{page_kinds['flow'][5:-5]}.svg"
    _, groups = svg_boxes(data)
    assert {slug for slug, g in groups.items() if "match" in g.get("class").split()} == marked
    _, table = download(pg, "csv-map")
    rows = list(csv.DictReader(io.StringIO(table.decode("utf-8"))))
    assert {r["url"].rsplit("/", 1)[-1][:-5] for r in rows if r["highlight"] == "match"} == marked
    context.close()


def test_the_page_writes_csv_cells_like_the_cli(browser, site_url):
    """Same formula-injection policy as etom_kg.results.safe_cell, and RFC 4180 quoting."""
    from etom_kg.results import safe_cell

    cells = ["=1+2", "+SUM(A1)", "-5", "+1.5e3", "-x", "@cmd", "\tTab", "\rCR", "  =spaced", "a,b", 'say "hi"',
             "line\nbreak", "Gestión", "1.1.1.6", ""]
    context = browser.new_context()
    pg = context.new_page()
    pg.goto(site_url + "index.html")
    text = pg.evaluate("cells => window.etomKgExport.csv([cells, cells])", cells)
    assert text.endswith("\r\n")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows == [[safe_cell(c) for c in cells]] * 2
    context.close()


def test_the_phone_map_downloads_as_shown(browser, site_url):
    context, pg = phone(browser, 390, accept_downloads=True)
    pg.goto(site_url + "index.html")
    pg.evaluate("window.scrollTo(0, 1500)")  # the headers are stuck to the top: the picture has them in place
    _, data = download(pg, "svg")
    root, groups = svg_boxes(data)
    assert int(root.get("width")) <= 390
    assert set(groups) == {b["slug"] for b in visible_boxes(pg)}
    heads = [g for g in root.iter(f"{SVG}g") if "vertical" in (g.get("class") or "").split()]
    first_box = min(float(next(g.iter(f"{SVG}rect")).get("y")) for g in groups.values())
    assert all(float(next(h.iter(f"{SVG}rect")).get("y")) < first_box for h in heads)
    assert pg.problems == []
    context.close()
