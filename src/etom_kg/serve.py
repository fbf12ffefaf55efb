"""``etom-kg serve``: the Operations map and a read-only SPARQL 1.1 Protocol endpoint.

The endpoint (``/sparql``) answers GET ``?query=`` and POST (form or
``application/sparql-query``) with SPARQL JSON, XML, CSV or TSV results, or Turtle,
N-Triples, JSON-LD or RDF/XML for graph queries, as the ``Accept`` header asks. It is
read-only (updates get 403), never reaches the network (SERVICE gets 400), stops a query
after ``timeout`` seconds (503) and refuses results larger than ``max_rows`` (400, with
the advice to add a LIMIT) instead of cutting them silently. ``/query/NAME?param=value``
runs a stored query of the catalogue with its parameters bound as ``etom-kg query`` binds
them, under the same limits.

The server speaks HTTP/1.1 with keep-alive (every reply carries its Content-Length),
compresses text answers with gzip when the client accepts it, gives static files an ETag
and Last-Modified (and answers the conditional requests with 304), answers HEAD like GET
without the body and OPTIONS with the allowed methods, and shows a styled 404 page to
browsers (plain text to other clients).

Queries run in worker processes that hold a copy of the graph: a query that runs too
long is stopped by ending its process, which a thread could not do. Nothing listens
beyond this machine unless ``--host`` says so.
"""

from __future__ import annotations

import functools
import ipaddress
import multiprocessing
import os
import queue
import re
import socket
import sys
import tempfile
import threading
from dataclasses import dataclass
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from . import __version__
from .errors import InputError
from .namespaces import PREFIXES
from .queries import projection_order

DEFAULT_HOST = "127.0.0.1"
DEFAULT_TIMEOUT = 10.0
DEFAULT_MAX_ROWS = 10_000
MAX_QUERY_BYTES = 1_000_000
MAX_RESPONSE_BYTES = 64 << 20  # an answer larger than this is refused (413), never cut
READ_TIMEOUT = 15.0  # seconds a client may take to send its request (a stalled client frees its thread)
MAX_CONNECTIONS = 64  # requests handled at once; more get 503 at once
LOCAL_NAMES = ("localhost", "127.0.0.1", "::1")
ENDPOINT_PATH = "/sparql"
ASK_PATH = "/ask"  # plain questions, answered by a stored query (see etom_kg.ask)
QUERY_PATH = "/query/"  # /query/NAME?param=value: a stored query of the catalogue, bound on the server

SOLUTION_TYPES = (  # first is the default
    "application/sparql-results+json", "application/json", "application/sparql-results+xml",
    "text/csv", "text/tab-separated-values",
)
GRAPH_TYPES = ("text/turtle", "application/n-triples", "application/ld+json", "application/rdf+xml")
SECURITY_HEADERS = {
    # the site loads nothing from elsewhere; the browser enforces it
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
                               "frame-ancestors 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
_UPDATE_WORDS = re.compile(r"\b(INSERT|DELETE|LOAD|CLEAR|DROP|CREATE|ADD|MOVE|COPY)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Answer:
    status: int
    content_type: str
    body: bytes
    count: int | None = None  # rows or triples of a result (sent as X-Result-Count)

    @classmethod
    def error(cls, status: int, message: str) -> "Answer":
        return cls(status, "text/plain; charset=utf-8", (message.rstrip() + "\n").encode("utf-8"))


# --------------------------------------------------------------------------- content negotiation


def weighted(header: str | None) -> list[tuple[str, float]]:
    """The items of an Accept-style header (``Accept``, ``Accept-Encoding``) in their order,
    lower-cased, each with its q-value (1 when absent, 0 when unreadable); empty items dropped."""
    items = []
    for part in (header or "").split(","):
        fields = [f.strip() for f in part.split(";")]
        q = 1.0
        for f in fields[1:]:
            if f.lower().startswith("q="):
                try:
                    q = float(f[2:])
                except ValueError:
                    q = 0.0
        if fields[0]:
            items.append((fields[0].lower(), q))
    return items


def negotiate(accept: str | None, offers: tuple) -> str | None:
    """The offer the Accept header prefers (q-values, then specificity, then our order);
    None when it accepts none of them."""
    if not accept or not accept.strip():
        return offers[0]
    best, best_key = None, None
    for position, (media, q) in enumerate(weighted(accept)):
        if q <= 0:
            continue
        for rank, offer in enumerate(offers):
            if media == offer:
                specificity = 2
            elif media == "*/*" or (media.endswith("/*") and offer.startswith(media[:-1])):
                specificity = 0 if media == "*/*" else 1
            else:
                continue
            key = (q, specificity, -rank, -position)
            if best_key is None or key > best_key:
                best, best_key = offer, key
    return best


# --------------------------------------------------------------------------- running one query


def _xml_results(variables: list, rows: list, boolean: bool | None) -> bytes:
    from xml.sax.saxutils import escape, quoteattr

    out = ['<?xml version="1.0" encoding="utf-8"?>', '<sparql xmlns="http://www.w3.org/2005/sparql-results#">', "<head>"]
    out += [f"<variable name={quoteattr(v)}/>" for v in variables]
    out.append("</head>")
    if boolean is not None:
        out.append(f"<boolean>{'true' if boolean else 'false'}</boolean>")
    else:
        out.append("<results>")
        for row in rows:
            out.append("<result>")
            for v, t in zip(variables, row):
                if t is None:
                    continue
                if t.kind == "uri":
                    value = f"<uri>{escape(t.value)}</uri>"
                elif t.kind == "bnode":
                    value = f"<bnode>{escape(t.value)}</bnode>"
                elif t.lang:
                    value = f"<literal xml:lang={quoteattr(t.lang)}>{escape(t.value)}</literal>"
                elif t.datatype:
                    value = f"<literal datatype={quoteattr(t.datatype)}>{escape(t.value)}</literal>"
                else:
                    value = f"<literal>{escape(t.value)}</literal>"
                out.append(f"<binding name={quoteattr(v)}>{value}</binding>")
            out.append("</result>")
        out.append("</results>")
    out.append("</sparql>")
    return ("\n".join(out) + "\n").encode("utf-8")


def _solutions(media: str, variables: list, rows: list, boolean: bool | None) -> Answer:
    from .results import Result, render

    if media == "application/sparql-results+xml":
        return Answer(200, media + "; charset=utf-8", _xml_results(variables, rows, boolean))
    fmt = {"text/csv": "csv", "text/tab-separated-values": "tsv"}.get(media, "json")
    text = render(Result(variables, rows, boolean), fmt)
    return Answer(200, media + "; charset=utf-8", text.encode("utf-8"))


def execute(store, text: str, accept: str | None, max_rows: int) -> Answer:
    """Run one read-only query on a pyoxigraph store and serialise the answer."""
    import pyoxigraph as ox

    from .queries import _strip_comments, uses_service
    from .store import ox_to_term

    if uses_service(text):
        return Answer.error(400, "SERVICE is refused: this endpoint never reaches the network")
    try:
        answer = store.query(text, prefixes=PREFIXES)
    except SyntaxError as e:
        if _UPDATE_WORDS.search(_strip_comments(text)):
            return Answer.error(403, "this endpoint is read-only: SPARQL updates are refused")
        return Answer.error(400, f"SPARQL syntax error: {e}")
    too_many = (f"the result has more than {max_rows} rows, this endpoint's limit: add a LIMIT "
                "(or start etom-kg serve with a larger --max-rows)")
    if isinstance(answer, ox.QueryBoolean):
        media = negotiate(accept, SOLUTION_TYPES)
        if media is None:
            return Answer.error(406, "acceptable result types: " + ", ".join(SOLUTION_TYPES))
        return _solutions(media, [], [], bool(answer))
    if isinstance(answer, ox.QueryTriples):
        media = negotiate(accept, GRAPH_TYPES)
        if media is None:
            return Answer.error(406, "acceptable result types: " + ", ".join(GRAPH_TYPES))
        triples = []
        for triple in answer:  # lazily: a huge result stops at the limit
            triples.append(triple)
            if len(triples) > max_rows:
                return Answer.error(400, too_many.replace("rows", "triples"))
        fmt = {"text/turtle": ox.RdfFormat.TURTLE, "application/n-triples": ox.RdfFormat.N_TRIPLES,
               "application/ld+json": ox.RdfFormat.JSON_LD, "application/rdf+xml": ox.RdfFormat.RDF_XML}[media]
        prefixes = PREFIXES if fmt == ox.RdfFormat.TURTLE else None
        return Answer(200, media + "; charset=utf-8", ox.serialize(triples, format=fmt, prefixes=prefixes),
                      len(triples))
    media = negotiate(accept, SOLUTION_TYPES)
    if media is None:
        return Answer.error(406, "acceptable result types: " + ", ".join(SOLUTION_TYPES))
    variables = projection_order(text, [v.value for v in answer.variables])
    rows = []
    for solution in answer:
        rows.append(tuple(ox_to_term(solution[v]) for v in variables))
        if len(rows) > max_rows:
            return Answer.error(400, too_many)
    solutions = _solutions(media, variables, rows, None)
    return Answer(solutions.status, solutions.content_type, solutions.body, len(rows))


# --------------------------------------------------------------------------- worker processes


def _worker_main(conn, data_path: str, max_rows: int) -> None:  # pragma: no cover - runs in a child
    import pyoxigraph as ox

    store = ox.Store()
    store.load(path=data_path, format=ox.RdfFormat.N_TRIPLES)
    conn.send("ready")
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        text, accept = message
        try:
            answer = execute(store, text, accept, max_rows)
        except Exception as e:  # an engine failure must not kill the worker silently
            answer = Answer.error(500, f"the query failed: {e}")
        conn.send(answer)


class _Worker:
    def __init__(self, context, data_path: str, max_rows: int):
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_worker_main, args=(child, data_path, max_rows), daemon=True)
        self.process.start()
        child.close()
        self.ready = False

    def stop(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)
        self.conn.close()


class QueryRunner:
    """Runs queries with a time limit in a small pool of worker processes."""

    def __init__(self, backend, *, timeout: float = DEFAULT_TIMEOUT, max_rows: int = DEFAULT_MAX_ROWS, workers: int = 2):
        import pyoxigraph as ox

        self.timeout = timeout
        self.max_rows = max_rows
        self._tmp = tempfile.TemporaryDirectory(prefix="etom-kg-serve-")
        self._data = str(Path(self._tmp.name) / "graph.nt")
        backend.store.dump(self._data, format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph())
        # spawn: a fork of a threaded server could inherit a held lock
        self._context = multiprocessing.get_context("spawn")
        self._idle: queue.Queue = queue.Queue()
        for _ in range(workers):
            self._idle.put(None)  # started on first use
        self._all: list[_Worker] = []
        self._lock = threading.Lock()
        self._closed = False

    def _start(self) -> _Worker:
        worker = _Worker(self._context, self._data, self.max_rows)
        with self._lock:
            self._all.append(worker)
        return worker

    def run(self, text: str, accept: str | None) -> Answer:
        try:
            worker = self._idle.get(timeout=self.timeout)
        except queue.Empty:
            return Answer.error(503, "the endpoint is busy; try again")
        try:
            if worker is None or not worker.process.is_alive():
                worker = self._start()
            if not worker.ready:
                # loading the graph is not the query's time; allow it generously
                if not worker.conn.poll(max(60.0, self.timeout)) or worker.conn.recv() != "ready":
                    raise OSError("the query worker did not start")
                worker.ready = True
            worker.conn.send((text, accept))
            if worker.conn.poll(self.timeout):
                return worker.conn.recv()
            worker.stop()
            worker = None
            return Answer.error(503, f"the query ran longer than {self.timeout:g} s, this endpoint's limit, and was stopped")
        except (OSError, EOFError) as e:
            if worker is not None:
                worker.stop()
            worker = None
            return Answer.error(500, f"the query worker failed: {e}")
        finally:
            self._idle.put(worker)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        with self._lock:
            workers, self._all = self._all, []
        for w in workers:
            try:
                w.conn.send(None)
            except OSError:
                pass
            w.process.join(2)
            w.stop()
        self._tmp.cleanup()


# --------------------------------------------------------------------------- HTTP


class SiteHandler(SimpleHTTPRequestHandler):
    server_version = f"etom-kg/{__version__}"
    protocol_version = "HTTP/1.1"  # keep-alive: every reply says its Content-Length
    disable_nagle_algorithm = True  # headers and body are two writes: without this a kept-alive reply waits ~40 ms
    timeout = READ_TIMEOUT  # socket timeout for reading the request (StreamRequestHandler)
    extensions_map = {
        **SimpleHTTPRequestHandler.extensions_map,
        ".ttl": "text/turtle; charset=utf-8",
        ".jsonld": "application/ld+json",
        ".js": "text/javascript; charset=utf-8",
        ".css": "text/css; charset=utf-8",
        ".html": "text/html; charset=utf-8",
        ".svg": "image/svg+xml",
    }

    def end_headers(self) -> None:
        for name, value in SECURITY_HEADERS.items():
            self.send_header(name, value)
        if getattr(self, "close_connection", False) and not getattr(self, "_said_close", False):
            self.send_header("Connection", "close")  # the client must not send another request here
        self._said_close = False
        super().end_headers()

    def send_header(self, keyword: str, value: str) -> None:
        if keyword.lower() == "connection" and value.lower() == "close":
            self._said_close = True
        super().send_header(keyword, value)

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the base class's name
        if not getattr(self.server, "quiet", False):
            super().log_message(format, *args)

    # ---- SPARQL protocol

    def _is_endpoint(self) -> bool:
        return urlsplit(getattr(self, "path", "")).path == ENDPOINT_PATH

    def _host_allowed(self) -> bool:
        """DNS rebinding: a page on another site may make the browser send requests here under
        its own host name. Only the names this server was reached by are accepted."""
        if self.server.any_host:
            return True
        host = (self.headers.get("Host") or "").strip().lower()
        if host.startswith("["):
            name = host[1:].split("]", 1)[0]
        else:
            name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
        return name in self.server.host_names

    def _refuse_host(self) -> None:
        self._reply(Answer.error(421, "unexpected Host header: this server answers only to "
                                      + ", ".join(sorted(self.server.host_names))))

    def list_directory(self, path):  # a folder is never listed
        self._not_found()
        return None

    def do_HEAD(self) -> None:  # noqa: N802
        self.do_GET()  # _reply and _static leave the body out of a HEAD answer

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._close_if_body_unread()
        if not self._host_allowed():
            return self._refuse_host()
        path = urlsplit(self.path).path
        params = parse_qs(urlsplit(self.path).query, keep_blank_values=True)
        if path == ASK_PATH:
            return self._ask(params)
        if path.startswith(QUERY_PATH):
            return self._stored(path[len(QUERY_PATH):], params)
        if path == ENDPOINT_PATH:
            return self._protocol(params)
        return self._static()

    def do_OPTIONS(self) -> None:  # noqa: N802
        self._close_if_body_unread()
        if not self._host_allowed():
            return self._refuse_host()
        self.send_response(204)
        self.send_header("Allow", self._allowed())
        self.end_headers()

    def _refuse_method(self) -> None:
        self.close_connection = True  # a body we do not read must not be taken for the next request
        if not self._host_allowed():
            return self._refuse_host()
        self._reply(Answer.error(405, f"{self.command} is not allowed here; allowed: {self._allowed()}"),
                    allow=self._allowed())

    do_PUT = do_DELETE = do_PATCH = _refuse_method  # noqa: N815

    def _allowed(self) -> str:
        if getattr(self, "path", "") in ("*", ENDPOINT_PATH) or self._is_endpoint():
            return "GET, HEAD, POST, OPTIONS"
        return "GET, HEAD, OPTIONS"

    def do_POST(self) -> None:  # noqa: N802
        if not self._host_allowed():
            self.close_connection = True
            return self._refuse_host()
        if not self._is_endpoint():
            self.close_connection = True
            return self._reply(Answer.error(405, "only /sparql accepts POST"), allow=self._allowed())
        length = self.headers.get("Content-Length")
        if length is None or not length.isdigit():
            self.close_connection = True
            return self._reply(Answer.error(411, "a POST needs a Content-Length"))
        if int(length) > MAX_QUERY_BYTES:
            self.close_connection = True
            return self._reply(Answer.error(413, f"the request is larger than {MAX_QUERY_BYTES} bytes"))
        try:
            raw = self.rfile.read(int(length))
        except (TimeoutError, OSError):
            self.close_connection = True
            return None  # the client stopped sending: free the thread, nothing to answer
        if len(raw) < int(length):
            self.close_connection = True
            return self._reply(Answer.error(400, "the request body is shorter than its Content-Length"))
        media = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        try:
            body = raw.decode("utf-8")
        except UnicodeDecodeError:
            return self._reply(Answer.error(400, "the request body is not UTF-8"))
        if media == "application/sparql-update":
            return self._reply(Answer.error(403, "this endpoint is read-only: SPARQL updates are refused"))
        if media == "application/sparql-query":
            params = parse_qs(urlsplit(self.path).query, keep_blank_values=True)
            if "query" in params:
                return self._reply(Answer.error(400, "give the query either in the body or as ?query=, not both"))
            params["query"] = [body]
            return self._protocol(params)
        if media == "application/x-www-form-urlencoded":
            return self._protocol(parse_qs(body, keep_blank_values=True))
        return self._reply(Answer.error(
            415, "POST the query as application/x-www-form-urlencoded (query=...) or application/sparql-query"))

    def _protocol(self, params: dict) -> None:
        if "update" in params:
            return self._reply(Answer.error(403, "this endpoint is read-only: SPARQL updates are refused"))
        if "default-graph-uri" in params or "named-graph-uri" in params:
            return self._reply(Answer.error(400, "this endpoint has one default graph; default-graph-uri and named-graph-uri are not supported"))
        queries = params.get("query", [])
        if len(queries) != 1 or not queries[0].strip():
            return self._reply(Answer.error(400, "pass exactly one SPARQL query as the 'query' parameter (or open /sparql.html)"))
        self._run(queries[0])

    def _ask(self, params: dict) -> None:
        """``/ask?q=QUESTION``: what ``etom-kg ask`` answers, as JSON: the query chosen, its
        parameters and how the words were read, and its SPARQL JSON results (``results``)."""
        import json

        from .ask import ask
        from .errors import EtomKgError
        from .results import render

        questions = params.get("q", [])
        if len(questions) != 1 or not questions[0].strip():
            body = {"error": "pass exactly one question as the 'q' parameter"}
            return self._reply(Answer(400, "application/json", json.dumps(body).encode("utf-8")))
        try:
            answer = ask(questions[0], self.server.backend)
        except EtomKgError as e:
            body = json.dumps({"error": str(e)}, ensure_ascii=False).encode("utf-8")
            return self._reply(Answer(422, "application/json; charset=utf-8", body))
        data = answer.as_dict()
        data["results"] = json.loads(render(answer.result, "json", {}))
        self._reply(Answer(200, "application/json; charset=utf-8", json.dumps(data, ensure_ascii=False).encode("utf-8")))

    def _reply(self, answer: Answer, **extra_headers) -> None:
        body, encoding = self._encoded(answer.content_type, answer.body)
        self.send_response(answer.status)
        self.send_header("Content-Type", answer.content_type)
        self.send_header("Content-Length", str(len(body)))
        if encoding:
            self.send_header("Content-Encoding", encoding)
        self.send_header("Cache-Control", "no-store")
        self.send_header("Vary", "Accept, Accept-Encoding")
        if answer.count is not None:
            self.send_header("X-Result-Count", str(answer.count))
        for name, value in extra_headers.items():
            self.send_header(name.replace("_", "-").title(), value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    # ---- issue 14, item 8: stored queries, compression, caching, 404 (HTTP/1.1)

    def _stored(self, name: str, params: dict) -> None:
        """``/query/NAME?param=value``: the stored query bound as ``etom-kg query NAME --param``
        binds it (typed values; a match parameter's words resolved by the term resolver),
        then run by the query workers like any query sent to /sparql."""
        from .api import bindings_for
        from .errors import EtomKgError
        from .queries import catalog, inject_values

        queries = catalog("cq")
        if name not in queries:
            return self._reply(Answer.error(404, f"no stored query {name!r}; the catalogue has: {', '.join(queries.ids())}"))
        values = {}
        for key, given in params.items():
            if len(given) != 1:
                return self._reply(Answer.error(400, f"parameter {key!r} is given {len(given)} times; give it once"))
            values[key] = given[0]
        try:
            q = queries.get(name)
            text = inject_values(q.text, bindings_for(q, values, self.server.backend))
        except EtomKgError as e:
            return self._reply(Answer.error(400, str(e)))
        self._run(text)

    def _run(self, text: str) -> None:
        answer = self.server.runner.run(text, self.headers.get("Accept"))
        if len(answer.body) > MAX_RESPONSE_BYTES:
            answer = Answer.error(413, f"the answer is larger than {MAX_RESPONSE_BYTES} bytes, this endpoint's "
                                       "limit: select fewer or shorter values, or add a LIMIT")
        self._reply(answer)

    def _close_if_body_unread(self) -> None:
        """A GET, HEAD or OPTIONS with a body: its bytes are not read, so the connection
        cannot carry another request."""
        length = self.headers.get("Content-Length", "0").strip()
        if self.headers.get("Transfer-Encoding") or length not in ("", "0"):
            self.close_connection = True

    def _accepts_gzip(self) -> bool:
        headers = getattr(self, "headers", None)  # None when the request line itself was bad
        chosen = dict(weighted(headers.get("Accept-Encoding") if headers else None))
        q = chosen.get("gzip", chosen.get("x-gzip", chosen.get("*", 0.0)))
        return q > 0

    def _encoded(self, content_type: str, body: bytes, cache_key=None) -> tuple[bytes, str]:
        """The body as sent: gzip-compressed when it is text the client accepts compressed."""
        if len(body) < GZIP_MIN_BYTES or not compressible(content_type) or not self._accepts_gzip():
            return body, ""
        return self.server.gzipped(body, cache_key), "gzip"

    def _static(self) -> None:
        """A file of the site, with validators for caches; 404 for anything else."""
        from email.utils import formatdate, parsedate_to_datetime

        path = self.translate_path(self.path)  # http.server's: no way out of the site folder
        if os.path.isdir(path):
            if not urlsplit(self.path).path.endswith("/"):
                parts = urlsplit(self.path)
                location = parts.path + "/" + (f"?{parts.query}" if parts.query else "")
                return self._reply(Answer(301, "text/plain; charset=utf-8", b"moved\n"), location=location)
            path = os.path.join(path, "index.html")
        if not os.path.isfile(path):
            return self._not_found()
        try:
            with open(path, "rb") as f:
                stat = os.fstat(f.fileno())
                data = f.read()
        except OSError:
            return self._not_found()
        content_type = self.guess_type(path)
        tag = f"{stat.st_size:x}-{stat.st_mtime_ns:x}"
        body, encoding = self._encoded(content_type, data, (path, tag))
        etag = f'"{tag}-gzip"' if encoding else f'"{tag}"'
        headers = {"ETag": etag, "Last-Modified": formatdate(stat.st_mtime, usegmt=True), "Cache-Control": "no-cache"}
        if compressible(content_type):
            headers["Vary"] = "Accept-Encoding"
        if self._unchanged(tag, stat.st_mtime, parsedate_to_datetime):
            self.send_response(304)
            for name, value in headers.items():
                self.send_header(name, value)
            return self.end_headers()
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if encoding:
            self.send_header("Content-Encoding", encoding)
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _unchanged(self, tag: str, mtime: float, parse_date) -> bool:
        """If-None-Match (either encoding's tag), else If-Modified-Since, says the copy is current."""
        none_match = self.headers.get("If-None-Match")
        if none_match is not None:
            tags = {t.strip().removeprefix("W/") for t in none_match.split(",")}
            return "*" in tags or bool(tags & {f'"{tag}"', f'"{tag}-gzip"'})
        since = self.headers.get("If-Modified-Since")
        if since:
            try:
                return int(mtime) <= parse_date(since).timestamp()
            except (TypeError, ValueError, IndexError, OverflowError):
                return False
        return False

    def _not_found(self) -> None:
        """Browsers get the site's 404 page (its look, a link home, both languages); other
        clients a line of text."""
        headers = getattr(self, "headers", None)
        if negotiate(headers.get("Accept") if headers else None, ("text/plain", "text/html")) != "text/html":
            return self._reply(Answer.error(404, f"not found: {urlsplit(self.path).path}"))
        page = Path(self.directory) / NOT_FOUND_PAGE
        try:
            body = page.read_bytes()
        except OSError:
            body = FALLBACK_404.encode("utf-8")
        self._reply(Answer(404, "text/html; charset=utf-8", body))

    def send_error(self, code, message=None, explain=None) -> None:
        """http.server's own errors (a bad request line, an unknown method), with our headers."""
        if code == HTTPStatus.NOT_FOUND:
            return self._not_found()
        self.close_connection = True
        try:
            phrase = HTTPStatus(code).phrase
        except ValueError:
            phrase = ""
        allow = {"Allow": self._allowed()} if code == HTTPStatus.NOT_IMPLEMENTED else {}
        self._reply(Answer.error(code, message or phrase or "error"), **allow)


class EtomKgServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address, handler, runner: QueryRunner, quiet: bool, backend=None):
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.runner = runner
        self.backend = backend
        self.quiet = quiet
        self._slots = threading.BoundedSemaphore(MAX_CONNECTIONS)
        self._gzip_cache: dict = {}  # (file, size-mtime) -> compressed bytes
        self._gzip_lock = threading.Lock()
        super().__init__(address, handler)
        host = address[0].strip("[]").lower()
        # Bound to every interface: the operator chose exposure; any Host name may reach it.
        self.any_host = host in ("", "0.0.0.0", "::")
        self.host_names = {host, *LOCAL_NAMES} if _is_loopback(host) else {host}

    def process_request(self, request, client_address):
        if not self._slots.acquire(blocking=False):
            try:
                request.sendall(b"HTTP/1.0 503 Service Unavailable\r\nContent-Type: text/plain\r\n"
                                b"Content-Length: 21\r\nConnection: close\r\n\r\ntoo many connections\n")
            except OSError:
                pass
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request, client_address):
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()

    def handle_error(self, request, client_address):
        # A client that vanished or stalled is not the server's error: no traceback on stderr.
        if isinstance(sys.exc_info()[1], (TimeoutError, ConnectionError, OSError)):
            return
        super().handle_error(request, client_address)

    def gzipped(self, body: bytes, key=None) -> bytes:
        """``body`` compressed; a static file's compressed bytes are kept (by its size and
        modification time) so each file is compressed once."""
        import gzip

        if key is None:
            return gzip.compress(body, compresslevel=6, mtime=0)
        with self._gzip_lock:
            found = self._gzip_cache.get(key)
        if found is None:
            found = gzip.compress(body, compresslevel=6, mtime=0)
            with self._gzip_lock:
                if len(self._gzip_cache) >= GZIP_CACHE_FILES:
                    self._gzip_cache.clear()
                self._gzip_cache[key] = found
        return found

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{port}/"

    def close(self) -> None:
        self.server_close()
        self.runner.close()


def make_server(site_dir: str | Path, backend, *, host: str = DEFAULT_HOST, port: int = 0,
                timeout: float = DEFAULT_TIMEOUT, max_rows: int = DEFAULT_MAX_ROWS,
                quiet: bool = False, workers: int = 2) -> EtomKgServer:
    """A server for ``site_dir`` and /sparql over ``backend``; call ``serve_forever()``,
    then ``shutdown()`` and ``close()``. Port 0 picks a free port (see ``.url``)."""
    site = Path(site_dir)
    if not (site / "index.html").is_file():
        raise InputError(f"{site}: no index.html here; write a site with 'etom-kg site -o {site}' first")
    runner = QueryRunner(backend, timeout=timeout, max_rows=max_rows, workers=workers)
    handler = functools.partial(SiteHandler, directory=str(site))
    try:
        return EtomKgServer((host, port), handler, runner, quiet, backend)
    except OSError as e:
        runner.close()
        raise InputError(f"cannot listen on {host}:{port}: {e.strerror or e}") from None


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def serve(*, host: str = DEFAULT_HOST, port: int = 8000, links=None, site_dir=None,
          timeout: float = DEFAULT_TIMEOUT, max_rows: int = DEFAULT_MAX_ROWS,
          include_deprecated: bool = False, out=None) -> int:
    """``etom-kg serve``: build the site (unless ``site_dir``), then serve until Ctrl-C."""
    from .site import build_site
    from .site.links import graph_with_links

    out = out or sys.stderr
    backend = graph_with_links(links)
    with tempfile.TemporaryDirectory(prefix="etom-kg-site-") as tmp:
        if site_dir is None:
            site_dir = Path(tmp) / "site"
            build_site(site_dir, links=links, include_deprecated=include_deprecated, backend=backend)
        server = make_server(site_dir, backend, host=host, port=port, timeout=timeout, max_rows=max_rows)
        out.write(f"etom-kg: serving the Operations map at {server.url} and a read-only SPARQL endpoint at "
                  f"{server.url}{ENDPOINT_PATH.lstrip('/')} (Ctrl-C stops)\n")
        if not _is_loopback(host):
            out.write(f"etom-kg: warning: bound to {host}, so other machines can reach this server\n")
        out.flush()
        restore = _stop_on_sigterm()
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            out.write("etom-kg: stopped\n")
        finally:
            server.close()
            restore()
    return 0


def _stop_on_sigterm():
    """Let ``kill`` stop the server like Ctrl-C does, so temporary files are removed."""
    import signal

    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    return lambda: signal.signal(signal.SIGTERM, previous)


# --------------------------------------------------------------------------- issue 14, item 8: HTTP details

GZIP_MIN_BYTES = 200  # smaller answers gain nothing from compression
GZIP_CACHE_FILES = 4096
NOT_FOUND_PAGE = "404.html"  # written by `etom-kg site` in the site's look
_COMPRESSIBLE = ("text/", "application/json", "application/ld+json", "application/sparql-results+json",
                 "application/sparql-results+xml", "application/n-triples", "application/rdf+xml",
                 "application/xml", "application/javascript", "image/svg+xml")
FALLBACK_404 = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"/><meta name="viewport" content="width=device-width, initial-scale=1"/>
<title>Not found · No encontrado</title><link rel="stylesheet" href="/assets/site.css"/></head>
<body><main id="main"><h1>Not found · No encontrado</h1>
<p lang="en">This page does not exist. <a href="/index.html">Go to the map</a>.</p>
<p lang="es">Esta página no existe. <a href="/index.html">Ir al mapa</a>.</p></main></body></html>
"""


def compressible(content_type: str) -> bool:
    media = content_type.split(";")[0].strip().lower()
    return media.startswith(_COMPRESSIBLE)
