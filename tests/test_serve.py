"""`etom-kg serve`: a real server on a free 127.0.0.1 port, spoken to over HTTP.

The endpoint is checked against the SPARQL 1.1 Protocol (GET, POST form, POST
application/sparql-query, content negotiation) and against its promises: read-only,
no SERVICE, a time limit that stops the query, a result limit that refuses rather than cuts.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET

import pytest

from etom_kg.serve import SOLUTION_TYPES, make_server, negotiate

LABELS = "SELECT ?label WHERE { proc:ProblemHandling rdfs:label ?label } ORDER BY ?label"
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"  # billions of rows
FORM = "application/x-www-form-urlencoded"


@pytest.fixture(scope="module")
def server(tmp_path_factory, store):
    site = tmp_path_factory.mktemp("served")
    (site / "index.html").write_text("<!DOCTYPE html><title>map</title>", encoding="utf-8")
    (site / "p.ttl").write_text("<urn:a> <urn:b> <urn:c> .\n", encoding="utf-8")
    srv = make_server(site, store, port=0, timeout=2.0, max_rows=100, quiet=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.close()
    thread.join(10)


@pytest.fixture(scope="module")
def endpoint(server) -> str:
    return server.url + "sparql"


def call(url: str, *, data: bytes | None = None, headers: dict | None = None, method: str | None = None):
    req = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def get(endpoint: str, query: str, accept: str | None = None):
    url = endpoint + "?" + urllib.parse.urlencode({"query": query})
    return call(url, headers={"Accept": accept} if accept else {})


def post_form(endpoint: str, fields: dict, accept: str | None = None):
    headers = {"Content-Type": FORM, **({"Accept": accept} if accept else {})}
    return call(endpoint, data=urllib.parse.urlencode(fields).encode(), headers=headers)


def labels(body: bytes) -> list[str]:
    return [b["label"]["value"] for b in json.loads(body)["results"]["bindings"]]


# --------------------------------------------------------------------------- protocol


def test_get_answers_sparql_json(endpoint):
    status, headers, body = get(endpoint, LABELS)
    assert status == 200 and headers["Content-Type"].startswith("application/sparql-results+json")
    assert labels(body) == ["Gestión de Problemas", "Problem Handling"]


def test_post_form_and_post_query_body_answer_the_same(endpoint):
    _, _, by_form = post_form(endpoint, {"query": LABELS})
    status, _, by_body = call(endpoint, data=LABELS.encode(), headers={"Content-Type": "application/sparql-query"})
    assert status == 200 and labels(by_form) == labels(by_body) == ["Gestión de Problemas", "Problem Handling"]


def test_accept_chooses_csv_tsv_or_xml(endpoint):
    status, headers, body = get(endpoint, LABELS, "text/csv")
    assert status == 200 and headers["Content-Type"].startswith("text/csv")
    assert body.decode().splitlines() == ["label", "Gestión de Problemas", "Problem Handling"]
    _, headers, body = get(endpoint, LABELS, "text/tab-separated-values")
    assert body.decode().splitlines() == ["?label", '"Gestión de Problemas"@es', '"Problem Handling"@en']
    _, headers, body = get(endpoint, LABELS, "application/sparql-results+xml")
    ns = {"r": "http://www.w3.org/2005/sparql-results#"}
    literals = ET.fromstring(body).findall(".//r:literal", ns)
    assert [(lit.text, lit.get("{http://www.w3.org/XML/1998/namespace}lang")) for lit in literals] == [
        ("Gestión de Problemas", "es"), ("Problem Handling", "en")]


def test_ask_and_construct(endpoint):
    import pyoxigraph as ox

    status, _, body = get(endpoint, "ASK { proc:ProblemHandling a etom:Level2Process }")
    assert status == 200 and json.loads(body)["boolean"] is True
    construct = "CONSTRUCT WHERE { proc:ProblemHandling etom:directlyHasPart ?child }"
    status, headers, body = get(endpoint, construct)
    assert status == 200 and headers["Content-Type"].startswith("text/turtle")
    assert len(list(ox.parse(body, format=ox.RdfFormat.TURTLE))) == 6
    status, headers, body = get(endpoint, construct, "application/n-triples")
    assert headers["Content-Type"].startswith("application/n-triples")
    assert len(list(ox.parse(body, format=ox.RdfFormat.N_TRIPLES))) == 6


def test_an_unacceptable_type_is_406_listing_the_valid_ones(endpoint):
    status, _, body = get(endpoint, LABELS, "image/png")
    assert status == 406 and b"text/csv" in body


@pytest.mark.parametrize("accept, expected", [
    (None, "application/sparql-results+json"),
    ("*/*", "application/sparql-results+json"),
    ("text/*", "text/csv"),
    ("text/csv;q=0.5, application/sparql-results+xml", "application/sparql-results+xml"),
    ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "application/sparql-results+json"),
    ("application/xml", None),
    ("text/csv;q=0", None),
])
def test_negotiation(accept, expected):
    assert negotiate(accept, SOLUTION_TYPES) == expected


# --------------------------------------------------------------------------- what it refuses


def test_updates_are_refused_and_change_nothing(endpoint):
    update = "INSERT DATA { proc:ProblemHandling rdfs:label 'changed' }"
    assert post_form(endpoint, {"update": update})[0] == 403
    assert call(endpoint, data=update.encode(), headers={"Content-Type": "application/sparql-update"})[0] == 403
    status, _, body = post_form(endpoint, {"query": update})
    assert status == 403 and b"read-only" in body
    assert labels(get(endpoint, LABELS)[2]) == ["Gestión de Problemas", "Problem Handling"]


def test_service_is_refused(endpoint):
    status, _, body = get(endpoint, "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }")
    assert status == 400 and b"SERVICE" in body


def test_a_syntax_error_is_400_with_the_parser_message(endpoint):
    status, _, body = get(endpoint, "SELECT ?x WHERE { ?x ")
    assert status == 400 and b"SPARQL syntax error" in body


def test_results_over_the_limit_are_refused_not_cut(endpoint):
    status, _, body = get(endpoint, "SELECT ?s ?p ?o WHERE { ?s ?p ?o }")
    assert status == 400 and b"more than 100 rows" in body and b"LIMIT" in body
    status, _, body = get(endpoint, "SELECT ?s ?p ?o WHERE { ?s ?p ?o } LIMIT 100")
    assert status == 200 and len(json.loads(body)["results"]["bindings"]) == 100


def test_a_query_past_the_time_limit_is_stopped_and_the_endpoint_goes_on(endpoint):
    status, _, body = get(endpoint, SLOW)
    assert status == 503 and b"longer than 2 s" in body
    assert labels(get(endpoint, LABELS)[2]) == ["Gestión de Problemas", "Problem Handling"]


@pytest.mark.parametrize("path, data, headers, expected", [
    ("sparql", None, {}, 400),  # no query
    ("sparql?query=ASK{}&query=ASK{}", None, {}, 400),
    ("sparql?query=ASK{}&default-graph-uri=urn:g", None, {}, 400),
    ("sparql", b"ASK {}", {"Content-Type": "text/plain"}, 415),
    ("index.html", b"query=ASK{}", {"Content-Type": FORM}, 405),
])
def test_protocol_errors(server, path, data, headers, expected):
    assert call(server.url + path, data=data, headers=headers)[0] == expected


# --------------------------------------------------------------------------- the site and the binding


def test_static_files_carry_the_no_outside_content_policy(server):
    status, headers, body = call(server.url)
    assert status == 200 and b"map" in body
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert call(server.url + "p.ttl")[1]["Content-Type"].startswith("text/turtle")


def test_bound_to_loopback_by_default(server):
    from etom_kg.cli import build_parser

    assert server.server_address[0] == "127.0.0.1"
    assert build_parser().parse_args(["serve"]).host == "127.0.0.1"


def test_a_sparql_client_library_can_use_it(endpoint):
    from SPARQLWrapper import JSON, SPARQLWrapper

    client = SPARQLWrapper(endpoint)
    client.setQuery("PREFIX proc: <https://w3id.org/etom-kg/process/> PREFIX etom: <https://w3id.org/etom-kg/ontology#> "
                    "SELECT ?child WHERE { ?child etom:directlyPartOf proc:ProblemHandling }")
    client.setReturnFormat(JSON)
    rows = client.query().convert()["results"]["bindings"]
    assert len(rows) == 6


def test_the_serve_command_builds_serves_and_stops_on_sigterm(tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "etom_kg", "serve", "--port", "0"],
                            stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    try:
        line = proc.stderr.readline()
        match = re.search(r"at (http://127\.0\.0\.1:\d+/) ", line)
        assert match, line
        url = match.group(1)
        status, _, body = call(url + "index.html")
        assert status == 200 and "Problem Handling".encode() in body
        status, _, body = call(url + "process/ProblemHandling.html")
        assert status == 200
        assert labels(get(url + "sparql", LABELS)[2]) == ["Gestión de Problemas", "Problem Handling"]
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
        assert "stopped" in proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stderr.close()
