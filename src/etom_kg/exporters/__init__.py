"""Exporter registry: each format's name, file extension and media type drive the CLI.

Importing this module is cheap; an exporter's code is imported only when it runs.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import InputError


@dataclass(frozen=True)
class Exporter:
    name: str
    extension: str
    media_type: str
    function: str  # "module:function", imported on use
    description: str


EXPORTERS: dict[str, Exporter] = {
    e.name: e
    for e in (
        Exporter("turtle", ".ttl", "text/turtle", "etom_kg.exporters.rdf:to_turtle", "Turtle, deterministic"),
        Exporter("nt", ".nt", "application/n-triples", "etom_kg.exporters.rdf:to_ntriples", "N-Triples, sorted"),
    )
}


def get_exporter(name: str) -> Exporter:
    try:
        return EXPORTERS[name]
    except KeyError:
        raise InputError(f"unknown export format {name!r}; valid: {', '.join(sorted(EXPORTERS))}") from None


def export(name: str, *, reasoned: bool = False, graph=None) -> bytes:
    """Serialise ``graph`` (default: the embedded graph, asserted or reasoned) as bytes."""
    import importlib

    exporter = get_exporter(name)
    if graph is None:
        from ..graph import load_ontology

        graph = load_ontology()
        if reasoned:
            from ..reasoning import expand

            graph = expand(graph)
    module, _, func = exporter.function.partition(":")
    return getattr(importlib.import_module(module), func)(graph)
