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

* Parameters are RDF terms placed by :func:`etom_kg.queries.inject_values` (VALUES
  blocks), never spliced text. Virtuoso gets the same terms as ``BIND`` (see
  :func:`bind_parameters`).
* ``graph=IRI`` scopes every query with the SPARQL 1.1 Protocol parameter
  ``default-graph-uri=IRI``: the named graph becomes the query's default graph, exactly as
  ``FROM <IRI>`` would, without rewriting the query text.
* The password lives only in the urllib password manager: never in a message, a ``repr``
  or a log record.
* Only idempotent requests are retried, with exponential backoff (see :meth:`_Http.send`).

:func:`etom_kg.push.push` replaces a named graph atomically; it imports this module,
never the other way round.
"""

from __future__ import annotations

import http.client
import os
import re
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
import warnings
from dataclasses import dataclass, field

from .errors import InputError, QueryError, RemoteError
from .results import XSD, Result, Term

DEFAULT_GRAPH = "https://w3id.org/etom-kg/graph"
DEFAULT_CHUNK_SIZE = 5000
DEFAULT_TIMEOUT = 60.0
AUTH_SCHEMES = ("basic", "digest")
READ_FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")
UPDATE_FORMS = ("INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD")
RETRY_STATUSES = (429, 502, 503, 504)  # "not now": repeating an idempotent call is safe
LONG_GET = 2000  # longer query URLs go as a form POST (never application/sparql-query: Virtuoso hangs)
XSD_INTEGER = f"{XSD}integer"
XSD_BOOLEAN = f"{XSD}boolean"


class EndpointError(RemoteError):
    """A remote call failed; ``status`` is the HTTP status when the server answered at all."""

    def __init__(self, message: str, *, status: int | None = None, timed_out: bool = False):
        super().__init__(message)
        self.status = status
        self.timed_out = timed_out  # no answer within the timeout: the server may still be working


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
    """Default (update URL, Graph Store URL) for a query URL, from well-known layouts:

    - ``…/repositories/ID`` (GraphDB, RDF4J): ``…/ID/statements`` and ``…/ID/rdf-graphs/service``
    - ``/query`` at the root (Oxigraph): ``/update`` and ``/store``
    - ``/sparql`` with credentials (Virtuoso): ``/sparql-auth`` and ``/sparql-graph-crud-auth``
    - ``/sparql`` anonymous (Neptune): ``/sparql`` and ``/sparql/gsp/``
    - ``/DATASET/query`` or ``/DATASET/sparql`` (Fuseki): ``/DATASET/update`` and ``/DATASET/data``
    - anything else: the query URL itself, and no Graph Store (SPARQL Update only)

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
        handlers.append(_SameOriginRedirects())
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
                content_type = e.headers.get("Content-Type", "") if e.headers else ""
                message = http_error_message(what, request.full_url, e.code, e.reason, _read_quietly(e), content_type)
                raise EndpointError(message, status=e.code) from None
            except _CrossOriginRedirect as e:
                raise EndpointError(
                    f"{what}: {redact(request.full_url)} redirected to {redact(e.url)}, another host, port or "
                    "scheme; refused (credentials and queries stay with the server you named: pass the new URL)"
                ) from None
            except ValueError as e:
                # urllib's authentication handlers: the server asks for a scheme other than --auth
                scheme = re.search(r"scheme:? '?(\w+)", str(e))
                asked = f" it asks for {scheme.group(1)} authentication;" if scheme else ""
                raise EndpointError(f"{what}: {redact(request.full_url)} refused the credentials:{asked} "
                                    "check --auth (basic or digest)", status=401) from None
            except (urllib.error.URLError, OSError, http.client.HTTPException) as e:
                reason = getattr(e, "reason", e)
                if isinstance(reason, (TimeoutError, socket.timeout)):
                    raise EndpointError(
                        f"{what}: no answer from {redact(request.full_url)} within {self.timeout:g} s (raise --timeout)",
                        timed_out=True,
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


class _CrossOriginRedirect(Exception):
    def __init__(self, url: str):
        super().__init__(url)
        self.url = url


def _origin(url: str) -> tuple:
    parts = urllib.parse.urlsplit(url)
    default = {"http": 80, "https": 443}.get(parts.scheme)
    return parts.scheme, (parts.hostname or "").lower(), parts.port or default


class _SameOriginRedirects(urllib.request.HTTPRedirectHandler):
    """Follow a redirect only to the same scheme, host and port: another origin could be
    an attacker's server (credentials, queries) or a service inside the network."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        target = urllib.parse.urljoin(req.full_url, newurl)
        if _origin(target) != _origin(req.full_url):
            raise _CrossOriginRedirect(target)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


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
        parsed = urllib.request.parse_keqv_list(filter(None, urllib.request.parse_http_list(challenge)))
        answered_fresh = req.has_header(self.auth_header) and not getattr(req, "_etom_preemptive", False)
        if answered_fresh and parsed.get("stale", "").lower() != "true":
            return None  # the server refused these credentials: say so (its own 401), do not guess again
        req._etom_preemptive = False  # a remembered nonce may have expired: one fresh try
        self._challenges[req.host] = parsed
        return super().retry_http_digest_auth(req, auth)

    def http_request(self, req):
        challenge = self._challenges.get(req.host)
        if challenge and not req.has_header(self.auth_header):
            authorization = self.get_authorization(req, challenge)
            if authorization:
                req.add_unredirected_header(self.auth_header, f"Digest {authorization}")
                req._etom_preemptive = True
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


def server_message(body: bytes, content_type: str = "", limit: int = 600) -> str:
    """The server's own words from an error body (tags of an HTML page dropped, spaces folded)."""
    text = body.decode("utf-8", errors="replace")
    if "html" in content_type.lower() or re.match(r"\s*<(!DOCTYPE|html)\b", text, re.IGNORECASE):
        text = re.sub(r"(?is)<(script|style|head)\b.*?</\1>", " ", text)
        text = re.sub(r"<[^>]+>", " ", text)
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def http_error_message(what: str, url: str, status: int, reason: str, body: bytes, content_type: str = "") -> str:
    hint = ""
    if status == 401:
        hint = " (authentication failed: check --auth, --user and the password in --password-env)"
    elif status == 403:
        hint = " (this account may not do that here)"
    message = server_message(body, content_type)
    return f"{what}: {redact(url)} answered HTTP {status} {reason}{hint}" + (f": {message}" if message else "")


# --------------------------------------------------------------------------- query text


def strip_comments(text: str) -> str:
    """The query without comments (IRIs, literals and line breaks kept, so the server's line
    numbers in error messages are the user's): shorter URLs, no stray keywords."""
    from .queries import _STRIP

    return _STRIP.sub(lambda m: "" if m.group(0).startswith("#") else m.group(0), text)


def query_form(text: str) -> str:
    """SELECT, ASK, CONSTRUCT, DESCRIBE or the first update keyword ('' if none)."""
    from .queries import query_form as form

    return form(text)


def declare_prefixes(text: str, prefixes: dict) -> str:
    """Prepend PREFIX lines for the prefixes the text uses but does not declare (ad-hoc queries)."""
    from .queries import _mask

    masked = _mask(text)
    declared = set(re.findall(r"\bPREFIX\s+([\w.-]*):", masked, re.IGNORECASE))
    needed = [p for p in sorted(prefixes) if p not in declared and re.search(rf"(?<![\w.:-]){re.escape(p)}:", masked)]
    # On the first line, so the server's line numbers in error messages stay the user's.
    return "".join(f"PREFIX {p}: <{prefixes[p]}> " for p in needed) + text


def bind_parameters(text: str, bindings: dict, virtuoso: bool = False) -> str:
    """Bound parameters as proper SPARQL terms, placed by :func:`etom_kg.queries.inject_values`.

    The standard form is its VALUES block in every group that uses a parameter. Virtuoso
    7.2 deadlocks (the whole server stops answering) on a VALUES block next to
    ``BIND(EXISTS {…})`` and further joins, so there each block becomes
    ``BIND(term AS ?name)``: at the start of the same group, the same single solution.
    """
    from .queries import inject_values

    return inject_values(text, bindings, form="bind" if virtuoso else "values")


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


def result_from_json(data) -> Result:
    """SPARQL 1.1 Query Results JSON, checked: anything else is a RemoteError saying what came."""
    def bad(what: str) -> RemoteError:
        return RemoteError(f"the server sent JSON that is not SPARQL results: {what}")

    if not isinstance(data, dict):
        return _raise(bad(f"a JSON {_json_kind(data)} instead of an object with head and results"))
    if "boolean" in data:
        if not isinstance(data["boolean"], bool):
            raise bad(f"'boolean' is a JSON {_json_kind(data['boolean'])}, not true or false")
        return Result([], [], boolean=data["boolean"])
    head, results = data.get("head"), data.get("results")
    if not isinstance(head, dict) or not isinstance(head.get("vars"), list) \
            or not all(isinstance(v, str) for v in head["vars"]):
        raise bad("no 'head' object with a 'vars' list of names")
    if not isinstance(results, dict) or not isinstance(results.get("bindings"), list):
        raise bad("no 'results' object with a 'bindings' list")
    variables = list(head["vars"])
    rows = []
    for i, b in enumerate(results["bindings"]):
        if not isinstance(b, dict):
            raise bad(f"binding {i} is a JSON {_json_kind(b)}, not an object")
        row = []
        for v in variables:
            value = b.get(v)
            if value is None:
                row.append(None)
                continue
            if not isinstance(value, dict) or not isinstance(value.get("value"), str):
                raise bad(f"binding {i}, variable {v!r}: expected an object with a text 'value', got {_json_kind(value)}")
            for key in ("datatype", "xml:lang"):
                if key in value and not isinstance(value[key], str):
                    raise bad(f"binding {i}, variable {v!r}: {key!r} is not text")
            row.append(_term(value))
        rows.append(tuple(row))
    return Result(variables, rows)


def _raise(error):
    raise error


def _json_kind(value) -> str:
    return {dict: "object", list: "array", str: "string", bool: "boolean", int: "number", float: "number"}.get(
        type(value), "null" if value is None else type(value).__name__)


def result_from_rdf(body: bytes, content_type: str) -> Result:
    import pyoxigraph as ox

    from .store import ox_to_term

    media = content_type.split(";")[0].strip() or "text/turtle"
    fmt = ox.RdfFormat.from_media_type(media)
    if fmt is None:
        raise RemoteError(f"the server answered a graph query with unsupported media type {media!r}")
    from .limits import check_rdf_bytes

    check_rdf_bytes(body, fmt, "the server's answer", error=RemoteError)
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


# BIND(COALESCE(?flag, false) AS ?b): a boolean with a default, the portable form of a flag
_BOOLEAN_DEFAULT = re.compile(r"\(\s*COALESCE\s*\([^()]*,\s*(?:true|false)\s*\)\s*AS\s+\?(\w+)\s*\)", re.IGNORECASE)


def normalise_virtuoso(result: Result, query_text: str) -> Result:
    """Undo Virtuoso's literal rewriting so its answers equal a SPARQL 1.1 store's.

    1. Virtuoso stores ``true``/``false`` typed ``xsd:boolean`` as ``1``/``0`` of the same
       type: written back as the canonical ``true``/``false`` (same value).
    2. Virtuoso has no boolean values in expressions: ``BIND(EXISTS {…} AS ?b)`` (and
       BOUND, REGEX, CONTAINS, isIRI…, ``true``/``false``, a ``COALESCE`` whose last
       argument is ``true``/``false``) come back as ``1``/``0`` typed ``xsd:integer`` (or
       mixed with stored ``xsd:boolean`` ones). Such a column is turned back into ``xsd:boolean`` only when the
       query text binds it from one of those boolean expressions *and* every value is 0/1.
       Other boolean expressions (``?a = ?b AS ?c``) stay as Virtuoso sent them, so a
       comparison with the embedded store shows the difference rather than hiding it.
    3. ``xsd:int`` (some aggregates) is widened to ``xsd:integer``.
    """
    from .queries import _mask

    masked = _mask(query_text)
    boolean_vars = set(_BOOLEAN_BIND.findall(masked)) | set(_BOOLEAN_DEFAULT.findall(masked))
    rows = [list(row) for row in result.rows]
    for i, name in enumerate(result.variables):
        values = [row[i] for row in rows if row[i] is not None]
        computed_boolean = name in boolean_vars and values and all(
            t.kind == "literal" and t.datatype in (XSD_INTEGER, XSD_BOOLEAN) and t.value in ("0", "1", "true", "false")
            for t in values
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
        from .limits import check_seconds

        self.timeout = check_seconds(timeout, "--timeout")
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

    def run(
        self, text: str, bindings: dict | None = None, prefixes: dict | None = None, *, scoped: bool = True, what: str = "query"
    ) -> Result:
        from .limits import check_query
        from .queries import read_only_form

        check_query(text)
        form = read_only_form(text)
        virtuoso = self.is_virtuoso
        text = declare_prefixes(bind_parameters(strip_comments(text), bindings or {}, virtuoso), prefixes or {})
        answer = self._request(text, form, scoped=scoped).send(idempotent=True, what=what)
        if form in ("CONSTRUCT", "DESCRIBE"):
            return result_from_rdf(answer.body, answer.content_type)
        result = self._json(answer)
        return normalise_virtuoso(result, text) if virtuoso else result

    def _json(self, answer: Answer) -> Result:
        import json

        media = answer.content_type.split(";")[0].strip().lower()
        if "json" not in media:
            hint = " — is this the query endpoint?" if "html" in media or not media else ""
            raise RemoteError(f"query: {redact(self.endpoint)} answered {media or 'no media type'}, "
                              f"not SPARQL results{hint}")
        try:
            return result_from_json(json.loads(answer.body.decode("utf-8")))
        except (UnicodeDecodeError, ValueError) as e:
            raise RemoteError(f"query: cannot read the JSON results from {redact(self.endpoint)}: {e}") from None

    def count(self, graph: str, what: str = "count the target graph") -> int:
        """Triples in a named graph (0 when it does not exist). Ignores the ``graph`` scope."""
        result = self.run(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {Term.uri(graph).n3()} {{ ?s ?p ?o }} }}", scoped=False, what=what)
        if not result.rows or result.rows[0][0] is None:
            return 0
        value = result.rows[0][0].value
        if not re.fullmatch(r"\s*\+?[0-9]+\s*", value):
            raise RemoteError(f"{what}: {redact(self.endpoint)} answered the triple count {value[:80]!r}, not a whole number")
        return int(value)

    # ---- updates and the Graph Store Protocol

    def update(self, text: str, *, idempotent: bool, what: str = "update") -> None:
        self._request(text, query_form(text), update=True).send(idempotent=idempotent, what=what)

    def graph_store(self, method: str, graph: str, data=None, *, what: str, streamed: bool = False) -> Answer:
        """A SPARQL 1.1 Graph Store HTTP Protocol request on ``?graph=IRI``.

        ``data`` is bytes, or with ``streamed`` a re-iterable of bytes sent as it is
        produced (chunked transfer encoding).
        Always sent as idempotent: :func:`push` only PUTs (a replace) or POSTs ground
        triples (adding a set of triples twice adds nothing).
        """
        if not self.store_endpoint:
            raise EndpointError(f"{what}: no Graph Store Protocol endpoint known (use --store-endpoint)", status=404)
        separator = "&" if "?" in self.store_endpoint else "?"
        url = f"{self.store_endpoint}{separator}graph={urllib.parse.quote(graph, safe='')}"
        headers = {"Content-Type": "text/turtle; charset=utf-8"} if data is not None else {}
        if streamed:
            headers["Transfer-Encoding"] = "chunked"  # http.client frames each piece as it comes
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
        with warnings.catch_warnings():  # its guess of the query form warns; ours replaces it below
            warnings.simplefilter("ignore")
            wrapper.setQuery(text)
        # Ours, read from comment-free text: SPARQLWrapper's guess misfires on keywords in comments.
        wrapper.queryType = form if not update or form in UPDATE_FORMS else "INSERT"
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
