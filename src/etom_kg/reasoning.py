"""OWL 2 RL reasoning. The asserted graph is never mutated; the closure is a new graph.

Two reasoners give the same entailments for the axiom kinds the ontology uses:

* ``"rules"`` (default): schema-compiled rules run inside pyoxigraph (:mod:`etom_kg.rules`),
  hundreds of times faster than owlrl;
* ``"owlrl"``: the reference OWL 2 RL implementation, kept as the oracle.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .errors import ReasoningError

if TYPE_CHECKING:
    import rdflib

REASONERS = ("rules", "owlrl")
OWLRL_ERROR_CLASS = "http://www.daml.org/2002/03/agents/agent-ont#ErrorMessage"
OWLRL_ERROR_TEXT = "http://www.daml.org/2002/03/agents/agent-ont#error"
OWL_SAME_AS = "http://www.w3.org/2002/07/owl#sameAs"
OWL_THING = "http://www.w3.org/2002/07/owl#Thing"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
XSD = "http://www.w3.org/2001/XMLSchema#"
RDFS_DATATYPE = "http://www.w3.org/2000/01/rdf-schema#Datatype"
RDF_LANGSTRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
RDF_PLAINLITERAL = "http://www.w3.org/1999/02/22-rdf-syntax-ns#PlainLiteral"
RDF_XMLLITERAL = "http://www.w3.org/1999/02/22-rdf-syntax-ns#XMLLiteral"


def expand(graph: "rdflib.Graph", reasoner: str = "rules", *, search_keys: bool = True) -> "rdflib.Graph":
    """Return a new rdflib graph holding ``graph`` plus its OWL 2 RL entailments, and (unless
    ``search_keys=False``) the ``etom:searchKey`` of every name, as every queried graph has."""
    from .search import add_search_keys_rdflib

    if reasoner in REASONERS:
        closure = _expand_owlrl(graph) if reasoner == "owlrl" else _expand_rules(graph)
        return add_search_keys_rdflib(closure) if search_keys else closure
    raise ReasoningError(f"unknown reasoner {reasoner!r}; valid: {', '.join(REASONERS)}")


def _expand_owlrl(graph: "rdflib.Graph") -> "rdflib.Graph":
    import owlrl
    import rdflib

    closure = rdflib.Graph()
    for prefix, ns in graph.namespaces():
        closure.bind(prefix, ns, override=True)
    for triple in graph:
        closure.add(triple)
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics).expand(closure)
    errors = sorted(
        str(closure.value(node, rdflib.URIRef(OWLRL_ERROR_TEXT)))
        for node in closure.subjects(rdflib.RDF.type, rdflib.URIRef(OWLRL_ERROR_CLASS))
    )
    if errors:
        raise ReasoningError("the graph is inconsistent: " + "; ".join(errors))
    return closure


def _expand_rules(graph: "rdflib.Graph") -> "rdflib.Graph":
    import pyoxigraph as ox
    import rdflib

    from .rules import materialize

    store = ox.Store()
    store.load(graph.serialize(format="nt", encoding="utf-8"), format=ox.RdfFormat.N_TRIPLES)
    materialize(store)
    data = store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph())
    closure = rdflib.Graph()
    for prefix, ns in graph.namespaces():
        closure.bind(prefix, ns, override=True)
    closure.parse(data=data.decode("utf-8"), format="nt")
    return closure


def is_owlrl_noise(triple) -> bool:
    """True for owlrl output that carries no information about the data.

    ``x owl:sameAs x``, triples whose subject is a literal, ``owl:Thing`` typing, and the
    datatype axioms owlrl adds (``xsd:string a rdfs:Datatype`` and the like).
    """
    import rdflib

    s, p, o = triple
    if isinstance(s, rdflib.Literal):
        return True
    if str(p) == OWL_SAME_AS and s == o:
        return True
    if str(p) == RDF_TYPE and str(o) in (OWL_THING, RDFS_DATATYPE):
        return True
    if str(s).startswith(XSD) or str(s) in (RDF_LANGSTRING, RDF_PLAINLITERAL, RDF_XMLLITERAL):
        return True
    return False


def closure_difference(reference: "rdflib.Graph", candidate: "rdflib.Graph"):
    """(only in reference, only in candidate) after removing owlrl noise, blank nodes matched."""
    import rdflib
    from rdflib.compare import graph_diff, to_isomorphic

    def clean(g):
        out = rdflib.Graph()
        for t in g:
            if not is_owlrl_noise(t):
                out.add(t)
        return to_isomorphic(out)

    _both, only_ref, only_cand = graph_diff(clean(reference), clean(candidate))
    return only_ref, only_cand
