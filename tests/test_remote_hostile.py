"""Issue 13, D6 and M5: what a misbehaving or hostile SPARQL server sends becomes exit 4
and a message saying what it sent; redirects to another origin are refused."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest

from etom_kg.cli import main

SELECT = "SELECT ?s WHERE { ?s ?p ?o } LIMIT 1"


class Canned(BaseHTTPRequestHandler):
    """Answers by path: /<case>/... ; see ANSWERS."""

    def do_GET(self):  # noqa: N802
        case = urlsplit(self.path).path.strip("/").split("/")[0]
        self.server.seen.append(case)
        status, headers, body = ANSWERS[case](self)
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_GET

    def log_message(self, *args):
        pass


def _json(data, status=200):
    return lambda h: (status, {"Content-Type": "application/sparql-results+json"}, json.dumps(data).encode())


ANSWERS = {
    "list": _json([]),
    "html": lambda h: (200, {"Content-Type": "text/html"}, b"<html><body>Welcome to the admin page</body></html>"),
    "badcount": _json({"head": {"vars": ["n"]}, "results": {"bindings": [{"n": {"type": "literal", "value": "many"}}]}}),
    "nonobject": _json({"head": {"vars": ["s"]}, "results": {"bindings": [{"s": 5}]}}),
    "boolean": _json({"head": {}, "boolean": "yes"}),
    "digest": lambda h: (401, {"WWW-Authenticate": 'Digest realm="x", nonce="abc", qop="auth"', "Content-Type": "text/plain"}, b"no"),
    "elsewhere": lambda h: (302, {"Location": f"http://localhost:{h.server.server_address[1]}/list/sparql"}, b""),
    "samehost": lambda h: (302, {"Location": "/list/sparql"}, b""),
}


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Canned)
    httpd.seen = []
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def url(server, case: str) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}/{case}/sparql"


def run_remote(capsys, tmp_path, server, case, *extra, query=SELECT):
    q = tmp_path / "q.rq"
    q.write_text(query)
    code = main(["sparql", str(q), "--endpoint", url(server, case), *extra])
    err = capsys.readouterr().err
    assert "Traceback" not in err and "internal error" not in err, err
    assert len(err.strip().splitlines()) == 1, err
    return code, err


@pytest.mark.parametrize("case, expected", [
    ("list", "JSON that is not SPARQL results: a JSON array"),
    ("nonobject", "binding 0, variable 's'"),
    ("boolean", "'boolean' is a JSON string"),
    ("html", "answered text/html, not SPARQL results — is this the query endpoint?"),
])
def test_what_the_server_sent_is_named(capsys, tmp_path, server, case, expected):
    code, err = run_remote(capsys, tmp_path, server, case)
    assert code == 4 and expected in err


def test_a_count_that_is_not_a_number_is_a_remote_error(server):
    from etom_kg.errors import RemoteError
    from etom_kg.remote import RemoteBackend

    with pytest.raises(RemoteError, match="answered the triple count 'many', not a whole number"):
        RemoteBackend(url(server, "badcount")).count("urn:g")


def test_basic_credentials_for_a_digest_only_server(capsys, tmp_path, server, monkeypatch):
    monkeypatch.setenv("PW", "secret")
    code, err = run_remote(capsys, tmp_path, server, "digest", "--auth", "basic", "--user", "u", "--password-env", "PW")
    assert code == 4 and "Digest" in err and "--auth" in err and "secret" not in err


def test_redirects_to_another_origin_are_refused(capsys, tmp_path, server):
    code, err = run_remote(capsys, tmp_path, server, "elsewhere")
    assert code == 4 and "redirected to http://localhost:" in err and "refused" in err


def test_redirects_on_the_same_origin_are_followed(capsys, tmp_path, server):
    code, err = run_remote(capsys, tmp_path, server, "samehost")
    assert code == 4 and "JSON that is not SPARQL results" in err  # it reached /list


def test_a_failing_service_call_is_a_remote_error(capsys, tmp_path):
    q = tmp_path / "q.rq"
    q.write_text("SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }")
    code = main(["sparql", str(q), "--allow-service"])
    err = capsys.readouterr().err
    assert code == 4 and err.startswith("etom-kg: error: SERVICE call failed:") and len(err.splitlines()) == 1
