"""The site in a real headless Chromium (Debian ``chromium`` driven by Playwright).

One browser per test session; the built site is served by the ``etom-kg serve`` machinery
on a free 127.0.0.1 port in a thread. Every request the pages make is recorded: none may
leave the local server. Screenshots are written under $ETOM_KG_ARTIFACTS (or a temporary
directory) and their paths printed.

Without chromium these tests are skipped, with the reason shown, except in CI (CI=true),
where a missing browser is a failure.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from etom_kg.api import run_stored
from etom_kg.namespaces import PROC
from etom_kg.queries import catalog

from browser_fixtures import CHROMIUM, IN_CI, LAUNCH_ARGS, LINKS, serving  # noqa: F401 - the session fixtures
# (browser, site_dir, site_url, linked_site_url, artifacts) live in browser_fixtures.py, registered by conftest.py,
# so every browser test module shares one Chromium and one build of each site

if CHROMIUM is None and not IN_CI:
    pytestmark = pytest.mark.skip(reason="no 'chromium' on PATH (apt-get install chromium); CI runs these tests")


def records(backend, name, **params):
    return run_stored(catalog("cq").get(name), backend, params).records()


def local(iri: str) -> str:
    return iri[len(PROC):]


# --------------------------------------------------------------------------- fixtures


class Recorder:
    def __init__(self):
        self.requests: list[str] = []
        self.problems: list[str] = []


def recorded_page(context):
    """A new page of ``context`` that records every request it makes (``.record.requests``)
    and every console error or warning and page error (``.record.problems``)."""
    pg = context.new_page()
    pg.record = Recorder()
    pg.on("request", lambda r: pg.record.requests.append(r.url))
    pg.on("console", lambda m: pg.record.problems.append(f"console {m.type}: {m.text}") if m.type in ("error", "warning") else None)
    pg.on("pageerror", lambda e: pg.record.problems.append(f"page error: {e}"))
    return pg


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="en-US")
    yield recorded_page(context)
    context.close()


def shot(pg, artifacts: Path, name: str) -> Path:
    path = artifacts / name
    pg.screenshot(path=str(path), full_page=True)
    print(f"screenshot: {path}")
    return path


def box_slugs(pg, selector: str) -> set:
    return set(pg.eval_on_selector_all(selector, "els => els.map(e => e.getAttribute('data-process'))"))


# --------------------------------------------------------------------------- tests


def test_pages_load_without_errors_and_nothing_leaves_localhost(page, site_url):
    for rel in ("index.html", "process/ProblemHandling.html", "processes.html", "ontology.html", "sparql.html"):
        page.goto(site_url + rel)
        page.wait_for_load_state("networkidle")
    assert page.record.problems == []
    assert len(page.record.requests) >= 10  # pages, stylesheet, script, icon
    assert [u for u in page.record.requests if not u.startswith(site_url)] == []


def test_the_grid_is_four_columns_by_four_rows(page, site_url):
    page.goto(site_url + "index.html")
    heads = page.locator("#map thead th[data-vertical]")
    bands = page.locator("#map tbody[data-horizontal]")
    assert heads.count() == 4 and bands.count() == 4
    columns = [heads.nth(i).bounding_box() for i in range(4)]
    assert all(a["x"] + a["width"] < b["x"] for a, b in zip(columns, columns[1:]))  # left to right
    rows = [bands.nth(i).bounding_box() for i in range(4)]
    assert all(a["y"] + a["height"] <= b["y"] for a, b in zip(rows, rows[1:]))  # top to bottom
    boxes = page.locator("#map a.box")
    assert boxes.count() >= 35
    for i in range(boxes.count()):
        box = boxes.nth(i)
        first, last = map(int, box.get_attribute("data-columns").split("-"))
        r = box.bounding_box()
        # a box covers exactly the columns of its verticals: F+A+B is three columns wide
        assert abs(r["x"] - columns[first]["x"]) <= 2, box.get_attribute("data-process")
        assert abs(r["x"] + r["width"] - columns[last]["x"] - columns[last]["width"]) <= 2
        band = rows[[b.get_attribute("data-horizontal") for b in bands.all()].index(
            box.locator("xpath=ancestor::tbody").get_attribute("data-horizontal"))]
        assert band["y"] <= r["y"] and r["y"] + r["height"] <= band["y"] + band["height"] + 1


def test_clicking_problem_handling_opens_its_page_with_its_level3_children(page, site_url, store):
    page.goto(site_url + "index.html")
    page.click("#map a.box[data-process='ProblemHandling']")
    page.wait_for_url("**/process/ProblemHandling.html")
    assert page.locator("h1").inner_text() == "1.1.1.6 Problem Handling"
    listed = page.locator("#children > ul > li > a").all_inner_texts()
    expected = [f"{r['id']} {r['label']}" for r in records(store, "children", process="1.1.1.6")]
    assert len(expected) == 6 and [" ".join(t.split()) for t in listed] == expected
    assert page.locator("#children a").count() > 6  # and their Level-4 parts below them


def test_reclamaciones_highlights_the_same_boxes_as_complaints(page, site_url, store):
    page.goto(site_url + "index.html")

    def highlighted(topic: str) -> tuple[set, set]:
        page.fill("#topic", topic)
        page.press("#topic", "Enter")
        return box_slugs(page, "#map .match"), box_slugs(page, "#map .contains-match")

    english = highlighted("complaints")
    spanish = highlighted("  RECLAMACIONES ")  # case and spaces are normalised like the query
    assert english == spanish
    on_map = box_slugs(page, "#map [data-process]")
    expected = {local(r["process"]) for r in records(store, "processes-for-topic", topic="reclamaciones")}
    assert english[0] == expected & on_map and "ProblemHandling" in english[0]
    assert page.locator("#search-results li").count() == len(expected)
    matched = page.eval_on_selector("#map a.box.match", "e => getComputedStyle(e).backgroundColor")
    # the other boxes step back by colour, not opacity (their text keeps its contrast: test_site_a11y)
    dimmed = page.eval_on_selector("#map a.box:not(.match):not(.contains-match)", "e => getComputedStyle(e).backgroundColor")
    assert matched != "rgb(230, 240, 247)" and dimmed not in ("rgb(230, 240, 247)", matched)
    highlighted("")
    assert box_slugs(page, "#map .match") == set()


def test_the_search_normalises_exactly_like_processes_for_topic(page, site_url, store):
    page.goto(site_url + "index.html")
    for topic in ("Reclamación", "GESTIÓN   de  reclamaciones", "quejas", "billing", "no such topic"):
        shown = set(page.evaluate("t => window.etomKgSearch(t)", topic))
        expected = {local(r["process"]) for r in records(store, "processes-for-topic", topic=topic)}
        assert shown == expected, topic


def test_the_language_toggle_switches_every_label_and_is_remembered(page, site_url, store):
    def visible(lang: str) -> int:
        return page.evaluate("l => [...document.querySelectorAll('.l')].filter(e => e.lang === l && e.getClientRects().length).length", lang)

    page.goto(site_url + "index.html")
    assert visible("en") > 50 and visible("es") == 0
    page.click("[data-set-lang='es']")
    assert visible("es") > 50 and visible("en") == 0
    assert page.evaluate("document.documentElement.lang") == "es"
    spanish = {local(r["process"]): r["label_es"] for r in records(store, "matrix")}
    for box in page.locator("#map a.box").all():
        assert box.locator(".name").inner_text() == spanish[box.get_attribute("data-process")]
    assert page.locator("#map th[data-vertical='Fulfillment']").inner_text() == "Provisión"
    page.reload()
    assert page.evaluate("document.documentElement.lang") == "es" and visible("en") == 0
    page.click("#map a.box[data-process='ProblemHandling']")
    page.wait_for_url("**/process/ProblemHandling.html")
    assert page.locator("h1").inner_text() == "1.1.1.6 Gestión de Problemas" and visible("en") == 0
    assert page.title().startswith("Gestión de Problemas")
    page.click("[data-set-lang='en']")
    assert page.locator("h1").inner_text() == "1.1.1.6 Problem Handling" and visible("es") == 0


def test_the_boxes_of_a_row_are_as_tall_as_the_row(page, site_url):
    """A box whose name wraps makes its row taller; the other boxes of the row grow with it,
    as on the poster, instead of leaving a gap below them."""
    page.goto(site_url + "index.html")
    page.wait_for_selector("#map td.has-parts")  # map.js has added the buttons that open boxes
    rows = page.evaluate("""() => [...document.querySelectorAll('#map tbody tr')].map(tr =>
        [...tr.querySelectorAll(':scope > td > a.box')].map(a => [a.dataset.process,
          Math.round(a.getBoundingClientRect().height), Math.round(a.parentNode.getBoundingClientRect().height)]))""")
    boxes = [box for row in rows for box in row]
    assert len(boxes) == page.locator("#map a.box").count() > 30
    uneven = [(slug, box, cell) for slug, box, cell in boxes if abs(box - cell) > 1]
    assert uneven == []
    assert len({height for row in rows for _, height, _ in row}) > 1  # rows do differ in height


def test_keyboard_navigation_reaches_every_box(page, site_url):
    page.goto(site_url + "index.html")
    total = page.locator("#map a.box").count()
    reached: set[int] = set()
    for _ in range(2 * total + 60):  # each box with parts is followed by the button that opens them
        page.keyboard.press("Tab")
        index = page.evaluate("[...document.querySelectorAll('#map a.box')].indexOf(document.activeElement)")
        if index >= 0:
            reached.add(index)
            outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
            assert outline != "none"  # the focused box is visibly marked
    assert reached == set(range(total))
    on_box = "[...document.querySelectorAll('#map a.box')].includes(document.activeElement)"
    for _ in range(40):  # back to the last box the keyboard reached (buttons follow some boxes)
        if page.evaluate(on_box):
            break
        page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")  # the focused box is a link the keyboard can follow
    page.wait_for_url("**/process/*.html")


def test_the_sparql_page_asks_the_local_endpoint(page, site_url):
    page.goto(site_url + "sparql.html")
    page.click("#sparql-form button[type='submit']")
    page.wait_for_selector("#sparql-result table")
    cells = page.locator("#sparql-result tbody tr").all_inner_texts()
    assert any("Problem Handling" in c for c in cells)
    assert page.record.problems == [] and all(u.startswith(site_url) for u in page.record.requests)


def test_the_search_finds_processes_by_id_and_by_name_with_typos(page, site_url, store):
    page.goto(site_url + "index.html")
    for text in ("1.1.1.6", "Problem Handling", "Gestión de Problemas", "gestion de problmas", "PROBLEM  handling"):
        assert "ProblemHandling" in page.evaluate("t => window.etomKgSearch(t)", text), text
    assert page.evaluate("t => window.etomKgSearch(t)", "reclamacoines") == page.evaluate("t => window.etomKgSearch(t)", "reclamaciones")
    usage = set(page.evaluate("t => window.etomKgSearch(t)", "the usage"))  # every name with the word
    assert usage >= {local(r["process"]) for r in records(store, "processes-for-topic", topic="usage")}
    assert usage >= set(page.evaluate("t => window.etomKgSearch(t)", "usage mediation"))


def test_the_ask_box_asks_the_local_server(page, site_url, store):
    page.goto(site_url + "index.html")
    page.fill("#ask-question", "¿Quién se encarga de las reclamaciones de factura?")
    page.click("#ask-form button[type='submit']")
    page.wait_for_selector("#ask-result table")
    assert page.locator("#ask-result code").inner_text() == "processes-for-topic"
    cells = page.locator("#ask-result tbody tr").all_inner_texts()
    assert any("Bill Inquiry Handling" in c for c in cells)
    assert page.record.problems == [] and all(u.startswith(site_url) for u in page.record.requests)


def test_the_site_works_from_files_without_a_server(page, site_dir):
    page.goto((site_dir / "index.html").as_uri())
    page.fill("#topic", "reclamaciones")
    page.press("#topic", "Enter")
    assert "ProblemHandling" in box_slugs(page, "#map .match")
    assert page.locator("#ask-offline").is_visible()
    assert page.record.problems == [] and all(u.startswith("file://") for u in page.record.requests)


def test_screenshot_of_the_map(page, site_url, artifacts):
    page.goto(site_url + "index.html")
    path = shot(page, artifacts, "operations-map.png")
    page.click("[data-set-lang='es']")
    page.fill("#topic", "reclamaciones")
    page.press("#topic", "Enter")
    shot(page, artifacts, "operations-map-es-reclamaciones.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 20_000


def test_the_heat_map_makes_uncovered_processes_stand_out(page, linked_site_url, artifacts):
    page.goto(linked_site_url + "index.html")
    uncovered = page.locator("#map a.box.cov-0")
    covered = page.locator("#map a.box.cov-1, #map a.box.cov-2, #map a.box.cov-3")
    assert uncovered.count() > 0 and covered.count() > 0
    assert page.locator("#map a.box[data-process='Selling']").get_attribute("class").split().count("cov-0") == 1
    style = "e => { const s = getComputedStyle(e); return [s.backgroundImage, s.borderTopColor]; }"
    uncovered_style = page.eval_on_selector("#map a.box.cov-0", style)
    covered_style = page.eval_on_selector("#map a.box.cov-1", style)
    assert "repeating-linear-gradient" in uncovered_style[0] and uncovered_style != covered_style
    assert page.locator(".legend li").count() == 4
    shot(page, artifacts, "operations-map-coverage.png")
    page.click("#map a.box[data-process='ProblemHandling']")
    page.wait_for_url("**/process/ProblemHandling.html")
    assert page.locator("#applications tbody tr").count() == 2
    assert page.record.problems == [] and all(u.startswith(linked_site_url) for u in page.record.requests)
