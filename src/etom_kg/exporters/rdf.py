"""RDF serialisations: Turtle, N-Triples, RDF/XML, JSON-LD and TriG.

Every one of them parses back to a graph isomorphic with the one written (tests).
"""

from __future__ import annotations

import json

from ..namespaces import PREFIXES

GRAPH_BASE = "https://w3id.org/etom-kg/graph/"
ASSERTED_GRAPH = f"{GRAPH_BASE}asserted"
INFERRED_GRAPH = f"{GRAPH_BASE}inferred"
CONTEXT_FILE = "context.jsonld"


def to_turtle(graph) -> bytes:
    from .turtle import to_turtle_bytes

    return to_turtle_bytes(graph, PREFIXES)


def to_ntriples(graph) -> bytes:
    from .turtle import canonical_bnode_map, relabel

    mapping = canonical_bnode_map(graph)
    lines = {f"{s.n3()} {p.n3()} {o.n3()} ." for s, p, o in relabel(graph, mapping)}
    return ("".join(line + "\n" for line in sorted(lines))).encode("utf-8")


def to_rdfxml(graph) -> bytes:
    import rdflib

    # Plain RDF/XML: rdflib's "pretty-xml" nests blank nodes and can lose cyclic ones.
    out = rdflib.Graph()
    for prefix, ns in PREFIXES.items():
        out.bind(prefix, ns, override=True)
    out += graph
    return out.serialize(format="xml", encoding="utf-8")


def jsonld_context() -> dict:
    """The shipped JSON-LD context (``ontology/context.jsonld``), read from the package."""
    from ..resources import ontology_file

    return json.loads(ontology_file(CONTEXT_FILE).read_text(encoding="utf-8"))["@context"]


def to_jsonld(graph) -> bytes:
    """Compact JSON-LD whose ``@context`` is the shipped context, embedded.

    Embedding (rather than pointing at a URL) keeps the file self-contained: no reader,
    ours or anyone else's, has to fetch a remote context to understand it.
    """
    from .jsonld import to_jsonld_bytes

    return to_jsonld_bytes(graph, jsonld_context())


def to_trig(graph) -> bytes:
    """The asserted triples and the OWL 2 RL entailments in two named graphs."""
    from .turtle import to_trig_bytes

    closure = closure_keeping_bnodes(graph)
    inferred = closure - graph
    return to_trig_bytes([(ASSERTED_GRAPH, graph), (INFERRED_GRAPH, inferred)], PREFIXES)


def closure_keeping_bnodes(graph):
    """``graph`` plus its entailments (fast rules), with the input's blank nodes kept.

    :func:`etom_kg.reasoning.expand` round-trips through N-Triples, which renames blank
    nodes; splitting asserted from inferred triples needs the original ones.
    """
    import pyoxigraph as ox
    import rdflib

    from ..rules import materialize

    terms = _TermBridge()
    store = ox.Store()
    store.extend(ox.Quad(*(terms.to_ox(t) for t in triple)) for triple in graph)
    materialize(store)
    from ..search import add_search_keys

    add_search_keys(store)
    closure = rdflib.Graph()
    for prefix, ns in PREFIXES.items():
        closure.bind(prefix, ns, override=True)
    for q in store.quads_for_pattern(None, None, None, ox.DefaultGraph()):
        closure.add(tuple(terms.from_ox(t) for t in (q.subject, q.predicate, q.object)))
    return closure


class _TermBridge:
    """rdflib <-> pyoxigraph terms; each rdflib blank node maps to one oxigraph node and back."""

    def __init__(self):
        self.to_id: dict = {}
        self.from_id: dict = {}

    def to_ox(self, term):
        import pyoxigraph as ox
        import rdflib

        if isinstance(term, rdflib.URIRef):
            return ox.NamedNode(str(term))
        if isinstance(term, rdflib.BNode):
            if term not in self.to_id:
                self.to_id[term] = f"b{len(self.to_id)}"
                self.from_id[self.to_id[term]] = term
            return ox.BlankNode(self.to_id[term])
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))

    def from_ox(self, term):
        import pyoxigraph as ox
        import rdflib

        if isinstance(term, ox.NamedNode):
            return rdflib.URIRef(term.value)
        if isinstance(term, ox.BlankNode):
            return self.from_id.get(term.value) or rdflib.BNode(term.value)
        if term.language:
            return rdflib.Literal(term.value, lang=term.language)
        datatype = term.datatype.value if term.datatype else None
        if datatype == "http://www.w3.org/2001/XMLSchema#string":
            return rdflib.Literal(term.value)
        return rdflib.Literal(term.value, datatype=rdflib.URIRef(datatype) if datatype else None)
