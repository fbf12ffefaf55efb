"""Issue 13, M2: ``etom-kg serve`` against stalled clients, DNS rebinding, huge answers,
directory listings and HEAD requests."""

from __future__ import annotations

import http.client
import socket
import threading
import time
import urllib.parse

import pytest

from etom_kg import serve
from etom_kg.serve import make_server


def _start(site, store, **kw):
    srv = make_server(site, store, port=0, timeout=5.0, max_rows=1000, quiet=True, **kw)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    return srv, thread


def _stop(srv, thread):
    srv.shutdown()
    srv.close()
    thread.join(10)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    site = tmp_path_factory.mktemp("served")
    (site / "index.html").write_text("<!DOCTYPE html><title>map</title>", encoding="utf-8")
    (site / "process").mkdir()
    (site / "process" / "A.html").write_text("<!DOCTYPE html><title>A</title>", encoding="utf-8")
    return site


@pytest.fixture(scope="module")
def server(site, store):
    srv, thread = _start(site, store)
    yield srv
    _stop(srv, thread)


def request(srv, method, path, headers=None):
    host, port = srv.server_address[:2]
    conn = http.client.HTTPConnection(host, port, timeout=30)
    try:
        conn.request(method, path, headers=headers or {})
        r = conn.getresponse()
        return r.status, dict(r.getheaders()), r.read()
    finally:
        conn.close()


def test_a_foreign_host_header_is_refused(server):
    port = server.server_address[1]
    status, _, body = request(server, "GET", "/", {"Host": f"attacker.example:{port}"})
    assert status == 421 and b"unexpected Host header" in body
    status, _, _ = request(server, "GET", "/sparql?" + urllib.parse.urlencode({"query": "ASK {}"}),
                           {"Host": "rebind.attacker.example"})
    assert status == 421
    for host in (f"localhost:{port}", f"127.0.0.1:{port}"):
        assert request(server, "GET", "/", {"Host": host})[0] == 200


def test_folders_are_not_listed(server):
    status, _, body = request(server, "GET", "/process/")
    assert status == 404 and b"A.html" not in body
    assert request(server, "GET", "/process/A.html")[0] == 200


def test_head_answers_like_get_without_a_body(server):
    path = "/sparql?" + urllib.parse.urlencode({"query": "ASK { ?s ?p ?o }"})
    status, headers, body = request(server, "HEAD", path)
    assert status == 200 and body == b"" and headers["Content-Type"].startswith("application/sparql-results+json")
    assert request(server, "HEAD", "/index.html")[0] == 200


def test_a_stalled_request_body_frees_its_thread(site, store, monkeypatch):
    assert serve.SiteHandler.timeout is not None and 0 < serve.SiteHandler.timeout <= 60
    monkeypatch.setattr(serve.SiteHandler, "timeout", 1.0)  # the same, faster
    srv, thread = _start(site, store)
    try:
        sock = socket.create_connection(srv.server_address[:2], timeout=10)
        sock.sendall(b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/sparql-query\r\n"
                     b"Content-Length: 100\r\n\r\nSELECT")
        started = time.monotonic()
        assert sock.recv(100) == b""  # the server hung up
        assert time.monotonic() - started < 5
        sock.close()
    finally:
        _stop(srv, thread)


def test_connections_beyond_the_cap_get_503_at_once(site, store, monkeypatch):
    monkeypatch.setattr(serve, "MAX_CONNECTIONS", 2)
    monkeypatch.setattr(serve.SiteHandler, "timeout", 5.0)
    srv, thread = _start(site, store)
    stalled = []
    try:
        for _ in range(2):
            s = socket.create_connection(srv.server_address[:2], timeout=10)
            s.sendall(b"GET / HTTP/1.1\r\n")  # never finishes its headers
            stalled.append(s)
        time.sleep(0.3)
        extra = socket.create_connection(srv.server_address[:2], timeout=10)
        extra.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert extra.recv(100).startswith(b"HTTP/1.0 503")
        extra.close()
    finally:
        for s in stalled:
            s.close()
        _stop(srv, thread)


def test_answers_over_the_size_limit_are_refused_not_cut(server, monkeypatch):
    monkeypatch.setattr(serve, "MAX_RESPONSE_BYTES", 2000)
    path = "/sparql?" + urllib.parse.urlencode({"query": "SELECT ?s ?p ?o WHERE { ?s ?p ?o } LIMIT 500"})
    status, _, body = request(server, "GET", path)
    assert status == 413 and b"larger than" in body


# --------------------------------------------------------------------------- issue 14, item 8: keep-alive


def _replies(sock) -> bytes:
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


@pytest.mark.parametrize("head", [
    b"POST /index.html HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n",  # 405
    b"GET /index.html HTTP/1.1\r\nHost: 127.0.0.1\r\n",  # a GET with a body
    b"OPTIONS /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\n",
    b"PUT /index.html HTTP/1.1\r\nHost: 127.0.0.1\r\n",
])
def test_an_unread_body_is_never_taken_for_a_second_request(server, head):
    """With keep-alive, bytes of a body the server did not read would otherwise be parsed as
    the next request (request smuggling): the server answers once and hangs up."""
    smuggled = b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    with socket.create_connection(server.server_address[:2], timeout=30) as sock:
        sock.sendall(head + b"Content-Length: %d\r\n\r\n" % len(smuggled) + smuggled)
        data = _replies(sock)
    assert data.count(b"HTTP/1.1 ") == 1 and b"Connection: close" in data
    assert b"boolean" not in data


def test_a_chunked_post_is_refused_and_the_connection_closed(server):
    with socket.create_connection(server.server_address[:2], timeout=30) as sock:
        sock.sendall(b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/sparql-query\r\n"
                     b"Transfer-Encoding: chunked\r\n\r\n6\r\nASK {}\r\n0\r\n\r\n")
        data = _replies(sock)
    assert data.startswith(b"HTTP/1.1 411") and data.count(b"HTTP/1.1 ") == 1


def test_an_idle_kept_alive_connection_frees_its_thread(site, store, monkeypatch):
    monkeypatch.setattr(serve.SiteHandler, "timeout", 1.0)  # READ_TIMEOUT, faster
    srv, thread = _start(site, store)
    try:
        with socket.create_connection(srv.server_address[:2], timeout=10) as sock:
            sock.sendall(b"GET /index.html HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            started = time.monotonic()
            data = _replies(sock)  # the answer, then the server hangs up once the client idles
            assert data.startswith(b"HTTP/1.1 200") and b"map" in data
            assert time.monotonic() - started < 5
    finally:
        _stop(srv, thread)


def test_a_foreign_host_gets_no_method_but_421(server):
    port = server.server_address[1]
    for method in ("OPTIONS", "PUT", "HEAD"):
        status, _, _ = request(server, method, "/index.html", {"Host": f"attacker.example:{port}"})
        assert status == 421, method


@pytest.mark.parametrize("path", ["/process", "//process", "//example.com/%2e%2e", "///example.com/process"])
def test_a_folder_redirect_stays_on_this_server(server, path):
    status, headers, _ = request(server, "GET", path)
    location = headers.get("Location", "")
    assert status in (301, 404) and not location.startswith("//") and "://" not in location
    if status == 301:
        assert location.startswith("/") and location.endswith("/")
