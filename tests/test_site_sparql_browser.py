"""Issue 14, items 7 and 8 in a real Chromium: the SPARQL page (stored-query picker with
parameters, Turtle for graph queries, short linked IRIs, counts, downloads, cancel, errors,
both languages) and the server's 404 page, at desktop (1440×900) and phone (390×844) sizes.

The browser, the built site and its server are the shared fixtures of browser_fixtures.py.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from browser_fixtures import CHROMIUM, IN_CI  # the session fixtures come from there, through conftest.py
from test_site_browser import local, recorded_page, records, shot

if CHROMIUM is None and not IN_CI:
    pytestmark = pytest.mark.skip(reason="no 'chromium' on PATH (apt-get install chromium); CI runs these tests")

SIZES = {"desktop": {"width": 1440, "height": 900}, "phone": {"width": 390, "height": 844}}
CHILDREN = "SELECT ?child ?label WHERE { ?child etom:directlyPartOf proc:ProblemHandling ; rdfs:label ?label . FILTER(lang(?label) = 'en') } ORDER BY ?label"
CONSTRUCT = "CONSTRUCT { ?child etom:directlyPartOf proc:ProblemHandling } WHERE { ?child etom:directlyPartOf proc:ProblemHandling }"


@pytest.fixture(params=sorted(SIZES))
def page(request, browser):  # this module's page: both screen sizes
    context = browser.new_context(viewport=SIZES[request.param], locale="en-US", accept_downloads=True)
    pg = recorded_page(context)
    pg.size = request.param
    yield pg
    context.close()


def no_overflow(pg) -> None:
    width = pg.evaluate("document.documentElement.scrollWidth")
    assert width <= pg.viewport_size["width"], f"the page is {width} px wide in a {pg.viewport_size['width']} px screen"


def run(pg, query: str | None = None) -> None:
    if query is not None:
        pg.fill("#sparql-query", query)
    pg.click("#sparql-run")
    pg.wait_for_selector("#sparql-count, #sparql-result [role='alert'], #sparql-status .boolean")


def shown_words(pg, selector: str) -> str:
    return " ".join(pg.locator(selector).inner_text().split())


def test_a_stored_query_with_a_parameter_shows_short_linked_iris(page, site_url, store, artifacts):
    page.goto(site_url + "sparql.html")
    page.select_option("#sparql-stored", "children")
    assert page.locator("#sparql-query").input_value().startswith("#+ id: children")
    field = page.locator("#sparql-param-process")
    assert field.is_visible() and field.get_attribute("required") is not None
    field.fill("1.1.1.6")
    run(page)
    expected = records(store, "children", process="1.1.1.6")
    headers = page.locator("#sparql-result th").all_inner_texts()
    assert headers == ["child", "id", "label", "level"]
    rows = page.locator("#sparql-result tbody tr")
    assert rows.count() == len(expected) == 6
    assert shown_words(page, "#sparql-count") == "6 rows"
    links = page.locator("#sparql-result tbody td:first-child a.iri")
    assert links.all_inner_texts() == [f"proc:{local(r['child'])}" for r in expected]
    assert [links.nth(i).get_attribute("title") for i in range(links.count())] == [r["child"] for r in expected]
    no_overflow(page)
    shot(page, artifacts, f"sparql-stored-query-{page.size}.png")
    links.first.click()
    page.wait_for_url(f"**/process/{local(expected[0]['child'])}.html")
    assert page.record.problems == [] and all(u.startswith(site_url) for u in page.record.requests)


def test_the_picker_binds_words_like_the_cli_and_reports_a_missing_parameter(page, site_url, store):
    page.goto(site_url + "sparql.html")
    page.select_option("#sparql-stored", "processes-for-topic")
    page.fill("#sparql-param-topic", "reclamaciones")
    run(page)
    expected = records(store, "processes-for-topic", topic="reclamaciones")
    assert page.locator("#sparql-result tbody tr").count() == len(expected) > 0
    # the browser itself asks for a required parameter before anything is sent
    page.fill("#sparql-param-topic", "")
    page.click("#sparql-run")
    assert page.evaluate("document.getElementById('sparql-param-topic').validity.valueMissing")
    # editing the text turns the stored query into the reader's own: no parameters are bound
    page.fill("#sparql-query", CHILDREN)
    assert page.locator("#sparql-stored").input_value() == "" and page.locator("#sparql-params").is_hidden()


def test_construct_is_shown_as_turtle_with_a_count_and_a_download(page, site_url):
    import pyoxigraph as ox

    page.goto(site_url + "sparql.html")
    run(page, CONSTRUCT)
    turtle = page.locator("#sparql-result pre.turtle").inner_text()
    triples = list(ox.parse(turtle.encode(), format=ox.RdfFormat.TURTLE))
    assert len(triples) == 6 and "@prefix proc:" in turtle
    assert shown_words(page, "#sparql-count") == "6 triples"
    with page.expect_download() as info:
        page.click("#sparql-downloads a[data-format='turtle']")
    download = info.value
    assert download.suggested_filename == "query.ttl"
    assert len(list(ox.parse(Path(download.path()).read_bytes(), format=ox.RdfFormat.TURTLE))) == 6
    no_overflow(page)
    assert page.record.problems == []


def test_select_results_download_as_csv_and_json(page, site_url, store):
    page.goto(site_url + "sparql.html")
    page.select_option("#sparql-stored", "children")
    page.fill("#sparql-param-process", "Problem Handling")
    run(page)
    expected = records(store, "children", process="1.1.1.6")
    with page.expect_download() as info:
        page.click("#sparql-downloads a[data-format='csv']")
    assert info.value.suggested_filename == "children.csv"
    table = list(csv.reader(io.StringIO(Path(info.value.path()).read_text(encoding="utf-8"))))
    assert table[0] == ["child", "id", "label", "level"]
    assert [row[0] for row in table[1:]] == [r["child"] for r in expected]
    with page.expect_download() as info:
        page.click("#sparql-downloads a[data-format='json']")
    answer = json.loads(Path(info.value.path()).read_text(encoding="utf-8"))
    assert answer["head"]["vars"] == table[0] and len(answer["results"]["bindings"]) == len(expected)


def test_select_star_columns_keep_the_query_order(page, site_url):
    page.goto(site_url + "sparql.html")
    run(page, "SELECT * WHERE { ?zeta etom:directlyPartOf ?alpha . ?zeta etom:classicId ?id } ORDER BY ?id LIMIT 3")
    assert page.locator("#sparql-result th").all_inner_texts() == ["zeta", "alpha", "id"]
    assert shown_words(page, "#sparql-count") == "3 rows"
    run(page, "SELECT * WHERE { proc:ProblemHandling etom:classicId ?id }")
    assert shown_words(page, "#sparql-count") == "1 row"  # not "1 rows"


def test_a_syntax_error_shows_the_servers_message(page, site_url):
    page.goto(site_url + "sparql.html")
    run(page, "SELECT ?x WHERE { ?x ")
    alert = page.locator("#sparql-result [role='alert']")
    assert "400" in alert.inner_text() and "SPARQL syntax error" in alert.inner_text()
    assert page.locator("#sparql-downloads a").count() == 0
    no_overflow(page)


def test_cancel_aborts_the_running_request(page, site_url):
    held = []
    page.route("**/sparql", lambda route: held.append(route))  # never answered: a query that runs on
    page.goto(site_url + "sparql.html")
    page.click("#sparql-run")
    page.wait_for_selector("#sparql-status .running")
    assert page.locator("#sparql-run").is_disabled() and page.locator("#sparql-cancel").is_enabled()
    page.click("#sparql-cancel")
    page.wait_for_selector("#sparql-status .cancelled")
    assert shown_words(page, "#sparql-status") == "The query was cancelled."
    assert page.locator("#sparql-run").is_enabled() and page.locator("#sparql-cancel").is_disabled()
    assert len(held) == 1
    page.unroute("**/sparql")
    run(page, CHILDREN)  # and the page goes on working
    assert page.locator("#sparql-result tbody tr").count() == 6


def test_the_page_speaks_spanish(page, site_url, artifacts):
    page.goto(site_url + "sparql.html")
    page.click("[data-set-lang='es']")
    option = page.locator("#sparql-stored option[value='children']").inner_text()
    assert "¿Cuáles son los subprocesos directos" in option
    page.select_option("#sparql-stored", "children")
    assert "obligatorio" in page.locator("label[for='sparql-param-process']").inner_text()
    from etom_kg.queries import catalog  # the parameter's description in the reader's language

    process = catalog("cq").get("children").param("process")
    assert process.description_es and process.description_es != process.description
    assert shown_words(page, "#sparql-param-process-hint") == " ".join(process.description_es.split())
    page.click("[data-set-lang='en']")  # and back: the English one
    assert shown_words(page, "#sparql-param-process-hint") == " ".join(process.description.split())
    page.click("[data-set-lang='es']")
    page.fill("#sparql-param-process", "Gestión de Problemas")
    run(page)
    assert shown_words(page, "#sparql-count") == "6 filas"
    assert "Descargar" in page.locator("#sparql-downloads").inner_text()
    no_overflow(page)
    shot(page, artifacts, f"sparql-es-{page.size}.png")


def test_no_horizontal_overflow_at_360_px(browser, site_url):
    context = browser.new_context(viewport={"width": 360, "height": 740})
    try:
        pg = context.new_page()
        pg.goto(site_url + "sparql.html")
        no_overflow(pg)
        pg.select_option("#sparql-stored", "process-details")  # long definitions in wide rows
        pg.check("#sparql-param-include_deprecated")
        run(pg)
        assert pg.locator("#sparql-result tbody tr").count() > 100
        no_overflow(pg)
        run(pg, "CONSTRUCT WHERE { proc:ProblemHandling ?p ?o }")
        no_overflow(pg)
    finally:
        context.close()


def test_from_a_file_the_page_says_it_needs_the_server(page, site_dir):
    page.goto((site_dir / "sparql.html").as_uri())
    assert page.locator("#sparql-offline").is_visible() and page.locator("#sparql-run").is_disabled()
    page.select_option("#sparql-stored", "children")  # the catalogue can still be read
    assert page.locator("#sparql-query").input_value().startswith("#+ id: children")


def test_the_404_page_has_the_sites_look_and_a_way_home(page, site_url, artifacts):
    response = page.goto(site_url + "no/such/page.html")
    assert response.status == 404
    assert page.locator("h1").inner_text() == "Page not found"
    assert page.evaluate("getComputedStyle(document.querySelector('.site-header')).display") != "none"  # styled
    page.click("[data-set-lang='es']")
    assert page.locator("h1").inner_text() == "Página no encontrada"
    no_overflow(page)
    shot(page, artifacts, f"not-found-{page.size}.png")
    page.click("main a.home-link")
    page.wait_for_url("**/index.html")
    assert page.locator("#map").count() == 1


def test_describe_is_turtle_and_ask_is_a_yes_or_no(page, site_url):
    import pyoxigraph as ox

    page.goto(site_url + "sparql.html")
    run(page, "DESCRIBE proc:ProblemHandling")
    turtle = page.locator("#sparql-result pre.turtle").inner_text()
    triples = list(ox.parse(turtle.encode(), format=ox.RdfFormat.TURTLE))
    assert shown_words(page, "#sparql-count") == f"{len(triples)} triples" and len(triples) > 10
    run(page, "ASK { proc:ProblemHandling a etom:Level2Process }")
    assert shown_words(page, "#sparql-status") == "The answer is yes (true)."
    run(page, "ASK { proc:ProblemHandling a etom:Level3Process }")
    assert shown_words(page, "#sparql-status") == "The answer is no (false)."
    assert page.record.problems == []


def test_a_link_opens_a_stored_query_with_its_parameters(page, site_url, store):
    page.goto(site_url + "sparql.html#query=children&process=1.1.1.6&include_deprecated=true")
    assert page.locator("#sparql-stored").input_value() == "children"
    assert page.locator("#sparql-param-process").input_value() == "1.1.1.6"
    assert page.locator("#sparql-param-include_deprecated").is_checked()
    run(page)
    expected = records(store, "children", process="1.1.1.6", include_deprecated=True)
    assert page.locator("#sparql-result tbody tr").count() == len(expected)
