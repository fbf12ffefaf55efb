"""Namespaces and prefixes, in one place."""

ETOM = "https://w3id.org/etom-kg/ontology#"
PROC = "https://w3id.org/etom-kg/process/"
ETOMC = "https://w3id.org/etom-kg/concept/"
ONTOLOGY_IRI = "https://w3id.org/etom-kg/ontology"

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"
XSD = "http://www.w3.org/2001/XMLSchema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
DCTERMS = "http://purl.org/dc/terms/"
VANN = "http://purl.org/vocab/vann/"

PREFIXES = {
    "etom": ETOM,
    "proc": PROC,
    "etomc": ETOMC,
    "rdf": RDF,
    "rdfs": RDFS,
    "owl": OWL,
    "xsd": XSD,
    "skos": SKOS,
    "dcterms": DCTERMS,
    "vann": VANN,
}
