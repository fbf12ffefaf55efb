"""Query backends and the embedded default store.

The command line answers from a pyoxigraph store holding the *reasoned* embedded graph.
The closure is computed once (fast rules, ~30 ms) and cached as N-Triples under a key
made of the ontology's bytes, the rules' source and the package version, so editing
either invalidates it. rdflib is never imported on this path.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pyoxigraph as ox

from . import __version__
from .errors import QueryError
from .files import write_atomically  # noqa: F401  (the cache and older callers use it from here)
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

    def run(self, text: str, bindings: dict | None = None, prefixes: dict | None = None,
            max_rows: int | None = None) -> Result:
        from .queries import inject_values

        try:
            answer = self.store.query(inject_values(text, bindings or {}), prefixes=prefixes)
        except SyntaxError as e:
            raise QueryError(f"SPARQL syntax error: {e}") from None
        if isinstance(answer, ox.QueryBoolean):
            return Result([], [], boolean=bool(answer))
        if isinstance(answer, ox.QueryTriples):
            triples = [(ox_to_term(t.subject), ox_to_term(t.predicate), ox_to_term(t.object))
                       for t in _at_most(answer, max_rows)]
            return Result(["subject", "predicate", "object"], triples)
        variables = [v.value for v in answer.variables]
        rows = [tuple(ox_to_term(sol[v]) for v in variables) for sol in _at_most(answer, max_rows)]
        return Result(variables, rows)


def _at_most(items, max_rows: int | None):
    """Iterate, but stop with a QueryError past ``max_rows`` (the answer would not fit)."""
    for n, item in enumerate(items, start=1):
        if max_rows is not None and n > max_rows:
            raise QueryError(f"the answer has more than {max_rows} rows; add LIMIT to the query or raise --max-rows")
        yield item


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
        variables = [str(v) for v in answer.vars]
        rows = [tuple(_rdflib_to_term(row[v]) for v in answer.vars) for row in _at_most(answer, max_rows)]
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


def cache_dir() -> Path | None:
    """Where the reasoned graph is cached; None when caching is switched off."""
    configured = os.environ.get(CACHE_ENV)
    if configured is not None:
        return None if configured.strip().lower() in ("", "off", "none", "0") else Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "etom-kg"


def cache_key() -> str:
    """Changes whenever the ontology, the reasoning rules or the package version change."""
    from .resources import ontology_bytes, package_file

    h = hashlib.sha256()
    parts = [__version__.encode(), ontology_bytes()]
    parts += [package_file(name).read_bytes() for name in ("rules.py", "search.py", "text.py",
                                                           "words/stopwords-en.txt", "words/stopwords-es.txt")]
    for part in parts:
        h.update(len(part).to_bytes(8, "big"))
        h.update(part)
    return h.hexdigest()[:24]


def reasoned_cache_path() -> Path | None:
    d = cache_dir()
    return None if d is None else d / f"etom-reasoned-{cache_key()}.nt"


def load_embedded(store: ox.Store) -> None:
    from .resources import ontology_bytes

    store.load(ontology_bytes(), format=ox.RdfFormat.TURTLE)


def default_store(reasoned: bool = True) -> OxigraphBackend:
    """The embedded eTOM graph in an in-memory oxigraph store, reasoned by default."""
    store = ox.Store()
    if not reasoned:
        load_embedded(store)
        return OxigraphBackend(store)
    path = reasoned_cache_path()
    if path is not None and path.is_file():
        try:
            store.load(path=str(path), format=ox.RdfFormat.N_TRIPLES)
            return _embedded(store)
        except (SyntaxError, OSError):
            store = ox.Store()  # a damaged cache file is rebuilt below
    from .rules import materialize
    from .search import add_search_keys

    load_embedded(store)
    materialize(store)
    add_search_keys(store)
    if path is not None:
        try:
            write_atomically(path, store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph()))
        except OSError:
            pass  # a read-only cache location only costs the next run ~30 ms
    return _embedded(store)


def _embedded(store: ox.Store) -> OxigraphBackend:
    backend = OxigraphBackend(store)
    backend.embedded = True  # the resolver may cache its name tables beside the reasoned graph
    return backend


def open_persistent(path) -> OxigraphBackend:
    """A store built by ``etom-kg load`` (see etom_kg.commands.store)."""
    from .errors import InputError

    p = Path(path)
    if not p.is_dir():
        raise InputError(f"{p}: no such store directory (build one with 'etom-kg load FILES --store {p}')")
    try:
        return OxigraphBackend(ox.Store.read_only(str(p)))
    except OSError as e:
        raise InputError(f"{p}: cannot open the store: {e}") from None
