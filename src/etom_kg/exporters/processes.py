"""Reading the eTOM processes of an rdflib graph: which they are, their level, labels, ids.

Shared by the SKOS, ArchiMate and CSV exporters and by the application linker, so every
format agrees on what a process is.
"""

from __future__ import annotations

from ..namespaces import ETOM, RDFS, SKOS


def process_iris(graph) -> list:
    """Every process of ``graph`` (an IRI typed with etom:Process or a subclass), sorted."""
    query = f"""SELECT DISTINCT ?p WHERE {{
        ?p a ?c . ?c <{RDFS}subClassOf>* <{ETOM}Process> . FILTER(isIRI(?p)) }}"""
    return sorted((row[0] for row in graph.query(query)), key=str)


def levels(graph) -> dict:
    """{process: level}: from the level classes it is typed with (through subclassing),
    else from its depth below a process without a parent."""
    from rdflib import URIRef

    query = f"""SELECT ?p (MIN(?n) AS ?level) WHERE {{
        ?p a ?c . ?c <{RDFS}subClassOf>* ?k . ?k <{ETOM}levelNumber> ?n . FILTER(isIRI(?p)) }} GROUP BY ?p"""
    found = {row[0]: int(row[1]) for row in graph.query(query)}
    part_of = URIRef(f"{ETOM}directlyPartOf")
    for p in process_iris(graph):
        if p not in found:
            depth, node, seen = 0, p, {p}
            while (parent := graph.value(node, part_of)) is not None and parent not in seen:
                depth, node = depth + 1, parent
                seen.add(parent)
            found[p] = depth
    return found


def preferred_labels(graph, node) -> dict:
    """{language: label}, one per language: skos:prefLabel first, then rdfs:label.

    A node without language-tagged labels gets its plain label, or its IRI's last part,
    under the key "" so every process has a name in every format.
    """
    from rdflib import Literal, URIRef

    chosen: dict = {}
    for prop in (f"{SKOS}prefLabel", f"{RDFS}label"):
        for label in sorted(graph.objects(node, URIRef(prop)), key=lambda x: (x.language or "", str(x))):
            if isinstance(label, Literal) and (label.language or "") not in chosen:
                chosen[label.language or ""] = label
    if not chosen:
        chosen[""] = Literal(local_name(str(node)))
    return chosen


def local_name(iri: str) -> str:
    for sep in ("#", "/", ":"):
        if sep in iri.rstrip(sep):
            return iri.rstrip(sep).rsplit(sep, 1)[-1]
    return iri
