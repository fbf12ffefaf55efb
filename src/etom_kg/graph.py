"""Loading graphs: the embedded ontology and users' files.

Users' files are parsed by pyoxigraph: it is fast, it names the line and column of a
syntax error, and it never fetches anything (a remote JSON-LD context is an error, and
``owl:imports`` is just a triple).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pyoxigraph as ox

from .errors import InputError

if TYPE_CHECKING:
    import rdflib

INPUT_FORMATS = {
    ".ttl": ox.RdfFormat.TURTLE,
    ".turtle": ox.RdfFormat.TURTLE,
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".ntriples": ox.RdfFormat.N_TRIPLES,
    ".nq": ox.RdfFormat.N_QUADS,
    ".trig": ox.RdfFormat.TRIG,
    ".rdf": ox.RdfFormat.RDF_XML,
    ".owl": ox.RdfFormat.RDF_XML,
    ".xml": ox.RdfFormat.RDF_XML,
    ".jsonld": ox.RdfFormat.JSON_LD,
    ".json": ox.RdfFormat.JSON_LD,
    ".n3": ox.RdfFormat.N3,
}


def input_format(path: Path) -> ox.RdfFormat:
    fmt = INPUT_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InputError(
            f"{path}: unknown RDF file extension {path.suffix or '(none)'!r}; valid: "
            + ", ".join(sorted(INPUT_FORMATS))
        )
    return fmt


def read_into_store(store: ox.Store, path: str | Path, *, graph=None) -> None:
    """Parse one file into ``store`` (default graph unless ``graph`` is given).

    Everything is parsed before anything is added, so a malformed file adds nothing.
    """
    path = Path(path)
    fmt = input_format(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    from .limits import check_rdf_file

    check_rdf_file(path, fmt)
    try:
        quads = list(ox.parse(path=str(path), format=fmt, base_iri=path.resolve().as_uri()))
    except SyntaxError as e:
        raise InputError(f"{path}: malformed {fmt.name}: {_position(e)}") from None
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"{path}: cannot read: {e}") from None
    except MemoryError as e:
        raise InputError(f"{path}: {_too_large(e)}") from None
    target = ox.DefaultGraph() if graph is None else graph
    if fmt in (ox.RdfFormat.TRIG, ox.RdfFormat.N_QUADS) and graph is None:
        store.extend(quads)
    else:
        store.extend(ox.Quad(q.subject, q.predicate, q.object, target) for q in quads)


def _too_large(e: MemoryError) -> str:
    if "buffer maximal size" in str(e):  # pyoxigraph's parsers hold one token in a 16 MiB buffer
        return "a single literal or IRI is longer than 16 MiB, the parser's limit"
    return "too large to parse in this machine's memory"


def _position(e: SyntaxError) -> str:
    text = str(e)
    # pyoxigraph appends "(file, line N)" from Python's SyntaxError; keep its own message.
    return text.split(" (", 1)[0] if text.endswith(")") and ", line " in text else text


def load_ontology() -> "rdflib.Graph":
    """The asserted embedded graph as a new rdflib graph."""
    import rdflib

    from .namespaces import PREFIXES
    from .resources import ontology_bytes

    g = rdflib.Graph()
    for prefix, ns in PREFIXES.items():
        g.bind(prefix, ns, override=True)
    g.parse(data=ontology_bytes(), format="turtle")
    return g


def load_graph(*sources: str | Path, include_ontology: bool = True) -> "rdflib.Graph":
    """The embedded ontology (optional) plus users' files, as a new rdflib graph."""
    store = ox.Store()
    if include_ontology:
        from .store import load_embedded

        load_embedded(store)
    for source in sources:
        read_into_store(store, source)
    return store_to_rdflib(store)


def store_to_rdflib(store: ox.Store) -> "rdflib.Graph":
    import rdflib

    from .namespaces import PREFIXES

    g = rdflib.Graph()
    for prefix, ns in PREFIXES.items():
        g.bind(prefix, ns, override=True)
    data = store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph())
    g.parse(data=data.decode("utf-8"), format="nt")
    return g


def load_schema() -> "rdflib.Graph":
    """Only the metamodel of the embedded ontology (no processes, no concepts)."""
    import rdflib

    from .namespaces import ETOMC, PROC

    full = load_ontology()
    schema = rdflib.Graph()
    for prefix, ns in full.namespaces():
        schema.bind(prefix, ns, override=True)
    for s, p, o in full:
        if not str(s).startswith((PROC, ETOMC)):
            schema.add((s, p, o))
    return schema
