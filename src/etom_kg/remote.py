"""Remote SPARQL servers: run the stored queries on an endpoint, and push the graph to it.

:class:`RemoteBackend` has the same ``run(text, bindings, prefixes) -> Result`` as the
embedded backends, so the query catalogue, its parameters and its output formats work
unchanged against Oxigraph, Virtuoso, Fuseki, GraphDB or Neptune::

    from etom_kg import query
    from etom_kg.remote import RemoteBackend
    server = RemoteBackend("http://127.0.0.1:7878/query", graph="https://w3id.org/etom-kg/graph")
    query("processes-for-topic", server, topic="complaints")

Requests are built by SPARQLWrapper; this module owns the HTTP layer around it
(authentication without process-wide state, timeouts, retries, and error messages that
quote the server). Rules kept here:

* Parameters are RDF terms placed by :func:`etom_kg.queries.inject_values` (a VALUES
  block), never spliced text. Virtuoso gets the same terms as ``BIND`` (see
  :func:`bind_parameters`).
* ``graph=IRI`` scopes every query with the SPARQL 1.1 Protocol parameter
  ``default-graph-uri=IRI``: the named graph becomes the query's default graph, exactly as
  ``FROM <IRI>`` would, without rewriting the query text.
* The password lives only in the urllib password manager: never in a message, a ``repr``
  or a log record.
* Only idempotent requests are retried, with exponential backoff (see :meth:`_Http.send`).

:func:`push` replaces a named graph atomically; its docstring gives the protocol.
"""

from __future__ import annotations

import http.client
import os
import re
import socket
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field

from .errors import InputError, QueryError, RemoteError
from .results import XSD, Result, Term

DEFAULT_GRAPH = "https://w3id.org/etom-kg/graph"
DEFAULT_CHUNK_SIZE = 5000
DEFAULT_TIMEOUT = 60.0
AUTH_SCHEMES = ("basic", "digest")
READ_FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")
RETRY_STATUSES = (429, 502, 503, 504)  # "not now": repeating an idempotent call is safe
NO_GRAPH_STORE = (404, 405, 501)  # the Graph Store URL is absent or refuses PUT/POST
NO_MOVE = (400, 501)  # the update endpoint does not understand MOVE
LONG_GET = 2000  # longer query URLs go as a form POST (never application/sparql-query: Virtuoso hangs)
XSD_INTEGER = f"{XSD}integer"
XSD_BOOLEAN = f"{XSD}boolean"


class EndpointError(RemoteError):
    """A remote call failed; ``status`` is the HTTP status when the server answered at all."""

    def __init__(self, message: str, *, status: int | None = None):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Credentials:
    scheme: str  # "basic" or "digest"
    user: str
    password: str = field(repr=False)

    def __post_init__(self):
        if self.scheme not in AUTH_SCHEMES:
            raise InputError(f"unknown authentication scheme {self.scheme!r}; valid: {', '.join(AUTH_SCHEMES)}")


# --------------------------------------------------------------------------- endpoints


def check_url(url: str, option: str = "--endpoint") -> str:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(f"{option}: expected an http:// or https:// URL, got {redact(url)!r}")
    if parts.username is not None or parts.password is not None:
        raise InputError(f"{option}: put credentials in --user and --password-env, not in the URL {redact(url)!r}")
    return url


def redact(url: str) -> str:
    """The URL without user information or query string, for messages."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"[{host}]:{parts.port}" if ":" in host else f"{host}:{parts.port}"
    return urllib.parse.urlunsplit((parts.scheme, host, parts.path, "", ""))


def derive_endpoints(query_url: str, authenticated: bool) -> tuple[str, str | None]:
    """Default (update URL, Graph Store URL) for a query URL, from well-known layouts.

    ========================================  ====================  =============================
    query endpoint                            update endpoint       Graph Store Protocol
    ========================================  ====================  =============================
    ``…/repositories/ID`` (GraphDB, RDF4J)    ``…/ID/statements``   ``…/ID/rdf-graphs/service``
    ``/query`` at the root (Oxigraph)         ``/update``           ``/store``
    ``/DATASET/query`` or ``/sparql`` (Fuseki) ``/DATASET/update``  ``/DATASET/data``
    ``/sparql`` with credentials (Virtuoso)   ``/sparql-auth``      ``/sparql-graph-crud-auth``
    ``/sparql`` anonymous (Neptune)           ``/sparql``           ``/sparql/gsp/``
    anything else                             the query URL         none: SPARQL Update only
    ========================================  ====================  =============================

    ``--update-endpoint`` / ``--store-endpoint`` always win, and a Graph Store URL that
    answers 404, 405 or 501 makes :func:`push` fall back to SPARQL Update.
    """
    parts = urllib.parse.urlsplit(query_url)
    path = parts.path.rstrip("/")

    def at(new_path: str) -> str:
        return urllib.parse.urlunsplit((parts.scheme, parts.netloc, new_path, "", ""))

    m = re.fullmatch(r"(.*/repositories/[^/]+)", path)
    if m:
        return at(m.group(1) + "/statements"), at(m.group(1) + "/rdf-graphs/service")
    if path == "/query":
        return at("/update"), at("/store")
    if path in ("/sparql", "/sparql-auth"):
        if authenticated or path == "/sparql-auth":
            return at("/sparql-auth"), at("/sparql-graph-crud-auth")
        return at("/sparql"), at("/sparql/gsp/")
    m = re.fullmatch(r"(/.+)/(?:query|sparql)", path)
    if m:
        return at(m.group(1) + "/update"), at(m.group(1) + "/data")
    return query_url, None


def credentials_from_args(args) -> Credentials | None:
    """--auth, --user and --password-env; the password is read from the environment only."""
    scheme, user, variable = getattr(args, "auth", None), getattr(args, "user", None), getattr(args, "password_env", None)
    if scheme is None:
        if user or variable:
            raise InputError("--user and --password-env need --auth basic|digest")
        return None
    if not user or not variable:
        raise InputError(f"--auth {scheme} needs --user NAME and --password-env VARIABLE")
    password = os.environ.get(variable)
    if password is None:
        raise InputError(f"--password-env {variable}: the environment variable {variable} is not set")
    return Credentials(scheme, user, password)


def backend_from_args(args) -> "RemoteBackend":
    """The backend for ``query``/``sparql --endpoint URL`` (options: cli.add_remote_options)."""
    return RemoteBackend(
        args.endpoint,
        graph=getattr(args, "graph", None),
        credentials=credentials_from_args(args),
        timeout=getattr(args, "timeout", None) or DEFAULT_TIMEOUT,
        update_endpoint=getattr(args, "update_endpoint", None),
        store_endpoint=getattr(args, "store_endpoint", None),
    )


# --------------------------------------------------------------------------- HTTP


@dataclass(frozen=True)
class Answer:
    status: int
    content_type: str
    body: bytes
    server: str = ""  # the Server header names the product (Virtuoso needs its own dialect)


class _Http:
    """One urllib opener per backend: authentication handlers, timeout, retries, messages."""

    def __init__(self, credentials: Credentials | None, urls, timeout: float, retries: int, backoff: float):
        self.timeout = timeout
        self.retries = max(0, retries)
        self.backoff = backoff
        handlers = []
        if credentials is not None:
            if credentials.scheme == "basic":
                # Sent up front: a challenge round trip would send every chunk body twice.
                manager = urllib.request.HTTPPasswordMgrWithPriorAuth()
                for url in urls:
                    manager.add_password(None, url, credentials.user, credentials.password, is_authenticated=True)
                handlers.append(urllib.request.HTTPBasicAuthHandler(manager))
            else:
                manager = urllib.request.HTTPPasswordMgrWithDefaultRealm()  # whatever realm the server names
                for url in urls:
                    manager.add_password(None, url, credentials.user, credentials.password)
                handlers.append(_PreemptiveDigestAuthHandler(manager))
        self.opener = urllib.request.build_opener(*handlers)

    def send(self, request: urllib.request.Request, *, idempotent: bool, what: str) -> Answer:
        """Send once, or up to 1 + retries times when repeating the call cannot change the outcome.

        Retried: connection refused or reset, and HTTP 429/502/503/504. Never retried:
        timeouts (a slow query stays slow; raise --timeout instead) and other HTTP errors.
        """
        attempts = 1 + (self.retries if idempotent else 0)
        for attempt in range(1, attempts + 1):
            try:
                with self.opener.open(request, timeout=self.timeout) as response:
                    headers = response.headers
                    return Answer(response.status, headers.get("Content-Type", ""), response.read(), headers.get("Server", ""))
            except urllib.error.HTTPError as e:
                if e.code in RETRY_STATUSES and attempt < attempts:
                    self._sleep(attempt)
                    continue
                message = http_error_message(what, request.full_url, e.code, e.reason, _read_quietly(e))
                raise EndpointError(message, status=e.code) from None
            except (urllib.error.URLError, OSError, http.client.HTTPException) as e:
                reason = getattr(e, "reason", e)
                if isinstance(reason, (TimeoutError, socket.timeout)):
                    raise EndpointError(
                        f"{what}: no answer from {redact(request.full_url)} within {self.timeout:g} s (raise --timeout)"
                    ) from None
                if attempt < attempts:
                    self._sleep(attempt)
                    continue
                tries = f" (tried {attempts} times)" if attempts > 1 else ""
                raise EndpointError(
                    f"{what}: cannot reach {redact(request.full_url)}: {_reason_text(reason)}{tries}; is the server running?"
                ) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _sleep(self, attempt: int) -> None:
        time.sleep(self.backoff * (2 ** (attempt - 1)))


class _PreemptiveDigestAuthHandler(urllib.request.HTTPDigestAuthHandler):
    """Digest authentication that answers the host's last challenge up front.

    Plain urllib sends each request bare and authenticates only after the 401. With a large
    body (a chunk of triples) the server answers 401 and closes the connection while the
    body is still going out, and the upload dies with a broken pipe (seen with Virtuoso).
    Answering the remembered challenge (next nonce count) sends each chunk once.
    """

    def __init__(self, manager):
        super().__init__(manager)
        self._challenges: dict[str, dict] = {}

    def retry_http_digest_auth(self, req, auth):
        _, _, challenge = auth.partition(" ")
        self._challenges[req.host] = urllib.request.parse_keqv_list(filter(None, urllib.request.parse_http_list(challenge)))
        return super().retry_http_digest_auth(req, auth)

    def http_request(self, req):
        challenge = self._challenges.get(req.host)
        if challenge and not req.has_header(self.auth_header):
            authorization = self.get_authorization(req, challenge)
            if authorization:
                req.add_unredirected_header(self.auth_header, f"Digest {authorization}")
        return req

    https_request = http_request


def _read_quietly(error: urllib.error.HTTPError) -> bytes:
    try:
        return error.read() or b""
    except (OSError, http.client.HTTPException):
        return b""


def _reason_text(reason) -> str:
    if isinstance(reason, ConnectionRefusedError):
        return "connection refused"
    if isinstance(reason, ConnectionResetError):
        return "connection reset by the server"
    if isinstance(reason, socket.gaierror):
        return f"unknown host ({reason.strerror})"
    if isinstance(reason, OSError) and reason.strerror:
        return reason.strerror
    return str(reason) or type(reason).__name__


def server_message(body: bytes, limit: int = 600) -> str:
    """The server's own words from an error body (HTML tags stripped, whitespace folded)."""
    text = body.decode("utf-8", errors="replace")
    text = re.sub(r"(?is)<(script|style|head)\b.*?</\1>", " ", text)
    text = re.sub(r"<[^>]+>", " ", text)
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def http_error_message(what: str, url: str, status: int, reason: str, body: bytes) -> str:
    hint = ""
    if status == 401:
        hint = " (authentication failed: check --auth, --user and the password in --password-env)"
    elif status == 403:
        hint = " (this account may not do that here)"
    message = server_message(body)
    return f"{what}: {redact(url)} answered HTTP {status} {reason}{hint}" + (f": {message}" if message else "")


# --------------------------------------------------------------------------- query text


def strip_comments(text: str) -> str:
    """The query without comments (IRIs and literals kept): shorter URLs, no stray keywords."""
    from .queries import _STRIP

    return _STRIP.sub(lambda m: "" if m.group(0).startswith("#") else m.group(0), text).strip() + "\n"


_FORM = re.compile(r"\b(SELECT|ASK|CONSTRUCT|DESCRIBE|INSERT|DELETE|LOAD|CLEAR|CREATE|DROP|COPY|MOVE|ADD|WITH)\b", re.IGNORECASE)


def query_form(text: str) -> str:
    """SELECT, ASK, CONSTRUCT, DESCRIBE or the first update keyword ('' if none)."""
    from .queries import _strip_comments

    m = _FORM.search(_strip_comments(text))
    return m.group(1).upper() if m else ""


def declare_prefixes(text: str, prefixes: dict) -> str:
    """Prepend PREFIX lines for the prefixes the text uses but does not declare (ad-hoc queries)."""
    from .queries import _mask

    masked = _mask(text)
    declared = set(re.findall(r"\bPREFIX\s+([\w.-]*):", masked, re.IGNORECASE))
    needed = [p for p in sorted(prefixes) if p not in declared and re.search(rf"(?<![\w.:-]){re.escape(p)}:", masked)]
    return "".join(f"PREFIX {p}: <{prefixes[p]}>\n" for p in needed) + text


def bind_parameters(text: str, bindings: dict, virtuoso: bool = False) -> str:
    """Bound parameters as proper SPARQL terms at the top of the outermost WHERE.

    The standard form is :func:`etom_kg.queries.inject_values` (a VALUES block). Virtuoso
    7.2 deadlocks (the whole server stops answering) on a VALUES block combined with
    ``BIND(EXISTS {…})`` and further joins, so it gets one ``BIND(term AS ?name)`` per
    parameter instead: the same single solution, joined at the same place.
    """
    from .queries import _mask, inject_values

    if not virtuoso or not bindings:
        return inject_values(text, bindings)
    m = re.search(r"\bWHERE\s*\{", _mask(text), re.IGNORECASE)
    if not m:
        raise QueryError("a query with parameters needs an explicit WHERE { ... }")
    block = " ".join(f"BIND({bindings[name].n3()} AS ?{name})" for name in sorted(bindings))
    return f"{text[: m.end()]} {block} {text[m.end():]}"


# --------------------------------------------------------------------------- results


def _term(binding: dict) -> Term:
    kind = binding.get("type")
    if kind == "uri":
        return Term.uri(binding["value"])
    if kind == "bnode":
        return Term("bnode", binding["value"])
    if kind in ("literal", "typed-literal"):  # "typed-literal": the SPARQL JSON draft, still sent by Virtuoso
        return Term.literal(binding["value"], binding.get("datatype"), binding.get("xml:lang"))
    raise RemoteError(f"unexpected term type {kind!r} in the server's JSON results")


def result_from_json(data: dict) -> Result:
    if "boolean" in data:
        return Result([], [], boolean=bool(data["boolean"]))
    try:
        variables = list(data["head"]["vars"])
        rows = [tuple(_term(b[v]) if v in b else None for v in variables) for b in data["results"]["bindings"]]
    except (KeyError, TypeError) as e:
        raise RemoteError(f"the server sent malformed SPARQL JSON results (missing {e})") from None
    return Result(variables, rows)


def result_from_rdf(body: bytes, content_type: str) -> Result:
    import pyoxigraph as ox

    from .store import ox_to_term

    media = content_type.split(";")[0].strip() or "text/turtle"
    fmt = ox.RdfFormat.from_media_type(media)
    if fmt is None:
        raise RemoteError(f"the server answered a graph query with unsupported media type {media!r}")
    try:
        triples = [(ox_to_term(t.subject), ox_to_term(t.predicate), ox_to_term(t.object)) for t in ox.parse(body, format=fmt)]
    except SyntaxError as e:
        raise RemoteError(f"cannot read the server's {media} answer: {e}") from None
    return Result(["subject", "predicate", "object"], triples)


_BOOLEAN_BIND = re.compile(
    r"\(\s*(?:NOT\s+)?(?:EXISTS\s*\{|(?:true|false)\s+AS\b|(?:BOUND|REGEX|CONTAINS|STRSTARTS|STRENDS|LANGMATCHES|SAMETERM"
    r"|isIRI|isURI|isBLANK|isLITERAL|isNUMERIC)\s*\()[^()]*?(?:\([^()]*\)[^()]*?)*\bAS\s+\?(\w+)\s*\)",
    re.IGNORECASE | re.DOTALL,
)


def normalise_virtuoso(result: Result, query_text: str) -> Result:
    """Undo Virtuoso's literal rewriting so its answers equal a SPARQL 1.1 store's.

    1. Virtuoso stores ``true``/``false`` typed ``xsd:boolean`` as ``1``/``0`` of the same
       type: written back as the canonical ``true``/``false`` (same value).
    2. Virtuoso has no boolean values in expressions: ``BIND(EXISTS {…} AS ?b)`` (and
       BOUND, REGEX, CONTAINS, isIRI…, ``true``/``false``) come back as ``1``/``0`` typed
       ``xsd:integer``. Such a column is turned back into ``xsd:boolean`` only when the
       query text binds it from one of those boolean expressions *and* every value is 0/1.
       Other boolean expressions (``?a = ?b AS ?c``) stay as Virtuoso sent them, so a
       comparison with the embedded store shows the difference rather than hiding it.
    3. ``xsd:int`` (some aggregates) is widened to ``xsd:integer``.
    """
    from .queries import _mask

    boolean_vars = set(_BOOLEAN_BIND.findall(_mask(query_text)))
    rows = [list(row) for row in result.rows]
    for i, name in enumerate(result.variables):
        values = [row[i] for row in rows if row[i] is not None]
        computed_boolean = name in boolean_vars and values and all(
            t.kind == "literal" and t.datatype == XSD_INTEGER and t.value in ("0", "1") for t in values
        )
        for row in rows:
            t = row[i]
            if t is None or t.kind != "literal":
                continue
            if (computed_boolean or t.datatype == XSD_BOOLEAN) and t.value in ("0", "1"):
                row[i] = Term.literal("true" if t.value == "1" else "false", XSD_BOOLEAN)
            elif t.datatype == f"{XSD}int":
                row[i] = Term.literal(t.value, XSD_INTEGER)
    return Result(result.variables, [tuple(r) for r in rows], result.boolean)


# --------------------------------------------------------------------------- backend


class RemoteBackend:
    """A SPARQL endpoint as a query backend (:meth:`run`) and a push target (:func:`push`)."""

    name = "remote"

    def __init__(
        self,
        endpoint: str,
        *,
        graph: str | None = None,
        credentials: Credentials | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        update_endpoint: str | None = None,
        store_endpoint: str | None = None,
        retries: int = 2,
        backoff: float = 0.25,
    ):
        self.endpoint = check_url(endpoint)
        if graph is not None:
            check_iri(graph, "--graph")
        self.graph = graph
        derived_update, derived_store = derive_endpoints(endpoint, credentials is not None)
        self.update_endpoint = check_url(update_endpoint, "--update-endpoint") if update_endpoint else derived_update
        self.store_endpoint = check_url(store_endpoint, "--store-endpoint") if store_endpoint else derived_store
        if not timeout > 0:
            raise InputError(f"--timeout must be a positive number of seconds, got {timeout!r}")
        self.timeout = timeout
        roots = {_root(u) for u in (self.endpoint, self.update_endpoint, self.store_endpoint) if u}
        self.http = _Http(credentials, sorted(roots), timeout, retries, backoff)
        self._server: str | None = None

    def __repr__(self) -> str:
        return f"RemoteBackend({redact(self.endpoint)!r}, graph={self.graph!r})"

    @property
    def server(self) -> str:
        """The server's product (its Server header), asked once with ``ASK {}``."""
        if self._server is None:
            self._request("ASK {}", "ASK", scoped=False).send(idempotent=True, what="query")
        return self._server or ""

    @property
    def is_virtuoso(self) -> bool:
        return self.server.lower().startswith("virtuoso")

    # ---- queries

    def run(self, text: str, bindings: dict | None = None, prefixes: dict | None = None, *, scoped: bool = True) -> Result:
        form = query_form(text)
        if form not in READ_FORMS:
            raise QueryError(f"only {', '.join(READ_FORMS)} queries run on a query endpoint, not {form or 'this text'}")
        virtuoso = self.is_virtuoso
        text = declare_prefixes(bind_parameters(strip_comments(text), bindings or {}, virtuoso), prefixes or {})
        answer = self._request(text, form, scoped=scoped).send(idempotent=True, what="query")
        if form in ("CONSTRUCT", "DESCRIBE"):
            return result_from_rdf(answer.body, answer.content_type)
        result = self._json(answer)
        return normalise_virtuoso(result, text) if virtuoso else result

    def _json(self, answer: Answer) -> Result:
        import json

        media = answer.content_type.split(";")[0].strip().lower()
        if "json" not in media:
            raise RemoteError(f"query: {redact(self.endpoint)} answered {media or 'no media type'} instead of SPARQL JSON results")
        try:
            return result_from_json(json.loads(answer.body.decode("utf-8")))
        except (UnicodeDecodeError, ValueError) as e:
            raise RemoteError(f"query: cannot read the JSON results from {redact(self.endpoint)}: {e}") from None

    def count(self, graph: str) -> int:
        """Triples in a named graph (0 when it does not exist). Ignores the ``graph`` scope."""
        result = self.run(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {Term.uri(graph).n3()} {{ ?s ?p ?o }} }}", scoped=False)
        if not result.rows or result.rows[0][0] is None:
            return 0
        return int(result.rows[0][0].value)

    # ---- updates and the Graph Store Protocol

    def update(self, text: str, *, idempotent: bool, what: str = "update") -> None:
        self._request(text, query_form(text), update=True).send(idempotent=idempotent, what=what)

    def graph_store(self, method: str, graph: str, data: bytes | None = None, *, what: str) -> Answer:
        """A SPARQL 1.1 Graph Store HTTP Protocol request on ``?graph=IRI``.

        Always sent as idempotent: :func:`push` only PUTs (a replace) or POSTs ground
        triples (adding a set of triples twice adds nothing).
        """
        if not self.store_endpoint:
            raise EndpointError(f"{what}: no Graph Store Protocol endpoint known (use --store-endpoint)", status=404)
        separator = "&" if "?" in self.store_endpoint else "?"
        url = f"{self.store_endpoint}{separator}graph={urllib.parse.quote(graph, safe='')}"
        headers = {"Content-Type": "text/turtle; charset=utf-8"} if data is not None else {}
        request = urllib.request.Request(url, data=data, method=method, headers=headers)
        return self.http.send(request, idempotent=True, what=what)

    def _request(self, text: str, form: str, *, update: bool = False, scoped: bool = True) -> "_Request":
        return _Request(self, text, form, update=update, default_graph=self.graph if scoped else None)


def _root(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, "/", "", ""))


class _Request:
    """A query or update built by SPARQLWrapper and sent through the backend's opener.

    SPARQLWrapper picks the protocol details (GET or form POST, Accept header,
    ``default-graph-uri``). Credentials are *not* given to it: its digest support installs
    a process-wide urllib opener, and its ``str()`` shows the password.
    """

    def __init__(self, backend: RemoteBackend, text: str, form: str, *, update: bool, default_graph: str | None):
        from SPARQLWrapper import JSON, POST, TURTLE, SPARQLWrapper

        self.backend = backend
        wrapper = SPARQLWrapper(backend.endpoint, updateEndpoint=backend.update_endpoint, agent=_agent())
        wrapper.setOnlyConneg(True)  # the Accept header only, no format=/output= parameters
        wrapper.setQuery(text)
        wrapper.queryType = form  # ours, read from comment-free text: SPARQLWrapper's guess can misfire
        graph_query = form in ("CONSTRUCT", "DESCRIBE")
        if update:
            wrapper.setMethod(POST)  # form-encoded update=...
        else:
            wrapper.setReturnFormat(TURTLE if graph_query else JSON)
            if default_graph:
                wrapper.addDefaultGraph(default_graph)
            if len(urllib.parse.quote(text)) > LONG_GET:
                wrapper.setMethod(POST)  # form-encoded query=...
        self.request = wrapper._createRequest()
        if graph_query:
            self.request.add_header("Accept", "application/n-triples, text/turtle;q=0.9")

    def send(self, *, idempotent: bool, what: str) -> Answer:
        answer = self.backend.http.send(self.request, idempotent=idempotent, what=what)
        self.backend._server = answer.server
        return answer


def _agent() -> str:
    from . import __version__

    return f"etom-kg/{__version__}"


def check_iri(iri: str, option: str) -> str:
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]+", iri or ""):
        raise InputError(f"{option}: expected an absolute IRI, got {iri!r}")
    return iri


# --------------------------------------------------------------------------- push


class PushError(RemoteError):
    """A push failed; the message says what is on the server now."""


@dataclass(frozen=True)
class PushReport:
    endpoint: str
    graph: str
    triples: int
    previous: int  # triples the target graph held before
    chunks: int
    protocol: str  # "Graph Store Protocol" or "SPARQL Update"
    swap: str  # "MOVE" or "COPY+DROP"

    def summary(self) -> str:
        return (
            f"pushed {self.triples} triples to <{self.graph}> at {redact(self.endpoint)} "
            f"({self.chunks} chunk{'s' if self.chunks != 1 else ''} by {self.protocol}, swapped in with {self.swap}; "
            f"the graph held {self.previous} triples before)"
        )


def embedded_triples(reasoned: bool = True) -> list:
    """The embedded eTOM graph (reasoned by default: remote servers do not run our rules)."""
    import pyoxigraph as ox

    from .store import default_store

    store = default_store(reasoned=reasoned).store
    return [q.triple for q in store.quads_for_pattern(None, None, None, ox.DefaultGraph())]


def plan_chunks(triples, chunk_size: int) -> list[bytes]:
    """N-Triples chunks; the first carries every triple that mentions a blank node.

    A blank node label only means the same node within one request, so triples sharing a
    blank node (OWL lists, restrictions) must travel together. The first chunk is sent as
    a replace (GSP PUT, or DROP + INSERT DATA) and so may be repeated safely; every later
    chunk holds only ground triples, which may be appended twice without changing the
    graph. That is what makes each upload step idempotent and therefore retryable.
    """
    import pyoxigraph as ox

    if chunk_size < 1:
        raise InputError(f"--chunk-size must be at least 1, got {chunk_size}")
    unique = sorted(set(triples), key=str)
    with_bnodes = [t for t in unique if isinstance(t.subject, ox.BlankNode) or isinstance(t.object, ox.BlankNode)]
    ground = [t for t in unique if not (isinstance(t.subject, ox.BlankNode) or isinstance(t.object, ox.BlankNode))]
    first_size = max(chunk_size, len(with_bnodes))
    first = with_bnodes + ground[: first_size - len(with_bnodes)]
    rest = ground[first_size - len(with_bnodes):]
    groups = [first] + [rest[i: i + chunk_size] for i in range(0, len(rest), chunk_size)]
    return [ox.serialize(group, format=ox.RdfFormat.N_TRIPLES) for group in groups if group]


class _Progress:
    """A one-line progress bar on stderr."""

    def __init__(self, total: int, enabled: bool, stream=None):
        self.total, self.enabled, self.stream = total, enabled, stream or sys.stderr

    def show(self, done: int, chunk: int, chunks: int) -> None:
        if not self.enabled:
            return
        width = 30
        filled = width * done // self.total if self.total else width
        self.stream.write(f"\rpush [{'#' * filled}{'-' * (width - filled)}] {done}/{self.total} triples, chunk {chunk}/{chunks}")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()


def push(
    remote: RemoteBackend,
    triples=None,
    *,
    graph: str = DEFAULT_GRAPH,
    reasoned: bool = True,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    progress: bool = False,
    on_chunk=None,
) -> PushReport:
    """Replace the named graph ``graph`` on the server with ``triples``, atomically.

    ``triples`` defaults to the embedded graph (reasoned unless ``reasoned=False``).

    1. Count the target (this also proves the server answers) and check write access
       with ``DROP SILENT GRAPH`` on a fresh temporary graph ``urn:etom-kg:push:<uuid>``.
    2. Upload the chunks (:func:`plan_chunks`) into the temporary graph with the Graph
       Store Protocol, or with INSERT DATA when the server has no Graph Store endpoint.
    3. Verify the temporary graph holds exactly the expected number of triples.
    4. Swap: ``MOVE <tmp> TO <target>`` in one update request (``COPY`` then ``DROP``
       when the server does not know MOVE), then verify the target's count.

    Until step 4 the target graph is never written, so any failure leaves it exactly as it
    was; the temporary graph is dropped when the server still answers, and the error says
    whether it is left behind. ``on_chunk(done, total)`` is called after each chunk.
    """
    check_iri(graph, "--graph")
    if triples is None:
        triples = embedded_triples(reasoned)
    chunks = plan_chunks(triples, chunk_size)
    if not chunks:
        raise InputError("nothing to push: the graph is empty")
    expected = sum(chunk.count(b"\n") for chunk in chunks)
    temporary = f"urn:etom-kg:push:{uuid.uuid4().hex}"
    target_term, temporary_term = Term.uri(graph).n3(), Term.uri(temporary).n3()
    drop_temporary = f"DROP SILENT GRAPH {temporary_term}"

    previous = remote.count(graph)
    remote.update(drop_temporary, idempotent=True, what="check write access")

    def abandon(stage: str, error: Exception) -> PushError:
        try:
            remote.update(drop_temporary, idempotent=True, what="drop the temporary graph")
            cleanup = f"temporary graph {temporary_term} dropped"
        except RemoteError:
            cleanup = f"temporary graph {temporary_term} left behind (remove it with: {drop_temporary})"
        return PushError(f"push failed while {stage}: {error}. Target graph {target_term} untouched ({previous} triples); {cleanup}")

    protocol = "Graph Store Protocol" if remote.store_endpoint else "SPARQL Update"
    bar = _Progress(expected, progress)
    done = 0
    try:
        for number, chunk in enumerate(chunks, start=1):
            stage = f"uploading chunk {number}/{len(chunks)} into the temporary graph"
            try:
                if protocol == "Graph Store Protocol":
                    try:
                        remote.graph_store("PUT" if number == 1 else "POST", temporary, chunk, what=f"upload chunk {number}/{len(chunks)}")
                    except EndpointError as e:
                        if number != 1 or e.status not in NO_GRAPH_STORE:
                            raise
                        protocol = "SPARQL Update"  # no Graph Store here: nothing was written, fall back
                if protocol == "SPARQL Update":
                    insert = f"INSERT DATA {{ GRAPH {temporary_term} {{\n{chunk.decode('utf-8')}}} }}"
                    text = f"{drop_temporary} ;\n{insert}" if number == 1 else insert
                    remote.update(text, idempotent=True, what=f"upload chunk {number}/{len(chunks)}")
            except RemoteError as e:
                raise abandon(stage, e) from None
            done += chunk.count(b"\n")
            bar.show(done, number, len(chunks))
            if on_chunk is not None:
                on_chunk(number, len(chunks))
    finally:
        bar.close()

    try:
        loaded = remote.count(temporary)
    except RemoteError as e:
        raise abandon("counting the temporary graph", e) from None
    if loaded != expected:
        raise abandon("verifying the upload", RemoteError(f"the temporary graph holds {loaded} triples, expected {expected}"))

    swap = _swap(remote, temporary, graph, expected, previous)
    try:
        final = remote.count(graph)
    except RemoteError as e:
        raise PushError(f"the swap was sent but the final count failed: {e}. Target graph {target_term} should now hold {expected} triples; check it") from None
    if final != expected:
        raise PushError(f"after the swap target graph {target_term} holds {final} triples, expected {expected}: the server changed the data while loading it")
    return PushReport(remote.endpoint, graph, expected, previous, len(chunks), protocol, swap)


def _swap(remote: RemoteBackend, temporary: str, graph: str, expected: int, previous: int) -> str:
    """MOVE the temporary graph onto the target; COPY + DROP where MOVE is unknown."""
    source, target = Term.uri(temporary).n3(), Term.uri(graph).n3()
    try:
        # Not retried: if the answer is lost, a second MOVE would find no source graph.
        remote.update(f"MOVE {source} TO {target}", idempotent=False, what="swap in the new graph")
        return "MOVE"
    except EndpointError as e:
        if e.status not in NO_MOVE:
            _settle_swap(remote, temporary, graph, expected, previous, e)
            return "MOVE"
    try:
        remote.update(f"COPY {source} TO {target}", idempotent=True, what="swap in the new graph (COPY)")
    except RemoteError as e:
        _settle_swap(remote, temporary, graph, expected, previous, e)
    try:
        remote.update(f"DROP SILENT GRAPH {source}", idempotent=True, what="drop the temporary graph")
    except RemoteError:
        pass  # the target is replaced already; a leftover temporary graph is harmless
    return "COPY+DROP"


def _settle_swap(remote: RemoteBackend, temporary: str, graph: str, expected: int, previous: int, error: Exception) -> None:
    """The swap request failed: ask the server what happened. Returns only if the swap was applied."""
    source, target = Term.uri(temporary).n3(), Term.uri(graph).n3()
    drop = f"DROP SILENT GRAPH {source}"
    stage = f"push failed while swapping in the new graph: {error}."
    try:
        now, left = remote.count(graph), remote.count(temporary)
    except RemoteError:
        raise PushError(
            f"{stage} The server could not be asked what happened: target graph {target} holds either its previous "
            f"{previous} triples or the new {expected}; temporary graph {source} may be left behind (remove it with: {drop})"
        ) from None
    if left == 0 and now == expected:
        return  # applied; only the answer was lost
    if left == expected and now == previous:
        try:
            remote.update(drop, idempotent=True, what="drop the temporary graph")
            cleanup = f"temporary graph {source} dropped"
        except RemoteError:
            cleanup = f"temporary graph {source} left behind (remove it with: {drop})"
        raise PushError(f"{stage} Target graph {target} untouched ({now} triples); {cleanup}")
    raise PushError(
        f"{stage} Target graph {target} now holds {now} triples (before: {previous}, pushed: {expected}); "
        f"temporary graph {source} holds {left} (remove it with: {drop})"
    )
