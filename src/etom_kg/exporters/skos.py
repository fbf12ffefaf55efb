"""The process hierarchy as a SKOS concept scheme, for taxonomy tools (VocBench, Skosmos).

Each process becomes a ``skos:Concept`` (same IRI) in one ``skos:ConceptScheme``;
decomposition becomes ``skos:broader``/``skos:narrower`` (both directions written, as
qSKOS expects), Level-0 areas are the top concepts, labels and definitions keep both
languages, the classic identifier is the ``skos:notation``.
"""

from __future__ import annotations

from ..namespaces import DCTERMS, ETOM, ETOMC, ONTOLOGY_IRI, OWL, PREFIXES, SKOS
from .processes import preferred_labels, process_iris

SCHEME = f"{ETOMC}ProcessScheme"
SCHEME_LABELS = {"en": "eTOM Operations process hierarchy", "es": "Jerarquía de procesos de Operaciones de eTOM"}
SCHEME_DEFINITIONS = {
    "en": "The processes of the eTOM Operations area and their decomposition, from the Level-0 areas down.",
    "es": "Los procesos del área de Operaciones de eTOM y su descomposición, desde las áreas de Nivel 0.",
}


def build(graph):
    """A new rdflib graph holding the SKOS view of ``graph``."""
    import rdflib
    from rdflib import Literal, URIRef

    skos = rdflib.Namespace(SKOS)
    etom = rdflib.Namespace(ETOM)
    out = rdflib.Graph()
    for prefix in ("etomc", "proc", "skos", "dcterms", "owl"):
        out.bind(prefix, PREFIXES[prefix], override=True)
    scheme = URIRef(SCHEME)
    out.add((scheme, rdflib.RDF.type, skos.ConceptScheme))
    for lang, text in SCHEME_LABELS.items():
        out.add((scheme, skos.prefLabel, Literal(text, lang=lang)))
    for lang, text in SCHEME_DEFINITIONS.items():
        out.add((scheme, skos.definition, Literal(text, lang=lang)))
    out.add((scheme, URIRef(f"{DCTERMS}source"), URIRef(ONTOLOGY_IRI)))
    for license_ in graph.objects(URIRef(ONTOLOGY_IRI), URIRef(f"{DCTERMS}license")):
        out.add((scheme, URIRef(f"{DCTERMS}license"), license_))

    processes = set(process_iris(graph))
    for p in sorted(processes, key=str):
        out.add((p, rdflib.RDF.type, skos.Concept))
        out.add((p, skos.inScheme, scheme))
        pref = preferred_labels(graph, p)
        for label in pref.values():
            out.add((p, skos.prefLabel, label))
        for prop in (skos.altLabel, skos.hiddenLabel):
            for label in graph.objects(p, prop):
                if isinstance(label, Literal) and label not in pref.values():
                    out.add((p, prop, label))
        for definition in graph.objects(p, skos.definition):
            out.add((p, skos.definition, definition))
        for notation in graph.objects(p, etom.classicId):
            out.add((p, skos.notation, Literal(str(notation))))
        parents = [o for o in graph.objects(p, etom.directlyPartOf) if o in processes]
        for parent in parents:
            out.add((p, skos.broader, parent))
            out.add((parent, skos.narrower, p))
        if not parents:
            out.add((p, skos.topConceptOf, scheme))
            out.add((scheme, skos.hasTopConcept, p))
        if (p, URIRef(f"{OWL}deprecated"), Literal(True)) in graph:
            out.add((p, URIRef(f"{OWL}deprecated"), Literal(True)))
            for replacement in graph.objects(p, URIRef(f"{DCTERMS}isReplacedBy")):
                out.add((p, URIRef(f"{DCTERMS}isReplacedBy"), replacement))
    return out


def to_skos(graph) -> bytes:
    from .turtle import to_turtle_bytes

    return to_turtle_bytes(build(graph), PREFIXES)

