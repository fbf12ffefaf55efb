"""Query backends and the embedded default store.

The command line answers from a pyoxigraph store holding the *reasoned* embedded graph.
The graph is prepared once (:func:`prepare_reasoned`: parse the ontology, close it under
the fast rules) and cached by :mod:`etom_kg.cache` under a key made of the ontology file,
the source files of the modules that prepare it (path, size and modification time of
each) and the package version, so editing any of them invalidates it; the cache verifies
itself and is rebuilt when damaged. rdflib is never imported on this path.
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

    def _store_for(self, text: str, prefixes: dict | None, bindings: dict | None = None) -> ox.Store:
        """The store that answers ``text`` (the subclass below fills it on demand)."""
        return self.store

    def run(self, text: str, bindings: dict | None = None, prefixes: dict | None = None,
            max_rows: int | None = None) -> Result:
        from .queries import inject_values

        try:
            answer = self._store_for(text, prefixes, bindings).query(inject_values(text, bindings or {}), prefixes=prefixes)
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
    :mod:`etom_kg.predicates`), and of a predicate it looks up by bound strings only the
    cache's buckets of those strings; ``.store``, ``len()`` and any query the scan is
    unsure of parse everything. Answers are those of the full graph.

    ``graph`` is an :class:`etom_kg.cache.CachedGraph`, or the cache file's path: then the
    file is opened by the first query (or prefetch), and when it is missing or damaged
    the graph is reasoned there and the cache written again."""

    def __init__(self, graph):
        import threading

        self._graph = graph
        self.cache_path = graph if isinstance(graph, str) else getattr(graph, "path", None)
        self._store = ox.Store()
        self._lock = threading.Lock()  # `serve` runs queries from several threads
        self._prefetched: set = set()  # query texts whose parse was started (ask, then run)

    @property
    def store(self) -> ox.Store:
        self._fill(None)
        return self._store

    def _store_for(self, text: str, prefixes: dict | None, bindings: dict | None = None) -> ox.Store:
        from .predicates import scan

        iris, lookups = scan(text, prefixes)
        self._fill(iris, _bound_values(lookups, bindings or {}) if iris is not None else None)
        return self._store

    def prefetch(self, text: str, prefixes: dict | None = None, bound=()) -> None:
        """Start parsing what ``text`` will read in another thread (pyoxigraph parses without
        the GIL), so it overlaps whatever runs before the query, e.g. resolving its
        parameters' words (about 9 ms of a 40 ms cold query). Predicates looked up only by
        the variables ``bound`` (names the query's run will bind) are left for the run,
        which parses just the buckets of their values.

        The segments are read here (under a millisecond): a thread that needed the GIL
        again while the words are resolved could wait the interpreter's switch interval
        (5 ms) each time. The lock taken here is released by the parsing thread, so the
        query's own fill waits for it; an error is left for that fill to meet."""
        if self._graph is None or text in self._prefetched:
            return
        self._prefetched.add(text)
        from .predicates import scan

        iris, lookups = scan(text, prefixes)
        later = {p: () for p, names in lookups.items() if names <= set(bound)} if iris is not None else None
        self._lock.acquire()
        try:
            if self._open(rebuild=False) is None:  # missing: reasoned by the query's own fill
                self._lock.release()
                return
            batch = self._graph.read(self._store, iris, later)
        except Exception:  # noqa: BLE001 - the query's own fill raises it
            self._lock.release()
            return
        import threading

        def parse() -> None:
            try:
                self._store = self._graph.parse(batch)
            except Exception:  # noqa: BLE001 - the query's own fill raises it
                pass
            finally:
                self._lock.release()

        try:
            threading.Thread(target=parse, name="etom-kg-prefetch", daemon=True).start()
        except RuntimeError:  # no thread to be had: the query's own fill parses it
            self._lock.release()

    def _open(self, rebuild: bool = True):
        """The CachedGraph (opening the file if needed), or None when the graph is complete
        or, with ``rebuild`` false, when the file is missing or damaged (otherwise the graph
        is then reasoned again and cached). Call with the lock held."""
        from . import cache

        if isinstance(self._graph, str):
            opened = cache.open_cache(self._graph)
            if opened is None:
                if rebuild:
                    self._rebuild()
                return None
            self._graph = opened
        return self._graph

    def _rebuild(self) -> None:
        """Reason the graph again (the cache was missing or damaged) and cache it."""
        from . import cache

        path = self._graph if isinstance(self._graph, str) else getattr(self._graph, "path", None)
        if not isinstance(self._graph, str) and self._graph is not None:
            self._graph.close()
        store = ox.Store()
        prepare_reasoned(store)
        self._store, self._graph = store, None
        if path is not None:
            cache.save(path, store)  # a cache that cannot be written only costs the next run the reasoning

    def _fill(self, predicates, values=None) -> None:
        from .cache import CacheError

        with self._lock:
            try:
                if self._open() is None:
                    return
                self._store = self._graph.load(self._store, predicates, values)
                if self._graph.complete():
                    self._graph = None  # complete: the file can go
            except CacheError:  # damaged: reason again, and cache that
                self._rebuild()


def _bound_values(lookups: dict, bindings: dict) -> dict:
    """For each predicate the query looks up only by variables, the strings those
    variables are bound to, when all of them are."""
    values = {}
    for predicate, names in lookups.items():
        if names and all(n in bindings for n in names):
            values[predicate] = {t.value for n in names
                                 for t in (bindings[n] if isinstance(bindings[n], list) else [bindings[n]])}
    return values


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
    """Changes whenever the ontology, the code that prepares it or the package version change.

    A file on disk stands in by its path, size and modification time (as CPython's own
    bytecode cache does): reading and checksumming the 1.3 MB ontology on every cold query
    cost 2 ms. A file that is not on disk (a zip import) stands in by its bytes."""
    from .resources import ontology_file, package_file

    return checksum_key([__version__.encode(), *map(_stamp, [ontology_file(), *map(package_file, PREPARING_MODULES)])])


def _stamp(node) -> bytes:
    """What stands in for a packaged file in the cache key."""
    try:
        st = os.stat(node)
    except TypeError:  # not a file system path
        return node.read_bytes()
    except OSError:
        return b"missing " + os.fsencode(node)
    return b"%s\0%d\0%d" % (os.fsencode(node), st.st_size, st.st_mtime_ns)


def checksum_key(parts) -> str:
    """16 hex digits that change with any of the byte strings ``parts``: CRC-32 and Adler-32
    of each, framed by its length (64 bits of key; a cache key, not a signature). zlib
    checksums the ~1 MB of the reasoned graph's key in 0.2 ms, where importing hashlib alone
    costs a cold query 3 ms."""
    import zlib

    crc, adler = 0, 1
    for part in parts:
        size = len(part).to_bytes(8, "big")  # not prepended: copying the 1.3 MB ontology costs 0.5 ms
        crc, adler = zlib.crc32(part, zlib.crc32(size, crc)), zlib.adler32(part, zlib.adler32(size, adler))
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
    path = _reasoned_cache_file()
    if path is not None:  # opened (or, when missing or damaged, made) by the first query
        return _embedded(EmbeddedBackend(path))
    prepare_reasoned(store)
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
