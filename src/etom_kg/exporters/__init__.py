"""Exporter registry: each format's name, file extension and media type drive the CLI.

Importing this module is cheap; an exporter's code is imported only when it runs.
An exporter function takes an rdflib graph (plus the options it declares) and returns
bytes, or ``{file name: bytes}`` for the formats that write a directory.
"""

from __future__ import annotations

from typing import NamedTuple

from ..errors import InputError


class Exporter(NamedTuple):  # a NamedTuple, not a dataclass: dataclasses cost ~10 ms at CLI start
    name: str
    extension: str
    media_type: str
    function: str  # "module:function", imported on use
    description: str
    options: tuple = ()  # keyword options the function accepts besides the graph
    directory: bool = False  # writes several files into a directory (-o DIR)
    reasons: bool = False  # computes the entailments itself (and keeps them apart): --reasoned is moot


_RDF = "etom_kg.exporters.rdf"
_EA = "etom_kg.exporters.ea"

EXPORTERS: dict[str, Exporter] = {
    e.name: e
    for e in (
        Exporter("turtle", ".ttl", "text/turtle", f"{_RDF}:to_turtle", "Turtle, canonical (same bytes on every run)"),
        Exporter("nt", ".nt", "application/n-triples", f"{_RDF}:to_ntriples", "N-Triples, sorted"),
        Exporter("xml", ".rdf", "application/rdf+xml", f"{_RDF}:to_rdfxml", "RDF/XML"),
        Exporter("jsonld", ".jsonld", "application/ld+json", f"{_RDF}:to_jsonld",
                 "JSON-LD, compact, with the shipped context embedded"),
        Exporter("trig", ".trig", "application/trig", f"{_RDF}:to_trig",
                 "TriG: asserted and inferred triples in two named graphs", reasons=True),
        Exporter("skos", ".ttl", "text/turtle", "etom_kg.exporters.skos:to_skos",
                 "the process hierarchy as a SKOS concept scheme (Turtle)"),
        Exporter("archimate", ".xml", "application/xml", f"{_EA}:to_archimate",
                 "ArchiMate 3.1 Model Exchange File, validated against the XSD before writing"),
        Exporter("archi-csv", "", "text/csv", f"{_EA}:to_archi_csv",
                 "Archi CSV import files (elements, relations, properties) into a directory",
                 options=("prefix", "bom"), directory=True),
        Exporter("sparx-csv", ".csv", "text/csv", f"{_EA}:to_sparx_csv",
                 "Sparx Enterprise Architect CSV with CSV_KEY/CSV_PARENT_KEY hierarchy columns",
                 options=("bom",)),
        Exporter("sssom", ".sssom.tsv", "text/tab-separated-values", "etom_kg.exporters.sssom:to_sssom",
                 "SSSOM/TSV: links to Open APIs, ODA blocks, SID ABEs and flows, with provenance", reasons=True),
        Exporter("svg", ".svg", "image/svg+xml", "etom_kg.site.picture:to_svg",
                 "the Operations map as an SVG picture (the poster grid; a coverage heat map with --with-links)",
                 reasons=True),
    )
}


def get_exporter(name: str) -> Exporter:
    try:
        return EXPORTERS[name]
    except KeyError:
        raise InputError(f"unknown export format {name!r}; valid: {', '.join(sorted(EXPORTERS))}") from None


def export(name: str, *, reasoned: bool = False, graph=None, links=(), **options):
    """Serialise ``graph`` (default: the embedded graph, asserted or reasoned).

    ``links`` are users' graph files (for example written by ``etom-kg link``) added to
    the graph before export, so their applications travel with eTOM. Options a format
    does not declare are refused with the list of formats that take them.
    Returns bytes, or ``{file name: bytes}`` for directory formats.
    """
    import importlib

    exporter = get_exporter(name)
    given = {k: v for k, v in options.items() if v not in (None, False, "")}
    for option in sorted(set(given) - set(exporter.options)):
        takers = sorted(e.name for e in EXPORTERS.values() if option in e.options)
        raise InputError(f"option {option!r} does not apply to format {name!r}; it applies to: {', '.join(takers)}")
    reasoned = reasoned and not exporter.reasons  # TriG would otherwise file entailments as asserted
    if graph is None:
        graph = _embedded_graph(links, reasoned)
    elif links or reasoned:
        graph = _extended(graph, links, reasoned)
    module, _, func = exporter.function.partition(":")
    return getattr(importlib.import_module(module), func)(graph, **given)


def _embedded_graph(links, reasoned: bool):
    from ..graph import load_ontology

    graph = load_ontology()
    return _extended(graph, links, reasoned) if (links or reasoned) else graph


def _extended(graph, links, reasoned: bool):
    """A new graph: ``graph`` plus the users' files (parsed with file and line in errors)."""
    if links:
        import pyoxigraph as ox

        from ..graph import read_into_store, store_to_rdflib

        store = ox.Store()
        for path in links:
            read_into_store(store, path)
        extra = store_to_rdflib(store)
        merged = type(graph)()
        for prefix, ns in graph.namespaces():
            merged.bind(prefix, ns, override=True)
        merged += graph
        merged += extra
        graph = merged
    if reasoned:
        from ..reasoning import expand

        graph = expand(graph)
    return graph

