"""A process's own statements (the triples it is the subject of, as asserted) for download."""

from __future__ import annotations

import json

import pyoxigraph as ox

from ..namespaces import PREFIXES


def own_triples(store: ox.Store, iri: str) -> list:
    quads = store.quads_for_pattern(ox.NamedNode(iri), None, None, ox.DefaultGraph())
    triples = [ox.Triple(q.subject, q.predicate, q.object) for q in quads]
    return sorted(triples, key=lambda t: (str(t.predicate), str(t.object)))


def turtle(triples: list) -> bytes:
    used = {str(t.predicate.value) for t in triples} | {
        str(x.value) for t in triples for x in (t.subject, t.object) if isinstance(x, ox.NamedNode)
    }
    prefixes = {p: ns for p, ns in PREFIXES.items() if any(iri.startswith(ns) for iri in used)}
    return ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=prefixes)


def jsonld(triples: list) -> bytes:
    """Expanded JSON-LD: full IRIs and no @context, so reading it never fetches anything."""
    data = json.loads(ox.serialize(triples, format=ox.RdfFormat.JSON_LD))
    return (json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8")
