"""The map's search, levels and filters (issue 14, items 2, 3 and 6) in real headless Chromium,
at a desktop size (1440×900) and a phone size (390×844).

Expected answers come from the stored queries over the same graph (process-lookup for ids and
names, processes-for-topic for topics, children for the parts of a box), so the page is checked
against what the graph says, not against a copy of it. The session fixtures (one Chromium, the
built sites, their local servers, the artifacts folder) come from browser_fixtures.py.
"""

from __future__ import annotations

import re

import pytest
from browser_fixtures import CHROMIUM, IN_CI  # the session fixtures (browser, sites, artifacts): conftest.py
from test_site_browser import box_slugs, local, records, shot

if CHROMIUM is None and not IN_CI:
    pytestmark = pytest.mark.skip(reason="no 'chromium' on PATH (apt-get install chromium); CI runs these tests")

SIZES = {"desktop": {"width": 1440, "height": 900}, "phone": {"width": 390, "height": 844}}

# WCAG relative luminance and contrast ratio of two computed CSS colours
CONTRAST_JS = """
(([a, b]) => {
  const rgb = s => s.match(/[\\d.]+/g).slice(0, 3).map(Number);
  const lum = c => { const [r, g, b] = rgb(c).map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
                     return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
  return (x + 0.05) / (y + 0.05);
})
"""


def new_page(browser, size: str, **options):
    context = browser.new_context(viewport=SIZES[size], locale="en-US", **options)
    pg = context.new_page()
    pg.problems = []
    pg.requests = []
    pg.on("request", lambda r: pg.requests.append(r.url))
    pg.on("console", lambda m: pg.problems.append(f"console {m.type}: {m.text}") if m.type in ("error", "warning") else None)
    pg.on("pageerror", lambda e: pg.problems.append(f"page error: {e}"))
    return pg


@pytest.fixture(params=sorted(SIZES))
def size(request) -> str:
    return request.param


@pytest.fixture
def page(browser, size):
    pg = new_page(browser, size)
    yield pg
    pg.context.close()


@pytest.fixture
def desktop(browser):
    """For what the screen size does not change (links, state, data): the desktop size only."""
    pg = new_page(browser, "desktop")
    yield pg
    pg.context.close()


def type_text(pg, text: str) -> None:
    """Types like a person (key by key, no Enter) and waits for the list the typing shows."""
    pg.fill("#topic", "")
    pg.click("#topic")
    pg.keyboard.type(text)
    pg.wait_for_function("t => new URLSearchParams(location.hash.slice(1)).get('q') === t.trim()", arg=text)


def listed(pg) -> list[str]:
    return pg.eval_on_selector_all("#search-results a.result", "els => els.map(e => e.getAttribute('data-process'))")


def lookup(store, text: str) -> set:
    return {local(r["process"]) for r in records(store, "process-lookup", text=text)}


def process_rows(store) -> list[dict]:
    return records(store, "process-details")


def contrast(pg, a: str, b: str) -> float:
    return pg.evaluate(CONTRAST_JS, [a, b])


# --------------------------------------------------------------------------- find anything


def test_typing_finds_processes_by_every_kind_of_id(page, site_url, store):
    rows = process_rows(store)
    r16 = next(r for r in rows if r["r16_id"] and r["r16_id"] != r["id"])
    ids = ["1.1.1.6", "1.3.7", r16["r16_id"]]  # classic, v21 (Problem Handling's), R16
    page.goto(site_url + "index.html")
    for text in ids:
        type_text(page, text)
        expected = lookup(store, text)
        assert expected and set(listed(page)) == expected, text
        assert box_slugs(page, "#map a.box.match") == expected & box_slugs(page, "#map a.box")
    assert "ProblemHandling" in lookup(store, "1.3.7")
    type_text(page, "1.1.1.6")
    assert page.locator("#search-status p").first.inner_text().startswith("1 process matches")  # one, not "1 processes"
    first = page.locator("#search-results a.result").first
    assert first.get_attribute("href") == f"process/{listed(page)[0]}.html"  # a deep link to the page
    assert page.problems == []


def test_typing_finds_names_in_both_languages_with_typos_and_topics(page, site_url, store):
    page.goto(site_url + "index.html")
    for text in ("Problem Handling", "gestion de problmas", "Gestión de Problemas", "problem hand"):
        type_text(page, text)
        assert "ProblemHandling" in listed(page), text
    type_text(page, "reclamaciones")  # a topic: the processes handling complaints
    expected = {local(r["process"]) for r in records(store, "processes-for-topic", topic="reclamaciones")}
    assert set(listed(page)) >= expected and "ProblemHandling" in expected
    type_text(page, "zzzz qqqq")
    assert listed(page) == [] and page.locator("#search-status").inner_text().strip()
    assert not page.locator("#search-results").is_visible()


def test_deeper_matches_are_listed_in_sight_and_their_box_is_outlined(page, site_url, store, artifacts, size):
    rows = process_rows(store)
    deep = next(r for r in rows if int(r["level"]) == 4 and not r["deprecated"])
    page.goto(site_url + "index.html")
    type_text(page, deep["label_en"])
    slug = local(deep["process"])
    row = page.locator(f"#search-results a.result[data-process='{slug}']")
    assert row.is_visible()  # not hidden in a collapsed list
    assert page.locator("#search-results details").count() == 0
    assert row.locator(".rlevel").inner_text() == "L4"
    page.click(f"#search-results button.locate[data-process='{slug}']")  # and shown in place on the map
    part = page.locator(f"#map a.part[data-process='{slug}']")
    assert part.is_visible() and "match" in part.get_attribute("class").split()
    assert page.evaluate("document.activeElement.getAttribute('data-process')") == slug
    outlined = box_slugs(page, "#map a.box.contains-match")
    holders = {local(r["process"]) for r in rows if r["process"] in _ancestors(rows, deep["process"])}
    assert outlined and outlined <= holders
    shot(page, artifacts, f"map-search-level4-{size}.png")


def _ancestors(rows: list[dict], iri: str) -> set:
    parent = {r["process"]: r["parent"] for r in rows}
    out, current = set(), parent.get(iri)
    while current:
        out.add(current)
        current = parent.get(current)
    return out


def test_result_columns_never_collide(page, site_url):
    page.goto(site_url + "index.html")
    type_text(page, "adjustments")
    rows = page.locator("#search-results a.result")
    assert rows.count() >= 2
    for i in range(rows.count()):
        row = rows.nth(i)
        cells = [row.locator(sel).bounding_box() for sel in (".pid", ".rname", ".rlevel")]
        locate = row.locator("xpath=following-sibling::button")
        if locate.count():
            cells.append(locate.bounding_box())
        for k, a in enumerate(cells):  # no two cells overlap: side by side, or one above the other
            for b in cells[k + 1:]:
                apart = (a["x"] + a["width"] <= b["x"] + 0.5 or b["x"] + b["width"] <= a["x"] + 0.5
                         or a["y"] + a["height"] <= b["y"] + 0.5 or b["y"] + b["height"] <= a["y"] + 0.5)
                assert apart, row.inner_text()
    text = rows.first.inner_text()
    assert "\n" in text or "\t" in text  # id and name in separate cells, never "Adjustments &11."
    assert page.eval_on_selector("#search-results", "e => e.scrollWidth <= e.clientWidth")  # nothing cut at the side


def test_keyboard_moves_through_results_enter_opens_escape_clears_everything(page, site_url):
    page.goto(site_url + "index.html")
    type_text(page, "problem handling")
    links = listed(page)
    assert len(links) >= 3
    page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement.getAttribute('data-process')") == links[0]
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowUp")
    assert page.evaluate("document.activeElement.getAttribute('data-process')") == links[1]
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowUp")
    assert page.evaluate("document.activeElement.id") == "topic"
    page.keyboard.press("Escape")  # D10: the text, the list and every highlight
    assert page.input_value("#topic") == ""
    assert page.locator("#map .match, #map .contains-match").count() == 0
    assert not page.evaluate("document.body.classList.contains('searching')")
    assert not page.locator("#search-results").is_visible() and "q=" not in page.url
    type_text(page, "1.1.1.6")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Escape")  # from inside the list too
    assert page.input_value("#topic") == "" and page.locator("#map .match").count() == 0
    type_text(page, "1.1.1.6")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_url("**/process/ProblemHandling.html")


def test_a_link_can_carry_a_search(desktop, site_url, store):
    expected = {local(r["process"]) for r in records(store, "processes-for-topic", topic="complaints")}
    for url in ("index.html#q=complaints", "index.html?q=complaints", "index.html#topic=complaints"):
        desktop.goto(site_url + url)
        assert desktop.input_value("#topic") == "complaints"
        assert set(listed(desktop)) >= expected and "ProblemHandling" in box_slugs(desktop, "#map a.box.match"), url
    dialogs = []
    desktop.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    hostile = "#q=%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E&process=%22%5D%20x&hide=%3Cb%3E&ids=%22&superseded=2"
    desktop.goto(site_url + "index.html" + hostile)  # a crafted link is text, never markup or a selector
    assert desktop.input_value("#topic") == "<img src=x onerror=alert(1)>"
    assert dialogs == [] and desktop.problems == [] and desktop.locator("#map img").count() == 0


def test_without_javascript_the_search_says_so_instead_of_doing_nothing(browser, site_url, size):
    pg = new_page(browser, size, java_script_enabled=False)
    try:
        pg.goto(site_url + "index.html")
        assert not pg.locator(".topic-search").is_visible() and not pg.locator("#filters").is_visible()
        note = pg.locator("noscript + *, .noscript").first
        assert note.is_visible() and "JavaScript" in note.inner_text()
        note.locator("a[href='processes.html']").click()
        pg.wait_for_url("**/processes.html")
    finally:
        pg.context.close()


def test_the_map_works_from_files_with_the_index_outside_the_page(desktop, site_dir):
    html = (site_dir / "index.html").stat().st_size
    assert html < 100_000 and (site_dir / "assets" / "search-index.js").stat().st_size > html
    desktop.goto((site_dir / "index.html").as_uri() + "#q=1.1.1.6")
    assert box_slugs(desktop, "#map a.box.match") == {"ProblemHandling"}
    assert desktop.problems == [] and all(u.startswith("file://") for u in desktop.requests)


# --------------------------------------------------------------------------- every level


def test_a_box_opens_down_to_every_level(page, site_url, store, artifacts, size):
    page.goto(site_url + "index.html")
    toggle = page.locator("#map a.box[data-process='ProblemHandling'] ~ button.expand")
    assert toggle.get_attribute("aria-expanded") == "false"
    panel = page.locator("#" + toggle.get_attribute("aria-controls"))
    assert not panel.is_visible()
    toggle.focus()
    page.keyboard.press("Enter")  # a real button: the keyboard opens it
    assert toggle.get_attribute("aria-expanded") == "true" and panel.is_visible()
    expected = [(r["id"], local(r["child"])) for r in records(store, "children", process="1.1.1.6")]
    shown = panel.locator(":scope > ul > li > a.part")
    assert [(a.locator(".pid").inner_text(), a.get_attribute("data-process")) for a in shown.all()] == expected
    assert all(a.get_attribute("href") == f"process/{a.get_attribute('data-process')}.html" for a in shown.all())
    first_child = expected[0][1]
    sub = panel.locator(f"li:has(> a[data-process='{first_child}']) > button.expand")
    sub.click()
    grandchildren = [local(r["child"]) for r in records(store, "children", process=expected[0][0])]
    assert grandchildren and panel.locator(f"li:has(> a[data-process='{first_child}']) > .parts a.part").count() >= len(grandchildren)
    shot(page, artifacts, f"map-parts-{size}.png")
    page.keyboard.press("Space")  # the focused sub-toggle closes again
    assert sub.get_attribute("aria-expanded") == "false"


def test_level3_4_5_pages_show_their_place_on_the_map(page, site_url, store):
    rows = process_rows(store)
    for level in (3, 4, 5):
        row = next(r for r in rows if int(r["level"]) == level and not r["deprecated"] and r["id"].startswith("1.1."))
        slug = local(row["process"])
        page.goto(site_url + f"process/{slug}.html")
        page.click("a.to-map")
        page.wait_for_url(f"**/index.html#process={slug}")
        target = page.locator(f"#map a.part[data-process='{slug}']")
        assert target.is_visible() and "target" in target.get_attribute("class").split(), slug
        assert page.evaluate("document.activeElement.getAttribute('data-process')") == slug
        holder = next(local(a) for a in [row["process"], *_chain(rows, row["process"])]
                      if page.locator(f"#map a.box[data-process='{local(a)}']").count())
        button = page.locator(f"#map a.box[data-process='{holder}'] ~ button.expand").first
        assert button.get_attribute("aria-expanded") == "true"


def test_a_link_to_a_place_on_the_map_lifts_the_filters_that_hide_it(desktop, site_url):
    desktop.goto(site_url + "index.html#hide=Assurance,CustomerRelationshipManagement")
    assert not desktop.locator("#map a.box[data-process='ProblemHandling']").is_visible()
    desktop.goto(site_url + "index.html#process=IsolateCustomerProblem&hide=Assurance,Fulfillment")
    assert desktop.locator("#map a.part[data-process='IsolateCustomerProblem']").is_visible()
    assert desktop.locator("#map-filters input[name=vertical][value=Assurance]").is_checked()
    assert not desktop.locator("#map-filters input[name=vertical][value=Fulfillment]").is_checked()  # the rest stays


def _chain(rows: list[dict], iri: str) -> list:
    parent = {r["process"]: r["parent"] for r in rows}
    out, current = [], parent.get(iri)
    while current:
        out.append(current)
        current = parent.get(current)
    return out


# --------------------------------------------------------------------------- filters


def test_filters_by_grouping_are_kept_in_the_link(page, site_url, artifacts, size):
    page.goto(site_url + "index.html")
    page.click("#filters summary")
    page.locator("#map-filters input[name=vertical][value=Fulfillment]").uncheck()
    page.locator("#map-filters input[name=horizontal][value=SupplierPartnerRelationshipManagement]").uncheck()
    assert re.search(r"hide=Fulfillment%2CSupplierPartnerRelationshipManagement|hide=Fulfillment,SupplierPartnerRelationshipManagement", page.url)

    def check_map():
        only_fulfillment = page.locator("#map a.box[data-columns='1-1']")
        assert only_fulfillment.count() > 0
        assert all(not b.is_visible() for b in only_fulfillment.all())
        assert page.locator("#map a.box[data-columns='1-3']").first.is_visible()  # F+A+B stays: A and B are shown
        assert not page.locator("#map tbody[data-horizontal='SupplierPartnerRelationshipManagement']").is_visible()
        assert page.locator("#map tbody[data-horizontal='CustomerRelationshipManagement']").is_visible()

    check_map()
    shot(page, artifacts, f"map-filtered-{size}.png")
    page.reload()  # the state comes back from the link
    assert not page.locator("#map-filters input[name=vertical][value=Fulfillment]").is_checked()
    check_map()
    page.click("#map-filters button[type=reset]")
    page.wait_for_function("() => !location.hash.includes('hide=')")
    assert all(b.is_visible() for b in page.locator("#map a.box[data-columns='1-1']").all())


def test_ids_on_the_boxes_classic_or_v21(desktop, site_url, store):
    rows = {local(r["process"]): r for r in process_rows(store)}
    v21 = {local(row[0].value): row[1].value for row in store.run(
        "SELECT ?p ?v WHERE { ?p <https://w3id.org/etom-kg/ontology#v21Id> ?v }").rows}
    desktop.goto(site_url + "index.html")
    desktop.click("#filters summary")
    desktop.check("#map-filters input[name=ids][value=v21]")
    assert "ids=v21" in desktop.url
    for box in desktop.locator("#map a.box").all()[:12]:
        slug = box.get_attribute("data-process")
        assert box.locator(".pid").inner_text() == v21.get(slug, ""), slug
    desktop.check("#map-filters input[name=ids][value=classic]")
    box = desktop.locator("#map a.box[data-process='ProblemHandling']")
    assert box.locator(".pid").inner_text() == rows["ProblemHandling"]["id"] == "1.1.1.6"


def test_superseded_processes_come_and_go_with_their_filter(desktop, site_url, store):
    superseded = records(store, "deprecated-processes")
    assert superseded
    old = superseded[0]
    slug = local(old["process"])
    desktop.goto(site_url + "index.html")
    type_text(desktop, old["label"])
    assert slug not in listed(desktop)
    assert desktop.locator("#search-status .hint").count() == 1  # "N superseded processes also match"
    desktop.click("#search-status button.show-superseded")  # the note offers to show them
    assert "superseded=1" in desktop.url and desktop.locator("#map-filters input[name=superseded]").is_checked()
    assert slug in listed(desktop)
    assert "deprecated" in desktop.locator(f"#search-results a[data-process='{slug}']").get_attribute("class")
    desktop.click("#filters summary")
    desktop.uncheck("#map-filters input[name=superseded]")
    assert slug not in listed(desktop) and "superseded=" not in desktop.url
    desktop.check("#map-filters input[name=superseded]")
    desktop.click("[data-set-lang='es']")
    assert desktop.locator("#filters summary").inner_text().startswith("Filtros")
    assert desktop.locator("#map-filters legend").all_inner_texts()[-1] == "Identificadores en los recuadros"


# --------------------------------------------------------------------------- contrast while searching


def test_while_searching_every_box_keeps_readable_text(page, site_url, artifacts, size):
    page.goto(site_url + "index.html")
    type_text(page, "billing")
    assert page.locator("#map a.box.match").count() > 0
    styles = page.eval_on_selector_all("#map a.box", "els => els.map(e => { const s = getComputedStyle(e); return "
                                       "[s.opacity, s.backgroundColor, getComputedStyle(e.querySelector('.name')).color, e.className]; })")
    classes = [set(s[3].split()) for s in styles]
    assert len(styles) >= 35 and any("match" in c for c in classes)
    assert any(not c & {"match", "contains-match"} for c in classes)  # some boxes step back
    for style in styles:
        assert float(style[0]) == 1, style  # nothing dimmed with opacity
        assert contrast(page, style[1], style[2]) >= 4.5, style
    outline = page.eval_on_selector("#map a.box.contains-match", "e => getComputedStyle(e).outlineStyle")
    assert outline == "dashed"
    holder = page.locator("#map a.box.contains-match ~ button.expand").first
    holder.click()  # matching parts inside an opened box are marked readably too
    parts = page.eval_on_selector_all("#map a.part.match", "els => els.map(e => [getComputedStyle(e).backgroundColor, "
                                      "getComputedStyle(e.querySelector('.name')).color])")
    assert parts and all(contrast(page, bg, fg) >= 4.5 for bg, fg in parts), parts
    shot(page, artifacts, f"map-search-billing-{size}.png")


def test_the_match_outlines_stay_visible_on_the_heat_map(browser, linked_site_url, artifacts):
    pg = new_page(browser, "desktop")
    try:
        pg.goto(linked_site_url + "index.html#q=complaints")
        coloured = pg.locator("#map a.box.contains-match[class*='cov-'], #map a.box.match[class*='cov-']")
        assert coloured.count() > 0
        for box in coloured.all():
            style = box.evaluate("e => { const s = getComputedStyle(e); return [s.outlineStyle, s.outlineWidth, s.outlineColor]; }")
            assert style[0] in ("solid", "dashed") and float(style[1].rstrip("px")) >= 2, style
            assert contrast(pg, style[2], "rgb(255, 255, 255)") >= 3, style  # visible next to any box colour
        # and the text on the coloured boxes and the marked grouping headers stays readable (D5)
        texts = pg.eval_on_selector_all(
            "#map a.box:not(.cov-0) .pid, #map a.box:not(.cov-0) .name, #map .grouping-link.match .name .l",
            "els => els.filter(e => e.getClientRects().length).map(e => { let b = e; "
            "while (getComputedStyle(b).backgroundColor === 'rgba(0, 0, 0, 0)') b = b.parentElement; "
            "return [getComputedStyle(b).backgroundColor, getComputedStyle(e).color, e.textContent]; })")
        assert len(texts) > 10
        assert all(contrast(pg, bg, fg) >= 4.5 for bg, fg, _ in texts), [t for t in texts if contrast(pg, t[0], t[1]) < 4.5]
        shot(pg, artifacts, "map-search-heat.png")
    finally:
        pg.context.close()
