"""Page defects of issue 14, one test (or more) each, read back from the built site:

- D1  grouping pages state the coverage below them, the same numbers as `etom-kg coverage`
- D6  counts take the singular with 1 ("1 process", "1 proceso")
- D7  lineage status words in Spanish mode; English-only notes marked lang="en"
- D11 a box's accessible name separates the id from the name (unassigned boxes too)
- D13 a page without sub-processes names the level that is missing, at every level
- D14 the applications table has header cells and shows names and short ids, not raw IRIs
- D15 "Also known as" does not repeat the "Later names"
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from test_site import LINKS, boxes, linked_site, local, page, records, shown  # noqa: F401 - linked_site is a fixture

ONE_PLURAL = re.compile(r"(?<![\w.-])1 (processes|procesos|applications|aplicaciones)\b")


@pytest.fixture(scope="module")
def linked(linked_site) -> Path:
    """The site with the coverage heat map: every page kind, applications tables included."""
    return linked_site


@pytest.fixture(scope="module")
def ctx(store, asserted_store):
    """The pages' rendering context over the shipped graph (for the helpers' unit tests)."""
    from etom_kg.site.build import asset
    from etom_kg.site.model import collect
    from etom_kg.site.pages import Context, load_strings
    from string import Template

    return Context(model=collect(store, asserted_store),
                   strings=load_strings(json.loads(asset("strings.json").read_text(encoding="utf-8"))),
                   template=Template(asset("page.html").read_text(encoding="utf-8")), version="test")


def section(root: ET.Element, section_id: str) -> ET.Element:
    found = root.find(f".//section[@id='{section_id}']")
    assert found is not None, section_id
    return found


def fact(root: ET.Element, key_en: str) -> ET.Element | None:
    """The <dd> after the <dt> whose English words are ``key_en``."""
    items = list(root if root.tag == "dl" else root.find(".//dl[@class='facts']"))
    for dt, dd in zip(items, items[1:]):
        if dt.tag == "dt" and shown(dt, "en") == key_en:
            return dd
    return None


def coverage_report(name: str, *params: str) -> list[dict]:
    """A report exactly as `etom-kg coverage` prints it (JSON), run through the CLI."""
    import io
    from contextlib import redirect_stdout

    from etom_kg.cli import main

    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["coverage", str(LINKS), "-q", name, "-f", "json", *(x for p in params for x in ("-p", p))]) == 0
    data = json.loads(out.getvalue())
    columns = data["head"]["vars"]
    return [{c: row[c]["value"] if c in row else "" for c in columns} for row in data["results"]["bindings"]]


# --------------------------------------------------------------------------- D1


def test_grouping_pages_state_the_coverage_that_etom_kg_coverage_reports(linked, store):
    rows = {local(r["grouping"]): r for r in coverage_report("coverage-by-grouping")}
    groupings = {local(r["grouping"]) for r in records(store, "groupings")}
    areas = {local(r["process"]) for r in records(store, "process-details") if r["level"] == 0}
    assert groupings <= set(rows) and "Operations" in rows
    for slug in groupings | areas:
        applications = section(page(linked, f"process/{slug}.html"), "applications")
        statement = applications.find(".//p[@data-processes]")
        if slug not in rows:  # nothing below it in this graph: said so, not flagged as a gap
            assert statement is None and "uncovered" not in ET.tostring(applications, encoding="unicode"), slug
            assert "no process below" in shown(applications, "en"), slug
            continue
        row = rows[slug]
        covered = int(row["processes"]) - int(row["gaps"])
        assert (int(statement.get("data-covered")), int(statement.get("data-processes"))) == (covered, int(row["processes"]))
        assert f"{covered} of {row['processes']} processes" in shown(statement, "en"), slug
        assert f"{covered} de {row['processes']} procesos" in shown(statement, "es"), slug
        parts = {li.get("data-status"): shown(li, "en") for li in applications.iter("li") if li.get("data-status")}
        for column in ("supported", "via_parts", "via_parent", "gaps"):
            assert (column in parts) == (int(row[column]) > 0) and (column not in parts or parts[column].endswith(f": {row[column]}"))
        assert ("uncovered" in (statement.get("class") or "")) == (covered == 0), slug
        assert "No application of the loaded landscape supports" not in shown(applications, "en")
    billing = rows["BillingAndRevenueManagement"]  # the case of the issue: covered below, not "no application"
    assert int(billing["processes"]) > int(billing["gaps"]) > 0


def test_process_pages_say_uncovered_only_for_the_gaps_of_etom_kg_coverage(linked, store):
    """Below the groupings too: a process an application supports through a process that
    contains it is not shown as uncovered; the gaps of the coverage-gaps report are."""
    gaps = {local(r["process"]) for r in coverage_report("coverage-gaps", "include_deprecated=true")}
    groupings = {local(r["grouping"]) for r in records(store, "groupings")}
    counted = {"uncovered": 0, "via-parent": 0}
    for r in records(store, "process-details", include_deprecated=True):
        slug = local(r["process"])
        if slug in groupings or r["level"] == 0:
            continue
        applications = section(page(linked, f"process/{slug}.html"), "applications")
        if applications.find(".//table") is not None:
            assert slug not in gaps, slug
            continue
        (first,) = [p for p in applications if p.tag == "p"][:1]
        kind = "uncovered" if "uncovered" in first.get("class").split() else "via-parent"
        assert kind == ("uncovered" if slug in gaps else "via-parent"), slug
        counted[kind] += 1
        if kind == "via-parent":  # names the containing process an application supports
            assert applications.find(".//ul[@class='links']/li/a") is not None, slug
    assert counted["uncovered"] > 0 and counted["via-parent"] > 0


def test_the_grouping_report_counts_verticals_like_coverage_by_vertical():
    """One rule: the new report's vertical rows are coverage-by-vertical's rows."""
    by_vertical = {r["vertical"]: [r[c] for c in ("processes", "supported", "via_parts", "via_parent", "gaps")]
                   for r in coverage_report("coverage-by-vertical")}
    by_grouping = {r["grouping"]: [r[c] for c in ("processes", "supported", "via_parts", "via_parent", "gaps")]
                   for r in coverage_report("coverage-by-grouping") if r["kind"] == "vertical"}
    assert by_grouping == by_vertical and len(by_vertical) == 4


# --------------------------------------------------------------------------- D6


def test_counts_of_one_are_singular_in_both_languages(ctx):
    assert (ctx.count_text("processes", 1).en, ctx.count_text("processes", 1).es) == ("1 process", "1 proceso")
    assert (ctx.count_text("processes", 2).en, ctx.count_text("processes", 0).es) == ("2 processes", "0 procesos")
    assert (ctx.count_text("applications", 1).en, ctx.count_text("applications", 1).es) == ("1 application", "1 aplicación")
    assert ctx.count_text("applications", 11).en == "11 applications"  # 11 is not 1


def test_no_page_says_1_processes_or_1_applications(linked):
    badges = [b for b in boxes(page(linked, "index.html")) if b.get("data-applications") == "1"]
    assert badges, "the heat map has boxes with one application"
    for b in badges:
        badge = next(s for s in b.iter("span") if "badge" in (s.get("class") or "").split())
        assert (shown(badge, "en"), shown(badge, "es")) == ("1 application", "1 aplicación")
    for html in sorted(linked.rglob("*.html")):
        root = ET.parse(html).getroot()
        for lang in ("en", "es"):
            assert not ONE_PLURAL.search(shown(root, lang)), (html.name, lang, ONE_PLURAL.search(shown(root, lang)))


def test_the_search_status_is_singular_for_one_match(browser, site_url):
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    try:
        pg = context.new_page()
        pg.goto(site_url + "index.html")
        pg.wait_for_function("() => window.etomKgSearch && window.etomKgIndex")
        topics = pg.evaluate("() => Object.keys(window.etomKgIndex.topics)")
        one = next(key for key in sorted(topics) if len(pg.evaluate("t => window.etomKgSearch(t)", key)) == 1)
        pg.fill("#topic", one)
        pg.press("#topic", "Enter")
        pg.wait_for_selector("#search-status p")
        assert pg.inner_text("#search-status p").startswith("1 process matches"), one
        pg.click("[data-set-lang='es']")
        assert pg.inner_text("#search-status p").startswith("1 proceso coincide"), one
    finally:
        context.close()


# --------------------------------------------------------------------------- D7


def test_lineage_statuses_are_in_the_readers_language_and_notes_are_marked_english(linked, store):
    spanish = {r["label_en"]: r["label_es"] for r in records(store, "lineage-summary")}
    statuses: dict[str, set] = {}
    for r in records(store, "lineage"):
        if r["status"]:
            statuses.setdefault(local(r["process"]), set()).add(r["status"])
    assert statuses
    checked = 0
    for slug, words in sorted(statuses.items())[:40]:
        dd = fact(page(linked, f"process/{slug}.html"), "In later releases")
        assert dd is not None, slug
        es, en = shown(dd, "es"), shown(dd, "en")
        for word in words:
            assert word in en and spanish[word] in es, (slug, word)
            if spanish[word] != word:
                assert not re.search(rf"(^|; ){re.escape(word)}(;|$| —)", es), (slug, word, es)
        for note in dd.iter("span"):
            classes = (note.get("class") or "").split()
            if "lineage-note" in classes and "l" not in classes:  # a note in one language: marked as such
                assert note.get("lang") == "en", slug
        checked += 1
    assert checked == min(40, len(statuses))


def test_a_lineage_note_in_spanish_is_shown_in_spanish_mode(ctx):
    """The shipped graph has its notes in English; a graph with a Spanish note shows it."""
    from dataclasses import replace

    from etom_kg.site.pages import _facts

    p = next(p for p in sorted(ctx.model.processes.values(), key=lambda p: p.sort_key) if p.lineage_note and p.lineage_statuses)
    english_only = ET.fromstring(_facts(ctx, p, "../"))
    dd = fact(english_only, "In later releases")
    assert p.lineage_note in shown(dd, "es")  # nothing to translate it with: the English, marked
    assert [n.get("lang") for n in dd.iter("span") if "lineage-note" in (n.get("class") or "")] == ["en"]
    both = ET.fromstring(_facts(ctx, replace(p, lineage_note_es="Nota de linaje en español."), "../"))
    dd = fact(both, "In later releases")
    assert "Nota de linaje en español." in shown(dd, "es") and p.lineage_note not in shown(dd, "es")
    assert p.lineage_note in shown(dd, "en") and "Nota de linaje" not in shown(dd, "en")


# --------------------------------------------------------------------------- D11


def test_every_box_name_separates_the_id_from_the_name(linked, store):
    labels = {local(r["process"]): r["label_en"] for r in records(store, "matrix")}
    for b in boxes(page(linked, "index.html")):
        pid = next(s for s in b.iter("span") if s.get("class") == "pid")
        assert shown(b, "en").startswith(f"{pid.text} {labels[b.get('data-process')]}"), ET.tostring(b, encoding="unicode")[:200]


def test_an_unassigned_box_reads_id_name_and_note_apart(ctx):
    from etom_kg.namespaces import PROC
    from etom_kg.site.layout import Box, Cell
    from etom_kg.site.pages import _box

    html = _box(ctx, Cell(colspan=4, box=Box(PROC + "ProblemHandling", 0, 4, unassigned=True)), "")
    box = ET.fromstring(html).find("a")
    assert "unassigned" in box.get("class").split()
    assert shown(box, "en") == "1.1.1.6 Problem Handling in no vertical grouping"
    assert shown(box, "es") == "1.1.1.6 Gestión de Problemas en ninguna agrupación vertical"


def test_chromium_reads_each_box_as_id_name_and_count(browser, linked_site_url, store):
    """The accessible name Chromium computes, as a screen reader hears it."""
    labels = {local(r["process"]): r["label_en"] for r in records(store, "matrix")}
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    try:
        pg = context.new_page()
        pg.goto(linked_site_url + "index.html")
        found = pg.locator("#map a.box").all()
        assert len(found) == len(labels)
        for box in found:
            n = int(box.get_attribute("data-applications"))
            expected = f"{box.locator('.pid').inner_text()} {labels[box.get_attribute('data-process')]} {n} application{'' if n == 1 else 's'}"
            assert f'link "{expected}"' in box.aria_snapshot(), (expected, box.aria_snapshot())
    finally:
        context.close()


# --------------------------------------------------------------------------- D13


def test_pages_without_sub_processes_name_the_missing_level(linked, store):
    levels = {local(r["process"]): r["level"] for r in records(store, "process-details")}
    with_children = {local(r["parent"]) for r in records(store, "process-details") if r["parent"]}
    kinds = {local(r["grouping"]) for r in records(store, "groupings", type="vertical")}
    seen = set()
    for slug, level in sorted(levels.items()):
        if slug in kinds:
            continue  # a vertical lists its member processes instead
        children = section(page(linked, f"process/{slug}.html"), "children")
        text = shown(children, "en")
        assert "down to Level" not in text and "does not decompose" not in text
        if children.find(".//ul") is None:
            assert slug not in with_children, slug  # no list only when the graph has no sub-process
            assert f"no Level-{level + 1} process below this one" in text, (slug, text)
            assert f"ningún proceso de Nivel {level + 1}" in shown(children, "es"), slug
            seen.add(level)
    assert {3, 4, 5} <= seen  # the message is right on Level-3, 4 and 5 pages alike


# --------------------------------------------------------------------------- D14


def test_the_applications_table_has_headers_names_and_short_ids(linked):
    table = section(page(linked, "process/ProblemHandling.html"), "applications").find(".//table")
    heads = table.findall("./thead/tr/th")
    assert [h.get("scope") for h in heads] == ["col"] * 3
    assert [shown(h, "en") for h in heads] == ["Application", "Relation", "Id"]
    rows = table.findall("./tbody/tr")
    assert rows
    for tr in rows:
        name = tr.find("th")
        assert name is not None and name.get("scope") == "row" and name.text
        code = tr.find(".//code")
        assert code.get("title") == tr.get("data-application") and code.text == tr.get("data-application").rsplit("/", 1)[-1]
        assert not any(cell.startswith(("http", "urn:")) for cell in shown(tr, "en").split())


def test_application_ids_are_short_for_urns_and_prefixed_iris():
    from etom_kg.site.pages import _application_id

    assert _application_id("urn:example:app:billing-engine") == "billing-engine"
    assert _application_id("https://example.org/landscape/app/CrmSuite") == "CrmSuite"
    assert _application_id("https://example.org/apps#Crm") == "Crm"
    assert _application_id("https://w3id.org/etom-kg/process/ProblemHandling") == "proc:ProblemHandling"


# --------------------------------------------------------------------------- D15


def test_also_known_as_does_not_repeat_the_later_names(linked, store):
    later: dict[str, set] = {}
    for r in records(store, "lineage"):
        if r["later_name"]:
            later.setdefault(local(r["process"]), set()).add(r["later_name"].casefold())
    other = {}
    for r in records(store, "process-other-names"):
        other.setdefault(local(r["process"]), set()).add(r["name"].casefold())
    overlapping = sorted(slug for slug in later if later[slug] & other.get(slug, set()))
    assert "ProblemHandling" in overlapping  # the case of the issue
    for slug in overlapping:
        root = page(linked, f"process/{slug}.html")
        assert fact(root, "Later names") is not None
        aka = fact(root, "Also known as")
        if aka is not None:
            for lang in ("en", "es"):
                names = {n.strip().casefold() for n in shown(aka, lang).split(",")}
                assert not names & later[slug], (slug, lang, names & later[slug])
