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


# --------------------------------------------------------------------------- issue 14, item 8: HTTP/1.1 details

import gzip  # noqa: E402
import http.client  # noqa: E402
import os  # noqa: E402
import socket  # noqa: E402
import time  # noqa: E402
from email.utils import formatdate  # noqa: E402

from etom_kg.api import run_stored  # noqa: E402
from etom_kg.queries import catalog  # noqa: E402
from etom_kg.queries import projection_order  # noqa: E402

TEXT_FILES = {  # name -> (content type, body): every text type the site serves
    "page.html": ("text/html", "<!DOCTYPE html><title>page</title>" + "<p>Problem Handling</p>" * 200),
    "style.css": ("text/css", "p { color: #123456; }\n" * 200),
    "script.js": ("text/javascript", "var x = 1;\n" * 300),
    "data.json": ("application/json", '{"a": [' + ",".join(["1"] * 500) + "]}"),
    "icon.svg": ("image/svg+xml", '<svg xmlns="http://www.w3.org/2000/svg">' + "<g/>" * 200 + "</svg>"),
    "p.ttl": ("text/turtle", "<urn:a> <urn:b> <urn:c> .\n" * 100),
    "p.jsonld": ("application/ld+json", '[{"@id": "urn:a"}' + ', {"@id": "urn:b"}' * 100 + "]"),
}
NOT_FOUND_HTML = '<!DOCTYPE html><title>Page not found</title><a href="/index.html">home</a>\n'


@pytest.fixture(scope="module")
def web(tmp_path_factory, store):
    """A server for a site with a file of every text type, an image and a 404 page."""
    site = tmp_path_factory.mktemp("web")
    (site / "index.html").write_text("<!DOCTYPE html><title>map</title>" + "<p>box</p>" * 300, encoding="utf-8")
    for name, (_, body) in TEXT_FILES.items():
        (site / name).write_text(body, encoding="utf-8")
    (site / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    (site / "404.html").write_text(NOT_FOUND_HTML, encoding="utf-8")
    (site / "process").mkdir()
    srv = make_server(site, store, port=0, timeout=5.0, max_rows=1000, quiet=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    srv.site = site
    yield srv
    srv.shutdown()
    srv.close()
    thread.join(10)


def connect(srv) -> http.client.HTTPConnection:
    host, port = srv.server_address[:2]
    return http.client.HTTPConnection(host, port, timeout=60)


def exchange(conn, method, path, headers=None, body=None):
    conn.request(method, path, body=body, headers=headers or {})
    r = conn.getresponse()
    return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()


def sparql_path(query: str) -> str:
    return "/sparql?" + urllib.parse.urlencode({"query": query})


def test_one_connection_carries_every_kind_of_reply(web):
    conn = connect(web)
    try:
        requests = [("GET", "/index.html", {}, None), ("GET", sparql_path(LABELS), {}, None),
                    ("GET", "/missing.html", {}, None), ("GET", "/missing.html", {"Accept": "text/html"}, None),
                    ("GET", sparql_path("SELECT ?x WHERE { ?x "), {}, None),  # 400
                    ("POST", "/sparql", {"Content-Type": FORM}, urllib.parse.urlencode({"query": LABELS})),
                    ("HEAD", "/style.css", {}, None), ("OPTIONS", "/sparql", {}, None),
                    ("GET", "/query/children?process=1.1.1.6", {}, None), ("GET", "/query/nope", {}, None),
                    ("GET", "/ask?q=", {}, None), ("GET", "/index.html", {"Accept-Encoding": "gzip"}, None)]
        sockets = set()
        statuses = []
        for method, path, headers, body in requests:
            status, got, data = exchange(conn, method, path, headers, body)
            statuses.append(status)
            sockets.add(id(conn.sock))
            assert got.get("connection", "").lower() != "close", (method, path)
            if method == "HEAD" or status in (204, 304):
                assert data == b""
            else:
                assert int(got["content-length"]) == len(data), (method, path)
        assert statuses == [200, 200, 404, 404, 400, 200, 200, 204, 200, 404, 400, 200]
        assert len(sockets) == 1 and conn.sock is not None  # never reconnected
    finally:
        conn.close()


@pytest.mark.parametrize("name", sorted(TEXT_FILES))
def test_text_files_are_gzipped_when_the_client_accepts_it(web, name):
    content_type, text = TEXT_FILES[name]
    conn = connect(web)
    try:
        status, headers, body = exchange(conn, "GET", "/" + name, {"Accept-Encoding": "gzip, deflate"})
        assert status == 200 and headers["content-encoding"] == "gzip" and headers["content-type"].startswith(content_type)
        assert "accept-encoding" in headers["vary"].lower()
        assert int(headers["content-length"]) == len(body) < len(text.encode())
        assert gzip.decompress(body) == text.encode()
        status, plain_headers, plain = exchange(conn, "GET", "/" + name)
        assert "content-encoding" not in plain_headers and plain == text.encode()
        assert "accept-encoding" in plain_headers["vary"].lower()
        _, refused, body = exchange(conn, "GET", "/" + name, {"Accept-Encoding": "gzip;q=0, identity"})
        assert "content-encoding" not in refused and body == text.encode()
    finally:
        conn.close()


def test_images_are_sent_as_they_are(web):
    conn = connect(web)
    try:
        status, headers, body = exchange(conn, "GET", "/image.png", {"Accept-Encoding": "gzip"})
        assert status == 200 and "content-encoding" not in headers and body == (web.site / "image.png").read_bytes()
    finally:
        conn.close()


def test_sparql_and_stored_query_answers_are_gzipped_when_accepted(web):
    conn = connect(web)
    try:
        for path, accept, media in [
            (sparql_path("SELECT ?c ?p WHERE { ?c etom:directlyPartOf ?p } ORDER BY ?c ?p LIMIT 50"), "application/sparql-results+json", "application/sparql-results+json"),
            (sparql_path("CONSTRUCT { ?c etom:directlyPartOf ?p } WHERE { ?c etom:directlyPartOf ?p } ORDER BY ?c ?p LIMIT 40"),
             "text/turtle", "text/turtle"),
            ("/query/children?process=1.1.1.6", "text/csv", "text/csv"),
        ]:
            status, zipped, body = exchange(conn, "GET", path, {"Accept": accept, "Accept-Encoding": "gzip"})
            _, plain_headers, plain = exchange(conn, "GET", path, {"Accept": accept})
            assert status == 200 and zipped["content-encoding"] == "gzip" and zipped["content-type"].startswith(media)
            assert "content-encoding" not in plain_headers
            if media == "text/turtle":  # the same graph; the serialiser's order may differ
                import pyoxigraph as ox

                def triples(data):
                    return {str(t) for t in ox.parse(data, format=ox.RdfFormat.TURTLE)}

                assert triples(gzip.decompress(body)) == triples(plain) and len(triples(plain)) > 5
            else:
                assert gzip.decompress(body) == plain
            assert zipped["vary"] == plain_headers["vary"] == "Accept, Accept-Encoding"
    finally:
        conn.close()


def test_static_files_have_validators_and_answer_304(web):
    conn = connect(web)
    path = web.site / "style.css"
    try:
        status, headers, _ = exchange(conn, "GET", "/style.css")
        etag, modified = headers["etag"], headers["last-modified"]
        assert status == 200 and etag.startswith('"') and modified.endswith("GMT")
        assert headers["cache-control"] == "no-cache"
        _, zipped, _ = exchange(conn, "GET", "/style.css", {"Accept-Encoding": "gzip"})
        assert zipped["etag"] != etag  # another representation, another tag
        for conditional in ({"If-None-Match": etag}, {"If-None-Match": f'"other", {zipped["etag"]}'},
                            {"If-None-Match": "*"}, {"If-Modified-Since": modified}):
            status, got, body = exchange(conn, "GET", "/style.css", conditional)
            assert status == 304 and body == b"" and got["etag"] in (etag, zipped["etag"]), conditional
        assert exchange(conn, "HEAD", "/style.css", {"If-None-Match": etag})[0] == 304
        assert exchange(conn, "GET", "/style.css", {"If-None-Match": '"other"'})[0] == 200
        assert exchange(conn, "GET", "/style.css", {"If-Modified-Since": "Sat, 01 Jan 2000 00:00:00 GMT"})[0] == 200
        assert exchange(conn, "GET", "/style.css", {"If-Modified-Since": "not a date"})[0] == 200
        # a changed file is a new version: the old validators no longer match
        old = path.read_text(encoding="utf-8")
        path.write_text(old + "a { color: red; }\n", encoding="utf-8")
        later = time.time() + 5
        os.utime(path, (later, later))
        status, changed, body = exchange(conn, "GET", "/style.css", {"If-None-Match": etag, "Accept-Encoding": "gzip"})
        assert status == 200 and changed["etag"] not in (etag, zipped["etag"])
        assert gzip.decompress(body).decode() == old + "a { color: red; }\n"  # not the old compressed copy
        assert exchange(conn, "GET", "/style.css", {"If-Modified-Since": modified})[0] == 200
        assert exchange(conn, "GET", "/style.css", {"If-Modified-Since": formatdate(later + 1, usegmt=True)})[0] == 304
    finally:
        conn.close()


@pytest.mark.parametrize("path", [
    "/index.html", "/", "/p.ttl", sparql_path(LABELS), "/query/children?process=1.1.1.6",
    "/ask?" + urllib.parse.urlencode({"q": "which processes handle complaints"}), "/missing.html", "/query/nope",
])
def test_head_answers_every_route_with_the_headers_of_get(web, path):
    conn = connect(web)
    try:
        for headers in ({}, {"Accept-Encoding": "gzip", "Accept": "text/html"}):
            get_status, get_headers, body = exchange(conn, "GET", path, headers)
            head_status, head_headers, head_body = exchange(conn, "HEAD", path, headers)
            get_headers.pop("date"), head_headers.pop("date")
            assert head_status == get_status and head_body == b"" and len(body) > 0
            assert head_headers == get_headers
    finally:
        conn.close()


def test_options_says_what_each_route_allows(web):
    conn = connect(web)
    try:
        status, headers, body = exchange(conn, "OPTIONS", "/sparql")
        assert status == 204 and body == b"" and headers["allow"] == "GET, HEAD, POST, OPTIONS"
        for path in ("/index.html", "/query/children", "/missing"):
            status, headers, _ = exchange(conn, "OPTIONS", path)
            assert status == 204 and headers["allow"] == "GET, HEAD, OPTIONS"
        status, headers, _ = exchange(conn, "OPTIONS", "*")
        assert status == 204 and "POST" in headers["allow"]
        assert "default-src 'self'" in headers["content-security-policy"]
    finally:
        conn.close()
    for method in ("PUT", "DELETE", "PATCH"):
        conn = connect(web)
        try:
            status, headers, body = exchange(conn, method, "/index.html", body=b"x")
            assert status == 405 and headers["allow"] == "GET, HEAD, OPTIONS" and method.encode() in body
            assert int(headers["content-length"]) == len(body)
        finally:
            conn.close()


def test_the_404_page_is_the_sites_own_for_browsers_and_text_for_others(web, server):
    conn = connect(web)
    try:
        browser_accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
        status, headers, body = exchange(conn, "GET", "/no/such/page.html", {"Accept": browser_accept})
        assert status == 404 and headers["content-type"].startswith("text/html") and body.decode() == NOT_FOUND_HTML
        status, headers, body = exchange(conn, "GET", "/no/such/page.html")
        assert status == 404 and headers["content-type"].startswith("text/plain") and b"not found" in body
        status, _, body = exchange(conn, "GET", "/process/", {"Accept": browser_accept})  # a folder is not listed
        assert status == 404 and body.decode() == NOT_FOUND_HTML
        status, headers, _ = exchange(conn, "GET", "/process")
        assert status == 301 and headers["location"] == "/process/"
    finally:
        conn.close()
    # a site without its own 404 page still gets a styled, bilingual one with a way home
    status, headers, body = call(server.url + "missing.html", headers={"Accept": "text/html"})
    assert status == 404 and b'href="/assets/site.css"' in body and b'href="/index.html"' in body
    assert b'lang="es"' in body


def test_http_errors_carry_a_length_and_no_traceback(web):
    host, port = web.server_address[:2]
    for raw in (b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
                b"GET / HTTP/1.1\r\n" + b"X-Many: 1\r\n" * 120 + b"\r\n",
                b"BREW /index.html HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"):
        with socket.create_connection((host, port), timeout=30) as s:
            s.sendall(raw)
            reply = b""
            while chunk := s.recv(65536):
                reply += chunk
        head, _, body = reply.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        assert lines[0].split()[1] in ("414", "431", "501"), lines[0]
        length = [int(line.split(":")[1]) for line in lines if line.lower().startswith("content-length:")]
        assert length == [len(body)] and b"Traceback" not in body


def test_a_post_whose_body_is_not_read_closes_the_connection(web):
    conn = connect(web)
    try:
        status, headers, _ = exchange(conn, "POST", "/index.html", {"Content-Type": FORM}, b"query=ASK{}")
        assert status == 405 and headers["connection"] == "close"
    finally:
        conn.close()


def test_stored_queries_are_bound_on_the_server_like_the_cli(web, store):
    conn = connect(web)
    try:
        status, headers, body = exchange(conn, "GET", "/query/children?process=1.1.1.6")
        assert status == 200 and headers["content-type"].startswith("application/sparql-results+json")
        answer = json.loads(body)
        expected = run_stored(catalog("cq").get("children"), store, {"process": "1.1.1.6"})
        assert answer["head"]["vars"] == list(expected.variables)
        assert [b["child"]["value"] for b in answer["results"]["bindings"]] == [r["child"] for r in expected.records()]
        assert int(headers["x-result-count"]) == len(expected.rows) > 0
        # words are resolved as `etom-kg query` resolves them: a name, in Spanish, with a typo
        by_name = exchange(conn, "GET", "/query/children?" + urllib.parse.urlencode({"process": "Gestion de Problmas"}))[2]
        assert json.loads(by_name) == answer
        status, _, body = exchange(conn, "GET", "/query/children")
        assert status == 400 and b"needs parameter 'process'" in body
        status, _, body = exchange(conn, "GET", "/query/children?process=1.1.1.6&process=1.1.1.5")
        assert status == 400 and b"once" in body
        status, _, body = exchange(conn, "GET", "/query/children?process=1.1.1.6&colour=red")
        assert status == 400 and b"no parameter 'colour'" in body
        status, _, body = exchange(conn, "GET", "/query/link-coverage?level=two")
        assert status == 400 and b"expected an integer" in body
        status, _, body = exchange(conn, "GET", "/query/no-such-query")
        assert status == 404 and b"children" in body
        status, headers, body = exchange(conn, "GET", "/query/children?process=1.1.1.6", {"Accept": "text/csv"})
        assert status == 200 and body.decode().splitlines()[0] == ",".join(expected.variables)
    finally:
        conn.close()


def test_select_star_columns_follow_the_query(endpoint):
    """D12: the engine sorts SELECT * variables by name; the endpoint keeps the query's order."""
    query = "SELECT * WHERE { ?zeta etom:directlyPartOf ?mid . ?mid etom:directlyPartOf ?alpha } LIMIT 2"
    status, _, body = get(endpoint, query)
    assert status == 200 and json.loads(body)["head"]["vars"] == ["zeta", "mid", "alpha"]
    status, _, body = get(endpoint, query, "text/csv")
    assert body.decode().splitlines()[0] == "zeta,mid,alpha"
    explicit = "SELECT ?alpha ?zeta WHERE { ?zeta etom:directlyPartOf ?alpha } LIMIT 1"
    assert json.loads(get(endpoint, explicit)[2])["head"]["vars"] == ["alpha", "zeta"]


@pytest.mark.parametrize("text, variables, expected", [
    ("SELECT * WHERE { ?b ?c ?a }", ["a", "b", "c"], ["b", "c", "a"]),
    ("# ?a first in a comment\nSELECT DISTINCT * WHERE { ?b ?c '?a' . ?b ?c ?a }", ["a", "b", "c"], ["b", "c", "a"]),
    ("PREFIX x: <urn:?a> SELECT * { { SELECT ?y ?x WHERE { ?x ?p ?y } } }", ["p", "x", "y"], ["y", "x", "p"]),
    ("SELECT ?c ?a WHERE { ?a ?b ?c }", ["c", "a"], ["c", "a"]),
    ("select reduced * where { $q ?p ?o }", ["o", "p", "q"], ["q", "p", "o"]),
])
def test_projection_order(text, variables, expected):
    assert projection_order(text, variables) == expected


def test_kept_alive_replies_do_not_wait_for_delayed_acks(web):
    """Headers and body leave in two writes; with Nagle's algorithm on, each reply on a
    kept-alive connection would wait for the client's delayed ACK (~40 ms)."""
    conn = connect(web)
    try:
        exchange(conn, "GET", "/style.css")
        started = time.perf_counter()
        for _ in range(40):
            assert exchange(conn, "GET", "/style.css", {"Accept-Encoding": "gzip"})[0] == 200
        elapsed = time.perf_counter() - started
    finally:
        conn.close()
    assert elapsed < 1.0, f"40 requests on one connection took {elapsed:.2f} s"
