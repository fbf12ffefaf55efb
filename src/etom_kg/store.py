"""Query backends and the embedded default store.

The command line answers from a pyoxigraph store holding the *reasoned* embedded graph.
The graph is prepared once (:func:`prepare_reasoned`: parse the ontology, close it under
the fast rules) and cached by :mod:`etom_kg.cache` under a key made of the ontology's
bytes, the source of the modules that prepare it and the package version, so editing any
of them invalidates it; the cache verifies itself and is rebuilt when damaged. rdflib is
never imported on this path.
"""

from __future__ import annotations

import os

import pyoxigraph as ox

from . import __version__
from .errors import QueryError
from .results import Result, Term

CACHE_ENV = "ETOM_KG_CACHE_DIR"


# --------------------------------------------------------------------------- terms


def term_to_ox(t: Term):
    if t.kind == "uri":
        return ox.NamedNode(t.value)
    if t.kind == "bnode":
        return ox.BlankNode(t.value)
    if t.lang:
        return ox.Literal(t.value, language=t.lang)
    if t.datatype:
        return ox.Literal(t.value, datatype=ox.NamedNode(t.datatype))
    return ox.Literal(t.value)


def ox_to_term(x) -> Term | None:
    if x is None:
        return None
    if isinstance(x, ox.NamedNode):
        return Term.uri(x.value)
    if isinstance(x, ox.BlankNode):
        return Term("bnode", x.value)
    if isinstance(x, ox.Literal):
        return Term.literal(x.value, x.datatype.value if x.datatype else None, x.language)
    raise QueryError(f"unsupported term in result: {x!r}")


# --------------------------------------------------------------------------- backends


class OxigraphBackend:
    """Runs SPARQL in a pyoxigraph store (in memory or on disk)."""

    name = "oxigraph"
    embedded = False

    def __init__(self, store: ox.Store):
        self.store = store

    def __len__(self) -> int:
        return len(self.store)

    def _store_for(self, text: str, prefixes: dict | None) -> ox.Store:
        """The store that answers ``text`` (the subclass below fills it on demand)."""
        return self.store

    def run(self, text: str, bindings: dict | None = None, prefixes: dict | None = None,
            max_rows: int | None = None) -> Result:
        from .queries import inject_values

        try:
            answer = self._store_for(text, prefixes).query(inject_values(text, bindings or {}), prefixes=prefixes)
        except SyntaxError as e:
            raise QueryError(f"SPARQL syntax error: {e}") from None
        if isinstance(answer, ox.QueryBoolean):
            return Result([], [], boolean=bool(answer))
        if isinstance(answer, ox.QueryTriples):
            triples = [(ox_to_term(t.subject), ox_to_term(t.predicate), ox_to_term(t.object))
                       for t in _at_most(answer, max_rows)]
            return Result(["subject", "predicate", "object"], triples)
        from .queries import projection_order

        variables = projection_order(text, [v.value for v in answer.variables])  # SELECT *: the query's order
        rows = [tuple(ox_to_term(sol[v]) for v in variables) for sol in _at_most(answer, max_rows)]
        return Result(variables, rows)


def _at_most(items, max_rows: int | None):
    """Iterate, but stop with a QueryError past ``max_rows`` (the answer would not fit)."""
    for n, item in enumerate(items, start=1):
        if max_rows is not None and n > max_rows:
            raise QueryError(f"the answer has more than {max_rows} rows; add LIMIT to the query or raise --max-rows")
        yield item


class EmbeddedBackend(OxigraphBackend):
    """The reasoned embedded graph, parsed from its verified cache only as far as the
    queries run so far need: a query that reads five predicates parses those five (see
    :mod:`etom_kg.predicates`); ``.store``, ``len()`` and any query the scan is unsure
    of parse everything. Answers are those of the full graph."""

    def __init__(self, graph):
        import threading

        self._graph = graph  # an etom_kg.cache.CachedGraph
        self._store = ox.Store()
        self._lock = threading.Lock()  # `serve` runs queries from several threads
        self._prefetched: set = set()  # query texts whose parse was started (ask, then run)

    @property
    def store(self) -> ox.Store:
        self._fill(None)
        return self._store

    def _store_for(self, text: str, prefixes: dict | None) -> ox.Store:
        from .predicates import query_predicates

        self._fill(query_predicates(text, prefixes))
        return self._store

    def prefetch(self, text: str, prefixes: dict | None = None) -> None:
        """Start parsing what ``text`` will read in another thread (pyoxigraph parses without
        the GIL), so it overlaps whatever runs before the query, e.g. resolving its
        parameters' words (about 9 ms of a 70 ms cold query). The query's own fill waits on
        the same lock; an error here is left for that fill to meet."""
        if self._graph is None or text in self._prefetched:
            return
        self._prefetched.add(text)
        import threading

        def fill() -> None:
            try:
                self._store_for(text, prefixes)
            except Exception:  # noqa: BLE001 - the query's own fill raises it
                pass

        threading.Thread(target=fill, name="etom-kg-prefetch", daemon=True).start()

    def _fill(self, predicates) -> None:
        from .cache import CacheError

        with self._lock:
            if self._graph is None:
                return
            try:
                self._graph.load(self._store, predicates)
                if not self._graph.complete():
                    return
            except CacheError:  # checksummed, so only a bug gets here: fall back to reasoning
                self._store = ox.Store()
                prepare_reasoned(self._store)
            self._graph = None  # complete: the file's bytes can go


class RdflibBackend:
    """Runs SPARQL over an rdflib graph (used for comparison and by rdflib users)."""

    name = "rdflib"

    def __init__(self, graph):
        self.graph = graph

    def __len__(self) -> int:
        return len(self.graph)

    def run(self, text: str, bindings: dict | None = None, prefixes: dict | None = None,
            max_rows: int | None = None) -> Result:
        import rdflib
        from pyparsing import ParseException

        bindings = dict(bindings or {})
        written = text  # as written: the order of a SELECT *
        if any(isinstance(v, list) for v in bindings.values()):
            from .queries import inject_values  # several values: rows of a VALUES block

            text, bindings = inject_values(text, bindings), {}
        init = {rdflib.Variable(k): _term_to_rdflib(v) for k, v in bindings.items()}
        try:
            answer = self.graph.query(text, initBindings=init, initNs=prefixes or {})
        except ParseException as e:
            raise QueryError(f"SPARQL syntax error: {e}") from None
        if answer.type == "ASK":
            return Result([], [], boolean=bool(answer.askAnswer))
        if answer.type in ("CONSTRUCT", "DESCRIBE"):
            triples = [tuple(_rdflib_to_term(x) for x in t) for t in _at_most(answer, max_rows)]
            return Result(["subject", "predicate", "object"], triples)
        from .queries import projection_order

        variables = projection_order(written, [str(v) for v in answer.vars])  # SELECT *: the query's order
        rows = [tuple(_rdflib_to_term(row[rdflib.Variable(v)]) for v in variables) for row in _at_most(answer, max_rows)]
        return Result(variables, rows)


def _term_to_rdflib(t: Term):
    import rdflib

    if t.kind == "uri":
        return rdflib.URIRef(t.value)
    if t.kind == "bnode":
        return rdflib.BNode(t.value)
    return rdflib.Literal(t.value, lang=t.lang, datatype=rdflib.URIRef(t.datatype) if t.datatype else None)


def _rdflib_to_term(x) -> Term | None:
    import rdflib

    if x is None:
        return None
    if isinstance(x, rdflib.URIRef):
        return Term.uri(str(x))
    if isinstance(x, rdflib.BNode):
        return Term("bnode", str(x))
    if isinstance(x, rdflib.Literal):
        return Term.literal(str(x), str(x.datatype) if x.datatype else None, x.language)
    raise QueryError(f"unsupported term in result: {x!r}")


# --------------------------------------------------------------------------- embedded store


def _cache_dir_name() -> str | None:
    configured = os.environ.get(CACHE_ENV)
    if configured is not None:
        return None if configured.strip().lower() in ("", "off", "none", "0") else configured
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "etom-kg")


def cache_dir() -> Path | None:  # noqa: F821 (pathlib is imported lazily)
    """Where the reasoned graph is cached; None when caching is switched off."""
    from pathlib import Path

    d = _cache_dir_name()
    return None if d is None else Path(d)


# The files whose content decides what the reasoned embedded graph holds (the rules, the
# search keys and their normalisation).
PREPARING_MODULES = ("rules.py", "store.py", "search.py", "text.py", "words/stopwords-en.txt", "words/stopwords-es.txt")


def cache_key() -> str:
    """Changes whenever the ontology, the code that prepares it or the package version change."""
    from .resources import ontology_bytes, package_file

    return checksum_key([__version__.encode(), ontology_bytes(), *(package_file(m).read_bytes() for m in PREPARING_MODULES)])


def checksum_key(parts) -> str:
    """16 hex digits that change with any of the byte strings ``parts``: CRC-32 and Adler-32
    of each, framed by its length (64 bits of key; a cache key, not a signature). zlib
    checksums the ~1 MB of the reasoned graph's key in 0.2 ms, where importing hashlib alone
    costs a cold query 3 ms."""
    import zlib

    crc, adler = 0, 1
    for part in parts:
        framed = len(part).to_bytes(8, "big") + part
        crc, adler = zlib.crc32(framed, crc), zlib.adler32(framed, adler)
    return f"{crc:08x}{adler:08x}"


def _reasoned_cache_file() -> str | None:
    # str, not Path: importing pathlib costs a cold query 3-8 ms
    d = _cache_dir_name()
    return None if d is None else os.path.join(d, f"etom-reasoned-{cache_key()}.nt")


def reasoned_cache_path() -> Path | None:  # noqa: F821 (pathlib is imported lazily)
    from pathlib import Path

    f = _reasoned_cache_file()
    return None if f is None else Path(f)


def write_atomically(path, data: bytes) -> None:
    """:func:`etom_kg.files.write_atomically`, imported only when something is written: that
    module's imports (tempfile, shutil, pathlib) would cost every cold query ~15 ms."""
    from .files import write_atomically as write

    write(path, data)


def load_embedded(store: ox.Store) -> None:
    from .resources import ontology_bytes

    store.load(ontology_bytes(), format=ox.RdfFormat.TURTLE)


def prepare_reasoned(store: ox.Store) -> None:
    """Fill the empty ``store`` with the embedded graph as queries see it: the ontology
    and its OWL 2 RL closure. What this adds is cached (see :func:`default_store`)."""
    from .rules import materialize
    from .search import add_search_keys

    load_embedded(store)
    materialize(store)
    add_search_keys(store)


def default_store(reasoned: bool = True) -> OxigraphBackend:
    """The embedded eTOM graph in an in-memory oxigraph store, reasoned by default."""
    store = ox.Store()
    if not reasoned:
        load_embedded(store)
        return OxigraphBackend(store)
    from . import cache

    path = _reasoned_cache_file()
    cached = None if path is None else cache.open_cache(path)
    if cached is not None:
        return _embedded(EmbeddedBackend(cached))
    prepare_reasoned(store)
    if path is not None:
        cache.save(path, store)  # a cache that cannot be written only costs the next run the reasoning
    return _embedded(OxigraphBackend(store))


def _embedded(backend: OxigraphBackend) -> OxigraphBackend:
    backend.embedded = True  # the resolver may cache its name tables beside the reasoned graph
    return backend


def open_persistent(path) -> OxigraphBackend:
    """A store built by ``etom-kg load`` (see etom_kg.commands.store)."""
    from pathlib import Path

    from .errors import InputError

    p = Path(path)
    if not p.is_dir():
        raise InputError(f"{p}: no such store directory (build one with 'etom-kg load FILES --store {p}')")
    try:
        return OxigraphBackend(ox.Store.read_only(str(p)))
    except OSError as e:
        raise InputError(f"{p}: cannot open the store: {e}") from None
