"""SSSOM/TSV export of the links to the companion TM Forum frameworks (issue 12).

One row per mapping record of the graph (etom:Mapping: a link a TM Forum document states,
justification semapv:ManualMappingCuration) and one per candidate Open API derived through a
functional block (process in block, block exposes API; semapv:MappingChaining). Predicates are
skos:relatedMatch: the frameworks relate, they do not define the same thing. The precise
property of this graph, the source document with its release and the table row travel in
``comment`` and ``mapping_source``.

Written with the standard library only; the ``sssom`` package validates it in the tests.
"""

from __future__ import annotations

from ..namespaces import ETOM, ETOMC, PROC, SKOS

MAPPING_NS = "https://w3id.org/etom-kg/mapping/"
SEMAPV = "https://w3id.org/semapv/vocab/"
CURIE_MAP = {
    "etom": ETOM,
    "etomc": ETOMC,
    "etommap": MAPPING_NS,
    "proc": PROC,
    "semapv": SEMAPV,
    "skos": SKOS,
}
COLUMNS = ("record_id", "subject_id", "subject_label", "predicate_id", "object_id", "object_label",
           "mapping_justification", "mapping_source", "comment")
MAPPING_SET_ID = "https://w3id.org/etom-kg/mappings/tmf-links.sssom.tsv"

_STATED = f"""
PREFIX etom: <{ETOM}>
PREFIX skos: <{SKOS}>
SELECT ?record ?subject ?subject_label ?object ?object_label ?property ?document ?release ?row
WHERE {{
  ?record a etom:Mapping ; etom:mappingSubject ?subject ; etom:mappingObject ?object ;
      etom:mappingProperty ?property ; etom:statedIn ?document .
  OPTIONAL {{ ?record etom:sourceRow ?row }}
  OPTIONAL {{ ?document etom:release ?release }}
  OPTIONAL {{ ?subject skos:prefLabel ?subject_label FILTER(lang(?subject_label) = "en") }}
  OPTIONAL {{ ?object skos:prefLabel ?object_label FILTER(lang(?object_label) = "en") }}
}}"""

_DERIVED = f"""
PREFIX etom: <{ETOM}>
PREFIX skos: <{SKOS}>
SELECT DISTINCT ?process ?process_label ?api ?api_label ?block ?code ?row1 ?row2
WHERE {{
  ?r1 a etom:Mapping ; etom:mappingSubject ?process ; etom:mappingObject ?block ;
      etom:mappingProperty etom:inFunctionalBlock .
  ?r2 a etom:Mapping ; etom:mappingSubject ?block ; etom:mappingObject ?api ;
      etom:mappingProperty etom:exposesApi .
  ?block etom:tmfId ?code .
  OPTIONAL {{ ?r1 etom:sourceRow ?row1 }}
  OPTIONAL {{ ?r2 etom:sourceRow ?row2 }}
  OPTIONAL {{ ?process skos:prefLabel ?process_label FILTER(lang(?process_label) = "en") }}
  OPTIONAL {{ ?api skos:prefLabel ?api_label FILTER(lang(?api_label) = "en") }}
}}"""


def curie(iri) -> str:
    text = str(iri)
    for prefix, ns in sorted(CURIE_MAP.items(), key=lambda kv: -len(kv[1])):
        if text.startswith(ns):
            return f"{prefix}:{text[len(ns):]}"
    return text


def _cell(value) -> str:
    return "" if value is None else str(value).replace("\t", " ").replace("\n", " ")


def rows(graph) -> list[dict]:
    """The SSSOM rows of ``graph``, sorted; stated mappings first, then derived candidates."""
    out = []
    for r in graph.query(_STATED):
        where = f"{curie(r.document).split(':', 1)[1]}" + (f" v{r.release}" if r.release else "")
        line = f", ontology/tmf/mappings.csv line {r.row}" if r.row is not None else ""
        out.append({
            "record_id": curie(r.record), "subject_id": curie(r.subject), "subject_label": r.subject_label,
            "predicate_id": "skos:relatedMatch", "object_id": curie(r.object), "object_label": r.object_label,
            "mapping_justification": "semapv:ManualMappingCuration", "mapping_source": curie(r.document),
            "comment": f"stated by {where}{line}; in this graph: {curie(r.property)}",
        })
    for r in graph.query(_DERIVED):
        record = f"{MAPPING_NS}derived/{curie(r.process).split(':', 1)[1]}--{curie(r.api).split(':', 1)[1]}--{r.code}"
        out.append({
            "record_id": curie(record), "subject_id": curie(r.process), "subject_label": r.process_label,
            "predicate_id": "skos:relatedMatch", "object_id": curie(r.api), "object_label": r.api_label,
            "mapping_justification": "semapv:MappingChaining", "mapping_source": "etomc:GB1022",
            "comment": (f"candidate, derived through functional block {r.code}: the process is in the block "
                        f"(line {r.row1}) and the block exposes the API (line {r.row2}); in this graph: etom:candidateApi"),
        })
    order = {"semapv:ManualMappingCuration": 0, "semapv:MappingChaining": 1}
    return sorted(out, key=lambda d: (order[d["mapping_justification"]], d["record_id"]))


def to_sssom(graph) -> bytes:
    """SSSOM/TSV: a YAML metadata block (lines starting with #), then one mapping per row."""
    from .. import __version__

    meta = [
        "curie_map:", *(f"  {p}: {ns}" for p, ns in sorted(CURIE_MAP.items())),
        f"mapping_set_id: {MAPPING_SET_ID}",
        f"mapping_set_version: {__version__}",
        "mapping_set_title: eTOM Operations processes linked to TM Forum Open APIs, ODA functional blocks, "
        "SID ABEs and end-to-end flows",
        "mapping_set_description: Links stated by GB1022, GB921E and GB991 (public tables, eTOM keys translated "
        "through GB921 v21 identifiers) and Open API candidates derived through ODA functional blocks.",
        "license: https://creativecommons.org/licenses/by/4.0/",
        "mapping_provider: https://w3id.org/etom-kg/ontology",
    ]
    lines = [f"# {m}" for m in meta]
    lines.append("\t".join(COLUMNS))
    for row in rows(graph):
        lines.append("\t".join(_cell(row[c]) for c in COLUMNS))
    return ("\n".join(lines) + "\n").encode("utf-8")
